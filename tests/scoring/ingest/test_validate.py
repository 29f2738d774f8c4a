"""Every validation issue code, each from a tiny event, with its location asserted."""

from __future__ import annotations

import copy
import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.errors import InvalidEventError, Issue, issues_from_frame
from scoring.ingest.load import load_event
from scoring.ingest.validate import ISSUE_CODES, build_event
from tests.eventfiles import CANDIDATES, JURORS, WOMAN_RULE, csv_text, default_scores, write_event


def _cands() -> list[list[str]]:
    return copy.deepcopy(CANDIDATES)


def _scores() -> list[list[str]]:
    return default_scores()


def _set(rows: list[list[str]], row: int, column: int, value: str) -> list[list[str]]:
    """Set a cell; ``row`` is the spreadsheet row (header = 1)."""
    rows[row - 1][column] = value
    return rows


def _xlsx(path: Path, rows: list[list[object]], *, title_rows: int = 0) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    for _ in range(title_rows):
        sheet.append(["Scores of the pitch session"])
    for row in rows:
        sheet.append(row)
    book.save(path)


@dataclass(frozen=True)
class Case:
    """A broken event and the issue it must produce."""

    make: Callable[[Path], Path]
    severity: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    text: str = ""
    sheet: str | None = None


def _scores_xlsx(folder: Path, rows: list[list[object]], title_rows: int = 0) -> Path:
    write_event(folder, names={"scores": "scores.xlsx"})
    _xlsx(folder / "scores.xlsx", rows, title_rows=title_rows)
    return folder


def _numeric_scores() -> list[list[object]]:
    rows: list[list[object]] = [list(_scores()[0])]
    rows.extend([j, t, c, float(v)] for j, t, c, v in _scores()[1:])
    return rows


def _with_cell(rows: list[list[object]], row: int, value: object) -> list[list[object]]:
    rows[row - 1][3] = value
    return rows


def _formula_scores(folder: Path) -> Path:
    rows = _numeric_scores()
    rows[2][3] = "=1+1"
    return _scores_xlsx(folder, rows)


def _lock_file(folder: Path) -> Path:
    write_event(folder, names={"scores": "~$scores.xlsx"})
    (folder / "~$scores.xlsx").write_bytes(b"\x00lock")
    return folder


def _old_xls(folder: Path) -> Path:
    write_event(folder, names={"scores": "scores.xls"})
    (folder / "scores.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    return folder


def _csv_as_xlsx(folder: Path) -> Path:
    write_event(folder, names={"scores": "scores.xlsx"}, scores=csv_text(_scores()))
    return folder


def _bad_toml(folder: Path) -> Path:
    write_event(folder)
    path = folder / "event.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\nper_group = = 3\n", encoding="utf-8")
    return folder


def _criteria(w1: float, w2: float) -> str:
    return (
        f'[[criteria]]\nname = "pitch"\nweight = {w1}\nmin = 1\nmax = 10\n\n'
        f'[[criteria]]\nname = "impact"\nweight = {w2}\nmin = 1\nmax = 10\nlevel = "project"\n'
    )


def _placed(folder: Path, role: str, name: str, content: bytes) -> Path:
    write_event(folder, names={role: name})
    (folder / name).write_bytes(content)
    return folder


def _broken_xlsx(folder: Path) -> Path:
    write_event(folder, names={"scores": "scores.xlsx"})
    with zipfile.ZipFile(folder / "scores.xlsx", "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml")
    return folder


def _missing_file(folder: Path) -> Path:
    write_event(folder)
    (folder / "jurors.csv").unlink()
    return folder


def _encrypted(folder: Path) -> Path:
    # An encrypted .xlsx is an OLE file holding an "EncryptedPackage" stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    return _placed(folder, "scores", "scores.xlsx", ole + "EncryptedPackage".encode("utf-16-le"))


