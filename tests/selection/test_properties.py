"""Hypothesis properties of the whole selection on small random events.

The oracle enumerates every delegation with exactly the seats of each group, keeps those
the solver-free checker (:func:`selection.model.verify.check`) accepts for every hard rule, and
ranks them by the documented rule, written here independently of the library: soft-rule
bends by priority (fewer first), then merit on the grid minus penalties, then the larger
sum of lottery weights, then the better-placed lottery position among the candidates that
differ. Events stay small enough (at most ~600 delegations) for the oracle to be exact.

The strategies (:func:`events`) are shared with the constraint contract test.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.config import CONSTRAINT_SPECS, SelectionConfig, constraint_spec
from selection import columns as col
from selection.engine.decomposition import Decomposition
from selection.facade import select
from selection.model.constraints import rule_from_spec, seats_rule
from selection.model.pool import Pool, prepare_pool
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SolveStatus
from selection.model.verify import check

MAX_DELEGATIONS = 600
CORE: dict[str, Any] = {"reserves": False, "price_of_fairness": False, "counterfactuals": False}


@dataclass(frozen=True)
class Event:
    """A random event: frames, config; ``rules`` are the configured rule objects."""

    candidates: pd.DataFrame
    merit: pd.DataFrame
    config: SelectionConfig

    @property
    def rules(self) -> list[Constraint]:
        return [rule_from_spec(s) for s in self.config.constraints]


KINDS = sorted(CONSTRAINT_SPECS)


def rule_spec(
    draw: Any,
    *,
    groups: list[str],
    ids: list[str],
    soft: bool,
    kind: str | None = None,
    force_soft: bool | None = None,
) -> dict[str, Any]:
    """Draw the keys of one ``[[selection.constraints]]`` entry (of ``kind`` if given).

    ``soft``: the rule may be soft; ``force_soft``: it is soft (True) or hard (False).
    """
    kind = kind or draw(st.sampled_from(KINDS))
    spec: dict[str, Any] = {"kind": kind}
    scope = draw(st.sampled_from(["group", "group", "all"]))
    if kind in ("at_least", "at_most"):
        attribute = draw(st.sampled_from(["gender", "country"]))
        values = ["F", "M"] if attribute == "gender" else ["A", "B", "C"]
        spec.update(attribute=attribute, scope=scope)
        if draw(st.booleans()):
            spec["value"] = draw(st.sampled_from(values))
        else:
            spec["values"] = draw(
                st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)
            )
        if draw(st.booleans()):
            spec["count"] = draw(st.integers(0, 3))
        else:
            spec["share"] = draw(st.sampled_from([0.25, 0.34, 0.5, 0.67]))
        if kind == "at_least" and draw(st.booleans()):
            spec["if_available"] = True
    elif kind == "max_per":
        spec.update(
            attribute=draw(st.sampled_from(["project", "country", "gender"])),
            count=draw(st.integers(1, 2)),
            scope=scope,
        )
    elif kind == "distinct":
        spec.update(
            attribute=draw(st.sampled_from(["country", "gender"])),
            min=draw(st.integers(1, 3)),
            scope=scope,
            if_available=draw(st.booleans()),
        )
    elif kind == "at_least_each":
        attribute = draw(st.sampled_from(["gender", "country"]))
        values = ["F", "M"] if attribute == "gender" else ["A", "B", "C", "D"]
        spec.update(
            attribute=attribute,
            values=draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)),
            count=draw(st.integers(0, 2)),
            scope=scope,
            if_available=draw(st.booleans()),
        )
    elif kind in ("require", "exclude"):
        spec["ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    else:
        spec.update(merit=draw(st.sampled_from([2.0, 3.0, 3.5])), scope=scope)
    if kind not in ("require", "exclude") and len(groups) > 1 and draw(st.booleans()):
        spec["groups"] = [groups[0]]
    if force_soft if force_soft is not None else (soft and draw(st.integers(0, 3)) == 0):
        spec["soft"] = True
        if draw(st.booleans()):
            spec["penalty"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
        else:
            spec["priority"] = draw(st.integers(0, 2))
    return spec


@st.composite
def events(
    draw: Any,
    *,
    max_rules: int = 3,
    soft: bool = True,
    max_delegations: int = MAX_DELEGATIONS,
    first: str | None = None,
    first_soft: bool | None = None,
) -> Event:
    """Draw a small event with random attributes, merits (with ties) and rules.

    ``first``: the first rule is of this kind (``first_soft``: soft or hard), whatever
    ``max_rules`` says.
    """
    n_groups = draw(st.integers(1, 3))
    per_group = draw(st.integers(1, 3))
    sizes: list[int] = []
    for _ in range(n_groups):
        size = draw(st.integers(per_group, 12))
        used = math.prod(math.comb(s, per_group) for s in sizes)
        while size > per_group and used * math.comb(size, per_group) > max_delegations:
            size -= 1
        sizes.append(size)
    groups = [f"G{g}" for g in range(n_groups)]
    rows = []
    for g, size in enumerate(sizes):
        for i in range(size):
            rows.append(
                {
                    col.CANDIDATE_ID: f"c{g}{i:02d}",
                    col.NAME: f"Name {g}-{i}",
                    col.GROUP: groups[g],
                    col.PROJECT: draw(st.sampled_from([f"P{g}a", f"P{g}b", f"P{g}c", None])),
                    col.ELIGIBLE: draw(st.sampled_from([True] * 9 + [False])),
                    "gender": draw(st.sampled_from(["F", "M", "F", "M", None])),
                    "country": draw(st.sampled_from(["A", "B", "C", None])),
                }
            )
    candidates = pd.DataFrame(rows).astype(dict.fromkeys((col.PROJECT, "gender", "country"), "str"))
    ids = candidates[col.CANDIDATE_ID].tolist()
    merit_values = [
        draw(st.sampled_from([1.0, 2.0, 2.5, 3.0, 3.0, 4.0, 4.5, 5.0, np.nan])) for _ in ids
    ]
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: merit_values})
    specs = [
        rule_spec(draw, groups=groups, ids=ids, soft=soft)
        for _ in range(draw(st.integers(0, max_rules)))
    ]
    if first is not None:
        lead = rule_spec(draw, groups=groups, ids=ids, soft=soft, kind=first, force_soft=first_soft)
        specs = [lead, *specs]
    for i, spec in enumerate(specs):
        spec["name"] = f"rule {i}"
    config = SelectionConfig(
        per_group=per_group,
        seed=draw(st.integers(0, 3)),
        max_ties=draw(st.sampled_from([1, 2, 20])),
        constraints=tuple(constraint_spec(s) for s in specs),
    )
    order = draw(st.permutations(range(len(ids))))
    return Event(candidates.iloc[list(order)].reset_index(drop=True), merit, config)


@dataclass(frozen=True)
class Oracle:
    """The brute-force answer: the winning delegation, its objective, how many tie."""

    best: frozenset[str] | None
    grid_merit: int
    n_optimal: int


def brute_force(pool: Pool, rules: list[Constraint]) -> Oracle:
    """Enumerate every delegation, check it without the solver, rank by the documented rule."""
    per_group = []
    for g in range(pool.n_groups):
        members = np.flatnonzero((pool.group_code == g) & pool.selectable)
        per_group.append(list(itertools.combinations(members.tolist(), int(pool.seats[g]))))
    soft_levels = sorted({r.priority for r in rules if r.soft and r.penalty is None}, reverse=True)
    ranked = []
    for choice in itertools.product(*per_group):
        positions = np.array(sorted(p for group in choice for p in group), dtype=np.int64)
        violations = check(Selection(pool, positions), rules)
        soft = {r.label: r for r in rules if r.soft}
        if any(v.rule not in soft for v in violations):
            continue
        bent = {label: sum(v.bent_by for v in violations if v.rule == label) for label in soft}
        levels = tuple(
            -sum(bent[r.label] for r in soft.values() if r.penalty is None and r.priority == p)
            for p in soft_levels
        )
        merit = int(pool.grid_merit[positions].sum()) - sum(
            round(r.penalty / pool.grid_step) * bent[r.label]
            for r in soft.values()
            if r.penalty is not None
        )
        lottery = sorted(pool.lottery[positions].tolist())
        objective = (*levels, merit)
        ranked.append((objective, -sum(lottery), [-x for x in lottery], positions))
    if not ranked:
        return Oracle(None, 0, 0)
    best = max(ranked, key=lambda r: (r[0], r[1], r[2]))
    n_optimal = sum(1 for r in ranked if r[0] == best[0])
    ids = frozenset(str(pool.candidate_ids[p]) for p in best[3])
    return Oracle(ids, int(pool.grid_merit[best[3]].sum()), n_optimal)


def _same(result: Any, other: Any) -> bool:
    a, b = result.to_dict(), other.to_dict()
    for d in (a, b):
        d.pop("timings")
        d.pop("solver")
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check_against_oracle(event: Event, solver: str) -> None:
    result = select(event.candidates, event.merit, event.config, solver=solver, **CORE)
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = event.rules
    oracle = brute_force(pool, [seats_rule(event.config), *rules])
    if oracle.best is None:
        assert result.status is SolveStatus.INFEASIBLE
        assert result.infeasibility is not None and result.infeasibility.conflicts
        return
    assert result.status is SolveStatus.OPTIMAL
    assert set(result.delegation[col.CANDIDATE_ID]) == oracle.best
    assert result.objective == pytest.approx(oracle.grid_merit * pool.grid_step, abs=1e-9)
    max_ties = event.config.max_ties
    if Decomposition(pool, [seats_rule(event.config), *rules]).usable:
        # the decomposition counts every tie, whichever solver chose the delegation
        assert result.n_optimal == oracle.n_optimal and not result.ties_capped
        listed = result.ties[col.TIE].nunique()
        assert listed == (oracle.n_optimal if oracle.n_optimal <= max_ties else 1)
    else:
        assert result.n_optimal == min(oracle.n_optimal, max_ties)
        assert result.ties_capped == (oracle.n_optimal >= max_ties)
    selection = Selection.from_ids(pool, result.delegation[col.CANDIDATE_ID].tolist())
    hard = [r for r in [seats_rule(event.config), *rules] if not r.soft]
    assert check(selection, hard) == ()


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_optimum_equals_brute_force_with_highs(event: Event) -> None:
    # Optimal delegation, objective, tie count and infeasibility all match the oracle.
    _check_against_oracle(event, "highs")


@pytest.mark.slow
@settings(
    max_examples=max(5, settings().max_examples // 5), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=200))
def test_optimum_equals_brute_force_with_cbc(event: Event) -> None:
    _check_against_oracle(event, "cbc")


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_optimum_equals_brute_force_with_the_decomposition(event: Event) -> None:
    _check_against_oracle(event, "auto")


@pytest.mark.slow
@settings(
    max_examples=max(5, settings().max_examples // 5), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=200))
def test_switching_solvers_gives_the_identical_result(event: Event) -> None:
    highs = select(event.candidates, event.merit, event.config, solver="highs", **CORE)
    cbc = select(event.candidates, event.merit, event.config, solver="cbc", **CORE)
    assert _same(highs, cbc)


@pytest.mark.slow
@settings(
    max_examples=max(10, settings().max_examples // 3), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=200), st.randoms(use_true_random=False))
def test_shuffling_rows_gives_the_identical_result(event: Event, rnd: Any) -> None:
    # The whole result (reserves, price of fairness, counterfactuals included) is
    # byte-identical once rows of both frames are shuffled.
    first = select(event.candidates, event.merit, event.config)
    order = list(range(len(event.candidates)))
    rnd.shuffle(order)
    shuffled = event.candidates.iloc[order].reset_index(drop=True)
    merit = event.merit.iloc[order[::-1]].reset_index(drop=True)
    again = select(shuffled, merit, event.config)
    assert _same(first, again)
    json.dumps(first.to_dict())


@pytest.mark.slow
@settings(
    max_examples=max(10, settings().max_examples // 2), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(soft=False), st.data())
def test_adding_a_rule_never_raises_the_objective(event: Event, data: st.DataObject) -> None:
    groups = sorted(set(event.candidates[col.GROUP]))
    ids = event.candidates[col.CANDIDATE_ID].tolist()
    extra = rule_spec(data.draw, groups=groups, ids=ids, soft=False)
    extra["name"] = "extra rule"
    bigger = event.config.model_copy(
        update={"constraints": (*event.config.constraints, constraint_spec(extra))}
    )
    before = select(event.candidates, event.merit, event.config, **CORE)
    after = select(event.candidates, event.merit, bigger, **CORE)
    if before.status is SolveStatus.INFEASIBLE:
        assert after.status is SolveStatus.INFEASIBLE
    elif after.status is SolveStatus.OPTIMAL:
        assert before.objective is not None and after.objective is not None
        assert after.objective <= before.objective + 1e-9


@settings(
    max_examples=max(10, settings().max_examples // 4), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=200))
def test_every_returned_delegation_passes_the_checker(event: Event) -> None:
    # Including soft rules: the reported bends are exactly what the checker counts.
    result = select(event.candidates, event.merit, event.config, **CORE)
    if result.status is SolveStatus.INFEASIBLE:
        return
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    found = check(Selection.from_ids(pool, result.delegation[col.CANDIDATE_ID].tolist()), rules)
    assert all(v.rule in {r.label for r in rules if r.soft} for v in found)
    assert sorted((v.rule, v.group, v.bent_by) for v in found) == sorted(
        zip(result.bends[col.RULE], result.bends[col.GROUP], result.bends[col.BENT_BY], strict=True)
    )
