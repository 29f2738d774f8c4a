"""Reasons, margins, counterfactuals, the plain-words explanation and the price of fairness.

The price of fairness (:mod:`selection.analysis.fairness`) is tested here because it is what tells
which rules are binding for a candidate.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from scoring.config import SelectionConfig
from selection import columns as col
from selection.analysis.explain import RANKING_COLUMNS, REASONS, counterfactuals, reasons
from selection.analysis.fairness import Removals, merit_only, merit_rank
from selection.facade import rules_from_config, select
from selection.model.constraints import AtLeast, MaxPer, Seats, seats_rule
from selection.model.pool import prepare_pool
from selection.model.program import build_model
from selection.model.solve import SolveStatus, solve
from tests.selection.model.test_rule_contract import _best, _options
from tests.selection.test_properties import Event, events

# Group Africa, two seats. Merits: c1 9 (P1, M), c2 8 (P1, M), c3 7 (P2, F), c4 6 (P3, M),
# c5 ineligible, c6 without marks. Rule "one per project": c1 and c2 share P1, so the best
# delegation is c1 + c3 = 16; on merit alone it would be c1 + c2 = 17.
CANDIDATES = pd.DataFrame(
    {
        col.CANDIDATE_ID: ["c1", "c2", "c3", "c4", "c5", "c6"],
        col.NAME: ["Ana", "Bo", "Cy", "Di", "Ed", "Fa"],
        col.GROUP: ["Africa"] * 6,
        col.PROJECT: ["P1", "P1", "P2", "P3", "P4", "P5"],
        col.ELIGIBLE: [True, True, True, True, False, True],
        "gender": ["M", "M", "F", "M", "F", "F"],
    }
)
MERIT = pd.DataFrame(
    {
        col.CANDIDATE_ID: ["c1", "c2", "c3", "c4", "c5", "c6"],
        col.MERIT: [9.0, 8.0, 7.0, 6.0, 10.0, np.nan],
        col.MERIT_SE: [0.1, 0.2, 0.1, 0.3, 0.1, np.nan],
    }
)
CONFIG = SelectionConfig.model_validate(
    {
        "per_group": 2,
        "constraints": [{"kind": "max_per", "attribute": "project", "name": "one per project"}],
    }
)


@pytest.fixture(scope="module")
def result():
    return select(CANDIDATES, MERIT, CONFIG)


def _row(result, candidate_id):
    return result.ranking.set_index(col.CANDIDATE_ID).loc[candidate_id]


def test_ranking_columns_statuses_and_reasons(result) -> None:
    assert list(result.ranking.columns) == list(RANKING_COLUMNS)
    statuses = dict(zip(result.ranking[col.CANDIDATE_ID], result.ranking[col.STATUS], strict=True))
    reasons = dict(zip(result.ranking[col.CANDIDATE_ID], result.ranking[col.REASON], strict=True))
    assert statuses == {
        "c1": "selected",
        "c2": "reserve",
        "c3": "selected",
        "c4": "reserve",
        "c5": "ineligible",
        "c6": "ineligible",
    }
    assert reasons == {
        "c1": "selected.merit",
        "c2": "not_selected.rule",
        "c3": "selected.rule",
        "c4": "not_selected.merit",
        "c5": "ineligible.flag",
        "c6": "ineligible.no_merit",
    }
    assert set(reasons.values()) <= set(REASONS)
    assert result.ranking[col.CANDIDATE_ID].tolist() == ["c1", "c2", "c3", "c4", "c5", "c6"]


def test_margins_binding_rules_and_counterfactuals(result) -> None:
    # Margins: c1 9 - 8 (best not selected, c2) = 1; c3 7 - 8 = -1 (selected by the rule);
    # c2 8 - 7 (weakest representative) = +1; c4 6 - 7 = -1.
    assert result.ranking[col.MARGIN].tolist()[:4] == pytest.approx([1.0, 1.0, -1.0, -1.0])
    assert _row(result, "c2")[col.BINDING] == "one per project"
    assert _row(result, "c3")[col.BINDING] == "one per project"
    assert _row(result, "c1")[col.BINDING] == ""
    # Forcing c2 in: c1 must leave (same project), c2 + c3 = 15, a cost of 1.
    c2 = _row(result, "c2")
    assert (c2[col.CF_STATUS], c2[col.CF_COST], c2[col.CF_IN], c2[col.CF_OUT]) == (
        "computed",
        pytest.approx(1.0),
        "c2",
        "c1",
    )
    # Leaving c3 out: c4 takes the seat (c2 cannot, P1 is taken), a cost of 1.
    c3 = _row(result, "c3")
    assert (c3[col.CF_IN], c3[col.CF_OUT], c3[col.CF_COST]) == ("c4", "c3", pytest.approx(1.0))
    assert _row(result, "c5")[col.CF_STATUS] == "skipped"


def test_explain_in_plain_words(result) -> None:
    text = result.explain("c2")
    assert text.startswith(
        "Bo (c2), group Africa: not selected (reserve) — a rule leaves no room for them; "
        "without it they would be selected."
    )
    assert "Binding rules: 'one per project'" in text
    assert (
        "If forced in, total merit would drop by 1.000; joining: Bo (c2); leaving: Ana (c1)."
        in text
    )
    assert "Reserve: Bo (c2) steps in" in result.explain("c1")
    assert result.explain("c5") == "Ed (c5), group Africa: not eligible — marked not eligible."
    with pytest.raises(KeyError):
        result.explain("nobody")


def test_price_of_fairness_per_rule_and_group(result) -> None:
    price = result.price_of_fairness
    rows = price[price[col.GROUP] == "*"].set_index(col.RULE)
    assert rows.loc["one per project", col.COST] == pytest.approx(1.0)
    assert rows.loc["*", col.OBJECTIVE_WITHOUT] == pytest.approx(17.0)
    assert set(price[col.GROUP]) == {"*", "Africa"}
    table = result.constraints.set_index(col.RULE)
    assert table.loc["one per project", col.PRICE_OF_FAIRNESS] == pytest.approx(1.0)


def test_tie_break_reasons() -> None:
    # Equal merits 5, 5 for one seat: the lottery decides; both are told so.
    candidates = CANDIDATES.iloc[:2].assign(**{col.PROJECT: ["P1", "P2"]})
    merit = MERIT.iloc[:2].assign(**{col.MERIT: [5.0, 5.0]})
    out = select(candidates, merit, SelectionConfig(per_group=1))
    assert sorted(out.ranking[col.REASON]) == ["not_selected.tie_break", "selected.tie_break"]
    assert out.n_optimal == 2 and "lottery" in out.message


def test_merit_rank_and_merit_only_break_ties_by_lottery() -> None:
    pool = prepare_pool(CANDIDATES, MERIT, CONFIG)
    assert merit_rank(pool).tolist() == [1, 2, 3, 4, 0, 0]
    plain = merit_only(pool)
    assert plain is not None and plain.tolist() == [True, True, False, False, False, False]


def test_binding_rules_are_the_rules_whose_removal_flips_a_status() -> None:
    pool = prepare_pool(CANDIDATES, MERIT, CONFIG)
    rules = rules_from_config(CONFIG, pool)
    chosen = pool.frame[col.CANDIDATE_ID].isin(["c1", "c3"]).to_numpy()
    codes, binding = reasons(pool, rules, chosen, Removals(pool, rules))
    assert binding == ["", "one per project", "one per project", "", "", ""]
    assert codes[:4] == [
        "selected.merit",
        "not_selected.rule",
        "selected.rule",
        "not_selected.merit",
    ]


def test_a_combination_of_rules_is_named_when_no_single_rule_binds() -> None:
    # One seat; rules "no man" and "no P1". Only c (merit 1, woman of P2) passes both.
    # Without "no man", d (7, man of P2) wins; without "no P1", e (8, woman of P1) wins;
    # only without both does f (9.5, man of P1) win: no single rule keeps f out.
    ids = list("cdef")
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: ids,
            col.GROUP: "G",
            col.PROJECT: ["P2", "P2", "P1", "P1"],
            "gender": ["F", "M", "F", "M"],
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: [1.0, 7.0, 8.0, 9.5]})
    config = SelectionConfig.model_validate(
        {
            "per_group": 1,
            "constraints": [
                {
                    "kind": "at_most",
                    "attribute": "gender",
                    "value": "M",
                    "count": 0,
                    "name": "no man",
                },
                {
                    "kind": "at_most",
                    "attribute": "project",
                    "value": "P1",
                    "count": 0,
                    "name": "no P1",
                },
            ],
        }
    )
    out = select(candidates, merit, config).ranking.set_index(col.CANDIDATE_ID)
    assert out.loc["c", col.REASON] == "selected.rule"
    assert out.loc["d", col.REASON] == "not_selected.rule"
    assert out.loc["d", col.BINDING] == "no man"
    assert out.loc["e", col.REASON] == "not_selected.rule"
    assert out.loc["e", col.BINDING] == "no P1"
    assert out.loc["f", col.REASON] == "not_selected.rules"
    assert out.loc["f", col.BINDING] == "no man; no P1"


@settings(
    max_examples=max(10, settings().max_examples // 4), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(max_delegations=300))
def test_counterfactuals_by_enumeration_equal_those_by_solving(event: Event) -> None:
    pool = prepare_pool(event.candidates, event.merit, event.config)
    model = build_model(pool, rules_from_config(event.config, pool))
    found = solve(model)
    if found.status is not SolveStatus.OPTIMAL:
        return
    fast = counterfactuals(model, found)
    slow = counterfactuals(model, found, exhaustive=False)
    pd.testing.assert_frame_equal(fast, slow)


@settings(
    max_examples=max(10, settings().max_examples // 4), suppress_health_check=[HealthCheck.too_slow]
)
@given(events(soft=False, max_delegations=300))
def test_hard_rules_never_have_a_negative_price(event: Event) -> None:
    out = select(event.candidates, event.merit, event.config, reserves=False, counterfactuals=False)
    if out.status is SolveStatus.OPTIMAL:
        total = out.price_of_fairness[out.price_of_fairness[col.GROUP] == "*"]
        assert (total[col.COST].dropna() >= -1e-9).all()


def test_counterfactual_limit_keeps_those_nearest_the_cut_off() -> None:
    # |margin| is 1 for c1..c4 alike; equal distances go in pool order: c1, c2.
    pool = prepare_pool(CANDIDATES, MERIT, CONFIG)
    model = build_model(pool, [Seats(per_group=2), MaxPer(attribute="project")])
    limited = counterfactuals(model, solve(model), limit=2)
    assert limited.loc[limited[col.CF_STATUS] == "computed", col.CANDIDATE_ID].tolist() == [
        "c1",
        "c2",
    ]
    assert (limited[col.CF_STATUS] != "computed").sum() == 2


def test_soft_rule_counterfactual_impossible_when_rules_forbid() -> None:
    # One seat, at least one woman (hard): forcing the only woman out is impossible.
    candidates = CANDIDATES.iloc[:4]
    merit = MERIT.iloc[:4]
    config = SelectionConfig.model_validate(
        {
            "per_group": 1,
            "constraints": [{"kind": "at_least", "attribute": "gender", "value": "F", "count": 1}],
        }
    )
    out = select(candidates, merit, config)
    assert _row(out, "c3")[col.CF_STATUS] == "impossible"
    assert "cannot be left out without breaking a rule" in out.explain("c3")
    assert AtLeast(attribute="gender", value="F", count=1).label in set(out.constraints[col.RULE])


@settings(
    max_examples=max(10, settings().max_examples // 4),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(events(max_rules=3, max_delegations=150))
def test_every_reason_is_confirmed_by_re_solving(event: Event) -> None:
    # Brute force over every delegation, with each set of rules left out: a rule reason
    # names exactly the single rules whose removal flips the status, a "rules" reason the
    # smallest combination that does, and a merit reason means no set of rules does.
    result = select(event.candidates, event.merit, event.config)
    if result.status is not SolveStatus.OPTIMAL:
        return
    pool = prepare_pool(event.candidates, event.merit, event.config)
    rules = [seats_rule(event.config), *event.rules]
    labels = [r.label for r in rules]
    best: dict[frozenset[int], frozenset[int] | None] = {}
    for size in range(len(rules)):
        for dropped in itertools.combinations(range(1, len(rules)), size):
            found = _best(_options(pool, [r for k, r in enumerate(rules) if k not in dropped]))
            best[frozenset(dropped)] = None if found is None else frozenset(found.positions)
    chosen = best[frozenset()]
    assert chosen is not None
    ranking = result.ranking.set_index(col.CANDIDATE_ID)
    for p in np.flatnonzero(pool.selectable).tolist():
        row = ranking.loc[str(pool.candidate_ids[p])]
        reason, named = str(row[col.REASON]), [n for n in str(row[col.BINDING]).split("; ") if n]

        def flips(dropped: frozenset[int], p: int = p) -> bool:
            delegation = best[dropped]
            return delegation is not None and (p in delegation) != (p in chosen)

        singles = [labels[k] for k in range(1, len(rules)) if flips(frozenset({k}))]
        if reason.endswith(".rule"):
            assert named == singles and singles
        elif reason.endswith(".rules"):
            assert not singles
            together = frozenset(labels.index(n) for n in named)
            assert flips(together)
            assert not any(flips(d) for d in best if len(d) < len(together))
        elif reason.endswith(".merit"):
            assert not any(flips(d) for d in best), reason