def _two_score_sheets(folder: Path, *, event_keys: str = "") -> Path:
    write_event(folder, names={"scores": "scores.xlsx"}, event_keys=event_keys)
    book = openpyxl.Workbook()
    book.active.title = "Оценки"
    copy_sheet = book.create_sheet("Оценки (2)")
    for row in _numeric_scores():
        book["Оценки"].append(row)
        copy_sheet.append(row)
    book.save(folder / "scores.xlsx")
    return folder


def _candidates_xlsx(folder: Path, merge: str) -> Path:
    """Candidates as a workbook with the cells ``merge`` (e.g. ``C2:C4``) merged."""
    write_event(folder, names={"candidates": "candidates.xlsx"})
    book = openpyxl.Workbook()
    for row in _cands():
        book.active.append(row)
    book.active.merge_cells(merge)
    book.save(folder / "candidates.xlsx")
    return folder


def _scores_sheet(
    folder: Path, change: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]
) -> Path:
    write_event(folder, names={"scores": "scores.xlsx"})
    book = openpyxl.Workbook()
    for row in _numeric_scores():
        book.active.append(row)
    change(book.active)
    book.save(folder / "scores.xlsx")
    return folder


def _hide_row(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.row_dimensions[5].hidden = True


def _hide_column(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.column_dimensions["D"].hidden = True


def _cp1251_candidates(folder: Path) -> Path:
    rows = [[("Gon?alves" if c == "Salma Haddad" else c) for c in r] for r in _cands()[:4]]
    africa = [r for r in _scores() if r[1] not in ("S1", "S2", "S3", "P3", "P4")]
    write_event(folder, candidates=rows, scores=africa)
    (folder / "candidates.csv").write_bytes(csv_text(rows, sep=";").encode("cp1251"))
    return folder


def _genders(*genders: str) -> list[list[str]]:
    rows = _cands()
    for row, gender in zip(rows[1:], genders, strict=True):
        row[4] = gender
    return rows


CASES: dict[str, Case] = {
    "file.not_found": Case(_missing_file, "error", file="jurors.csv", text="not found"),
    "file.lock_file": Case(_lock_file, "error", file="~$scores.xlsx", text="lock file"),
    "file.old_xls": Case(_old_xls, "error", file="scores.xls", text="97-2003"),
    "file.wrong_type": Case(_csv_as_xlsx, "error", file="scores.xlsx", text="text (CSV)"),
    "file.unsupported": Case(
        lambda f: _placed(f, "scores", "scores.ods", b"content"),
        "error",
        file="scores.ods",
        text="not read",
    ),
    "file.unreadable": Case(_broken_xlsx, "error", file="scores.xlsx", text="cannot be opened"),
    "file.empty": Case(
        lambda f: _placed(f, "scores", "scores.csv", b""), "error", file="scores.csv", text="empty"
    ),
    "file.encrypted": Case(_encrypted, "error", file="scores.xlsx", text="password"),
    "file.encoding": Case(
        lambda f: _placed(
            f, "jurors", "jurors.csv", "juror_id,name\nJ1,Иван\nJ2,x".encode("cp1251") + b"\x98\n"
        ),
        "warning",
        file="jurors.csv",
        text="could not be decoded",
    ),
    "config.syntax": Case(_bad_toml, "error", file="event.toml", text="not valid TOML"),
    "config.invalid": Case(
        lambda f: write_event(f, extra="per_grup = 2\n"),
        "error",
        file="event.toml",
        column="selection.per_grup",
        text="Unknown key",
    ),
    "config.weights_sum": Case(
        lambda f: write_event(f, criteria=_criteria(0.5, 0.4)),
        "error",
        file="event.toml",
        value="0.9",
        text="sum to 0.9",
    ),
    "csv.decimal_comma": Case(
        lambda f: write_event(
            f, scores=csv_text(_scores()).replace("J1,A2,pitch,5", "J1,A2,pitch,7,5")
        ),
        "error",
        file="scores.csv",
        row=3,
        value="J1,A2,pitch,7,5",
        text="decimal comma",
    ),
    "csv.field_count": Case(
        lambda f: write_event(
            f, scores=csv_text(_scores()).replace("J1,A2,pitch,5", "J1,A2,pitch,5,x")
        ),
        "error",
        file="scores.csv",
        row=3,
        text="5 fields",
    ),
    "xlsx.no_data_sheet": Case(
        lambda f: _scores_xlsx(f, [["who", "what", "mark"], ["J1", "A1", 5]]),
        "error",
        file="scores.xlsx",
        text="No sheet has a header row",
    ),
    "xlsx.error_cell": Case(
        lambda f: _scores_xlsx(f, _with_cell(_numeric_scores(), 4, "#DIV/0!"), title_rows=2),
        "error",
        file="scores.xlsx",
        sheet="Data",
        row=6,
        column="score",
        value="#DIV/0!",
        text="Cell D6",
    ),
    "xlsx.formula_no_value": Case(
        _formula_scores,
        "error",
        file="scores.xlsx",
        row=3,
        column="score",
        value="=1+1",
        text="Cell D3",
    ),
    "xlsx.sheet_not_found": Case(
        lambda f: _two_score_sheets(f, event_keys='scores_sheet = "Scores"\n'),
        "error",
        file="scores.xlsx",
        text="no sheet 'Scores' (scores_sheet in event.toml)",
    ),
    "xlsx.several_data_sheets": Case(
        _two_score_sheets,
        "error",
        file="scores.xlsx",
        value="Оценки, Оценки (2)",
        text='scores_sheet = "Оценки"',
    ),
    "xlsx.merged_filled": Case(
        lambda f: _candidates_xlsx(f, "C2:C4"),
        "warning",
        file="candidates.xlsx",
        sheet="Sheet",
        row=3,
        column="group",
        value="Africa",
        text="rows 2-4 'Africa'; 2 row(s) filled",
    ),
    "xlsx.merged_cells": Case(
        lambda f: _candidates_xlsx(f, "D2:D3"),
        "error",
        file="candidates.xlsx",
        sheet="Sheet",
        row=2,
        column="project",
        value="P1",
        text="Merged cells in column 'project' (rows 2-3 'P1')",
    ),
    "xlsx.hidden_rows": Case(
        lambda f: _scores_sheet(f, _hide_row),
        "warning",
        file="scores.xlsx",
        row=5,
        text="rows 5. They are read",
    ),
    "xlsx.hidden_columns": Case(
        lambda f: _scores_sheet(f, _hide_column),
        "warning",
        file="scores.xlsx",
        row=1,
        column="score",
        text="hidden in Excel",
    ),
    "columns.missing": Case(
        lambda f: write_event(
            f,
            candidates=[
                [c if c != "group" else "team" for c in r] if i == 0 else r
                for i, r in enumerate(_cands())
            ],
        ),
        "error",
        file="candidates.csv",
        column="group",
        text="team",
    ),
    "columns.duplicate": Case(
        lambda f: write_event(
            f, jurors=[["juror_id", "name", "Name"], ["J1", "a", "b"], ["J2", "c", "d"]]
        ),
        "error",
        file="jurors.csv",
        row=1,
        column="name",
        text="more than once",
    ),
    "columns.ignored": Case(
        lambda f: write_event(
            f, scores=[r + (["comment"] if i == 0 else ["ok"]) for i, r in enumerate(_scores())]
        ),
        "warning",
        file="scores.csv",
        row=1,
        column="comment",
        text="ignored",
    ),
    "criteria.unknown": Case(
        lambda f: write_event(f, scores=_set(_scores(), 4, 2, "pitsh")),
        "error",
        file="scores.csv",
        row=4,
        column="criterion",
        value="pitsh",
        text="Did you mean 'pitch'?",
    ),
    "criteria.missing": Case(
        lambda f: write_event(f, scores=[r for r in _scores() if r[2] != "impact"]),
        "error",
        file="scores.csv",
        value="impact",
        text="no marks at all",
    ),
    "id.missing": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 3, 1, "")),
        "error",
        file="candidates.csv",
        row=3,
        column="name",
        text="blank",
    ),
    "id.duplicate": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 4, 0, "A2")),
        "error",
        file="candidates.csv",
        row=4,
        column="candidate_id",
        value="A2",
        text="rows 3, 4",
    ),
    "id.excel_number": Case(
        lambda f: write_event(
            f,
            jurors=_set(copy.deepcopy(JURORS), 2, 0, "1.0"),
            scores=[[("1" if c == "J1" else c) for c in r] for r in _scores()],
        ),
        "warning",
        file="jurors.csv",
        row=2,
        column="juror_id",
        value="1.0",
        text="read as '1'",
    ),
    "id.scientific": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 2, 0, "1.23E+15")),
        "error",
        file="candidates.csv",
        row=2,
        column="candidate_id",
        value="1.23E+15",
        text="digits are lost",
    ),
    "id.unknown_juror": Case(
        lambda f: write_event(f, scores=_set(_scores(), 5, 0, "J9")),
        "error",
        file="scores.csv",
        row=5,
        column="juror_id",
        value="J9",
        text="not in the jurors file",
    ),
    "id.unknown_target": Case(
        lambda f: write_event(f, scores=_set(_scores(), 6, 1, "A9")),
        "error",
        file="scores.csv",
        row=6,
        column="target_id",
        value="A9",
        text="Did you mean",
    ),
    "id.wrong_level": Case(
        lambda f: write_event(f, scores=_set(_scores(), 8, 1, "A1")),
        "error",
        file="scores.csv",
        row=8,
        column="target_id",
        value="A1",
        text="scored per project",
    ),
    "id.ambiguous": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 7, 3, "S1")),
        "error",
        file="candidates.csv",
        column="project",
        value="S1",
        text="both a project id",
    ),
    "id.near_duplicate": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 3, 2, "africa")),
        "error",
        file="candidates.csv",
        row=3,
        column="group",
        value="africa",
        text='[aliases] group = { "africa" = "Africa" }',
    ),
    "candidate.same_name": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 3, 1, "amani njoroge")),
        "warning",
        file="candidates.csv",
        row=3,
        column="name",
        value="amani njoroge",
        text="A1 (Africa, row 2) and A2 (Africa, row 3) have the same name",
    ),
    "text.mixed_script": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 2, 1, "\u0410mani Njoroge")),
        "warning",
        file="candidates.csv",
        row=2,
        column="name",
        value="\u0410mani Njoroge",
        text="Cyrillic 'А'",
    ),
    "text.normalised": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 2, 1, "Amani\u00a0Njoroge")),
        "warning",
        file="candidates.csv",
        row=2,
        column="name",
        text="normalised",
    ),
    "text.mojibake": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 6, 1, "РђР№РґР°СЂ")),
        "warning",
        file="candidates.csv",
        row=6,
        column="name",
        text="garbled",
    ),
    "text.question_marks": Case(
        _cp1251_candidates,
        "warning",
        file="candidates.csv",
        row=4,
        column="name",
        value="Gon?alves",
        text="'CSV UTF-8'",
    ),
    "text.excel_error": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 3, 1, "#REF!")),
        "error",
        file="candidates.csv",
        row=3,
        column="name",
        value="#REF!",
        text="Excel error #REF!",
    ),
    "text.totals_row": Case(
        lambda f: write_event(f, candidates=[*_cands(), ["Итого", "", "", "", "", ""]]),
        "warning",
        file="candidates.csv",
        row=8,
        value="Итого",
        text="Totals row",
    ),
    "candidate.two_groups": Case(
        lambda f: write_event(f, candidates=_set(_set(_cands(), 5, 0, "A1"), 5, 1, "Amani")),
        "error",
        file="candidates.csv",
        row=5,
        column="group",
        text="groups Africa, Asia",
    ),
    "candidate.bad_eligible": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 2, 5, "maybe")),
        "error",
        file="candidates.csv",
        row=2,
        column="eligible",
        value="maybe",
        text="yes/no",
    ),
    "project.two_groups": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 5, 3, "P2")),
        "warning",
        file="candidates.csv",
        column="project",
        value="P2",
        text="Africa, Asia",
    ),
    "group.too_few_eligible": Case(
        lambda f: write_event(
            f, candidates=[r if r[2] != "Asia" else [*r[:5], "no"] for r in _cands()]
        ),
        "warning",
        file="candidates.csv",
        value="Asia",
        text="0 eligible",
    ),
    "conflict.unknown": Case(
        lambda f: write_event(f, jurors=_set(copy.deepcopy(JURORS), 3, 3, "A1;Tunde Bello")),
        "error",
        file="jurors.csv",
        row=3,
        column="conflicts",
        value="Tunde Bello",
        text="is the name of candidate A2 (Africa): write 'A2'",
    ),
    "juror.same_name": Case(
        lambda f: write_event(f, jurors=_set(copy.deepcopy(JURORS), 3, 1, "Juror one")),
        "warning",
        file="jurors.csv",
        row=3,
        column="name",
        value="Juror one",
        text="J1 (row 2) and J2 (row 3) have the same name",
    ),
    "juror.no_marks": Case(
        lambda f: write_event(f, jurors=[*copy.deepcopy(JURORS), ["J3", "Juror Three", "", ""]]),
        "warning",
        file="jurors.csv",
        row=4,
        column="juror_id",
        value="J3",
        text="gave no mark",
    ),
    "juror.few_marks": Case(
        # J2's pitch marks are rows 12-17: keep two of them
        lambda f: write_event(
            f, scores=[r for i, r in enumerate(_scores(), 1) if i < 14 or i > 17]
        ),
        "warning",
        file="scores.csv",
        row=12,
        column="juror_id",
        value="J2",
        text="gave only 2 on pitch",
    ),
    "juror.no_spread": Case(
        # J1's impact marks are rows 8-11
        lambda f: write_event(
            f,
            scores=[
                _set(_scores(), r, 3, "6")[r - 1] if 8 <= r <= 11 else row
                for r, row in enumerate(_scores(), 1)
            ],
        ),
        "warning",
        file="scores.csv",
        row=8,
        column="juror_id",
        value="J1",
        text="the same mark 6 to all 4 targets on impact",
    ),
    "config.alias_unknown": Case(
        lambda f: write_event(f, extra='[aliases]\ngroup = { "africa" = "Afrika" }\n'),
        "error",
        file="event.toml",
        column="aliases.group",
        value="Afrika",
        text="Did you mean 'Africa'?",
    ),
    "config.default_seed": Case(
        lambda f: write_event(f, seed=None),
        "warning",
        file="event.toml",
        column="selection.seed",
        value="2019",
        text="No seed given, using 2019",
    ),
    "criteria.mixed_scales": Case(
        lambda f: write_event(
            f, criteria=_criteria(0.5, 0.5).replace("max = 10\nlevel", "max = 100\nlevel")
        ),
        "warning",
        file="event.toml",
        column="criteria",
        text="up to 11 times",
    ),
    "attribute.near_value": Case(
        lambda f: write_event(f, candidates=_set(_cands(), 4, 4, "f"), extra=WOMAN_RULE),
        "warning",
        file="candidates.csv",
        row=4,
        column="gender",
        value="f",
        text="differ only in case: these candidates do not count",
    ),
    "attribute.rare_value": Case(
        lambda f: write_event(
            f, candidates=_genders("F", "M", "Ж", "Ж", "M", "female"), extra=WOMAN_RULE
        ),
        "warning",
        file="candidates.csv",
        row=2,
        column="gender",
        value="F",
        text="fewer than hold values no rule names: 'Ж' ×2",
    ),
    "attribute.unknown_value": Case(
        lambda f: write_event(
            f,
            candidates=_set(_cands(), 3, 4, "Ж"),
            extra='[attributes.gender]\nvalues = ["F", "M"]\n',
        ),
        "error",
        file="candidates.csv",
        row=3,
        column="gender",
        value="Ж",
        text='[attributes.gender] aliases = { "Ж" = "F" }',
    ),
    "score.not_scored": Case(
        lambda f: write_event(f, scores=_set(_scores(), 3, 3, "н/я")),
        "warning",
        file="scores.csv",
        row=3,
        column="score",
        value="н/я",
        text="not scored",
    ),
    "score.not_number": Case(
        lambda f: write_event(f, scores=_set(_scores(), 3, 3, "seven")),
        "error",
        file="scores.csv",
        row=3,
        column="score",
        value="seven",
        text="not a number",
    ),
    "score.ambiguous": Case(
        lambda f: write_event(f, scores=csv_text(_set(_scores(), 3, 3, "1,234"), sep=";")),
        "error",
        file="scores.csv",
        row=3,
        column="score",
        value="1,234",
        text="1.234 with a decimal comma, or 1234 with a thousands separator",
    ),
    "score.boolean": Case(
        lambda f: write_event(f, scores=_set(_scores(), 3, 3, "ИСТИНА")),
        "error",
        file="scores.csv",
        row=3,
        column="score",
        value="ИСТИНА",
        text="TRUE/FALSE",
    ),
    "score.date": Case(
        lambda f: write_event(f, scores=_set(_scores(), 3, 3, "07.май")),
        "error",
        file="scores.csv",
        row=3,
        column="score",
        value="07.май",
        text="date",
    ),
    "score.excel_error": Case(
        lambda f: write_event(f, scores=_set(_scores(), 3, 3, "#N/A")),
        "error",
        file="scores.csv",
        row=3,
        column="score",
        value="#N/A",
        text="Excel error",
    ),
    "score.out_of_scale": Case(
        lambda f: write_event(f, scores=_set(_scores(), 5, 3, "42")),
        "error",
        file="scores.csv",
        row=5,
        column="score",
        value="42",
        text="above the scale 1-10",
    ),
    "score.duplicate_identical": Case(
        lambda f: write_event(f, scores=[*_scores(), _scores()[2]]),
        "warning",
        file="scores.csv",
        row=22,
        column="score",
        text="rows 3, 22",
    ),
    "score.duplicate_conflicting": Case(
        lambda f: write_event(f, scores=[*_scores(), [*_scores()[2][:3], "9"]]),
        "error",
        file="scores.csv",
        row=22,
        column="score",
        value="9",
        text="(row 3)",
    ),
    "score.no_marks": Case(
        lambda f: write_event(f, scores=[r for r in _scores() if r[1] != "S3"]),
        "warning",
        file="scores.csv",
        column="pitch",
        value="S3",
        text="no marks",
    ),
    "score.empty": Case(
        lambda f: write_event(f, scores=[_scores()[0]]), "error", file="scores.csv", text="no marks"
    ),
}


