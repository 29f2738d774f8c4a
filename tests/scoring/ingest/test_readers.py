"""Readers: encodings, separators, decimal commas, workbooks; round trips and garbage."""

from __future__ import annotations

import re
import string
import unicodedata
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.errors import InvalidEventError
from scoring.ingest.cells import near_duplicate_key
from scoring.ingest.load import load_event
from scoring.ingest.readers import read_table
from tests.eventfiles import CANDIDATES, JURORS, csv_text, default_scores, write_event

REQUIRED = ("juror_id", "target_id")


def _reference(tmp_path: Path) -> pd.DataFrame:
    return load_event(write_event(tmp_path / "reference")).scores


@pytest.mark.parametrize(
    ("encoding", "sep", "decimal"),
    [
        ("utf-8", ",", "."),
        ("utf-8-sig", ",", "."),
        ("utf-16", "\t", "."),
        ("cp1251", ";", ","),
        ("utf-8", ";", ","),
        ("utf-8", "\t", ","),
    ],
)
def test_text_variants_load_to_identical_table(
    tmp_path: Path, encoding: str, sep: str, decimal: str
) -> None:
    rows = default_scores()
    rows[2][3] = "7.5"
    reference = load_event(write_event(tmp_path / "ref", scores=rows)).scores
    variant = [[c.replace(".", decimal) if i == 3 else c for i, c in enumerate(r)] for r in rows]
    folder = write_event(tmp_path / "variant", names={"scores": "scores.txt"})
    text = csv_text(variant, sep=sep).replace("\n", "\r\n")
    (folder / "scores.txt").write_bytes(text.encode(encoding))
    pd.testing.assert_frame_equal(load_event(folder).scores, reference)


def test_cp1251_candidates_keep_cyrillic_names(tmp_path: Path) -> None:
    folder = write_event(tmp_path, names={"candidates": "candidates.csv"})
    (folder / "candidates.csv").write_bytes(csv_text(_cyrillic_only(), sep=";").encode("cp1251"))
    event = load_event(folder)
    assert "Айдар Сапаров" in set(event.candidates["name"])


def _cyrillic_only() -> list[list[str]]:
    """Candidates whose names cp1251 can encode (no Vietnamese or Chinese)."""
    return [
        [
            ("Ли Сяомин" if c == "王小明" else "Нгуен Тхи Май" if c == "Nguyễn Thị Mai" else c)
            for c in r
        ]
        for r in CANDIDATES
    ]


def test_xlsx_with_instruction_sheet_and_title_rows(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    folder = write_event(tmp_path / "xlsx", names={"scores": "scores.xlsx"})
    book = openpyxl.Workbook()
    info = book.active
    info.title = "Инструкция"
    info.append(["Заполните лист 'Оценки'. Fill in the 'Scores' sheet."])
    data = book.create_sheet("Оценки")
    data.append(["IKSW pitch session"])
    data.append([])
    rows = default_scores()
    data.append(rows[0])
    for r in rows[1:]:
        data.append([r[0], r[1], r[2], int(r[3])])
    data.append([])
    data.append(["Итого", None, None, None])
    book.save(folder / "scores.xlsx")
    event = load_event(folder)
    pd.testing.assert_frame_equal(
        event.scores.drop(columns="source_row"), reference.drop(columns="source_row")
    )
    assert event.scores["source_row"].min() == 4  # header on row 3
    assert "text.totals_row" in set(event.warnings["code"])


def test_unquoted_decimal_comma_never_shifts_columns(tmp_path: Path) -> None:
    text = "juror_id,target_id,criterion,score\nJ1,A1,pitch,7,5\nJ1,A2,pitch,7,5\n"
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    table, issues = read_table(path, required=REQUIRED)
    assert table is None
    assert [(i.code, i.row) for i in issues] == [("csv.decimal_comma", 2), ("csv.decimal_comma", 3)]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("juror_id,target_id,score\nJ,A,7,x\nJ,B,8,x\n", [2, 3]),  # every row too long
        ("juror_id,target_id,score\nJ,A,7,x\nJ,B,8\n", [2]),  # the first row too long
        ("juror_id,target_id,score\nJ,A,7,,\nJ,B,8,,\n", [2, 3]),  # two empty extras
        ("juror_id,target_id,score\nJ,A,7\nJ,B,8,x\n", [3]),  # a later row too long
    ],
)
def test_rows_with_extra_fields_are_located_without_a_warning(
    tmp_path: Path, text: str, rows: list[int]
) -> None:
    # pandas warns (ParserWarning) and drops the extra fields when the first data row is
    # too long; the reader finds that itself, so no warning filter is needed or touched.
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    filters = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table, issues = read_table(path, required=REQUIRED)
    assert table is None
    assert [(i.code, i.row) for i in issues] == [("csv.field_count", r) for r in rows]
    assert warnings.filters == filters


