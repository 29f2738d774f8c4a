"""A minimal, fast, deterministic XLSX writer: SpreadsheetML written straight into a zip.

It writes exactly what the results workbook needs and nothing more: worksheets of text,
numbers, booleans and empty cells, a bold header row (frozen if asked), column widths,
and no shared-strings table (text is written inline). It does not import openpyxl, which
is only needed to read workbooks.

Cells, by the Python type of the value:

- ``None``: an empty cell (no element at all);
- ``bool`` (numpy's too): a boolean cell;
- ``int`` and finite ``float`` (and other real numbers, written as ``float``): a number;
- ``float`` infinities: the text ``inf`` or ``-inf``, as the CSV files write them (a
  spreadsheet has no infinite number); NaN: an empty cell;
- ``str``: always an inline text cell, never a formula, whatever it starts with (the
  empty string is an empty cell, as openpyxl writes it);
- anything else (dates, say): its ``str()`` as text. Missing values must be ``None``
  (:func:`selection.outputs.files.plain_value` makes them so).

Text that XML 1.0 cannot hold (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE,
U+FFFF and lone surrogates) is written the way Excel writes it, as ``_xHHHH_``; a literal
``_xHHHH_`` in the text gets its underscore written as ``_x005F_`` so Excel reads the
text back unchanged (see :func:`ooxml_escape`). Carriage returns are written as ``&#13;``
so XML parsers do not turn them into line feeds.

The bytes depend only on the data: fixed zip timestamps, fixed document dates
(2000-01-01), fixed part order.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_TITLE_LENGTH",
    "Sheet",
    "column_letter",
    "ooxml_escape",
    "sheet_titles",
    "workbook_bytes",
]

MAX_ROWS = 1_048_576
"""Rows in an Excel worksheet, header included."""
MAX_COLUMNS = 16_384
"""Columns in an Excel worksheet (``A`` to ``XFD``)."""
MAX_TITLE_LENGTH = 31
"""Longest sheet title Excel accepts, in UTF-16 code units."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_DOCUMENT_DATE = "2000-01-01T00:00:00Z"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT = "application/vnd.openxmlformats-officedocument"

