"""The bad inputs of /work/shared/BAD-INPUTS.md that the readers answer, one test per row.

Each test writes the secretary's file to ``tmp_path``, loads the event through
:func:`~scoring.ingest.load.load_event` and asserts the behaviour the table asks for: the
event loads (FIX, WARN) or raises :class:`~scoring.errors.InvalidEventError` (REJECT), with
the issue's code and its location (file, sheet, row, column, value). Test names carry the
row number of the table.
"""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.errors import InvalidEventError, Issue, issues_from_frame
from scoring.event import Dialect, Event
from scoring.ingest.load import load_event
from tests.eventfiles import (
    CANDIDATES,
    csv_text,
    default_scores,
    merged_candidates_workbook,
    write_event,
    write_numbers_folder,
    write_ods,
)


def _issues(event: Event, code: str) -> list[Issue]:
    return [i for i in issues_from_frame(event.warnings) if i.code == code]


def _rejected(folder: Path, code: str) -> list[Issue]:
    with pytest.raises(InvalidEventError) as caught:
        load_event(folder)
    found = [i for i in caught.value.errors if i.code == code]
    assert found, [str(i) for i in caught.value.issues]
    return found


def _reference(tmp_path: Path) -> pd.DataFrame:
    return load_event(write_event(tmp_path / "reference")).scores


def _latin_candidates(names: dict[str, str]) -> list[list[str]]:
    """The default candidates with some names replaced (and no Asian names cp1251 lacks)."""
    rows = copy.deepcopy(CANDIDATES)
    spare = {"Nguyễn Thị Mai": "Mai Nguyen", "王小明": "Wang Xiaoming"}
    return [[names.get(c, spare.get(c, c)) for c in row] for row in rows]


def _marks_rows() -> list[list[object]]:
    """The default marks as a workbook holds them: numbers as numbers."""
    rows: list[list[object]] = [list(default_scores()[0])]
    rows.extend([j, t, c, int(v)] for j, t, c, v in default_scores()[1:])
    return rows


def _marks_workbook() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    for row in _marks_rows():
        book.active.append(row)
    return book


def test_01_russian_excel_csv_is_read_and_its_dialect_recorded(tmp_path: Path) -> None:
    # FIX: ';' separator, cp1251, decimal commas; the dialect is recorded for the audit.
    rows = [[{"J1": "Ж1", "J2": "Ж2"}.get(c, c) for c in r] for r in default_scores()]
    rows[2][3] = "7.5"
    jurors = [["juror_id", "name"], ["Ж1", "Иванова Анна"], ["Ж2", "Ким Олег"]]
    reference = load_event(write_event(tmp_path / "ref", scores=rows, jurors=jurors)).scores
    folder = write_event(tmp_path / "ru")
    russian = [[c.replace(".", ",") for c in r] for r in rows]
    (folder / "scores.csv").write_bytes(csv_text(russian, sep=";").encode("cp1251"))
    (folder / "jurors.csv").write_bytes(csv_text(jurors, sep=";").encode("cp1251"))
    event = load_event(folder)
    pd.testing.assert_frame_equal(event.scores, reference)
    assert event.dialects["scores"] == Dialect("text", "cp1251", ";", ",", None, 1)
    assert event.dialects["jurors"].encoding == "cp1251"
    assert list(event.jurors["name"]) == ["Иванова Анна", "Ким Олег"]
    assert not [i for i in issues_from_frame(event.warnings) if i.file == "scores.csv"]


