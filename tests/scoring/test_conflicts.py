"""Conflicts of interest: which marks each rule excludes, and what is reported."""

from __future__ import annotations

import pandas as pd
import pytest

from scoring import columns as col
from scoring.conflicts import attribute_key, exclude_conflicts, target_members

# Group G1: project P1 (A, B) and solo candidate C. Group G2: project P2 (D).
CANDIDATES = pd.DataFrame(
    {
        col.CANDIDATE_ID: ["A", "B", "C", "D"],
        col.GROUP: ["G1", "G1", "G1", "G2"],
        col.PROJECT: ["P1", "P1", pd.NA, "P2"],
        "university": ["MSU", "HSE", pd.NA, " msu "],
    }
)
JURORS = pd.DataFrame({col.JUROR_ID: ["J1", "J2", "J3"], "university": ["ITMO", "MSU", pd.NA]})
NO_CONFLICTS = pd.DataFrame(columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND])


def _marks() -> pd.DataFrame:
    """Every juror marks every candidate on 'talk' and every project (C solo) on 'idea'."""
    rows = []
    for juror in ("J1", "J2", "J3"):
        rows += [(juror, c, "talk", 5.0) for c in ("A", "B", "C", "D")]
        rows += [(juror, p, "idea", 6.0) for p in ("P1", "C", "P2")]
    frame = pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])
    return frame.assign(**{col.SOURCE_ROW: range(2, len(frame) + 2)})


def _declared(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND])


