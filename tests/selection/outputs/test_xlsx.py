"""The XLSX output (`xlsx_bytes`), read back with openpyxl and as Excel reads it.

Text is stored in the shared-strings table with Excel's escapes: a character XML 1.0
cannot hold, and CR, as ``_xHHHH_``; the underscore of a literal ``_xHHHH_`` as
``_x005F_``. Excel and LibreOffice decode each ``<t>`` element left to right
(``_excel_unescape``), so they show the text as it was given. openpyxl decodes no
``_xHHHH_`` but deletes every ``x005F_`` from shared strings, so it reads
``_openpyxl_reads(text)``: a literal ``_x0041_`` comes back exactly, a control character
as its code (CR as ``_x000D_``), and a literal ``x005F_`` not at all (openpyxl's doing: it
reads a workbook saved by Excel the same way).
"""

from __future__ import annotations

import io
import math
import os
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
from python_calamine import CalamineWorkbook

from selection.outputs.xlsx import _escaped, _sheet_titles, _string_item, xlsx_bytes

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
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ESCAPED = "[\x00-\x08\x0b-\x1f\ufffe\uffff]"
"""What Excel writes as ``_xHHHH_``: CR too, but not tab or LF."""
SURROGATE = "[\ud800-\udfff]"


def _excel_unescape(text: str) -> str:
    """Decode ``_xHHHH_`` left to right, as Excel and LibreOffice read cell text."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _code(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def _openpyxl_reads(text: str) -> str | None:
    """What openpyxl reads for ``text`` (see the module docstring): the control characters as
    their codes, lone surrogates as U+FFFD (UTF-8 cannot hold them), ``x005F_`` deleted."""
    if not text:
        return None  # empty text is an empty cell
    shown = re.sub(ESCAPED, _code, re.sub(SURROGATE, "\ufffd", text))
    return shown.replace("x005F_", "")


def _excel_shows(text: str) -> str:
    """What Excel shows for ``text``: the text itself, but lone surrogates as U+FFFD."""
    return re.sub(SURROGATE, "\ufffd", text)


def _excel_texts(data: bytes, number: int) -> dict[str, str]:
    """The text cells of sheet ``number`` (1-based) as Excel shows them: each ``<t>`` of the
    shared string decoded on its own, the runs of rich text joined."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        strings = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
        sheet = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{number}.xml"))
    table = ["".join(_excel_unescape(t.text or "") for t in si.iter(f"{MAIN}t")) for si in strings]
    return {
        str(cell.get("r")): table[int(cell.findtext(f"{MAIN}v") or "")]
        for cell in sheet.iter(f"{MAIN}c")
        if cell.get("t") == "s"
    }


def _stored_number(value: float) -> float:
    """A number as the file holds it: the same double (ints: the nearest double)."""
    return float(value)


def _calamine(data: bytes, title: str) -> list[list[object]]:
    """Sheet ``title`` as calamine reads it (the Rust reader behind pandas' "calamine"
    engine, which decodes ``_xHHHH_`` as Excel does): text, floats, booleans, ``""``."""
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(title)
    return [list(row) for row in sheet.to_python()]


def _calamine_shows(text: str) -> str | None:
    """What calamine reads for ``text``: what Excel shows. ``None`` (not compared) for text
    with the non-characters U+FFFE or U+FFFF: calamine decodes no escape of theirs and then
    reads the escape's last underscore as the start of the next one."""
    return None if re.search("[\ufffe\uffff]", text) else _excel_shows(text)


def _same(got: list[object], expected: list[object]) -> bool:
    """Whether ``got`` is ``expected`` where ``expected`` is not ``None``."""
    return len(got) == len(expected) and all(
        e is None or g == e for g, e in zip(got, expected, strict=True)
    )


