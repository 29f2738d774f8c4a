"""BAD-INPUTS rows 19-25, 28-31, 36 and 37: the people, the criteria and the seed.

Each test is named after its row of ``BAD-INPUTS.md``, writes the secretary's messy files
to ``tmp_path`` and asserts the outcome through :func:`load_event`: an error (the event is
refused) or a warning (it loads), with the issue's code and its location (file, row,
column, value).
"""

from __future__ import annotations

import copy
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.errors import InvalidEventError, Issue, issues_from_frame
from scoring.event import Event
from scoring.ingest import attribute_values
from scoring.ingest.load import load_event
from scoring.ingest.validate import build_event
from scoring.pipeline import score_event
from tests.eventfiles import CANDIDATES, CRITERIA, JURORS, WOMAN_RULE, default_scores, write_event


def _cands() -> list[list[str]]:
    return copy.deepcopy(CANDIDATES)


def _jurors() -> list[list[str]]:
    return copy.deepcopy(JURORS)


def _error(folder: Path) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as info:
        load_event(folder)
    return info.value


def _found(issues: list[Issue] | tuple[Issue, ...], code: str) -> list[Issue]:
    return [i for i in issues if i.code == code]


def _warnings(event: Event, code: str) -> list[Issue]:
    return _found(issues_from_frame(event.warnings), code)


def _where(issue: Issue) -> tuple[str | None, int | None, str | None, str | None]:
    return issue.file, issue.row, issue.column, issue.value


# --------------------------------------------------------------------------- row 19


def test_19_totals_rows_are_skipped_with_a_warning_never_read_as_students(
    tmp_path: Path,
) -> None:
    candidates = [*_cands(), ["", "Итого", "", "", "", ""]]
    scores = [*default_scores(), ["Total", "", "", "57"]]
    event = load_event(write_event(tmp_path, candidates=candidates, scores=scores))
    assert "Итого" not in set(event.candidates[col.NAME])
    assert len(event.candidates) == 6 and len(event.scores) == len(default_scores()) - 1
    (in_candidates,) = [i for i in _warnings(event, "text.totals_row") if i.row == 8]
    assert _where(in_candidates) == ("candidates.csv", 8, "name", "Итого")


# --------------------------------------------------------------------------- row 20


def test_20_duplicate_marks_identical_are_warned_and_kept_once_different_are_rejected(
    tmp_path: Path,
) -> None:
    same = load_event(
        write_event(tmp_path / "same", scores=[*default_scores(), ["J1", "A1", "pitch", "4"]])
    )
    (issue,) = _warnings(same, "score.duplicate_identical")
    assert _where(issue) == ("scores.csv", 22, "score", "4") and "rows 2, 22" in issue.message
    assert len(same.scores) == len(default_scores()) - 1
    error = _error(
        write_event(tmp_path / "differ", scores=[*default_scores(), ["J1", "A1", "pitch", "9"]])
    )
    (issue,) = _found(error.errors, "score.duplicate_conflicting")
    assert _where(issue) == ("scores.csv", 22, "score", "9")
    assert "4 (row 2), 9 (row 22)" in issue.message


# --------------------------------------------------------------------------- row 21


def test_21_juror_spelling_is_fixed_for_spaces_an_error_for_case_and_merged_only_by_alias(
    tmp_path: Path,
) -> None:
    jurors = [["juror_id", "name"], ["J1", "Иванова А."], ["J2", "Ivanova A."]]
    # FIX: spaces around an id are not a new juror; transliterations are never merged
    spaced = [[f" {r[0]} " if r[0] == "J1" else r[0], *r[1:]] for r in default_scores()]
    event = load_event(write_event(tmp_path / "spaces", jurors=jurors, scores=spaced))
    assert sorted(event.jurors[col.JUROR_ID]) == ["J1", "J2"]
    assert set(event.scores[col.JUROR_ID].astype(str)) == {"J1", "J2"}
    assert not _warnings(event, "juror.same_name")
    # a case variant names nobody: rejected with the juror it probably is
    cased = [["j1" if c == "J1" else c for c in r] for r in default_scores()]
    error = _error(write_event(tmp_path / "case", jurors=jurors, scores=cased))
    (issue,) = _found(error.errors, "id.unknown_juror")
    assert _where(issue) == ("scores.csv", 2, "juror_id", "j1")
    assert "Did you mean 'J1'?" in issue.message
    # ... unless an alias says they are one
    alias = '[aliases]\njuror_id = { "j1" = "J1" }\n'
    event = load_event(write_event(tmp_path / "alias", jurors=jurors, scores=cased, extra=alias))
    assert set(event.scores[col.JUROR_ID].astype(str)) == {"J1", "J2"}
    # WARN: two juror ids whose names read the same
    twins = [["juror_id", "name"], ["J1", "Иванова А."], ["J2", "Иванова  а."]]
    event = load_event(write_event(tmp_path / "twins", jurors=twins))
    (issue,) = _warnings(event, "juror.same_name")
    assert _where(issue) == ("jurors.csv", 3, "name", "Иванова а.")
    assert "J1 (row 2) and J2 (row 3)" in issue.message


