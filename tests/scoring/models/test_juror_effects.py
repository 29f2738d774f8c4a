"""The additive model's core: one fit, a batch of fits, and the calibration that uses it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.models.calibrate import calibrate_scores
from scoring.models.juror_effects import component_labels, component_mean, juror_offsets


def _system(count: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``C``, ``r`` and marks per juror of a (juror x target) design, every weight 1."""
    n_target = count.sum(axis=0)
    inverse = np.where(n_target > 0, 1 / np.maximum(n_target, 1), 0.0)
    ybar = total.sum(axis=0) * inverse
    information = np.diag(count.sum(axis=1)) - (count * inverse) @ count.T
    rhs = total.sum(axis=1) - count @ ybar
    return information, rhs, count.sum(axis=1)


def test_two_rooms_sharing_one_juror() -> None:
    # J1 marks A (8), J2 marks A (7) and B (5), J3 marks B (4): J1 is one point above J2
    # and J2 one above J3. With ridge 0 the offsets are +1, 0, -1 (they sum to zero).
    count = np.array([[1.0, 0], [1, 1], [0, 1]])
    total = np.array([[8.0, 0], [7, 5], [0, 4]])
    information, rhs, n_marks = _system(count, total)
    component = component_labels(information)
    offset, system = juror_offsets(
        information, rhs, n_marks=n_marks, component=component, ridge=0.0
    )
    assert component.tolist() == [0, 0, 0]
    np.testing.assert_allclose(offset, [1.0, 0.0, -1.0], atol=1e-12)
    assert system.shape == (3, 3)


def test_components_are_labelled_by_their_smallest_juror() -> None:
    # J0-J2 linked through J1, J3 alone, J4-J5 linked.
    links = np.zeros((6, 6))
    for j, k in [(0, 1), (1, 2), (4, 5)]:
        links[j, k] = links[k, j] = -1.0
    assert component_labels(links).tolist() == [0, 0, 0, 3, 4, 4]
    values = np.array([1.0, 2, 6, 5, 1, 3])
    assert component_mean(values, component_labels(links)).tolist() == [3, 3, 3, 5, 2, 2]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.sampled_from([0.0, 0.1, 3.0]))
def test_a_batch_gives_each_fit_exactly(seed: int, n_jurors: int, ridge: float) -> None:
    rng = np.random.default_rng(seed)
    batch = []
    for _ in range(4):
        count = (rng.random((n_jurors, 5)) < 0.5).astype(float)
        total = count * rng.integers(1, 11, count.shape)
        batch.append(_system(count, total))
    information, rhs, n_marks = (np.stack(parts) for parts in zip(*batch, strict=True))
    component = component_labels(information)
    offset, system = juror_offsets(
        information, rhs, n_marks=n_marks, component=component, ridge=ridge
    )
    for r, (one_information, one_rhs, one_marks) in enumerate(batch):
        one_component = component_labels(one_information)
        one_offset, one_system = juror_offsets(
            one_information, one_rhs, n_marks=one_marks, component=one_component, ridge=ridge
        )
        assert np.array_equal(component[r], one_component)
        assert np.array_equal(offset[r], one_offset)
        assert np.array_equal(system[r], one_system)
        sums = np.bincount(one_component, weights=one_offset, minlength=n_jurors)
        np.testing.assert_allclose(sums, 0.0, atol=1e-9)


def test_calibration_offsets_are_the_core_solution() -> None:
    rng = np.random.default_rng(3)
    rows = [(f"J{j}", f"T{t}") for j in range(4) for t in range(6) if rng.random() < 0.7]
    marks = pd.DataFrame(rows, columns=["juror_id", "target_id"]).assign(
        criterion="pitch", score=rng.integers(1, 11, len(rows)).astype(float)
    )
    fit = calibrate_scores(marks, ridge=0.1)
    jurors = sorted(set(marks["juror_id"]))
    targets = sorted(set(marks["target_id"]))
    count = np.zeros((len(jurors), len(targets)))
    total = np.zeros_like(count)
    for juror, target, score in marks[["juror_id", "target_id", "score"]].itertuples(index=False):
        count[jurors.index(juror), targets.index(target)] += 1
        total[jurors.index(juror), targets.index(target)] += score
    information, rhs, n_marks = _system(count, total)
    offset, _ = juror_offsets(
        information,
        rhs,
        n_marks=n_marks,
        component=component_labels(information),
        ridge=0.1,
    )
    np.testing.assert_allclose(fit.offsets["offset"], offset, atol=1e-12)
