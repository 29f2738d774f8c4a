"""The one solve facade: lexicographic stages, exact tie-breaking, our own status enum.

:func:`solve` optimises a :class:`~selection.model.program.Model`'s stages in order, holding each
optimum with a row ``stage >= optimum - 0.5`` (exact, because every stage has integer
costs on integer columns). It then counts the optimal delegations and breaks ties by the
documented rule, the same whatever the solver:

1. enumerate optimal delegations with no-good cuts, up to ``max_ties``;
2. if the enumeration is complete, the winner is the tied delegation with the largest sum
   of lottery weights (``n_candidates + 1 - lottery``); should two tie on that sum too, the
   one containing the best-placed lottery position among the candidates that differ;
3. if ``max_ties`` is reached first, a second stage maximises the lottery weights with
   every optimum held, and the delegations tying on that too are enumerated and compared
   as in 2. The result is therefore exact even when ties are not all counted.

Solvers: ``"highs"`` (highspy, model passed in bulk numpy arrays; silent by its own options)
and ``"cbc"`` (the CBC binary bundled with PuLP 3.x, through PuLP). Both run with a zero
relative gap and an absolute gap of 0.5 on the integer grid. PuLP reports "Optimal" after a
time limit, so its solution status is read too; everything maps to :class:`SolveStatus`.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule, seats_rule
>>> from selection.model.program import build_model
>>> from selection.model.pool import prepare_pool
>>> c = pd.DataFrame({"candidate_id": list("abcd"), "name": list("ABCD"), "group": ["G"] * 4})
>>> m = pd.DataFrame({"candidate_id": list("abcd"), "merit": [4.0, 3.0, 3.0, 1.0]})
>>> cfg = SelectionConfig(per_group=2)
>>> model = build_model(prepare_pool(c, m, cfg), [seats_rule(cfg)])
>>> result = solve(model)
>>> result.status, result.n_optimal, int(result.chosen.sum())
(<SolveStatus.OPTIMAL: 'optimal'>, 2, 2)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import highspy
import numpy as np
from highspy._core import _Highs as _CoreHighs  # the class highspy.Highs wraps, banner-free

from scoring.errors import SolverUnavailableError
from selection.model.program import Model

__all__ = [
    "SOLVERS",
    "SolveResult",
    "SolveStatus",
    "check_feasible",
    "solve",
    "to_pulp",
]

SOLVERS: tuple[str, ...] = ("highs", "cbc")
"""Solver names accepted by :func:`solve`."""

_ABS_GAP = 0.5
_SMALL_MODEL = 2000  # columns; below it HiGHS's feasibility-jump heuristic costs more than it saves


class SolveStatus(StrEnum):
    """Outcome of a solve, independent of the solver.

    Examples
    --------
    >>> SolveStatus("time_limit") is SolveStatus.TIME_LIMIT
    True
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    """Stopped at the time limit with a delegation that is not proven optimal."""
    GIVEN = "given"
    """A delegation chosen another way (drawn by the grey-zone lottery, kept after a
    withdrawal), then checked under every rule like any solve."""
    ERROR = "error"
    """The solver failed, or stopped at the time limit without any delegation."""


@dataclass(frozen=True, eq=False)
class SolveResult:
    """Immutable outcome of :func:`solve`.

    Attributes
    ----------
    columns
        Rounded values of every column of the winning solution (``None`` without one).
    stage_values
        Optimum of each stage, in grid units (integers).
    ties
        x-column masks of the optimal delegations found, the winner first.
    ties_capped
        True when enumeration stopped at ``max_ties`` (or the time limit): more may tie.
    seconds, load_seconds
        Time spent inside the solver, and passing the model to it.
    count
        How many delegations are optimal, when known exactly (the decomposition counts
        them); ``None``: only those in ``ties`` are known.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> result = solve(build_model(pool, [make_rule("seats", per_group=2)]))
    >>> result.chosen.tolist(), result.n_optimal, result.ties_capped
    ([True, True, False, False, True, True], 1, False)
    """

    status: SolveStatus
    solver: str
    columns: np.ndarray | None
    stage_values: tuple[int, ...]
    ties: tuple[np.ndarray, ...]
    ties_capped: bool
    n_solves: int
    seconds: float
    load_seconds: float
    message: str = ""
    count: int | None = None

    @property
    def chosen(self) -> np.ndarray:
        """Mask over the model's x columns of the winning delegation."""
        return self.ties[0] if self.ties else np.zeros(0, dtype=bool)

    @property
    def n_optimal(self) -> int:
        """Number of optimal delegations (found: a lower bound when ``ties_capped``)."""
        return len(self.ties) if self.count is None else self.count


