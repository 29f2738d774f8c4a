"""Rules: the contract every kind honours, then hand-checked cases per kind."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.config import CONSTRAINT_SPECS, SelectionConfig, config_from_mapping, constraint_spec
from scoring.errors import InvalidEventError
from selection import columns as col
from selection.facade import rules_from_config
from selection.model.constraints import (
    CONSTRAINTS,
    AtLeast,
    AtLeastEach,
    AtMost,
    Distinct,
    Exclude,
    MaxPer,
    MinMerit,
    Require,
    Seats,
    rule_from_spec,
    seats_rule,
)
from selection.model.pool import Pool, prepare_pool
from selection.model.program import build_model
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SolveStatus, solve
from selection.model.verify import check
from tests.selection.test_properties import Event, events, rule_spec

ROW_NAME = re.compile(r"^r\d{3}_[a-z_]+?(_g\d{4}|_all)(_v\d{4})?(_c\d{6})?(_link)?$")
COL_NAME = re.compile(r"^(x_\d{6}|y_r\d{3}_(g\d{4}|all)_v\d{4}|s_r\d{3}_[a-z0-9_]+_(lo|hi))$")


def _pool(event: Event) -> Pool:
    return prepare_pool(event.candidates, event.merit, event.config)


@st.composite
def _rule_and_delegation(draw: Any, kind: str) -> tuple[Pool, Constraint, np.ndarray]:
    event = draw(events(max_rules=0))
    groups = sorted(set(event.candidates[col.GROUP]))
    spec = rule_spec(
        draw, groups=groups, ids=event.candidates[col.CANDIDATE_ID].tolist(), soft=False, kind=kind
    )
    rule = rule_from_spec(constraint_spec(spec))
    pool = _pool(event)
    chosen = np.array(
        draw(st.lists(st.booleans(), min_size=pool.n_candidates, max_size=pool.n_candidates)),
        dtype=bool,
    )
    return pool, rule, chosen & pool.selectable


@pytest.mark.parametrize("kind", [*sorted(CONSTRAINTS), "seats"])
@settings(
    max_examples=max(10, settings().max_examples // 4), suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_every_kind_honours_the_contract(kind: str, data: st.DataObject) -> None:
    # For every kind: a plain description, index-only names, and a solver-free check that
    # agrees with the model on an arbitrary delegation: with the delegation fixed and every
    # rule elastic, the least slack the model needs per rule equals what check() counts.
    rules: list[Constraint]
    if kind == "seats":
        event = data.draw(events(max_rules=0))
        pool = _pool(event)
        rules = [seats_rule(event.config)]
        chosen = np.array(
            data.draw(
                st.lists(st.booleans(), min_size=pool.n_candidates, max_size=pool.n_candidates)
            ),
            dtype=bool,
        )
        chosen &= pool.selectable
    else:
        pool, rule, chosen = data.draw(_rule_and_delegation(kind))
        rules = [Seats(), rule]  # the seats rows follow the pool's seats
    assert all(r.describe() and isinstance(r.describe(), str) for r in rules)
    model = build_model(pool, rules, relax=True)
    assert all(ROW_NAME.match(n) for n in model.row_names()), model.row_names()
    assert all(COL_NAME.match(n) for n in model.col_names()), model.col_names()
    fix = {j: int(chosen[p]) for j, p in enumerate(model.x_positions.tolist())}
    result = solve(model, fix=fix, max_ties=1)
    assert result.status is SolveStatus.OPTIMAL
    counted = check(Selection.from_mask(pool, chosen), rules)
    bent = [sum(v.bent_by for v in counted if v.rule == r.label) for r in rules]
    levels = dict(zip([s.name for s in model.stages], result.stage_values, strict=True))
    assert -levels["seats priority 0"] == bent[0]
    if len(rules) > 1:
        assert -levels[f"rules priority {rules[1].priority}"] == bent[1]


def _frame(**columns: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(columns["merit"])
    ids = [f"c{i}" for i in range(n)]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: [f"N{i}" for i in range(n)],
            col.GROUP: columns.get("group", ["G"] * n),
        }
    )
    for name, values in columns.items():
        if name not in ("merit", "group"):
            candidates[name] = pd.Series(values, dtype="str")
    return candidates, pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: columns["merit"]})


def _violations(rule: Constraint, chosen: list[str], per_group: int = 3, **columns: Any) -> Any:
    candidates, merit = _frame(**columns)
    pool = prepare_pool(candidates, merit, SelectionConfig(per_group=per_group))
    return rule.violations(Selection.from_ids(pool, chosen))


def test_at_least_counts_only_matching_values_and_never_missing_ones() -> None:
    # c0 F, c1 missing, c2 M: one woman among the three; "at least 2 F" is short by 1.
    found = _violations(
        AtLeast(attribute="gender", value="F", count=2),
        ["c0", "c1", "c2"],
        gender=["F", None, "M"],
        merit=[1.0, 2.0, 3.0],
    )
    assert [(v.group, v.actual, v.bent_by, v.required) for v in found] == [
        ("G", 1, 1, "at least 2")
    ]
    assert "group G has 1 representative with gender = F" in found[0].message


def test_share_is_exact_fraction_of_seats() -> None:
    # 45% of 20 seats is exactly 9 (float 0.45 * 20 = 9.000000000000002 must not become 10);
    # at most 50% of 3 seats is 1 (rounded down).
    candidates, merit = _frame(
        merit=[1.0] * 40, group=[f"G{i % 20}" for i in range(40)], gender=["F"] * 40
    )
    pool = prepare_pool(candidates, merit, SelectionConfig(per_group=1))
    rule = AtLeast(attribute="gender", value="F", share=0.45, scope="all")
    assert rule.counts(pool).lower.tolist() == [9.0]
    pool3 = prepare_pool(*_frame(merit=[1.0] * 3, gender=["F"] * 3), SelectionConfig())
    assert AtMost(attribute="gender", value="F", share=0.5).counts(pool3).upper.tolist() == [1.0]


def test_if_available_lowers_the_minimum_to_what_the_group_has() -> None:
    # Group G has one eligible woman: "at least 2 F (if available)" asks for 1 there.
    candidates, merit = _frame(merit=[1.0, 2.0, 3.0, 4.0], gender=["F", "M", "M", "M"])
    pool = prepare_pool(candidates, merit, SelectionConfig())
    rule = AtLeast(attribute="gender", value="F", count=2, if_available=True)
    assert rule.counts(pool).lower.tolist() == [1.0]
    assert "(or as many as available)" in rule.describe()


def test_max_per_reports_each_value_over_its_limit() -> None:
    found = _violations(
        MaxPer(attribute="project", name="one per project"),
        ["c0", "c1", "c2"],
        project=["P", "P", None],
        merit=[1.0, 2.0, 3.0],
    )
    assert [(v.value, v.actual, v.bent_by) for v in found] == [("P", 2, 1)]


def test_distinct_counts_different_values_ignoring_missing() -> None:
    found = _violations(
        Distinct(attribute="country", min=3),
        ["c0", "c1", "c2"],
        country=["A", "A", None],
        merit=[1.0, 2.0, 3.0],
    )
    assert [(v.actual, v.bent_by, v.required) for v in found] == [(1, 2, "at least 3")]


def test_require_exclude_and_min_merit() -> None:
    columns = {"merit": [1.0, 5.0, 6.0]}
    assert [v.value for v in _violations(Require(ids=("c0",)), ["c1", "c2"], 2, **columns)] == [
        "c0"
    ]
    assert [v.value for v in _violations(Exclude(ids=("c1",)), ["c1", "c2"], 2, **columns)] == [
        "c1"
    ]
    found = _violations(MinMerit(merit=2.0), ["c0", "c1"], 2, **columns)
    assert [(v.actual, v.bent_by) for v in found] == [(1, 1)]


def test_scope_all_restricted_to_groups_counts_and_seats_only_those_groups() -> None:
    candidates, merit = _frame(
        merit=[1.0] * 4, group=["A", "A", "B", "B"], gender=["F", "M", "F", "M"]
    )
    pool = prepare_pool(candidates, merit, SelectionConfig(per_group=2, seats={"B": 1}))
    rule = AtLeast(attribute="gender", value="F", share=1.0, scope="all", groups=("B",))
    assert rule.counts(pool).lower.tolist() == [1.0]  # all of B's single seat
    assert rule.violations(Selection.from_ids(pool, ["c0", "c1", "c3"]))[0].actual == 0


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            AtLeast(attribute="gender", value="F", count=1),
            "at least 1 representative with gender = F in each group",
        ),
        (
            AtMost(attribute="gender", values=("F", "X"), count=2, scope="all"),
            "at most 2 representatives with gender in {F, X} in the delegation",
        ),
        (MaxPer(attribute="project"), "at most 1 representative per project value in each group"),
        (
            Distinct(attribute="country", min=2, groups=("Asia",)),
            "at least 2 different country values in each group (groups Asia)",
        ),
        (Require(ids=("c1",)), "c1 must be selected"),
        (Exclude(ids=("c1", "c2")), "c1, c2 must not be selected"),
        (
            MinMerit(merit=4.5, scope="all"),
            "no representative with merit below 4.5 in the delegation",
        ),
        (Seats(per_group=3), "exactly 3 representatives per group"),
    ],
)
def test_describe(rule: Constraint, text: str) -> None:
    assert rule.describe() == text
    assert rule.label == text
    assert dataclasses.replace(rule, name="short").label == "short"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (AtLeast(attribute="hair", value="red", count=1), "attribute 'hair' is not a candidate"),
        (Require(ids=("nobody",)), "unknown: ['nobody']"),
        (MaxPer(attribute="gender", groups=("Mars",)), "unknown group(s) ['Mars']"),
        (Seats(overrides=(("G", -1),)), "seats cannot be soft or negative"),
    ],
)
def test_data_problems_are_reported(rule: Constraint, problem: str) -> None:
    pool = prepare_pool(*_frame(merit=[1.0], gender=["F"]), SelectionConfig())
    assert any(problem in p for p in rule.problems(pool)), rule.problems(pool)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: AtLeast(attribute="gender", count=1), "exactly one of 'value' and 'values'"),
        (lambda: AtLeast(attribute="gender", value="F", count=1, share=0.5), "of 'count'"),
        (lambda: Distinct(min=2), "attribute"),
        (lambda: MinMerit(), "merit"),
        (lambda: MaxPer(attribute="gender", penalty=1.0), "'penalty' only applies to soft"),
        (lambda: MaxPer(attribute="gender", soft=True, penalty=1.0, priority=2), "either a"),
        (lambda: AtLeastEach(attribute="country"), "values"),
    ],
)
def test_rules_built_in_python_are_checked_like_the_toml(build: Any, problem: str) -> None:
    # The rule objects validate their keys with the same spec models as event.toml.
    with pytest.raises(InvalidEventError) as caught:
        build()
    assert set(caught.value.issues_frame["code"]) == {"selection.invalid_rule"}
    assert any(problem in m for m in caught.value.issues_frame["message"])


def test_specs_use_the_toml_names_and_name_the_kind_of_a_foreign_key() -> None:
    rule = rule_from_spec(
        constraint_spec({"kind": "max_per", "attribute": "country", "count": 2, "scope": "all"})
    )
    assert rule == MaxPer(attribute="country", count=2, scope="all")
    base = {
        "event": {"name": "e", "candidates": "c.csv", "scores": "s.csv"},
        "criteria": [{"name": "a", "weight": 1, "min": 0, "max": 1}],
    }
    rules = [{"kind": "min_merit", "merit": 3, "attribute": "x"}]
    with pytest.raises(InvalidEventError) as caught:
        config_from_mapping({**base, "selection": {"constraints": rules}})
    (issue,) = caught.value.issues
    assert issue.code == "config.invalid" and issue.column == "selection.constraints[0].attribute"
    assert "does not go with a 'min_merit' rule" in issue.message
    assert "merit" in issue.message.split("its keys are:")[1]


def test_every_kind_has_a_spec_and_a_class() -> None:
    assert set(CONSTRAINTS) == set(CONSTRAINT_SPECS)
    for kind, cls in CONSTRAINTS.items():
        assert cls.kind == kind and cls.spec is CONSTRAINT_SPECS[kind]
        keys = set(CONSTRAINT_SPECS[kind].model_fields) - {"kind"}
        assert keys == {f.name for f in dataclasses.fields(cls)}, kind


def test_rules_from_config_collects_every_problem() -> None:
    candidates, merit = _frame(merit=[1.0], gender=["F"])
    config = SelectionConfig.model_validate(
        {
            "constraints": [
                {"kind": "at_least", "attribute": "hair", "value": "red", "count": 1},
                {"kind": "max_per", "attribute": "gender", "groups": ["Mars"]},
                {"kind": "max_per", "attribute": "gender", "name": "twice"},
                {"kind": "max_per", "attribute": "project", "name": "twice"},
            ]
        }
    )
    pool = prepare_pool(candidates, merit, config)
    with pytest.raises(InvalidEventError) as caught:
        rules_from_config(config, pool)
    issues = caught.value.issues_frame
    assert set(issues["code"]) == {"selection.invalid_rule"}
    assert sorted(issues["column"]) == [
        "selection.constraints[0]",
        "selection.constraints[1]",
        "selection.constraints[3]",
    ]
    assert any("two rules are called 'twice'" in m for m in issues["message"])
