"""Tests of the grey-zone lottery (selection.lottery)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from scoring.config import SelectionConfig
from scoring.errors import InvalidEventError
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from scoring.pipeline import score_event
from selection import columns as col
from selection.uncertainty.lottery import (
    IN_RULE_NAME,
    OUT_RULE_NAME,
    LotteryResult,
    grey_zone_lottery,
    lottery_keys,
    rank_zones,
)


def _event() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two groups of five, two seats each.

    G1: a in (hi50 1 <= 2); b, c, d grey (lo50 <= 2 < hi50); e out (lo50 3 > 2).
    G2: f, g in; h grey; i out; j ineligible -> out whatever its interval.
    """
    ids = list("abcdefghij")
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: [i.upper() for i in ids],
            col.GROUP: ["G1"] * 5 + ["G2"] * 5,
            col.PROJECT: [f"P{i}" for i in range(10)],
            col.ELIGIBLE: [True] * 9 + [False],
            "gender": ["M", "M", "M", "M", "F", "F", "M", "M", "F", "F"],
        }
    )
    merit = pd.DataFrame(
        {col.CANDIDATE_ID: ids, col.MERIT: [9.0, 8.0, 7.9, 7.8, 5.0, 9.0, 8.5, 8.0, 6.0, 9.9]}
    )
    posterior = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.RANK_LO50: [1, 1, 2, 2, 3, 1, 1, 2, 3, 1],
            col.RANK_HI50: [1, 3, 4, 4, 5, 2, 2, 4, 4, 1],
        }
    )
    return candidates, merit, posterior


def test_zones_from_a_hand_made_posterior() -> None:
    candidates, merit, posterior = _event()
    zones = rank_zones(candidates, merit, posterior, SelectionConfig(per_group=2))
    assert dict(zip(zones[col.CANDIDATE_ID], zones[col.ZONE], strict=True)) == {
        "a": "in",
        "b": "grey",
        "c": "grey",
        "d": "grey",
        "e": "out",
        "f": "in",
        "g": "in",
        "h": "grey",
        "i": "out",
        "j": "out",
    }


def test_result_layout_keys_and_grey_seats_from_the_grey_zone() -> None:
    candidates, merit, posterior = _event()
    result = grey_zone_lottery(candidates, merit, posterior, SelectionConfig(per_group=2), seed=3)
    zones = result.zones
    assert tuple(zones.columns) == col.ZONE_COLUMNS
    grey = zones[zones[col.ZONE] == "grey"]
    assert grey[col.LOTTERY_KEY].between(0, 1, inclusive="left").all()
    assert zones.loc[zones[col.ZONE] != "grey", col.LOTTERY_KEY].isna().all()
    # G1: a is in; the one seat left goes to the grey candidate with the highest key
    g1 = grey[grey[col.GROUP] == "G1"]
    best = str(g1.sort_values(col.LOTTERY_KEY)[col.CANDIDATE_ID].iloc[-1])
    assert sorted(result.delegation[col.CANDIDATE_ID]) == sorted(["a", best, "f", "g"])
    assert result.deviations.empty
    assert result.delegation[col.MERIT].tolist() == sorted(
        result.delegation[col.MERIT].tolist()[:2], reverse=True
    ) + sorted(result.delegation[col.MERIT].tolist()[2:], reverse=True)
    # the delegation carries the real merit, not the lottery values
    real = merit.set_index(col.CANDIDATE_ID)[col.MERIT]
    assert (
        result.delegation[col.MERIT].to_numpy()
        == real.reindex(result.delegation[col.CANDIDATE_ID]).to_numpy()
    ).all()
    assert "seed 3" in result.description and "seed=3" in result.description
    json.dumps(result.to_dict())


def test_same_seed_same_draw_whatever_the_row_order() -> None:
    candidates, merit, posterior = _event()
    config = SelectionConfig(per_group=2)
    one = grey_zone_lottery(candidates, merit, posterior, config, seed=11)
    rng = np.random.default_rng(0)
    shuffled = [f.iloc[rng.permutation(len(f))] for f in (candidates, merit, posterior)]
    two = grey_zone_lottery(shuffled[0], shuffled[1], shuffled[2], config, seed=11)
    pd.testing.assert_frame_equal(one.zones, two.zones)
    pd.testing.assert_frame_equal(one.delegation, two.delegation)
    assert one.description == two.description
    pair = lottery_keys(["G1", "G1"], ["b", "c"], 11)
    alone = [lottery_keys(["G1"], [i], 11)[0] for i in ("b", "c")]
    assert pair.tolist() == alone


def test_the_seed_changes_the_draw() -> None:
    candidates, merit, posterior = _event()
    config = SelectionConfig(per_group=2)
    drawn = {
        tuple(grey_zone_lottery(candidates, merit, posterior, config, seed=s).delegation.iloc[:, 1])
        for s in range(12)
    }
    assert len(drawn) > 1