def _excluded(declared: pd.DataFrame, attributes: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    result = exclude_conflicts(_marks(), CANDIDATES, JURORS, declared, attributes=attributes)
    return set(zip(result.exclusions[col.JUROR_ID], result.exclusions[col.TARGET_ID], strict=True))


def test_target_members() -> None:
    members = target_members(CANDIDATES)
    pairs = list(zip(members[col.TARGET_ID], members[col.CANDIDATE_ID], strict=True))
    assert pairs == [
        ("A", "A"),
        ("B", "B"),
        ("C", "C"),
        ("D", "D"),
        ("P1", "A"),
        ("P1", "B"),
        ("P2", "D"),
    ]
    assert "university" in members.columns


def test_candidate_conflict_covers_the_candidate_and_its_project() -> None:
    # J1 - candidate A: A's own mark (talk) and project P1's mark (idea), not B's own mark.
    assert _excluded(_declared(("J1", "A", "candidate"))) == {("J1", "A"), ("J1", "P1")}


def test_project_conflict_covers_the_project_and_its_members() -> None:
    assert _excluded(_declared(("J2", "P1", "project"))) == {("J2", "P1"), ("J2", "A"), ("J2", "B")}


def test_group_conflict_covers_every_target_of_the_group() -> None:
    assert _excluded(_declared(("J3", "G1", "group"))) == {
        ("J3", "A"),
        ("J3", "B"),
        ("J3", "C"),
        ("J3", "P1"),
    }


def test_solo_candidate_conflict_hits_both_criteria() -> None:
    result = exclude_conflicts(_marks(), CANDIDATES, JURORS, _declared(("J1", "C", "candidate")))
    assert result.exclusions[col.CRITERION].tolist() == ["idea", "talk"]
    assert set(result.exclusions[col.TARGET_ID]) == {"C"}


def test_attribute_rule_ignores_case_spaces_and_missing_values() -> None:
    # J2 (MSU) shares with A (MSU) and D (' msu '), hence also P1 and P2. J3 has no value and
    # C has none: they never match. J1 (ITMO) shares with nobody.
    assert _excluded(NO_CONFLICTS, ("university",)) == {
        ("J2", "A"),
        ("J2", "P1"),
        ("J2", "D"),
        ("J2", "P2"),
    }


def test_exclusion_frame_reports_who_what_why() -> None:
    declared = _declared(("J2", "A", "candidate"))
    result = exclude_conflicts(_marks(), CANDIDATES, JURORS, declared, attributes=["university"])
    frame = result.exclusions
    assert tuple(frame.columns) == col.EXCLUSION_COLUMNS
    keys = list(zip(frame[col.JUROR_ID], frame[col.TARGET_ID], frame[col.CRITERION], strict=True))
    assert keys == sorted(keys)
    both = frame.loc[frame[col.TARGET_ID] == "A"].iloc[0]
    # Hit by the declared conflict and by the attribute rule: one row, both rules.
    assert both[col.REASON] == "attribute; declared"
    assert both[col.RULE] == "university; candidate A"
    assert "share university = 'MSU'" in both[col.DETAIL]
    assert "declared a conflict with candidate A" in both[col.DETAIL]
    assert both[col.SOURCE_ROW] == 9  # J2's mark on A is the 8th data row
    assert len(frame) == 4


def test_kept_and_excluded_partition_the_marks() -> None:
    marks = _marks()
    before = marks.copy()
    result = exclude_conflicts(marks, CANDIDATES, JURORS, _declared(("J3", "G1", "group")))
    pd.testing.assert_frame_equal(marks, before)
    assert len(result.scores) + len(result.exclusions) == len(marks)
    kept = set(zip(result.scores[col.JUROR_ID], result.scores[col.TARGET_ID], strict=True))
    assert not kept & _excluded(_declared(("J3", "G1", "group")))


def test_unmatched_conflicts_are_reported() -> None:
    # J1 marked neither D nor D's project P2, so the conflict with D excludes nothing; no
    # group is called ZZ; J2's conflict with B does exclude marks and is not reported.
    marks = _marks().query("not (juror_id == 'J1' and target_id in ('D', 'P2'))")
    declared = _declared(("J1", "D", "candidate"), ("J1", "ZZ", "group"), ("J2", "B", "candidate"))
    result = exclude_conflicts(marks, CANDIDATES, JURORS, declared, source="jurors.xlsx")
    issues = {i.value: i for i in result.issues}
    assert set(issues) == {"ZZ", "D"}
    assert all(i.code == "conflicts.unmatched" for i in result.issues)
    assert "no group has the id 'ZZ'" in issues["ZZ"].message
    assert "J1 gave no mark that it concerns" in issues["D"].message
    assert issues["ZZ"].file == "jurors.xlsx" and issues["ZZ"].column == col.CONFLICTS


def test_conflict_matching_targets_but_no_marks() -> None:
    marks = _marks().query("juror_id != 'J1'")
    result = exclude_conflicts(marks, CANDIDATES, JURORS, _declared(("J1", "B", "candidate")))
    (issue,) = result.issues
    assert "gave no mark that it concerns" in issue.message
    assert result.exclusions.empty


def test_missing_attribute_column_is_a_warning() -> None:
    result = exclude_conflicts(_marks(), CANDIDATES, JURORS, NO_CONFLICTS, attributes=["country"])
    (issue,) = result.issues
    assert issue.code == "conflicts.attribute_missing" and issue.column == "country"
    assert len(result.scores) == len(_marks())


def test_no_rules_keep_everything() -> None:
    result = exclude_conflicts(_marks(), CANDIDATES, JURORS, NO_CONFLICTS)
    assert len(result.scores) == len(_marks()) and result.issues == ()
    assert tuple(result.exclusions.columns) == col.EXCLUSION_COLUMNS and result.exclusions.empty


def test_row_order_does_not_matter() -> None:
    declared = _declared(("J2", "P1", "project"), ("J1", "C", "candidate"))
    a = exclude_conflicts(_marks(), CANDIDATES, JURORS, declared, attributes=["university"])
    shuffled = _marks().sample(frac=1, random_state=5)
    b = exclude_conflicts(
        shuffled,
        CANDIDATES.iloc[::-1],
        JURORS.iloc[::-1],
        declared.iloc[::-1],
        attributes=["university"],
    )
    pd.testing.assert_frame_equal(a.exclusions, b.exclusions)
    pd.testing.assert_frame_equal(a.scores, b.scores)


@pytest.mark.parametrize(("raw", "key"), [("  Peru ", "peru"), ("PERU", "peru"), ("Perú", "perú")])
def test_attribute_key(raw: str, key: str) -> None:
    assert attribute_key(pd.Series([raw])).tolist() == [key]