def test_21_juror_ids_of_a_sheet_without_jurors_file_must_not_differ_by_case(
    tmp_path: Path,
) -> None:
    scores = [r if i != 14 else ["j2", *r[1:]] for i, r in enumerate(default_scores(), 1)]
    error = _error(write_event(tmp_path, scores=scores, with_jurors=False))
    (issue,) = _found(error.errors, "id.near_duplicate")
    assert _where(issue) == ("scores.csv", 14, "juror_id", "j2")
    assert '[aliases] juror_id = { "j2" = "J2" }' in issue.message


# --------------------------------------------------------------------------- row 22


def test_22_name_variants_are_normalised_mixed_scripts_warned_identity_is_the_id(
    tmp_path: Path,
) -> None:
    candidates = _cands()
    candidates[1][1] = unicodedata.normalize("NFD", "José\u200b Ruiz")  # NFD, zero-width space
    candidates[4][1] = "Ng\u0443yễn Thị Mai"  # Cyrillic у inside a Latin word
    event = load_event(write_event(tmp_path, candidates=candidates))
    names = event.candidates.set_index(col.CANDIDATE_ID)[col.NAME]
    assert names["A1"] == "José Ruiz" and unicodedata.is_normalized("NFC", names["A1"])
    assert _warnings(event, "text.normalised")
    (mixed,) = _warnings(event, "text.mixed_script")
    assert _where(mixed) == ("candidates.csv", 5, "name", "Ng\u0443yễn Thị Mai")
    assert "Cyrillic 'у'" in mixed.message


def test_22_groups_and_projects_spelt_with_look_alike_letters_are_rejected(
    tmp_path: Path,
) -> None:
    candidates = _cands()
    candidates[3][2] = "\u0410frica"  # Cyrillic А: a 13th representative, silently
    candidates[6][3] = "p4"
    candidates[5][3] = "P4"
    error = _error(write_event(tmp_path, candidates=candidates))
    by_column = {i.column: i for i in _found(error.errors, "id.near_duplicate")}
    group = by_column[col.GROUP]
    assert _where(group) == ("candidates.csv", 4, "group", "\u0410frica")
    assert "Latin 'A' / Cyrillic 'А'" in group.message and "(rows 2, 3)" in group.message
    project = by_column[col.PROJECT]
    assert project.value in {"P4", "p4"} and "differ only in case" in project.message


def test_22_an_alias_makes_two_spellings_one_group(tmp_path: Path) -> None:
    candidates = _cands()
    candidates[3][2] = "africa"
    folder = write_event(
        tmp_path, candidates=candidates, extra='[aliases]\ngroup = { "africa" = "Africa" }\n'
    )
    event = load_event(folder)
    assert event.groups == ("Africa", "Asia")
    assert not _warnings(event, "id.near_duplicate")


# --------------------------------------------------------------------------- row 23


def test_23_two_students_with_one_name_are_warned_naming_both_rows(tmp_path: Path) -> None:
    candidates = _cands()
    candidates[3][1] = "Amani Njoroge"  # same group as A1
    candidates[6][1] = "AMANI NJOROGE"  # another group
    event = load_event(write_event(tmp_path, candidates=candidates))
    (issue,) = _warnings(event, "candidate.same_name")
    assert _where(issue) == ("candidates.csv", 4, "name", "Amani Njoroge")
    assert "A1 (Africa, row 2), A3 (Africa, row 4) and S3 (Asia, row 7)" in issue.message
    assert len(event.candidates) == 6  # the ids keep them apart


# --------------------------------------------------------------------------- row 24