def _calamine_reads(value: object, *, float_column: bool) -> object:
    """What calamine should read for ``value``: numbers as floats, text as Excel shows it."""
    expected = _expected(value, float_column=float_column)
    if isinstance(value, str):
        return _calamine_shows(value) if value else ""
    if expected is None:
        return ""
    if isinstance(expected, bool | str):
        return expected
    return float(expected)  # type: ignore[arg-type]


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
    lambda prefix, body, suffix: prefix + body + suffix,
    st.sampled_from(
        ["", "=", "+", "-", "@", "=1+1", "-2", "_x0041_", " ", "\t", "\r", "\n", "<r>", "_x0041"]
    ),
    st.text(alphabet=_WIDE, max_size=12),
    st.sampled_from(["", "", "", "</r>", "_x0042_", "\x01", "x005F_"]),
)
_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e-3, 1e-3),
    st.sampled_from([1e300, -1e-300, 5e-324, 1 / 3, -0.0, 2.0**53, 0.1 + 0.2]),
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
        if float_column and abs(value) < 2**52:  # larger floats are whole: left alone
            value = float(np.round(value, 6))
        return _stored_number(value)
    if isinstance(value, str):
        return _openpyxl_reads(value)
    if isinstance(value, bool):
        return value
    assert isinstance(value, int)
    return _stored_number(value)


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
    titles = _sheet_titles(["About", *(name[:31] for name in sheets)])
    assert book.sheetnames == titles
    for number, (title, (name, frame)) in enumerate(
        zip(titles[1:], sheets.items(), strict=True), start=2
    ):
        sheet = book[title]
        shown = _excel_texts(data, number)  # what Excel shows, by cell reference
        rows = _values(sheet, len(frame) + 1, frame.shape[1])
        assert rows[0] == [_openpyxl_reads(str(c)) for c in frame.columns]
        for position, column in enumerate(frame.columns):
            letters = get_column_letter(position + 1)
            if str(column):
                assert shown[f"{letters}1"] == _excel_shows(str(column))
            float_column = frame[column].dtype == np.float64
            expected = [_expected(v, float_column=float_column) for v in frame[column]]
            got = [row[position] for row in rows[1:]]
            assert got == expected, (name, column)
            for row_number, value in enumerate(frame[column], start=2):
                if isinstance(value, str) and value:
                    assert shown[f"{letters}{row_number}"] == _excel_shows(value), value
        read = _calamine(data, title)
        assert _same(read[0][: frame.shape[1]], [_calamine_shows(str(c)) for c in frame.columns])
        for position, column in enumerate(frame.columns):
            float_column = frame[column].dtype == np.float64
            expected = [_calamine_reads(v, float_column=float_column) for v in frame[column]]
            got = [row[position] if position < len(row) else "" for row in read[1:]]
            got += [""] * (len(frame) - len(got))  # calamine stops at the last cell written
            assert _same(got, expected), (name, column, "calamine")
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (title, cell.coordinate)
                elif isinstance(cell.value, bool):
                    assert cell.data_type == "b"
                elif cell.value is not None:
                    assert cell.data_type == "n"


_PIECES = ["_x0041_", "_x0041", "_x", "_", "x", "0", "41", "_x005F_", "x005F_", "<r>", "</r>"]
_PIECES += ["\x01", "\r", "\t", "\n", "\ufffe", "\ud800", "<", ">", "&", "a", " ", "😀"]
_SHAPES = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


@given(texts=st.lists(_SHAPES, min_size=1, max_size=20))
def test_text_of_any_shape_reads_back(texts: list[str]) -> None:
    """Escapes, near-escapes and XML-like text, packed close: Excel shows the text."""
    data = xlsx_bytes({"t": pd.DataFrame({"text": pd.Series(texts, dtype=object)})})
    rows = _book(data)["t"].iter_rows(min_row=2, max_row=len(texts) + 1, values_only=True)
    assert [row[0] for row in rows] == [_openpyxl_reads(text) for text in texts]
    shown = _excel_texts(data, 2)
    read = _calamine(data, "t")[1:]
    read += [[""]] * (len(texts) - len(read))
    assert _same([row[0] for row in read], [_calamine_shows(text) for text in texts])
    for row, text in enumerate(texts, start=2):
        if text:
            assert shown[f"A{row}"] == _excel_shows(text), text
        if text and not re.search(f"{ESCAPED}|{SURROGATE}", text):
            assert shown[f"A{row}"] == text


