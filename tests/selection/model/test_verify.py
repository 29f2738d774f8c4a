"""Solver-free checks, verification of solver results, presolve issues, infeasibility.

The infeasibility diagnosis lives in :mod:`selection.analysis.fairness` (it re-solves without rules,
like the price of fairness) but is tested here, with the other checks of the issue's
"verification, infeasibility" part.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scoring.config import SelectionConfig
from selection import columns as col
from selection.analysis.fairness import diagnose
from selection.model.constraints import (
    AtLeast,
    AtMost,
    Exclude,
    MaxPer,
    MinMerit,
    Require,
    Seats,
    seats_rule,
)
from selection.model.pool import Pool, prepare_pool
from selection.model.program import build_model
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SolveStatus, solve
from selection.model.verify import (
    VerificationError,
    check,
    never_selectable,
    presolve,
    stage_values,
    verify,
)


def _pool(groups: dict[str, list[tuple[str, float]]], per_group: int = 2, **config: Any) -> Pool:
    """``groups``: group -> [(gender, merit)], ids c0, c1, ... in order."""
    rows = [(g, gender, merit) for g, people in groups.items() for gender, merit in people]
    ids = [f"c{i}" for i in range(len(rows))]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: [f"N{i}" for i in ids],
            col.GROUP: [r[0] for r in rows],
            "gender": [r[1] for r in rows],
            "project": [f"P{i // 2}" for i in range(len(rows))],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: [r[2] for r in rows]})
    return prepare_pool(candidates, merit, SelectionConfig(per_group=per_group, **config))


AFRICA = {"Africa": [("F", 5.0), ("M", 6.0), ("M", 7.0), ("M", 8.0)]}


def test_check_reports_ineligible_representatives_and_broken_rules() -> None:
    pool = _pool({"G": [("F", 1.0), ("M", np.nan), ("M", 3.0)]})
    found = check(
        Selection.from_ids(pool, ["c1", "c2"]),
        [Seats(per_group=2), AtLeast(attribute="gender", value="F", count=1, name="1 F")],
    )
    assert [(v.rule, v.value) for v in found] == [("eligibility", "c1"), ("1 F", "")]
    assert "has no marks" in found[0].message


def test_verify_accepts_the_solver_result_and_recomputes_its_objective() -> None:
    pool = _pool(AFRICA)
    rules = [Seats(), AtLeast(attribute="gender", value="F", count=1, soft=True)]
    model = build_model(pool, rules)
    result = solve(model)
    selection = verify(model, result, rules)
    assert selection.ids() == ["c0", "c3"]  # the woman is needed: priority before merit
    assert stage_values(model, selection, check(selection, rules), rules) == result.stage_values


def test_verify_rejects_a_delegation_breaking_a_hard_rule() -> None:
    pool = _pool(AFRICA)
    rules = [Seats(), AtLeast(attribute="gender", value="F", count=1)]
    model = build_model(pool, rules)
    result = solve(model)
    forged = dataclasses.replace(result, ties=(np.array([False, False, True, True]),))
    with pytest.raises(VerificationError, match="breaks rules"):
        verify(model, forged, rules)


def test_verify_rejects_an_objective_the_count_does_not_confirm() -> None:
    pool = _pool(AFRICA)
    rules = [Seats()]
    model = build_model(pool, rules)
    result = solve(model)
    forged = dataclasses.replace(result, stage_values=(result.stage_values[0] + 1,))
    with pytest.raises(VerificationError, match="Objective mismatch"):
        verify(model, forged, rules)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (AtLeast(attribute="gender", value="F", count=2), "selection.min_unavailable"),
        (AtLeast(attribute="gender", value="M", count=4), "selection.min_exceeds_seats"),
        (AtMost(attribute="gender", value="M", count=0), "selection.capacity"),
        (MaxPer(attribute="gender"), "selection.capacity"),
        (MinMerit(merit=7.5), "selection.capacity"),
        (Exclude(ids=("c0", "c1", "c2")), "selection.capacity"),
        (Require(ids=("c0", "c1", "c2", "c3")), "selection.min_exceeds_seats"),
    ],
)
def test_presolve_tells_shortfalls_from_counts(rule: Constraint, code: str) -> None:
    # Africa: 1 woman, 3 men (merits 5..8), two projects, three seats.
    pool = _pool(AFRICA, per_group=3)
    issues = presolve(pool, [Seats(), rule])
    assert code in [i.code for i in issues]
    assert all(i.severity == "error" for i in issues if i.code == code)
    soft = presolve(pool, [Seats(), dataclasses.replace(rule, soft=True)])
    assert all(i.severity == "warning" for i in soft if i.code == code)


def test_presolve_counts_seats_quotas_and_the_never_selectable() -> None:
    pool = _pool(
        {"A": [("F", 1.0), ("M", np.nan)], "B": [("F", 1.0), ("M", 2.0), ("F", 3.0)]},
        per_group=3,
        seats={"B": 3, "Z": 1},
    )
    rules = [
        Seats(per_group=3, overrides=(("B", 3), ("Z", 1))),
        AtLeast(attribute="gender", value="F", count=2, name="2 F"),
        AtLeast(attribute="gender", value="M", count=2, name="2 M"),
        AtMost(attribute="gender", value="F", count=1, name="1 F at most"),
        Require(ids=("c1",)),
        Exclude(ids=("c1",)),
    ]
    codes = {i.code for i in presolve(pool, rules)}
    assert {
        "selection.too_few_eligible",
        "selection.quota_sum",
        "selection.quota_conflict",
        "selection.require_unselectable",
        "selection.require_excluded",
        "selection.never_selectable",
        "selection.unknown_group",
    } <= codes
    assert never_selectable(pool, rules) == {1: "no marks"}


def test_single_rule_conflict_in_domain_words() -> None:
    pool = _pool(AFRICA, per_group=3)
    rules = [
        Seats(per_group=3),
        AtLeast(attribute="gender", value="F", count=2, name="at least 2 women per group"),
    ]
    found = diagnose(pool, rules)
    assert [(c.group, c.rules) for c in found.conflicts] == [
        ("Africa", ("at least 2 women per group",))
    ]
    assert found.conflicts[0].message == (
        "group Africa has 1 eligible candidate with gender = F but "
        "'at least 2 women per group' requires at least 2."
    )
    assert found.relaxation[[col.RULE, col.GROUP, col.BENT_BY]].values.tolist() == [
        ["at least 2 women per group", "Africa", 1]
    ]
    assert found.relaxed_objective == pytest.approx(5 + 7 + 8)
    json.dumps(found.to_dict())


def test_quotas_that_cannot_add_up_need_the_seats_rule_too() -> None:
    pool = _pool({"Asia": [("F", 1.0), ("F", 2.0), ("M", 3.0), ("M", 4.0)]}, per_group=3)
    rules = [
        Seats(per_group=3),
        AtLeast(attribute="gender", value="F", count=2, name="2 women"),
        AtLeast(attribute="gender", value="M", count=2, name="2 men"),
    ]
    conflict = diagnose(pool, rules).conflicts[0]
    assert set(conflict.rules) == {"exactly 3 representatives per group", "2 women", "2 men"}
    assert conflict.message.startswith("In group Asia these rules cannot all hold:")


def test_relaxation_bends_the_lower_priority_rule() -> None:
    # Two seats; "2 women" (priority 5) against "no women" (priority 1): bend "no women".
    pool = _pool({"G": [("F", 1.0), ("F", 2.0), ("M", 3.0)]})
    rules = [
        Seats(),
        AtLeast(attribute="gender", value="F", count=2, priority=5, name="2 women"),
        AtMost(attribute="gender", value="F", count=0, priority=1, name="no women"),
    ]
    found = diagnose(pool, rules)
    assert found.relaxation[col.RULE].tolist() == ["no women"]
    assert set(found.conflicts[0].rules) == {"2 women", "no women"}
    assert "bend 'no women' by 2 in group G" in found.describe()


def test_delegation_wide_conflict_is_stated_for_the_whole_event() -> None:
    pool = _pool({"A": [("F", 1.0), ("M", 2.0)], "B": [("F", 1.0), ("M", 2.0)]}, per_group=1)
    rules = [
        Seats(per_group=1),
        AtLeast(attribute="gender", value="F", count=2, scope="all", name="2 women"),
        AtLeast(attribute="gender", value="M", count=1, scope="all", name="a man"),
    ]
    conflict = diagnose(pool, rules).conflicts[0]
    assert conflict.group == "*" and set(conflict.rules) == {
        "exactly 1 representative per group",
        "2 women",
        "a man",
    }
    assert rules[1].facts(pool, -1) == (
        "2 eligible candidates with gender = F",
        "requires at least 2",
    )


def test_a_counting_bug_in_the_model_is_caught_by_the_independent_recount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Plant a bug in what the rule counts (the code the model rows are built from): women
    # with the best merit are not counted. The model then thinks "a woman per group" holds
    # without them, the solver picks by merit, and only the independent recount, which
    # shares no code with the counts, can tell.
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ["a", "b", "c"],
            col.NAME: ["A", "B", "C"],
            col.GROUP: ["G"] * 3,
            "gender": ["M", "M", "F"],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ["a", "b", "c"], col.MERIT: [3.0, 2.0, 1.0]})
    config = SelectionConfig(per_group=2)
    pool = prepare_pool(candidates, merit, config)
    rules = [seats_rule(config), AtLeast(attribute="gender", value="F", count=1)]
    honest = build_model(pool, rules)
    assert verify(honest, solve(honest), rules).ids() == ["a", "c"]

    real = AtLeast._compute

    def undercount(self: AtLeast, pool: Pool) -> Any:
        counts = real(self, pool)
        return dataclasses.replace(
            counts, member=np.zeros_like(counts.member), lower=counts.lower * 0
        )

    monkeypatch.setattr(AtLeast, "_compute", undercount)
    pool = prepare_pool(candidates, merit, config)  # a new pool: counts are cached per pool
    buggy = build_model(pool, rules)
    result = solve(buggy)
    assert result.status is SolveStatus.OPTIMAL  # the solver is happy with the wrong model
    with pytest.raises(VerificationError, match="breaks rules it was given"):
        verify(buggy, result, rules)
