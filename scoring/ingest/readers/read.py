"""Read one input file: find out what it really is, then hand it to its reader.

:func:`read_table` detects a file's real type from its bytes, not its name (a lock file,
an old ``.xls``, an encrypted workbook, an OpenDocument or Numbers file, a CSV named
``.xlsx``: each is an error that says what to do) and reads a text file with
:mod:`~scoring.ingest.readers.text` and a workbook with
:mod:`~scoring.ingest.readers.workbook`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from scoring.errors import Issue
from scoring.ingest.readers.table import RawTable
from scoring.ingest.readers.text import read_text
from scoring.ingest.readers.workbook import SheetChoice, read_workbook

__all__ = ["TEXT_SUFFIXES", "XLSX_SUFFIXES", "read_table"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # the stream of a password-protected book


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
        Header keys (see :func:`~scoring.ingest.readers.table.header_key`) that identify
        the data sheet and header row.
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
        choice = SheetChoice(sheet, sheet_key, tuple(sheet_words))
        return read_workbook(path, name, required, choice, tuple(fill_merged))
    return read_text(path, name, required, numeric, categorical, expected or {})


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