def test_24_ids_mangled_by_excel_are_repaired_or_rejected(tmp_path: Path) -> None:
    candidates = _cands()
    candidates[1][0] = "12.0"
    scores = [["12" if c == "A1" else c for c in r] for r in default_scores()]
    event = load_event(write_event(tmp_path / "float", candidates=candidates, scores=scores))
    assert "12" in set(event.candidates[col.CANDIDATE_ID])
    (issue,) = _warnings(event, "id.excel_number")
    assert _where(issue) == ("candidates.csv", 2, "candidate_id", "12.0")
    candidates[1][0] = "1.23E+15"
    error = _error(write_event(tmp_path / "sci", candidates=candidates))
    (issue,) = _found(error.errors, "id.scientific")
    assert _where(issue) == ("candidates.csv", 2, "candidate_id", "1.23E+15")
    candidates[1][0] = "007"
    scores = [["7" if c == "A1" else c for c in r] for r in default_scores()]
    error = _error(write_event(tmp_path / "zeros", candidates=candidates, scores=scores))
    (issue,) = _found(error.errors, "id.unknown_target")
    assert _where(issue) == ("scores.csv", 2, "target_id", "7") and "'007'" in issue.message


def test_24_candidate_ids_differing_only_in_case_are_rejected(tmp_path: Path) -> None:
    candidates = _cands()
    candidates[2][0] = "a1"
    error = _error(write_event(tmp_path, candidates=candidates))
    (issue,) = _found(error.errors, "id.near_duplicate")
    assert _where(issue)[1:] == (3, "candidate_id", "a1")


# --------------------------------------------------------------------------- row 25


def test_25_a_student_in_two_groups_is_rejected_listing_both_rows(tmp_path: Path) -> None:
    candidates = _cands()
    candidates[5][:2] = ["A1", "Amani Njoroge"]  # row 6, group Asia
    error = _error(write_event(tmp_path, candidates=candidates))
    (issue,) = _found(error.errors, "candidate.two_groups")
    assert _where(issue) == ("candidates.csv", 6, "group", "A1")
    assert "groups Africa, Asia (rows 2, 6)" in issue.message


# --------------------------------------------------------------------------- row 28


def test_28_a_conflict_naming_nobody_is_rejected_with_the_id_it_meant(tmp_path: Path) -> None:
    jurors = _jurors()
    jurors[1][3] = "Salma Haddad; P9"
    error = _error(write_event(tmp_path / "names", jurors=jurors))
    name, unknown = sorted(_found(error.errors, "conflict.unknown"), key=lambda i: i.value or "")
    assert _where(name) == ("jurors.csv", 2, "conflicts", "P9")
    assert _where(unknown) == ("jurors.csv", 2, "conflicts", "Salma Haddad")
    assert "is the name of candidate A3 (Africa): write 'A3'" in unknown.message
    assert "Did you mean 'P1'?" in name.message or "Did you mean" in name.message
    # written as ids, the conflicts exclude the juror's marks
    jurors[1][3] = "A3; P4"
    event = load_event(write_event(tmp_path / "ids", jurors=jurors))
    excluded = score_event(event).exclusions
    assert set(zip(excluded[col.JUROR_ID], excluded[col.TARGET_ID], strict=True)) == {
        ("J1", "A3"),
        ("J1", "P2"),  # A3's project
        ("J1", "P4"),
        ("J1", "S3"),  # P4's member
    }


# --------------------------------------------------------------------------- row 29


def test_29_a_juror_with_few_or_identical_marks_is_warned_and_flagged(tmp_path: Path) -> None:
    scores = default_scores()
    for row in range(8, 12):  # J1's four impact marks
        scores[row - 1][3] = "7"
    scores = [r for i, r in enumerate(scores, 1) if i < 14 or i > 17]  # J2: 2 pitch marks
    jurors = [*_jurors(), ["J3", "Juror Three", "RUS", ""]]
    event = load_event(write_event(tmp_path, scores=scores, jurors=jurors))
    (flat,) = _warnings(event, "juror.no_spread")
    assert _where(flat) == ("scores.csv", 8, "juror_id", "J1")
    (few,) = _warnings(event, "juror.few_marks")
    assert _where(few) == ("scores.csv", 12, "juror_id", "J2")
    (none,) = _warnings(event, "juror.no_marks")
    assert _where(none) == ("jurors.csv", 4, "juror_id", "J3")
    for method in ("zscore", "additive"):
        result = score_event(event, method=method)
        assert np.isfinite(result.merit[col.MERIT]).all(), method  # never divided by zero
    flags = score_event(event).jurors.set_index([col.JUROR_ID, col.CRITERION])[col.FLAG]
    assert "same mark" in flags["J1", "impact"] and "few marks" in flags["J2", "pitch"]
    assert flags["J3", "impact"] == flags["J3", "pitch"] == "no marks"


# --------------------------------------------------------------------------- row 30


def _wide(rows: list[list[str]], names: dict[str, str]) -> list[list[str]]:
    marks = pd.DataFrame(rows[1:], columns=rows[0])
    wide = marks.pivot_table(
        index=["juror_id", "target_id"], columns="criterion", values="score", aggfunc="first"
    ).reset_index()
    wide = wide.rename(columns=names)
    return [list(wide.columns), *wide.astype(object).where(wide.notna(), "").values.tolist()]


