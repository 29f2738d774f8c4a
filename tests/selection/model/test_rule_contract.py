"""One contract per rule kind: every kind, soft and hard, through every consumer.

For each registered kind (and the seats rule), random small events whose first rule is of
that kind go through every place that asks a rule something, and each answer is compared
with brute force over every delegation with exactly the seats of each group:

- the verifier's independent recount agrees with the rules' own counts, on any delegation;
- the optimum (:func:`selection.facade.select`) is the brute-force optimum;
- presolve errors only where no delegation holds every hard rule;
- the price of fairness of each rule is the brute-force optimum without it;
- reserves are who comes in when a representative withdraws, everyone else staying;
- counterfactuals are the best delegation with the candidate forced in or out of their
  group, the other groups unchanged;
- reason codes of candidates a rule decides on its own;
- the stability fast path (:class:`selection.uncertainty.stability_fast.FastSelector`)
  either declines (soft, merit-dependent or value-counting delegation-wide rules) or finds
  the brute-force optimum;
- the smallest relaxation of an infeasible event bends hard rules no more than needed.

The oracle ranks delegations by the documented rule (see ``tests/selection/test_properties``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection import columns as col
from selection.analysis.fairness import diagnose
from selection.facade import select
from selection.model.constraints import CONSTRAINTS, seats_rule
from selection.model.pool import Pool, prepare_pool
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SolveStatus
from selection.model.verify import check, presolve, recount
from selection.uncertainty.stability_fast import FALLBACK, INFEASIBLE, FastSelector, grid_merit
from tests.selection.test_properties import Event, events

KINDS = [*sorted(CONSTRAINTS), "seats"]
CASES = [(k, soft) for k in KINDS for soft in (False, True) if not (k == "seats" and soft)]
"""Every kind hard and soft; the seats rule only hard (its rule refuses to be soft)."""
CASE_IDS = [f"{k}-{'soft' if soft else 'hard'}" for k, soft in CASES]
EVERYTHING: dict[str, Any] = {"reserves": True, "price_of_fairness": True, "counterfactuals": True}


@dataclass(frozen=True)
class Option:
    """One delegation: its positions, whether hard rules hold, its rank key and bends."""

    positions: tuple[int, ...]
    feasible: bool
    rank: tuple[Any, ...]
    bends: dict[str, int]


def _options(pool: Pool, rules: list[Constraint]) -> list[Option]:
    """Every delegation with exactly the seats of each group, ranked as the solver ranks."""
    per_group = []
    for g in range(pool.n_groups):
        members = np.flatnonzero((pool.group_code == g) & pool.selectable).tolist()
        per_group.append(list(itertools.combinations(members, int(pool.seats[g]))))
    soft = [r for r in rules if r.soft]
    levels = sorted({r.priority for r in soft if r.penalty is None}, reverse=True)
    out = []
    for choice in itertools.product(*per_group):
        positions = tuple(sorted(p for group in choice for p in group))
        found = check(Selection(pool, np.array(positions, dtype=np.int64)), rules)
        bends = Counter[str]()
        for v in found:
            bends[v.rule] += v.bent_by
        feasible = not any(bends[r.label] for r in rules if not r.soft)
        merit = int(pool.grid_merit[list(positions)].sum()) - sum(
            round(r.penalty / pool.grid_step) * bends[r.label]
            for r in soft
            if r.penalty is not None
        )
        stages = tuple(
            -sum(bends[r.label] for r in soft if r.penalty is None and r.priority == p)
            for p in levels
        )
        lottery = sorted(pool.lottery[list(positions)].tolist())
        rank = ((*stages, merit), -sum(lottery), [-x for x in lottery])
        out.append(Option(positions, feasible, rank, dict(bends)))
    return out


def _best(options: list[Option]) -> Option | None:
    feasible = [o for o in options if o.feasible]
    return max(feasible, key=lambda o: o.rank) if feasible else None


def _merit(pool: Pool, positions: tuple[int, ...] | list[int]) -> float:
    return float(pool.grid_merit[list(positions)].sum()) * pool.grid_step


def _all_rules(event: Event) -> list[Constraint]:
    return [seats_rule(event.config), *event.rules]


def _event(data: st.DataObject, kind: str, soft: bool) -> Event:
    if kind == "seats":
        return data.draw(events(max_rules=2, soft=False, max_delegations=150))
    return data.draw(events(max_rules=1, max_delegations=150, first=kind, first_soft=soft))


def _contract(kind: str, soft: bool, data: st.DataObject) -> None:
    event = _event(data, kind, soft)
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = _all_rules(event)
    options = _options(pool, rules)
    best = _best(options)

    # The verifier's recount agrees with the rules' counts on arbitrary delegations.
    chosen = np.array(
        data.draw(st.lists(st.booleans(), min_size=pool.n_candidates, max_size=pool.n_candidates))
    )
    for mask in [
        chosen,
        *(np.isin(np.arange(pool.n_candidates), o.positions) for o in options[:3]),
    ]:
        delegation = Selection.from_mask(pool, mask & pool.selectable)
        assert Counter(v.key for v in recount(delegation, rules)) == Counter(
            v.key for v in check(delegation, rules)
        )

    result = select(event.candidates, event.merit, event.config, **EVERYTHING)

    # Presolve errors only when no delegation holds every hard rule.
    if any(i.severity == "error" for i in presolve(pool, rules)):
        assert best is None

    if best is None:
        assert result.status is SolveStatus.INFEASIBLE
        _check_relaxation(pool, rules, options)
        return
    assert result.status is SolveStatus.OPTIMAL
    ids = pool.candidate_ids
    chosen_ids = set(result.delegation[col.CANDIDATE_ID])
    assert chosen_ids == {str(ids[p]) for p in best.positions}
    mask = np.isin(np.arange(pool.n_candidates), best.positions)

    # Price of fairness: each rule's objective without it is the optimum without it.
    price = result.price_of_fairness
    for k, rule in enumerate(rules[1:], start=1):
        without = _best(_options(pool, [r for i, r in enumerate(rules) if i != k]))
        row = price[(price[col.RULE] == rule.label) & (price[col.GROUP] == "*")]
        got = float(row[col.OBJECTIVE_WITHOUT].item())
        if without is None:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(_merit(pool, without.positions), abs=1e-9)

    ranking = result.ranking.set_index(col.CANDIDATE_ID)
    # Reserves: who comes in when a representative withdraws, the others staying as far as
    # the rules allow (soft rules may bend further), then the usual order.
    # A rule met "as far as available" asks less once the representative is gone (they
    # withdrew: the what-if makes them ineligible), so the options are those of the pool
    # without them.
    availability = any(rule.depends_on_availability for rule in rules)
    for rep in best.positions:
        others = set(best.positions) - {rep}
        left = _options(pool.without([rep]), rules) if availability else options
        fits = [o for o in left if o.feasible and rep not in o.positions]
        expected = ""
        if fits:
            after = max(fits, key=lambda o: (len(others & set(o.positions)), o.rank))
            joining = set(after.positions) - others
            if len(joining) == 1 and others <= set(after.positions):
                expected = str(ids[joining.pop()])
        assert ranking.loc[str(ids[rep]), col.RESERVE_ID] == expected

    # Counterfactuals: flip one candidate within their group, other groups unchanged.
    for p in np.flatnonzero(pool.selectable).tolist():
        group = pool.group_code[p]
        outside = {q for q in best.positions if pool.group_code[q] != group}
        fits = [
            o
            for o in options
            if o.feasible
            and (p in o.positions) != bool(mask[p])
            and {q for q in o.positions if pool.group_code[q] != group} == outside
        ]
        counterfactual = ranking.loc[str(ids[p])]
        if not fits:
            assert counterfactual[col.CF_STATUS] == "impossible"
            continue
        alternative = max(fits, key=lambda o: o.rank)
        assert counterfactual[col.CF_STATUS] == "computed"
        cost = _merit(pool, best.positions) - _merit(pool, alternative.positions)
        assert counterfactual[col.CF_COST] == pytest.approx(cost, abs=1e-9)

    # Reasons of candidates a rule decides on its own.
    for rule in rules:
        forced = rule.forced(pool)
        if forced is None or rule.soft:
            continue
        for p in forced.positions.tolist():
            if pool.selectable[p] and mask[p] == forced.selected:
                assert ranking.loc[str(ids[p]), col.REASON] in (
                    forced.reason,
                    "not_selected.excluded",
                    "selected.required",
                )

    _check_fast_path(pool, rules, best)


def _check_fast_path(pool: Pool, rules: list[Constraint], best: Option) -> None:
    selector = FastSelector(pool, rules)
    declines = any(
        r.soft or r.depends_on_merit or (r.couples_groups and r.counts_values) for r in rules
    )
    if declines:
        assert not selector.usable and selector.reason
        return
    if not selector.usable:  # too many delegations in a group: allowed, and said
        assert "delegations" in selector.reason
        return
    choice = selector.select(grid_merit(pool.merit[None, :], pool.selectable))
    if (choice == FALLBACK).any():
        return
    assert not (choice == INFEASIBLE).any()
    found = np.flatnonzero(selector.masks(choice)[0])
    assert tuple(found.tolist()) == best.positions


def _check_relaxation(pool: Pool, rules: list[Constraint], options: list[Option]) -> None:
    """The relaxation's hard-rule bends are the lexicographic minimum over delegations."""
    n_selectable = np.bincount(pool.group_code[pool.selectable], minlength=pool.n_groups)
    if not options or (n_selectable < pool.seats).any():
        return  # the seats themselves must bend: not enumerable here
    hard = [r for r in rules if not r.soft]
    priorities = sorted({r.priority for r in hard}, reverse=True)

    def bends(o: Option) -> tuple[int, ...]:
        return tuple(
            sum(o.bends.get(r.label, 0) for r in hard if r.priority == p) for p in priorities
        )

    least = min(bends(o) for o in options)
    found = diagnose(pool, rules)
    relaxed = found.relaxation
    got = tuple(
        int(
            relaxed[relaxed[col.RULE].isin([r.label for r in hard if r.priority == p])][
                col.BENT_BY
            ].sum()
        )
        for p in priorities
    )
    assert got == least
    assert found.conflicts


@pytest.mark.parametrize(("kind", "soft"), CASES, ids=CASE_IDS)
@settings(
    max_examples=max(8, settings().max_examples // 6),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_every_kind_through_every_consumer(kind: str, soft: bool, data: st.DataObject) -> None:
    _contract(kind, soft, data)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "soft"), CASES, ids=CASE_IDS)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_kind_through_every_consumer_at_length(
    kind: str, soft: bool, data: st.DataObject
) -> None:
    _contract(kind, soft, data)