_HIGHS_STATUS = {
    "kOptimal": SolveStatus.OPTIMAL,
    "kInfeasible": SolveStatus.INFEASIBLE,
    "kUnboundedOrInfeasible": SolveStatus.INFEASIBLE,
}
_HIGHS_STOPPED = {
    "kTimeLimit",
    "kIterationLimit",
    "kInterrupt",
    "kSolutionLimit",
    "kObjectiveBound",
    "kObjectiveTarget",
}


def _highs_status(name: str, has_solution: bool) -> SolveStatus:
    """Map a HiGHS model status name and whether a solution exists to our status."""
    if name in _HIGHS_STATUS:
        status = _HIGHS_STATUS[name]
        return SolveStatus.ERROR if status is SolveStatus.OPTIMAL and not has_solution else status
    if name in _HIGHS_STOPPED:
        return SolveStatus.TIME_LIMIT if has_solution else SolveStatus.ERROR
    return SolveStatus.ERROR


def _pulp_status(status: int, sol_status: int) -> SolveStatus:
    """Map PuLP's ``status`` and ``sol_status``: "Optimal" after a time limit is not optimal."""
    import pulp  # only the CBC path needs PuLP: HiGHS runs without it

    if status == pulp.LpStatusInfeasible:
        return SolveStatus.INFEASIBLE
    if status in (pulp.LpStatusOptimal, pulp.LpStatusNotSolved):
        if sol_status == pulp.LpSolutionOptimal and status == pulp.LpStatusOptimal:
            return SolveStatus.OPTIMAL
        if sol_status == pulp.LpSolutionIntegerFeasible:
            return SolveStatus.TIME_LIMIT
    return SolveStatus.ERROR


class _Backend(Protocol):
    def set_objective(self, costs: np.ndarray) -> None: ...
    def add_row(
        self, indices: np.ndarray, values: np.ndarray, lower: float, upper: float
    ) -> int: ...
    def remove_rows(self, handles: list[int]) -> None: ...
    def run(self, time_limit: float) -> tuple[SolveStatus, np.ndarray | None]: ...


def _new_highs() -> Any:
    """Return a silent HiGHS instance.

    ``highspy.Highs()`` prints HiGHS's banner to fd 1 while it constructs itself (its
    callback set-up is a HiGHS call made before any option can be set). The core class it
    wraps does not, so ``output_flag`` is switched off before anything can log; no file
    descriptor is touched, so threads writing to stdout meanwhile lose nothing.
    """
    highs = _CoreHighs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("log_to_console", False)
    return highs