def test_30_criteria_headers_that_differ_are_rejected_with_a_diff_unless_aliased(
    tmp_path: Path,
) -> None:
    wide = _wide(default_scores(), {"impact": "impakt", "pitch": "Выступление"})
    error = _error(write_event(tmp_path / "wide", scores=wide))
    unknown = _found(error.errors, "criteria.unknown")
    assert [(i.row, i.column) for i in unknown] == [(1, "impakt")]
    assert "sheet has 'impakt', event.toml has 'impact'" in unknown[0].message
    assert {i.column for i in _found(error.errors, "criteria.missing")} == {"impact", "pitch"}
    alias = '[aliases]\ncriterion = { "impakt" = "impact", "Выступление" = "pitch" }\n'
    event = load_event(write_event(tmp_path / "aliased", scores=wide, extra=alias))
    assert set(event.scores[col.CRITERION].astype(str)) == {"impact", "pitch"}
    long = [[("Pitch" if c == "pitch" else c) for c in r] for r in default_scores()]
    error = _error(write_event(tmp_path / "long", scores=long))
    assert _where(_found(error.errors, "criteria.unknown")[0]) == (
        "scores.csv",
        2,
        "criterion",
        "Pitch",
    )
    event = load_event(
        write_event(
            tmp_path / "long_aliased",
            scores=long,
            extra='[aliases]\ncriterion = { "Pitch" = "pitch" }\n',
        )
    )
    assert len(event.scores) == len(default_scores()) - 1


def test_30_criteria_named_alike_or_aliased_to_nothing_are_rejected(tmp_path: Path) -> None:
    twins = CRITERIA.replace('name = "impact"', 'name = "Pitch"')
    error = _error(write_event(tmp_path / "twins", criteria=twins))
    (issue,) = _found(error.errors, "id.near_duplicate")
    assert _where(issue) == ("event.toml", None, "criteria.name", "Pitch")
    alias = '[aliases]\ncriterion = { "impakt" = "impacts" }\n'
    error = _error(write_event(tmp_path / "nothing", extra=alias))
    (issue,) = _found(error.errors, "config.alias_unknown")
    assert _where(issue) == ("event.toml", None, "aliases.criterion", "impacts")


def test_30_criteria_on_different_scales_are_warned(tmp_path: Path) -> None:
    wide_scale = CRITERIA.replace('max = 10\nlevel = "project"', 'max = 100\nlevel = "project"')
    event = load_event(write_event(tmp_path, criteria=wide_scale))
    (issue,) = _warnings(event, "criteria.mixed_scales")
    assert _where(issue) == ("event.toml", None, "criteria", "pitch 1-10, impact 1-100")
    assert "native points" in issue.message


# --------------------------------------------------------------------------- row 31


def test_31_percent_weights_are_read_and_a_bad_sum_rejected_unless_normalised(
    tmp_path: Path,
) -> None:
    event = load_event(write_event(tmp_path / "percent"))  # "50%" in the default criteria
    assert event.config.weights() == {"pitch": 0.5, "impact": 0.5}
    bad = CRITERIA.replace('weight = "50%"', 'weight = "30%"')
    error = _error(write_event(tmp_path / "sum", criteria=bad))
    (issue,) = _found(error.errors, "config.weights_sum")
    assert _where(issue) == ("event.toml", None, "criteria.weight", "0.8")
    event = load_event(
        write_event(tmp_path / "norm", criteria=bad, event_keys="normalise_weights = true")
    )
    assert event.config.weights() == pytest.approx({"pitch": 0.625, "impact": 0.375})


# --------------------------------------------------------------------------- row 36


def test_36_reordered_rows_give_the_identical_event_and_merit(tmp_path: Path) -> None:
    scores, candidates, jurors = default_scores(), _cands(), _jurors()
    jurors[1][3] = "P4"
    a = load_event(write_event(tmp_path / "a", jurors=jurors))
    b = load_event(
        write_event(
            tmp_path / "b",
            scores=[scores[0], *reversed(scores[1:])],
            candidates=[candidates[0], *reversed(candidates[1:])],
            jurors=[jurors[0], *reversed(jurors[1:])],
        )
    )
    for frame in ("candidates", "jurors", "conflicts"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))
    keys = [col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE]
    pd.testing.assert_frame_equal(a.scores[keys], b.scores[keys])
    pd.testing.assert_frame_equal(score_event(a).merit, score_event(b).merit)


# --------------------------------------------------------------------------- row 37