def test_every_issue_code_has_a_case() -> None:
    assert set(CASES) == set(ISSUE_CODES)


def _issues_of(folder: Path) -> list[Issue]:
    try:
        event = load_event(folder)
    except InvalidEventError as exc:
        assert exc.errors, "InvalidEventError must carry at least one error"
        return list(exc.issues)
    return issues_from_frame(event.warnings)


@pytest.mark.parametrize("code", sorted(CASES))
def test_issue_is_reported_with_location(code: str, tmp_path: Path) -> None:
    case = CASES[code]
    folder = case.make(tmp_path / "event")
    issues = _issues_of(folder)
    found = [i for i in issues if i.code == code]
    assert found, f"{code} not reported; got {[(i.code, str(i)) for i in issues]}"
    issue = found[0]
    assert issue.severity == case.severity
    assert case.text in issue.message or case.text in str(issue), issue.message
    for field in ("file", "row", "column", "value", "sheet"):
        expected = getattr(case, field)
        if expected is not None:
            assert getattr(issue, field) == expected, (field, issue)
    if case.severity == "error":
        with pytest.raises(InvalidEventError):
            load_event(folder)


def test_errors_are_collected_across_files(tmp_path: Path) -> None:
    folder = write_event(
        tmp_path,
        candidates=_set(_cands(), 4, 0, "A2"),
        scores=_set(_set(_scores(), 5, 3, "42"), 6, 3, "seven"),
        jurors=_set(copy.deepcopy(JURORS), 3, 0, "J1"),
    )
    with pytest.raises(InvalidEventError) as info:
        load_event(folder)
    codes = set(info.value.issues_frame["code"])
    assert {"id.duplicate", "score.out_of_scale", "score.not_number"} <= codes
    assert set(info.value.issues_frame["file"]) >= {"candidates.csv", "scores.csv", "jurors.csv"}
    assert list(info.value.issues_frame["severity"]).index("error") == 0