def _bounds(model: Model, fix: Mapping[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = model.cols.lower.copy(), model.cols.upper.copy()
    for j, v in (fix or {}).items():
        lower[j] = upper[j] = float(v)
    return lower, upper


class _Highs:
    def __init__(self, model: Model, fix: Mapping[int, int] | None) -> None:
        h = self.h = _new_highs()
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", _ABS_GAP)
        if model.n_cols < _SMALL_MODEL:
            h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        inf = highspy.kHighsInf
        n = model.n_cols
        lower, upper = _bounds(model, fix)
        h.addVars(n, lower, upper)
        idx = np.arange(n, dtype=np.int32)
        h.changeColsIntegrality(n, idx, np.full(n, highspy.HighsVarType.kInteger))
        h.addRows(
            model.n_rows,
            np.where(np.isfinite(model.rows.lower), model.rows.lower, -inf),
            np.where(np.isfinite(model.rows.upper), model.rows.upper, inf),
            len(model.indices),
            model.indptr[:-1].astype(np.int32),
            model.indices.astype(np.int32),
            model.values.astype(float),
        )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.n, self.base = n, model.n_rows
        self.extra: list[int] = []
        self.counter = 0

    def set_objective(self, costs: np.ndarray) -> None:
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs.astype(float))

    def add_row(self, indices: np.ndarray, values: np.ndarray, lower: float, upper: float) -> int:
        inf = highspy.kHighsInf
        self.h.addRow(
            lower if np.isfinite(lower) else -inf,
            upper if np.isfinite(upper) else inf,
            len(indices),
            indices.astype(np.int32),
            values.astype(float),
        )
        self.counter += 1
        self.extra.append(self.counter)
        return self.counter

    def remove_rows(self, handles: list[int]) -> None:
        rows = sorted(self.base + self.extra.index(h) for h in handles)
        self.h.deleteRows(len(rows), np.array(rows, dtype=np.int32))
        self.extra = [h for h in self.extra if h not in handles]

    def run(self, time_limit: float) -> tuple[SolveStatus, np.ndarray | None]:
        self.h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
        self.h.run()
        has_solution = self.h.getInfo().primal_solution_status == 2
        status = _highs_status(self.h.getModelStatus().name, has_solution)
        values = np.asarray(self.h.getSolution().col_value, dtype=float) if has_solution else None
        return status, values


def to_pulp(model: Model, fix: Mapping[int, int] | None = None) -> tuple[Any, list[Any]]:
    """Return the model as a ``pulp.LpProblem`` (no objective yet) and its variables.

    Names come from :meth:`Model.col_names` and :meth:`Model.row_names`, so
    ``problem.writeLP(path)`` gives a byte-stable LP file.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a"], "name": ["A"], "group": ["G"]})
    >>> cfg = SelectionConfig(per_group=1)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a"], "merit": [1.0]}), cfg)
    >>> problem, variables = to_pulp(build_model(pool, [seats_rule(cfg)]))
    >>> [c.name for c in problem.constraints()], [v.name for v in variables]
    (['r000_seats_g0000'], ['x_000000'])
    """
    import pulp  # only the CBC path needs PuLP: HiGHS runs without it

    problem = pulp.LpProblem("selection", pulp.LpMaximize)
    lower, upper = _bounds(model, fix)
    variables = [
        problem.add_variable(n, lo, up, cat=pulp.LpInteger)
        for n, lo, up in zip(model.col_names(), lower.tolist(), upper.tolist(), strict=True)
    ]
    for constraint in _pulp_rows(model, variables):
        problem.addConstraint(constraint)
    return problem, variables


def _pulp_rows(model: Model, variables: list[Any]) -> list[Any]:

    rows = []
    names = model.row_names()
    for i, name in enumerate(names):
        start, stop = model.indptr[i], model.indptr[i + 1]
        terms = [
            (variables[j], v)
            for j, v in zip(
                model.indices[start:stop].tolist(), model.values[start:stop].tolist(), strict=True
            )
        ]
        rows += _pulp_constraint(
            terms, float(model.rows.lower[i]), float(model.rows.upper[i]), name
        )
    return rows


def _pulp_constraint(terms: list[Any], lower: float, upper: float, name: str) -> list[Any]:
    import pulp  # only the CBC path needs PuLP: HiGHS runs without it

    expr = pulp.LpAffineExpression(terms)
    if lower == upper:
        return [pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, lower)]
    out = []
    if np.isfinite(lower):
        out.append(
            pulp.LpConstraint(
                expr, pulp.LpConstraintGE, name + ("_lo" if np.isfinite(upper) else ""), lower
            )
        )
    if np.isfinite(upper):
        out.append(
            pulp.LpConstraint(
                expr, pulp.LpConstraintLE, name + ("_hi" if np.isfinite(lower) else ""), upper
            )
        )
    return out


def _cbc_solver(time_limit: float) -> Any:
    import pulp  # only the CBC path needs PuLP: HiGHS runs without it

    path = getattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", None)
    solver = pulp.COIN_CMD(
        path=path, msg=False, gapRel=0.0, gapAbs=_ABS_GAP, timeLimit=max(time_limit, 0.01)
    )
    if not solver.available():
        raise SolverUnavailableError(
            "The CBC solver bundled with PuLP was not found; reinstall pulp (3.x) or use "
            'solver = "highs".'
        )
    return solver


class _Pulp:
    """CBC through PuLP; the problem is rebuilt for each run (CBC reads a file anyway)."""

    def __init__(self, model: Model, fix: Mapping[int, int] | None) -> None:
        import pulp

        _cbc_solver(1.0)
        self.problem, self.variables = to_pulp(model, fix)
        self.base = self.problem.constraints()
        self.extra: dict[int, list[Any]] = {}
        self.objective = pulp.LpAffineExpression()
        self.counter = 0

    def set_objective(self, costs: np.ndarray) -> None:
        import pulp

        nz = np.flatnonzero(costs)
        self.objective = pulp.LpAffineExpression(
            [(self.variables[j], float(costs[j])) for j in nz.tolist()]
        )

    def add_row(self, indices: np.ndarray, values: np.ndarray, lower: float, upper: float) -> int:
        self.counter += 1
        terms = [
            (self.variables[j], v) for j, v in zip(indices.tolist(), values.tolist(), strict=True)
        ]
        self.extra[self.counter] = _pulp_constraint(
            terms, lower, upper, f"extra_{self.counter:04d}"
        )
        return self.counter

    def remove_rows(self, handles: list[int]) -> None:
        for h in handles:
            self.extra.pop(h)

    def run(self, time_limit: float) -> tuple[SolveStatus, np.ndarray | None]:
        import pulp

        problem = pulp.LpProblem("selection", pulp.LpMaximize)
        for constraint in [*self.base, *(c for cs in self.extra.values() for c in cs)]:
            problem.addConstraint(constraint)
        problem.setObjective(self.objective)
        problem.solve(_cbc_solver(time_limit))
        status = _pulp_status(problem.status, problem.sol_status)
        if status not in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
            return status, None
        return status, np.array([v.varValue or 0.0 for v in self.variables], dtype=float)


