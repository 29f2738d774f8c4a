"""Read one input file (CSV, TSV, TXT or XLSX) into a raw table of cells with provenance.

Readers do no domain checking: they find the data, keep every cell as the user wrote it
(CSV cells as text; XLSX cells as typed Python values) and record the spreadsheet row of
every record (header = row 1). File-level problems (wrong type, lock file, undecodable
text, rows with the wrong number of fields, Excel error cells, formulas without a cached
value) become :class:`~scoring.errors.Issue` objects. :mod:`scoring.ingest.validate` does the rest.

Parsing is pandas' C reader for text files and openpyxl for workbooks.
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
from scoring.ingest.textscan import distinct

__all__ = ["ExcelError", "RawTable", "header_key", "read_table"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_HEADER_SCAN_ROWS = 50
_EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!")


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
    """

    frame: pd.DataFrame
    rows: np.ndarray
    file: str
    sheet: str | None
    typed: bool
    decimal_comma: bool = False

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
        In a workbook, sheets whose name contains one of these words are tried first (so
        one workbook can hold candidates, jurors and scores on separate sheets).

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
    """
    name = display or path.name
    kind, problem = _detect_type(path, name)
    if problem is not None:
        return None, [problem]
    if kind == "xlsx":
        return _read_xlsx(path, name, required, sheet_words)
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
    if path.is_dir():
        return fail("file.not_found", f"{path} is a folder, not a file.")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if not head:
        return fail("file.empty", "The file is empty. Export the sheet again.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return fail(
            "file.old_xls",
            "This is an old Excel 97-2003 workbook (.xls) or an encrypted workbook. "
            "Open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8.",
        )
    is_zip = head.startswith(b"PK\x03\x04")
    if is_zip:
        if not _looks_like_xlsx(path):
            return fail(
                "file.wrong_type",
                "This is a zip archive but not an Excel workbook (.xlsx). "
                "Save the sheet as .xlsx or CSV.",
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


def _looks_like_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


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
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    sep = _choose_separator(first_line, required, path.suffix.lower())
    header = next(csv.reader([first_line], delimiter=sep))
    keys = [header_key(h) for h in header]
    issues: list[Issue] = []
    missing = [r for r in required if r not in keys]
    if missing:
        return None, [_missing_headers(name, None, missing, header)]
    duplicate = _duplicate_headers(keys, name, None, 1)
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
            frame = _parse(path, encoding, sep, dtypes, decimal_comma, header)
        except UnicodeDecodeError:  # valid UTF-8 at the start only: the file is cp1251
            encoding = "cp1251"
            frame = _parse(path, encoding, sep, dtypes, decimal_comma, header)
    except pd.errors.ParserError:
        frame = None
    if frame is None:
        text = path.read_bytes().decode(encoding, errors="replace")
        return None, _diagnose_fields(text.lstrip("\ufeff"), sep, name)
    frame.columns = pd.Index(keys)
    rows = np.arange(2, len(frame) + 2)
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
    return RawTable(frame, rows, name, None, typed=False, decimal_comma=decimal_comma), issues


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
) -> pd.DataFrame | None:
    """Parse the text file; None when a row has more fields than the header (beyond the
    one empty trailing field that a separator at the end of every line leaves, which is
    dropped as pandas drops it).

    pandas takes the fields a first data row has beyond the header as the frame's index
    (documented for ``index_col=None``), so a frame whose index is not the default range
    tells that without a warning; the file is then read again with a name for each extra
    field to see what they hold. A later row with more fields than the first raises
    :class:`pandas.errors.ParserError`.
    """
    frame = _read_csv(path, encoding, sep, dtypes, decimal_comma)
    if isinstance(frame.index, pd.RangeIndex):
        return frame
    extra = [f"\x00extra {i}" for i in range(frame.index.nlevels)]
    frame = _read_csv(path, encoding, sep, dtypes, decimal_comma, names=[*header, *extra])
    if len(extra) == 1 and bool(frame[extra[0]].isna().all()):
        return frame.drop(columns=extra)
    return None


def _read_csv(
    path: Path,
    encoding: str,
    sep: str,
    dtypes: dict[str, Any],
    decimal_comma: bool,
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
        header=0,
        names=names,
        index_col=None if names is None else False,
        decimal="," if decimal_comma else ".",
    )


def _diagnose_fields(text: str, sep: str, name: str) -> list[Issue]:
    """Locate records whose field count differs from the header's (slow path, errors only)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(reader)
    issues: list[Issue] = []
    for row_number, record in enumerate(reader, start=2):
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
    name: str, sheet: str | None, missing: Sequence[str], seen: Sequence[str]
) -> Issue:
    shown = ", ".join(str(s) for s in seen if s not in (None, "")) or "(none)"
    return Issue(
        "error",
        "columns.missing",
        f"Required column(s) {', '.join(missing)} not found. Headers found: {shown}. "
        "Rename the headers to the expected names.",
        file=name,
        sheet=sheet,
        row=1 if sheet is None else None,
        column=missing[0],
    )