# ---- hand-checked cases ----------------------------------------------------------------


def test_escapes_read_back_as_openpyxl_and_excel_see_them() -> None:
    # (text, what openpyxl reads, what Excel shows)
    cases = [
        ("a\x01b", "a_x0001_b", "a\x01b"),  # stored a_x0001_b
        ("\x00\x1f", "_x0000__x001F_", "\x00\x1f"),
        ("_x0041_", "_x0041_", "_x0041_"),  # stored _x005F_x0041_; openpyxl drops x005F_
        ("x\ud800y", "x\ufffdy", "x\ufffdy"),  # a lone surrogate has no UTF-8
        ("\ufffe\uffff", "_xFFFE__xFFFF_", "\ufffe\uffff"),
        ("a\r\nb\tc\nd", "a_x000D_\nb\tc\nd", "a\r\nb\tc\nd"),  # CR stored as Excel does
        ("  padded  ", "  padded  ", "  padded  "),
        ('<b>&"</b>', '<b>&"</b>', '<b>&"</b>'),
        ("_x12_", "_x12_", "_x12_"),  # not four hex digits: untouched
        ("x005F_", "", "x005F_"),  # openpyxl deletes it, as in any Excel file
        # Escaped left to right this would be _x005F_x0041_x005F_x0042_, which openpyxl
        # reads as _x0041__x0042_; written as runs _x0041|_x0042|_, no run holds an escape.
        ("_x0041_x0042_", "_x0041_x0042_", "_x0041_x0042_"),
        # Text shaped like XML is text.
        ("<r>x</r>", "<r>x</r>", "<r>x</r>"),
        ("<r><t>a</t></r>", "<r><t>a</t></r>", "<r><t>a</t></r>"),
        ("<r><</r>", "<r><</r>", "<r><</r>"),
        # Runs again: _x0041 then an escaped control character.
        ("_x0041\x01", "_x0041_x0001_", "_x0041\x01"),
    ]
    data = xlsx_bytes({"t": pd.DataFrame({"text": [text for text, _, _ in cases]})})
    sheet = _book(data)["t"]
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == [openpyxl_reads for _, openpyxl_reads, _ in cases]
    shown = _excel_texts(data, 2)
    assert [shown[f"A{row}"] for row in range(2, len(cases) + 2)] == [e for _, _, e in cases]
    assert [_openpyxl_reads(text) for text, _, _ in cases] == got  # the model agrees
    assert [_excel_shows(text) for text, _, _ in cases] == [e for _, _, e in cases]


def test_text_is_stored_with_excels_escapes() -> None:
    """The stored form, element by element: what Excel decodes left to right."""
    assert [_escaped(t) for t in ["a\x01b", "_x0041_", "a\rb", "_x12_", "\ufffe", "&<>\"'"]] == [
        "a_x0001_b",
        "_x005F_x0041_",
        "a_x000D_b",
        "_x12_",
        "_xFFFE_",
        "&amp;&lt;&gt;\"'",
    ]
    assert _string_item(" a ") == '<si><t xml:space="preserve"> a </t></si>'
    assert _string_item("_x0041\x01") == "<si><r><t>_x0041</t></r><r><t>_x0001_</t></r></si>"
    data = xlsx_bytes({"t": pd.DataFrame({"x": ["_x0041_", "b", "_x0041_"]})})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        strings = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    # each distinct text once, in the order written: About's header, then the sheet's
    texts = ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in strings]
    assert texts == ["sheet", "what it holds", "x", "_x005F_x0041_", "b"]


