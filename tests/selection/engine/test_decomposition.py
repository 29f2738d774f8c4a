"""The decomposition gives the integer programme's delegation, rule sets left out or not."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings

from scoring.config import SelectionConfig
from selection import columns as col
from selection.engine.decomposition import Decomposition
from selection.model.constraints import make_rule, seats_rule
from selection.model.pool import prepare_pool
from selection.model.program import build_model
from selection.model.solve import SolveStatus, solve
from tests.selection.model.test_rule_contract import Option, _best, _options
from tests.selection.test_properties import Event, events


@settings(
    max_examples=max(20, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_rules=3, max_delegations=300))
def test_the_optimum_is_the_programmes_and_brute_force(event: Event) -> None:
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    engine = Decomposition(pool, rules)
    if not engine.usable:
        assert engine.reason
        return
    for size in range(len(rules)):
        for dropped in map(frozenset, itertools.combinations(range(1, len(rules)), size)):
            found = engine.optimum(dropped)
            model = build_model(pool, rules, drop=dropped)
            result = solve(model, max_ties=1)
            oracle = _best(_options(pool, [r for k, r in enumerate(rules) if k not in dropped]))
            if result.status is SolveStatus.INFEASIBLE:
                assert found is None and oracle is None
                continue
            assert found is not None and oracle is not None
            expected = np.zeros(pool.n_candidates, dtype=bool)
            expected[model.x_positions[result.chosen]] = True
            assert found.tolist() == expected.tolist(), dropped
            assert tuple(np.flatnonzero(found).tolist()) == oracle.positions


def test_equal_merit_and_weight_sums_across_groups_go_to_the_best_lottery_position() -> None:
    # One seat in each of two groups and exactly one woman overall: (a2, b1) or (a1, b2),
    # all merits equal. Lottery weights a2 = 4, b1 = 1, a1 = 3, b2 = 2: both sums are 5,
    # so the delegation holding the best-placed position (weight 4, a2) wins, as in the
    # integer programme.
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ["a1", "a2", "b1", "b2"],
            col.NAME: ["A1", "A2", "B1", "B2"],
            col.GROUP: ["A", "A", "B", "B"],
            "gender": ["M", "F", "M", "F"],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: candidates[col.CANDIDATE_ID], col.MERIT: 5.0})
    config = SelectionConfig(per_group=1)
    pool = prepare_pool(candidates, merit, config)
    pool = dataclasses.replace(pool, lottery=np.array([2, 1, 4, 3]), _memo={})
    women = [
        make_rule("at_least", attribute="gender", value="F", count=1, scope="all"),
        make_rule("at_most", attribute="gender", value="F", count=1, scope="all"),
    ]
    rules = [seats_rule(config), *women]
    model = build_model(pool, rules)
    result = solve(model)
    assert result.n_optimal == 2
    expected = sorted(pool.candidate_ids[model.x_positions[result.chosen]].tolist())
    found = Decomposition(pool, rules).optimum()
    assert found is not None
    assert sorted(pool.candidate_ids[found].tolist()) == expected == ["a2", "b1"]


def _tied(options: list[Option], best: Option) -> list[Option]:
    """Every feasible delegation equal to the best on the stages (the tie count)."""
    return [o for o in options if o.feasible and o.rank[0] == best.rank[0]]


@settings(
    max_examples=max(20, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_rules=3, max_delegations=300))
def test_tie_counts_and_alternatives_are_brute_forces(event: Event) -> None:
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    engine = Decomposition(pool, rules)
    if not engine.usable:
        return
    options = _options(pool, rules)
    best = _best(options)
    found = engine.solve()
    if best is None:
        assert found is None
        return
    assert found is not None
    assert tuple(np.flatnonzero(found.mask).tolist()) == best.positions
    tied = _tied(options, best)
    assert found.n_optimal == len(tied)
    if found.within_tallies:
        listed = {
            tuple(sorted(p for o in combo for p in engine.options.members[o].tolist() if p >= 0))
            for combo in itertools.product(
                *(
                    found.alternatives.get(g, np.array([found.options[g]]))
                    for g in range(pool.n_groups)
                )
            )
        }
        assert listed == {o.positions for o in tied}


@settings(
    max_examples=max(20, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_rules=3, soft=False, max_delegations=300))
def test_counterfactuals_are_the_programmes(event: Event) -> None:
    from selection.analysis.explain import counterfactuals, counterfactuals_from

    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    model = build_model(pool, rules)
    result = solve(model, max_ties=1)
    engine = Decomposition(pool, rules)
    if result.columns is None or not engine.usable:
        return
    mask = np.zeros(pool.n_candidates, dtype=bool)
    mask[model.x_positions[result.chosen]] = True
    expected = counterfactuals(model, result, exhaustive=False)
    got = counterfactuals_from(engine, mask)
    assert got is not None
    wide, narrow = engine.counterfactuals(mask), engine.counterfactuals(mask, look=1)
    assert wide is not None and narrow is not None
    assert wide.tolist() == narrow.tolist()
    pd.testing.assert_frame_equal(got, expected)
    limited = counterfactuals(model, result, limit=3, exhaustive=False)
    got_limited = counterfactuals_from(engine, mask, limit=3)
    assert got_limited is not None
    pd.testing.assert_frame_equal(got_limited, limited)


@settings(
    max_examples=max(20, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_rules=3, max_delegations=300))
def test_swaps_are_the_swap_checks(event: Event) -> None:
    from selection.analysis.reserves import SwapCheck
    from selection.model.selection import Selection

    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    engine = Decomposition(pool, rules)
    if not engine.usable:
        return
    found = engine.solve(count=False)
    if found is None:
        return
    got = engine.swappable(found.mask)
    assert got is not None
    swaps = SwapCheck(Selection.from_mask(pool, found.mask), rules, soft_may_bend=True)
    for s in np.flatnonzero(pool.selectable & ~found.mask).tolist():
        reps = np.flatnonzero(found.mask & (pool.group_code == pool.group_code[s])).tolist()
        assert got[s] == any(swaps.keeps(rep, s) for rep in reps), s
