"""Workbooks: a small, deterministic SpreadsheetML (XLSX) writer for tables.

:func:`xlsx_bytes` writes one sheet per frame (text, numbers, booleans and empty cells; a
bold, frozen header row) after an "About" sheet that explains them. It writes the package
itself (the parts Excel needs: content types, relationships, workbook, styles, shared
strings, sheets and document properties) rather than going through a general workbook
library: the output is a plain grid, and building its XML a column at a time from
per-column look-ups costs a fraction of a general writer's per-cell calls (measured on a
30,000-candidate event: 950,000 cells in about 0.5 s instead of about 3.5 s with
XlsxWriter).

Text is stored as Excel stores it:

- in the shared-strings table, each distinct text once, in the order first written;
- with ``&``, ``<`` and ``>`` as XML entities and ``xml:space="preserve"`` where the text
  starts or ends with white space;
- with Excel's ``_xHHHH_`` escapes for the characters XML 1.0 cannot hold (and CR, which an
  XML reader would turn into LF) and ``_x005F_`` for the underscore of a literal
  ``_xHHHH_``, so Excel and LibreOffice, which decode each ``<t>`` element left to right,
  show the text as it was given;
- as rich-text runs, cut before each ``_`` and control character, where a literal
  ``_xHHHH`` runs straight into an escape (``_x0041_x0042_``, or ``_x0041`` and a control
  character): decoded left to right, the escaped text would read back otherwise. No run
  holds a whole ``_xHHHH_``, so Excel joins the runs to the text, and openpyxl (which
  decodes no escape) reads it back exactly too, but for the codes of control characters.

Numbers are written as the shortest text that reads back as the same double (whole
numbers up to 2**53 without a decimal point; Excel shows 15 significant digits); infinities, which a
spreadsheet has no number for, as the text ``inf`` and ``-inf``, as the CSV files write
them. The bytes depend only on the data: fixed document dates and zip times, parts in a
fixed order.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from numbers import Integral, Real
from typing import IO

import pandas as pd

from scoring.frames import plain_value
from selection.outputs.files import _round

__all__ = ["xlsx_bytes"]

_MAX_ROWS = 1_048_576
"""Rows in an Excel worksheet, header included."""
_MAX_COLUMNS = 16_384
"""Columns in an Excel worksheet (``A`` to ``XFD``)."""
_MAX_TITLE_LENGTH = 31
"""Longest sheet title Excel accepts, in UTF-16 code units."""
_MAX_TEXT_LENGTH = 32_767
"""Longest text an Excel cell holds, in UTF-16 code units."""
_EXACT_INTEGERS = 2.0**53
"""Whole numbers up to this are written without a decimal point or exponent."""
_DOCUMENT_DATE = "2000-01-01T00:00:00Z"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_LEVEL = 3
"""zlib level of the parts: measured on the 30,000-candidate benchmark workbook, level 6
(zlib's default) takes 0.60 s for 3.2 MB and level 3 0.42 s for 3.7 MB."""

_ESCAPED = "\x00-\x08\x0b-\x1f\ufffe\uffff"
"""Characters written as ``_xHHHH_``: those XML 1.0 cannot hold, and CR (not tab or LF)."""
_CONTROL = re.compile(f"[{_ESCAPED}]")
_LITERAL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_MISREAD = re.compile(f"_x[0-9A-Fa-f]{{4}}(?=_x[0-9A-Fa-f]{{4}}_|[{_ESCAPED}])")
_RUN_START = re.compile(f"[_{_ESCAPED}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CAREFUL = re.compile(f"[_&<>{_ESCAPED}\ud800-\udfff]")
"""Text without any of these is stored as given (nearly all text)."""
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
)
# Excel refuses these in sheet titles; control characters cannot be in an attribute.
_TITLE_FORBIDDEN = re.compile(
    "[\\\\/?*:\\[\\]\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)
_RESERVED_TITLES = frozenset({"history"})

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_HEADER_STYLE = 1
"""Index of the bold cell format in ``xl/styles.xml`` (0 is the default)."""
_WIDTH_PADDING = 5 / 7
"""Excel stores a width of n characters as n plus 5 pixels of padding, in 7-pixel digits
(and 1/256 steps): a width shown as 22 is stored as 22.7109375."""


def xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], *, readme: Sequence[tuple[str, str]] = ()
) -> bytes:
    """Return a workbook with one sheet per frame, plus a first sheet explaining them.

    The first sheet, "About", has the columns ``sheet`` and ``what it holds`` (widths 22
    and 100); then one sheet per frame, its header row bold and frozen. Values go through
    :func:`plain_value` (missing values are empty cells); floats are rounded to 6 decimals
    and infinities written as the text ``inf``/``-inf``; numbers are stored exactly (the
    shortest text of the double; Excel shows 15 digits); text is always stored as text,
    never as a formula, and Excel shows it as it was given, but for lone surrogates
    (U+FFFD) and text beyond Excel's limit of 32,767 characters (cut there). The bytes
    depend only on the data (fixed document dates, fixed zip timestamps).

    Parameters
    ----------
    sheets
        Sheet name to frame. Names are cut to 31 characters; characters Excel refuses in a
        sheet name become ``_`` and names that clash (ignoring case, "About" included) get
        ``~2``, ``~3``, ... (see :func:`_sheet_titles`).
    readme
        ``(title, text)`` rows of the first sheet, "About".

    Raises
    ------
    ValueError
        When a frame has more rows (1,048,576 with the header) or columns (16,384) than an
        Excel sheet.

    Examples
    --------
    >>> import io, openpyxl
    >>> data = xlsx_bytes({"people": pd.DataFrame({"name": ["=cmd|' /C calc'!A0"]})},
    ...                   readme=[("people", "one row per person")])
    >>> book = openpyxl.load_workbook(io.BytesIO(data))
    >>> book.sheetnames, book["people"]["A2"].data_type, book["people"]["A2"].value
    (['About', 'people'], 's', "=cmd|' /C calc'!A0")
    >>> book["people"]["A1"].font.b, book["people"].freeze_panes, book["About"].freeze_panes
    (True, 'A2', None)
    """
    for name, frame in sheets.items():
        if len(frame) + 1 > _MAX_ROWS:
            raise ValueError(
                f"sheet {name!r} has more than {_MAX_ROWS} rows, more than Excel can show"
            )
        if frame.shape[1] > _MAX_COLUMNS:
            raise ValueError(
                f"sheet {name!r} has more than {_MAX_COLUMNS} columns, more than Excel can show"
            )
    titles = _sheet_titles(["About", *(name[:31] for name in sheets)])
    strings = _SharedStrings()
    about_rows = [[title, text] for title, text in readme]
    about = pd.DataFrame(about_rows, columns=["sheet", "what it holds"], dtype=object)
    fixed = {
        "[Content_Types].xml": _content_types(len(titles)),
        "_rels/.rels": _ROOT_RELATIONSHIPS,
        "docProps/app.xml": _APP,
        "docProps/core.xml": _CORE,
        "xl/workbook.xml": _workbook(titles),
        "xl/_rels/workbook.xml.rels": _workbook_relationships(len(titles)),
        "xl/styles.xml": _STYLES,
    }
    with _Package() as package:
        for name, data in fixed.items():
            package.add(name, data)
        package.add("xl/worksheets/sheet1.xml", _worksheet(about, strings, widths=(22, 100)))
        for number, frame in enumerate(sheets.values(), start=2):
            package.add(f"xl/worksheets/sheet{number}.xml", _worksheet(frame, strings, frozen=True))
        package.add("xl/sharedStrings.xml", strings.xml())  # complete once every sheet is
    return package.data


