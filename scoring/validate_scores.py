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
from scoring.cells import parse_mark, skip_totals_rows, text_codes
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.readers import RawTable, header_key

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
    table = skip_totals_rows(table, (col.JUROR_ID, col.TARGET_ID), report)
    juror_codes, jurors_seen = text_codes(table, col.JUROR_ID, report, is_id=True, required=False)
    target_codes, targets_seen = text_codes(
        table, col.TARGET_ID, report, is_id=True, required=False
    )
    _blank_ids(table, juror_codes, target_codes, report)
    parts = _long_marks(table, config, report) if long_form else _wide_marks(table, config, report)
    if parts is None:
        return None
    row_index, criterion_of, scores = parts
    keep = (juror_codes[row_index] >= 0) & (target_codes[row_index] >= 0)
    keep &= criterion_of >= 0
    names = np.array([c.name for c in config.criteria], dtype=object)
    frame = pd.DataFrame(
        {
            "_j": juror_codes[row_index][keep],
            "_t": target_codes[row_index][keep],
            "_c": criterion_of[keep],
            col.SCORE: scores[keep],
            col.SOURCE_ROW: table.rows[row_index][keep],
            "_col": _column_of(table, long_form, names, criterion_of[keep]),
        }
    )
    _out_of_scale(frame, config, table, targets_seen, jurors_seen, report)
    if jurors is not None:
        _unknown_ids(
            frame,
            "_j",
            jurors_seen,
            set(jurors[col.JUROR_ID]),
            table,
            col.JUROR_ID,
            "id.unknown_juror",
            "is not in the jurors file; add the juror there or correct the id",
            report,
        )
    if candidates is not None:
        _check_targets(frame, config, candidates, targets_seen, table, report)
    frame = frame.loc[frame[col.SCORE].notna()]
    frame = _duplicates(frame, table, jurors_seen, targets_seen, names, report)
    if frame.empty:
        report(
            _at(
                table,
                "error",
                "score.empty",
                "The score sheet has no marks. Check that it is the right file.",
            )
        )
        return None
    _missing_marks(frame, config, candidates, targets_seen, table, report)
    return _clean_frame(frame, config, jurors_seen, targets_seen, names)


def _at(table: RawTable, severity: str, code: str, message: str, **where: object) -> Issue:
    return Issue(severity, code, message, file=table.file, sheet=table.sheet, **where)  # type: ignore[arg-type]


def _blank_ids(
    table: RawTable, juror_codes: np.ndarray, target_codes: np.ndarray, report: Report
) -> None:
    for codes, column in ((juror_codes, col.JUROR_ID), (target_codes, col.TARGET_ID)):
        for position in np.flatnonzero(codes < 0):
            report(
                _at(
                    table,
                    "error",
                    "id.missing",
                    f"'{column}' is blank. Fill it in or delete the row.",
                    row=int(table.rows[position]),
                    column=column,
                )
            )


def _parse_marks(table: RawTable, column: str, config: EventConfig, report: Report) -> np.ndarray:
    """Return the marks of one column as floats (NaN = no mark), reporting bad cells."""
    series = table.frame[column]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
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
    return np.arange(len(table.frame)), mapping[codes], marks


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


def _column_of(
    table: RawTable, long_form: bool, names: np.ndarray, criterion_of: np.ndarray
) -> np.ndarray:
    if long_form:
        return np.full(len(criterion_of), col.SCORE, dtype=object)
    return np.array([header_key(n) for n in names], dtype=object)[criterion_of]


def _mark_at(frame: pd.DataFrame, position: int) -> tuple[int, int, int, int, str]:
    """Return juror code, target code, criterion index, source row and column of a mark."""
    return (
        int(frame["_j"].to_numpy()[position]),
        int(frame["_t"].to_numpy()[position]),
        int(frame["_c"].to_numpy()[position]),
        int(frame[col.SOURCE_ROW].to_numpy()[position]),
        str(frame["_col"].to_numpy()[position]),
    )


