"""Juror diagnostics and outlier judgments against independent formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.diagnostics.jurors import (
    ERRATIC_RATIO,
    MIN_CONSISTENCY,
    SEVERITY_SHARE,
    juror_table,
    outlier_marks,
)
from scoring.models.calibrate import calibrate_scores

PITCH = CriterionConfig(name="pitch", weight=1, min=0, max=10)

# Complete design, 5 jurors x 5 targets. J1..J4 follow quality + severity exactly
# (severities +1, 0, -1, 0); J5 marks at random.
QUALITY = np.array([3.0, 5.0, 6.0, 8.0, 9.0])
MARKS = np.vstack([QUALITY + 1, QUALITY, QUALITY - 1, QUALITY, np.array([9.0, 2.0, 8.0, 3.0, 6.0])])


def _frame(matrix: np.ndarray, criterion: str = "pitch") -> pd.DataFrame:
    rows = [
        (f"J{j + 1}", f"T{t}", criterion, float(matrix[j, t]))
        for j in range(matrix.shape[0])
        for t in range(matrix.shape[1])
    ]
    return pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])


def _table(marks: pd.DataFrame, threshold: float = 2.5) -> pd.DataFrame:
    fit = calibrate_scores(marks, ridge=0.0)
    return juror_table(fit, criteria=[PITCH], outlier_threshold=threshold)


def test_juror_table_matches_the_complete_design_formulas() -> None:
    table = _table(_frame(MARKS)).set_index(col.JUROR_ID)
    n_jurors, n_targets = MARKS.shape
    grand = MARKS.mean()
    # Complete design: offset = juror mean - grand mean; residual = y - juror mean -
    # target mean + grand mean; s^2 = RSS / ((J - 1)(T - 1)); Var(offset) = s^2 (1 - 1/J) / T.
    severity = MARKS.mean(axis=1) - grand
    residual = MARKS - MARKS.mean(axis=1, keepdims=True) - MARKS.mean(axis=0) + grand
    s2 = (residual**2).sum() / ((n_jurors - 1) * (n_targets - 1))
    residual_ms = (residual**2).mean(axis=1)
    assert table[col.SEVERITY].to_numpy() == pytest.approx(severity)
    assert table[col.SEVERITY_SE].to_numpy() == pytest.approx(
        [math.sqrt(s2 * (1 - 1 / n_jurors) / n_targets)] * n_jurors
    )
    assert table[col.SPREAD].to_numpy() == pytest.approx(MARKS.std(axis=1, ddof=1))
    assert table[col.RESIDUAL_MS].to_numpy() == pytest.approx(residual_ms)
    assert table[col.RESIDUAL_RATIO].to_numpy() == pytest.approx(residual_ms / (residual**2).mean())
    for j in range(n_jurors):
        others = np.delete(MARKS, j, axis=0).mean(axis=0)
        expected = np.corrcoef(MARKS[j], others)[0, 1]
        assert table[col.CONSISTENCY].iloc[j] == pytest.approx(expected)
    assert table[col.N_MARKS].tolist() == [5] * 5


def test_flags_follow_their_definitions() -> None:
    table = _table(_frame(MARKS))
    for row in table.itertuples(index=False):
        severity, se = getattr(row, col.SEVERITY), getattr(row, col.SEVERITY_SE)
        expected = []
        if abs(severity) > SEVERITY_SHARE * 10 and abs(severity) > 2 * se:
            expected.append("harsh" if severity < 0 else "lenient")
        if getattr(row, col.RESIDUAL_RATIO) > ERRATIC_RATIO:
            expected.append("erratic")
        if getattr(row, col.CONSISTENCY) < MIN_CONSISTENCY:
            expected.append("inconsistent")
        assert getattr(row, col.FLAG) == "; ".join(expected)
    # The random juror is the one flagged.
    flags = dict(zip(table[col.JUROR_ID], table[col.FLAG], strict=True))
    assert flags["J5"] == "erratic; inconsistent"
    assert flags["J2"] == flags["J4"] == ""


def test_harsh_and_lenient_need_a_known_standard_error() -> None:
    # Exact fit (only J1..J4): every SE is 0. The offsets +1 and -1 of J1 and J3 do not
    # exceed a tenth of a 0..12 scale (1.2), but do exceed a tenth of 0..5 (0.5).
    exact = _frame(MARKS[:4])
    fit = calibrate_scores(exact, ridge=0.0)
    wide_scale = CriterionConfig(name="pitch", weight=1, min=0, max=12)
    wide = juror_table(fit, criteria=[wide_scale], outlier_threshold=9)[col.FLAG].tolist()
    assert wide == ["", "", "", ""]
    narrow = CriterionConfig(name="pitch", weight=1, min=0, max=5)
    flags = juror_table(fit, criteria=[narrow], outlier_threshold=9)[col.FLAG].tolist()
    assert flags == ["lenient", "", "harsh", ""]
    # One mark per target: no residual degrees of freedom, unknown SE, no severity flag.
    single = _frame(np.array([[5.0, 6.0], [1.0, 9.0]]))
    sparse = single.iloc[[0, 3]]
    table = juror_table(calibrate_scores(sparse, ridge=0.0), criteria=[PITCH], outlier_threshold=9)
    assert table[col.FLAG].tolist() == ["few marks", "few marks"]


def test_n_outliers_counts_each_jurors_outlier_marks() -> None:
    marks = _frame(MARKS)
    table = _table(marks, threshold=2.5)
    outliers = outlier_marks(marks, threshold=2.5)
    counts = outliers.groupby(col.JUROR_ID).size()
    expected = [int(counts.get(j, 0)) for j in table[col.JUROR_ID]]
    assert table[col.N_OUTLIERS].tolist() == expected
    assert expected[4] >= 3


def test_juror_table_rows_per_criterion_and_sorted() -> None:
    marks = pd.concat([_frame(MARKS[:3, :4], "b"), _frame(MARKS[:2, :3], "a")])
    table = juror_table(
        calibrate_scores(marks, ridge=0.0),
        criteria=[PITCH.model_copy(update={"name": "a"}), PITCH.model_copy(update={"name": "b"})],
        outlier_threshold=2.5,
    )
    assert tuple(table.columns) == col.JUROR_DIAGNOSTIC_COLUMNS
    keys = list(zip(table[col.JUROR_ID], table[col.CRITERION], strict=True))
    assert keys == [("J1", "a"), ("J1", "b"), ("J2", "a"), ("J2", "b"), ("J3", "b")]


def test_juror_table_needs_an_additive_fit() -> None:
    fit = calibrate_scores(_frame(MARKS), method="additive_scale")
    with pytest.raises(ValueError, match="additive"):
        juror_table(fit, criteria=[PITCH], outlier_threshold=2.5)


def test_outlier_marks_hand_checked() -> None:
    # Target A: 8, 7, 2. Others' means: for 8 -> 4.5 (dev 3.5), for 7 -> 5 (dev 2),
    # for 2 -> 7.5 (dev -5.5). Threshold 3.5 is not exceeded by 3.5: only J3 is flagged.
    # Target B has a single mark: never an outlier.
    marks = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J1"],
            col.TARGET_ID: ["A", "A", "A", "B"],
            col.CRITERION: "pitch",
            col.SCORE: [8.0, 7.0, 2.0, 0.0],
        }
    )
    frame = outlier_marks(marks, threshold=3.5)
    assert tuple(frame.columns) == col.OUTLIER_COLUMNS
    assert frame[[col.JUROR_ID, col.LOO_MEAN, col.DEVIATION, col.N_JURORS]].values.tolist() == [
        ["J3", 7.5, -5.5, 3]
    ]
    assert outlier_marks(marks, threshold=3.4)[col.JUROR_ID].tolist() == ["J1", "J3"]
    assert outlier_marks(marks, threshold=10).empty


def test_empty_inputs() -> None:
    empty = _frame(MARKS).iloc[:0]
    assert tuple(outlier_marks(empty, threshold=1).columns) == col.OUTLIER_COLUMNS
    table = juror_table(calibrate_scores(empty), criteria=[PITCH], outlier_threshold=1)
    assert table.empty and tuple(table.columns) == col.JUROR_DIAGNOSTIC_COLUMNS


def test_jurors_without_marks_appear_flagged_and_namesakes_are_flagged() -> None:
    # J1 and J2 mark T0..T2; J3 gives 7 to all three, J4 only two marks, J5 none at all.
    marks = _frame(np.array([[4.0, 6.0, 8.0], [5.0, 6.0, 9.0], [7.0, 7.0, 7.0]]))
    marks = pd.concat([marks, _frame(np.array([[3.0, 4.0]])).assign(juror_id="J4")])
    jurors = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J4", "J5"],
            col.NAME: ["Ana Lima", "Bo", "ana  lima", None, "Eve"],
        }
    )
    fit = calibrate_scores(marks, ridge=0.0)
    table = juror_table(fit, criteria=[PITCH], outlier_threshold=9, jurors=jurors)
    flags = dict(zip(table[col.JUROR_ID], table[col.FLAG], strict=True))
    assert flags["J3"].split("; ")[-2:] == ["same mark", "same name as J1"]
    assert flags["J1"].endswith("same name as J3") and flags["J2"] == ""
    assert flags["J4"].endswith("few marks") and flags["J5"] == "no marks"
    empty = table.set_index(col.JUROR_ID).loc["J5"]
    assert empty[col.N_MARKS] == 0 and empty[col.N_OUTLIERS] == 0 and np.isnan(empty[col.SPREAD])
    assert table[col.JUROR_ID].tolist() == ["J1", "J2", "J3", "J4", "J5"]
    assert (
        table.dtypes.to_dict()
        == juror_table(fit, criteria=[PITCH], outlier_threshold=9).dtypes.to_dict()
    )
    # without the jurors frame, the table is the jurors with marks, as before
    assert juror_table(fit, criteria=[PITCH], outlier_threshold=9)[col.JUROR_ID].tolist() == [
        "J1",
        "J2",
        "J3",
        "J4",
    ]