def test_names_in_any_script_survive_in_cells_and_sheet_titles() -> None:
    frame = pd.DataFrame({"name": SCRIPTS, "merit": np.linspace(0, 1, len(SCRIPTS))})
    sheets = dict.fromkeys(SCRIPTS, frame)
    data = xlsx_bytes(sheets)
    book = _book(data)
    assert book.sheetnames == ["About", *SCRIPTS]
    for number, name in enumerate(SCRIPTS, start=2):
        values = [row[0] for row in book[name].iter_rows(min_row=2, values_only=True)]
        assert values == SCRIPTS
        shown = _excel_texts(data, number)
        assert [shown[f"A{row}"] for row in range(2, len(SCRIPTS) + 2)] == SCRIPTS


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


def test_huge_floats_stay_finite_when_rounded() -> None:
    # rounding to 6 decimals multiplies by 1e6 first: 1.7e308 would overflow to inf
    frame = pd.DataFrame({"x": [1.7e308, -1e303, 2.0**52 + 1, 0.1234567]})
    sheet = _book(xlsx_bytes({"t": frame}))["t"]
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == [1.7e308, -1e303, 4503599627370497, 0.123457]


def test_numbers_are_the_doubles_themselves() -> None:
    values = [3, -2.5, 2**53, 2**53 + 1, 2**63 - 1, 0.1 + 0.2, 1e300, 10**400, -(10**400)]
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object), "f": [1 / 3] * len(values)})
    sheet = _book(xlsx_bytes({"t": frame}))["t"]
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == [
        3,
        -2.5,
        9007199254740992,  # 2**53: 16 digits, exact
        9007199254740992,  # 2**53 + 1 is no double: the nearest one
        9.223372036854776e18,  # 2**63 - 1 as the nearest double (Excel shows 15 digits)
        0.30000000000000004,  # the double itself
        1e300,
        "inf",  # an integer beyond any double is infinite to a spreadsheet
        "-inf",
    ]
    assert [type(value) for value in got[:4]] == [int, float, int, int]
    assert [sheet.cell(row, 1).data_type for row in range(2, 9)] == ["n"] * 7
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {0.333333}


def test_formula_like_text_is_text() -> None:
    texts = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
    texts += ["+7 912 345 67 89", "-Anna", "@x", "1e5", "007", "https://example.org"]
    data = xlsx_bytes({"t": pd.DataFrame({"text": texts})})
    sheet = _book(data)["t"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet2.xml")
        assert "xl/worksheets/_rels/sheet2.xml.rels" not in archive.namelist()  # no links


def test_same_data_same_bytes_fixed_times_and_order() -> None:
    frame = pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]})
    first = xlsx_bytes({"t": frame}, readme=[("t", "a table")])
    assert first == xlsx_bytes({"t": frame.copy()}, readme=[("t", "a table")])
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        core = archive.read("docProps/core.xml").decode()
    assert sorted(info.filename for info in infos) == [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
    ]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified
    assert "<dc:creator>pitch-jury</dc:creator>" in core


_WRITE_ONE = """
import hashlib, sys
import pandas as pd
from selection.outputs.xlsx import xlsx_bytes
frame = pd.DataFrame({"name": ["Zoë", "=1+1", "王小明", "<r>x</r>", "_x0041_x0042_"],
                      "merit": [1 / 3, None, -2.5, float("inf"), 7.0],
                      "n": [1, 2, 3, 4, 5], "ok": [True, False, True, False, True]})
data = xlsx_bytes({"ranking": frame, "Ранжир": frame.iloc[:2]}, readme=[("ranking", "all")])
sys.stdout.write(hashlib.sha256(data).hexdigest())
"""


def test_same_bytes_in_separate_processes() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", _WRITE_ONE],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


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
    for number, ref in ((1, "A1:B1"), (2, "A1:A2"), (3, "A1:A2")):
        sheet = parts[f"xl/worksheets/sheet{number}.xml"]
        dimension = sheet.find(f"{MAIN}dimension")
        assert dimension is not None and dimension.get("ref") == ref