def test_blank_is_not_scored_and_zero_is_a_mark(tmp_path: Path) -> None:
    criteria = _criteria(0.5, 0.5).replace("min = 1", "min = 0")
    scores = _set(_set(_scores(), 3, 3, ""), 4, 3, "0")
    event = load_event(write_event(tmp_path, scores=scores, criteria=criteria))
    marks = event.scores.set_index(["juror_id", "target_id", "criterion"])["score"]
    assert ("J1", "A2", "pitch") not in marks.index
    assert marks[("J1", "A3", "pitch")] == 0.0
    assert event.warnings.empty


def test_identical_duplicate_is_counted_once(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, scores=[*_scores(), _scores()[2]]))
    assert len(event.scores) == len(_scores()) - 1


def test_weights_may_be_normalised_when_configured(tmp_path: Path) -> None:
    folder = write_event(tmp_path, criteria=_criteria(2, 2), event_keys="normalise_weights = true")
    assert load_event(folder).config.weights() == {"pitch": 0.5, "impact": 0.5}


def test_wide_form_equals_long_form(tmp_path: Path) -> None:
    long_event = load_event(write_event(tmp_path / "long"))
    marks = pd.DataFrame(_scores()[1:], columns=_scores()[0])
    wide = marks.pivot_table(
        index=["juror_id", "target_id"], columns="criterion", values="score", aggfunc="first"
    ).reset_index()
    rows = [list(wide.columns), *wide.astype(object).where(wide.notna(), "").values.tolist()]
    wide_event = load_event(write_event(tmp_path / "wide", scores=rows))
    cols = ["juror_id", "target_id", "criterion", "score", "level"]
    pd.testing.assert_frame_equal(long_event.scores[cols], wide_event.scores[cols])


