"""Read one input file (CSV, TSV, TXT or XLSX) into a raw table of cells with provenance.

Readers do no domain checking: they find the data, keep every cell as the user wrote it
(CSV cells as text; XLSX cells as typed Python values) and record the spreadsheet row of
every record (header = row 1) and the :class:`~scoring.event.Dialect` the file was read
with. File-level problems (wrong type, lock file, password, undecodable text, rows with the
wrong number of fields, Excel error cells, formulas without a cached value, several sheets
that could be the data, hidden rows and columns, merged cells) become
:class:`~scoring.errors.Issue` objects. :mod:`scoring.ingest.validate` does the rest.

Parsing is pandas' C reader for text files and openpyxl for workbooks. A workbook is loaded
in openpyxl's full mode, not ``read_only``: only the full mode keeps merged cells
(``ws.merged_cells``), hidden rows and columns (``row_dimensions``, ``column_dimensions``)
and filters (``ws.auto_filter``). Loading and walking every cell costs about 13% more than
in ``read_only`` mode (best of 3: 0.035 s against 0.031 s on the example's ``scores.xlsx``,
5.5 s against 4.9 s on a 100,000-row sheet). Finding formulas without a saved value takes
a second, ``read_only`` reading of the formulas, which every workbook used to get; it is
now made only when the workbook holds formulas and the data has empty cells, so
:func:`read_table` of a workbook without formulas takes 0.039 s instead of 0.065 s on the
example and 5.8 s instead of 10.4 s on the 100,000 rows; with a formula on every row it
takes as long as before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import Issue
from scoring.event import FRAME_DIALECT, Dialect
from scoring.ingest.textscan import distinct

__all__ = ["EXCEL_ERRORS", "ExcelError", "RawTable", "header_key", "read_table"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_HEADER_SCAN_ROWS = 50
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends pandas' C reader splits on
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a formula cell in a worksheet's XML
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # the stream of a password-protected book
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
    | {"#FIELD!", "#GETTING_DATA", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
)
"""The texts of Excel's error values (a formula that failed)."""