def test_inputs_are_not_modified() -> None:
    frames = _event()
    copies = [f.copy() for f in frames]
    grey_zone_lottery(*frames, SelectionConfig(per_group=2), seed=1)
    for frame, copy in zip(frames, copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_rules_hold_even_when_the_draw_would_break_them() -> None:
    # G1's in and grey candidates are all men: the woman e (out) must come in, so one
    # seat of the draw is lost in G1, and this deviation is reported.
    candidates, merit, posterior = _event()
    config = SelectionConfig.model_validate(
        {
            "per_group": 2,
            "constraints": [{"kind": "at_least", "attribute": "gender", "value": "F", "count": 1}],
        }
    )
    for seed in range(5):
        result = grey_zone_lottery(candidates, merit, posterior, config, seed=seed)
        chosen = set(result.delegation[col.CANDIDATE_ID])
        assert "e" in chosen and "a" in chosen
        table = result.selection.constraints
        own = table[col.RULE].isin([IN_RULE_NAME, OUT_RULE_NAME])
        assert table.loc[~own, col.SATISFIED].all()
        assert table.loc[table[col.RULE] == OUT_RULE_NAME, col.BENT_BY].tolist() == [1]
        deviations = result.deviations
        assert deviations[col.CANDIDATE_ID].tolist() == ["e"]
        assert "forced e in" in result.description


def test_a_rule_can_push_an_in_candidate_out_by_merit() -> None:
    # G2: f and g are both in, but one per project now puts them together: the weaker, g,
    # leaves for the grey h.
    candidates, merit, posterior = _event()
    candidates = candidates.assign(
        **{col.PROJECT: ["P0", "P1", "P2", "P3", "P4", "Q", "Q", "P7", "P8", "P9"]}
    )
    config = SelectionConfig.model_validate(
        {"per_group": 2, "constraints": [{"kind": "max_per", "attribute": "project"}]}
    )
    result = grey_zone_lottery(candidates, merit, posterior, config, seed=0)
    g2 = result.delegation[result.delegation[col.GROUP] == "G2"]
    assert sorted(g2[col.CANDIDATE_ID]) == ["f", "h"]
    bends = result.selection.bends
    assert bends[col.RULE].tolist() == [IN_RULE_NAME]


def test_missing_rank_columns_are_an_input_error() -> None:
    candidates, merit, posterior = _event()
    with pytest.raises(InvalidEventError) as caught:
        grey_zone_lottery(
            candidates, merit, posterior.drop(columns=[col.RANK_HI50]), SelectionConfig()
        )
    assert caught.value.issues_frame["column"].tolist() == [col.RANK_HI50]
    assert caught.value.issues_frame["code"].tolist() == ["lottery.no_rank_intervals"]


def test_keys_are_uniform() -> None:
    keys = lottery_keys(["G"] * 4000, [f"c{i}" for i in range(4000)], 2019)
    counts = np.histogram(keys, bins=10, range=(0, 1))[0]
    # 400 expected per bin, sd 19: a bin outside 320..480 is a 4-sigma event
    assert counts.min() > 320 and counts.max() < 480


def _symmetric() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One group, two seats: one in, four interchangeable grey candidates, one out."""
    ids = ["in", "g1", "g2", "g3", "g4", "out"]
    candidates = pd.DataFrame({col.CANDIDATE_ID: ids, col.NAME: ids, col.GROUP: "G"})
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: [9.0, 8.0, 7.9, 7.8, 7.7, 5.0]})
    posterior = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.RANK_LO50: [1, 2, 2, 2, 2, 6],
            col.RANK_HI50: [1, 5, 5, 5, 5, 6],
        }
    )
    return candidates, merit, posterior


@pytest.mark.slow
def test_each_grey_candidate_is_drawn_equally_often() -> None:
    frames = _symmetric()
    config = SelectionConfig(per_group=2)
    n = 160
    counts: Counter[str] = Counter()
    for seed in range(n):
        result: LotteryResult = grey_zone_lottery(*frames, config, seed=seed)
        chosen = set(result.delegation[col.CANDIDATE_ID])
        assert "in" in chosen and "out" not in chosen
        counts.update(chosen - {"in"})
    # each grey candidate: binomial(160, 1/4), mean 40, sd 5.5; 18..62 is 4 sd either side
    assert sorted(counts) == ["g1", "g2", "g3", "g4"]
    assert all(18 <= counts[g] <= 62 for g in counts), counts


def test_each_grey_candidate_can_be_drawn() -> None:
    frames = _symmetric()
    config = SelectionConfig(per_group=2)
    counts: Counter[str] = Counter()
    for seed in range(30):
        chosen = set(grey_zone_lottery(*frames, config, seed=seed).delegation[col.CANDIDATE_ID])
        counts.update(chosen - {"in"})
    # P(some grey candidate never drawn in 30 draws) <= 4 * 0.75**30 < 0.1%
    assert sorted(counts) == ["g1", "g2", "g3", "g4"] and sum(counts.values()) == 30


def test_the_example_event_under_bayes_keeps_every_rule() -> None:
    event = load_event(example_event_path())
    scored = score_event(event, method="bayes", diagnostics=False)
    assert scored.posterior is not None
    config = event.config.selection
    result = grey_zone_lottery(event.candidates, scored.merit, scored.posterior, config)
    table = result.selection.constraints
    configured = {spec.name for spec in config.constraints}
    assert table.loc[table[col.RULE].isin(configured), col.SATISFIED].all()
    assert len(result.delegation) == 12 and result.seed == config.seed
    assert (result.delegation.groupby(col.GROUP).size() == 3).all()
    # every representative is in, drawn from the grey zone, or forced in by a rule
    zone = result.zones.set_index(col.CANDIDATE_ID)[col.ZONE]
    drawn = zone.reindex(result.delegation[col.CANDIDATE_ID])
    forced = set(result.deviations[col.CANDIDATE_ID])
    assert all(z in ("in", "grey") or i in forced for i, z in drawn.items())
    again = grey_zone_lottery(event.candidates, scored.merit, scored.posterior, config)
    assert again.description == result.description
