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
from tests.selection.model.test_rule_contract import _best, _options
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