def test_02_utf8_bom_never_reaches_the_headers(tmp_path: Path) -> None:
    # FIX: Excel's "CSV UTF-8" starts with a BOM; the first header is still candidate_id.
    folder = write_event(tmp_path)
    text = csv_text(CANDIDATES, sep=";")
    (folder / "candidates.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    event = load_event(folder)
    assert event.dialects["candidates"].encoding == "utf-8-sig"
    assert list(event.candidates["candidate_id"]) == ["A1", "A2", "A3", "S1", "S2", "S3"]
    assert "王小明" in set(event.candidates["name"])


def test_03_mojibake_is_warned_and_kept_exactly_as_read(tmp_path: Path) -> None:
    # UTF-8 is decoded first, so real accents survive; a name that was already garbled
    # (UTF-8 read as cp1251 and saved again: "í" became "Г" and a soft hyphen) is warned
    # about and kept byte for byte: deleting the soft hyphen would lose the "í".
    garbled = "Luíza".encode().decode("cp1251")
    assert garbled == "LuГ\u00adza"
    names = {"Tunde Bello": "Luíza Souza", "Salma Haddad": f"{garbled} Souza"}
    event = load_event(write_event(tmp_path, candidates=_latin_candidates(names)))
    assert event.dialects["candidates"].encoding == "utf-8"
    by_id = dict(zip(event.candidates["candidate_id"], event.candidates["name"], strict=True))
    assert by_id["A2"] == "Luíza Souza"
    assert by_id["A3"] == f"{garbled} Souza"  # not normalised: the soft hyphen is kept
    (issue,) = _issues(event, "text.mojibake")
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "candidates.csv",
        4,
        "name",
        f"{garbled} Souza",
    )
    assert "kept exactly as read" in issue.message
    assert not _issues(event, "text.normalised")


def test_04_question_marks_from_cp1251_export_are_warned_per_name(tmp_path: Path) -> None:
    # WARN per affected name: Excel's cp1251 "CSV" wrote '?' for letters it cannot hold.
    rows = _latin_candidates({"Tunde Bello": "Mar?a Jos?", "Salma Haddad": "Gon?alves"})
    rows = [[*r, "comment"] if i == 0 else [*r, "Really?"] for i, r in enumerate(rows)]
    rows[5][2] = "??????"  # a group name all in letters cp1251 lacks
    folder = write_event(tmp_path, candidates=rows)
    (folder / "candidates.csv").write_bytes(csv_text(rows, sep=";").encode("cp1251"))
    event = load_event(folder)
    found = sorted((i.row, i.column, i.value) for i in _issues(event, "text.question_marks"))
    assert found == [(3, "name", "Mar?a Jos?"), (4, "name", "Gon?alves"), (6, "group", "??????")]
    issue = _issues(event, "text.question_marks")[0]
    assert issue.file == "candidates.csv"
    assert ".xlsx" in issue.message and "CSV UTF-8" in issue.message
    assert set(event.candidates["comment"]) == {"Really?"}  # a trailing '?' is punctuation


