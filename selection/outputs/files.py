"""Safe, deterministic file writing: CSV, XLSX (through XlsxWriter), text and JSON.

Every writer

- writes atomically (a temporary file in the same folder, then ``os.replace``), so a
  reader never sees half a file and a failed run leaves the old file in place;
- creates files with the permissions the user's umask gives (``rw-r--r--`` under the
  usual ``022``), never the private ``rw-------`` of :func:`tempfile.mkstemp`, so
  colleagues on a shared drive can open them; the umask is applied by the system when the
  file is created, never read or changed here;
- produces the same bytes for the same data (fixed float formatting, ``\\n`` line ends,
  fixed timestamps inside workbooks);
- defends spreadsheets against formula injection: a text cell starting with ``=``, ``+``,
  ``-``, ``@``, tab, CR or LF is written as text in XLSX and prefixed with ``'`` in CSV.

Writing problems raise :class:`OutputError` with the path and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import json
import math
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import PitchJuryError
from scoring.frames import plain_value

__all__ = [
    "FORMULA_PREFIXES",
    "OutputError",
    "atomic_write",
    "create_file",
    "csv_bytes",
    "json_bytes",
    "neutralise",
    "write_failure",
    "xlsx_bytes",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
"""Text starting with one of these could run as a formula in a spreadsheet."""

_DECIMALS = 6


class OutputError(PitchJuryError):
    """An output file or folder cannot be written."""


def neutralise(value: object) -> object:
    """Return ``value`` made safe for a CSV cell: risky text gets a leading apostrophe.

    Numbers are returned unchanged (``-1.5`` stays a number).

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("-x"), neutralise(-1.5), neutralise("Ana")
    ("'=HYPERLINK(1)", "'-x", -1.5, 'Ana')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _round(column: pd.Series) -> pd.Series:
    """Return the float ``column`` rounded to 6 decimals.

    Numbers of 2**52 and more are whole already and are left as they are: rounding them
    would only add error, and beyond about 1.8e302 overflow to infinity.

    Examples
    --------
    >>> _round(pd.Series([1 / 3, 1.7e308, None])).tolist()
    [0.333333, 1.7e+308, nan]
    """
    values = column.to_numpy(dtype=float, na_value=np.nan)
    if not (np.abs(values) >= 2.0**52).any():  # nearly always (NaN is not large)
        return column.round(_DECIMALS)
    small = column.abs() < 2.0**52
    out = column.copy()
    out[small] = column[small].round(_DECIMALS)
    return out


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            out[column] = _round(out[column])
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as UTF-8 CSV bytes (with BOM, so Excel reads the names right).

    Floats are rounded to 6 decimals; risky text cells are neutralised; missing values are
    empty cells; line ends are ``\\n``.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"name": ["=1+1", "Zoë"], "merit": [1 / 3, None]}))
    b"\\xef\\xbb\\xbfname,merit\\n'=1+1,0.333333\\nZo\\xc3\\xab,\\n"
    """
    safe = _rounded(frame)
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column].dtype):
            safe[column] = safe[column].map(neutralise, na_action="ignore")
    text = safe.to_csv(index=False, lineterminator="\n", float_format=f"%.{_DECIMALS}g")
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def json_bytes(data: Any) -> bytes:
    """Return ``data`` as indented, key-sorted UTF-8 JSON (non-ASCII kept readable).

    Examples
    --------
    >>> json_bytes({"b": 1, "a": "Ж"})
    b'{\\n  "a": "\\xd0\\x96",\\n  "b": 1\\n}\\n'
    """
    return (
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n"
    ).encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ---- XLSX ------------------------------------------------------------------------------

_MAX_ROWS = 1_048_576
"""Rows in an Excel worksheet, header included."""
_MAX_COLUMNS = 16_384
"""Columns in an Excel worksheet (``A`` to ``XFD``)."""
_MAX_TITLE_LENGTH = 31
"""Longest sheet title Excel accepts, in UTF-16 code units."""
_MAX_TEXT_LENGTH = 32_767
"""Longest text an Excel cell holds, in UTF-16 code units."""
_DOCUMENT_DATE = datetime(2000, 1, 1, tzinfo=UTC)

# XlsxWriter writes these characters as Excel's ``_xHHHH_`` escapes (XML 1.0 cannot hold
# most of them; CR would be read back as LF) and the underscore of a literal ``_xHHHH_``
# as ``_x005F_``, so Excel reads the text back unchanged. It misses the underscore of an
# ``_xHHHH`` directly before another escape (``_x0041_x0042_``, or ``_x0041`` and a
# control character), and it writes text shaped like ``<r>...</r>`` as raw rich-text XML.
_ESCAPED = "\x00-\x08\x0b-\x1f\ufffe\uffff"
_MISREAD = re.compile(f"_x[0-9A-Fa-f]{{4}}(?=_x[0-9A-Fa-f]{{4}}_|[{_ESCAPED}])")
_RUN_START = re.compile(f"[_{_ESCAPED}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CAREFUL = re.compile(f"{_SURROGATE.pattern}|{_MISREAD.pattern}")
# Excel refuses these in sheet titles; control characters cannot be in an attribute.
_TITLE_FORBIDDEN = re.compile(
    "[\\\\/?*:\\[\\]\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)
_RESERVED_TITLES = frozenset({"history"})


def xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], *, readme: Sequence[tuple[str, str]] = ()
) -> bytes:
    """Return a workbook with one sheet per frame, plus a first sheet explaining them.

    The first sheet, "About", has the columns ``sheet`` and ``what it holds`` (widths 22 and 100);
    then one sheet per frame, its header row bold and frozen. Values go through :func:`plain_value`
    (missing values are empty cells); floats are rounded to 6 decimals and infinities written as the
    text ``inf``/``-inf``; numbers are stored with 16 significant digits (Excel shows 15); text is
    always stored as text, never as a formula, and Excel shows it as it was given, but for lone
    surrogates (U+FFFD) and text beyond Excel's limit of 32,767 characters (cut there). The
    workbook is written by XlsxWriter; the bytes depend only on the data (fixed document dates,
    fixed zip timestamps).

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
    # Imported here rather than with the module: about 25 ms that commands writing no
    # workbook need not pay.
    import xlsxwriter

    titles = _sheet_titles(["About", *(name[:31] for name in sheets)])
    buffer = io.BytesIO()
    options = {
        "in_memory": True,  # no temporary files
        # Every cell is written with write_string/number/boolean/blank, which never guess;
        # these keep write() from taking text for a formula, number or link all the same.
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    with xlsxwriter.Workbook(buffer, options) as book:
        # Fixed dates, or XlsxWriter writes the time of writing into docProps/core.xml.
        book.set_properties({"author": "pitch-jury", "created": _DOCUMENT_DATE})
        bold = book.add_format({"bold": True})
        about = book.add_worksheet(titles[0])
        about.set_column(0, 0, 22)
        about.set_column(1, 1, 100)
        _write_table(about, ["sheet", "what it holds"], readme, header_format=bold)
        for title, frame in zip(titles[1:], sheets.values(), strict=True):
            sheet = book.add_worksheet(title)
            sheet.freeze_panes(1, 0)
            header = [str(column) for column in frame.columns]
            _write_table(sheet, header, (), header_format=bold)
            _write_columns(sheet, frame)
    return buffer.getvalue()


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
    cut to 31 UTF-16 code units. Titles are compared as Excel does, ignoring case, and
    ``History`` is reserved. A title already taken gets ``~2``, ``~3``, ... appended (its
    name shortened to make room), so the result depends only on ``names``. (``casefold``
    is stricter than the ``lower`` XlsxWriter compares with: it never lets a clash through.)

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


def _write_text(sheet: Any, row: int, column: int, text: str, cell_format: Any = None) -> None:
    """Write ``text`` into a cell as text, never as a formula, so that Excel reads it back.

    The empty string is an empty cell (styled, when ``cell_format`` is given). Where
    XlsxWriter's own escaping would fail (see the comment above :data:`_MISREAD`), the text
    is written as rich text, in runs cut before each ``_`` and control character: no run
    holds a whole ``_xHHHH_``, so none needs escaping, and Excel joins the runs. Three
    things cannot be written as given: lone surrogates (no UTF-8 for them) become U+FFFD;
    text longer than 32,767 UTF-16 code units is cut there (Excel's limit; the CSV files
    keep it whole); and control characters in text written as runs show in Excel as their
    ``_xHHHH_`` code, since XlsxWriter escapes rich text twice.
    """
    if len(text) > _MAX_TEXT_LENGTH // 2:
        text = _utf16_prefix(text, _MAX_TEXT_LENGTH)
    if not text:
        if cell_format is not None:
            sheet.write_blank(row, column, None, cell_format)
        return
    raw = text.startswith("<r>") and text.endswith("</r>")  # XlsxWriter would keep it as XML
    if not raw and _CAREFUL.search(text) is None:  # nearly always
        sheet.write_string(row, column, text, cell_format)
        return
    text = _SURROGATE.sub("\ufffd", text)
    if not raw and _MISREAD.search(text) is None:
        sheet.write_string(row, column, text, cell_format)
        return
    # Such text has at least 7 characters, so cutting at 1 and 2 too gives the 3 runs
    # write_rich_string needs. A run without a format takes the default font.
    cuts = sorted({1, 2, *(match.start() for match in _RUN_START.finditer(text, 1))})
    runs = [text[start:end] for start, end in itertools.pairwise([0, *cuts, len(text)])]
    if cell_format is None:
        sheet.write_rich_string(row, column, *runs)
    else:
        formatted = [part for run in runs[1:] for part in (cell_format, run)]
        sheet.write_rich_string(row, column, runs[0], *formatted, cell_format)


def _write_float(sheet: Any, row: int, column: int, value: float) -> None:
    if math.isfinite(value):
        sheet.write_number(row, column, value)
    elif not math.isnan(value):  # a spreadsheet has no infinite number; NaN is empty
        sheet.write_string(row, column, "inf" if value > 0 else "-inf")


def _write_int(sheet: Any, row: int, column: int, value: int) -> None:
    try:
        number = float(value)
    except OverflowError:  # beyond a double: infinite, as far as a spreadsheet can tell
        number = math.inf if value > 0 else -math.inf
    _write_float(sheet, row, column, number)


def _write_bool(sheet: Any, row: int, column: int, value: bool) -> None:
    sheet.write_boolean(row, column, value)


def _write_nothing(sheet: Any, row: int, column: int, value: None) -> None:
    pass


def _write_other(sheet: Any, row: int, column: int, value: object) -> None:
    if isinstance(value, str):
        _write_text(sheet, row, column, str(value))
    elif isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        _write_bool(sheet, row, column, bool(value))  # numpy's booleans too
    elif isinstance(value, Integral):
        _write_int(sheet, row, column, int(value))
    elif isinstance(value, Real):
        _write_float(sheet, row, column, float(value))
    else:  # dates, say
        _write_text(sheet, row, column, str(value))


# Exact types first (fast); subclasses and other types go through ``_write_other``.
_CELL_WRITERS: dict[type, Callable[[Any, int, int, Any], None]] = {
    str: _write_text,
    float: _write_float,
    int: _write_int,
    bool: _write_bool,
    type(None): _write_nothing,
}


def _write_table(
    sheet: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    header_format: Any,
) -> None:
    """Write ``header`` into row 1 of ``sheet`` in ``header_format``, then ``rows`` below.

    Cells are written by the Python type of the value: ``None`` is an empty cell; ``bool``
    (numpy's too) a boolean; ``int`` and finite ``float`` (and other real numbers) a
    number; an infinity the text ``inf`` or ``-inf``, as the CSV files write it, and NaN an
    empty cell; ``str`` text (see :func:`_write_text`); anything else its ``str()`` as text.
    """
    for column, name in enumerate(header):
        _write_text(sheet, 0, column, name, header_format)
    writers = _CELL_WRITERS
    for row, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            writers.get(type(value), _write_other)(sheet, row, column, value)


def _plain_columns(frame: pd.DataFrame) -> Iterator[list[object]]:
    """Yield the columns of ``frame`` as lists of :func:`plain_value` values, floats
    rounded as :func:`_rounded` rounds them."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            column = _round(column)
        yield [plain_value(value) for value in column.tolist()]


def _plain_text(text: str) -> bool:
    """Whether ``write_string`` stores ``text`` as given (see :func:`_write_text`)."""
    return (
        0 < len(text) <= _MAX_TEXT_LENGTH // 2
        and not (text.startswith("<r>") and text.endswith("</r>"))
        and _CAREFUL.search(text) is None
    )


def _write_columns(sheet: Any, frame: pd.DataFrame) -> None:
    """Write ``frame`` below the header of ``sheet``, a column at a time.

    Each cell is written as :func:`_write_table` writes it; what can be decided once per
    column (its Python types) or once per distinct text (whether it needs care) is, so
    that a column of plain text or of finite numbers costs one XlsxWriter call per cell.
    """
    for column, values in enumerate(_plain_columns(frame)):
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:
            write_string = sheet.write_string
            plain = {text for text in set(values) - {None} if _plain_text(text)}  # type: ignore[arg-type]
            for row, text in enumerate(values, start=1):
                if text in plain:
                    write_string(row, column, text)
                elif text is not None:
                    _write_text(sheet, row, column, text)  # type: ignore[arg-type]
        elif kinds <= {float, int, type(None)} and bool not in kinds:
            write_number = sheet.write_number
            for row, number in enumerate(values, start=1):
                if number is None:
                    continue
                if type(number) is float and math.isfinite(number):
                    write_number(row, column, number)
                else:
                    _CELL_WRITERS[type(number)](sheet, row, column, number)
        else:
            writers = _CELL_WRITERS
            for row, value in enumerate(values, start=1):
                writers.get(type(value), _write_other)(sheet, row, column, value)


_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_FILE_MODE = 0o666
"""Mode asked for when creating a file; the system takes the umask off (0o644 under 022)."""


def create_file(path: Path, data: bytes) -> None:
    """Write ``data`` into a new file at ``path``, flushed to disk; fail if ``path`` exists.

    The file's permissions are ``0o666`` less the umask, as for any file a program creates
    (the umask is applied by the system: it is never read or changed, so this is safe in
    any thread). A file that cannot be written completely is removed.

    Raises
    ------
    OSError
        As the system reports it (``FileExistsError`` when ``path`` exists).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> create_file(folder / "a.txt", b"hello")
    >>> (folder / "a.txt").read_bytes()
    b'hello'
    """
    handle = os.open(path, _NEW_FILE_FLAGS, _FILE_MODE)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def write_failure(path: Path | str, exc: OSError) -> str:
    """Return why ``path`` cannot be written, in plain words, with what to do.

    Examples
    --------
    >>> import errno
    >>> write_failure("out/a.csv", OSError(errno.ENOSPC, "No space left on device"))
    'Cannot write out/a.csv: the disk is full. Free some space or choose another folder with --out.'
    """
    if isinstance(exc, PermissionError):
        return (
            f"Cannot write {path}: permission denied. If the file is open (in Excel, say), "
            "close it; otherwise choose a folder you can write to with --out."
        )
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (
            f"Cannot write {path}: the disk is full. Free some space or choose another "
            "folder with --out."
        )
    return f"Cannot write {path}: {exc.strerror or exc}. Choose another folder with --out."


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic replace.

    The folder is created if needed; the file gets the permissions the umask gives (see
    :func:`create_file`).

    Raises
    ------
    OutputError
        When the folder is read-only, the file is locked (open in Excel) or the disk is
        full; the message names the path and what to do.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", b"hello")
    >>> (folder / "a.txt").read_bytes()
    b'hello'
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while temporary is None:
            candidate = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            try:
                create_file(candidate, data)
            except FileExistsError:
                continue
            temporary = candidate
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise OutputError(write_failure(path, exc)) from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