def _out_of_scale(
    frame: pd.DataFrame,
    config: EventConfig,
    table: RawTable,
    targets: np.ndarray,
    jurors: np.ndarray,
    report: Report,
) -> None:
    low = np.array([c.min for c in config.criteria])[frame["_c"].to_numpy()]
    high = np.array([c.max for c in config.criteria])[frame["_c"].to_numpy()]
    score = frame[col.SCORE].to_numpy()
    bad = (score < low) | (score > high)
    for position in np.flatnonzero(bad):
        j, t, c, row, column = _mark_at(frame, int(position))
        criterion = config.criteria[c]
        value = f"{score[position]:g}"
        side = "below" if score[position] < criterion.min else "above"
        report(
            _at(
                table,
                "error",
                "score.out_of_scale",
                f"Score {value} from juror '{jurors[j]}' for '{targets[t]}' on "
                f"'{criterion.name}' is {side} the scale {criterion.min:g}-{criterion.max:g}. "
                "Correct the mark (or the scale in event.toml).",
                row=row,
                column=column,
                value=value,
            )
        )
    if bad.any():
        frame.loc[bad, col.SCORE] = np.nan


def _unknown_ids(
    frame: pd.DataFrame,
    code_column: str,
    seen: np.ndarray,
    known: set[str],
    table: RawTable,
    column: str,
    issue_code: str,
    what: str,
    report: Report,
) -> None:
    unknown = np.array([v not in known for v in seen] + [False], dtype=bool)
    codes = frame[code_column].to_numpy()
    bad = unknown[codes]
    if not bad.any():
        return
    rows = frame[col.SOURCE_ROW].to_numpy()
    for code in np.unique(codes[bad]):
        positions = np.flatnonzero(codes == code)
        value = str(seen[code])
        guess = closest(value, known)
        hint = f" Did you mean '{guess}'?" if guess else ""
        report(
            _at(
                table,
                "error",
                issue_code,
                f"'{value}' {what} ({len(positions)} mark(s), rows "
                f"{_row_list(np.sort(rows[positions]))}).{hint}",
                row=int(rows[positions].min()),
                column=column,
                value=value,
            )
        )
    frame.loc[bad, col.SCORE] = np.nan


def _check_targets(
    frame: pd.DataFrame,
    config: EventConfig,
    candidates: pd.DataFrame,
    targets: np.ndarray,
    table: RawTable,
    report: Report,
) -> None:
    project_of = dict(
        zip(
            candidates[col.CANDIDATE_ID],
            candidates[col.PROJECT].astype(object).where(candidates[col.PROJECT].notna(), None),
            strict=True,
        )
    )
    projects = {p for p in project_of.values() if p is not None}
    known = set(project_of) | projects
    _unknown_ids(
        frame,
        "_t",
        targets,
        known,
        table,
        col.TARGET_ID,
        "id.unknown_target",
        "is neither a candidate id nor a project id; correct the id or add the candidate",
        report,
    )
    is_project_level = np.array([c.level == "project" for c in config.criteria])
    # 0 = unknown, 1 = candidate with a project, 2 = solo candidate, 3 = project
    kind = np.array(
        [
            1
            if t in project_of and project_of[t] is not None
            else 2
            if t in project_of
            else 3
            if t in projects
            else 0
            for t in targets
        ]
        + [0]
    )[frame["_t"].to_numpy()]
    project_level = is_project_level[frame["_c"].to_numpy()]
    wrong = ((project_level & (kind == 1)) | (~project_level & (kind == 3))) & frame[
        col.SCORE
    ].notna().to_numpy()
    for position in np.flatnonzero(wrong):
        _, t, c, row, _ = _mark_at(frame, int(position))
        criterion = config.criteria[c]
        target = str(targets[t])
        if criterion.level == "project":
            message = (
                f"Criterion '{criterion.name}' is scored per project, but '{target}' is a "
                f"candidate in project '{project_of[target]}'. Give the mark to the "
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
    if wrong.any():
        frame.loc[wrong, col.SCORE] = np.nan


def _duplicates(
    frame: pd.DataFrame,
    table: RawTable,
    jurors: np.ndarray,
    targets: np.ndarray,
    names: np.ndarray,
    report: Report,
) -> pd.DataFrame:
    keys = ["_j", "_t", "_c"]
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return frame
    repeated = frame.loc[dup].sort_values([*keys, col.SOURCE_ROW])
    drop: list[int] = []
    for key, rows in repeated.groupby(keys, sort=True):
        j, t, c = (int(k) for k in np.asarray(key, dtype=np.int64))
        values = rows[col.SCORE].to_numpy()
        source = rows[col.SOURCE_ROW].to_numpy()
        who = f"juror '{jurors[j]}', target '{targets[t]}', criterion '{names[c]}'"
        if np.all(values == values[0]):
            report(
                _at(
                    table,
                    "warning",
                    "score.duplicate_identical",
                    f"The same mark {values[0]:g} for {who} appears on rows "
                    f"{_row_list(source)}; it was counted once.",
                    row=int(source[1]),
                    column=str(rows["_col"].iat[1]),
                    value=f"{values[0]:g}",
                )
            )
            drop.extend(rows.index[1:])
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
                    column=str(rows["_col"].iat[1]),
                    value=f"{values[1]:g}",
                )
            )
    return frame.drop(index=drop)