@dataclass(frozen=True)
class ExcelError:
    """An Excel error cell such as ``#DIV/0!`` (kept so validation can name it)."""

    code: str
    cell: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class RawTable:
    """Cells of one data sheet, as read.

    Attributes
    ----------
    frame
        One column per header (header text stripped and NFC-normalised), one row per
        record. CSV cells are ``str`` (missing only for an empty cell); XLSX cells keep
        their type (``str``, ``int``, ``float``, ``bool``, ``datetime``, :class:`ExcelError`
        or ``None``). Numeric columns named in ``numeric`` may already be parsed to float.
    rows
        Spreadsheet row number of each record (header row counts as its own number).
    file, sheet
        Display name of the file and, for a workbook, the sheet name.
    typed
        True when cells come from a workbook (typed values), False for text files.
    decimal_comma
        True when the text file uses ``;`` or tab separators and decimal commas are allowed.
    dialect
        How the file was read (encoding, separator, decimal mark, sheet, header row);
        :data:`~scoring.event.FRAME_DIALECT` for a table made from a DataFrame.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    file: str
    sheet: str | None
    typed: bool
    decimal_comma: bool = False
    dialect: Dialect = FRAME_DIALECT

    def subset(self, keep: np.ndarray) -> RawTable:
        """Return the table with only the records where ``keep`` is True (rows renumbered
        from 0 in the frame, spreadsheet rows kept).

        Examples
        --------
        >>> t = RawTable(pd.DataFrame({"a": [1, 2]}), np.array([2, 3]), "f.csv", None, False)
        >>> t.subset(np.array([False, True])).rows.tolist()
        [3]
        """
        if keep.all():
            return self
        return replace(
            self, frame=self.frame.loc[keep].reset_index(drop=True), rows=self.rows[keep]
        )


def header_key(text: object) -> str:
    """Return the comparison key of a header cell: NFC, trimmed, lower case, ``_`` for spaces.

    Examples
    --------
    >>> header_key("  Candidate ID ")
    'candidate_id'
    """
    value = unicodedata.normalize("NFC", str(text)).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", value)


def read_table(
    path: Path,
    *,
    required: Sequence[str],
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    expected: Mapping[str, Sequence[str] | pd.Index] | None = None,
    display: str | None = None,
    sheet_words: Sequence[str] = (),
    sheet: str | None = None,
    sheet_key: str = "sheet",
    fill_merged: Sequence[str] = (),
) -> tuple[RawTable | None, list[Issue]]:
    """Read the data sheet of ``path``; return the table (or None) and file-level issues.

    Parameters
    ----------
    path
        The file. Its real type is detected from its bytes, not trusted from its name.
    required
        Header keys (see :func:`header_key`) that identify the data sheet and header row.
    numeric
        Header keys whose text cells the reader may parse as numbers on the fast path.
    categorical
        Header keys of text columns with few distinct values (juror ids, criteria); a text
        file's reader returns them as categorical columns, which skips building a Python
        string per cell. The cells' text is unchanged.
    expected
        Header key to the texts its cells are expected to hold (target ids: the candidate
        and project ids). A text file's reader returns such a column as a categorical over
        them when every cell of a data row holds one of them, and as plain text otherwise,
        so the cells' text is unchanged either way.
    display
        Name used in issues (defaults to the file name).
    sheet_words
        In a workbook where several sheets have the expected headers, the one sheet whose
        name contains one of these words is read (so one workbook can hold candidates,
        jurors and scores on separate sheets); when that does not single one out, an
        ``xlsx.several_data_sheets`` error names them all.
    sheet
        In a workbook, the name of the sheet to read (the ``*_sheet`` keys of event.toml);
        ignored for text files.
    sheet_key
        The event.toml key that sets ``sheet``, named in messages.
    fill_merged
        Header keys of workbook columns whose merged blocks are filled down with the
        block's value (with one ``xlsx.merged_filled`` warning per column listing the rows
        filled). Merged data cells in other columns are ``xlsx.merged_cells`` errors.

    Returns
    -------
    table, issues
        ``table`` is None when the file could not be read at all; ``issues`` then holds
        at least one error saying why and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "c.csv").write_text("candidate_id;name\\nA1;Ana\\n", encoding="utf-8")
    >>> table, issues = read_table(folder / "c.csv", required=["candidate_id"])
    >>> table.frame.to_dict("records"), table.rows.tolist(), issues
    ([{'candidate_id': 'A1', 'name': 'Ana'}], [2], [])
    >>> table.dialect.separator, table.dialect.encoding, table.dialect.header_row
    (';', 'utf-8', 1)
    """
    name = display or path.name
    kind, problem = _detect_type(path, name)
    if problem is not None:
        return None, [problem]
    if kind == "xlsx":
        choice = _SheetChoice(sheet, sheet_key, tuple(sheet_words))
        return _read_xlsx(path, name, required, choice, tuple(fill_merged))
    return _read_text(path, name, required, numeric, categorical, expected or {})


def _detect_type(path: Path, name: str) -> tuple[str, Issue | None]:
    def fail(code: str, message: str) -> tuple[str, Issue]:
        return "", Issue("error", code, message, file=name)

    if path.name.startswith("~$"):
        return fail(
            "file.lock_file",
            "This is Excel's lock file for a workbook that is open, not the data. "
            f"Point to the real file ('{path.name[2:]}') and close it in Excel.",
        )
    if not path.exists():
        return fail("file.not_found", f"File not found: {path}. Check the path in event.toml.")
    suffix = path.suffix.lower()
    if path.is_dir():
        if suffix == ".numbers":
            return fail(
                "file.wrong_type",
                "This is an Apple Numbers document, not an Excel workbook. In Numbers "
                "choose File > Export To > Excel (.xlsx) and point event.toml to that file.",
            )
        return fail("file.not_found", f"{path} is a folder, not a file.")
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        return fail("file.empty", "The file is empty. Export the sheet again.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if _ENCRYPTED in path.read_bytes():
            return fail(
                "file.encrypted",
                "This workbook is protected with a password (encrypted), so it cannot be "
                "read. Open it in Excel, remove the password (File > Info > Protect "
                "Workbook > Encrypt with Password: clear it) and save it as .xlsx.",
            )
        return fail(
            "file.old_xls",
            "This is an old Excel 97-2003 workbook (.xls). "
            "Open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8.",
        )
    is_zip = head.startswith(b"PK\x03\x04")
    if is_zip:
        real = _zip_kind(path)
        if real is not None:
            return fail(
                "file.wrong_type",
                f"This is {real}, not an Excel workbook (.xlsx). Open it and save it as "
                ".xlsx (Excel Workbook) or as CSV UTF-8.",
            )
        if suffix in XLSX_SUFFIXES:
            return "xlsx", None
        return fail(
            "file.wrong_type",
            f"This file is named '{suffix or '(no extension)'}' but is really an Excel "
            "workbook (.xlsx). Rename it to .xlsx (and update event.toml).",
        )
    if suffix in XLSX_SUFFIXES or suffix == ".xls":
        real = "an HTML page" if head.lstrip().lower().startswith(b"<") else "a text (CSV) file"
        return fail(
            "file.wrong_type",
            f"This file is named '{suffix}' but is really {real}. Rename it to .csv "
            "(and update event.toml), or save it from Excel as .xlsx.",
        )
    if suffix not in TEXT_SUFFIXES:
        return fail(
            "file.unsupported",
            f"Files of type '{suffix or '(no extension)'}' are not read. "
            "Use .csv, .tsv, .txt or .xlsx.",
        )
    return "text", None


def _zip_kind(path: Path) -> str | None:
    """Return what a zip file really is when it is not an Excel workbook (None when it is)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" in names:
                return None
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "a damaged zip archive"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "an OpenDocument spreadsheet (.ods, from LibreOffice or OpenOffice)"
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        return "an Apple Numbers document"
    if "xl/workbook.bin" in names:
        return "an Excel binary workbook (.xlsb)"
    return "a zip archive"


