"""Hypothesis properties of normalisation, calibration and the whole scoring pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.event import Event
from scoring.models.calibrate import calibrate_scores
from scoring.models.normalise import normalise_scores
from scoring.pipeline import SCORING_METHODS, score_event
from tests.factories import make_config, make_event

SCALE = CriterionConfig(name="pitch", weight=1, min=1, max=10)


@dataclasses.dataclass(frozen=True)
class Design:
    """Which juror marked which target (``mask[j, t]``) and the marks."""

    mask: np.ndarray
    marks: np.ndarray

    def frame(self, marks: np.ndarray | None = None, criterion: str = "pitch") -> pd.DataFrame:
        values = self.marks if marks is None else marks
        jurors, targets = np.nonzero(self.mask)
        return pd.DataFrame(
            {
                col.JUROR_ID: [f"J{j}" for j in jurors],
                col.TARGET_ID: [f"T{t}" for t in targets],
                col.CRITERION: criterion,
                col.SCORE: values[jurors, targets],
            }
        )


def _connected(mask: np.ndarray) -> bool:
    """Union-find over jurors and targets, independent of the library's own check."""
    n_jurors, n_targets = mask.shape
    parent = list(range(n_jurors + n_targets))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for j, t in zip(*np.nonzero(mask), strict=True):
        parent[find(int(j))] = find(n_jurors + int(t))
    return len({find(a) for a in range(n_jurors + n_targets)}) == 1


@st.composite
def designs(draw: st.DrawFn, *, complete: bool = False, min_targets: int = 2) -> Design:
    n_jurors = draw(st.integers(2, 5))
    n_targets = draw(st.integers(min_targets, 6))
    if complete:
        mask = np.ones((n_jurors, n_targets), dtype=bool)
    else:
        cells = draw(
            st.lists(st.booleans(), min_size=n_jurors * n_targets, max_size=n_jurors * n_targets)
        )
        mask = np.array(cells).reshape(n_jurors, n_targets)
        assume(mask.any(axis=0).all() and mask.any(axis=1).all() and _connected(mask))
    marks = draw(st.lists(st.integers(1, 10), min_size=mask.size, max_size=mask.size))
    return Design(mask, np.array(marks, dtype=float).reshape(mask.shape))


def _normalised(marks: pd.DataFrame, method: str) -> pd.Series:
    result = normalise_scores(marks, method=method, criteria=[SCALE])  # type: ignore[arg-type]
    return result.scores[col.NORMALISED]


@pytest.mark.parametrize("method", ["zscore", "minmax", "robust"])
@given(
    design=designs(complete=True, min_targets=3),
    juror=st.integers(0, 4),
    gain=st.floats(0.1, 10),
    shift=st.floats(-5, 5),
)
def test_affine_transform_of_one_juror_changes_nothing(
    method: str, design: Design, juror: int, gain: float, shift: float
) -> None:
    juror %= design.mask.shape[0]
    moved = design.marks.copy()
    moved[juror] = gain * moved[juror] + shift
    before = _normalised(design.frame(), method)
    after = _normalised(design.frame(moved), method)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9)


@given(
    design=designs(complete=True, min_targets=3),
    juror=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_rank_is_unchanged_by_any_increasing_transform(
    design: Design, juror: int, seed: int
) -> None:
    juror %= design.mask.shape[0]
    # An arbitrary increasing map of the marks 1..10: cumulative sums of positive steps.
    steps = np.random.default_rng(seed).exponential(size=11)
    increasing = np.cumsum(steps) * 7 - 20
    moved = design.marks.copy()
    moved[juror] = increasing[moved[juror].astype(int)]
    np.testing.assert_allclose(
        _normalised(design.frame(moved), "rank"), _normalised(design.frame(), "rank"), rtol=1e-12
    )


def _event(design: Design, method: str) -> Event:
    n_targets = design.mask.shape[1]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: [f"T{t}" for t in range(n_targets)],
            col.NAME: "x",
            col.GROUP: [f"G{t % 2}" for t in range(n_targets)],
            "country": [f"K{t % 3}" for t in range(n_targets)],
        }
    )
    jurors = pd.DataFrame(
        {
            col.JUROR_ID: [f"J{j}" for j in range(design.mask.shape[0])],
            col.NAME: "y",
            "country": [f"K{j % 3}" for j in range(design.mask.shape[0])],
        }
    )
    config = make_config(
        scoring={"method": method, "aggregate": "trimmed", "min_jurors": 2},
        diagnostics={"affinity": ["country"], "outlier_threshold": 2},
    )
    return make_event(candidates, design.frame(), config, jurors=jurors)