def test_one_empty_trailing_field_on_every_row_is_dropped(tmp_path: Path) -> None:
    # A separator at the end of each data line (not the header) leaves one empty field.
    path = tmp_path / "scores.csv"
    path.write_text("juror_id,target_id,score\nJ1,A1,7,\nJ1,A2,8,\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table, issues = read_table(path, required=REQUIRED, numeric=["score"])
    assert issues == [] and table is not None
    assert table.frame.to_dict("list") == {
        "juror_id": ["J1", "J1"],
        "target_id": ["A1", "A2"],
        "score": [7, 8],
    }


def test_na_token_is_not_swallowed_by_pandas(tmp_path: Path) -> None:
    # pandas reads "NA" and "N/A" as missing by default; a country code NA (Namibia) is text.
    path = tmp_path / "c.csv"
    path.write_text("candidate_id,name,group,country\nA1,Ana,G,NA\n", encoding="utf-8")
    table, _ = read_table(path, required=("candidate_id",))
    assert table is not None and table.frame.loc[0, "country"] == "NA"


_NAME_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs", "Cf", "Co", "Cn", "Mn", "Mc", "Me"),
)
_names = st.text(_NAME_CHARS, min_size=1, max_size=20).filter(
    lambda s: (
        s == s.strip()
        and not s.startswith(("#", "=", "'"))
        and s.casefold()
        not in {
            "итого",
            "всего",
            "total",
            "totals",
            "sum",
            "сумма",
            "среднее",
            "average",
            "grand total",
        }
    )
)
_EXCEL_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]\d{2,}$")
_ids = st.text(string.ascii_letters + string.digits + "-_АБВЖЯ中文", min_size=1, max_size=8).filter(
    lambda s: not s.replace(".", "").isdigit() and not _EXCEL_SCIENTIFIC.match(s)
)


def _unicode_event(folder: Path, people: list[tuple[str, str]], xlsx: bool) -> Path:
    cands = [["candidate_id", "name", "group"]] + [[i, n, "G"] for i, n in people]
    scores = [["juror_id", "target_id", "criterion", "score"]] + [
        ["J1", i, "pitch", "5"] for i, _ in people
    ]
    crit = '[[criteria]]\nname = "pitch"\nweight = 1\nmin = 1\nmax = 10\n'
    if not xlsx:
        return write_event(
            folder, candidates=cands, scores=scores, criteria=crit, with_jurors=False
        )
    write_event(
        folder,
        names={"candidates": "candidates.xlsx"},
        scores=scores,
        criteria=crit,
        with_jurors=False,
    )
    book = openpyxl.Workbook()
    for row in cands:
        book.active.append(row)
    book.save(folder / "candidates.xlsx")
    return folder


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    people=st.lists(st.tuples(_ids, _names), min_size=1, max_size=6, unique_by=lambda p: p[0]),
    xlsx=st.booleans(),
)
def test_unicode_names_and_ids_round_trip(
    tmp_path_factory: pytest.TempPathFactory, people: list[tuple[str, str]], xlsx: bool
) -> None:
    people = [(unicodedata.normalize("NFC", i), unicodedata.normalize("NFC", n)) for i, n in people]
    if len({near_duplicate_key(i) for i, _ in people}) != len(people):
        return  # ids spelt alike ('J' and 'j') are an error (id.near_duplicate)
    folder = _unicode_event(tmp_path_factory.mktemp("uni"), people, xlsx)
    event = load_event(folder)
    got = dict(zip(event.candidates["candidate_id"], event.candidates["name"], strict=True))
    assert got == dict(people)


