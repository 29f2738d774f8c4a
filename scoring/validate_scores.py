"""Check the score sheet (long or wide form) and return the clean long score table.

Called by :func:`scoring.validate.validate_tables`; see :data:`scoring.validate.ISSUE_CODES`
for the codes reported here. Work is done on the distinct values of each column and on
integer codes, so a sheet of a million marks validates in about the time it takes to read.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.cells import parse_mark, report_blanks, text_codes, totals_rows
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.marks import Marks, clean_frame, key_dtype, mark_keys
from scoring.readers import RawTable, header_key
from scoring.textscan import totals_labels

__all__ = ["check_scores", "closest"]

Report = Callable[[Issue], None]

_MARK_HINTS = {
    "not_number": "is not a number. Type a number on the criterion's scale, leave the cell "
    "blank, or write one of the 'not scored' tokens from event.toml ({tokens}).",
    "boolean": "is TRUE/FALSE, not a mark: the cell is probably formatted as a checkbox or "
    "a formula compares values. Type the number.",
    "date": "is a date: Excel turned the mark into a date (e.g. 7.5 -> 7 May). Format the "
    "column as Number and type the mark again.",
    "excel_error": "is an Excel error: a formula in this cell failed. Fix the formula or "
    "type the value.",
}


def closest(name: str, options: Iterable[str]) -> str | None:
    """Return the option most similar to ``name``, or None when nothing is close.

    Examples
    --------
    >>> closest("inovation", ["innovation", "pitch"])
    'innovation'
    """
    match = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.5)
    return match[0] if match else None


def check_scores(
    table: RawTable,
    config: EventConfig,
    *,
    candidates: pd.DataFrame | None,
    jurors: pd.DataFrame | None,
    report: Report,
) -> pd.DataFrame | None:
    """Validate a score sheet; return the clean long frame, or None when unusable.

    Parameters
    ----------
    table
        The raw score sheet, long (``juror_id, target_id, criterion, score``) or wide
        (``juror_id, target_id`` and one column per criterion).
    config
        Criteria names, scales, levels and the 'not scored' tokens.
    candidates, jurors
        Clean candidates and jurors (None when they could not be read; target and juror
        ids are then not cross-checked).
    report
        Called with every issue found.

    Returns
    -------
    pandas.DataFrame or None
        ``juror_id, target_id, criterion, score, level, source_row`` sorted by
        ``criterion, target_id, juror_id``; only marks actually given.
    """
    keys = list(table.frame.columns)
    for needed in (col.JUROR_ID, col.TARGET_ID):
        if needed not in keys:
            report(
                _at(
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
        table = RawTable(
            table.frame.loc[keep].reset_index(drop=True),
            table.rows[keep],
            table.file,
            table.sheet,
            table.typed,
            table.decimal_comma,
        )
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
    ).subset((juror_codes >= 0) & (target_codes >= 0) & (criterion_of >= 0))
    _out_of_scale(marks, config, table, report)
    if jurors is not None:
        _unknown_ids(
            marks,
            "juror",
            set(jurors[col.JUROR_ID].to_numpy(dtype=object)),
            table,
            "id.unknown_juror",
            "is not in the jurors file; add the juror there or correct the id",
            report,
        )
    if candidates is not None:
        _check_targets(marks, config, candidates, table, report)
    marks = marks.subset(~np.isnan(marks.score))
    marks = _duplicates(marks, table, report)
    if len(marks.score) == 0:
        report(
            _at(
                table,
                "error",
                "score.empty",
                "The score sheet has no marks. Check that it is the right file.",
            )
        )
        return None
    _missing_marks(marks, config, candidates, table, report)
    return clean_frame(marks, config)


def _at(table: RawTable, severity: str, code: str, message: str, **where: object) -> Issue:
    return Issue(severity, code, message, file=table.file, sheet=table.sheet, **where)  # type: ignore[arg-type]


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
    for code, mark in enumerate(parsed):
        if mark.kind in ("number", "blank"):
            continue
        positions = np.flatnonzero(codes == code)
        value = str(uniques[code])
        if mark.kind == "not_scored":
            rows = table.rows[positions]
            report(
                _at(
                    table,
                    "warning",
                    "score.not_scored",
                    f"'{value}' read as 'not scored' in {len(rows)} cell(s) "
                    f"(rows {_row_list(rows)}).",
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
        hint = _MARK_HINTS[mark.kind].format(tokens=shown_tokens)
        for position in positions:
            cell = getattr(uniques[code], "cell", None)
            where = f"Cell {cell} " if cell else "The cell "
            report(
                _at(
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


def _row_list(rows: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _long_marks(
    table: RawTable, config: EventConfig, report: Report
) -> tuple[None, np.ndarray, np.ndarray] | None:
    for needed in (col.CRITERION, col.SCORE):
        if needed not in table.frame:
            report(
                _at(
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
            _at(
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
    mapping = np.full(len(seen) + 1, -1, dtype=np.int64)
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
            _at(
                table,
                "error",
                "criteria.unknown",
                f"Criterion '{value}' is not in event.toml ({len(positions)} mark(s), rows "
                f"{_row_list(table.rows[positions])}).{hint}",
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
                _at(
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
            _at(
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
            _at(
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
            _at(
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


def _unknown_ids(
    marks: Marks,
    which: str,
    known: set[str],
    table: RawTable,
    issue_code: str,
    what: str,
    report: Report,
) -> None:
    seen = marks.jurors if which == "juror" else marks.targets
    codes = marks.juror if which == "juror" else marks.target
    column = col.JUROR_ID if which == "juror" else col.TARGET_ID
    unknown = np.append(~pd.Index(seen, dtype=object).isin(list(known)), False)
    if not unknown.any():  # every distinct id is known: no need to look at the marks
        return
    bad = unknown[codes]
    for code in np.unique(codes[bad]):
        rows = np.sort(marks.row[codes == code])
        value = str(seen[code])
        guess = closest(value, known)
        hint = f" Did you mean '{guess}'?" if guess else ""
        report(
            _at(
                table,
                "error",
                issue_code,
                f"'{value}' {what} ({len(rows)} mark(s), rows {_row_list(rows)}).{hint}",
                row=int(rows[0]),
                column=column,
                value=value,
            )
        )
    marks.score[bad] = np.nan


def _check_targets(
    marks: Marks, config: EventConfig, candidates: pd.DataFrame, table: RawTable, report: Report
) -> None:
    ids = candidates[col.CANDIDATE_ID].to_numpy(dtype=object)
    project_column = candidates[col.PROJECT]
    in_project = project_column.notna().to_numpy()
    projects = np.asarray(project_column[in_project].unique(), dtype=object)
    _unknown_ids(
        marks,
        "target",
        {*ids, *projects},
        table,
        "id.unknown_target",
        "is neither a candidate id nor a project id; correct the id or add the candidate",
        report,
    )
    # per distinct target: 0 unknown, 1 candidate in a project, 2 solo candidate, 3 project
    candidate = pd.Index(ids).get_indexer(marks.targets)
    is_project = pd.Index(projects).get_indexer(marks.targets) >= 0
    kind_of = np.where(
        candidate >= 0, np.where(in_project[candidate], 1, 2), np.where(is_project, 3, 0)
    )
    # Which (criterion, target) pairs would be at the wrong level: a small table, so the
    # marks are looked at one by one only when a mark falls on such a pair.
    project_level = np.array([c.level == "project" for c in config.criteria])
    wrong_pair = np.outer(project_level, kind_of == 1) | np.outer(~project_level, kind_of == 3)
    if not wrong_pair.any():
        return
    pairs = marks.criterion * len(marks.targets) + marks.target  # marks have both codes
    if not (np.bincount(pairs, minlength=wrong_pair.size) > 0)[wrong_pair.ravel()].any():
        return
    wrong = wrong_pair.ravel()[pairs]
    wrong &= ~np.isnan(marks.score)
    for position in np.flatnonzero(wrong):
        _, target, c, row, _ = marks.where(int(position))
        criterion = config.criteria[c]
        if criterion.level == "project":
            message = (
                f"Criterion '{criterion.name}' is scored per project, but '{target}' is a "
                f"candidate in project '{project_column.iloc[ids.tolist().index(target)]}'. "
                "Give the mark to the "
                'project id, or set level = "candidate" in event.toml.'
            )
        else:
            message = (
                f"Criterion '{criterion.name}' is scored per candidate, but '{target}' is "
                'a project. Give the mark to each candidate, or set level = "project".'
            )
        report(
            _at(
                table,
                "error",
                "id.wrong_level",
                message,
                row=row,
                column=col.TARGET_ID,
                value=target,
            )
        )
    marks.score[wrong] = np.nan


def _duplicates(marks: Marks, table: RawTable, report: Report) -> Marks:
    keys = mark_keys(marks)
    size = (len(marks.names) + 1) * (len(marks.targets) + 1) * (len(marks.jurors) + 1)
    if size <= 4 * len(keys) + 1024:  # counting beats sorting and hashing for small ranges
        repeated = bool(len(keys)) and np.bincount(keys, minlength=size).max() > 1
    else:
        ordered = np.sort(keys)
        repeated = bool((ordered[1:] == ordered[:-1]).any())
    if not repeated:
        return marks
    dup = pd.Series(keys).duplicated(keep=False).to_numpy()
    drop = np.zeros(len(keys), dtype=bool)
    positions = np.flatnonzero(dup)
    order = positions[np.lexsort((marks.row[positions], keys[positions]))]
    for same in np.split(order, np.flatnonzero(np.diff(keys[order])) + 1):
        values = marks.score[same]
        source = marks.row[same]
        juror, target, c, _, column = marks.where(int(same[1]))
        who = f"juror '{juror}', target '{target}', criterion '{marks.names[c]}'"
        if np.all(values == values[0]):
            report(
                _at(
                    table,
                    "warning",
                    "score.duplicate_identical",
                    f"The same mark {values[0]:g} for {who} appears on rows "
                    f"{_row_list(source)}; it was counted once.",
                    row=int(source[1]),
                    column=column,
                    value=f"{values[0]:g}",
                )
            )
            drop[same[1:]] = True
        else:
            shown = ", ".join(f"{v:g} (row {r})" for v, r in zip(values, source, strict=True))
            report(
                _at(
                    table,
                    "error",
                    "score.duplicate_conflicting",
                    f"Different marks for {who}: {shown}. Keep the right one and delete "
                    "the other(s).",
                    row=int(source[1]),
                    column=column,
                    value=f"{values[1]:g}",
                )
            )
    return marks.subset(~drop)


def _missing_marks(
    marks: Marks,
    config: EventConfig,
    candidates: pd.DataFrame | None,
    table: RawTable,
    report: Report,
) -> None:
    n_targets = len(marks.targets)
    counts = np.bincount(
        marks.criterion * n_targets + marks.target, minlength=len(config.criteria) * n_targets
    ).reshape(len(config.criteria), n_targets)
    expected_of: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for index, criterion in enumerate(config.criteria):
        if not counts[index].any():
            report(
                _at(
                    table,
                    "error",
                    "criteria.missing",
                    f"Criterion '{criterion.name}' has no marks at all. Add its marks or "
                    "remove it from event.toml.",
                    column=criterion.name,
                    value=criterion.name,
                )
            )
            continue
        if candidates is None:
            continue
        expected, position = expected_of.get(criterion.level) or expected_of.setdefault(
            criterion.level, _expected_targets(candidates, criterion.level, marks.targets)
        )
        unscored = expected[(position < 0) | (np.append(counts[index], 0)[position] == 0)]
        for target in sorted(unscored.tolist()):
            report(
                _at(
                    table,
                    "warning",
                    "score.no_marks",
                    f"'{target}' has no marks on '{criterion.name}'; its merit cannot be "
                    "computed on this criterion.",
                    column=criterion.name,
                    value=str(target),
                )
            )


def _expected_targets(
    candidates: pd.DataFrame, level: str, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Targets that should have marks at ``level``, and their codes in ``targets`` (-1: none)."""
    ids = candidates[col.CANDIDATE_ID]
    if level == "candidate":
        expected = ids.to_numpy(dtype=object)
    else:
        solo = ids[candidates[col.PROJECT].isna()].to_numpy(dtype=object)
        projects = np.asarray(candidates[col.PROJECT].dropna().unique(), dtype=object)
        expected = np.concatenate([projects, solo])
    return expected, pd.Index(targets, dtype=object).get_indexer(expected)
