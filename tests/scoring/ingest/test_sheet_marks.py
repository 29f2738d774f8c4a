"""The score sheet's own checks: suggestions for misspelt ids and criteria."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.errors import InvalidEventError
from scoring.ingest.load import load_event
from scoring.ingest.sheet_marks import closest
from tests.eventfiles import CANDIDATES, default_scores, write_event


def test_retyped_id_suggests_the_same_id_written_differently() -> None:
    # The same id with a space for the dash comes first. By similarity alone "af 01" is as
    # close to "LA-01" as to "AF-01" (ratio 0.4 each: only "01" matches), and below the
    # 0.5 cutoff, so no hint was given at all.
    assert closest("AF 01", ["LA-01", "AF-01"]) == "AF-01"
    assert closest("af 01", ["LA-01", "AF-01", "AF-02"]) == "AF-01"


def test_lost_leading_zeros_suggest_the_padded_id() -> None:
    # "7" is as similar to "P17" as to "007" (ratio 0.5 each, and "P17" sorts last, so
    # difflib picked it); Excel dropped the zeros of "007".
    assert closest("7", ["P17", "007"]) == "007"


def test_without_an_equal_loose_form_the_most_similar_wins() -> None:
    assert closest("inovation", ["innovation", "impact"]) == "innovation"
    assert closest("zzz", ["innovation", "impact"]) is None


def test_unknown_target_hint_names_the_retyped_id(tmp_path: Path) -> None:
    people = [[("AF-01" if c == "A1" else c) for c in row] for row in CANDIDATES]
    people.append(["LA-01", "Ana Lima", "Africa", "P2", "F", "yes"])
    marks = [[("AF-01" if c == "A1" else c) for c in row] for row in default_scores()]
    marks[1][1] = "AF 01"
    with pytest.raises(InvalidEventError) as caught:
        load_event(write_event(tmp_path, candidates=people, scores=marks))
    (issue,) = [i for i in caught.value.errors if i.code == "id.unknown_target"]
    assert (issue.row, issue.column, issue.value) == (2, "target_id", "AF 01")
    assert "Did you mean 'AF-01'?" in issue.message
