"""Read a text file (CSV, TSV or TXT) into a :class:`~scoring.ingest.readers.table.RawTable`.

The encoding (UTF-8 with or without BOM, UTF-16 with BOM, else cp1251), the header row
(title lines above it are skipped) and the separator (tab, ``;`` or ``,``: the one that
splits the header into the expected names) are found from the file's first 64 KiB; the
cells are parsed by pandas' C reader and kept as text. Rows with the wrong number of
fields are located afterwards, on the slow path that runs only for a broken file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import Issue
from scoring.event import Dialect
from scoring.ingest.readers.table import (
    HEADER_SCAN_ROWS,
    RawTable,
    duplicate_headers,
    header_key,
    missing_headers,
)
from scoring.ingest.textscan import distinct

__all__ = ["read_text"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends pandas' C reader splits on
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


def read_text(
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
        return None, [missing_headers(name, None, missing, header, row=skip + 1)]
    duplicate = duplicate_headers(keys, name, None, skip + 1)
    if duplicate is not None:
        return None, [duplicate]
    decimal_comma = sep != ","
    dtypes: dict[str, Any] = {h: object for h, k in zip(header, keys, strict=True)}
    for h, k in zip(header, keys, strict=True):
        if k in numeric:
            # Let the C parser try numbers; text falls back to object. With a decimal comma
            # the marks stay text, so that one that reads two ways (1,234) is caught.
            dtypes[h] = object if decimal_comma else None
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
    for index, line in enumerate(lines[:HEADER_SCAN_ROWS]):
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
