"""The score sheet's own checks: ids, totals rows, criteria, cells and scale.

:func:`sheet_marks` turns a raw score sheet (long or wide form) into
:class:`~scoring.ingest.marks.Marks`, reporting what is wrong with the sheet by itself;
:func:`scoring.ingest.scores.check_scores` then checks the marks against the candidates
and jurors. Work is done on the distinct values of each column and on integer codes.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.ingest.cells import ParsedMark, parse_mark, report_blanks, text_codes, totals_rows
from scoring.ingest.marks import Marks, key_dtype
from scoring.ingest.readers import RawTable, header_key
from scoring.ingest.textscan import totals_labels

__all__ = ["Report", "closest", "row_list", "sheet_issue", "sheet_marks"]

Report = Callable[[Issue], None]
"""Called with every issue found."""

_MARK_HINTS = {
    "not_number": "is not a number. Type a number on the criterion's scale, leave the cell "
    "blank, or write one of the 'not scored' tokens from event.toml ({tokens}).",
    "boolean": "is TRUE/FALSE, not a mark: the cell is probably formatted as a checkbox or "
    "a formula compares values. Type the number.",
    "date": "is a date: Excel turned the mark into a date (e.g. 7.5 -> 7 May). Format the "
    "column as Number and type the mark again.",
    "excel_error": "is an Excel error: a formula in this cell failed. Fix the formula or "
    "type the value.",
    "ambiguous": "reads two ways: {decimal} with a decimal comma, or {whole} with a "
    "thousands separator. Type the mark without a thousands separator (e.g. {decimal}).",
}


def closest(name: str, options: Iterable[str]) -> str | None:
    """Return the option most similar to ``name``, or None when nothing is close.

    Options that differ from ``name`` only in the ways ids get retyped come first: case,
    spaces, dashes, underscores, dots and leading zeros of a number (``AF 01`` is
    ``AF-01``, ``7`` is ``007``; see :func:`_loose_key`); among several, and otherwise,
    the most similar by :class:`difflib.SequenceMatcher` ratio (at least 0.5), ties to
    the first in sorted order.

    Examples
    --------
    >>> closest("inovation", ["innovation", "pitch"])
    'innovation'
    >>> closest("AF 01", ["LA-01", "AF-01"]), closest("7", ["P17", "007"])
    ('AF-01', '007')
    """
    ordered = sorted(options)
    key = _loose_key(name)
    same = [o for o in ordered if _loose_key(o) == key] if key else []
    if same:
        return max(same, key=lambda o: difflib.SequenceMatcher(None, name, o).ratio())
    match = difflib.get_close_matches(name, ordered, n=1, cutoff=0.5)
    return match[0] if match else None


_LOOSE_PUNCTUATION = re.compile(r"[\s\-_.]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


@functools.lru_cache(maxsize=1 << 16)
def _loose_key(text: str) -> str:
    """Return ``text`` case-folded without spaces, dashes, underscores or dots and with
    the leading zeros of each run of digits dropped: equal for ``AF 01``, ``af-1``.

    Examples
    --------
    >>> _loose_key("AF-01"), _loose_key(" af_1 "), _loose_key("007"), _loose_key("P.100")
    ('af1', 'af1', '7', 'p100')
    """
    return _LEADING_ZEROS.sub("", _LOOSE_PUNCTUATION.sub("", text.casefold()))


def sheet_marks(table: RawTable, config: EventConfig, report: Report) -> Marks | None:
    """Return the sheet's marks after its own checks, or None when the sheet is unusable.

    Ids are cleaned, totals rows skipped, criteria matched to the config (long form: the
    ``criterion`` column; wide form: one column per criterion), cells parsed as marks and
    marks outside a criterion's scale set to NaN. Every problem is reported; marks that
    were not given are NaN.

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> sheet = pd.DataFrame({"juror_id": ["J1", "J1"], "target_id": ["A1", "A2"],
    ...                       "criterion": "pitch", "score": [7, 11]})
    >>> found = []
    >>> marks = sheet_marks(RawTable(sheet, np.array([2, 3]), "s.csv", None, False), config,
    ...                     found.append)
    >>> marks.score.tolist(), [(i.code, i.row) for i in found]
    ([7.0, nan], [('score.out_of_scale', 3)])
    """
    keys = list(table.frame.columns)
    for needed in (col.JUROR_ID, col.TARGET_ID):
        if needed not in keys:
            report(
                sheet_issue(
                    table,
                    "error",
                    "columns.missing",
                    f"Required column '{needed}' not found in the score sheet.",
                    column=needed,
                )
            )
            return None
    long_form = col.CRITERION in keys or col.SCORE in keys
    juror_codes, jurors_seen = text_codes(table, col.JUROR_ID, report, is_id=True, required=False)
    target_codes, targets_seen = text_codes(
        table, col.TARGET_ID, report, is_id=True, required=False
    )
    coded = {col.JUROR_ID: (juror_codes, jurors_seen), col.TARGET_ID: (target_codes, targets_seen)}
    if totals_labels(jurors_seen).any() or totals_labels(targets_seen).any():
        incomplete = (juror_codes < 0) | (target_codes < 0)
        if col.CRITERION in keys:
            incomplete |= table.frame[col.CRITERION].isna().to_numpy()
        keep = ~totals_rows(table, coded, report, incomplete=incomplete)
        table = table.subset(keep)
        juror_codes, target_codes = juror_codes[keep], target_codes[keep]
    report_blanks(table, col.JUROR_ID, juror_codes, report)
    report_blanks(table, col.TARGET_ID, target_codes, report)
    parts = _long_marks(table, config, report) if long_form else _wide_marks(table, config, report)
    if parts is None:
        return None
    row_index, criterion_of, scores = parts
    if row_index is not None:  # wide form: one mark per row and criterion column
        juror_codes, target_codes = juror_codes[row_index], target_codes[row_index]
    names = np.array([c.name for c in config.criteria], dtype=object)
    # small codes: keys over (criterion, target, juror) fit in 32 bits for any real event
    kind = key_dtype((len(names) + 1) * (len(targets_seen) + 1) * (len(jurors_seen) + 1))
    marks = Marks(
        juror=juror_codes.astype(kind),
        target=target_codes.astype(kind),
        criterion=criterion_of.astype(kind),
        score=scores,
        row=table.rows if row_index is None else table.rows[row_index],
        jurors=jurors_seen,
        targets=targets_seen,
        names=names,
        columns=np.array([col.SCORE if long_form else header_key(n) for n in names], dtype=object),
    )
    if (
        min(juror_codes.min(initial=0), target_codes.min(initial=0), criterion_of.min(initial=0))
        < 0
    ):
        marks = marks.subset((juror_codes >= 0) & (target_codes >= 0) & (criterion_of >= 0))
    _out_of_scale(marks, config, table, report)
    return marks


def _parse_marks(table: RawTable, column: str, config: EventConfig, report: Report) -> np.ndarray:
    """Return the marks of one column as floats (NaN = no mark), reporting bad cells."""
    series = table.frame[column]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan, copy=True)  # marks get edited
    tokens = frozenset(t.casefold() for t in config.event.not_scored)
    raw = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    parsed = [
        parse_mark(u, not_scored=tokens, decimal_comma=table.decimal_comma or table.typed)
        for u in uniques
    ]
    values = np.append([p.value if p.kind == "number" else np.nan for p in parsed], np.nan)[codes]
    shown_tokens = ", ".join(f"'{t}'" for t in config.event.not_scored) or "none configured"
    _report_spaced_numbers(table, column, codes, uniques, parsed, report)
    for code, mark in enumerate(parsed):
        if mark.kind in ("number", "blank"):
            continue
        positions = np.flatnonzero(codes == code)
        value = str(uniques[code])
        if mark.kind == "not_scored":
            rows = table.rows[positions]
            report(
                sheet_issue(
                    table,
                    "warning",
                    "score.not_scored",
                    f"'{value}' read as 'not scored' in {len(rows)} cell(s) "
                    f"(rows {row_list(rows)}).",
                    row=int(rows[0]),
                    column=column,
                    value=value,
                )
            )
            continue
        severity_code = (
            "xlsx.error_cell"
            if mark.kind == "excel_error" and table.typed
            else (f"score.{mark.kind}")
        )
        hint = _MARK_HINTS[mark.kind].format(
            tokens=shown_tokens,
            decimal=value.strip().replace(",", "."),
            whole=value.strip().replace(",", ""),
        )
        for position in positions:
            cell = getattr(uniques[code], "cell", None)
            where = f"Cell {cell} " if cell else "The cell "
            report(
                sheet_issue(
                    table,
                    "error",
                    severity_code,
                    f"{where}{value!r} {hint}",
                    row=int(table.rows[position]),
                    column=column,
                    value=value,
                )
            )
    return values


def _report_spaced_numbers(
    table: RawTable,
    column: str,
    codes: np.ndarray,
    uniques: np.ndarray,
    parsed: Sequence[ParsedMark],
    report: Report,
) -> None:
    """Warn once per column about numbers typed with spaces (``' 5 '``, a no-break space
    after ``6``): they are read as the number, and the rows are listed."""
    spaced = [
        k
        for k, (u, mark) in enumerate(zip(uniques, parsed, strict=True))
        if mark.kind == "number" and isinstance(u, str) and any(c.isspace() for c in u)
    ]
    if not spaced:
        return
    positions = np.flatnonzero(np.isin(codes, spaced))
    rows = np.sort(table.rows[positions])
    first = int(positions[np.argmin(table.rows[positions])])
    value = str(uniques[codes[first]])
    report(
        sheet_issue(
            table,
            "warning",
            "text.normalised",
            f"{len(rows)} mark(s) were typed with spaces around or inside the number, which "
            f"were removed (rows {row_list(rows)}; e.g. {value!r} -> "
            f"{parsed[codes[first]].value:g}).",
            row=int(rows[0]),
            column=column,
            value=value,
        )
    )


def _long_marks(
    table: RawTable, config: EventConfig, report: Report
) -> tuple[None, np.ndarray, np.ndarray] | None:
    for needed in (col.CRITERION, col.SCORE):
        if needed not in table.frame:
            report(
                sheet_issue(
                    table,
                    "error",
                    "columns.missing",
                    f"Required column '{needed}' not found: a long-form score sheet has "
                    "juror_id, target_id, criterion, score.",
                    column=needed,
                )
            )
            return None
    extra = [
        c
        for c in table.frame.columns
        if c not in (col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE)
    ]
    if extra:
        report(
            sheet_issue(
                table,
                "warning",
                "columns.ignored",
                f"Column(s) {', '.join(extra)} are not used and were ignored.",
                row=1,
                column=extra[0],
            )
        )
    codes, seen = text_codes(table, col.CRITERION, report, is_id=False, required=True)
    names = [c.name for c in config.criteria]
    index = {name: i for i, name in enumerate(names)}
    mapping = np.full(len(seen) + 1, -1, dtype=np.int32)  # criterion indices are small
    for code, value in enumerate(seen):
        if value in index:
            mapping[code] = index[value]
            continue
        positions = np.flatnonzero(codes == code)
        guess = closest(str(value), names)
        hint = (
            f" Did you mean '{guess}'? ({_difference(str(value), guess)})"
            if guess
            else f" Criteria in event.toml: {', '.join(names)}."
        )
        report(
            sheet_issue(
                table,
                "error",
                "criteria.unknown",
                f"Criterion '{value}' is not in event.toml ({len(positions)} mark(s), rows "
                f"{row_list(table.rows[positions])}).{hint}",
                row=int(table.rows[positions[0]]),
                column=col.CRITERION,
                value=str(value),
            )
        )
    marks = _parse_marks(table, col.SCORE, config, report)
    return None, mapping[codes], marks


def _difference(got: str, expected: str) -> str:
    return f"sheet has '{got}', event.toml has '{expected}'"


def _wide_marks(
    table: RawTable, config: EventConfig, report: Report
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    by_key = {header_key(c.name): i for i, c in enumerate(config.criteria)}
    other = [c for c in table.frame.columns if c not in (col.JUROR_ID, col.TARGET_ID)]
    present = [c for c in other if c in by_key]
    unmatched = [c for c in other if c not in by_key]
    missing = [c.name for c in config.criteria if header_key(c.name) not in present]
    ignored: list[str] = []
    for column in unmatched:
        guess = closest(column, [header_key(m) for m in missing])
        if guess is not None:
            name = config.criteria[by_key[guess]].name
            report(
                sheet_issue(
                    table,
                    "error",
                    "criteria.unknown",
                    f"Column '{column}' is not a criterion in event.toml. Did you mean "
                    f"'{name}'? ({_difference(column, name)})",
                    row=1,
                    column=column,
                    value=column,
                )
            )
        else:
            ignored.append(column)
    if ignored:
        report(
            sheet_issue(
                table,
                "warning",
                "columns.ignored",
                f"Column(s) {', '.join(ignored)} are not criteria and were ignored.",
                row=1,
                column=ignored[0],
            )
        )
    for name in missing:
        report(
            sheet_issue(
                table,
                "error",
                "criteria.missing",
                f"Criterion '{name}' from event.toml has no column in the score sheet "
                f"(columns: {', '.join(other) or 'none'}). Add the column or remove the "
                "criterion.",
                row=1,
                column=name,
            )
        )
    if not present:
        return None
    n_rows = len(table.frame)
    row_index = np.tile(np.arange(n_rows), len(present))
    criterion_of = np.repeat([by_key[c] for c in present], n_rows).astype(np.int64)
    marks = np.concatenate([_parse_marks(table, c, config, report) for c in present])
    return row_index, criterion_of, marks


def _out_of_scale(marks: Marks, config: EventConfig, table: RawTable, report: Report) -> None:
    scales = {(c.min, c.max) for c in config.criteria}
    if len(scales) == 1:  # one scale for every criterion: no per-mark lookup
        ((low, high),) = scales
        bad = (marks.score < low) | (marks.score > high)
    else:
        lows = np.array([c.min for c in config.criteria])[marks.criterion]
        highs = np.array([c.max for c in config.criteria])[marks.criterion]
        bad = (marks.score < lows) | (marks.score > highs)
    for position in np.flatnonzero(bad):
        juror, target, c, row, column = marks.where(int(position))
        criterion = config.criteria[c]
        score = float(marks.score[position])
        value = f"{score:g}"
        side = "below" if score < criterion.min else "above"
        report(
            sheet_issue(
                table,
                "error",
                "score.out_of_scale",
                f"Score {value} from juror '{juror}' for '{target}' on '{criterion.name}' is "
                f"{side} the scale {criterion.min:g}-{criterion.max:g}. Correct the mark (or "
                "the scale in event.toml).",
                row=row,
                column=column,
                value=value,
            )
        )
    marks.score[bad] = np.nan


def sheet_issue(table: RawTable, severity: str, code: str, message: str, **where: object) -> Issue:
    """Return an issue located in ``table``'s file and sheet (``where``: row, column, value).

    Examples
    --------
    >>> t = RawTable(pd.DataFrame(), np.array([], dtype=int), "scores.csv", None, False)
    >>> sheet_issue(t, "error", "score.empty", "No marks.", row=2).file
    'scores.csv'
    """
    return Issue(severity, code, message, file=table.file, sheet=table.sheet, **where)  # type: ignore[arg-type]


def row_list(rows: np.ndarray, limit: int = 10) -> str:
    """Show spreadsheet rows for a message, at most ``limit`` of them.

    Examples
    --------
    >>> row_list(np.arange(2, 15), limit=3)
    '2, 3, 4 and 10 more'
    """
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