# ---------------------------------------------------------------------------- text files


_SNIFF_BYTES = 1 << 16


def _sniff_encoding(head: bytes) -> str:
    """Return the encoding of a text file from its first bytes: UTF-8 (with or without
    BOM), UTF-16 with BOM, or cp1251 (Windows Cyrillic) when the bytes are not UTF-8."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "cp1251"
    return "utf-8"


def _choose_separator(header_line: str, required: Sequence[str], suffix: str) -> str:
    best, best_score = ",", (-1, -1)
    for sep in ("\t", ";", ","):
        fields = [header_key(f.strip('"')) for f in header_line.split(sep)]
        score = (sum(f in fields for f in required), len(fields))
        if suffix == ".tsv" and sep == "\t":
            score = (score[0], score[1] + 1000)
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_text(
    path: Path,
    name: str,
    required: Sequence[str],
    numeric: Sequence[str],
    categorical: Sequence[str],
    expected: Mapping[str, Sequence[str] | pd.Index],
) -> tuple[RawTable | None, list[Issue]]:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    encoding = _sniff_encoding(head)
    sample = head.decode(encoding, errors="ignore")
    lines = _LINE_BREAK.split(sample)
    skip, sep = _locate_header(lines, required, path.suffix.lower())
    header_line = lines[skip] if skip is not None else ""
    skip = skip or 0
    header = next(csv.reader([header_line], delimiter=sep), [])
    keys = [header_key(h) for h in header]
    issues: list[Issue] = []
    missing = [r for r in required if r not in keys]
    if missing:
        return None, [_missing_headers(name, None, missing, header, row=skip + 1)]
    duplicate = _duplicate_headers(keys, name, None, skip + 1)
    if duplicate is not None:
        return None, [duplicate]
    decimal_comma = sep != ","
    dtypes: dict[str, Any] = {h: object for h, k in zip(header, keys, strict=True)}
    for h, k in zip(header, keys, strict=True):
        if k in numeric:
            dtypes[h] = None  # let the C parser try numbers; text falls back to object
        elif k in categorical:
            dtypes[h] = "category"  # categories are always the cells' text
    try:
        try:
            frame = _parse(path, encoding, sep, dtypes, decimal_comma, header, skip)
        except UnicodeDecodeError:  # valid UTF-8 at the start only: the file is cp1251
            encoding = "cp1251"
            frame = _parse(path, encoding, sep, dtypes, decimal_comma, header, skip)
    except pd.errors.ParserError:
        frame = None
    if frame is None:
        text = path.read_bytes().decode(encoding, errors="replace")
        return None, _diagnose_fields(text.lstrip("\ufeff"), sep, name, skip)
    frame.columns = pd.Index(keys)
    rows = np.arange(skip + 2, len(frame) + skip + 2)
    maybe_blank = frame.iloc[:, 0].isna().to_numpy()  # cheap pre-filter on one column
    blank = np.zeros(len(frame), dtype=bool)
    if maybe_blank.any():
        blank[maybe_blank] = frame.loc[maybe_blank].isna().all(axis=1).to_numpy()
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    for k in keys:
        if k in expected and len(expected[k]):
            frame[k] = _code_against(frame[k], pd.Index(expected[k], dtype=object).unique())
    if encoding == "cp1251" and b"\x98" in path.read_bytes():  # the one byte cp1251 lacks
        issues.append(
            Issue(
                "warning",
                "file.encoding",
                "Some characters could not be decoded. Save the file as 'CSV UTF-8'.",
                file=name,
            )
        )
    dialect = Dialect(
        "text",
        encoding=encoding,
        separator=sep,
        decimal="," if decimal_comma else ".",
        header_row=skip + 1,
    )
    table = RawTable(frame, rows, name, None, False, decimal_comma, dialect)
    return table, issues


def _locate_header(
    lines: Sequence[str], required: Sequence[str], suffix: str
) -> tuple[int | None, str]:
    """Return the index of the header line among a text file's first lines (the first that
    holds every ``required`` header; else the first line that is not blank, None when all
    are blank) and the separator it uses. Title lines above the header are so skipped."""
    first: tuple[int | None, str] = (None, ",")
    for index, line in enumerate(lines[:_HEADER_SCAN_ROWS]):
        if not line.strip():
            continue
        sep = _choose_separator(line, required, suffix)
        if first[0] is None:
            first = (index, sep)
        keys = {header_key(f) for f in next(csv.reader([line], delimiter=sep), [])}
        if all(r in keys for r in required):
            return index, sep
    return first


def _code_against(column: pd.Series, categories: pd.Index) -> pd.Series:
    """Return ``column`` as a categorical over ``categories`` when every cell holds one of
    them, else ``column`` unchanged: the cells' text is the same either way.

    The distinct cells are found once (:func:`~scoring.ingest.textscan.distinct`) and
    looked up among ``categories``; a blank cell also keeps the column as read, as any
    text outside ``categories`` does. Sheets list a target's marks together, so this costs
    a fraction of hashing every cell.

    Examples
    --------
    >>> known = pd.Index(["A1", "B2"], dtype=object)
    >>> _code_against(pd.Series(["B2", "A1", "B2"], dtype=object), known).cat.codes.tolist()
    [1, 0, 1]
    >>> _code_against(pd.Series(["B2", "Z9"], dtype=object), known).dtype
    dtype('O')
    """
    codes, uniques = distinct(column)
    position = categories.get_indexer(pd.Index(uniques, dtype=object))
    if (codes < 0).any() or (position < 0).any():
        return column
    small = next(t for t in (np.int8, np.int16, np.int32) if len(categories) < np.iinfo(t).max)
    coded = pd.Categorical.from_codes(
        position.astype(small)[codes], dtype=pd.CategoricalDtype(categories), validate=False
    )
    return pd.Series(coded, index=column.index, name=column.name, copy=False)


def _parse(
    path: Path,
    encoding: str,
    sep: str,
    dtypes: dict[str, Any],
    decimal_comma: bool,
    header: list[str],
    skip: int,
) -> pd.DataFrame | None:
    """Parse the text file below its first ``skip`` lines; None when a row has more fields
    than the header (beyond the one empty trailing field that a separator at the end of
    every line leaves, which is dropped as pandas drops it).

    pandas takes the fields a first data row has beyond the header as the frame's index
    (documented for ``index_col=None``), so a frame whose index is not the default range
    tells that without a warning; the file is then read again with a name for each extra
    field to see what they hold. A later row with more fields than the first raises
    :class:`pandas.errors.ParserError`.
    """
    frame = _read_csv(path, encoding, sep, dtypes, decimal_comma, skip)
    if isinstance(frame.index, pd.RangeIndex):
        return frame
    extra = [f"\x00extra {i}" for i in range(frame.index.nlevels)]
    frame = _read_csv(path, encoding, sep, dtypes, decimal_comma, skip, names=[*header, *extra])
    if len(extra) == 1 and bool(frame[extra[0]].isna().all()):
        return frame.drop(columns=extra)
    return None


def _read_csv(
    path: Path,
    encoding: str,
    sep: str,
    dtypes: dict[str, Any],
    decimal_comma: bool,
    skip: int,
    *,
    names: list[str] | None = None,
) -> pd.DataFrame:
    source: Any = path
    if encoding == "utf-16":
        source = io.StringIO(path.read_bytes().decode("utf-16", errors="replace"))
    return pd.read_csv(
        source,
        sep=sep,
        encoding=None if encoding == "utf-16" else encoding,
        encoding_errors="replace" if encoding == "cp1251" else "strict",
        dtype={h: d for h, d in dtypes.items() if d is not None},
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        skiprows=skip or None,
        header=0,
        names=names,
        index_col=None if names is None else False,
        decimal="," if decimal_comma else ".",
    )


def _diagnose_fields(text: str, sep: str, name: str, skip: int) -> list[Issue]:
    """Locate records whose field count differs from the header's (slow path, errors only);
    the header is the line after the first ``skip`` lines."""
    lines = io.StringIO(text, newline="")
    for _ in range(skip):
        lines.readline()
    reader = csv.reader(lines, delimiter=sep)
    header = next(reader)
    issues: list[Issue] = []
    for row_number, record in enumerate(reader, start=skip + 2):
        if not record or len(record) == len(header):
            continue
        joined = sep.join(record)
        decimal_hint = sep == "," and len(record) > len(header) and re.search(r"\d,\d", joined)
        if decimal_hint:
            message = (
                f"This row has {len(record)} fields but the header has {len(header)}: it "
                "looks like a decimal comma (e.g. '7,5') in a comma-separated file, which "
                "would shift the columns. Use a decimal point, quote the value, or save "
                "the file with ';' separators (Excel: 'CSV (semicolon delimited)')."
            )
            code = "csv.decimal_comma"
        else:
            message = (
                f"This row has {len(record)} fields but the header has {len(header)}. "
                "Check for a stray separator or a missing quote."
            )
            code = "csv.field_count"
        issues.append(Issue("error", code, message, file=name, row=row_number, value=joined))
    if not issues:
        issues.append(
            Issue(
                "error",
                "csv.field_count",
                "The file cannot be parsed as a table; check quotes and separators.",
                file=name,
            )
        )
    return issues


def _duplicate_headers(keys: Sequence[str], name: str, sheet: str | None, row: int) -> Issue | None:
    duplicated = sorted({k for k in keys if k and keys.count(k) > 1})
    if not duplicated:
        return None
    return Issue(
        "error",
        "columns.duplicate",
        f"Column header(s) {', '.join(duplicated)} appear more than once. "
        "Keep one column of each name.",
        file=name,
        sheet=sheet,
        row=row,
        column=duplicated[0],
    )


def _missing_headers(
    name: str,
    sheet: str | None,
    missing: Sequence[str],
    seen: Sequence[str],
    *,
    row: int | None = None,
) -> Issue:
    shown = ", ".join(str(s) for s in seen if s not in (None, "")) or "(none)"
    return Issue(
        "error",
        "columns.missing",
        f"Required column(s) {', '.join(missing)} not found. Headers found: {shown}. "
        "Rename the headers to the expected names.",
        file=name,
        sheet=sheet,
        row=row,
        column=missing[0],
    )


# ---------------------------------------------------------------------------- workbooks


@dataclass(frozen=True)
class _SheetChoice:
    """Which sheet of a workbook to read: the one named ``name`` (set by event.toml's
    ``key``) or else the one with the expected headers, a name holding one of ``words``
    deciding between several."""

    name: str | None
    key: str
    words: tuple[str, ...]


def _read_xlsx(
    path: Path,
    name: str,
    required: Sequence[str],
    choice: _SheetChoice,
    fill_merged: tuple[str, ...],
) -> tuple[RawTable | None, list[Issue]]:
    import openpyxl

    try:
        # Full mode: read_only drops merged cells, hidden rows and columns, and filters.
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        return None, [
            Issue(
                "error",
                "file.unreadable",
                f"The workbook cannot be opened ({type(exc).__name__}: {exc}). "
                "Open it in Excel, check it is not damaged, and save it again as .xlsx.",
                file=name,
            )
        ]
    try:
        found, issues = _find_data_sheet(book, name, required, choice)
        if found is None:
            return None, issues
        sheet, header_index, keys = found
        header_row, keys = _header_band(sheet, header_index + 1, keys, required)
        return _sheet_table(path, sheet, header_row, keys, name, fill_merged)
    finally:
        book.close()


def _find_data_sheet(
    book: Any, name: str, required: Sequence[str], choice: _SheetChoice
) -> tuple[tuple[Any, int, list[str]] | None, list[Issue]]:
    """Return the data sheet, the index of its header row and its header keys, or None
    and the error saying why no single sheet is the data."""
    sheets = list(book.worksheets)
    titles = ", ".join(_title(s) for s in sheets)
    if choice.name is not None:
        named = [s for s in sheets if s.title == choice.name] or [
            s for s in sheets if header_key(s.title) == header_key(choice.name)
        ]
        if not named:
            message = (
                f"There is no sheet '{choice.name}' ({choice.key} in event.toml) in this "
                f"workbook; its sheets are {titles}. Set {choice.key} to one of them, or "
                "remove the key to let the sheet be found by its headers."
            )
            return None, [Issue("error", "xlsx.sheet_not_found", message, file=name)]
        sheets = named[:1]
    matches: list[tuple[Any, int, list[str]]] = []
    best_seen: list[str] = []
    for sheet in sheets:
        header_rows = sheet.iter_rows(max_row=_HEADER_SCAN_ROWS, values_only=True)
        for index, row in enumerate(header_rows):
            keys = [header_key(v) if v is not None else "" for v in row]
            if all(r in keys for r in required):
                matches.append((sheet, index, keys))
                break
            if sum(r in keys for r in required) > sum(r in best_seen for r in required):
                best_seen = keys
    if not matches:
        missing = [r for r in required if r not in best_seen]
        issue = _missing_headers(name, None, missing, best_seen)
        where = f"sheet {_title(sheets[0])}" if choice.name is not None else f"sheets {titles}"
        message = (
            f"No sheet has a header row with {', '.join(required)} (looked at the first "
            f"{_HEADER_SCAN_ROWS} rows of {where}). " + issue.message
        )
        sheet_name = sheets[0].title if choice.name is not None else None
        return None, [
            Issue(
                "error",
                "xlsx.no_data_sheet",
                message,
                file=name,
                sheet=sheet_name,
                column=issue.column,
            )
        ]
    if len(matches) > 1:
        named_for = [m for m in matches if any(w in header_key(m[0].title) for w in choice.words)]
        if len(named_for) == 1:
            matches = named_for
    if len(matches) > 1:
        shown = ", ".join(_title(m[0]) for m in matches)
        message = (
            f"Sheets {shown} all have a header row with {', '.join(required)}, so which "
            "one holds the data is not clear. Say which sheet to read in event.toml's "
            f'[event] table (e.g. {choice.key} = "{matches[0][0].title}"), or delete the '
            "sheet that is an old copy."
        )
        return None, [
            Issue(
                "error",
                "xlsx.several_data_sheets",
                message,
                file=name,
                value=", ".join(m[0].title for m in matches),
            )
        ]
    return matches[0], []


def _header_band(
    ws: Any, header_row: int, keys: list[str], required: Sequence[str]
) -> tuple[int, list[str]]:
    """Return the last row of a header that merged cells make two or more rows tall, and
    its keys: each column's lowest header text in the band.

    In a two-row header ``juror_id`` and ``target_id`` are merged down over both rows and
    a merged ``Criteria`` spans the criteria named in the row below; the data starts under
    the band. When the combined keys lose a required header, the one-row header stands.
    """
    last = header_row
    for block in ws.merged_cells.ranges:
        if block.min_row == header_row:
            last = max(last, block.max_row)
    if last == header_row:
        return header_row, keys
    band = list(ws.iter_rows(min_row=header_row, max_row=last, values_only=True))
    width = max(len(row) for row in band)
    combined = []
    for c in range(width):
        texts = [row[c] for row in band if c < len(row) and row[c] not in (None, "")]
        combined.append(header_key(texts[-1]) if texts else "")
    if not all(r in combined for r in required):
        return header_row, keys
    return last, combined


def _title(sheet: Any) -> str:
    hidden = "" if sheet.sheet_state == "visible" else " (hidden)"
    return f"'{sheet.title}'{hidden}"


def _sheet_table(
    path: Path,
    ws: Any,
    header_row: int,
    keys: list[str],
    name: str,
    fill_merged: tuple[str, ...],
) -> tuple[RawTable | None, list[Issue]]:
    sheet = ws.title
    duplicate = _duplicate_headers(keys, name, sheet, header_row)
    if duplicate is not None:
        return None, [duplicate]
    used = [i for i, k in enumerate(keys) if k]
    fills, issues = _merged_blocks(ws, header_row, keys, used, name, fill_merged)
    has_formulas = _has_formulas(path)
    empty: list[tuple[int, int]] = []  # (row number, column index) of empty cells
    records: list[list[object]] = []
    row_numbers: list[int] = []
    cells = ws.iter_rows(min_row=header_row + 1, max_col=max(used) + 1, values_only=True)
    for row_number, row in enumerate(cells, start=header_row + 1):
        values = [_cell_value(row[i], row_number, i) for i in used]
        for position, value in fills.get(row_number, {}).items():
            values[position] = value
        if has_formulas and None in values:
            empty.extend((row_number, used[p]) for p, v in enumerate(values) if v is None)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        records.append(values)
        row_numbers.append(row_number)
    if empty:  # an empty cell may be a formula whose value was never saved
        formulas = _formula_cells(path, sheet, header_row, used)
        for row_number, i in empty:
            if (row_number, i) in formulas:
                formula = formulas[(row_number, i)]
                issues.append(_formula_issue(formula, row_number, i, keys[i], name, sheet))
    issues.extend(_hidden(ws, header_row, keys, used, row_numbers, name))
    frame = pd.DataFrame(records, columns=[keys[i] for i in used], dtype=object)
    dialect = Dialect("xlsx", sheet=sheet, header_row=header_row)
    rows = np.asarray(row_numbers, dtype=np.int64)
    return RawTable(frame, rows, name, sheet, True, False, dialect), issues


def _cell_value(value: object, row_number: int, col_index: int) -> object:
    if isinstance(value, str) and value in EXCEL_ERRORS:
        return ExcelError(value, _ref(row_number, col_index))
    if isinstance(value, dt.time):
        return dt.datetime.combine(dt.date(1899, 12, 30), value)
    return value


def _merged_blocks(
    ws: Any,
    header_row: int,
    keys: list[str],
    used: list[int],
    name: str,
    fill_merged: tuple[str, ...],
) -> tuple[dict[int, dict[int, object]], list[Issue]]:
    """Return the values merged blocks below the header spread over their rows (row number
    to position in ``used`` to value) and one issue per column with merged data cells.

    A block in a ``fill_merged`` column is filled down with its value and reported once
    as a warning listing the rows filled. Merged data cells anywhere else are an error
    (one per column, listing the blocks): only a block's first cell holds the value, and
    reading the others as blank would lose marks or ids without a word. Their value is
    still spread down the block's first column, so the rows do not also come out as
    blank cells one by one.
    """
    positions = {i: p for p, i in enumerate(used)}
    fills: dict[int, dict[int, object]] = {}
    filled: dict[int, list[tuple[int, int, object]]] = {}
    rejected: dict[int, list[tuple[int, int, object]]] = {}
    for block in sorted(ws.merged_cells.ranges, key=lambda b: (b.min_col, b.min_row)):
        if block.min_row <= header_row:  # titles and headers may be merged
            continue
        first = block.min_col - 1
        covered = [c for c in range(first, block.max_col) if c in positions]
        if not covered or (block.min_row == block.max_row and covered == [first]):
            continue  # no used cell lies under the block's first one
        value = _cell_value(ws.cell(block.min_row, block.min_col).value, block.min_row, first)
        if first in positions:
            for row_number in range(block.min_row + 1, block.max_row + 1):
                fills.setdefault(row_number, {})[positions[first]] = value
        where = filled if covered == [first] and keys[first] in fill_merged else rejected
        where.setdefault(covered[0], []).append((block.min_row, block.max_row, value))
    issues: list[Issue] = []
    for i, blocks in sorted(filled.items()):
        n_filled = sum(last - top for top, last, _ in blocks)
        issues.append(
            Issue(
                "warning",
                "xlsx.merged_filled",
                f"Merged cells in column '{keys[i]}': each merged block's value was used for "
                f"every row of the block ({_blocks(blocks)}; {n_filled} row(s) filled). Check "
                "that every row belongs there; unmerging the cells and filling them in "
                "(Home > Merge & Center, then fill down) makes this warning go away.",
                file=name,
                sheet=ws.title,
                row=blocks[0][0] + 1,
                column=keys[i],
                value=str(blocks[0][2]),
            )
        )
    for i, blocks in sorted(rejected.items()):
        issues.append(
            Issue(
                "error",
                "xlsx.merged_cells",
                f"Merged cells in column '{keys[i]}' ({_blocks(blocks)}): only the first cell "
                "of a merged block holds its value, so the other rows would read as blank. "
                "Unmerge the cells (Home > Merge & Center) and type or fill the value into "
                "every row.",
                file=name,
                sheet=ws.title,
                row=blocks[0][0],
                column=keys[i],
                value=None if blocks[0][2] is None else str(blocks[0][2]),
            )
        )
    return fills, issues


def _blocks(blocks: Sequence[tuple[int, int, object]], limit: int = 10) -> str:
    shown = ", ".join(
        f"rows {top}-{last} '{value}'" if top != last else f"row {top} '{value}'"
        for top, last, value in blocks[:limit]
    )
    return shown + (f" and {len(blocks) - limit} more blocks" if len(blocks) > limit else "")


def _hidden(
    ws: Any, header_row: int, keys: list[str], used: list[int], rows: list[int], name: str
) -> list[Issue]:
    """Warnings for data rows and used columns that are hidden in Excel (by hand, by a
    filter or by a collapsed outline): they are read like the others."""
    from openpyxl.utils import column_index_from_string

    issues: list[Issue] = []
    read = set(rows)
    hidden_rows = sorted(r for r, d in ws.row_dimensions.items() if d.hidden and r in read)
    if hidden_rows:
        ref = ws.auto_filter.ref
        by = f" (a filter is active on {ref})" if ref and ws.auto_filter.filterColumn else ""
        shown = ", ".join(str(r) for r in hidden_rows[:20])
        more = f" and {len(hidden_rows) - 20} more" if len(hidden_rows) > 20 else ""
        issues.append(
            Issue(
                "warning",
                "xlsx.hidden_rows",
                f"{len(hidden_rows)} row(s) of the data are hidden in Excel{by}: rows "
                f"{shown}{more}. They are read like every other row. Unhide them to check "
                "them, and delete the rows that should not count.",
                file=name,
                sheet=ws.title,
                row=hidden_rows[0],
            )
        )
    hidden_columns: set[int] = set()
    for letter, dimension in ws.column_dimensions.items():
        if dimension.hidden:
            low = dimension.min or column_index_from_string(letter)
            high = dimension.max or low
            hidden_columns.update(range(low - 1, high))
    names = [keys[i] for i in used if i in hidden_columns]
    if names:
        issues.append(
            Issue(
                "warning",
                "xlsx.hidden_columns",
                f"Column(s) {', '.join(names)} are hidden in Excel; they are read like the "
                "others. Unhide them to check them.",
                file=name,
                sheet=ws.title,
                row=header_row,
                column=names[0],
            )
        )
    return issues


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (a scan of its XML)."""
    with zipfile.ZipFile(path) as archive:
        return any(
            _FORMULA_TAG.search(archive.read(member))
            for member in archive.namelist()
            if member.startswith("xl/worksheets/") and member.endswith(".xml")
        )