# ---- sheet titles ----------------------------------------------------------------------


def _utf16_prefix(text: str, n_units: int) -> str:
    """Return the longest start of ``text`` that fits in ``n_units`` UTF-16 code units.

    Examples
    --------
    >>> _utf16_prefix("ab😀c", 3), _utf16_prefix("ab😀c", 4)
    ('ab', 'ab😀')
    """
    units = 0
    for index, char in enumerate(text):
        units += 2 if char > "\uffff" else 1
        if units > n_units:
            return text[:index]
    return text


def _sheet_titles(names: Sequence[str]) -> list[str]:
    """Return valid, unique sheet titles for ``names``, in order.

    Characters Excel refuses in a title (``\\ / ? * : [ ]`` and control characters) become
    ``_``, as does an apostrophe at either end; an empty name becomes ``Sheet``; titles are
    cut to 31 UTF-16 code units. Titles are compared as Excel does, ignoring case
    (``casefold``, stricter than ``lower``: it never lets a clash through), and ``History``
    is reserved. A title already taken gets ``~2``, ``~3``, ... appended (its name
    shortened to make room), so the result depends only on ``names``.

    Examples
    --------
    >>> _sheet_titles(["About", "about", "x/y", "'quoted'", ""])
    ['About', 'about~2', 'x_y', '_quoted_', 'Sheet']
    >>> [len(title) for title in _sheet_titles(["a" * 40, "a" * 31 + "b"])]
    [31, 31]
    >>> _sheet_titles(["a" * 40, "a" * 31 + "b"])[1][-4:]
    'aa~2'
    """
    titles: list[str] = []
    taken = set(_RESERVED_TITLES)
    for name in names:
        base = _utf16_prefix(_TITLE_FORBIDDEN.sub("_", name) or "Sheet", _MAX_TITLE_LENGTH)
        if base.startswith("'"):
            base = "_" + base[1:]
        if base.endswith("'"):
            base = base[:-1] + "_"
        title, number = base, 1
        while title.casefold() in taken:
            number += 1
            suffix = f"~{number}"
            title = _utf16_prefix(base, _MAX_TITLE_LENGTH - len(suffix)) + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


