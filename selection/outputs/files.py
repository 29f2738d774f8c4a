"""Safe, deterministic file writing: CSV, text and JSON (workbooks: :mod:`~selection.outputs.xlsx`).

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
  ``-``, ``@``, tab, CR or LF is prefixed with ``'`` in CSV (a workbook stores text as
  text, never as a formula).

Writing problems raise :class:`OutputError` with the path and what to do.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import PitchJuryError

__all__ = [
    "FORMULA_PREFIXES",
    "OutputError",
    "atomic_write",
    "create_file",
    "csv_bytes",
    "json_bytes",
    "neutralise",
    "write_failure",
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

    Floats are rounded to 6 decimals and written with 6 significant digits; risky text
    cells are neutralised; missing values are empty cells; line ends are ``\\n``. The
    bytes are those of pandas' ``to_csv`` (:func:`_pandas_csv_text`); the usual columns
    (numpy numbers and booleans, text, pandas' nullable integers and booleans) are turned
    into text a column at a time, each distinct value once, and written by :mod:`csv`.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"name": ["=1+1", "Zoë"], "merit": [1 / 3, None]}))
    b"\\xef\\xbb\\xbfname,merit\\n'=1+1,0.333333\\nZo\\xc3\\xab,\\n"
    """
    columns = _csv_columns(frame)
    if columns is None:
        text = _pandas_csv_text(frame)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")  # quoting as pandas quotes
        writer.writerow(frame.columns.tolist())
        writer.writerows(zip(*columns, strict=True))
        text = buffer.getvalue()
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _pandas_csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text by pandas (floats rounded, risky text neutralised)."""
    safe = _rounded(frame)
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column.dtype):
            continue
        # Each distinct value is looked at once; most columns hold no risky text at all.
        risky = [v for v in pd.unique(column.to_numpy(dtype=object)) if neutralise(v) is not v]
        if risky:
            mask = column.isin(risky).to_numpy()
            changed = column.astype(object)
            changed[mask] = [neutralise(v) for v in changed[mask]]
            if isinstance(column.dtype, pd.StringDtype):
                changed = changed.astype(column.dtype)
            safe.isetitem(position, changed.array)  # other kinds of text stay objects
    return safe.to_csv(index=False, lineterminator="\n", float_format=_FLOAT_FORMAT)


_FLOAT_FORMAT = f"%.{_DECIMALS}g"


def _csv_columns(frame: pd.DataFrame) -> list[list[str]] | None:
    """The cells of ``frame`` as the text pandas writes for them, a list per column;
    ``None`` when a column is of a kind left to pandas (dates, categories, objects that
    are not text) or a label is not text."""
    if not frame.shape[1] or not all(type(label) is str for label in frame.columns):
        return None
    out = []
    for position in range(frame.shape[1]):
        texts = _csv_texts(frame.iloc[:, position])
        if texts is None:
            return None
        out.append(texts)
    return out


def _csv_texts(column: pd.Series) -> list[str] | None:
    """One column's cells as pandas writes them (see :func:`_csv_columns`)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = _round(column).to_numpy()
        distinct, inverse = np.unique(values, return_inverse=True)
        texts = np.array(
            ["" if v != v else _FLOAT_FORMAT % v for v in distinct.tolist()], dtype=object
        )[inverse]
        zero = values == 0  # 0.0 and -0.0 are one value to np.unique, not to the format
        texts[zero & np.signbit(values)] = _FLOAT_FORMAT % -0.0
        texts[zero & ~np.signbit(values)] = _FLOAT_FORMAT % 0.0
        return list(texts.tolist())
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return [str(v) for v in column.tolist()]
    if isinstance(dtype, pd.Int64Dtype | pd.BooleanDtype) or (
        isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and getattr(dtype, "kind", "") in "iu"
        and not isinstance(dtype, pd.StringDtype)
    ):
        values = column.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
        return ["" if v is None else str(v) for v in values]
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        values = column.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
        if not set(map(type, values)) <= {str, type(None)}:
            return None
        shown = {v: "" if v is None else str(neutralise(v)) for v in dict.fromkeys(values)}
        return [shown[v] for v in values]
    return None


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
