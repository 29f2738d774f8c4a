"""Safe, deterministic file writing: CSV, XLSX, text and JSON.

Every writer

- writes atomically (a temporary file in the same folder, then ``os.replace``), so a
  reader never sees half a file and a failed run leaves the old file in place;
- produces the same bytes for the same data (fixed float formatting, ``\\n`` line ends,
  fixed timestamps inside workbooks);
- defends spreadsheets against formula injection: a text cell starting with ``=``, ``+``,
  ``-``, ``@``, tab, CR or LF is written as text in XLSX and prefixed with ``'`` in CSV.

Writing problems raise :class:`OutputError` with the path and what to do.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import PitchJuryError
from scoring.frames import plain_value
from selection.outputs.xlsx import Sheet, workbook_bytes

__all__ = [
    "FORMULA_PREFIXES",
    "OutputError",
    "atomic_write",
    "csv_bytes",
    "json_bytes",
    "neutralise",
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


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            out[column] = out[column].round(_DECIMALS)
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


def xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], *, readme: Sequence[tuple[str, str]] = ()
) -> bytes:
    """Return a workbook with one sheet per frame, plus a first sheet explaining them.

    The first sheet, "About", has the columns ``sheet`` and ``what it holds`` (widths 22 and 100);
    then one sheet per frame, its header row bold and frozen. Values go through :func:`plain_value`
    (missing values are empty cells); floats are rounded to 6 decimals and infinities written as the
    text ``inf``/``-inf``; text is always stored as text, never as a formula. The bytes depend only
    on the data (see :mod:`selection.outputs.xlsx`, which writes the workbook without openpyxl).

    Parameters
    ----------
    sheets
        Sheet name to frame. Names are cut to 31 characters; characters Excel refuses in a
        sheet name become ``_`` and names that clash (ignoring case, "About" included) get
        ``~2``, ``~3``, ... (see :func:`selection.outputs.xlsx.sheet_titles`).
    readme
        ``(title, text)`` rows of the first sheet, "About".

    Examples
    --------
    >>> import io, openpyxl
    >>> data = xlsx_bytes({"people": pd.DataFrame({"name": ["=cmd|' /C calc'!A0"]})},
    ...                   readme=[("people", "one row per person")])
    >>> book = openpyxl.load_workbook(io.BytesIO(data))
    >>> book.sheetnames, book["people"]["A2"].data_type, book["people"]["A2"].value
    (['About', 'people'], 's', "=cmd|' /C calc'!A0")
    """
    about = Sheet(
        "About",
        ["sheet", "what it holds"],
        [[title, text] for title, text in readme],
        widths=(22, 100),
        freeze_header=False,
    )
    data = [
        Sheet(name[:31], [str(column) for column in frame.columns], _plain_rows(frame))
        for name, frame in sheets.items()
    ]
    return workbook_bytes([about, *data])


def _plain_rows(frame: pd.DataFrame) -> Iterator[tuple[object, ...]]:
    """Yield the rows of ``frame`` as :func:`plain_value` values, floats rounded as
    :func:`_rounded` rounds them (built column by column: far faster than row by row)."""
    columns = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            column = column.round(_DECIMALS)
        columns.append([plain_value(value) for value in column.tolist()])
    if not columns:  # no columns: one empty row per row, as the frame has
        yield from (() for _ in range(len(frame)))
    yield from zip(*columns, strict=True)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic replace.

    Raises
    ------
    OutputError
        When the folder is read-only, the file is locked (open in Excel) or the disk is
        full; the message names the path and what to do.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", b"hello")
    >>> (folder / "a.txt").read_bytes()
    b'hello'
    """
    handle, temporary = None, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            handle = None
            stream.write(data)
        os.replace(temporary, path)
        temporary = None
    except PermissionError as exc:
        raise OutputError(
            f"Cannot write {path}: permission denied. If the file is open (in Excel, say), "
            "close it; otherwise choose a folder you can write to with --out."
        ) from exc
    except OSError as exc:
        raise OutputError(
            f"Cannot write {path}: {exc.strerror or exc}. Choose another folder with --out."
        ) from exc
    finally:
        if handle is not None:
            os.close(handle)
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