# ---------------------------------------------------------------------------- workbooks


def _read_xlsx(
    path: Path, name: str, required: Sequence[str], sheet_words: Sequence[str]
) -> tuple[RawTable | None, list[Issue]]:
    import openpyxl

    try:
        values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formula_book = openpyxl.load_workbook(path, read_only=True, data_only=False)
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
        return _find_data_sheet(values_book, formula_book, name, required, sheet_words)
    finally:
        values_book.close()
        formula_book.close()


def _find_data_sheet(
    values_book: Any,
    formula_book: Any,
    name: str,
    required: Sequence[str],
    sheet_words: Sequence[str],
) -> tuple[RawTable | None, list[Issue]]:
    best_seen: list[str] = []
    preferred = sorted(
        values_book.worksheets,
        key=lambda sheet: not any(w in header_key(sheet.title) for w in sheet_words),
    )
    for sheet in preferred:
        rows = list(sheet.iter_rows())
        for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
            keys = [header_key(c.value) if c.value is not None else "" for c in row]
            if all(r in keys for r in required):
                formula_rows = list(formula_book[sheet.title].iter_rows())
                return _sheet_table(rows, formula_rows, index, keys, name, sheet.title)
            if sum(r in keys for r in required) > sum(r in best_seen for r in required):
                best_seen = keys
    sheets = ", ".join(f"'{s.title}'" for s in values_book.worksheets)
    issue = _missing_headers(name, None, [r for r in required if r not in best_seen], best_seen)
    message = (
        f"No sheet has a header row with {', '.join(required)} (looked at the first "
        f"{_HEADER_SCAN_ROWS} rows of sheets {sheets}). " + issue.message
    )
    return None, [Issue("error", "xlsx.no_data_sheet", message, file=name, column=issue.column)]


def _sheet_table(
    rows: list[Any],
    formula_rows: list[Any],
    header_index: int,
    keys: list[str],
    name: str,
    sheet: str,
) -> tuple[RawTable | None, list[Issue]]:
    issues: list[Issue] = []
    used = [i for i, k in enumerate(keys) if k]
    duplicate = _duplicate_headers(keys, name, sheet, header_index + 1)
    if duplicate is not None:
        return None, [duplicate]
    records: list[list[object]] = []
    row_numbers: list[int] = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 1):
        cells = list(row)
        values: list[object] = []
        for i in used:
            cell = cells[i] if i < len(cells) else None
            values.append(_cell_value(cell, formula_rows, offset, i, keys[i], name, sheet, issues))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        records.append(values)
        row_numbers.append(offset + 1)
    frame = pd.DataFrame(records, columns=[keys[i] for i in used], dtype=object)
    return RawTable(frame, np.asarray(row_numbers, dtype=np.int64), name, sheet, typed=True), issues


def _cell_value(
    cell: Any,
    formula_rows: list[Any],
    row_index: int,
    col_index: int,
    column: str,
    name: str,
    sheet: str,
    issues: list[Issue],
) -> object:
    if cell is None or getattr(cell, "value", None) is None:
        formula = _formula_at(formula_rows, row_index, col_index)
        if formula is not None:
            issues.append(
                Issue(
                    "error",
                    "xlsx.formula_no_value",
                    f"Cell {_ref(row_index, col_index)} holds the formula '{formula}' with no "
                    "saved value (the file was written by a program that does not compute "
                    "formulas). Open the file in Excel and save it, or paste values only.",
                    file=name,
                    sheet=sheet,
                    row=row_index + 1,
                    column=column,
                    value=formula,
                )
            )
        return None
    value = cell.value
    if getattr(cell, "data_type", None) == "e" or (
        isinstance(value, str) and value in _EXCEL_ERRORS
    ):
        return ExcelError(str(value), _ref(row_index, col_index))
    if isinstance(value, dt.time | dt.timedelta):
        return (
            dt.datetime.combine(dt.date(1899, 12, 30), value)
            if isinstance(value, dt.time)
            else value
        )
    return value


def _formula_at(formula_rows: list[Any], row_index: int, col_index: int) -> str | None:
    if row_index >= len(formula_rows):
        return None
    cells = list(formula_rows[row_index])
    if col_index >= len(cells):
        return None
    value = getattr(cells[col_index], "value", None)
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


def _ref(row_index: int, col_index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col_index + 1)}{row_index + 1}"