# ---- text ------------------------------------------------------------------------------


def _code(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def _escaped(text: str) -> str:
    """Return the content of a ``<t>`` element that Excel reads as ``text``.

    Examples
    --------
    >>> _escaped("a\\x01b"), _escaped("_x0041_"), _escaped("<b> & \\r")
    ('a_x0001_b', '_x005F_x0041_', '&lt;b&gt; &amp; _x000D_')
    """
    text = _LITERAL_ESCAPE.sub("_x005F_", text)
    return _CONTROL.sub(_code, text).translate(_XML_TEXT)


def _t(text: str) -> str:
    """Return ``<t>`` holding ``text`` (already escaped), white space kept where it matters."""
    if text[0].isspace() or text[-1].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _string_item(text: str) -> str:
    """Return the shared-strings ``<si>`` item Excel shows as ``text`` (see the module
    docstring); ``text`` is not empty and has no lone surrogate.

    Examples
    --------
    >>> _string_item("Zoë & co")
    '<si><t>Zoë &amp; co</t></si>'
    >>> _string_item("_x0041_x0042_")
    '<si><r><t>_x0041</t></r><r><t>_x0042</t></r><r><t>_</t></r></si>'
    """
    if _MISREAD.search(text) is None:
        return f"<si>{_t(_escaped(text))}</si>"
    cuts = [0, *(match.start() for match in _RUN_START.finditer(text, 1)), len(text)]
    runs = (_t(_escaped(text[start:end])) for start, end in itertools.pairwise(cuts))
    return "<si>" + "".join(f"<r>{run}</r>" for run in runs) + "</si>"


def _cell_text(text: str) -> str:
    """Return ``text`` as a cell holds it: lone surrogates (no UTF-8 for them) as U+FFFD,
    cut to Excel's 32,767 UTF-16 code units."""
    if len(text) > _MAX_TEXT_LENGTH // 2:
        text = _utf16_prefix(text, _MAX_TEXT_LENGTH)
    return _SURROGATE.sub("\ufffd", text)


class _SharedStrings:
    """The shared-strings table: each distinct text once, numbered in the order first seen."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        """Each text's number."""

    def number(self, text: str) -> int:
        """Return the number of ``text`` (not empty), adding it if it is new."""
        number = self.numbers.get(text)
        if number is None:
            number = self.numbers[text] = len(self.numbers)
        return number

    def xml(self) -> bytes:
        """Return ``xl/sharedStrings.xml``."""
        items = "".join(
            _string_item(text) if _CAREFUL.search(text) else f"<si>{_t(text)}</si>"
            for text in self.numbers
        )
        return (
            f'{_DECLARATION}<sst xmlns="{_MAIN}" uniqueCount="{len(self.numbers)}">{items}</sst>'
        ).encode()


# ---- cells -----------------------------------------------------------------------------


def _column_letters(index: int) -> str:
    """Return the letters of the 0-based column ``index``.

    Examples
    --------
    >>> [_column_letters(i) for i in (0, 25, 26, 701, 702, 16_383)]
    ['A', 'Z', 'AA', 'ZZ', 'AAA', 'XFD']
    """
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


_Tail = Callable[[object, "_SharedStrings"], str]
"""The end of a cell's XML after its reference (``"" t="s"><v>3</v></c>``), or ``""`` for
an empty cell, which is left out."""


def _text_tail(text: str, strings: _SharedStrings, style: str = "") -> str:
    text = _cell_text(text)
    if not text:
        return f'"{style}/>' if style else ""
    return f'"{style} t="s"><v>{strings.number(text)}</v></c>'


def _float_tail(value: float, strings: _SharedStrings) -> str:
    if math.isfinite(value):
        if value.is_integer() and abs(value) <= _EXACT_INTEGERS:
            return f'"><v>{int(value)}</v></c>'  # -0.0 too is 0
        return f'"><v>{value!r}</v></c>'  # the shortest text that reads back as value
    if math.isnan(value):
        return ""  # a spreadsheet has no NaN: an empty cell
    return _text_tail("inf" if value > 0 else "-inf", strings)


def _int_tail(value: int, strings: _SharedStrings) -> str:
    try:
        number = float(value)
    except OverflowError:  # beyond a double: infinite, as far as a spreadsheet can tell
        number = math.inf if value > 0 else -math.inf
    return _float_tail(number, strings)


def _bool_tail(value: bool, strings: _SharedStrings) -> str:
    return f'" t="b"><v>{int(value)}</v></c>'


def _other_tail(value: object, strings: _SharedStrings) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _text_tail(str(value), strings)
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return _bool_tail(bool(value), strings)  # numpy's booleans too
    if isinstance(value, Integral):
        return _int_tail(int(value), strings)
    if isinstance(value, Real):
        return _float_tail(float(value), strings)
    return _text_tail(str(value), strings)  # dates, say


_PLAIN_TYPES = frozenset({str, float, int, bool, type(None)})
_TAILS: dict[type, Callable[[object, _SharedStrings], str]] = {
    str: _text_tail,  # type: ignore[dict-item]
    float: _float_tail,  # type: ignore[dict-item]
    int: _int_tail,  # type: ignore[dict-item]
    bool: _bool_tail,  # type: ignore[dict-item]
}
"""Exact types (fast); subclasses and other types go through ``_other_tail``."""


def _plain_columns(frame: pd.DataFrame) -> Iterator[list[object]]:
    """Yield the columns of ``frame`` as lists of :func:`plain_value` values, floats
    rounded to 6 decimals as the CSV files round them."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            column = _round(column)
        # NaN, NA and NaT become None (the stubs do not know na_value=None)
        values = column.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
        if not set(map(type, values)) <= _PLAIN_TYPES:  # numpy scalars in an object column
            values = [plain_value(value) for value in values]
        yield values


def _column_tails(values: list[object], strings: _SharedStrings) -> tuple[dict, list[object]]:
    """Return ``(tails, keys)``: the tail of each cell of a column (see :data:`_Tail`) is
    ``tails[key]`` for its key in ``keys``.

    Cells are written by the Python type of the value: ``None`` is an empty cell; ``bool``
    (numpy's too) a boolean; ``int`` and finite ``float`` (and other real numbers) a
    number; an infinity the text ``inf`` or ``-inf``, and NaN an empty cell; ``str`` text;
    anything else its ``str()`` as text. A column of one exact type is encoded once per
    distinct value (the keys are the values), in the order first seen, so the shared
    strings are numbered as read; any other column a cell at a time (the keys are the
    cells' positions).
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1 and (kind := next(iter(kinds))) in _TAILS:
        # One exact type, so no two values are equal keys of different kinds (True, 1).
        distinct = [value for value in dict.fromkeys(values) if value is not None]
        if kind is str and _plain_texts(distinct):  # type: ignore[arg-type]
            tails = _text_tails(distinct, strings)  # type: ignore[arg-type]
        else:
            tail = _TAILS[kind]
            tails = {value: tail(value, strings) for value in distinct}
        tails[None] = ""
        return tails, values
    cells = [_TAILS.get(type(value), _other_tail)(value, strings) for value in values]
    return dict(enumerate(cells)), list(range(len(values)))


def _plain_texts(texts: list[str]) -> bool:
    """Whether every text is stored as given: none too long, no lone surrogate."""
    longest = max(map(len, texts), default=0)
    return longest <= _MAX_TEXT_LENGTH // 2 and _SURROGATE.search("".join(texts)) is None


def _text_tails(texts: list[str], strings: _SharedStrings) -> dict[object, str]:
    """:func:`_text_tail` of each of ``texts`` (distinct, plain: see :func:`_plain_texts`)."""
    numbers = strings.numbers
    tails: dict[object, str] = {}
    for text in texts:
        if text:
            number = numbers.get(text)
            if number is None:
                number = numbers[text] = len(numbers)
            tails[text] = f'" t="s"><v>{number}</v></c>'
        else:
            tails[text] = ""
    return tails


_ROWS_PER_PIECE = 4096
"""Rows of a sheet built and handed to the compressor together."""


def _worksheet(
    frame: pd.DataFrame,
    strings: _SharedStrings,
    *,
    frozen: bool = False,
    widths: Sequence[float] = (),
) -> Iterator[bytes]:
    """Return the XML of a sheet holding ``frame`` under a bold header row, in pieces.

    Each column's values are encoded now, once per distinct value (which numbers the
    shared strings, column by column); the rows are built as the pieces are taken,
    :data:`_ROWS_PER_PIECE` at a time, each cell the reference's letters, the row number
    and the tail for its value, so the compressor can start on a piece while the next is
    built. A ``frozen`` sheet keeps its header in view; one that is not is the sheet the
    workbook opens on. ``widths`` are the widths of the first columns, in characters.
    """
    n_rows, n_columns = len(frame) + 1, frame.shape[1]
    letters = [_column_letters(index) for index in range(n_columns)]
    header_style = f' s="{_HEADER_STYLE}"'
    heads = [_text_tail(str(name), strings, header_style) for name in frame.columns]
    encoded = [_column_tails(values, strings) for values in _plain_columns(frame)]
    starts = [f'<c r="{letters_}' for letters_ in letters]
    dimension = f"A1:{letters[-1]}{n_rows}" if n_columns else "A1"
    if not frozen:
        view = '<sheetView tabSelected="1" workbookViewId="0"/>'
    else:
        view = (
            '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        )
    cols = "".join(
        f'<col min="{index}" max="{index}" width="{_stored_width(width)}" customWidth="1"/>'
        for index, width in enumerate(widths, start=1)
    )
    header = "".join(start + "1" + head for start, head in zip(starts, heads, strict=True))
    return _sheet_pieces(
        n_rows,
        starts,
        encoded,
        head="".join(
            [
                _DECLARATION,
                f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">',
                f'<dimension ref="{dimension}"/><sheetViews>{view}</sheetViews>',
                '<sheetFormatPr defaultRowHeight="15"/>',
                f"<cols>{cols}</cols>" if cols else "",
                f'<sheetData><row r="1">{header}</row>',
            ]
        ),
    )


def _sheet_pieces(
    n_rows: int, starts: list[str], encoded: list[tuple[dict, list[object]]], head: str
) -> Iterator[bytes]:
    """The pieces of a sheet's XML (see :func:`_worksheet`), ``head`` first."""
    yield head.encode()
    for first in range(0, n_rows - 1, _ROWS_PER_PIECE):
        last = min(first + _ROWS_PER_PIECE, n_rows - 1)
        numbers = [str(row) for row in range(first + 2, last + 2)]
        columns = [
            [
                start + number + tail if (tail := tails[key]) else ""
                for number, key in zip(numbers, keys[first:last], strict=True)
            ]
            for start, (tails, keys) in zip(starts, encoded, strict=True)
        ]
        yield "".join(
            f'<row r="{number}">{"".join(cells)}</row>'
            for number, cells in zip(numbers, zip(*columns, strict=True), strict=False)
        ).encode()
    yield (
        b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        b'header="0.3" footer="0.3"/></worksheet>'
    )


def _stored_width(width: float) -> str:
    """Return the width Excel stores for a column shown ``width`` characters wide.

    Examples
    --------
    >>> _stored_width(22), _stored_width(100)
    ('22.7109375', '100.7109375')
    """
    return repr(int((width + _WIDTH_PADDING) * 256) / 256)


# ---- the package -----------------------------------------------------------------------

_ROOT_RELATIONSHIPS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
).encode()
_APP = (
    f'{_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
    '2006/extended-properties"><Application>pitch-jury</Application><DocSecurity>0'
    "</DocSecurity><ScaleCrop>false</ScaleCrop></Properties>"
).encode()
_CORE = (
    f'{_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
    '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>pitch-jury</dc:creator>'
    f'<dcterms:created xsi:type="dcterms:W3CDTF">{_DOCUMENT_DATE}</dcterms:created>'
    f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_DOCUMENT_DATE}</dcterms:modified>'
    "</cp:coreProperties>"
).encode()
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
).encode()


def _content_types(n_sheets: int) -> bytes:
    overrides = [
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        ),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        (
            "/xl/workbook.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ),
        (
            "/xl/styles.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
        ),
        (
            "/xl/sharedStrings.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
        ),
    ]
    overrides += [
        (
            f"/xl/worksheets/sheet{number}.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        )
        for number in range(1, n_sheets + 1)
    ]
    return (
        f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
        + "</Types>"
    ).encode()


def _workbook(titles: Sequence[str]) -> bytes:
    sheets = "".join(
        f'<sheet name="{title.translate(_XML_ATTRIBUTE)}" sheetId="{number}" r:id="rId{number}"/>'
        for number, title in enumerate(titles, start=1)
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
        "</workbook>"
    ).encode()


def _workbook_relationships(n_sheets: int) -> bytes:
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    targets = [("worksheet", f"worksheets/sheet{n}.xml") for n in range(1, n_sheets + 1)]
    targets += [("styles", "styles.xml"), ("sharedStrings", "sharedStrings.xml")]
    relationships = "".join(
        f'<Relationship Id="rId{number}" Type="{kind}{name}" Target="{target}"/>'
        for number, (name, target) in enumerate(targets, start=1)
    )
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">{relationships}'
        "</Relationships>"
    ).encode()


class _Package:
    """A zip archive written part by part, with fixed times, in the order parts are added.

    A part's pieces are compressed on one worker thread while the caller builds the next
    (zlib lets other threads run while it works, so on two cores this hides most of the
    compression of a 30,000-candidate workbook). The thread lives only inside the
    ``with`` block; an error writing a part is raised when the block ends. Use as::

        with _Package() as package:
            package.add("a.xml", [b"<a>", b"</a>"])
        data = package.data
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._archive = zipfile.ZipFile(self._buffer, "w")
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pitch-jury-xlsx")
        self._pending: list[Future[None]] = []
        self.data = b""

    def add(self, name: str, pieces: bytes | Iterable[bytes]) -> None:
        """Add the part ``name``, made of ``pieces`` (built one by one as they are taken)."""
        part = _Part(self._archive, name)
        self._pending.append(self._worker.submit(part.open))
        for piece in [pieces] if isinstance(pieces, bytes) else pieces:
            self._pending.append(self._worker.submit(part.write, piece))
        self._pending.append(self._worker.submit(part.close))

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._worker.shutdown(wait=True)
        self._archive.close()
        if exc_info[0] is None:
            for done in self._pending:
                done.result()
            self.data = self._buffer.getvalue()


class _Part:
    """One part of a :class:`_Package`, written on its worker: open, write, ..., close."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self._archive, self._name = archive, name
        self._stream: IO[bytes] | None = None

    def open(self) -> None:
        info = zipfile.ZipInfo(self._name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        # the level writestr() would set (a property of that name from Python 3.13 on)
        info._compresslevel = _LEVEL  # type: ignore[attr-defined]
        self._stream = self._archive.open(info, "w")

    def write(self, piece: bytes) -> None:
        assert self._stream is not None
        self._stream.write(piece)

    def close(self) -> None:
        assert self._stream is not None
        self._stream.close()