def test_wide_form_misspelt_criterion_shows_difference(tmp_path: Path) -> None:
    rows = [["juror_id", "target_id", "pitch", "impakt"], ["J1", "A1", "5", ""]]
    with pytest.raises(InvalidEventError) as info:
        load_event(write_event(tmp_path, scores=rows))
    messages = " ".join(info.value.issues_frame["message"])
    assert "Did you mean 'impact'?" in messages and "sheet has 'impakt'" in messages


def test_xlsx_dates_and_booleans_are_rejected_with_hint(tmp_path: Path) -> None:
    rows = _with_cell(_with_cell(_numeric_scores(), 3, dt.datetime(2019, 5, 7)), 4, True)
    with pytest.raises(InvalidEventError) as info:
        load_event(_scores_xlsx(tmp_path, rows))
    by_code = {i.code: i for i in info.value.issues}
    assert (
        by_code["score.date"].row == 3
        and "Format the column as Number" in by_code["score.date"].message
    )
    assert by_code["score.boolean"].row == 4


def test_build_event_from_frames_matches_files(tmp_path: Path) -> None:
    from_files = load_event(write_event(tmp_path))
    cands = pd.DataFrame(_cands()[1:], columns=_cands()[0])
    marks = pd.DataFrame(_scores()[1:], columns=_scores()[0])
    jurors = pd.DataFrame(JURORS[1:], columns=JURORS[0])
    built = build_event(cands, marks, from_files.config, jurors=jurors)
    pd.testing.assert_frame_equal(built.candidates, from_files.candidates)
    pd.testing.assert_frame_equal(built.scores, from_files.scores)