def test_05_excel_unicode_text_utf16_tabs(tmp_path: Path) -> None:
    # FIX: Excel's "Unicode text" is UTF-16LE with a BOM, tab-separated, named .txt.
    reference = _reference(tmp_path)
    folder = write_event(tmp_path / "u16", names={"scores": "scores.txt"})
    text = csv_text(default_scores(), sep="\t").replace("\n", "\r\n")
    (folder / "scores.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    event = load_event(folder)
    pd.testing.assert_frame_equal(event.scores, reference)
    assert event.dialects["scores"] == Dialect("text", "utf-16", "\t", ",", None, 1)


def test_14_formulas_without_values_and_excel_errors_are_rejected(tmp_path: Path) -> None:
    # REJECT with the cell reference: a formula never computed, an error in a mark, and an
    # error where a name should be (a failed lookup), which was taken as a name before.
    folder = write_event(tmp_path, names={"scores": "scores.xlsx", "candidates": "candidates.xlsx"})
    book = _marks_workbook()
    book.active["D3"] = "=AVERAGE(E3:F3)"  # a script wrote it: no cached value
    book.active["D5"] = "#DIV/0!"
    book.save(folder / "scores.xlsx")
    people = openpyxl.Workbook()
    for row in CANDIDATES:
        people.active.append(row)
    people.active["B3"] = "#REF!"
    people.save(folder / "candidates.xlsx")
    formula = _rejected(folder, "xlsx.formula_no_value")
    assert [(i.row, i.column, i.value) for i in formula] == [(3, "score", "=AVERAGE(E3:F3)")]
    assert "Cell D3" in formula[0].message and "save" in formula[0].message
    errors = {(i.file, i.row, i.column, i.value) for i in _rejected(folder, "xlsx.error_cell")}
    assert errors == {
        ("scores.xlsx", 5, "score", "#DIV/0!"),
        ("candidates.xlsx", 3, "name", "#REF!"),
    }


def test_15_data_sheet_is_found_or_named_when_several_match(tmp_path: Path) -> None:
    # FIX: the instruction sheet first is skipped; ASK: two sheets with the headers are an
    # error naming both until scores_sheet names one.
    folder = write_event(tmp_path / "two", names={"scores": "scores.xlsx"})
    book = openpyxl.Workbook()
    book.active.title = "Инструкция"
    book.active.append(["Заполните лист 'Оценки'."])
    for title in ("Оценки", "Оценки (2)"):
        sheet = book.create_sheet(title)
        for row in _marks_rows():
            sheet.append(row)
    book.save(folder / "scores.xlsx")
    (issue,) = _rejected(folder, "xlsx.several_data_sheets")
    assert (issue.file, issue.value) == ("scores.xlsx", "Оценки, Оценки (2)")
    assert "'Оценки', 'Оценки (2)'" in issue.message and "scores_sheet" in issue.message
    chosen = write_event(
        tmp_path / "chosen", names={"scores": "scores.xlsx"}, event_keys='scores_sheet = "Оценки"\n'
    )
    (chosen / "scores.xlsx").write_bytes((folder / "scores.xlsx").read_bytes())
    event = load_event(chosen)
    assert event.dialects["scores"] == Dialect("xlsx", sheet="Оценки", header_row=1)
    assert len(event.scores) == len(_marks_rows()) - 1


def test_16_header_below_title_rows_is_located_in_a_csv(tmp_path: Path) -> None:
    # FIX: title rows above the header (a sheet saved as CSV); REJECT, listing the names
    # looked for, when no line holds the headers.
    reference = _reference(tmp_path)
    folder = write_event(tmp_path / "titled")
    text = "IKSW pitch session;;;\n;;;\n" + csv_text(default_scores(), sep=";")
    (folder / "scores.csv").write_text(text, encoding="utf-8")
    event = load_event(folder)
    pd.testing.assert_frame_equal(
        event.scores.drop(columns="source_row"), reference.drop(columns="source_row")
    )
    assert event.dialects["scores"].header_row == 3
    assert event.scores["source_row"].min() == 4  # rows as the spreadsheet shows them
    # A workbook's two-row header: ids merged down over both rows, "Criteria" merged over
    # the criteria named below it; the data starts under the band.
    marks = pd.DataFrame(default_scores()[1:], columns=default_scores()[0])
    wide = marks.pivot_table(
        index=["juror_id", "target_id"], columns="criterion", values="score", aggfunc="first"
    ).reset_index()[["juror_id", "target_id", "pitch", "impact"]]
    two_rows = write_event(tmp_path / "two_rows", names={"scores": "scores.xlsx"})
    book = openpyxl.Workbook()
    book.active.append(["juror_id", "target_id", "Criteria / Критерии", None])
    book.active.append([None, None, "pitch", "impact"])
    for record in wide.itertuples(index=False):
        book.active.append([v if isinstance(v, str) or v == v else None for v in record])
    for block in ("A1:A2", "B1:B2", "C1:D1"):
        book.active.merge_cells(block)
    book.save(two_rows / "scores.xlsx")
    event = load_event(two_rows)
    pd.testing.assert_frame_equal(
        event.scores.drop(columns="source_row"), reference.drop(columns="source_row")
    )
    assert event.dialects["scores"] == Dialect("xlsx", sheet="Sheet", header_row=2)
    assert not [i for i in issues_from_frame(event.warnings) if i.file == "scores.xlsx"]
    headless = write_event(tmp_path / "headless")
    (headless / "scores.csv").write_text("who;what\nJ1;A1\n", encoding="utf-8")
    (issue,) = _rejected(headless, "columns.missing")
    assert (issue.file, issue.row, issue.column) == ("scores.csv", 1, "juror_id")
    assert "juror_id, target_id" in issue.message


def test_17_merged_group_cells_are_filled_and_reported_once(tmp_path: Path) -> None:
    # WARN and fill only the group column, one warning listing the rows filled; merged
    # cells elsewhere are one error per column, not one per blank row.
    folder = write_event(tmp_path / "group", names={"candidates": "candidates.xlsx"})
    book = merged_candidates_workbook()
    book.save(folder / "candidates.xlsx")
    event = load_event(folder)
    assert list(event.candidates["group"]) == ["Africa"] * 3 + ["Asia"] * 3
    (issue,) = _issues(event, "xlsx.merged_filled")
    assert (issue.file, issue.sheet, issue.row, issue.column, issue.value) == (
        "candidates.xlsx",
        "Sheet",
        3,
        "group",
        "Africa",
    )
    assert "rows 2-4 'Africa', rows 5-7 'Asia'; 4 row(s) filled" in issue.message
    book.active.merge_cells("D2:D3")  # a project merged over its team: not guessed
    book.active.merge_cells("D5:D6")
    book.save(folder / "candidates.xlsx")
    with pytest.raises(InvalidEventError) as caught:
        load_event(folder)
    (merged,) = caught.value.errors  # one error for the column, no blank cells after it
    assert (merged.code, merged.row, merged.column, merged.value) == (
        "xlsx.merged_cells",
        2,
        "project",
        "P1",
    )
    assert "rows 2-3 'P1', rows 5-6 'P3'" in merged.message


def test_18_hidden_rows_and_filters_are_read_and_listed(tmp_path: Path) -> None:
    # WARN: rows hidden by a filter (or by hand) are still read; the warning lists them.
    reference = _reference(tmp_path)
    folder = write_event(tmp_path / "filtered", names={"scores": "scores.xlsx"})
    book = _marks_workbook()
    sheet = book.active
    sheet.auto_filter.ref = f"A1:D{sheet.max_row}"
    sheet.auto_filter.add_filter_column(0, ["J1"])
    for row in range(2, sheet.max_row + 1):
        sheet.row_dimensions[row].hidden = sheet.cell(row, 1).value == "J2"
    sheet.column_dimensions["C"].hidden = True
    book.save(folder / "scores.xlsx")
    event = load_event(folder)
    pd.testing.assert_frame_equal(event.scores, reference)  # every row is read
    (issue,) = _issues(event, "xlsx.hidden_rows")
    assert (issue.file, issue.sheet, issue.row) == ("scores.xlsx", "Sheet", 12)
    assert "10 row(s)" in issue.message and "filter is active on A1:D21" in issue.message
    assert "rows 12, 13, 14, 15, 16, 17, 18, 19, 20, 21" in issue.message
    (column,) = _issues(event, "xlsx.hidden_columns")
    assert (column.row, column.column) == (1, "criterion")


@pytest.mark.parametrize(
    ("name", "make", "code", "real"),
    [
        ("~$scores.xlsx", lambda p: p.write_bytes(b"\x00lock"), "file.lock_file", "lock file"),
        ("scores.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60), "file.old_xls",
         "97-2003"),
        ("scores.xlsx", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60
         + "EncryptedPackage".encode("utf-16-le")), "file.encrypted", "password"),
        ("scores.xlsx", lambda p: p.write_text("juror_id,target_id\n"), "file.wrong_type",
         "a text (CSV) file"),
        ("scores.xlsx", lambda p: p.write_text("<html><table>"), "file.wrong_type",
         "an HTML page"),
        ("scores.ods", write_ods, "file.wrong_type", "OpenDocument spreadsheet"),
        ("scores.numbers", write_numbers_folder, "file.wrong_type", "Apple Numbers"),
    ],
    ids=["lock", "xls", "encrypted", "csv-as-xlsx", "html-as-xlsx", "ods", "numbers"],
)  # fmt: skip
def test_33_wrong_files_are_named_by_their_real_type(
    tmp_path: Path, name: str, make: object, code: str, real: str
) -> None:
    # REJECT with the type detected from the bytes (ZIP/OLE signatures) and what to do.
    folder = write_event(tmp_path, names={"scores": name})
    assert callable(make)
    make(folder / name)
    (issue,) = _rejected(folder, code)
    assert issue.file == name
    assert real in issue.message
    assert any(word in issue.message for word in ("save", "Save", "Export", "Point", "close"))


def test_38_cyrillic_paths_with_spaces_in_a_read_only_folder(tmp_path: Path) -> None:
    # Unicode paths work, and loading writes nothing (the folder may be read-only).
    folder = write_event(
        tmp_path / "Жюри 2024" / "мои оценки",
        names={"candidates": "участники группы.csv", "scores": "оценки жюри.csv"},
    )
    before = sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        event = load_event(folder)
    finally:
        os.chmod(folder, stat.S_IRWXU)
    assert event.inputs["scores"].name == "оценки жюри.csv"
    assert len(event.candidates) == 6
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()) == before
