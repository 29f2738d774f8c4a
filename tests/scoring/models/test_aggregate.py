"""Panel scores, merit and the canonical mark index, on hand-checked tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.errors import InvalidEventError, format_ids
from scoring.frames import empty_frame
from scoring.ingest.marks import index_marks
from scoring.models.aggregate import candidate_merit, panel_scores

PITCH = CriterionConfig(name="pitch", weight=1, min=0, max=10)


def _marks(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])


def _one_panel(values: list[float], target: str = "A") -> pd.DataFrame:
    return _marks([(f"J{i}", target, "pitch", v) for i, v in enumerate(values)])


# --- MarkIndex -------------------------------------------------------------------------


def test_index_sorts_canonically_and_leaves_input_alone() -> None:
    marks = _marks([("J2", "B", "pitch", 1.0), ("J1", "B", "pitch", 2.0), ("J1", "A", "idea", 3.0)])
    before = marks.copy()
    index = index_marks(marks)
    pd.testing.assert_frame_equal(marks, before)
    assert index.marks[col.SCORE].tolist() == [3.0, 2.0, 1.0]  # idea/A, pitch/B/J1, pitch/B/J2
    assert index.criteria.tolist() == ["idea", "pitch"]
    assert index.panel_size.tolist() == [1, 2]
    assert index.panel.tolist() == [0, 1, 1]


def test_index_is_the_same_for_any_row_order() -> None:
    marks = _marks(
        [
            (f"J{j}", f"T{t}", c, float(j * t))
            for j in range(3)
            for t in range(4)
            for c in ("a", "b")
        ]
    )
    shuffled = marks.sample(frac=1, random_state=3)
    a, b = index_marks(marks), index_marks(shuffled)
    pd.testing.assert_frame_equal(a.marks, b.marks)
    assert np.array_equal(a.juror, b.juror) and np.array_equal(a.target, b.target)


@pytest.mark.parametrize("how", ["sorted", "unused", "unsorted", "blank"])
def test_categorical_ids_index_like_text_ids(how: str) -> None:
    rows = [(f"J{j}", f"T{t}", c, float(j + t)) for t in (3, 1, 2) for j in (2, 1) for c in "ba"]
    text = _marks(rows)
    coded = text.astype(dict.fromkeys((col.JUROR_ID, col.TARGET_ID, col.CRITERION), "category"))
    if how == "unused":
        coded[col.TARGET_ID] = coded[col.TARGET_ID].cat.add_categories(["T0", "T9"])
    if how == "unsorted":
        coded[col.JUROR_ID] = coded[col.JUROR_ID].cat.reorder_categories(["J2", "J1"])
    if how == "blank":  # a missing id is left to the general path
        text.loc[0, col.JUROR_ID] = None
        coded[col.JUROR_ID] = text[col.JUROR_ID].astype("category")
    a, b = index_marks(text), index_marks(coded)
    for name in ("criterion", "target", "juror", "criteria", "targets", "jurors", "panel"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.marks[col.SCORE].tolist() == b.marks[col.SCORE].tolist()


def test_loo_mean_hand_checked() -> None:
    # Panel A: 2, 4, 9 -> others of 2 are (4 + 9) / 2 = 6.5, of 4 are 5.5, of 9 are 3.
    # Panel B has one mark: no other juror, so missing.
    index = index_marks(
        _marks(
            [
                ("J1", "A", "p", 2.0),
                ("J2", "A", "p", 4.0),
                ("J3", "A", "p", 9.0),
                ("J1", "B", "p", 5.0),
            ]
        )
    )
    loo = index.loo_mean(index.values())
    assert loo[:3].tolist() == [6.5, 5.5, 3.0]
    assert math.isnan(loo[3])


def test_subset_and_with_column_keep_codes_consistent() -> None:
    index = index_marks(
        _marks([("J1", "A", "p", 1.0), ("J2", "A", "p", 2.0), ("J1", "B", "p", 3.0)])
    )
    kept = index.subset(np.array([True, False, True]))
    assert kept.marks[col.JUROR_ID].tolist() == ["J1", "J1"]
    assert kept.panel_size.tolist() == [1, 1]
    assert kept.jurors[kept.juror].tolist() == ["J1", "J1"]
    extended = kept.with_column("x", np.array([7.0, 8.0]))
    assert extended.marks["x"].tolist() == [7.0, 8.0]
    assert "x" not in kept.marks


# --- panel scores ----------------------------------------------------------------------


def test_trimmed_mean_drops_highest_and_lowest() -> None:
    # Five marks 3, 7, 8, 8, 10 with trim = 1: drop 3 and 10 -> (7 + 8 + 8) / 3 = 23 / 3.
    # The raw mean stays (3 + 7 + 8 + 8 + 10) / 5 = 7.2.
    panel = panel_scores(
        _one_panel([8, 3, 10, 7, 8]), criteria=[PITCH], value=col.SCORE, aggregate="trimmed", trim=1
    )
    row = panel.frame.iloc[0]
    assert row[col.SCORE] == pytest.approx(23 / 3)
    assert row[col.RAW_MEAN] == pytest.approx(7.2)
    assert row[col.N_JURORS] == 5
    assert panel.issues == ()


def test_trimmed_with_two_at_each_end() -> None:
    # 1, 2, 5, 6, 7, 9, 10 with trim = 2: keep 5, 6, 7 -> 6.
    panel = panel_scores(
        _one_panel([10, 1, 7, 5, 2, 9, 6]),
        criteria=[PITCH],
        value=col.SCORE,
        aggregate="trimmed",
        trim=2,
    )
    assert panel.frame[col.SCORE].tolist() == [6.0]


def test_trimmed_too_small_panel_falls_back_to_mean_with_warning() -> None:
    # Two marks with trim = 1 would drop everything: mean (4 + 8) / 2 = 6 is used instead.
    panel = panel_scores(
        _one_panel([4, 8]), criteria=[PITCH], value=col.SCORE, aggregate="trimmed", trim=1
    )
    assert panel.frame[col.SCORE].tolist() == [6.0]
    assert [i.code for i in panel.issues] == ["aggregate.untrimmed"]
    assert "A" in panel.issues[0].message and panel.issues[0].column == "pitch"


def test_median_odd_and_even() -> None:
    marks = pd.concat([_one_panel([9, 1, 4], "A"), _one_panel([2, 8, 3, 7], "B")])
    panel = panel_scores(marks, criteria=[PITCH], value=col.SCORE, aggregate="median")
    # A: 1, 4, 9 -> 4. B: 2, 3, 7, 8 -> (3 + 7) / 2 = 5.
    assert panel.frame[col.SCORE].tolist() == [4.0, 5.0]


def test_trim_zero_is_the_mean() -> None:
    marks = _one_panel([1, 2, 6])
    trimmed = panel_scores(marks, criteria=[PITCH], value=col.SCORE, aggregate="trimmed", trim=0)
    mean = panel_scores(marks, criteria=[PITCH], value=col.SCORE)
    assert trimmed.frame[col.SCORE].tolist() == mean.frame[col.SCORE].tolist() == [3.0]


def test_decimals_round_the_panel_score_only() -> None:
    panel = panel_scores(_one_panel([7, 8, 8]), criteria=[PITCH], value=col.SCORE, decimals=2)
    assert panel.frame[col.SCORE].tolist() == [7.67]
    assert panel.frame[col.RAW_MEAN].iloc[0] == pytest.approx(23 / 3)


def test_min_jurors_flag_and_warning() -> None:
    marks = pd.concat([_one_panel([5, 6, 7], "A"), _one_panel([5], "B"), _one_panel([4, 4], "C")])
    panel = panel_scores(marks, criteria=[PITCH], value=col.SCORE, min_jurors=3)
    assert panel.frame[col.BELOW_MIN_JURORS].tolist() == [False, True, True]
    (issue,) = panel.issues
    assert issue.code == "aggregate.below_min_jurors"
    assert "B, C" in issue.message and "2 target(s)" in issue.message


def test_score_se_from_pooled_within_panel_variance() -> None:
    # Panels A: 4, 6 (SS 2) and B: 5, 8, 8 (mean 7, SS 4 + 1 + 1 = 6): 5 marks, 2 panels,
    # s^2 = (2 + 6) / (5 - 2) = 8 / 3. se_A = sqrt(8/3 / 2), se_B = sqrt(8/3 / 3).
    marks = pd.concat([_one_panel([4, 6], "A"), _one_panel([5, 8, 8], "B")])
    panel = panel_scores(marks, criteria=[PITCH], value=col.SCORE)
    assert panel.residual_variance == {"pitch": pytest.approx(8 / 3)}
    assert panel.frame[col.SCORE_SE].tolist() == pytest.approx(
        [math.sqrt(8 / 3 / 2), math.sqrt(8 / 3 / 3)]
    )
    # One degree of freedom spent on a model leaves 2: s^2 = 8 / 2 = 4.
    fewer = panel_scores(marks, criteria=[PITCH], value=col.SCORE, model_df={"pitch": 1})
    assert fewer.residual_variance["pitch"] == pytest.approx(4.0)
    # Median: the same s^2, scaled by sqrt(pi / 2).
    median = panel_scores(marks, criteria=[PITCH], value=col.SCORE, aggregate="median")
    assert median.frame[col.SCORE_SE].iloc[0] == pytest.approx(
        math.sqrt(math.pi / 2) * math.sqrt(8 / 3 / 2)
    )


def test_score_se_missing_without_degrees_of_freedom() -> None:
    panel = panel_scores(_one_panel([4], "A"), criteria=[PITCH], value=col.SCORE, min_jurors=1)
    assert math.isnan(panel.frame[col.SCORE_SE].iloc[0])


def test_panel_frame_layout_and_sorting() -> None:
    idea = CriterionConfig(name="idea", weight=1, min=0, max=10, level="project")
    marks = _marks(
        [
            ("J1", "P1", "idea", 6.0),
            ("J1", "A", "pitch", 5.0),
            ("J1", "B", "pitch", 4.0),
            ("J2", "A", "pitch", 7.0),
        ]
    )
    frame = panel_scores(marks, criteria=[PITCH, idea], value=col.SCORE, min_jurors=1).frame
    assert tuple(frame.columns) == col.CRITERION_SCORE_COLUMNS
    assert frame[col.TARGET_ID].tolist() == ["A", "B", "P1"]
    assert frame[col.LEVEL].tolist() == ["candidate", "candidate", "project"]
    assert frame[col.N_JURORS].dtype == np.int64
    assert frame[col.BELOW_MIN_JURORS].dtype == bool


def test_unknown_aggregate_raises() -> None:
    with pytest.raises(ValueError, match="aggregate must be"):
        panel_scores(_one_panel([1]), criteria=[PITCH], value=col.SCORE, aggregate="mode")  # type: ignore[arg-type]


def test_empty_marks_give_an_empty_frame() -> None:
    panel = panel_scores(_marks([]), criteria=[PITCH], value=col.SCORE)
    assert panel.frame.empty and tuple(panel.frame.columns) == col.CRITERION_SCORE_COLUMNS


# --- merit -----------------------------------------------------------------------------

TALK = CriterionConfig(name="talk", weight=0.6, min=0, max=10)
IDEA = CriterionConfig(name="idea", weight=0.4, min=0, max=10, level="project")


def _candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.CANDIDATE_ID: ["C", "A", "B"],
            col.GROUP: ["G2", "G1", "G1"],
            col.PROJECT: ["C", "P", "P"],
            col.ELIGIBLE: [True, True, False],
        }
    ).assign(**{col.PROJECT: lambda f: f[col.PROJECT].where(f[col.CANDIDATE_ID] != "C")})


def _panel(rows: list[tuple[str, str, float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=[col.TARGET_ID, col.CRITERION, col.SCORE, col.SCORE_SE, col.N_JURORS]
    )


def test_merit_counts_project_scores_for_each_member() -> None:
    # A: 0.6 * 8 + 0.4 * 5 (project P) = 6.8; B: 0.6 * 6 + 0.4 * 5 = 5.6;
    # C pitches alone, so its project-level mark is on target C: 0.6 * 7 + 0.4 * 9 = 7.8.
    panel = _panel(
        [
            ("A", "talk", 8, 0.5, 3),
            ("B", "talk", 6, 0.5, 3),
            ("C", "talk", 7, 1.0, 2),
            ("P", "idea", 5, 0.2, 4),
            ("C", "idea", 9, 0.4, 2),
        ]
    )
    merit = candidate_merit(panel, _candidates(), criteria=[TALK, IDEA]).frame
    assert merit[col.CANDIDATE_ID].tolist() == ["A", "B", "C"]  # ineligible B included
    assert merit[col.MERIT].tolist() == pytest.approx([6.8, 5.6, 7.8])
    assert merit["talk"].tolist() == [8.0, 6.0, 7.0]
    assert merit["idea"].tolist() == [5.0, 5.0, 9.0]
    # merit_se of A: sqrt(0.6^2 0.5^2 + 0.4^2 0.2^2) = sqrt(0.09 + 0.0064).
    assert merit[col.MERIT_SE].iloc[0] == pytest.approx(math.sqrt(0.0964))
    assert merit[col.N_JURORS].tolist() == [3, 3, 2]  # smallest panel behind the merit
    assert merit[col.N_MARKS].tolist() == [7, 7, 4]
    assert list(merit.columns) == [*col.MERIT_COLUMNS, "talk", "idea"]


def test_missing_panel_score_gives_missing_merit_and_a_warning() -> None:
    panel = _panel([("A", "talk", 8, 0.5, 3), ("P", "idea", 5, 0.2, 4), ("C", "idea", 9, 0.4, 2)])
    result = candidate_merit(panel, _candidates(), criteria=[TALK, IDEA])
    merit = result.frame
    assert merit[col.MERIT].iloc[0] == pytest.approx(6.8)  # A: 0.6 * 8 + 0.4 * 5
    assert merit[col.MERIT].iloc[1:].isna().all() and merit[col.MERIT_SE].iloc[1:].isna().all()
    assert merit[col.N_JURORS].tolist() == [3, 0, 0]
    (issue,) = result.issues
    assert issue.code == "merit.missing_score" and issue.column == "talk"
    assert "B, C" in issue.message


def test_missing_score_on_a_zero_weight_criterion_is_harmless() -> None:
    panel = _panel([("A", "talk", 8, 0.5, 3), ("B", "talk", 6, 0.5, 3), ("C", "talk", 7, 1.0, 2)])
    zero = CriterionConfig(name="idea", weight=0, min=0, max=10, level="project")
    result = candidate_merit(
        panel, _candidates(), criteria=[TALK, zero], weights={"talk": 1.0, "idea": 0.0}
    )
    assert result.frame[col.MERIT].tolist() == [8.0, 6.0, 7.0]
    assert result.issues == ()
    assert result.frame["idea"].isna().all()


def test_criterion_named_like_a_merit_column_is_refused() -> None:
    clash = CriterionConfig(name="merit", weight=1, min=0, max=10)
    group = CriterionConfig(name="group", weight=1, min=0, max=10)
    with pytest.raises(InvalidEventError) as raised:
        candidate_merit(_panel([]), _candidates(), criteria=[clash, TALK, group])
    issues = raised.value.issues
    assert [(i.severity, i.code, i.value) for i in issues] == [
        ("error", "merit.reserved_name", "group"),
        ("error", "merit.reserved_name", "merit"),
    ]
    assert {(i.file, i.column) for i in issues} == {("event.toml", "criteria.name")}


# --- small helpers ---------------------------------------------------------------------


def test_format_ids_and_empty_frame() -> None:
    assert format_ids(["a", "b"]) == "a, b"
    assert format_ids(range(12), limit=3) == "0, 1, 2 and 9 more"
    frame = empty_frame(col.OUTLIER_COLUMNS)
    assert frame.empty and tuple(frame.columns) == col.OUTLIER_COLUMNS
    assert frame[col.SCORE].dtype == np.float64 and frame[col.N_JURORS].dtype == np.int64