# One pass finds everything a text cell needs changed: XML's own specials, CR (which XML
# parsers normalise to LF), characters XML 1.0 forbids, and an underscore that starts a
# literal ``_xHHHH_`` (only the underscore is replaced).
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_LITERAL_ESCAPE = "_(?=x[0-9A-Fa-f]{4}_)"
_TEXT_SPECIAL = re.compile(f'[&<>"\r{_FORBIDDEN}]|{_LITERAL_ESCAPE}')
_OOXML_SPECIAL = re.compile(f"[{_FORBIDDEN}]|{_LITERAL_ESCAPE}")
_XML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"}
# Excel refuses these in sheet titles; control characters cannot be in an attribute.
_TITLE_FORBIDDEN = re.compile(f"[\\\\/?*:\\[\\]\t\n\r{_FORBIDDEN}]")
_RESERVED_TITLES = frozenset({"history"})


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet: a title, a bold header row and data rows.

    Parameters
    ----------
    title
        Sheet title; :func:`workbook_bytes` makes it valid and unique with
        :func:`sheet_titles`.
    header
        Column names, written as bold text in row 1.
    rows
        Data rows from row 2 on, each a sequence of cell values (see the module docstring
        for how each type is written). Consumed once.
    widths
        Column widths in characters, from column A on; columns not given keep the default.
    freeze_header
        Keep the header row in view when scrolling (freeze panes at A2).

    Examples
    --------
    >>> Sheet("people", ["name"], [["Ana"]]).freeze_header
    True
    """

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()
    freeze_header: bool = True


def column_letter(index: int) -> str:
    """Return the letters of the 1-based column ``index``: 1 is ``A``, 27 is ``AA``.

    Columns are numbered in bijective base 26: ``A``-``Z``, then ``AA``-``ZZ`` (27-702),
    then ``AAA`` (703) on; Excel's last column, 16384, is ``XFD``.

    Raises
    ------
    ValueError
        When ``index`` is less than 1.

    Examples
    --------
    >>> [column_letter(i) for i in (1, 26, 27, 52, 702, 703, 16384)]
    ['A', 'Z', 'AA', 'AZ', 'ZZ', 'AAA', 'XFD']
    """
    if index < 1:
        raise ValueError(f"column index must be at least 1, got {index}")
    letters = []
    while index:
        index, remainder = divmod(index - 1, 26)
        letters.append(chr(65 + remainder))
    return "".join(reversed(letters))


def _hex_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def ooxml_escape(text: str) -> str:
    """Return ``text`` with the characters XML 1.0 cannot hold written as Excel does.

    A forbidden character becomes ``_xHHHH_`` (its code in 4 upper-case hex digits) and
    the underscore of a literal ``_xHHHH_`` becomes ``_x005F_``, so a reader that decodes
    ``_xHHHH_`` (Excel, LibreOffice) gets ``text`` back exactly. This is the text of a cell
    before XML escaping; readers that do not decode it (openpyxl) return this string.

    Examples
    --------
    >>> ooxml_escape("a\\x01b"), ooxml_escape("_x0041_"), ooxml_escape("Zoë\\tx")
    ('a_x0001_b', '_x005F_x0041_', 'Zoë\\tx')
    """
    return _OOXML_SPECIAL.sub(_hex_escape, text)


def _text_replacement(match: re.Match[str]) -> str:
    char = match.group()
    return _XML_ENTITIES.get(char) or f"_x{ord(char):04X}_"


def _xml_text(text: str) -> str:
    """Return cell text ready to stand between XML tags (see the module docstring)."""
    if _TEXT_SPECIAL.search(text) is None:
        return text
    return _TEXT_SPECIAL.sub(_text_replacement, text)


def _xml_attribute(text: str) -> str:
    """Return ``text`` (free of control characters) escaped for a quoted attribute."""
    for char, entity in _XML_ENTITIES.items():
        text = text.replace(char, entity)
    return text


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fit_title(text: str, room: int) -> str:
    while _utf16_length(text) > room:
        text = text[:-1]
    return text


def sheet_titles(names: Sequence[str]) -> list[str]:
    """Return valid, unique sheet titles for ``names``, in order.

    Characters Excel refuses in a title (``\\ / ? * : [ ]`` and control characters) become
    ``_``, as does an apostrophe at either end; an empty name becomes ``Sheet``; titles are
    cut to 31 UTF-16 code units. Titles are compared as Excel does, ignoring case, and
    ``History`` is reserved. A title already taken gets ``~2``, ``~3``, ... appended (its
    name shortened to make room), so the result depends only on ``names``.

    Examples
    --------
    >>> sheet_titles(["About", "about", "x/y", "'quoted'", ""])
    ['About', 'about~2', 'x_y', '_quoted_', 'Sheet']
    >>> [len(title) for title in sheet_titles(["a" * 40, "a" * 31 + "b"])]
    [31, 31]
    >>> sheet_titles(["a" * 40, "a" * 31 + "b"])[1][-4:]
    'aa~2'
    """
    titles: list[str] = []
    taken = set(_RESERVED_TITLES)
    for name in names:
        base = _fit_title(_TITLE_FORBIDDEN.sub("_", name) or "Sheet", MAX_TITLE_LENGTH)
        if base.startswith("'"):
            base = "_" + base[1:]
        if base.endswith("'"):
            base = base[:-1] + "_"
        title, number = base, 1
        while title.casefold() in taken:
            number += 1
            suffix = f"~{number}"
            title = _fit_title(base, MAX_TITLE_LENGTH - len(suffix)) + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


def _sheet_xml(sheet: Sheet, *, selected: bool) -> str:
    """Return the worksheet XML of ``sheet``."""
    letters: list[str] = []

    def letter(index: int) -> str:
        while len(letters) <= index:
            if len(letters) >= MAX_COLUMNS:
                raise ValueError(
                    f"sheet {sheet.title!r} has more than {MAX_COLUMNS} columns, "
                    "more than Excel can show"
                )
            letters.append(column_letter(len(letters) + 1))
        return letters[index]

    def text_cell(ref: str, text: str) -> str:
        if not text:
            return ""  # empty text is an empty cell, as in openpyxl
        return (
            f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(text)}</t></is></c>'
        )

    def number_cell(ref: str, value: float) -> str:
        if math.isfinite(value):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        return "" if math.isnan(value) else text_cell(ref, repr(value))  # 'inf' or '-inf'

    def int_cell(ref: str, value: int) -> str:
        return f'<c r="{ref}"><v>{value}</v></c>'

    def bool_cell(ref: str, value: bool) -> str:
        return f'<c r="{ref}" t="b"><v>{1 if value else 0}</v></c>'

    def empty_cell(ref: str, value: None) -> str:
        return ""

    def other_cell(ref: str, value: object) -> str:
        if isinstance(value, str):
            return text_cell(ref, str(value))
        if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
            return bool_cell(ref, bool(value))  # numpy's booleans too
        if isinstance(value, Integral):
            return int_cell(ref, int(value))
        if isinstance(value, Real):
            return number_cell(ref, float(value))
        return text_cell(ref, str(value))

    # Exact types first (fast); subclasses and other types go through ``other_cell``.
    cell_writers: dict[type, Callable[[str, Any], str]] = {
        str: text_cell,
        float: number_cell,
        int: int_cell,
        bool: bool_cell,
        type(None): empty_cell,
    }

    body: list[str] = ['<row r="1">']
    for column, name in enumerate(sheet.header):
        ref = f"{letter(column)}1"
        text = _xml_text(str(name))
        body.append(
            f'<c r="{ref}" s="1" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            if text
            else f'<c r="{ref}" s="1"/>'
        )
    body.append("</row>")
    n_rows, n_columns = 1, len(sheet.header)
    for values in sheet.rows:
        n_rows += 1
        if n_rows > MAX_ROWS:
            raise ValueError(
                f"sheet {sheet.title!r} has more than {MAX_ROWS} rows, more than Excel can show"
            )
        row = str(n_rows)
        body.append(f'<row r="{row}">')
        if len(values) > n_columns:
            n_columns = len(values)
            letter(n_columns - 1)
        for column, value in enumerate(values):
            write = cell_writers.get(type(value), other_cell)
            body.append(write(letters[column] + row, value))
        body.append("</row>")

    if n_columns:
        last = f"{letter(n_columns - 1)}{n_rows}"
        dimension = "A1" if last == "A1" else f"A1:{last}"
    else:
        dimension = "A1"
    selected_attribute = ' tabSelected="1"' if selected else ""
    if sheet.freeze_header:
        view = (
            f'<sheetView{selected_attribute} workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        )
    else:
        view = f'<sheetView{selected_attribute} workbookViewId="0"/>'
    columns = "".join(
        f'<col min="{i}" max="{i}" width="{width:g}" customWidth="1"/>'
        for i, width in enumerate(sheet.widths, start=1)
    )
    return "".join(
        [
            _DECLARATION,
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
            f'<dimension ref="{dimension}"/>',
            f"<sheetViews>{view}</sheetViews>",
            '<sheetFormatPr defaultRowHeight="15"/>',
            f"<cols>{columns}</cols>" if columns else "",
            "<sheetData>",
            *body,
            "</sheetData>",
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/>',
            "</worksheet>",
        ]
    )


def _content_types(n_sheets: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_CONTENT}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n_sheets + 1)
    )
    return (
        f"{_DECLARATION}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT}.spreadsheetml.'
        'sheet.main+xml"/>'
        f"{sheets}"
        f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT}.spreadsheetml.'
        'styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
        'openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CONTENT}.'
        'extended-properties+xml"/>'
        "</Types>"
    )


_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PACKAGE_REL}/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

_CORE = (
    f"{_DECLARATION}"
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>pitch-jury</dc:creator>"
    f'<dcterms:created xsi:type="dcterms:W3CDTF">{_DOCUMENT_DATE}</dcterms:created>'
    f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_DOCUMENT_DATE}</dcterms:modified>'
    "</cp:coreProperties>"
)

_APP = (
    f"{_DECLARATION}"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    'docPropsVTypes"><Application>pitch-jury</Application><DocSecurity>0</DocSecurity>'
    "<ScaleCrop>false</ScaleCrop></Properties>"
)

# Font 0 is the default, font 1 its bold twin; cell format 0 is plain, 1 bold. Excel wants
# the two fills "none" and "gray125" first whatever else is defined.
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/>'
    "</styleSheet>"
)


def _workbook(titles: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_xml_attribute(title)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, title in enumerate(titles, start=1)
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(n_sheets: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n_sheets + 1)
    )
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_REL}">{sheets}'
        f'<Relationship Id="rId{n_sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Return an XLSX workbook holding ``sheets``, in order (the first one is shown).

    Titles are made valid and unique with :func:`sheet_titles`; the header row is bold;
    cells are written by type as the module docstring says (text always as text, never a
    formula). The same sheets give the same bytes.

    Parameters
    ----------
    sheets
        The worksheets; at least one.

    Returns
    -------
    bytes
        The ``.xlsx`` file.

    Raises
    ------
    ValueError
        When there is no sheet, or a sheet has more rows or columns than Excel allows
        (:data:`MAX_ROWS`, :data:`MAX_COLUMNS`).

    Examples
    --------
    >>> import io, openpyxl
    >>> data = workbook_bytes([Sheet("people", ["name", "age"], [["=1+1", 30], [None, 2.5]])])
    >>> data == workbook_bytes([Sheet("people", ["name", "age"], [["=1+1", 30], [None, 2.5]])])
    True
    >>> sheet = openpyxl.load_workbook(io.BytesIO(data))["people"]
    >>> [[cell.value for cell in row] for row in sheet.iter_rows()], sheet["A2"].data_type
    ([['name', 'age'], ['=1+1', 30], [None, 2.5]], 's')
    >>> sheet["A1"].font.b, sheet.freeze_panes
    (True, 'A2')
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    titles = sheet_titles([sheet.title for sheet in sheets])
    parts: list[tuple[str, str]] = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/app.xml", _APP),
        ("docProps/core.xml", _CORE),
        ("xl/workbook.xml", _workbook(titles)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))),
        ("xl/styles.xml", _STYLES),
    ]
    for number, sheet in enumerate(sheets, start=1):
        parts.append((f"xl/worksheets/sheet{number}.xml", _sheet_xml(sheet, selected=number == 1)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # the same bytes on every platform
            info.external_attr = 0o600 << 16
            archive.writestr(info, xml.encode("utf-8"))
    return buffer.getvalue()
