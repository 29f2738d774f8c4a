"""The clean score frame equals a plain pandas sort of the same marks, texts and all."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from scoring.config import config_from_mapping
from scoring.ingest.marks import Marks, clean_frame, unique_clean_frame

_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=4)  # NUL included


@st.composite
def _marks(draw: st.DrawFn) -> tuple[Marks, list[str]]:
    jurors = draw(st.lists(_TEXT, min_size=1, max_size=4, unique=True))
    targets = draw(st.lists(_TEXT, min_size=1, max_size=6, unique=True))
    names = draw(st.lists(_TEXT, min_size=1, max_size=3))  # a name may repeat
    levels = draw(
        st.lists(
            st.sampled_from(["candidate", "project"]), min_size=len(names), max_size=len(names)
        )
    )
    n = draw(st.integers(1, 30))
    codes = st.lists(st.integers(0, 100), min_size=n, max_size=n)
    juror, target, criterion = (
        np.array([c % k for c in draw(codes)]) for k in (len(jurors), len(targets), len(names))
    )
    marks = Marks(
        juror=juror,
        target=target,
        criterion=criterion,
        score=np.arange(n, dtype=float),
        row=np.array(draw(st.permutations(range(2, n + 2)))),
        jurors=np.array(jurors, dtype=object),
        targets=np.array(targets, dtype=object),
        names=np.array(names, dtype=object),
        columns=np.array(["score"] * len(names), dtype=object),
    )
    return marks, levels


@given(_marks())
def test_clean_frame_is_a_stable_sort_of_the_marks(case: tuple[Marks, list[str]]) -> None:
    marks, levels = case
    config = config_from_mapping(
        {
            "event": {"name": "e", "candidates": "-", "scores": "-"},
            "criteria": [
                {"name": f"c{i}", "weight": 1, "min": 0, "max": 100, "level": level}
                for i, level in enumerate(levels)
            ],
        }
    )
    plain = pd.DataFrame(
        {
            "juror_id": marks.jurors[marks.juror],
            "target_id": marks.targets[marks.target],
            "criterion": marks.names[marks.criterion],
            "score": marks.score,
            "level": np.array(levels, dtype=object)[marks.criterion],
            "source_row": marks.row,
        }
    )
    # criteria rank by name and then by position (two criteria may share a name)
    plain["_c"] = marks.criterion
    rank = {
        c: r
        for r, c in enumerate(sorted(range(len(marks.names)), key=lambda c: str(marks.names[c])))
    }
    plain["_c"] = plain["_c"].map(rank)
    expected = plain.sort_values(["_c", "target_id", "juror_id"], kind="stable").drop(columns="_c")
    frame = clean_frame(marks, config)
    for column in ("juror_id", "target_id", "criterion", "level"):
        categories = frame[column].cat.categories.tolist()
        assert categories == sorted(set(expected[column])), column
    got = frame.astype(dict.fromkeys(("juror_id", "target_id", "criterion", "level"), str))
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    repeated = pd.DataFrame({"j": marks.juror, "t": marks.target, "c": marks.criterion})
    assert (unique_clean_frame(marks, config) is None) == bool(repeated.duplicated().any())
