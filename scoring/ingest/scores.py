"""Check the score sheet (long or wide form) and return the clean long score table.

Called by :func:`scoring.ingest.validate.validate_tables`; see
:data:`scoring.ingest.validate.ISSUE_CODES` for the codes reported here. The sheet's own checks are
in :mod:`scoring.ingest.sheet_marks`; here its marks are checked against the candidates and jurors
(unknown ids, marks at the wrong level), for repeats and for missing marks. Work is done on the
distinct values of each column and on integer codes, so a sheet of a million marks validates in less
time than it takes to read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.ingest.config_checks import unknown_aliases
from scoring.ingest.marks import Marks, clean_frame, mark_keys, unique_clean_frame
from scoring.ingest.people import IssueLog, People
from scoring.ingest.readers import RawTable, header_key
from scoring.ingest.sheet_marks import Report, closest, row_list, sheet_issue, sheet_marks
from scoring.ingest.spelling import alias_cells, report_variants

__all__ = ["FEW_MARKS", "check_juror_marks", "check_scores", "closest"]

FEW_MARKS = 3
"""A juror with fewer marks than this on a criterion is reported (``juror.few_marks``)."""


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
        jurors meanwhile.
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
    marks = sheet_marks(_aliased(table, config, own.add), config, own.add)
    if marks is None:
        found.absorb(own)
        return None
    # Ahead of the cross-checks, which only drop marks when they find an error.
    given, repeats, frame = _given_marks(marks, table, config)
    candidates, jurors = people()
    cross = IssueLog()
    if jurors is None:  # the sheet is the only list of jurors: J1 and j1 would be two
        report_variants(
            marks.juror,
            marks.jurors,
            marks.row,
            what="juror ids",
            alias="juror_id",
            file=table.file,
            sheet=table.sheet,
            column=col.JUROR_ID,
            report=cross.add,
        )
        cross.extend(
            unknown_aliases("juror_id", config.aliases.juror_id, set(marks.jurors), what="juror id")
        )
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
            sheet_issue(
                table,
                "error",
                "score.empty",
                "The score sheet has no marks. Check that it is the right file.",
            )
        )
        return None
    _missing_marks(given, config, targets, table, found.add)
    return frame


def _aliased(table: RawTable, config: EventConfig, report: Report) -> RawTable:
    """The sheet with ``[aliases]`` applied to juror ids, target ids and criteria (the
    ``criterion`` cells of a long sheet, the headers of a wide one)."""
    aliases = config.aliases
    table = alias_cells(table, col.JUROR_ID, aliases.juror_id)
    table = alias_cells(table, col.TARGET_ID, aliases.targets())
    if not aliases.criterion:
        return table
    if col.CRITERION in table.frame.columns or col.SCORE in table.frame.columns:
        return alias_cells(table, col.CRITERION, aliases.criterion)
    renamed = {header_key(k): header_key(v) for k, v in aliases.criterion.items()}
    columns = [renamed.get(c, c) for c in table.frame.columns]
    for column in sorted({c for c in columns if columns.count(c) > 1} & set(renamed.values())):
        same = [repr(c) for c in table.frame.columns if renamed.get(c, c) == column]
        report(
            sheet_issue(
                table,
                "error",
                "columns.duplicate",
                f"Columns {', '.join(same)} are all criterion '{column}' ([aliases] "
                "criterion in event.toml). Keep one column per criterion.",
                row=1,
                column=column,
            )
        )
    if len(set(columns)) < len(columns):
        return table
    return replace(table, frame=table.frame.set_axis(columns, axis=1))


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
            sheet_issue(
                table,
                "error",
                issue_code,
                f"'{value}' {what} ({len(rows)} mark(s), rows {row_list(rows)}).{hint}",
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
        known = candidate >= 0
        solo = np.full(len(candidate), 2)
        solo[known] = np.where(in_project[candidate[known]], 1, 2)  # -1 indexes nothing
        return np.where(known, solo, np.where(self.project >= 0, 3, 0))

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
            sheet_issue(
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
                sheet_issue(
                    table,
                    "warning",
                    "score.duplicate_identical",
                    f"The same mark {values[0]:g} for {who} appears on rows "
                    f"{row_list(source)}; it was counted once.",
                    row=int(source[1]),
                    column=column,
                    value=f"{values[0]:g}",
                )
            )
            drop[same[1:]] = True
        else:
            shown = ", ".join(f"{v:g} (row {r})" for v, r in zip(values, source, strict=True))
            report(
                sheet_issue(
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
                sheet_issue(
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
                sheet_issue(
                    table,
                    "warning",
                    "score.no_marks",
                    f"'{target}' has no marks on '{criterion.name}'; its merit cannot be "
                    "computed on this criterion.",
                    column=criterion.name,
                    value=str(target),
                )
            )


def check_juror_marks(
    scores: pd.DataFrame, people: People, table: RawTable, report: Report
) -> None:
    """Warn about jurors whose marks cannot be trusted to calibrate: none at all, fewer
    than :data:`FEW_MARKS` on a criterion, or one same mark for every target.

    Parameters
    ----------
    scores
        The clean score frame (categorical ``juror_id`` and ``criterion``).
    people
        The checked jurors (``juror.no_marks`` needs a jurors table).
    table
        The score sheet, to locate the issues (the first row of the juror's marks).
    report
        Receives ``juror.no_marks``, ``juror.few_marks`` and ``juror.no_spread``.
    """
    juror_ids = scores[col.JUROR_ID].cat.categories.to_numpy(dtype=object)
    if people.jurors is not None and people.juror_table is not None:
        known = people.jurors[col.JUROR_ID].to_numpy(dtype=object)
        source = people.juror_table
        for juror_id in known[~pd.Index(known).isin(juror_ids)].tolist():
            report(
                Issue(
                    "warning",
                    "juror.no_marks",
                    f"Juror '{juror_id}' is in the jurors file but gave no mark: every cell "
                    "of theirs is blank, or the score sheet spells their id differently. "
                    "Check the score sheet, or remove the juror.",
                    file=source.file,
                    sheet=source.sheet,
                    row=people.juror_rows.get(juror_id),
                    column=col.JUROR_ID,
                    value=juror_id,
                )
            )
    if scores.empty:
        return
    criteria = scores[col.CRITERION].cat.categories.to_numpy(dtype=object)
    n_jurors = len(juror_ids)
    n_keys = len(criteria) * n_jurors
    key = scores[col.CRITERION].cat.codes.to_numpy().astype(np.intp) * n_jurors
    key += scores[col.JUROR_ID].cat.codes.to_numpy()
    mark = scores[col.SCORE].to_numpy(dtype=float)
    count = np.bincount(key, minlength=n_keys)
    lowest, highest = np.full(n_keys, np.inf), np.full(n_keys, -np.inf)
    np.minimum.at(lowest, key, mark)
    np.maximum.at(highest, key, mark)
    few = (count > 0) & (count < FEW_MARKS)
    flat = (count >= FEW_MARKS) & (lowest == highest)
    if not (few.any() or flat.any()):
        return
    first_row = np.full(n_keys, np.iinfo(np.int64).max)
    np.minimum.at(first_row, key, scores[col.SOURCE_ROW].to_numpy(dtype=np.int64))
    for juror in range(n_jurors):
        keys = np.arange(len(criteria)) * n_jurors + juror
        juror_id = str(juror_ids[juror])
        if few[keys].any():
            hit = keys[few[keys]]
            shown = ", ".join(f"{count[k]} on {criteria[k // n_jurors]}" for k in hit)
            report(
                sheet_issue(
                    table,
                    "warning",
                    "juror.few_marks",
                    f"Juror '{juror_id}' gave only {shown}: too few marks to tell how strict "
                    "they are, so their marks count uncorrected. Check that their sheet is "
                    "complete.",
                    row=int(first_row[hit[0]]),
                    column=col.JUROR_ID,
                    value=juror_id,
                )
            )
        if flat[keys].any():
            hit = keys[flat[keys]]
            shown = ", ".join(
                f"{lowest[k]:g} to all {count[k]} targets on {criteria[k // n_jurors]}" for k in hit
            )
            report(
                sheet_issue(
                    table,
                    "warning",
                    "juror.no_spread",
                    f"Juror '{juror_id}' gave the same mark {shown}: these marks tell the "
                    "targets apart not at all (a spread of 0), and methods that divide by a "
                    "juror's spread only centre them. Check their sheet.",
                    row=int(first_row[hit[0]]),
                    column=col.JUROR_ID,
                    value=juror_id,
                )
            )