def _formula_cells(
    path: Path, sheet: str, header_row: int, used: list[int]
) -> dict[tuple[int, int], str]:
    """The formulas of the used columns below the header: (row number, column index) to
    the formula text. A formula whose value was never saved reads as an empty cell in the
    values; this second reading of the workbook tells it apart from a blank cell."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found: dict[tuple[int, int], str] = {}
        cells = book[sheet].iter_rows(min_row=header_row + 1, values_only=True)
        for row_number, row in enumerate(cells, start=header_row + 1):
            for i in used:
                value = row[i] if i < len(row) else None
                text = getattr(value, "text", value)  # an array formula keeps it in .text
                if isinstance(text, str) and text.startswith("="):
                    found[(row_number, i)] = text
        return found
    finally:
        book.close()


def _formula_issue(
    formula: str, row_number: int, col_index: int, column: str, name: str, sheet: str
) -> Issue:
    return Issue(
        "error",
        "xlsx.formula_no_value",
        f"Cell {_ref(row_number, col_index)} holds the formula '{formula}' with no saved "
        "value (the file was written by a program that does not compute formulas). Open "
        "the file in Excel and save it, or paste values only.",
        file=name,
        sheet=sheet,
        row=row_number,
        column=column,
        value=formula,
    )


def _ref(row_number: int, col_index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col_index + 1)}{row_number}"
