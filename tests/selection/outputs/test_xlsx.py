"""The XLSX writer (selection/xlsx.py) through `xlsx_bytes`, read back with openpyxl.

openpyxl does not decode Excel's ``_xHHHH_`` escapes in cell text: a control character
written as ``_x0001_`` reads back as the six characters ``_x0001_``, and a literal
``_x0041_`` (written ``_x005F_x0041_``) reads back as ``_x005F_x0041_``. So openpyxl returns
``ooxml_escape(text)``; Excel and LibreOffice decode it to ``text``, which
``_excel_unescape`` below imitates. Text without those characters reads back exactly.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import zipfile
from typing import Any
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from selection.outputs.files import xlsx_bytes
from selection.outputs.xlsx import (
    MAX_TITLE_LENGTH,
    Sheet,
    column_letter,
    ooxml_escape,
    sheet_titles,
    workbook_bytes,
)

CONTROL = [chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
"""Characters XML 1.0 forbids (and Excel writes as ``_xHHHH_``), besides U+FFFE/U+FFFF."""
SCRIPTS = [
    "Айдар Сапаров",  # Cyrillic
    "محمد عبد الله",  # Arabic
    "王小明",  # Chinese
    "Nguyễn Thị Mai",  # Vietnamese (accented Latin)
    "Zoë Ørsted-Ñúñez",
    "👩🏽‍💻 Ada 🚀",  # emoji with a skin tone and a zero-width joiner
    "राम शर्मा",  # Devanagari
    "שרה כהן",  # Hebrew
]


def _excel_unescape(text: str) -> str:
    """Decode ``_xHHHH_`` left to right, as Excel and LibreOffice read cell text."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def _values(sheet: Any, n_rows: int, n_columns: int) -> list[list[object]]:
    return [
        list(row)
        for row in sheet.iter_rows(
            min_row=1, max_row=n_rows, max_col=max(n_columns, 1), values_only=True
        )
    ]


# ---- the property: what goes in comes back --------------------------------------------

_WIDE = st.one_of(
    st.characters(exclude_categories=()),  # any code point, lone surrogates included
    st.sampled_from([*CONTROL, "\t", "\n", "\r", "\ufffe", "\uffff", "&", "<", ">", '"', "'"]),
    st.sampled_from(["_", "x", "0", "A", "f", " "]),  # builds literal _xHHHH_ now and then
)
_TEXTS = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["", "=", "+", "-", "@", "=1+1", "-2", "_x0041_", " ", "\t", "\r", "\n"]),
    st.text(alphabet=_WIDE, max_size=12),
)
_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e-3, 1e-3),
    st.sampled_from([1e300, -1e-300, 5e-324, 1 / 3, -0.0, 2.0**53]),
)
_INT64 = st.integers(-(2**63), 2**63 - 1)
_KINDS = {
    "text": st.one_of(st.none(), _TEXTS),
    "int": _INT64,
    "float": _FLOATS,
    "bool": st.booleans(),
    "mixed": st.one_of(st.none(), _TEXTS, _INT64, _FLOATS, st.booleans()),
}


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(0, 5))
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=5))
    columns: dict[str, Any] = {}
    for position, kind in enumerate(kinds):
        name = f"{position}{draw(_TEXTS)}"
        values = draw(st.lists(_KINDS[kind], min_size=n_rows, max_size=n_rows))
        dtype = {"int": "int64", "float": "float64", "bool": "bool"}.get(kind, "object")
        columns[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)