def _missing_marks(
    frame: pd.DataFrame,
    config: EventConfig,
    candidates: pd.DataFrame | None,
    targets: np.ndarray,
    table: RawTable,
    report: Report,
) -> None:
    seen_per_criterion = frame.groupby("_c")["_t"].unique()
    for index, criterion in enumerate(config.criteria):
        if index not in seen_per_criterion.index:
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
        scored = {targets[int(t)] for t in seen_per_criterion[index]}
        if criterion.level == "candidate":
            expected = set(candidates[col.CANDIDATE_ID])
        else:
            solo = candidates.loc[candidates[col.PROJECT].isna(), col.CANDIDATE_ID]
            expected = set(candidates[col.PROJECT].dropna()) | set(solo)
        for target in sorted(expected - scored):
            report(
                _at(
                    table,
                    "warning",
                    "score.no_marks",
                    f"'{target}' has no marks on '{criterion.name}'; its merit cannot be "
                    "computed on this criterion.",
                    column=criterion.name,
                    value=target,
                )
            )


def _clean_frame(
    frame: pd.DataFrame,
    config: EventConfig,
    jurors: np.ndarray,
    targets: np.ndarray,
    names: np.ndarray,
) -> pd.DataFrame:
    def ranks(values: np.ndarray) -> np.ndarray:
        order = np.argsort(values.astype(str), kind="stable")
        out = np.empty(len(values), dtype=np.int64)
        out[order] = np.arange(len(values))
        return out

    j_rank, t_rank, c_rank = ranks(jurors), ranks(targets), ranks(names)
    j = frame["_j"].to_numpy()
    t = frame["_t"].to_numpy()
    c = frame["_c"].to_numpy()
    key = (c_rank[c] * len(targets) + t_rank[t]) * len(jurors) + j_rank[j]
    order = np.argsort(key, kind="stable")
    levels = np.array([cr.level for cr in config.criteria], dtype=object)
    return pd.DataFrame(
        {
            col.JUROR_ID: pd.array(jurors[j[order]], dtype="str"),
            col.TARGET_ID: pd.array(targets[t[order]], dtype="str"),
            col.CRITERION: pd.array(names[c[order]], dtype="str"),
            col.SCORE: frame[col.SCORE].to_numpy(dtype=float)[order],
            col.LEVEL: pd.array(levels[c[order]], dtype="str"),
            col.SOURCE_ROW: frame[col.SOURCE_ROW].to_numpy(dtype=np.int64)[order],
        }
    )