def test_build_event_reports_frame_rows() -> None:
    cands = pd.DataFrame(_cands()[1:], columns=_cands()[0])
    marks = pd.DataFrame(_scores()[1:], columns=_scores()[0])
    marks.loc[3, "score"] = "11"
    cfg = {
        "event": {"name": "x", "candidates": "-", "scores": "-"},
        "criteria": [
            {"name": "pitch", "weight": 0.5, "min": 1, "max": 10},
            {"name": "impact", "weight": 0.5, "min": 1, "max": 10, "level": "project"},
        ],
    }
    with pytest.raises(InvalidEventError) as info:
        build_event(cands, marks, cfg)
    issue = info.value.issues[0]
    assert (issue.code, issue.file, issue.row) == ("score.out_of_scale", "scores", 5)


def test_row_order_does_not_change_the_clean_event(tmp_path: Path) -> None:
    scores = _scores()
    shuffled = [scores[0], *reversed(scores[1:])]
    cands = _cands()
    a = load_event(write_event(tmp_path / "a"))
    b = load_event(
        write_event(tmp_path / "b", scores=shuffled, candidates=[cands[0], *reversed(cands[1:])])
    )
    cols = ["juror_id", "target_id", "criterion", "score"]
    pd.testing.assert_frame_equal(a.scores[cols], b.scores[cols])
    pd.testing.assert_frame_equal(a.candidates, b.candidates)