def _expected(value: object, *, float_column: bool) -> object:
    """What openpyxl should read for ``value`` (see the module docstring)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"  # infinities are written as text
        return float(np.round(value, 6)) if float_column else value
    if isinstance(value, str):
        return ooxml_escape(value) or None  # empty text is an empty cell
    return value


@given(frames=st.lists(_frames(), min_size=1, max_size=2), names=st.lists(_TEXTS, max_size=2))
def test_values_round_trip_as_text_numbers_and_booleans(
    frames: list[pd.DataFrame], names: list[str]
) -> None:
    names = [*names, *(f"sheet{i}" for i in range(len(frames)))][: len(frames)]
    sheets = dict(zip(names, frames, strict=False))  # equal names: the last frame wins
    readme = [(name, f"what {name} holds") for name in sheets]
    data = xlsx_bytes(sheets, readme=readme)
    assert data == xlsx_bytes(sheets, readme=readme)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # every part is well-formed XML
    book = _book(data)
    titles = sheet_titles(["About", *(name[:31] for name in sheets)])
    assert book.sheetnames == titles
    for title, (name, frame) in zip(titles[1:], sheets.items(), strict=True):
        sheet = book[title]
        rows = _values(sheet, len(frame) + 1, frame.shape[1])
        assert rows[0] == [ooxml_escape(str(c)) for c in frame.columns]
        for position, column in enumerate(frame.columns):
            float_column = frame[column].dtype == np.float64
            expected = [_expected(v, float_column=float_column) for v in frame[column]]
            got = [row[position] for row in rows[1:]]
            assert got == expected, (name, column)
            for value in frame[column]:
                if isinstance(value, str):  # what Excel shows: the text itself
                    assert _excel_unescape(ooxml_escape(value)) == value
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (title, cell.coordinate)
                elif isinstance(cell.value, bool):
                    assert cell.data_type == "b"
                elif cell.value is not None:
                    assert cell.data_type == "n"


# ---- hand-checked cases ----------------------------------------------------------------


def test_escapes_read_back_as_openpyxl_and_excel_see_them() -> None:
    texts = [
        "a\x01b",  # openpyxl: "a_x0001_b"; Excel: "a\x01b"
        "\x00\x1f",  # "_x0000__x001F_"
        "_x0041_",  # a literal escape keeps its underscore: "_x005F_x0041_"
        "x\ud800y",  # a lone surrogate: "x_xD800_y"
        "\ufffe\uffff",  # "_xFFFE__xFFFF_"
        "a\r\nb\tc\nd",  # CR, LF and tab are written as they are
        "  padded  ",
        '<b>&"</b>',
        "_x12_",  # not four hex digits: untouched
    ]
    sheet = _book(xlsx_bytes({"t": pd.DataFrame({"text": texts})}))["t"]
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == [
        "a_x0001_b",
        "_x0000__x001F_",
        "_x005F_x0041_",
        "x_xD800_y",
        "_xFFFE__xFFFF_",
        "a\r\nb\tc\nd",
        "  padded  ",
        '<b>&"</b>',
        "_x12_",
    ]
    assert [_excel_unescape(value) for value in got] == texts


def test_names_in_any_script_survive_in_cells_and_sheet_titles() -> None:
    frame = pd.DataFrame({"name": SCRIPTS, "merit": np.linspace(0, 1, len(SCRIPTS))})
    sheets = dict.fromkeys(SCRIPTS, frame)
    book = _book(xlsx_bytes(sheets))
    assert book.sheetnames == ["About", *SCRIPTS]
    for name in SCRIPTS:
        values = [row[0] for row in book[name].iter_rows(min_row=2, values_only=True)]
        assert values == SCRIPTS


def test_infinities_are_text_and_missing_values_are_empty() -> None:
    frame = pd.DataFrame(
        {
            "x": [math.inf, -math.inf, math.nan, 1 / 3],
            "n": pd.array([1, None, 3, None], dtype="Int64"),
            "s": pd.array(["a", None, "", "b"], dtype="string"),
            "b": [True, False, True, False],
        }
    )
    sheet = _book(xlsx_bytes({"t": frame}))["t"]
    assert _values(sheet, 5, 4)[1:] == [
        ["inf", 1, "a", True],
        ["-inf", None, None, False],
        [None, 3, None, True],  # "" is an empty cell, as openpyxl wrote it
        [0.333333, None, "b", False],
    ]
    assert sheet["A2"].data_type == "s" and sheet["D2"].data_type == "b"


def test_formula_like_text_is_text() -> None:
    texts = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
    data = xlsx_bytes({"t": pd.DataFrame({"text": texts})})
    sheet = _book(data)["t"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet2.xml")


def test_same_data_same_bytes_fixed_times_and_order() -> None:
    frame = pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]})
    first = xlsx_bytes({"t": frame}, readme=[("t", "a table")])
    assert first == xlsx_bytes({"t": frame.copy()}, readme=[("t", "a table")])
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        core = archive.read("docProps/core.xml").decode()
    assert [info.filename for info in infos] == [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
    ]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert core.count("2000-01-01T00:00:00Z") == 2


def test_every_part_is_declared_and_well_formed() -> None:
    data = xlsx_bytes({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": ["z"]})})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        parts = {name: ElementTree.fromstring(archive.read(name)) for name in names}
    declared = {
        element.get("PartName")
        for element in parts["[Content_Types].xml"]
        if element.tag.endswith("Override")
    }
    assert declared == {f"/{name}" for name in names if not name.endswith(".rels")} - {
        "/[Content_Types].xml"
    }
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    for number, ref in ((1, "A1:B1"), (2, "A1:A2"), (3, "A1:A2")):
        sheet = parts[f"xl/worksheets/sheet{number}.xml"]
        dimension = sheet.find(f"{main}dimension")
        assert dimension is not None and dimension.get("ref") == ref


@pytest.mark.parametrize(
    ("index", "letters"),
    [
        (1, "A"),
        (2, "B"),
        (26, "Z"),  # last single letter
        (27, "AA"),  # 26 + 1
        (52, "AZ"),  # 26 + 26
        (53, "BA"),
        (702, "ZZ"),  # 26 + 26 * 26: last pair
        (703, "AAA"),
        (728, "AAZ"),  # 702 + 26: AAA is 703, so 25 further
        (729, "ABA"),
        (16384, "XFD"),  # Excel's last column
        (18278, "ZZZ"),  # 26 + 26**2 + 26**3
    ],
)
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters


def test_column_letter_agrees_with_openpyxl_and_rejects_zero() -> None:
    assert all(column_letter(i) == get_column_letter(i) for i in range(1, 18279))
    with pytest.raises(ValueError, match="at least 1"):
        column_letter(0)


def test_columns_beyond_z_and_zz_are_addressed_right() -> None:
    header = [f"c{i}" for i in range(1, 706)]
    data = workbook_bytes([Sheet("wide", header, [list(range(1, 706))])])
    sheet = _book(data)["wide"]
    for index in (1, 26, 27, 702, 703, 705):
        letters = column_letter(index)
        assert sheet[f"{letters}1"].value == f"c{index}"
        assert sheet[f"{letters}2"].value == index
    assert sheet.dimensions == "A1:AAC2"


def test_colliding_sheet_names_are_made_unique() -> None:
    frame = pd.DataFrame({"x": [1]})
    long = "a" * 40
    sheets = {long: frame, "a" * 31 + "b": frame, "ABOUT": frame, "History": frame, "x?y": frame}
    book = _book(xlsx_bytes(sheets))
    assert book.sheetnames == [
        "About",
        "a" * 31,
        "a" * 29 + "~2",  # cut to 31 it is the first name again
        "ABOUT~2",  # titles ignore case, as in Excel
        "History~2",  # Excel reserves History
        "x_y",
    ]
    assert sheet_titles(["s", "s", "s", "S~2"]) == ["s", "s~2", "s~3", "S~2~2"]


def test_titles_are_cut_to_31_utf16_units() -> None:
    emoji = "😀" * 20  # 40 UTF-16 code units; Excel counts those
    (title,) = sheet_titles([emoji])
    assert title == "😀" * 15 and len(title.encode("utf-16-le")) // 2 <= MAX_TITLE_LENGTH
    assert _book(xlsx_bytes({emoji: pd.DataFrame({"x": [1]})})).sheetnames[1] == title


def test_about_sheet_columns_and_widths() -> None:
    readme = [("people", "one row per person"), ("=risky", "text & <tags>")]
    book = _book(xlsx_bytes({"people": pd.DataFrame({"name": ["Ana"]})}, readme=readme))
    about = book["About"]
    assert book.sheetnames[0] == "About" and book.active.title == "About"
    assert [list(row) for row in about.iter_rows(values_only=True)] == [
        ["sheet", "what it holds"],
        ["people", "one row per person"],
        ["=risky", "text & <tags>"],
    ]
    assert about.column_dimensions["A"].width == 22
    assert about.column_dimensions["B"].width == 100
    assert about.freeze_panes is None


def test_data_sheets_freeze_a_bold_header() -> None:
    frames = {
        "a": pd.DataFrame({"x": [1, 2], "y": ["p", "q"]}),
        "b": pd.DataFrame({"z": [0.5]}),
    }
    book = _book(xlsx_bytes(frames))
    for name in ("a", "b"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert not any(cell.font.b for row in sheet.iter_rows(min_row=2) for cell in row)
    assert all(cell.font.b for cell in book["About"][1])


def test_empty_frames_give_a_header_or_an_empty_sheet() -> None:
    frames = {"header only": pd.DataFrame({"a": [], "b": []}), "nothing": pd.DataFrame()}
    book = _book(xlsx_bytes(frames))
    assert [list(r) for r in book["header only"].iter_rows(values_only=True)] == [["a", "b"]]
    assert book["nothing"]["A1"].value is None


def test_writing_does_not_import_openpyxl() -> None:
    code = (
        "import sys, pandas as pd\n"
        "from selection.outputs.files import xlsx_bytes\n"
        "xlsx_bytes({'t': pd.DataFrame({'a': [1]})}, readme=[('t', 'x')])\n"
        "print('openpyxl' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
