"""The selection facade: candidates and merit in, a verified, explained delegation out.

:func:`select` prepares the candidates (:mod:`selection.model.program`), builds the rules
(:mod:`selection.model.constraints`), tells what counts alone reveal
(:func:`~selection.model.verify.presolve`), solves (:mod:`selection.model.solve`), re-checks the
result without the solver (:func:`~selection.model.verify.verify`), and explains it: reasons,
margins, binding rules and counterfactuals (:mod:`selection.analysis.explain`), reserves
(:mod:`selection.analysis.reserves`) and the price of fairness (:mod:`selection.analysis.fairness`).
An infeasible event is a normal result with an :class:`~selection.analysis.fairness.Infeasibility`
explanation. The result is frozen, deterministic (only ``timings`` vary) and JSON-able through
:meth:`SelectionResult.to_dict`.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import SelectionConfig
>>> ids = ["c1", "c2", "c3", "c4"]
>>> cands = pd.DataFrame({"candidate_id": ids, "name": ["Ana", "Bo", "Cy", "Di"],
...                       "group": ["Africa"] * 4, "project": ["P1", "P1", "P2", "P3"]})
>>> merit = pd.DataFrame({"candidate_id": ids, "merit": [9.0, 8.0, 7.0, 6.0]})
>>> config = SelectionConfig(per_group=2, constraints=[{"kind": "max_per", "attribute": "project",
...                                                     "name": "one per project"}])
>>> result = select(cands, merit, config)
>>> result.status.value, result.objective, result.delegation["candidate_id"].tolist()
('optimal', 16.0, ['c1', 'c3'])
>>> print(result.explain("c2"))  # doctest: +NORMALIZE_WHITESPACE
Bo (c2), group Africa: not selected (reserve) — a rule leaves no room for them; without it
they would be selected.
Merit 8.000, rank 2 of 4 eligible in the group (lottery position 4).
Margin +1.000 against the weakest representative.
Binding rules: 'one per project'; without any one of them they would be selected.
If forced in, total merit would drop by 1.000; joining: Bo (c2); leaving: Ana (c1).
Named substitute for Ana (c1); reserve rank 1 in the group.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring.config import SelectionConfig
from scoring.errors import (
    InvalidEventError,
    Issue,
    SolverError,
    SolverUnavailableError,
    issues_frame,
)
from scoring.frames import frame_records
from selection import columns as col
from selection.analysis.explain import counterfactuals as find_counterfactuals
from selection.analysis.explain import (
    counterfactuals_from,
    explain_text,
    margins,
    ranking_frame,
    reasons,
)
from selection.analysis.fairness import (
    PRICE_COLUMNS,
    Infeasibility,
    Removals,
    diagnose,
    merit_rank,
)
from selection.analysis.fairness import price_of_fairness as find_price
from selection.analysis.reserves import RESERVE_COLUMNS, Change, Replacements
from selection.analysis.reserves import reserves as find_reserves
from selection.engine.decomposition import Decomposition, Outcome
from selection.model.constraints import rules_from_specs, seats_rule
from selection.model.pool import Pool, prepare_pool
from selection.model.program import Model, build_model
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SOLVERS, SolveResult, SolveStatus, solve
from selection.model.verify import VerificationError, check, presolve, verify, violations_frame

__all__ = [
    "AUTO",
    "CHOICES",
    "CONSTRAINT_COLUMNS",
    "DECOMPOSITION",
    "SelectionResult",
    "preflight",
    "rules_from_config",
    "select",
]

AUTO = "auto"
"""The default ``solver``: the decomposition when the event fits it, else HiGHS."""
DECOMPOSITION = "decomposition"
"""The ``solver`` a result names when the decomposition found its delegation."""
CHOICES: tuple[str, ...] = (AUTO, *SOLVERS)
"""The values of ``solver``: ``auto``, or an integer-programme solver (the cross-check)."""

CONSTRAINT_COLUMNS: tuple[str, ...] = (
    col.RULE,
    col.DESCRIPTION,
    col.RULE_KIND,
    col.SOFT,
    col.PRIORITY,
    col.PENALTY,
    col.SATISFIED,
    col.BENT_BY,
    col.PRICE_OF_FAIRNESS,
)
"""Columns of the rule status table; the seats rule comes first."""


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """The outcome of :func:`select`.

    Attributes
    ----------
    status
        ``optimal``, ``infeasible`` or ``time_limit`` (a delegation not proven optimal).
    objective
        Total merit of the delegation (grid merits, in merit units); ``None`` if infeasible.
    delegation
        ``group, candidate_id, name, merit, merit_se, rank_in_group, reserve_id`` and the
        attributes the rules use; sorted by group, merit (descending), candidate_id.
    ranking
        Every candidate (:data:`selection.analysis.explain.RANKING_COLUMNS`).
    n_optimal, ties_capped
        Optimal delegations found; ``ties_capped``: more may exist (``max_ties`` reached).
    group_status
        Each group's outcome: ``optimal`` (or the overall status), or ``infeasible`` for a
        group whose own rules conflict while the other groups, which no delegation-wide
        rule links to it, still get their representatives (the overall status is then
        ``infeasible``, and ``delegation`` holds the other groups').
    ties
        The optimal delegations found (:data:`selection.columns.TIE_COLUMNS`), the one the
        seeded lottery chose first (``tie = 1``), the others in the tie rule's order; only
        the chosen one when more than ``max_ties`` tie (which others a solver meets first
        depends on its search); empty when infeasible.
    constraints
        Rule status table (:data:`CONSTRAINT_COLUMNS`).
    bends
        Where soft rules are bent and by how much
        (:data:`selection.model.verify.RELAXATION_COLUMNS`).
    price_of_fairness
        :data:`selection.analysis.fairness.PRICE_COLUMNS`.
    reserves
        Ranked reserve list per group (:data:`selection.analysis.reserves.RESERVE_COLUMNS`).
    infeasibility
        ``None``, or the minimal conflicting rules and the smallest relaxation.
    presolve
        Issues found from counts before solving.
    timings
        Seconds per step; the only non-deterministic field.

    Examples
    --------
    >>> from selection.model.pool import example_event
    >>> result = select(*example_event(), SelectionConfig(per_group=2))
    >>> result.status.value, result.objective, result.n_optimal, sorted(result.to_dict())[:3]
    ('optimal', 33.0, 1, ['bends', 'constraints', 'delegation'])
    """

    status: SolveStatus
    objective: float | None
    delegation: pd.DataFrame
    ranking: pd.DataFrame
    n_optimal: int
    ties_capped: bool
    ties: pd.DataFrame
    group_status: dict[str, str]
    constraints: pd.DataFrame
    bends: pd.DataFrame
    price_of_fairness: pd.DataFrame
    reserves: pd.DataFrame
    infeasibility: Infeasibility | None
    presolve: tuple[Issue, ...]
    seed: int
    solver: str
    grid_step: float
    message: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def presolve_issues(self) -> pd.DataFrame:
        """The presolve issues as a frame (see :func:`scoring.errors.issues_frame`)."""
        return issues_frame(self.presolve)

    def explain(self, candidate_id: str) -> str:
        """Return why ``candidate_id`` was or was not selected, in plain words.

        Raises
        ------
        KeyError
            When ``candidate_id`` is not a candidate.
        """
        return explain_text(self.ranking, candidate_id)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (frames as lists of records, missing values as ``None``)."""
        return {
            "status": self.status.value,
            "objective": self.objective,
            "message": self.message,
            "seed": self.seed,
            "solver": self.solver,
            "grid_step": self.grid_step,
            "n_optimal": self.n_optimal,
            "ties_capped": self.ties_capped,
            "ties": frame_records(self.ties),
            "group_status": dict(self.group_status),
            "delegation": frame_records(self.delegation),
            "ranking": frame_records(self.ranking),
            "constraints": frame_records(self.constraints),
            "bends": frame_records(self.bends),
            "price_of_fairness": frame_records(self.price_of_fairness),
            "reserves": frame_records(self.reserves),
            "infeasibility": None if self.infeasibility is None else self.infeasibility.to_dict(),
            "presolve": frame_records(self.presolve_issues),
            "timings": dict(self.timings),
        }


def rules_from_config(
    config: SelectionConfig, pool: Pool, *, constraints: Sequence[Constraint] | None = None
) -> tuple[Constraint, ...]:
    """Return the seats rule followed by the configured rules, checked against ``pool``.

    Parameters
    ----------
    config
        ``per_group``, ``seats`` and ``constraints``.
    pool
        The prepared candidates (attributes, ids and groups are checked against it).
    constraints
        Rule objects to use instead of ``config.constraints``.

    Raises
    ------
    InvalidEventError
        With one issue (code ``selection.invalid_rule``) per problem of every rule.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"candidate_id": ["a"], "name": ["A"], "group": ["G"]})
    >>> rule = {"kind": "distinct", "attribute": "country", "min": 2}
    >>> config = SelectionConfig(per_group=1, constraints=[rule])
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a"], "merit": [1.0]}), config)
    >>> rules_from_config(config, pool)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scoring.errors.InvalidEventError: 1 error in the event:
      column 'selection.constraints[0]': rule 1 (distinct): attribute 'country' is not a ...
    """
    configured = rules_from_specs(config.constraints) if constraints is None else constraints
    rules: list[Constraint] = [seats_rule(config), *configured]
    issues: list[Issue] = []
    labels: set[str] = set()
    for k, rule in enumerate(rules):
        where = f"selection.constraints[{k - 1}]" if k else "selection.per_group"
        problems = rule.problems(pool)
        if rule.label in labels:
            problems.append(f"two rules are called '{rule.label}'; give them distinct names")
        issues += [
            Issue("error", "selection.invalid_rule", f"rule {k} ({rule.kind}): {p}", column=where)
            for p in problems
        ]
        labels.add(rule.label)
    if issues:
        raise InvalidEventError(issues)
    return tuple(rules)


def preflight(
    candidates: pd.DataFrame, merit: pd.DataFrame, config: SelectionConfig
) -> tuple[Issue, ...]:
    """Return what the selection would reject or warn about, without solving.

    The rules against the candidates (an attribute, group or id that does not exist: the
    errors :func:`rules_from_config` raises), then what counts alone tell
    (:func:`selection.model.verify.presolve`: too few eligible candidates, a minimum the
    pool cannot meet, quotas that cannot add up). ``pitch-jury check`` runs it, so it finds
    everything ``run`` would stop on before solving.

    Examples
    --------
    >>> from selection.model.pool import example_event
    >>> config = SelectionConfig(per_group=2, constraints=[
    ...     {"kind": "at_least", "attribute": "Gender", "value": "F", "count": 1}])
    >>> [i.code for i in preflight(*example_event(), config)]
    ['selection.invalid_rule']
    >>> config = SelectionConfig(per_group=3)
    >>> sorted({i.code for i in preflight(*example_event(), config)})
    ['selection.never_selectable', 'selection.too_few_eligible']
    """
    pool = prepare_pool(candidates, merit, config)
    try:
        rules = rules_from_config(config, pool)
    except InvalidEventError as exc:
        return exc.problems
    return presolve(pool, rules)


def _constraint_table(
    rules: Sequence[Constraint], selection: Selection | None, price: pd.DataFrame
) -> pd.DataFrame:
    found = check(selection, rules) if selection is not None else ()
    total = price[price[col.GROUP] == "*"]
    cost: dict[str, float] = dict(zip(total[col.RULE], total[col.COST], strict=True))
    records = []
    for rule in rules:
        bent = [v.bent_by for v in found if v.rule == rule.label]
        records.append(
            (
                rule.label,
                rule.describe(),
                rule.kind,
                rule.soft,
                rule.priority,
                rule.penalty,
                None if selection is None else not bent,
                sum(bent),
                cost.get(rule.label, np.nan),
            )
        )
    return pd.DataFrame(records, columns=list(CONSTRAINT_COLUMNS)).astype(
        {col.PENALTY: "float64", col.SATISFIED: "boolean", col.BENT_BY: "int64"}
    )


def _delegation(ranking: pd.DataFrame, pool: Pool, rules: Sequence[Constraint]) -> pd.DataFrame:
    used = list(dict.fromkeys(a for r in rules for a in r.attributes))
    chosen = ranking[ranking[col.STATUS] == "selected"]
    base = [
        col.GROUP,
        col.CANDIDATE_ID,
        col.NAME,
        col.MERIT,
        col.MERIT_SE,
        col.RANK_IN_GROUP,
        col.RESERVE_ID,
    ]
    attributes = pool.frame[[col.CANDIDATE_ID, *used]] if used else None
    out = (
        chosen[base]
        if attributes is None
        else chosen[base].merge(attributes, on=col.CANDIDATE_ID, how="left")
    )
    return out.sort_values(
        [col.GROUP, col.MERIT, col.CANDIDATE_ID], ascending=[True, False, True], ignore_index=True
    )


def _ties(model: Model, result: SolveResult | None) -> pd.DataFrame:
    """The optimal delegations, one row per representative, in the tie rule's order.

    When every tie was enumerated the list is the same whatever the solver; when the cap
    (``max_ties``) was reached, which other ties a solver met first depends on its search,
    so only the delegation chosen is listed (``ties_capped`` says more exist).
    """
    pool, records = model.pool, []
    found = list(result.ties if result is not None else ())
    if result is not None and result.ties_capped:
        found = found[:1]
    weights = model.key
    found[1:] = sorted(
        found[1:],
        key=lambda m: (-int(weights[m].sum()), sorted((-weights[m]).tolist())),
    )
    for tie, mask in enumerate(found, start=1):
        for p in model.x_positions[mask].tolist():
            records.append(
                (
                    tie,
                    pool.group_names[pool.group_code[p]],
                    str(pool.candidate_ids[p]),
                    str(pool.frame[col.NAME].iat[p]),
                    float(pool.merit[p]),
                )
            )
    return pd.DataFrame(records, columns=list(col.TIE_COLUMNS)).astype(
        {col.TIE: "int64", col.MERIT: "float64"}
    )


def _cross_check(model: Model, result: SolveResult, *, solver: str, time_limit: float) -> None:
    """Solve the programme with the other solver (HiGHS when the decomposition answered)
    and raise unless it finds the same delegation with the same stage values."""
    other = next(s for s in SOLVERS if s != solver)
    again = solve(model, solver=other, time_limit=time_limit, max_ties=1)
    if (
        again.status is not result.status
        or again.stage_values != result.stage_values
        or not (np.array_equal(again.chosen, result.chosen))
    ):
        raise VerificationError(
            f"{result.solver} and {other} disagree: {result.status}/{result.stage_values} "
            f"against {again.status}/{again.stage_values}."
        )


_UNANSWERED = object()
"""The decomposition could not answer (the event does not fit it): the programme does."""


def _decompose(engine: Decomposition, model: Model) -> Any:
    """The decomposition's optimum with its tie count, ``None`` when no delegation keeps
    every hard rule, or :data:`_UNANSWERED`."""
    if not engine.usable:
        return _UNANSWERED
    try:
        outcome = engine.solve()
    except RuntimeError:
        return _UNANSWERED
    if outcome is not None and len(outcome.stages) != len(model.stages):
        return _UNANSWERED  # a stage the decomposition does not model
    return outcome


def _stage_values(model: Model, outcome: Outcome) -> tuple[int, ...]:
    """The decomposition's stage values as the programme counts them (its merit stage
    measures grid merit from the lowest selectable one)."""
    grid = model.pool.grid_merit[model.x_positions]
    shift = int(grid.min()) * int(outcome.mask[model.x_positions].sum()) if len(grid) else 0
    *levels, merit = outcome.stages
    return (*levels, merit - shift)


def _tie_masks(
    model: Model, engine: Decomposition, outcome: Outcome, options: Mapping[str, Any]
) -> tuple[np.ndarray, ...]:
    """The optimal delegations as x-column masks, the winner first: all of them when no
    more than ``max_ties`` tie, else the winner only. Ties that only swap options of equal
    tally are the combinations of each group's alternatives; others are listed by the
    programme (which must find exactly as many)."""
    winner = outcome.mask[model.x_positions]
    if outcome.n_optimal <= 1 or outcome.n_optimal > options["max_ties"]:
        return (winner,)
    if not outcome.within_tallies:
        listed = solve(model, **options)
        if listed.n_optimal != outcome.n_optimal or not np.array_equal(listed.chosen, winner):
            raise VerificationError(
                f"The decomposition counts {outcome.n_optimal} optimal delegations, the "
                f"{listed.solver} solver {listed.n_optimal} (a bug; please report it)."
            )
        return listed.ties
    members = engine.options.members
    groups = sorted(outcome.alternatives)
    masks = []
    for combo in itertools.product(*(outcome.alternatives[g].tolist() for g in groups)):
        mask = outcome.mask.copy()
        for g, option in zip(groups, combo, strict=True):
            old, new = members[outcome.options[g]], members[option]
            mask[old[old >= 0]] = False
            mask[new[new >= 0]] = True
        masks.append(mask[model.x_positions])
    return tuple(masks)


def _engine_result(
    model: Model, engine: Decomposition, outcome: Outcome | None, options: Mapping[str, Any]
) -> SolveResult:
    """The decomposition's answer in the programme's terms (x columns only; see
    :func:`_with_columns`)."""
    if outcome is None:
        return SolveResult(
            SolveStatus.INFEASIBLE,
            DECOMPOSITION,
            None,
            (),
            (),
            False,
            0,
            0.0,
            0.0,
            "no delegation keeps every hard rule",
        )
    columns = np.zeros(model.n_cols)
    ties = _tie_masks(model, engine, outcome, options)
    columns[: model.n_x] = ties[0]
    return SolveResult(
        SolveStatus.OPTIMAL,
        DECOMPOSITION,
        columns,
        _stage_values(model, outcome),
        ties,
        False,
        0,
        0.0,
        0.0,
        count=outcome.n_optimal,
    )


def _counted(
    model: Model,
    engine: Decomposition,
    result: SolveResult,
    outcome: Outcome | None,
    options: Mapping[str, Any],
) -> SolveResult:
    """The programme's optimum with the decomposition's tie count and tie list, once the
    two agree on the delegation (a free cross-check of both)."""
    if result.status in (SolveStatus.TIME_LIMIT, SolveStatus.ERROR):
        return result
    if outcome is None or result.status is SolveStatus.INFEASIBLE:
        if outcome is None and result.status is SolveStatus.INFEASIBLE:
            return result
        raise VerificationError(
            f"The {result.solver} solver and the decomposition disagree on whether a "
            "delegation exists (a bug; please report it)."
        )
    winner = outcome.mask[model.x_positions]
    if not np.array_equal(result.chosen, winner) or result.stage_values != _stage_values(
        model, outcome
    ):
        raise VerificationError(
            f"The {result.solver} solver and the decomposition chose different delegations "
            "(a bug; please report it)."
        )
    ties = _tie_masks(model, engine, outcome, options)
    return dataclasses.replace(result, ties=ties, ties_capped=False, count=outcome.n_optimal)


def _with_columns(model: Model, result: SolveResult, options: Mapping[str, Any]) -> SolveResult:
    """``result`` with every column of the programme (the decomposition gives the x
    columns; the others come from a solve with those fixed)."""
    if result.solver != DECOMPOSITION or result.columns is None:
        return result
    fix = {j: int(v) for j, v in enumerate(result.chosen.tolist())}
    found = solve(
        model, solver=options["solver"], time_limit=options["time_limit"], max_ties=1, fix=fix
    )
    if found.columns is None:
        raise VerificationError("The decomposition's delegation fails the programme's rows.")
    return dataclasses.replace(result, columns=found.columns)


def select(
    candidates: pd.DataFrame,
    merit: pd.DataFrame,
    config: SelectionConfig,
    *,
    solver: str | None = None,
    seed: int | None = None,
    time_limit: float | None = None,
    constraints: Sequence[Constraint] | None = None,
    reserves: bool = True,
    n_reserves: int | None = None,
    price_of_fairness: bool = True,
    counterfactuals: bool = True,
    max_counterfactuals: int | None = None,
    explain: bool = True,
    cross_check: bool = False,
    given: Sequence[str] | None = None,
    given_reasons: Mapping[str, str] | None = None,
    given_note: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> SelectionResult:
    """Select exactly the seats of each group, best total merit under every rule.

    Parameters
    ----------
    candidates
        ``candidate_id, name, group``, optional ``project`` and ``eligible`` and attribute
        columns (the layout of :attr:`scoring.event.Event.candidates`). Not modified.
    merit
        ``candidate_id, merit`` (``NaN``: no marks, never selected), optional ``group``,
        ``merit_se`` and more columns. Not modified.
    config
        The seats, seed, solver, time limit, ``max_ties`` and the rules.
    solver, seed, time_limit
        Override the config.
    constraints
        Rule objects to use instead of ``config.constraints``.
    reserves, n_reserves
        Find substitutes and reserve lists (at most ``n_reserves`` per group).
    price_of_fairness
        Solve again without each rule: the merit each rule costs, per group.
    explain
        Confirm each candidate's reason by solving again without sets of rules (smallest
        sets first; see :mod:`selection.analysis.explain`); ``False`` leaves the reasons
        that need it empty (for runs whose ranking nobody reads).
    counterfactuals, max_counterfactuals
        Force each candidate in or out and re-optimise their group (exhaustively when the
        group is small, else one small solve each); when capped, nearest to the cut-off
        first.
    cross_check
        Solve with the other solver too; any difference raises.
    given, given_reasons, given_note
        A delegation chosen another way (candidate ids: the grey-zone lottery's draw, the
        delegation kept after a withdrawal). It is checked under every rule like a solve
        (status ``given``), and everything else (reasons, margins, reserves,
        counterfactuals, price of fairness) describes it. ``given_reasons`` sets the
        reason code of candidates by id (how the other way chose them); ``given_note``
        says in words how the delegation was chosen.
    progress
        Called as ``progress(stage, done, total)`` as the long stages advance: ``solving``,
        ``price_of_fairness`` (rule sets), ``reasons``, ``reserves`` and ``counterfactuals``
        (groups).

    Returns
    -------
    SelectionResult
        See :class:`SelectionResult`.

    Raises
    ------
    InvalidEventError
        Inputs or rules that cannot be used (every problem at once).
    SolverUnavailableError
        Unknown solver, or CBC missing.
    SolverError
        The solver failed, or reached the time limit without any delegation.
    VerificationError
        The delegation failed the solver-free re-check (or the cross-check).

    Examples
    --------
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import example_event
    >>> women = make_rule("at_least", attribute="gender", value="F", count=1,
    ...                   name="a woman per group")
    >>> result = select(*example_event(), SelectionConfig(per_group=2), constraints=[women])
    >>> result.delegation["candidate_id"].tolist(), result.objective
    (['c1', 'c2', 'c5', 'c6'], 33.0)
    """
    solver = solver or config.solver
    if solver not in CHOICES:
        raise SolverUnavailableError(f"Unknown solver '{solver}'; choose one of {list(CHOICES)}.")
    mip = "highs" if solver == AUTO else solver
    seed = config.seed if seed is None else seed
    limit = config.time_limit if time_limit is None else time_limit
    options: dict[str, Any] = {"solver": mip, "time_limit": limit, "max_ties": config.max_ties}
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock
        clock = now

    tell = progress or _no_progress
    tell("solving", 0, 1)
    pool = prepare_pool(candidates, merit, config, seed=seed)
    rules = rules_from_config(config, pool, constraints=constraints)
    model = build_model(pool, rules)
    lap("build")
    issues = presolve(pool, rules)
    lap("presolve")
    engine = Decomposition(pool, rules)
    outcome: Any = _decompose(engine, model) if given is None else _UNANSWERED
    lap("engine")
    if given is not None:
        result = _given(model, given, options)
    elif solver == AUTO and outcome is not _UNANSWERED:
        result = _engine_result(model, engine, outcome, options)
    else:
        counted = outcome is not _UNANSWERED
        result = solve(model, **(options | {"max_ties": 1} if counted else options))
        if counted:
            result = _counted(model, engine, result, outcome, options)
    timings["load"], timings["solve"] = result.load_seconds, result.seconds
    lap("solver_total")
    tell("solving", 1, 1)
    if result.status is SolveStatus.ERROR:
        raise SolverError(
            f"The {mip} solver found no delegation ({result.message}); "
            "raise the time limit or try the other solver."
        )
    infeasibility = None
    work = _Work(pool, model, result)
    if result.status is SolveStatus.INFEASIBLE:
        infeasibility = diagnose(pool, rules, **options)
        lap("diagnose")
        work = _separable(pool, rules, infeasibility, options) or work
    if work.result.status is not SolveStatus.INFEASIBLE:
        work.selection = verify(work.model, work.result, rules)
        lap("verify")
        if cross_check and given is None:
            _cross_check(work.model, work.result, solver=solver, time_limit=limit)
            lap("cross_check")
    sub, selection = work.pool, work.selection
    chosen = selection.mask if selection is not None else None
    price = pd.DataFrame(columns=list(PRICE_COLUMNS))
    if sub is not pool and chosen is not None:
        engine = Decomposition(sub, rules)
    removals = (
        Removals(sub, rules, solver=mip, time_limit=limit, engine=engine)
        if chosen is not None and (price_of_fairness or explain)
        else None
    )
    if price_of_fairness and chosen is not None:
        tell("price_of_fairness", 0, len(rules))
        price = find_price(sub, rules, chosen, removals=removals).frame
        tell("price_of_fairness", len(rules), len(rules))
        lap("price_of_fairness")
    fixed = {sub.position(i): code for i, code in (given_reasons or {}).items()}
    tell("reasons", 0, 1)
    reason, binding = reasons(sub, rules, chosen, removals if explain else None, fixed=fixed)
    if given is not None and not given_reasons:
        # A delegation the user gave was not chosen on merit under the rules, so the
        # reasons that compare with the optimum (merit, a rule, a tie) do not apply to it.
        reason, binding = _given_reasons(reason, binding)
    tell("reasons", 1, 1)
    lap("reasons")
    substitutes: dict[str, str] = {}
    changes: dict[str, Change] = {}
    reserve_list = pd.DataFrame(columns=list(RESERVE_COLUMNS))
    if reserves and selection is not None:
        replacements = Replacements(selection, rules, solver=mip, time_limit=limit, engine=engine)
        tell("reserves", 0, sub.n_groups)
        found_reserves = find_reserves(
            selection, rules, n_reserves=n_reserves, replacements=replacements
        )
        tell("reserves", sub.n_groups, sub.n_groups)
        substitutes, reserve_list = found_reserves.substitutes, found_reserves.ranked
        changes = found_reserves.changes
        lap("reserves")
    cf = None
    if counterfactuals and selection is not None:
        tell("counterfactuals", 0, sub.n_groups)
        cf = counterfactuals_from(engine, selection.mask, limit=max_counterfactuals)
        if cf is None:
            cf = find_counterfactuals(
                work.model,
                _with_columns(work.model, work.result, options),
                limit=max_counterfactuals,
                **options,
            )
        tell("counterfactuals", sub.n_groups, sub.n_groups)
        lap("counterfactuals")
    full_chosen, reason, binding, margin = _expand(pool, rules, work, reason, binding)
    ranking = ranking_frame(
        pool,
        selected=full_chosen,
        reason=reason,
        binding=binding,
        margin=margin,
        substitutes=substitutes,
        reserve_list=reserve_list,
        changes=changes,
        counterfactual=cf,
        rank=merit_rank(pool),
    )
    delegation = _delegation(ranking, pool, rules)
    table = _constraint_table(rules, selection, price)
    bends = violations_frame(check(selection, rules) if selection is not None else ())
    objective = None if chosen is None else float(sub.grid_merit[chosen].sum()) * sub.grid_step
    status = dict.fromkeys(pool.group_names, "optimal")
    if result.status is SolveStatus.INFEASIBLE:
        kept = set(sub.group_names) if selection is not None else set()
        status = {g: "optimal" if g in kept else "infeasible" for g in pool.group_names}
    elif result.status is not SolveStatus.OPTIMAL:
        status = dict.fromkeys(pool.group_names, str(result.status.value))
    lap("extract")
    return SelectionResult(
        status=result.status,
        objective=objective,
        delegation=delegation,
        ranking=ranking,
        # The count of the groups that have a delegation (the feasible ones when others are
        # infeasible on their own), as the objective beside it.
        n_optimal=work.result.n_optimal if chosen is not None else result.n_optimal,
        ties_capped=work.result.ties_capped if chosen is not None else result.ties_capped,
        ties=_ties(work.model, work.result) if chosen is not None else _ties(model, None),
        group_status=status,
        constraints=table,
        bends=bends,
        price_of_fairness=price,
        reserves=reserve_list,
        infeasibility=infeasibility,
        presolve=issues,
        seed=seed,
        solver=result.solver,
        grid_step=pool.grid_step,
        message=_message(
            result,
            pool,
            objective,
            infeasibility,
            given_note,
            status,
            kept=work.result if chosen is not None else None,
        ),
        timings=timings,
    )


_OF_THE_OPTIMUM = frozenset(
    f"{side}.{why}"
    for side in ("selected", "not_selected")
    for why in ("merit", "rule", "rules", "tie_break")
)
"""Reason codes that compare a candidate with the optimum under the rules."""


def _given_reasons(reason: Sequence[str], binding: Sequence[str]) -> tuple[list[str], list[str]]:
    """``reason`` and ``binding`` for a delegation the user gave: each reason that compares
    with the optimum becomes ``selected.given`` / ``not_selected.given`` (and names no rule);
    the others (required, excluded, below the minimum merit, infeasible) stay."""
    codes, rules = list(reason), list(binding)
    for k, code in enumerate(codes):
        if code in _OF_THE_OPTIMUM:
            codes[k] = code.split(".")[0] + ".given"
            rules[k] = ""
    return codes, rules


def _no_progress(stage: str, done: int, total: int) -> None:
    """Report no progress (``select`` without a ``progress`` callback)."""


@dataclass
class _Work:
    """The pool a delegation is found and explained on: the event, or the groups left
    when others are infeasible on their own."""

    pool: Pool
    model: Model
    result: SolveResult
    selection: Selection | None = None


def _separable(
    pool: Pool,
    rules: Sequence[Constraint],
    infeasibility: Infeasibility,
    options: Mapping[str, Any],
) -> _Work | None:
    """The other groups' problem when the conflicts sit in groups of their own.

    Only when every conflict is local to a group and no delegation-wide rule involves
    those groups; ``None`` otherwise (or when the other groups are infeasible too).
    """
    blocked = {c.group for c in infeasibility.conflicts}
    if not blocked or "*" in blocked:
        return None
    if any(r.couples_groups and r.involves(g) for r in rules for g in blocked):
        return None
    others = [k for k, g in enumerate(pool.group_names) if g not in blocked]
    if not others:
        return None
    sub = pool.subset(others)
    model = build_model(sub, rules)
    result = solve(model, **options)
    return None if result.columns is None else _Work(sub, model, result)


def _expand(
    pool: Pool,
    rules: Sequence[Constraint],
    work: _Work,
    reason: list[str],
    binding: list[str],
) -> tuple[np.ndarray | None, list[str], list[str], np.ndarray | None]:
    """Per-candidate answers of the working pool, laid out over the whole event."""
    chosen = work.selection.mask if work.selection is not None else None
    if work.pool is pool:
        return chosen, reason, binding, None if chosen is None else margins(pool, chosen)
    assert chosen is not None  # a sub-problem is only kept when it has a delegation
    kept = [k for k, g in enumerate(pool.group_names) if g in set(work.pool.group_names)]
    inside = np.flatnonzero(np.isin(pool.group_code, kept))
    full_reason, _ = reasons(pool, rules, None, None)
    full_binding = [""] * pool.n_candidates
    full_chosen = np.zeros(pool.n_candidates, dtype=bool)
    full_margin = np.full(pool.n_candidates, np.nan)
    sub_margin = margins(work.pool, chosen)
    for k, p in enumerate(inside.tolist()):
        full_reason[p], full_binding[p] = reason[k], binding[k]
        full_chosen[p], full_margin[p] = chosen[k], sub_margin[k]
    return full_chosen, full_reason, full_binding, full_margin


def _given(model: Model, ids: Sequence[str], options: Mapping[str, Any]) -> SolveResult:
    """The solve of a given delegation: every x column fixed, then checked like any solve."""
    pool = model.pool
    positions = {pool.position(i) for i in ids}
    unknown = sorted(
        i for i in ids if pool.position(i) < 0 or not pool.selectable[pool.position(i)]
    )
    if unknown:
        raise VerificationError(
            f"The given delegation holds {unknown}, who are not candidates who can be selected."
        )
    fix = {j: int(p in positions) for j, p in enumerate(model.x_positions.tolist())}
    result = solve(
        model, solver=options["solver"], time_limit=options["time_limit"], max_ties=1, fix=fix
    )
    if result.columns is None:
        raise VerificationError(
            f"The given delegation {sorted(ids)} breaks a hard rule (status {result.status})."
        )
    return dataclasses.replace(result, status=SolveStatus.GIVEN)


def _message(
    result: SolveResult,
    pool: Pool,
    objective: float | None,
    infeasibility: Infeasibility | None,
    given_note: str = "",
    group_status: Mapping[str, str] | None = None,
    kept: SolveResult | None = None,
) -> str:
    if infeasibility is not None:
        done = sorted(g for g, state in (group_status or {}).items() if state == "optimal")
        if done:
            # ``kept``: the solve of the groups that have their representatives.
            n_optimal = kept.n_optimal if kept is not None else 1
            capped = kept is not None and kept.ties_capped
            ties = (
                f"; {n_optimal}{'+' if capped else ''} optimal delegations of them tie (the "
                "seeded lottery decided)"
                if n_optimal > 1 or capped
                else ""
            )
            return (
                infeasibility.describe()
                + f"\nThe other groups have their representatives ({', '.join(done)}): no "
                f"delegation-wide rule involves the groups in conflict{ties}."
            )
        return infeasibility.describe()
    if result.status is SolveStatus.GIVEN:
        return (
            f"{given_note or 'A given delegation'}: {pool.n_seats} representatives in "
            f"{pool.n_groups} group(s), total merit {objective:.6g}."
        )
    ties = (
        "the optimum is unique"
        if result.n_optimal == 1 and not result.ties_capped
        else f"{result.n_optimal}{'+' if result.ties_capped else ''} optimal delegations tie"
    )
    head = {
        SolveStatus.OPTIMAL: "Optimal delegation",
        SolveStatus.TIME_LIMIT: "Time limit reached; best delegation found (not proven optimal)",
    }
    return (
        f"{head.get(result.status, str(result.status))}: {pool.n_seats} representatives in "
        f"{pool.n_groups} group(s), total merit {objective:.6g}; {ties}"
        + (" (the seeded lottery decided)." if result.n_optimal > 1 else ".")
    )