@pytest.mark.slow
@given(design=designs(), method=st.sampled_from(SCORING_METHODS), seed=st.integers(0, 999))
@example(  # identical marks: the Bayesian sampler's residual spread must not reach 0
    design=Design(
        mask=np.array([[False, False, False, False, True], [True, True, True, True, True]]),
        marks=np.ones((2, 5)),
    ),
    method="bayes",
    seed=0,
).via("discovered failure")
def test_every_method_is_independent_of_row_order(design: Design, method: str, seed: int) -> None:
    event = _event(design, method)
    shuffled = dataclasses.replace(
        event,
        scores=event.scores.sample(frac=1, random_state=seed),
        candidates=event.candidates.sample(frac=1, random_state=seed + 1),
        jurors=event.jurors.sample(frac=1, random_state=seed + 2),
    )
    a, b = score_event(event), score_event(shuffled)
    for field in dataclasses.fields(a):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, check_exact=True)
        else:
            assert left == right


@given(design=designs(), data=st.data())
def test_additive_recovers_planted_offsets_exactly(design: Design, data: st.DataObject) -> None:
    n_jurors, n_targets = design.mask.shape
    quality = np.array(
        data.draw(st.lists(st.floats(1, 10), min_size=n_targets, max_size=n_targets))
    )
    offset = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=n_jurors, max_size=n_jurors)))
    offset -= offset.mean()
    marks = quality[None, :] + offset[:, None]
    fit = calibrate_scores(design.frame(marks), ridge=0.0)
    np.testing.assert_allclose(fit.offsets[col.OFFSET], offset, atol=1e-9)
    scores = fit.scores.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    np.testing.assert_allclose(scores.to_numpy(), quality, atol=1e-9)


@given(design=designs(complete=True), ridge=st.sampled_from([0.0, 0.1, 3.0]))
def test_additive_equals_raw_means_on_complete_designs(design: Design, ridge: float) -> None:
    fit = calibrate_scores(design.frame(), ridge=ridge)
    calibrated = fit.scores.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    raw = fit.scores.groupby(col.TARGET_ID)[col.SCORE].mean()
    np.testing.assert_allclose(calibrated, raw, rtol=1e-12, atol=1e-10)


@given(design=designs(), juror=st.integers(0, 4), shift=st.floats(-4, 4))
def test_shifting_one_juror_moves_only_that_jurors_offset(
    design: Design, juror: int, shift: float
) -> None:
    # Offsets sum to zero, so shifting juror k by c moves b_k by c - c/J and every other
    # offset by the same -c/J; relative to the others only b_k moves. Target scores all
    # move by +c/J, which changes no comparison.
    n_jurors = design.mask.shape[0]
    juror %= n_jurors
    moved = design.marks.copy()
    moved[juror] += shift
    before = calibrate_scores(design.frame(), ridge=0.0)
    after = calibrate_scores(design.frame(moved), ridge=0.0)
    change = after.offsets[col.OFFSET].to_numpy() - before.offsets[col.OFFSET].to_numpy()
    expected = np.full(n_jurors, -shift / n_jurors)
    expected[juror] += shift
    np.testing.assert_allclose(change, expected, atol=1e-9)
    old = before.scores.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    new = after.scores.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    np.testing.assert_allclose(new - old, shift / n_jurors, atol=1e-9)


@given(
    design=designs(),
    other=st.lists(st.integers(1, 10), min_size=30, max_size=30),
    weight=st.floats(0.05, 0.95),
    ridge=st.sampled_from([0.0, 0.1, 2.0]),
    method=st.sampled_from(["additive", "raw"]),
)
def test_calibrate_then_weight_equals_weight_then_calibrate(
    design: Design, other: list[int], weight: float, ridge: float, method: str
) -> None:
    second = np.array(other[: design.mask.size], dtype=float).reshape(design.mask.shape)
    marks = pd.concat([design.frame(criterion="a"), design.frame(second, criterion="b")])
    criteria = [
        {"name": "a", "weight": weight, "min": 1, "max": 10},
        {"name": "b", "weight": 1 - weight, "min": 1, "max": 10},
    ]
    config = make_config(criteria, scoring={"method": method, "ridge": ridge, "min_jurors": 1})
    n_targets = design.mask.shape[1]
    candidates = pd.DataFrame(
        {col.CANDIDATE_ID: [f"T{t}" for t in range(n_targets)], col.NAME: "x", col.GROUP: "G"}
    )
    merit = score_event(make_event(candidates, marks, config), diagnostics=False).merit
    composite = design.frame(weight * design.marks + (1 - weight) * second)
    if method == "additive":
        composite = calibrate_scores(composite, ridge=ridge).scores
    else:
        composite = composite.assign(**{col.NORMALISED: composite[col.SCORE]})
    expected = composite.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    np.testing.assert_allclose(merit[col.MERIT], expected.to_numpy(), rtol=1e-10, atol=1e-10)