def test_37_a_missing_seed_is_said_with_the_seed_used(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path / "none", seed=None))
    (issue,) = _warnings(event, "config.default_seed")
    assert _where(issue) == ("event.toml", None, "selection.seed", "2019")
    assert issue.message.startswith("No seed given, using 2019")
    assert event.config.selection.seed == 2019 and not event.config.selection.seed_given
    given = load_event(write_event(tmp_path / "given", seed=2019))
    assert not _warnings(given, "config.default_seed") and given.config.selection.seed_given


# ------------------------------------------------------- attribute values that rules use


def _genders(*genders: str) -> list[list[str]]:
    rows = _cands()
    for row, gender in zip(rows[1:], genders, strict=True):
        row[4] = gender
    return rows


def test_attribute_values_like_a_rule_value_are_warned_by_row(tmp_path: Path) -> None:
    candidates = _genders("F", "M", "f", "F", "\u041c", "M")  # f, Cyrillic М
    event = load_event(write_event(tmp_path, candidates=candidates, extra=WOMAN_RULE))
    near = _warnings(event, "attribute.near_value")
    assert [_where(i) for i in near] == [("candidates.csv", 4, "gender", "f")]
    assert "'woman in every group'" in near[0].message
    census = attribute_values(event.candidates, event.config)
    assert census.drop(columns=col.ATTRIBUTE).values.tolist() == [
        ["F", 2, 2, "woman in every group"],
        ["M", 2, 2, ""],
        ["f", 1, 1, ""],
        ["М", 1, 1, ""],
    ]


def test_a_rule_value_rare_beside_unnamed_values_is_warned(tmp_path: Path) -> None:
    candidates = _genders("F", "M", "Ж", "Ж", "M", "female")
    event = load_event(write_event(tmp_path, candidates=candidates, extra=WOMAN_RULE))
    (issue,) = _warnings(event, "attribute.rare_value")
    assert _where(issue) == ("candidates.csv", 2, "gender", "F")
    assert "'Ж' ×2 (rows 4, 5), 'female' ×1 (row 7)" in issue.message
    # the complement of a one-value rule is expected: F and M alone are fine
    plain = load_event(write_event(tmp_path / "plain", extra=WOMAN_RULE))
    assert not _warnings(plain, "attribute.rare_value")
    assert not _warnings(plain, "attribute.near_value")


def test_declared_values_make_other_values_errors_and_aliases_apply_first(
    tmp_path: Path,
) -> None:
    candidates = _genders("F", "M", "Ж", "female", "M", "x")
    declared = '[attributes.gender]\nvalues = ["F", "M"]\naliases = { "Ж" = "F", "female" = "F" }\n'
    error = _error(write_event(tmp_path / "x", candidates=candidates, extra=WOMAN_RULE + declared))
    (issue,) = _found(error.errors, "attribute.unknown_value")
    assert _where(issue) == ("candidates.csv", 7, "gender", "x")
    candidates[6][4] = "M"
    event = load_event(
        write_event(tmp_path / "ok", candidates=candidates, extra=WOMAN_RULE + declared)
    )
    genders = event.candidates.set_index(col.CANDIDATE_ID)["gender"]
    assert genders.to_dict() == {"A1": "F", "A2": "M", "A3": "F", "S1": "F", "S2": "M", "S3": "M"}
    assert not _warnings(event, "attribute.rare_value")


def test_a_rule_value_outside_the_declared_values_is_a_config_error(tmp_path: Path) -> None:
    declared = '[attributes.gender]\nvalues = ["Ж", "М"]\n'
    error = _error(write_event(tmp_path, extra=WOMAN_RULE + declared))
    issues = {i.column: i for i in _found(error.errors, "config.invalid")}
    assert issues["selection.constraints[0].value"].value == "F"


def test_blank_attribute_text_from_a_frame_is_missing() -> None:
    candidates = pd.DataFrame(CANDIDATES[1:], columns=CANDIDATES[0]).assign(
        country=pd.Series(["", "  ", "KEN", "KEN", "\u00a0", None], dtype=object)
    )
    marks = pd.DataFrame(default_scores()[1:], columns=default_scores()[0])
    config = {
        "event": {"name": "x", "candidates": "-", "scores": "-"},
        "criteria": [
            {"name": "pitch", "weight": 0.5, "min": 1, "max": 10},
            {"name": "impact", "weight": 0.5, "min": 1, "max": 10, "level": "project"},
        ],
        "selection": {"per_group": 1, "seed": 1},
    }
    event = build_event(candidates, marks, config)
    country = event.candidates.set_index(col.CANDIDATE_ID)["country"]
    assert country.isna().tolist() == [True, True, False, False, True, True]
