"""Cell-level parsing shared by every table: text, ids, booleans and marks.

Each function looks at one cell value as read (text from CSV, typed values from XLSX or a
DataFrame) and returns the clean value or the reason it cannot be used. The table-level
checks in :mod:`scoring.ingest.validate` apply them to the distinct values of a column only, which
keeps validation fast on large score sheets.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scoring.errors import Issue
from scoring.ingest.readers import EXCEL_ERRORS, ExcelError, RawTable
from scoring.ingest.textscan import (
    ASCII_KEY,
    INVISIBLE,
    MOJIBAKE,
    SPACES,
    TOTALS_WORDS,
    clean_distinct,
    distinct,
    is_totals_label,
    totals_labels,
)

__all__ = [
    "TOTALS_WORDS",
    "ParsedMark",
    "clean_text",
    "fix_id",
    "is_totals_label",
    "looks_garbled",
    "near_duplicate_key",
    "parse_bool",
    "parse_mark",
    "report_blanks",
    "text_codes",
    "text_column",
    "totals_labels",
    "totals_rows",
]

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]\d{2,}$")  # as Excel shows it
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")
_HOMOGLYPHS = str.maketrans("асеорхуікјАВСЕНКМОРТХІЈ", "aceopxyikjABCEHKMOPTXIJ")
_TRUE = frozenset({"true", "yes", "y", "1", "да", "истина", "oui", "sí", "si", "x", "+"})
_FALSE = frozenset({"false", "no", "n", "0", "нет", "ложь", "non"})
_BOOL_WORDS = frozenset({"true", "false", "истина", "ложь", "да", "нет", "yes", "no"})
# Excel's "CSV" export in cp1251 writes '?' for every letter cp1251 lacks: a '?' between
# letters ("Gon?alves") or a run of them not after a letter ("?????", "Li ???"). A '?'
# ending a word ("Really?", "What??") is punctuation.
_LOST_LETTERS = re.compile(r"[^\W\d_]\?+[^\W\d_]|(?<![^\W\d_?])\?{2,}")
_DATE = re.compile(
    r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
    r"|^\d{1,2}[.\- ]?(?:янв|фев|мар|апр|мая|май|июн|июл|авг|сен|окт|ноя|дек|jan|feb|mar|apr|may"
    r"|jun|jul|aug|sep|oct|nov|dec)",
    re.IGNORECASE,
)


def clean_text(value: object) -> str | None:
    """Return ``value`` as NFC text with Unicode spaces folded and ends trimmed.

    Missing values and blank text give None. Numbers from a workbook become their plain
    text (``12`` for ``12`` or ``12.0``).

    Examples
    --------
    >>> clean_text("\\u00a0Jose\\u0301  Ruiz\\u200b ")
    'José Ruiz'
    >>> clean_text(12.0), clean_text(None), clean_text("  ")
    ('12', None, None)
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, np.floating):
        return clean_text(float(value))
    text = str(value)
    if text.isascii():  # fast path: NFC and the Unicode spaces cannot occur
        return " ".join(text.split()) or None
    text = unicodedata.normalize("NFC", text)
    text = INVISIBLE.sub("", text)
    text = SPACES.sub(" ", text).strip()
    return text or None


def fix_id(text: str) -> tuple[str, Literal["ok", "excel_number", "scientific"]]:
    """Repair an id that Excel turned into a number, or say it cannot be repaired.

    ``"12.0"`` becomes ``"12"`` (``"excel_number"``); ``"1.23E+15"`` has lost digits for
    good (``"scientific"``); anything else is returned unchanged (``"ok"``).

    Examples
    --------
    >>> fix_id("12.0"), fix_id("1.23E+15"), fix_id("A-07")
    (('12', 'excel_number'), ('1.23E+15', 'scientific'), ('A-07', 'ok'))
    """
    if _SCIENTIFIC.match(text):
        return text, "scientific"
    match = _INTEGRAL_FLOAT.match(text)
    if match:
        return match.group(1), "excel_number"
    return text, "ok"


def looks_garbled(text: str) -> bool:
    """Return True when ``text`` carries a typical mojibake signature.

    Examples
    --------
    >>> looks_garbled("РџСЂРёРІРµС‚"), looks_garbled("JosÃ©"), looks_garbled("Сёмин Работа")
    (True, True, False)
    """
    return not text.isascii() and bool(MOJIBAKE.search(text))