def test_columns_beyond_z_and_zz_are_addressed_right() -> None:
    header = [f"c{i}" for i in range(1, 706)]
    frame = pd.DataFrame([list(range(1, 706))], columns=header)
    sheet = _book(xlsx_bytes({"wide": frame}))["wide"]
    # 26 single letters, then 26 * 26 pairs (27-702), then AAA (703), AAB, AAC (705)
    for index, letters in ((1, "A"), (26, "Z"), (27, "AA"), (702, "ZZ"), (703, "AAA")):
        assert get_column_letter(index) == letters
        assert sheet[f"{letters}1"].value == f"c{index}"
        assert sheet[f"{letters}2"].value == index
    assert sheet.dimensions == "A1:AAC2"


def test_excel_sheet_limits_are_kept() -> None:
    widest = pd.DataFrame([[1] * 16_384])  # Excel's columns A to XFD
    sheet = _book(xlsx_bytes({"wide": widest}))["wide"]
    assert sheet.dimensions == "A1:XFD2" and sheet["XFD2"].value == 1
    with pytest.raises(ValueError, match="'too wide' has more than 16384 columns"):
        xlsx_bytes({"too wide": pd.DataFrame([[1] * 16_385])})
    # 1,048,576 data rows and the header: one row more than a sheet has
    tall = pd.DataFrame({"x": np.zeros(1_048_576)})
    with pytest.raises(ValueError, match="'tall' has more than 1048576 rows"):
        xlsx_bytes({"tall": tall})


def test_text_is_cut_to_excels_cell_limit() -> None:
    texts = ["a" * 40_000, "b" * 32_766 + "😀", "c" * 32_767]  # 😀 is 2 UTF-16 units
    sheet = _book(xlsx_bytes({"t": pd.DataFrame({"text": texts})}))["t"]
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == ["a" * 32_767, "b" * 32_766, "c" * 32_767]


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
    assert _sheet_titles(["s", "s", "s", "S~2"]) == ["s", "s~2", "s~3", "S~2~2"]
    assert _sheet_titles(["a:b\\c[d]*e?", "\x01\ud800", "'x'"]) == ["a_b_c_d__e_", "__", "_x_"]


def test_titles_are_cut_to_31_utf16_units() -> None:
    emoji = "😀" * 20  # 40 UTF-16 code units; Excel counts those
    (title,) = _sheet_titles([emoji])
    assert title == "😀" * 15 and len(title.encode("utf-16-le")) // 2 <= 31
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
    assert about["A3"].data_type == "s"
    # Excel shows a width of n characters and stores n plus 5 pixels of padding, in 7-pixel
    # digits and 1/256 steps: int((7n + 5) / 7 * 256) / 256, so 22.7109375 for n = 22.
    assert about.column_dimensions["A"].width == 22.7109375
    assert about.column_dimensions["B"].width == 100.7109375
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
        assert dict(sheet.column_dimensions) == {}  # data sheets keep the default widths
    assert all(cell.font.b for cell in book["About"][1])


def test_a_header_written_as_runs_stays_bold() -> None:
    data = xlsx_bytes({"t": pd.DataFrame({"_x0041_x0042_": ["_x0041_x0042_"]})})
    sheet = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)["t"]
    header, cell = sheet["A1"].value, sheet["A2"].value
    assert str(header) == "_x0041_x0042_" and str(cell) == "_x0041_x0042_"
    assert len(header) == len(cell) == 3  # written as runs
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    # no run carries a font of its own: each takes its cell's, bold in the header
    assert all(isinstance(run, str) for run in (*header, *cell))


def test_empty_frames_give_a_header_or_an_empty_sheet() -> None:
    frames = {"header only": pd.DataFrame({"a": [], "b": []}), "nothing": pd.DataFrame()}
    book = _book(xlsx_bytes(frames))
    assert [list(r) for r in book["header only"].iter_rows(values_only=True)] == [["a", "b"]]
    assert book["nothing"]["A1"].value is None


def test_writing_does_not_import_openpyxl() -> None:
    code = (
        "import sys, pandas as pd\n"
        "from selection.outputs.xlsx import xlsx_bytes\n"
        "xlsx_bytes({'t': pd.DataFrame({'a': [1]})}, readme=[('t', 'x')])\n"
        "print('openpyxl' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