_garbage = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "н/я",
            "N/A",
            "-",
            "#DIV/0!",
            "ИСТИНА",
            "07.май",
            "1,5",
            "1.23E+15",
            "12.0",
            "Итого",
            "=SUM(A1)",
            "\u00a0",
            "nan",
            "inf",
            "-1",
            "0",
            "10",
            "11",
        ]
    ),
    st.integers(-5, 20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    cells=st.lists(st.tuples(st.integers(1, 20), st.integers(0, 3), _garbage), max_size=6),
    sep=st.sampled_from([",", ";"]),
)
def test_garbage_cells_give_a_table_or_located_issues(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[int, int, str]], sep: str
) -> None:
    rows = default_scores()
    for row, column, value in cells:
        rows[row][column] = value
    folder = write_event(tmp_path_factory.mktemp("garbage"))
    (folder / "scores.csv").write_text(csv_text(rows, sep=sep), encoding="utf-8")
    try:
        event = load_event(folder)
    except InvalidEventError as exc:
        assert exc.errors
        for issue in exc.errors:
            assert issue.file and issue.code and issue.message
    else:
        assert event.scores["score"].between(1, 10).all()
        assert event.scores["score"].notna().all()


def test_example_event_formats_load_to_identical_tables() -> None:
    from scoring.example import example_event_path

    folder = example_event_path()
    tables = [
        load_event(folder / name).scores.drop(columns="source_row")
        for name in ("event.toml", "event_ru.toml", "event_xlsx.toml")
    ]
    assert len(tables[0]) > 800
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])


