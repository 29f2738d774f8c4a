"""Reserves: named substitutes keep every rule and are the best such; ranked lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.config import SelectionConfig
from selection import columns as col
from selection.analysis.reserves import RESERVE_COLUMNS, SwapCheck, reserves
from selection.facade import rules_from_config, select
from selection.model.constraints import AtLeast, MaxPer, Seats
from selection.model.pool import prepare_pool
from selection.model.selection import Selection
from selection.model.solve import SolveStatus
from selection.model.verify import check, soft_bends
from tests.selection.test_properties import Event, events

# Group G, two seats, one woman at least, one per project.
# c0 F 9 P1 | c1 M 8 P1 | c2 M 7 P2 | c3 F 6 P3 | c4 M 5 P4
CANDIDATES = pd.DataFrame(
    {
        col.CANDIDATE_ID: ["c0", "c1", "c2", "c3", "c4"],
        col.NAME: list("ABCDE"),
        col.GROUP: ["G"] * 5,
        col.PROJECT: ["P1", "P1", "P2", "P3", "P4"],
        "gender": ["F", "M", "M", "F", "M"],
    }
)
MERIT = pd.DataFrame(
    {col.CANDIDATE_ID: ["c0", "c1", "c2", "c3", "c4"], col.MERIT: [9.0, 8.0, 7.0, 6.0, 5.0]}
)
RULES = (
    Seats(per_group=2),
    AtLeast(attribute="gender", value="F", count=1),
    MaxPer(attribute="project"),
)


def test_substitutes_keep_every_rule() -> None:
    # Delegation c0 + c2. For c0 (the only woman): c1 would break both rules, so c3 (the
    # next woman). For c2: c1 shares P1 with c0, so c3 again (best remaining).
    pool = prepare_pool(CANDIDATES, MERIT, SelectionConfig(per_group=2))
    found = reserves(Selection.from_ids(pool, ["c0", "c2"]), RULES)
    assert found.substitutes == {"c0": "c3", "c2": "c3"}
    assert list(found.ranked.columns) == list(RESERVE_COLUMNS)
    assert found.ranked[[col.RESERVE_RANK, col.CANDIDATE_ID, col.REPLACES]].values.tolist() == [
        [1, "c3", "c0; c2"],
        [2, "c4", ""],
    ]


def test_reserve_list_can_be_capped_and_may_be_empty() -> None:
    pool = prepare_pool(CANDIDATES, MERIT, SelectionConfig(per_group=2))
    assert len(reserves(Selection.from_ids(pool, ["c0", "c2"]), RULES, n_reserves=1).ranked) == 1
    only = prepare_pool(CANDIDATES.iloc[:2], MERIT.iloc[:2], SelectionConfig(per_group=2))
    nobody = reserves(Selection.from_ids(only, ["c0", "c1"]), RULES[:1])
    assert nobody.substitutes == {"c0": "", "c1": ""} and nobody.ranked.empty


def test_a_soft_rule_may_not_bend_further() -> None:
    # Soft "at least 2 women" is already bent by 1 (one woman selected); replacing the
    # woman by a man would bend it by 2, so her substitute must be a woman.
    pool = prepare_pool(CANDIDATES, MERIT, SelectionConfig(per_group=2))
    rules = (
        Seats(per_group=2),
        AtLeast(attribute="gender", value="F", count=2, soft=True, name="2 women"),
    )
    found = reserves(Selection.from_ids(pool, ["c0", "c1"]), rules)
    assert found.substitutes == {"c0": "c3", "c1": "c2"}


@settings(
    max_examples=max(10, settings().max_examples // 3), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=300))
def test_each_substitute_is_the_best_valid_swap(event: Event) -> None:
    # Checked by brute force over the group: the named substitute passes the checker, and
    # nobody better (merit, then lottery) does.
    out = select(
        event.candidates, event.merit, event.config, price_of_fairness=False, counterfactuals=False
    )
    if out.status is not SolveStatus.OPTIMAL:
        return
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = rules_from_config(event.config, pool)
    delegation = Selection.from_ids(pool, out.delegation[col.CANDIDATE_ID].tolist())
    soft = {r.label for r in rules if r.soft}

    def bends(selection: Selection) -> dict[str, int] | None:
        found: dict[str, int] = {}
        for v in check(selection, rules):
            if v.rule not in soft:
                return None
            found[v.rule] = found.get(v.rule, 0) + v.bent_by
        return found

    now = bends(delegation) or {}
    for rep, sub in zip(
        out.delegation[col.CANDIDATE_ID], out.delegation[col.RESERVE_ID], strict=True
    ):
        p = pool.position(rep)
        group = pool.group_code == pool.group_code[p]
        others = np.flatnonzero(group & pool.selectable & ~delegation.mask)
        valid = []
        for s in others.tolist():
            after = bends(delegation.swap(p, s))
            if after is not None and all(n <= now.get(r, 0) for r, n in after.items()):
                valid.append(s)
        best = min(valid, key=lambda s: (-pool.grid_merit[s], pool.lottery[s]), default=-1)
        assert sub == (str(pool.candidate_ids[best]) if best >= 0 else "")


@settings(
    max_examples=max(10, settings().max_examples // 3), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=300), st.data())
def test_incremental_swap_check_agrees_with_the_full_checker(
    event: Event, data: st.DataObject
) -> None:
    # Any delegation (even one breaking rules), any swap: the incremental verdict equals
    # re-counting the whole swapped delegation with soft_bends().
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = rules_from_config(event.config, pool)
    positions = np.flatnonzero(pool.selectable)
    if len(positions) < 2:
        return
    chosen = data.draw(st.lists(st.sampled_from(positions.tolist()), min_size=1, unique=True))
    delegation = Selection(pool, np.array(sorted(chosen), dtype=np.int64))
    now = soft_bends(delegation, rules)
    swaps = SwapCheck(delegation, rules)
    out = data.draw(st.sampled_from(sorted(chosen)))
    into = data.draw(
        st.sampled_from([p for p in range(pool.n_candidates) if p not in chosen] or [out])
    )
    if into == out:
        return
    after = soft_bends(delegation.swap(out, into), rules)
    expected = (
        now is not None and after is not None and all(n <= now.get(r, 0) for r, n in after.items())
    )
    if now is None:  # a broken hard rule can still be repaired by the swap
        hard_ok = after is not None
        soft_ok = after is not None and all(
            n <= sum(v.bent_by for v in check(delegation, rules) if v.rule == r)
            for r, n in after.items()
        )
        expected = hard_ok and soft_ok
    assert swaps.keeps(out, into) == expected
