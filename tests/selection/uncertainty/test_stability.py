"""Tests of selection.stability: the fast engine against the naive one, and hand cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from scoring.event import Event
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection import columns as col
from selection.uncertainty.stability import resample_weights, stability, verdicts
from selection.uncertainty.stability_fast import WeightedMerit
from tests.factories import make_config, make_event


@pytest.fixture(scope="module")
def example() -> Event:
    return load_event(example_event_path())


def _assert_same(a: object, b: object) -> None:
    for name in ("delegations", "frequencies", "leave_one_out"):
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name))
    for name in ("infeasible_resamples", "infeasible_leave_one_out", "n_resamples"):
        assert getattr(a, name) == getattr(b, name)


def test_fast_equals_naive_on_example(example: Event) -> None:
    # The example's "45% women overall" rule binds in most resamples, so this runs the
    # dynamic programme over groups, not only the per-group argmax.
    fast = stability(example, resamples=20, leave_one_out=True, seed=11)
    naive = stability(example, resamples=20, leave_one_out=True, seed=11, engine="naive")
    _assert_same(fast, naive)
    assert fast.n_solver == 0
    assert len(fast.delegations) == 12 * (20 + 8)


def test_fast_equals_naive_under_other_rules(example: Event) -> None:
    # Per-group distinct, require, exclude and at_most rules; a delegation-wide at_most.
    rules = [
        {"kind": "distinct", "attribute": "country", "min": 2},
        {"kind": "require", "ids": ["AF-03"]},
        {"kind": "exclude", "ids": ["LA-02"]},
        {"kind": "at_most", "attribute": "gender", "value": "M", "count": 2},
        {"kind": "at_most", "attribute": "country", "values": ["EGY"], "count": 1, "scope": "all"},
    ]
    selection = example.config.selection
    event = example.with_selection(
        type(selection).model_validate({**selection.model_dump(), "constraints": rules})
    )
    fast = stability(event, resamples=12, seed=3)
    naive = stability(event, resamples=12, seed=3, engine="naive")
    _assert_same(fast, naive)


def _tie_event(seed: int) -> Event:
    """Two groups of five, one criterion of marks in {5, 6}: many exact merit ties."""
    rng = np.random.default_rng(seed)
    ids = [f"{g}{i}" for g in "AB" for i in range(5)]
    cands = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: ids,
            col.GROUP: [i[0] for i in ids],
            "gender": rng.choice(["F", "M"], size=len(ids)),
        }
    )
    jurors = ["J1", "J2", "J3"]
    marks = pd.DataFrame(
        [(j, c, "pitch", float(rng.integers(5, 7))) for j in jurors for c in ids],
        columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE],
    )
    config = make_config(
        selection={
            "per_group": 2,
            "seed": seed,
            "constraints": [
                {
                    "kind": "at_least",
                    "attribute": "gender",
                    "value": "F",
                    "share": 0.5,
                    "scope": "all",
                    "if_available": True,
                },
            ],
        },
        scoring={"min_jurors": 1},
    )
    return make_event(cands, marks, config)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fast_equals_naive_with_ties(seed: int) -> None:
    event = _tie_event(seed)
    fast = stability(event, resamples=15, leave_one_out=True, seed=seed)
    naive = stability(event, resamples=15, leave_one_out=True, seed=seed, engine="naive")
    _assert_same(fast, naive)


def test_tie_across_groups_is_left_to_the_solver() -> None:
    # Equal merits; exactly one woman overall. Seed 2 gives lottery weights a 4, b 3, c 2,
    # d 1: each group's favourite (a, c) are both women, and the two delegations meeting
    # the rule, {a, d} and {b, c}, tie on merit and on lottery sum (5). Only the third
    # tie-break settles it ({a, d}: it holds the best differing position), so the fast
    # engine hands every run to select().
    cands = pd.DataFrame(
        {
            col.CANDIDATE_ID: list("abcd"),
            col.NAME: list("ABCD"),
            col.GROUP: ["G1", "G1", "G2", "G2"],
            "gender": ["F", "M", "F", "M"],
        }
    )
    marks = pd.DataFrame(
        {col.JUROR_ID: "J1", col.TARGET_ID: list("abcd"), col.CRITERION: "pitch", col.SCORE: 5.0}
    )
    one_woman = {"kind": "at_least", "attribute": "gender", "value": "F", "scope": "all"}
    config = make_config(
        selection={
            "per_group": 1,
            "seed": 2,
            "constraints": [
                {**one_woman, "count": 1},
                {**one_woman, "kind": "at_most", "count": 1, "name": "at most one"},
            ],
        },
        scoring={"min_jurors": 1, "method": "raw"},
    )
    result = stability(make_event(cands, marks, config), resamples=3, seed=1)
    assert result.n_solver == 3
    assert sorted(result.delegations[col.CANDIDATE_ID].unique()) == ["a", "d"]


def test_soft_rules_are_left_to_the_solver(example: Event) -> None:
    selection = example.config.selection
    rules = [
        {**spec.model_dump(exclude_defaults=True), "soft": True} for spec in selection.constraints
    ]
    event = example.with_selection(
        type(selection).model_validate({**selection.model_dump(), "constraints": rules})
    )
    fast = stability(event, resamples=3, seed=8)
    naive = stability(event, resamples=3, seed=8, engine="naive")
    _assert_same(fast, naive)
    assert fast.n_solver == 3


def test_zscore_method_uses_rescoring_and_matches(example: Event) -> None:
    fast = stability(example, resamples=3, seed=2, method="zscore")
    naive = stability(example, resamples=3, seed=2, method="zscore", engine="naive")
    _assert_same(fast, naive)
    assert fast.method == "zscore"


def test_weighted_merit_matches_replicated_marks(example: Event) -> None:
    # Weight 2 on J1 equals J1's marks written twice on the score sheet.
    model = WeightedMerit.from_event(example)
    weights = np.ones((1, len(model.juror_ids)))
    weights[0, 0] = 2.0
    twice = example.scores[example.scores[col.JUROR_ID] == "J1"]
    doubled = replace(example, scores=pd.concat([example.scores, twice], ignore_index=True))
    from scoring.pipeline import score_event

    merit = score_event(doubled, diagnostics=False).merit.set_index(col.CANDIDATE_ID)
    expected = merit[col.MERIT].reindex(model.candidate_ids).to_numpy()
    np.testing.assert_allclose(model.merit(weights)[0], expected, rtol=0, atol=1e-12)


def test_deterministic_and_row_order_invariant(example: Event) -> None:
    first = stability(example, resamples=40, leave_one_out=True, seed=9)
    again = stability(example, resamples=40, leave_one_out=True, seed=9)
    rng = np.random.default_rng(0)

    def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.take(rng.permutation(len(frame))).reset_index(drop=True)

    mixed = replace(
        example,
        candidates=shuffled(example.candidates),
        scores=shuffled(example.scores),
        jurors=shuffled(example.jurors),
    )
    other = stability(mixed, resamples=40, leave_one_out=True, seed=9)
    _assert_same(first, again)
    _assert_same(first, other)
    assert first.to_dict() == again.to_dict() | {"timings": first.to_dict()["timings"]}
    different = stability(example, resamples=40, seed=10)
    assert not first.delegations.equals(different.delegations)


def test_defaults_come_from_config(example: Event) -> None:
    stab = example.config.stability.model_copy(update={"resamples": 5, "leave_one_out": True})
    event = replace(example, config=example.config.model_copy(update={"stability": stab}))
    result = stability(event)
    assert (result.n_resamples, result.n_leave_one_out) == (5, 8)
    assert result.seed == example.config.selection.seed
    assert stability(example, resamples=2, method="bayes").method == "additive"


def _harsh_event() -> Event:
    """One group, one seat; J3 is the only harsh juror, and only A's marks show it.

    Raw means: A (9 + 9 + 2) / 3 = 6.67, B (7 + 7 + 7) / 3 = 7, so B is selected.
    Without J3: A 9 > B 7, A is selected. Without J1 (or J2): A (9 + 2) / 2 = 5.5 < 7, B.
    """
    cands = pd.DataFrame({col.CANDIDATE_ID: ["A", "B"], col.NAME: ["Ann", "Bo"], col.GROUP: "G"})
    marks = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J1", "J2", "J3"],
            col.TARGET_ID: ["A", "A", "A", "B", "B", "B"],
            col.CRITERION: "pitch",
            col.SCORE: [9.0, 9.0, 2.0, 7.0, 7.0, 7.0],
        }
    )
    config = make_config(selection={"per_group": 1}, scoring={"method": "raw"})
    return make_event(cands, marks, config)


def test_leave_one_out_removing_the_harsh_juror() -> None:
    result = stability(_harsh_event(), resamples=0, leave_one_out=True, seed=1)
    loo = result.leave_one_out.set_index(col.JUROR_ID)
    assert loo[col.CHANGED].to_dict() == {"J1": False, "J2": False, "J3": True}
    assert (loo.at["J3", col.JOINING], loo.at["J3", col.LEAVING]) == ("A", "B")
    freq = result.frequencies.set_index(col.CANDIDATE_ID)
    assert freq[col.LOO_SELECTED].to_dict() == {"A": 1, "B": 2}
    assert freq[col.STATUS_IN_FULL_RUN].to_dict() == {"A": "not_selected", "B": "selected"}
    # Without bootstrap resamples the verdict uses the leave-one-out share (1/3, 2/3).
    assert freq[col.VERDICT].to_dict() == {"A": "swing", "B": "swing"}
    assert freq[col.SELECTION_FREQUENCY].isna().all()


def test_infeasible_resamples_are_counted() -> None:
    # Two seats, two candidates; only J1 marked B. Without J1, B has no merit: infeasible.
    cands = pd.DataFrame({col.CANDIDATE_ID: ["A", "B"], col.NAME: ["Ann", "Bo"], col.GROUP: "G"})
    marks = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J1"],
            col.TARGET_ID: ["A", "A", "B"],
            col.CRITERION: "pitch",
            col.SCORE: [6.0, 8.0, 7.0],
        }
    )
    config = make_config(selection={"per_group": 2}, scoring={"min_jurors": 1})
    event = make_event(cands, marks, config)
    result = stability(event, resamples=40, leave_one_out=True, seed=4)
    ids, weights = resample_weights(event, 40, seed=4)
    expected = int((weights[:, list(ids).index("J1")] == 0).sum())
    assert 0 < expected < 40
    assert result.infeasible_resamples == expected
    assert result.infeasible_leave_one_out == 1
    assert result.leave_one_out[col.STATUS].tolist() == ["infeasible", "optimal"]
    freq = result.frequencies.set_index(col.CANDIDATE_ID)
    assert freq[col.SELECTION_FREQUENCY].tolist() == [1.0, 1.0]
    assert freq[col.N_SELECTED].tolist() == [40 - expected] * 2


def test_panels_are_resampled_within() -> None:
    event = load_event(example_event_path())
    ids, weights = resample_weights(event, 200, seed=1)
    panel = event.jurors.set_index(col.JUROR_ID)["panel"].reindex(ids).to_numpy()
    for name in set(panel):
        assert (weights[:, panel == name].sum(axis=1) == (panel == name).sum()).all()


def test_verdict_thresholds(example: Event) -> None:
    assert verdicts(np.array([0.8, 0.79, 0.5, 0.2, 0.21]), core=0.8).tolist() == [
        "core",
        "swing",
        "swing",
        "out",
        "swing",
    ]
    result = stability(example, resamples=50, seed=5)
    frame = result.frequencies
    share = frame[col.SELECTION_FREQUENCY]
    assert (frame.loc[share >= 0.9, col.VERDICT] == "core").all()
    assert (frame.loc[share <= 0.1, col.VERDICT] == "out").all()
    swing = result.swing()
    assert ((swing[col.SELECTION_FREQUENCY] > 0.1) & (swing[col.SELECTION_FREQUENCY] < 0.9)).all()
    assert set(result.core("Africa")[col.GROUP]) <= {"Africa"}
    # Each feasible resample selects 12: the frequencies sum to 12.
    assert share.sum() == pytest.approx(12.0)


def test_progress_and_to_dict(example: Event) -> None:
    calls: list[tuple[int, int]] = []
    result = stability(
        example,
        resamples=250,
        leave_one_out=True,
        seed=1,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (258, 258)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    import json

    data = json.loads(json.dumps(result.to_dict(delegations=True)))
    assert data["n_resamples"] == 250
    assert len(data["frequencies"]) == 80
    assert len(data["delegations"]) == 12 * 258


def test_rejects_bad_arguments(example: Event) -> None:
    with pytest.raises(ValueError, match="method"):
        stability(example, resamples=1, method="nope")
    with pytest.raises(ValueError, match="resamples"):
        stability(example, resamples=-1)


@pytest.mark.slow
def test_fast_equals_naive_many_resamples(example: Event) -> None:
    fast = stability(example, resamples=60, leave_one_out=True, seed=2019)
    naive = stability(example, resamples=60, leave_one_out=True, seed=2019, engine="naive")
    _assert_same(fast, naive)