def _backend(model: Model, solver: str, fix: Mapping[int, int] | None) -> _Backend:
    # "auto" (the config's default) means the decomposition where it answers; where the
    # integer programme is solved instead, HiGHS solves it.
    if solver in ("highs", "auto"):
        return _Highs(model, fix)
    if solver == "cbc":
        return _Pulp(model, fix)
    raise SolverUnavailableError(f"Unknown solver '{solver}'; choose one of {list(SOLVERS)}.")


def _tie_winner(ties: list[np.ndarray], key: np.ndarray) -> int:
    """Index of the winner: largest lottery-weight sum, then best differing lottery position."""

    def rank(mask: np.ndarray) -> tuple[int, list[int]]:
        weights = key[mask]
        return int(weights.sum()), sorted(weights.tolist(), reverse=True)

    return max(range(len(ties)), key=lambda i: rank(ties[i]))


def _no_good(model: Model, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Row ``(indices, values, lower, upper)`` excluding exactly this delegation.

    Sparse (``sum of its x <= size - 1``) when seat counts are fixed, dense otherwise.
    """
    chosen = np.flatnonzero(mask)
    if not model.seats_elastic:
        return chosen, np.ones(len(chosen)), -np.inf, len(chosen) - 1.0
    return np.arange(model.n_x), np.where(mask, 1.0, -1.0), -np.inf, len(chosen) - 1.0


def check_feasible(
    model: Model,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    fix: Mapping[int, int] | None = None,
) -> SolveStatus:
    """Return whether ``model`` has any solution (``OPTIMAL``) or not (``INFEASIBLE``).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a"], "name": ["A"], "group": ["G"]})
    >>> cfg = SelectionConfig(per_group=2)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a"], "merit": [1.0]}), cfg)
    >>> check_feasible(build_model(pool, [seats_rule(cfg)]))
    <SolveStatus.INFEASIBLE: 'infeasible'>
    """
    if model.n_cols == 0:
        return _trivial(model, solver).status
    backend = _backend(model, solver, fix)
    backend.set_objective(np.zeros(model.n_cols))
    status, _ = backend.run(time_limit)
    return SolveStatus.OPTIMAL if status is SolveStatus.TIME_LIMIT else status


def _trivial(model: Model, solver: str) -> SolveResult:
    """A model without columns: feasible exactly when every row admits zero."""
    ok = bool(np.all((model.rows.lower <= 0) & (model.rows.upper >= 0)))
    if not ok:
        return SolveResult(SolveStatus.INFEASIBLE, solver, None, (), (), False, 0, 0.0, 0.0)
    return SolveResult(
        SolveStatus.OPTIMAL,
        solver,
        np.zeros(0),
        tuple(0 for _ in model.stages),
        (np.zeros(0, dtype=bool),),
        False,
        0,
        0.0,
        0.0,
    )


def solve(
    model: Model,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    max_ties: int = 20,
    fix: Mapping[int, int] | None = None,
) -> SolveResult:
    """Optimise the model's stages in order and break ties exactly (see module docs).

    Parameters
    ----------
    model
        The integer programme (:func:`selection.model.program.build_model`).
    solver
        ``"highs"`` or ``"cbc"``.
    time_limit
        Seconds for the whole call, across stages and tie enumeration.
    max_ties
        Cap on the optimal delegations enumerated (at least 1).
    fix
        Column index to value: columns held fixed (counterfactuals).

    Returns
    -------
    SolveResult
        ``INFEASIBLE`` and ``ERROR`` carry no columns; ``TIME_LIMIT`` carries the incumbent.

    Raises
    ------
    SolverUnavailableError
        Unknown solver name, or CBC not found.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> model = build_model(pool, [make_rule("seats", per_group=2)])
    >>> [solve(model, solver=s, fix={0: 0}).chosen.tolist() for s in SOLVERS]
    [[False, True, True, False, True, True], [False, True, True, False, True, True]]
    """
    start = time.perf_counter()
    if model.n_cols == 0:
        return _trivial(model, solver)
    backend = _backend(model, solver, fix)
    load = time.perf_counter() - start
    clock = {"run": 0.0, "n": 0}

    def run() -> tuple[SolveStatus, np.ndarray | None]:
        t0 = time.perf_counter()
        out = backend.run(time_limit - (t0 - start))
        clock["run"] += time.perf_counter() - t0
        clock["n"] += 1
        return out[0], None if out[1] is None else np.round(out[1])

    def result(
        status: SolveStatus,
        columns: np.ndarray | None,
        ties: list[np.ndarray],
        capped: bool,
        message: str = "",
    ) -> SolveResult:
        return SolveResult(
            status,
            solver,
            columns,
            tuple(values),
            tuple(ties),
            capped,
            int(clock["n"]),
            float(clock["run"]),
            load,
            message,
        )

    values: list[int] = []
    columns: np.ndarray | None = None
    for stage in model.stages:
        backend.set_objective(stage.costs)
        status, found = run()
        if found is None:
            return result(status, None, [], False, f"solver status {status} at stage {stage.name}")
        columns = found
        values.append(int(stage.costs @ found.astype(np.int64)))
        if status is SolveStatus.TIME_LIMIT:
            return result(
                status,
                columns,
                [found[: model.n_x] > 0.5],
                True,
                f"time limit reached at stage {stage.name}",
            )
        nz = np.flatnonzero(stage.costs)
        backend.add_row(nz, stage.costs[nz].astype(float), values[-1] - _ABS_GAP, np.inf)
    assert columns is not None  # the model has at least one stage
    ties, solutions = [columns[: model.n_x] > 0.5], [columns]
    cuts: list[int] = []
    complete = timed_out = False
    while len(ties) < max_ties:
        cuts.append(backend.add_row(*_no_good(model, ties[-1])))
        status, found = run()
        if status is SolveStatus.INFEASIBLE:
            complete = True
            break
        if status is not SolveStatus.OPTIMAL or found is None:
            timed_out = True
            break
        ties.append(found[: model.n_x] > 0.5)
        solutions.append(found)
    if complete or timed_out:
        best = _tie_winner(ties, model.key)
        order = [best, *(i for i in range(len(ties)) if i != best)]
        status = SolveStatus.TIME_LIMIT if timed_out else SolveStatus.OPTIMAL
        return result(
            status,
            solutions[best],
            [ties[i] for i in order],
            not complete,
            "time limit reached while enumerating ties" if timed_out else "",
        )
    return _lottery_stage(model, backend, cuts, ties, run, result)


def _lottery_stage(
    model: Model, backend: _Backend, cuts: list[int], ties: list[np.ndarray], run: Any, result: Any
) -> SolveResult:
    """Tie cap reached: maximise lottery weights over all optima, then settle equal sums."""
    backend.remove_rows(cuts)
    key = np.zeros(model.n_cols, dtype=np.int64)
    key[: model.n_x] = model.key
    backend.set_objective(key)
    status, found = run()
    if status is not SolveStatus.OPTIMAL or found is None:
        return result(
            SolveStatus.TIME_LIMIT if found is not None else status,
            found,
            ties,
            True,
            "time limit reached while breaking ties",
        )
    best_key = int(key @ found.astype(np.int64))
    nz = np.flatnonzero(key)
    backend.add_row(nz, key[nz].astype(float), best_key - _ABS_GAP, np.inf)
    equal, solutions = [found[: model.n_x] > 0.5], [found]
    while True:
        backend.add_row(*_no_good(model, equal[-1]))
        status, again = run()
        if status is SolveStatus.INFEASIBLE:
            break
        if status is not SolveStatus.OPTIMAL or again is None:
            return result(
                SolveStatus.TIME_LIMIT,
                solutions[0],
                equal,
                True,
                "time limit reached while breaking ties",
            )
        equal.append(again[: model.n_x] > 0.5)
        solutions.append(again)
    best = _tie_winner(equal, model.key)
    winner = equal[best]
    others = [t for t in ties if not np.array_equal(t, winner)]
    return result(
        SolveStatus.OPTIMAL, solutions[best], [winner, *others][: max(len(ties), 1)], True
    )