def near_duplicate_key(text: str) -> str:
    """Return a key equal for texts a person would read as the same.

    Case, accents, spaces, punctuation and Latin/Cyrillic look-alike letters are ignored.

    Examples
    --------
    >>> near_duplicate_key("José  Ruiz") == near_duplicate_key("jose ruiz")
    True
    >>> near_duplicate_key("A1") == near_duplicate_key("А1")  # Cyrillic А
    True
    """
    if text.isascii():
        return text.translate(ASCII_KEY)
    decomposed = unicodedata.normalize("NFKD", text.translate(_HOMOGLYPHS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in stripped.casefold() if ch.isalnum())


def parse_bool(value: object) -> bool | None:
    """Return the truth value of a cell, or None when it is not a recognisable boolean.

    Blank cells are True: ``eligible`` defaults to eligible.

    Examples
    --------
    >>> parse_bool("да"), parse_bool("FALSE"), parse_bool(None), parse_bool("maybe")
    (True, False, True, None)
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = clean_text(value)
    if text is None:
        return True
    key = text.casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


MarkKind = Literal[
    "number", "blank", "not_scored", "boolean", "date", "excel_error", "not_number", "ambiguous"
]


@dataclass(frozen=True, slots=True)
class ParsedMark:
    """What a score cell holds: ``kind`` and, for ``"number"``, its ``value``."""

    kind: MarkKind
    value: float = math.nan


_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3},[0-9]{3}")
"""A number that reads two ways where the comma is the decimal mark: ``1,234``."""


def parse_mark(value: object, *, not_scored: frozenset[str], decimal_comma: bool) -> ParsedMark:
    """Classify one score cell.

    Parameters
    ----------
    value
        The cell as read.
    not_scored
        Case-folded tokens meaning "not scored".
    decimal_comma
        Accept ``7,5`` as 7.5 (files separated by ``;`` or tab, and workbooks).

    Examples
    --------
    >>> tokens = frozenset({"н/я", "n/a", "-"})
    >>> parse_mark("7,5", not_scored=tokens, decimal_comma=True)
    ParsedMark(kind='number', value=7.5)
    >>> parse_mark("Н/Я", not_scored=tokens, decimal_comma=True).kind
    'not_scored'
    >>> parse_mark("0", not_scored=tokens, decimal_comma=False).value
    0.0
    >>> parse_mark("ИСТИНА", not_scored=tokens, decimal_comma=False).kind
    'boolean'
    """
    if value is None:
        return ParsedMark("blank")
    if isinstance(value, ExcelError):
        return ParsedMark("excel_error")
    if isinstance(value, bool | np.bool_):
        return ParsedMark("boolean")
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return ParsedMark("date")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return ParsedMark("blank") if math.isnan(number) else ParsedMark("number", number)
    text = clean_text(value)
    if text is None:
        return ParsedMark("blank")
    if text.casefold() in not_scored:
        return ParsedMark("not_scored")
    candidate = text.replace(" ", "")
    if decimal_comma and _THOUSANDS.match(candidate):
        return ParsedMark("ambiguous")  # 1,234: a decimal comma, or a thousands separator?
    if decimal_comma and candidate.count(",") == 1 and "." not in candidate:
        candidate = candidate.replace(",", ".")
    try:
        number = float(candidate)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        return ParsedMark("number", number)
    if text.startswith("#"):
        return ParsedMark("excel_error")
    if text.casefold() in _BOOL_WORDS:
        return ParsedMark("boolean")
    if _DATE.match(text):
        return ParsedMark("date")
    return ParsedMark("not_number")


def text_column(
    table: RawTable,
    column: str,
    report: Callable[[Issue], None],
    *,
    is_id: bool,
    required: bool,
) -> np.ndarray:
    """Clean one text column of ``table`` on its distinct values.

    Applies :func:`clean_text` (and, for ids, :func:`fix_id`) to each distinct value,
    reporting repaired or unusable ids, garbled text (kept exactly as read), Excel error
    values, letters lost to '?' in a cp1251 (or plain ASCII) text file, unusual spaces
    and, when ``required``, blank cells.

    Returns
    -------
    numpy.ndarray
        Object array aligned with the table's rows; None marks a blank cell.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.ingest.readers import RawTable
    >>> t = RawTable(pd.DataFrame({"id": [" A1", "12.0"]}), np.array([2, 3]), "f.csv", None, False)
    >>> found = []
    >>> text_column(t, "id", found.append, is_id=True, required=True).tolist()
    ['A1', '12']
    >>> [i.code for i in found]
    ['id.excel_number']
    """
    codes, uniques = text_codes(table, column, report, is_id=is_id, required=required)
    return np.append(uniques.astype(object), np.array([None], dtype=object))[codes]


def text_codes(
    table: RawTable,
    column: str,
    report: Callable[[Issue], None],
    *,
    is_id: bool,
    required: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Clean one text column like :func:`text_column`, returned as codes and distinct texts.

    Returns
    -------
    codes, uniques
        ``uniques[codes[i]]`` is row ``i``'s clean text; ``codes[i] == -1`` marks a blank.
        ``uniques`` holds distinct texts (two raw spellings that clean to the same text
        share one code). ``codes`` are signed integers, as narrow as a categorical
        column's codes (so a million-row column is not widened).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.ingest.readers import RawTable
    >>> t = RawTable(pd.DataFrame({"g": ["Asia", " Asia", None]}), np.array([2, 3, 4]),
    ...              "f.csv", None, False)
    >>> codes, uniques = text_codes(t, "g", lambda issue: None, is_id=False, required=False)
    >>> codes.tolist(), uniques.tolist()
    ([0, 0, -1], ['Asia'])
    """
    codes, uniques = distinct(table.frame[column])
    cleaned, special, changed_mask = clean_distinct(uniques, is_id=is_id)
    changed = np.flatnonzero(changed_mask).tolist()
    for code in np.flatnonzero(special).tolist():
        value = uniques[code]
        text = _id_text(value) if is_id else clean_text(value)
        if isinstance(value, str) and (
            looks_garbled(value) or (text is not None and looks_garbled(text))
        ):
            # Kept exactly as read: cleaning would delete the soft hyphen that "í" becomes
            # ("LuГ\u00adza"), and with it what a person needs to repair the text.
            report(
                Issue(
                    "warning",
                    "text.mojibake",
                    f"'{value}' looks garbled, as if the file was saved in one encoding and "
                    "read in another; it is kept exactly as read. Save the file as UTF-8 "
                    "('CSV UTF-8') or .xlsx from the original and check the text.",
                    file=table.file,
                    sheet=table.sheet,
                    row=_first_row(table, codes, code),
                    column=column,
                    value=value,
                )
            )
            cleaned[code] = value
            continue
        if text is not None and isinstance(value, str) and text != value.strip():
            changed.append(code)  # leading/trailing spaces alone are not reported
        if text is not None and is_id:
            fixed, verdict = fix_id(text)
            if verdict != "ok":
                _report_id(table, column, codes, code, value, text, fixed, verdict, report)
            text = fixed
        cleaned[code] = text
    every = "\n".join(cleaned[pd.notna(cleaned)].tolist())  # one text to look for # and ?
    if "#" in every:
        _report_excel_errors(table, column, codes, uniques, cleaned, report)
    dialect = table.dialect
    if (
        "?" in every
        and dialect.format == "text"
        and (dialect.encoding == "cp1251" or every.isascii())
    ):
        _report_lost_letters(table, column, codes, cleaned, report)
    if changed:
        code = min(changed)
        value = uniques[code]
        report(
            Issue(
                "warning",
                "text.normalised",
                f"{len(changed)} value(s) had unusual spaces, invisible characters or "
                f"non-standard Unicode forms and were normalised (e.g. {value!r} -> "
                f"{cleaned[code]!r}).",
                file=table.file,
                sheet=table.sheet,
                row=_first_row(table, codes, code),
                column=column,
                value=value,
            )
        )
    if len(cleaned) and bool((cleaned == uniques).all()):
        final, clean_uniques = codes, cleaned  # cleaning changed nothing: the codes stand
    else:
        clean_codes, clean_uniques = pd.factorize(cleaned, use_na_sentinel=True)
        final = np.append(clean_codes, -1)[codes]
    if required:
        report_blanks(table, column, final, report)
    if final.dtype.kind != "i":
        final = final.astype(np.int64)
    return final, np.asarray(clean_uniques, dtype=object)


def _report_excel_errors(
    table: RawTable,
    column: str,
    codes: np.ndarray,
    uniques: np.ndarray,
    cleaned: np.ndarray,
    report: Callable[[Issue], None],
) -> None:
    """Report every distinct text that is an Excel error value (``#REF!``, ``#N/A``): a
    formula that failed, never a name or an id. A workbook's error cell is named by its
    reference."""
    texts = cleaned.tolist()
    for code in [i for i, text in enumerate(texts) if text in EXCEL_ERRORS]:
        value = uniques[code]
        for position in np.flatnonzero(codes == code):
            row = int(table.rows[position])
            if isinstance(value, ExcelError):
                issue_code, where = "xlsx.error_cell", f"Cell {value.cell} holds"
            else:
                issue_code, where = "text.excel_error", "The cell holds"
            report(
                Issue(
                    "error",
                    issue_code,
                    f"{where} the Excel error {texts[code]}: the formula that should fill it "
                    "failed. Fix the formula in Excel (or type the value), save, and export "
                    "again.",
                    file=table.file,
                    sheet=table.sheet,
                    row=row,
                    column=column,
                    value=texts[code],
                )
            )


def _report_lost_letters(
    table: RawTable,
    column: str,
    codes: np.ndarray,
    cleaned: np.ndarray,
    report: Callable[[Issue], None],
) -> None:
    """Warn once per distinct text where '?' stands for letters Excel's cp1251 "CSV" export
    could not write: in a text file read as cp1251, or in a column of plain ASCII text
    (such an export of Latin names holds no byte that tells cp1251 from UTF-8). A column
    of a UTF-8 file that holds other letters was written by a program that keeps them."""
    for code, value in enumerate(cleaned.tolist()):
        if not isinstance(value, str) or "?" not in value or not _LOST_LETTERS.search(value):
            continue
        report(
            Issue(
                "warning",
                "text.question_marks",
                f"'{value}' has '?' where letters should be: Excel's 'CSV' export in "
                "Windows Cyrillic (cp1251) writes '?' for every letter that encoding cannot "
                "hold, so those letters are lost in this file. Save the sheet again as an "
                "Excel Workbook (.xlsx) or as 'CSV UTF-8', point event.toml to it and "
                "check the name.",
                file=table.file,
                sheet=table.sheet,
                row=_first_row(table, codes, code),
                column=column,
                value=value,
            )
        )


def _report_id(
    table: RawTable,
    column: str,
    codes: np.ndarray,
    code: int,
    value: object,
    text: str,
    fixed: str,
    verdict: str,
    report: Callable[[Issue], None],
) -> None:
    row = _first_row(table, codes, code)
    if verdict == "excel_number":
        report(
            Issue(
                "warning",
                "id.excel_number",
                f"Id '{text}' looks like a number Excel formatted; read as "
                f"'{fixed}'. Format the column as Text to keep ids as written.",
                file=table.file,
                sheet=table.sheet,
                row=row,
                column=column,
                value=str(value),
            )
        )
    else:
        report(
            Issue(
                "error",
                "id.scientific",
                f"Id '{text}' was turned into scientific notation by Excel and "
                "its digits are lost. Format the column as Text and type the ids "
                "again (or export from the source system as text).",
                file=table.file,
                sheet=table.sheet,
                row=row,
                column=column,
                value=str(value),
            )
        )


def _id_text(value: object) -> str | None:
    if isinstance(value, float) and not np.isnan(value):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else f"{value:.1f}"
    return clean_text(value)


def _first_row(table: RawTable, codes: np.ndarray, code: int) -> int:
    return int(table.rows[int(np.argmax(codes == code))])


def totals_rows(
    table: RawTable,
    coded: dict[str, tuple[np.ndarray, np.ndarray]],
    report: Callable[[Issue], None],
    *,
    incomplete: np.ndarray,
) -> np.ndarray:
    """Return a mask of totals rows, from columns already split into codes and distinct texts.

    A totals row holds a label such as ``Итого`` or ``Total`` in one of the ``coded``
    columns and is ``incomplete`` (another key cell is blank), so a candidate really called
    "Total" with a group is kept. ``coded`` maps a column name to its ``(codes, uniques)``
    from :func:`text_codes`; each totals row is reported once as a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> t = RawTable(pd.DataFrame({"id": ["A1", "Итого"]}), np.array([2, 3]), "f.csv", None,
    ...              False)
    >>> coded = {"id": (np.array([0, 1]), np.array(["A1", "Итого"], dtype=object))}
    >>> totals_rows(t, coded, lambda issue: None, incomplete=np.array([False, True])).tolist()
    [False, True]
    """
    totals = np.zeros(len(table.frame), dtype=bool)
    for column, (codes, uniques) in coded.items():
        flags = np.append(totals_labels(uniques), False)
        hit = flags[codes] & incomplete
        for position in np.flatnonzero(hit & ~totals):
            report(
                Issue(
                    "warning",
                    "text.totals_row",
                    "Totals row skipped: it holds no data.",
                    file=table.file,
                    sheet=table.sheet,
                    row=int(table.rows[position]),
                    column=column,
                    value=str(uniques[codes[position]]),
                )
            )
        totals |= hit
    return totals


def report_blanks(
    table: RawTable, column: str, codes: np.ndarray, report: Callable[[Issue], None]
) -> None:
    """Report every blank cell (``codes == -1``) of a required column as an error.

    Examples
    --------
    >>> import pandas as pd
    >>> t = RawTable(pd.DataFrame({"id": ["A1", None]}), np.array([2, 3]), "f.csv", None, False)
    >>> found = []
    >>> report_blanks(t, "id", np.array([0, -1]), found.append)
    >>> found[0].row, found[0].code
    (3, 'id.missing')
    """
    for position in np.flatnonzero(codes < 0):
        report(
            Issue(
                "error",
                "id.missing",
                f"'{column}' is blank. Fill it in or delete the row.",
                file=table.file,
                sheet=table.sheet,
                row=int(table.rows[position]),
                column=column,
            )
        )