def test_one_workbook_holds_all_three_tables(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    folder = write_event(
        tmp_path / "one",
        names={"candidates": "event.xlsx", "scores": "event.xlsx", "jurors": "event.xlsx"},
    )
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    for title, rows in (
        ("Scores", default_scores()),
        ("Jurors", JURORS),
        ("Candidates", CANDIDATES),
    ):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(folder / "event.xlsx")
    event = load_event(folder)
    pd.testing.assert_frame_equal(
        event.scores.drop(columns="source_row"), reference.drop(columns="source_row")
    )
    assert list(event.jurors["juror_id"]) == ["J1", "J2"]


def test_expected_texts_are_coded_and_other_texts_kept(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("juror_id,target_id,score\nJ1,A1,7\nJ1,B2,8\n\n", encoding="utf-8")
    coded, issues = read_table(
        path, required=["juror_id"], expected={"target_id": ["A1", "B2", "C3"]}
    )
    assert issues == [] and coded is not None
    assert isinstance(coded.frame["target_id"].dtype, pd.CategoricalDtype)
    assert coded.frame["target_id"].astype(object).tolist() == ["A1", "B2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas warning about the unknown text leaks out
        plain, _ = read_table(path, required=["juror_id"], expected={"target_id": ["A1"]})
    assert plain is not None
    assert plain.frame["target_id"].tolist() == ["A1", "B2"]  # the text 'B2' is kept
    blank = tmp_path / "blank.csv"  # a blank target cell on a data row keeps plain text too
    blank.write_text("juror_id,target_id,score\nJ1,A1,7\nJ1,,8\n", encoding="utf-8")
    kept, _ = read_table(blank, required=["juror_id"], expected={"target_id": ["A1"]})
    assert kept is not None and kept.frame["target_id"].dtype == object


def test_dialect_is_recorded_for_text_workbook_and_frame(tmp_path: Path) -> None:
    from scoring.event import FRAME_DIALECT, Dialect
    from scoring.ingest.validate import frame_table

    path = tmp_path / "s.tsv"
    path.write_bytes("juror_id\ttarget_id\tscore\nJ1\tA1\t7,5\n".encode("cp1251"))
    text, _ = read_table(path, required=REQUIRED)
    assert text is not None
    assert text.dialect == Dialect("text", "utf-8", "\t", ",", None, 1)  # ASCII is UTF-8
    book = openpyxl.Workbook()
    book.active.title = "Оценки"
    book.active.append(["Pitch session"])
    book.active.append(["juror_id", "target_id", "score"])
    book.active.append(["J1", "A1", 7.5])
    book.save(tmp_path / "s.xlsx")
    sheet, issues = read_table(tmp_path / "s.xlsx", required=REQUIRED)
    assert issues == [] and sheet is not None
    assert sheet.dialect == Dialect("xlsx", sheet="Оценки", header_row=2)
    assert sheet.rows.tolist() == [3]
    frame = frame_table(pd.DataFrame({"juror_id": ["J1"]}), name="scores")
    assert frame.dialect == FRAME_DIALECT


def test_one_preferred_sheet_settles_which_of_several_is_read(tmp_path: Path) -> None:
    # A jurors table is found by juror_id alone, which the score sheet also has: the sheet
    # named for jurors is read, and without such a name the choice is an error.
    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.active.append(["juror_id", "target_id"])
    people = book.create_sheet("Жюри")
    people.append(["juror_id", "name"])
    people.append(["J1", "Анна"])
    book.save(tmp_path / "event.xlsx")
    table, issues = read_table(
        tmp_path / "event.xlsx",
        required=["juror_id"],
        sheet_words=["жюри"],
        sheet_key="jurors_sheet",
    )
    assert issues == [] and table is not None and table.sheet == "Жюри"
    table, issues = read_table(
        tmp_path / "event.xlsx", required=["juror_id"], sheet_key="jurors_sheet"
    )
    assert table is None and [i.code for i in issues] == ["xlsx.several_data_sheets"]
    assert 'jurors_sheet = "Data"' in issues[0].message
    table, issues = read_table(
        tmp_path / "event.xlsx", required=["juror_id"], sheet="Data", sheet_key="jurors_sheet"
    )
    assert issues == [] and table is not None and table.sheet == "Data"


def test_a_formula_with_its_value_saved_is_read_as_the_value(tmp_path: Path) -> None:
    # The formula pass runs only for a workbook with formulas; a saved value is used as is.
    book = openpyxl.Workbook()
    book.active.append(["juror_id", "target_id", "score"])
    book.active.append(["J1", "A1", "=3+4"])
    book.active.append(["J1", "A2", None])  # a blank mark, no formula
    book.save(tmp_path / "s.xlsx")
    with zipfile.ZipFile(tmp_path / "s.xlsx") as archive:  # as Excel saves it: with <v>
        members = {n: archive.read(n) for n in archive.namelist()}
    sheet_xml = "xl/worksheets/sheet1.xml"
    members[sheet_xml] = members[sheet_xml].replace(b"<f>3+4</f><v />", b"<f>3+4</f><v>7</v>")
    with zipfile.ZipFile(tmp_path / "saved.xlsx", "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    table, issues = read_table(tmp_path / "saved.xlsx", required=REQUIRED)
    assert issues == [] and table is not None
    assert table.frame["score"].tolist() == [7, None]
    _, unsaved = read_table(tmp_path / "s.xlsx", required=REQUIRED)
    assert [(i.code, i.row, i.value) for i in unsaved] == [("xlsx.formula_no_value", 2, "=3+4")]
