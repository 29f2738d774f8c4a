"""Reserves: who steps in when a representative withdraws, everyone else staying."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.config import SelectionConfig
from selection import columns as col
from selection.analysis.reserves import RESERVE_COLUMNS, Replacements, SwapCheck, reserves
from selection.engine.decomposition import Decomposition
from selection.facade import rules_from_config, select
from selection.model.constraints import AtLeast, MaxPer, Seats
from selection.model.pool import prepare_pool
from selection.model.selection import Selection
from selection.model.solve import SolveStatus
from selection.model.verify import check, soft_bends
from tests.selection.model.test_rule_contract import _options
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


def test_a_soft_rule_bends_further_only_when_it_must_and_says_so() -> None:
    # Soft "at least 2 women" is bent by 1 (one woman selected). If the woman c0
    # withdraws, the other woman c3 keeps the bend at 1: she is named. Without c3 in the
    # event, the best man steps in and the bend grows: the change says which rule.
    pool = prepare_pool(CANDIDATES, MERIT, SelectionConfig(per_group=2))
    rules = (
        Seats(per_group=2),
        AtLeast(attribute="gender", value="F", count=2, soft=True, name="2 women"),
    )
    found = reserves(Selection.from_ids(pool, ["c0", "c1"]), rules)
    assert found.substitutes == {"c0": "c3", "c1": "c3"}
    assert found.changes["c0"].bends == ()
    keep = CANDIDATES[col.CANDIDATE_ID] != "c3"
    pool = prepare_pool(CANDIDATES[keep], MERIT[keep], SelectionConfig(per_group=2))
    found = reserves(Selection.from_ids(pool, ["c0", "c1"]), rules)
    assert found.substitutes["c0"] == "c2"
    assert found.changes["c0"].bends == ("2 women",)


def test_without_a_single_replacement_the_smallest_set_of_changes_is_named() -> None:
    # Two seats, one per project, at least one woman. Delegation c0 (F, P1) + c2 (M, P2);
    # the only other woman, c3, shares P2 with c2. If c0 withdraws, no single replacement
    # keeps "a woman": c3 comes in, c2 leaves for her, and c1 takes his seat (P1 is free).
    candidates = CANDIDATES.assign(**{col.PROJECT: ["P1", "P1", "P2", "P2", "P4"]})
    pool = prepare_pool(candidates, MERIT, SelectionConfig(per_group=2))
    rules = (
        Seats(per_group=2),
        AtLeast(attribute="gender", value="F", count=1),
        MaxPer(attribute="project"),
    )
    found = reserves(Selection.from_ids(pool, ["c0", "c2"]), rules)
    assert found.substitutes["c0"] == ""
    change = found.changes["c0"]
    assert change.single == "" and sorted(change.joining) == ["c1", "c3"]
    assert change.leaving == ("c2",)


@settings(
    max_examples=max(10, settings().max_examples // 3),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_delegations=300))
def test_each_reserve_is_the_brute_force_answer_to_a_withdrawal(event: Event) -> None:
    # Brute force over every delegation without the representative: keep as many of the
    # others as possible, then the usual order. One newcomer and nobody else leaving is the
    # named reserve; otherwise the change is named (who joins, who else leaves).
    out = select(
        event.candidates, event.merit, event.config, price_of_fairness=False, counterfactuals=False
    )
    if out.status is not SolveStatus.OPTIMAL:
        return
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = list(rules_from_config(event.config, pool))
    delegation = Selection.from_ids(pool, out.delegation[col.CANDIDATE_ID].tolist())
    found = reserves(delegation, rules)
    by_mip = Replacements(delegation, rules, engine=Decomposition(pool, rules, max_options=0))
    again = reserves(delegation, rules, replacements=by_mip)  # the programme agrees
    assert (again.substitutes, again.changes) == (found.substitutes, found.changes)
    assert again.ranked.equals(found.ranked)
    options = _options(pool, rules)
    ids = pool.candidate_ids
    # A rule met "as far as available" asks less once the representative withdrew.
    availability = any(rule.depends_on_availability for rule in rules)
    for rep in delegation.positions.tolist():
        others = set(delegation.positions.tolist()) - {rep}
        left = _options(pool.without([rep]), rules) if availability else options
        fits = [o for o in left if o.feasible and rep not in o.positions]
        rep_id = str(ids[rep])
        if not fits:
            assert found.substitutes[rep_id] == "" and rep_id not in found.changes
            continue
        best = max(fits, key=lambda o: (len(others & set(o.positions)), o.rank))
        joining = sorted(str(ids[p]) for p in set(best.positions) - others)
        leaving = sorted(str(ids[p]) for p in others - set(best.positions))
        change = found.changes[rep_id]
        assert (sorted(change.joining), sorted(change.leaving)) == (joining, leaving)
        single = joining[0] if len(joining) == 1 and not leaving else ""
        assert found.substitutes[rep_id] == single


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
