"""Check the score sheet (long or wide form) and return the clean long score table.

Called by :func:`scoring.validate.validate_tables`; see :data:`scoring.validate.ISSUE_CODES`
for the codes reported here. Work is done on the distinct values of each column and on
integer codes, so a sheet of a million marks validates in about the time it takes to read.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.cells import parse_mark, report_blanks, text_codes, totals_rows
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.marks import Marks, clean_frame, key_dtype, mark_keys, unique_clean_frame
from scoring.readers import RawTable, header_key
from scoring.textscan import totals_labels
from scoring.validate_people import IssueLog

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
    people: Callable[[], tuple[pd.DataFrame | None, pd.DataFrame | None]],
    found: IssueLog,
) -> pd.DataFrame | None:
    """Validate a score sheet; return the clean long frame, or None when unusable.

    Parameters
    ----------
    table
        The raw score sheet, long (``juror_id, target_id, criterion, score``) or wide
        (``juror_id, target_id`` and one column per criterion).
    config
        Criteria names, scales, levels and the 'not scored' tokens.
    people
        Returns the clean candidates and jurors (None when they could not be read; target
        and juror ids are then not cross-checked). It is called once the sheet's own
        checks and the clean frame are done, so the caller can check the candidates and
        jurors meanwhile (:func:`scoring.validate.validate_tables` does, in a thread).
    found
        Receives every issue, in this order: the sheet's own checks, unknown ids, repeated
        marks, missing marks.

    Returns
    -------
    pandas.DataFrame or None
        ``juror_id, target_id, criterion, score, level, source_row`` sorted by
        ``criterion, target_id, juror_id``; only marks actually given.
    """
    own = IssueLog()
    marks = _sheet_marks(table, config, own.add)
    if marks is None:
        found.absorb(own)
        return None
    # Ahead of the cross-checks, which only drop marks when they find an error.
    given, repeats, frame = _given_marks(marks, table, config)
    candidates, jurors = people()
    cross = IssueLog()
    if jurors is not None:
        known_jurors = jurors[col.JUROR_ID].to_numpy(dtype=object)
        _unknown_ids(
            marks,
            "juror",
            ~pd.Index(marks.jurors, dtype=object).isin(known_jurors),
            known_jurors,
            table,
            "id.unknown_juror",
            "is not in the jurors file; add the juror there or correct the id",
            cross.add,
        )
    targets = _TargetIndex.of(candidates, marks.targets) if candidates is not None else None
    if targets is not None:
        _check_targets(marks, config, targets, table, cross.add)
    if cross.items:  # marks were dropped: count repeats and build the frame without them
        given, repeats, frame = _given_marks(marks, table, config)
    for log in (own, cross, repeats):
        found.absorb(log)
    if frame is None:
        found.add(
            _at(
                table,
                "error",
                "score.empty",
                "The score sheet has no marks. Check that it is the right file.",
            )
        )
        return None
    _missing_marks(given, config, targets, table, found.add)
    return frame


def _given_marks(
    marks: Marks, table: RawTable, config: EventConfig
) -> tuple[Marks, IssueLog, pd.DataFrame | None]:
    """The marks given (each once), the issues about repeated marks, and the clean frame
    (None when no mark is given)."""
    repeats = IssueLog()
    given = marks.subset(~np.isnan(marks.score))
    if len(given.score) == 0:
        return given, repeats, None
    frame = unique_clean_frame(given, config)
    if frame is None:  # some marks share criterion, target and juror
        given = _duplicates(given, table, repeats.add)
        frame = clean_frame(given, config)
    return given, repeats, frame


def _sheet_marks(table: RawTable, config: EventConfig, report: Report) -> Marks | None:
    """The sheet's marks after its own checks (ids, totals rows, criteria, cells, scale);
    None when the sheet is unusable."""
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
    )
    if (
        min(juror_codes.min(initial=0), target_codes.min(initial=0), criterion_of.min(initial=0))
        < 0
    ):
        marks = marks.subset((juror_codes >= 0) & (target_codes >= 0) & (criterion_of >= 0))
    _out_of_scale(marks, config, table, report)
    return marks


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
    unknown: np.ndarray,
    known: np.ndarray,
    table: RawTable,
    issue_code: str,
    what: str,
    report: Report,
) -> None:
    """Report the marks whose juror (or target) is ``unknown`` (a flag per distinct id),
    with the closest of the ``known`` ids as a hint, and drop them."""
    if not unknown.any():  # every distinct id is known: no need to look at the marks
        return
    seen = marks.jurors if which == "juror" else marks.targets
    codes = marks.juror if which == "juror" else marks.target
    column = col.JUROR_ID if which == "juror" else col.TARGET_ID
    bad = np.append(unknown, False)[codes]
    options = [str(k) for k in known]
    for code in np.unique(codes[bad]):
        rows = np.sort(marks.row[codes == code])
        value = str(seen[code])
        guess = closest(value, options)
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


@dataclass(frozen=True)
class _TargetIndex:
    """The clean candidates seen from the distinct target ids of a score sheet."""

    ids: np.ndarray  # candidate ids, in the candidates' order
    projects: np.ndarray  # project ids, each once
    project_of: pd.Series  # each candidate's project (missing for a solo candidate)
    candidate: np.ndarray  # per distinct target: its position in ids, or -1
    project: np.ndarray  # per distinct target: its position in projects, or -1

    @classmethod
    def of(cls, candidates: pd.DataFrame, targets: np.ndarray) -> _TargetIndex:
        ids = candidates[col.CANDIDATE_ID].to_numpy(dtype=object)
        project_of = candidates[col.PROJECT]
        projects = np.asarray(project_of.dropna().unique(), dtype=object)
        return cls(
            ids,
            projects,
            project_of,
            pd.Index(ids).get_indexer(targets),
            pd.Index(projects).get_indexer(targets),
        )

    def kinds(self) -> np.ndarray:
        """Per distinct target: 0 unknown, 1 candidate in a project, 2 solo candidate,
        3 project."""
        in_project = self.project_of.notna().to_numpy()
        candidate = self.candidate
        return np.where(
            candidate >= 0,
            np.where(in_project[candidate], 1, 2),
            np.where(self.project >= 0, 3, 0),
        )

    def expected(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """The targets that should have marks at ``level``, and their codes among the
        distinct targets (-1: none)."""
        where_id = _positions(self.candidate, len(self.ids))
        if level == "candidate":
            return self.ids, where_id
        solo = self.project_of.isna().to_numpy()
        return (
            np.concatenate([self.projects, self.ids[solo]]),
            np.concatenate([_positions(self.project, len(self.projects)), where_id[solo]]),
        )


def _positions(index_of: np.ndarray, n: int) -> np.ndarray:
    """Invert ``index_of`` (distinct target -> position among ``n`` ids, -1 for none):
    each id's distinct-target code, -1 when no target is that id."""
    where = np.full(n, -1, dtype=np.intp)
    hit = np.flatnonzero(index_of >= 0)
    where[index_of[hit]] = hit
    return where


def _check_targets(
    marks: Marks, config: EventConfig, targets: _TargetIndex, table: RawTable, report: Report
) -> None:
    kind_of = targets.kinds()
    _unknown_ids(
        marks,
        "target",
        kind_of == 0,
        np.concatenate([targets.ids, targets.projects]),
        table,
        "id.unknown_target",
        "is neither a candidate id nor a project id; correct the id or add the candidate",
        report,
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
            project = targets.project_of.iloc[targets.candidate[marks.target[position]]]
            message = (
                f"Criterion '{criterion.name}' is scored per project, but '{target}' is a "
                f"candidate in project '{project}'. Give the mark to the "
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
    targets: _TargetIndex | None,
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
        if targets is None:
            continue
        expected, position = expected_of.get(criterion.level) or expected_of.setdefault(
            criterion.level, targets.expected(criterion.level)
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