def test_conflicts_are_resolved_by_kind(tmp_path: Path) -> None:
    jurors = _set(_set(copy.deepcopy(JURORS), 2, 3, "A1; P3"), 3, 3, "Asia")
    event = load_event(write_event(tmp_path, jurors=jurors))
    assert event.conflicts.to_dict("records") == [
        {"juror_id": "J1", "conflict_id": "A1", "kind": "candidate"},
        {"juror_id": "J1", "conflict_id": "P3", "kind": "project"},
        {"juror_id": "J2", "conflict_id": "Asia", "kind": "group"},
    ]


def test_solo_candidate_takes_project_marks_directly(tmp_path: Path) -> None:
    cands = _set(_cands(), 7, 3, "")
    scores = [r if r[1] != "P4" else [r[0], "S3", r[2], r[3]] for r in _scores()]
    event = load_event(write_event(tmp_path, candidates=cands, scores=scores))
    solo = event.scores[
        (event.scores["target_id"] == "S3") & (event.scores["criterion"] == "impact")
    ]
    assert len(solo) == 2
    solo_project = event.candidates.loc[event.candidates["candidate_id"] == "S3", "project"]
    assert solo_project.isna().all()


def test_clean_score_text_columns_are_categories_of_the_texts_used(tmp_path: Path) -> None:
    # J2's marks are all blank ("not scored"), so J2 is in the sheet but not in the clean frame
    scores = [r if r[0] != "J2" else [*r[:3], ""] for r in _scores()]
    event = load_event(write_event(tmp_path, scores=scores))
    frame = event.scores
    for column in ("juror_id", "target_id", "criterion", "level"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
        categories = frame[column].cat.categories.tolist()
        assert categories == sorted(set(frame[column].astype(str))), column
    assert frame["juror_id"].cat.categories.tolist() == ["J1"]
    assert frame["level"].cat.categories.tolist() == ["candidate", "project"]
    keys = frame[["criterion", "target_id", "juror_id"]].astype(str)
    assert keys.equals(keys.sort_values(list(keys.columns), ignore_index=True))


def test_criterion_declared_twice_is_reported_not_crashed(tmp_path: Path) -> None:
    twice = (
        _criteria(0.5, 0.25) + '\n[[criteria]]\nname = "pitch"\nweight = 0.25\nmin = 1\nmax = 10\n'
    )
    with pytest.raises(InvalidEventError) as info:
        load_event(write_event(tmp_path, criteria=twice))
    issue = next(i for i in info.value.issues if i.code == "config.invalid")
    assert "declared twice" in issue.message and issue.value == "pitch"
