"""The raw table every reader returns, and what the text and workbook readers share.

A :class:`RawTable` keeps every cell as the user wrote it (text files: ``str``; workbooks:
typed values, :class:`ExcelError` for an error cell) with the spreadsheet row of every
record (header = row 1) and the :class:`~scoring.event.Dialect` the file was read with.
:func:`header_key` is how a header cell is compared with the expected names, and
:func:`duplicate_headers` and :func:`missing_headers` are the header errors both readers
raise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scoring.errors import Issue
from scoring.event import FRAME_DIALECT, Dialect

__all__ = [
    "EXCEL_ERRORS",
    "HEADER_SCAN_ROWS",
    "ExcelError",
    "RawTable",
    "duplicate_headers",
    "header_key",
    "missing_headers",
]

HEADER_SCAN_ROWS = 50
"""How many rows at the top of a file or sheet are searched for the header row."""
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


def duplicate_headers(keys: Sequence[str], name: str, sheet: str | None, row: int) -> Issue | None:
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


def missing_headers(
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
