"""The solve facade: status mapping, silence, both solvers, exact tie-breaking, time limits."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pulp
import pytest

from scoring.config import SelectionConfig
from scoring.errors import SolverError, SolverUnavailableError
from selection import columns as col
from selection.facade import select
from selection.model import solve as solve_module
from selection.model.constraints import AtLeast, seats_rule
from selection.model.pool import prepare_pool
from selection.model.program import Model, build_model
from selection.model.solve import (
    SolveStatus,
    _highs_status,
    _pulp_status,
    _tie_winner,
    solve,
    to_pulp,
)
from tests.paths import ROOT

SOLVERS = ["highs", "cbc"]


def _model(merits: list[float], per_group: int = 2, **extra: Any) -> Model:
    n = len(merits)
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: [f"c{i}" for i in range(n)],
            col.NAME: [f"N{i}" for i in range(n)],
            col.GROUP: ["G"] * n,
            "gender": ["F" if i % 2 else "M" for i in range(n)],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: candidates[col.CANDIDATE_ID], col.MERIT: merits})
    config = SelectionConfig(per_group=per_group, **extra)
    pool = prepare_pool(candidates, merit, config)
    return build_model(pool, [seats_rule(config)])


@pytest.mark.parametrize(
    ("name", "has_solution", "status"),
    [
        ("kOptimal", True, SolveStatus.OPTIMAL),
        ("kOptimal", False, SolveStatus.ERROR),
        ("kInfeasible", False, SolveStatus.INFEASIBLE),
        ("kUnboundedOrInfeasible", False, SolveStatus.INFEASIBLE),
        ("kTimeLimit", True, SolveStatus.TIME_LIMIT),
        ("kTimeLimit", False, SolveStatus.ERROR),
        ("kInterrupt", True, SolveStatus.TIME_LIMIT),
        ("kSolveError", False, SolveStatus.ERROR),
    ],
)
def test_highs_status_mapping(name: str, has_solution: bool, status: SolveStatus) -> None:
    assert _highs_status(name, has_solution) is status


@pytest.mark.parametrize(
    ("status", "sol_status", "expected"),
    [
        (pulp.LpStatusOptimal, pulp.LpSolutionOptimal, SolveStatus.OPTIMAL),
        # PuLP says "Optimal" after CBC's time limit; only sol_status tells.
        (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible, SolveStatus.TIME_LIMIT),
        (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound, SolveStatus.ERROR),
        (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible, SolveStatus.INFEASIBLE),
        (pulp.LpStatusUndefined, pulp.LpSolutionNoSolutionFound, SolveStatus.ERROR),
    ],
)
def test_pulp_status_mapping(status: int, sol_status: int, expected: SolveStatus) -> None:
    assert _pulp_status(status, sol_status) is expected


def test_highs_banner_is_silenced() -> None:
    code = (
        "from tests.selection.model.test_solve import _model; "
        "from selection.model.solve import solve; solve(_model([3.0, 2.0, 1.0]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout == ""


@pytest.mark.parametrize("solver", SOLVERS)
def test_both_solvers_find_the_optimum_and_count_ties(solver: str) -> None:
    # Merits 4, 3, 3, 1 with 2 seats: c0 plus one of the two 3s; two optimal delegations.
    result = solve(_model([4.0, 3.0, 3.0, 1.0]), solver=solver)
    assert result.status is SolveStatus.OPTIMAL
    assert result.n_optimal == 2 and not result.ties_capped
    assert result.chosen.sum() == 2 and result.chosen[0]
    assert result.stage_values == (5_000_000,)  # (4 - 1) + (3 - 1) on the grid, minus the lowest


def test_the_winner_does_not_depend_on_the_solver_or_the_cap() -> None:
    # Ten equal merits, three seats: 120 optimal delegations. With the cap reached the
    # lottery stage must pick the same winner as complete enumeration would.
    model = _model([1.0] * 10, per_group=3)
    winners = {
        tuple(solve(model, solver=s, max_ties=cap).chosen.tolist())
        for s in SOLVERS
        for cap in (1, 5)
    }
    assert len(winners) == 1
    best = np.argsort(-model.key)[:3]  # largest lottery weights
    assert sorted(np.flatnonzero(next(iter(winners))).tolist()) == sorted(best.tolist())
    capped = solve(model, max_ties=5)
    assert capped.n_optimal == 5 and capped.ties_capped


def test_tie_winner_uses_the_sum_then_the_best_differing_lottery_position() -> None:
    key = np.array([10, 9, 8, 7, 1])
    a = np.array([1, 0, 0, 1, 0], bool)  # weights 10 + 7 = 17
    b = np.array([0, 1, 1, 0, 0], bool)  # 9 + 8 = 17: equal sums, a holds the best (10)
    c = np.array([0, 1, 0, 0, 1], bool)  # 9 + 1 = 10
    assert _tie_winner([b, c, a], key) == 2


def test_infeasible_and_empty_models() -> None:
    assert solve(_model([1.0], per_group=2)).status is SolveStatus.INFEASIBLE
    assert solve(_model([1.0], per_group=2), solver="cbc").status is SolveStatus.INFEASIBLE
    empty = _model([np.nan, np.nan], per_group=1)  # nobody has marks: no columns at all
    assert empty.n_cols == 0
    assert solve(empty).status is SolveStatus.INFEASIBLE
    nobody = _model([np.nan], per_group=1, seats={"G": 0})  # no seats, no columns
    assert solve(nobody).status is SolveStatus.OPTIMAL


def test_fixing_a_column_forces_it() -> None:
    result = solve(_model([4.0, 3.0, 2.0]), fix={0: 0})
    assert result.chosen.tolist() == [False, True, True]


class _Stub:
    """A backend that answers every run with a fixed status."""

    def __init__(self, status: SolveStatus, values: np.ndarray | None) -> None:
        self.status, self.values = status, values

    def set_objective(self, costs: np.ndarray) -> None: ...

    def add_row(self, *args: Any) -> int:
        return 0

    def remove_rows(self, handles: list[int]) -> None: ...

    def run(self, time_limit: float) -> tuple[SolveStatus, np.ndarray | None]:
        return self.status, self.values


def test_time_limit_with_an_incumbent_is_reported_not_trusted(monkeypatch: Any) -> None:
    model = _model([4.0, 3.0, 2.0])
    stub = _Stub(SolveStatus.TIME_LIMIT, np.array([1.0, 0.0, 1.0]))
    monkeypatch.setattr(solve_module, "_backend", lambda *a: stub)
    result = solve(model)
    assert result.status is SolveStatus.TIME_LIMIT and result.ties_capped
    assert result.chosen.tolist() == [True, False, True]


def test_time_limit_without_a_delegation_is_an_error(monkeypatch: Any) -> None:
    monkeypatch.setattr(solve_module, "_backend", lambda *a: _Stub(SolveStatus.ERROR, None))
    assert solve(_model([4.0, 3.0, 2.0])).status is SolveStatus.ERROR
    candidates = pd.DataFrame(
        {col.CANDIDATE_ID: ["a", "b"], col.NAME: ["A", "B"], col.GROUP: ["G", "G"]}
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ["a", "b"], col.MERIT: [1.0, 2.0]})
    with pytest.raises(SolverError, match="found no delegation"):
        select(candidates, merit, SelectionConfig(per_group=1), solver="highs")


def test_real_time_limit_never_passes_as_optimal() -> None:
    # A hard enough model with a tiny limit: whatever HiGHS manages, it is not "optimal"
    # unless it proved it; an incumbent is time_limit, nothing is an error.
    rng = np.random.default_rng(0)
    n = 3000
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: [f"c{i:05d}" for i in range(n)],
            col.NAME: "x",
            col.GROUP: [f"g{i // 30}" for i in range(n)],
            "gender": rng.choice(["F", "M"], n),
        }
    )
    merit = pd.DataFrame(
        {col.CANDIDATE_ID: candidates[col.CANDIDATE_ID], col.MERIT: rng.normal(size=n)}
    )
    config = SelectionConfig()
    pool = prepare_pool(candidates, merit, config)
    rules = [
        seats_rule(config),
        AtLeast(attribute="gender", value="F", share=0.6, scope="all"),
    ]
    result = solve(build_model(pool, rules), time_limit=0.01)
    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT, SolveStatus.ERROR)
    if result.status is not SolveStatus.OPTIMAL:
        assert result.ties_capped or result.columns is None


def test_unknown_solver() -> None:
    with pytest.raises(SolverUnavailableError, match="Unknown solver 'gurobi'"):
        solve(_model([1.0, 2.0]), solver="gurobi")


def test_lp_export_is_byte_stable_and_names_are_indexes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.lp", tmp_path / "b.lp"
    to_pulp(_model([3.0, 1.0, 2.0]))[0].writeLP(str(a))
    to_pulp(_model([3.0, 1.0, 2.0]))[0].writeLP(str(b))
    assert a.read_bytes() == b.read_bytes()
    assert "N0" not in a.read_text() and "x_000002" in a.read_text()


def test_cross_check_solves_with_both_solvers() -> None:
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ["a", "b", "c"],
            col.NAME: ["A", "B", "C"],
            col.GROUP: ["G"] * 3,
            "gender": ["F", "M", "M"],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ["a", "b", "c"], col.MERIT: [1.0, 3.0, 2.0]})
    config = SelectionConfig.model_validate(
        {
            "per_group": 2,
            "constraints": [{"kind": "at_least", "attribute": "gender", "value": "F", "count": 1}],
        }
    )
    result = select(candidates, merit, config, cross_check=True)
    assert result.delegation[col.CANDIDATE_ID].tolist() == ["b", "a"]
    assert "cross_check" in result.timings
    with pytest.raises(SolverUnavailableError):
        select(candidates, merit, config, solver="glpk")


def test_select_reports_a_time_limited_delegation(monkeypatch: Any) -> None:
    # The incumbent is still re-checked; its status says it is not proven optimal.
    facade = importlib.import_module("selection.facade")  # the package exports select()

    candidates = pd.DataFrame(
        {col.CANDIDATE_ID: ["a", "b", "c"], col.NAME: ["A", "B", "C"], col.GROUP: ["G"] * 3}
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ["a", "b", "c"], col.MERIT: [1.0, 3.0, 2.0]})
    real = facade.solve

    def stopped(model: Model, **options: Any) -> Any:
        found = real(model, **options)
        return found.__class__(
            SolveStatus.TIME_LIMIT,
            found.solver,
            found.columns,
            found.stage_values,
            found.ties,
            True,
            found.n_solves,
            found.seconds,
            found.load_seconds,
            "time limit",
        )

    monkeypatch.setattr(facade, "solve", stopped)
    result = select(
        candidates,
        merit,
        SelectionConfig(per_group=2),
        solver="highs",
        price_of_fairness=False,
        counterfactuals=False,
    )
    assert result.status is SolveStatus.TIME_LIMIT
    assert result.message.startswith("Time limit reached")
    assert result.delegation[col.CANDIDATE_ID].tolist() == ["b", "c"]
