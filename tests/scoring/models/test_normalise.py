"""Per-juror normalisation: hand-checked formulas, fallbacks and warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.errors import InvalidEventError
from scoring.models.normalise import NORMALISE_METHODS, NormaliseMethod, normalise_scores

ZERO_TEN = CriterionConfig(name="pitch", weight=1, min=0, max=10)


def _marks(by_juror: dict[str, list[float]], criterion: str = "pitch") -> pd.DataFrame:
    rows = [
        (juror, f"T{t}", criterion, float(v))
        for juror, values in by_juror.items()
        for t, v in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])


def _normalised(marks: pd.DataFrame, method: str, criteria: list[CriterionConfig]) -> dict:
    result = normalise_scores(marks, method=method, criteria=criteria)  # type: ignore[arg-type]
    frame = result.scores
    return {
        (j, t): v
        for j, t, v in zip(
            frame[col.JUROR_ID], frame[col.TARGET_ID], frame[col.NORMALISED], strict=True
        )
    }


def test_zscore_with_a_flat_juror() -> None:
    # Scale 1..7: mid 4, range 6, so z maps to 4 + z * 6 / 6 = 4 + z.
    # J1 marks 4, 5, 6: mean 5, sd 1 (n - 1) -> z = -1, 0, 1 -> 3, 4, 5.
    # J2 marks 8, 8, 8: no spread -> fallback 4 + (8 - 8) = 4 for every target, and a warning.
    scale = CriterionConfig(name="pitch", weight=1, min=1, max=7)
    marks = _marks({"J1": [4, 5, 6], "J2": [8, 8, 8]})
    result = normalise_scores(marks, method="zscore", criteria=[scale])
    got = _normalised(marks, "zscore", [scale])
    assert [got["J1", t] for t in ("T0", "T1", "T2")] == pytest.approx([3, 4, 5])
    assert [got["J2", t] for t in ("T0", "T1", "T2")] == [4, 4, 4]
    (issue,) = result.issues
    assert issue.code == "normalise.flat_juror" and issue.value == "J2"
    assert issue.column == "pitch" and "same mark to all 3 targets" in issue.message


def test_zscore_on_a_wider_scale() -> None:
    # Scale 0..10: 5 + z * 10 / 6. Marks 2, 4, 9: mean 5, sd sqrt((9 + 1 + 16) / 2) = sqrt(13).
    got = _normalised(_marks({"J": [2, 4, 9]}), "zscore", [ZERO_TEN])
    expected = [5 + (x - 5) / math.sqrt(13) * 10 / 6 for x in (2, 4, 9)]
    assert [got["J", t] for t in ("T0", "T1", "T2")] == pytest.approx(expected)


def test_minmax() -> None:
    # Marks 2, 4, 9 on 0..10: (x - 2) / 7 * 10 -> 0, 20/7, 10.
    got = _normalised(_marks({"J": [2, 4, 9]}), "minmax", [ZERO_TEN])
    assert [got["J", t] for t in ("T0", "T1", "T2")] == pytest.approx([0, 20 / 7, 10])


def test_rank_averages_ties() -> None:
    # Marks 3, 7, 7, 9 on 1..9: ranks 1, 2.5, 2.5, 4; (rank - 1/2) / 4 = 1/8, 1/2, 1/2, 7/8;
    # 1 + 8 * p = 2, 5, 5, 8.
    scale = CriterionConfig(name="pitch", weight=1, min=1, max=9)
    got = _normalised(_marks({"J": [7, 3, 9, 7]}), "rank", [scale])
    assert [got["J", t] for t in ("T0", "T1", "T2", "T3")] == pytest.approx([5, 2, 8, 5])


def test_robust() -> None:
    # Marks 1, 2, 3, 4, 10: median 3; quartiles at positions 1 and 3 (linear rule): 2 and 4;
    # IQR 2 -> sigma = 2 / 1.349; value = 5 + (x - 3) / sigma * 10 / 6.
    sigma = 2 / 1.3489795003921634
    got = _normalised(_marks({"J": [1, 2, 3, 4, 10]}), "robust", [ZERO_TEN])
    expected = [5 + (x - 3) / sigma * 10 / 6 for x in (1, 2, 3, 4, 10)]
    assert [got["J", f"T{t}"] for t in range(5)] == pytest.approx(expected)


def test_robust_zero_iqr_uses_the_standard_deviation() -> None:
    # Marks 5, 5, 5, 5, 9: both quartiles 5, IQR 0. The marks do vary (mean 5.8, SS = 4 *
    # 0.64 + 10.24 = 12.8, sd = sqrt(12.8 / 4) = sqrt(3.2)), so sd replaces IQR / 1.349:
    # 5 + (x - median 5) / sqrt(3.2) * 10 / 6 -> 5 for the fives, 5 + 4 / sqrt(3.2) * 10 / 6.
    marks = _marks({"J": [5, 5, 5, 5, 9]})
    result = normalise_scores(marks, method="robust", criteria=[ZERO_TEN])
    expected = [5, 5, 5, 5, 5 + 4 / math.sqrt(3.2) * 10 / 6]
    assert result.scores[col.NORMALISED].tolist() == pytest.approx(expected)
    (issue,) = result.issues
    assert issue.code == "normalise.zero_iqr" and "standard deviation" in issue.message


@pytest.mark.parametrize("method", ["zscore", "minmax", "rank", "robust"])
def test_too_few_marks_are_only_centred(method: str) -> None:
    # Two marks 3 and 9 (mean and median 6) on 0..10: 5 + (x - 6) -> 2 and 8.
    marks = _marks({"J": [3, 9]})
    result = normalise_scores(marks, method=method, criteria=[ZERO_TEN])  # type: ignore[arg-type]
    assert result.scores[col.NORMALISED].tolist() == [2, 8]
    (issue,) = result.issues
    assert issue.code == "normalise.few_marks" and "only 2 mark(s)" in issue.message


@pytest.mark.parametrize("method", ["zscore", "minmax", "rank", "robust"])
def test_flat_juror_gets_the_midpoint_without_dividing_by_zero(method: str) -> None:
    with np.errstate(all="raise"):
        result = normalise_scores(
            _marks({"J": [7, 7, 7, 7]}),
            method=method,  # type: ignore[arg-type]
            criteria=[ZERO_TEN],
        )
    assert result.scores[col.NORMALISED].tolist() == [5, 5, 5, 5]
    assert [i.code for i in result.issues] == ["normalise.flat_juror"]


def test_flat_detection_tolerates_rounding_noise() -> None:
    # 0.1 + 0.2 and 0.3 differ in the last bit; no z-score should blow that up.
    marks = _marks({"J": [0.1 + 0.2, 0.3, 0.3]})
    result = normalise_scores(marks, method="zscore", criteria=[ZERO_TEN])
    assert result.scores[col.NORMALISED].tolist() == pytest.approx([5, 5, 5])


def test_raw_keeps_marks() -> None:
    marks = _marks({"J": [3, 9]})
    result = normalise_scores(marks, method="raw", criteria=[ZERO_TEN])
    assert result.scores[col.NORMALISED].tolist() == [3, 9] and result.issues == ()


def test_each_criterion_is_normalised_on_its_own_scale() -> None:
    # Same juror, two criteria: minmax maps each criterion's marks onto its own scale.
    other = CriterionConfig(name="idea", weight=1, min=1, max=5)
    marks = pd.concat([_marks({"J": [2, 4, 6]}), _marks({"J": [10, 20, 30]}, criterion="idea")])
    frame = normalise_scores(marks, method="minmax", criteria=[ZERO_TEN, other]).scores
    assert frame[col.CRITERION].tolist() == ["idea"] * 3 + ["pitch"] * 3
    assert frame[col.NORMALISED].tolist() == pytest.approx([1, 3, 5, 0, 5, 10])


@pytest.mark.parametrize("method", NORMALISE_METHODS)
def test_input_frame_is_not_modified(method: NormaliseMethod) -> None:
    marks = _marks({"J1": [1, 5, 6], "J2": [2, 2, 9]})
    before = marks.copy()
    normalise_scores(marks, method=method, criteria=[ZERO_TEN])
    pd.testing.assert_frame_equal(marks, before)


def test_errors() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        normalise_scores(_marks({"J": [1]}), method="additive", criteria=[ZERO_TEN])  # type: ignore[arg-type]
    with pytest.raises(InvalidEventError) as raised:
        normalise_scores(
            _marks({"J": [1]}, criterion="other"), method="zscore", criteria=[ZERO_TEN]
        )
    (issue,) = raised.value.issues
    assert (issue.severity, issue.code) == ("error", "normalise.unknown_criterion")
    assert (issue.column, issue.value) == ("criterion", "other")
