"""Check candidates, jurors and scores, and build the clean :class:`~scoring.event.Event`.

Validation collects every problem before failing. Each problem is an
:class:`~scoring.errors.Issue` located as the user sees it (file, sheet, spreadsheet row
with the header as row 1, column, value) with a stable code; when any has severity
``"error"``, :class:`~scoring.errors.InvalidEventError` is raised with all of them.
:data:`ISSUE_CODES` lists every code with its meaning.

The clean frames never depend on the order of input rows: they are sorted by ids.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.cells import (
    clean_text,
    fix_id,
    near_duplicate_key,
    parse_bool,
    report_blanks,
    text_codes,
    text_column,
    totals_rows,
)
from scoring.config import EventConfig
from scoring.errors import InvalidEventError, Issue, issues_frame
from scoring.event import Event
from scoring.readers import RawTable, header_key
from scoring.textscan import ascii_keys
from scoring.validate_scores import check_scores

__all__ = [
    "ISSUE_CODES",
    "People",
    "build_event",
    "check_people",
    "frame_table",
    "validate_event_scores",
    "validate_tables",
]

ISSUE_CODES: dict[str, str] = {
    "file.not_found": "An input file named in event.toml does not exist.",
    "file.lock_file": "Excel's '~$' lock file was given instead of the workbook.",
    "file.old_xls": "An Excel 97-2003 .xls (or encrypted) workbook; save as .xlsx.",
    "file.wrong_type": "The file's real type differs from its name (detected from bytes).",
    "file.unsupported": "A file type that is not read (use csv, tsv, txt or xlsx).",
    "file.empty": "The file is empty.",
    "file.unreadable": "The file cannot be opened or decoded.",
    "file.encoding": "Some characters could not be decoded.",
    "config.syntax": "event.toml is not valid TOML.",
    "config.invalid": "A key of event.toml is missing, misspelt or out of range.",
    "config.weights_sum": "Criterion weights do not sum to 1.",
    "csv.decimal_comma": "An unquoted decimal comma in a comma-separated file.",
    "csv.field_count": "A row has more fields than the header.",
    "xlsx.no_data_sheet": "No sheet has the expected header row.",
    "xlsx.error_cell": "An Excel error cell such as #DIV/0!.",
    "xlsx.formula_no_value": "A formula cell without a saved value.",
    "columns.missing": "A required column is missing.",
    "columns.duplicate": "A column header appears twice.",
    "columns.ignored": "A column that is not used was ignored.",
    "criteria.unknown": "A criterion in the scores is not in event.toml.",
    "criteria.missing": "A criterion in event.toml has no column or no marks.",
    "id.missing": "A required id or name cell is blank.",
    "id.duplicate": "The same id appears on two rows.",
    "id.excel_number": "An id Excel turned into a number ('12.0') was read as '12'.",
    "id.scientific": "An id Excel turned into scientific notation ('1.23E+15').",
    "id.unknown_juror": "A juror id in the scores is not in the jurors file.",
    "id.unknown_target": "A target id in the scores is neither a candidate nor a project.",
    "id.wrong_level": "A mark targets a candidate where the criterion is scored per project.",
    "id.ambiguous": "The same id names a candidate and a project.",
    "id.near_duplicate": "Two different ids or names that read the same.",
    "text.normalised": "Values with unusual spaces or Unicode forms were normalised.",
    "text.mojibake": "Text that looks garbled by a wrong encoding.",
    "text.totals_row": "A totals row ('Итого', 'Total') was skipped.",
    "candidate.two_groups": "A candidate id appears in two groups.",
    "candidate.bad_eligible": "An 'eligible' cell is not yes/no.",
    "project.two_groups": "A project has members in more than one group.",
    "group.too_few_eligible": "A group has fewer eligible candidates than seats.",
    "conflict.unknown": "A declared conflict names nobody.",
    "score.not_scored": "A 'not scored' token was read as no mark.",
    "score.not_number": "A score cell is text that is not a number.",
    "score.boolean": "A score cell holds TRUE/FALSE.",
    "score.date": "A score cell holds a date.",
    "score.excel_error": "A score cell holds an Excel error.",
    "score.out_of_scale": "A mark outside the criterion's scale.",
    "score.duplicate_identical": "The same mark given twice; one was kept.",
    "score.duplicate_conflicting": "Two different marks for the same juror, target, criterion.",
    "score.no_marks": "A target has no marks on a criterion.",
    "score.empty": "The score sheet has no marks at all.",
}
"""Every issue code validation can report, with its meaning."""

_PER_CODE_CAP = 200


class _Issues:
    """Collect issues, keeping at most ``_PER_CODE_CAP`` located ones per code and file."""

    def __init__(self, cap: int | None = _PER_CODE_CAP) -> None:
        self.cap = cap
        self.items: list[Issue] = []
        self._counts: Counter[tuple[str, str | None]] = Counter()
        self._first: dict[tuple[str, str | None], Issue] = {}

    def add(self, issue: Issue) -> None:
        key = (issue.code, issue.file)
        self._counts[key] += 1
        if self.cap is None or self._counts[key] <= self.cap:
            self.items.append(issue)
        self._first.setdefault(key, issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    def finish(self) -> list[Issue]:
        out = list(self.items)
        for (code, file), n in sorted(
            self._counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            if n > _PER_CODE_CAP:
                first = self._first[(code, file)]
                out.append(
                    Issue(
                        first.severity,
                        code,
                        f"... and {n - _PER_CODE_CAP} more issue(s) like the ones above.",
                        file=file,
                    )
                )
        return out

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.items)


def frame_table(frame: pd.DataFrame, *, name: str) -> RawTable:
    """Wrap a user's DataFrame as a raw table whose rows are numbered as in a sheet.

    Row ``i`` (0-based position) is reported as spreadsheet row ``i + 2``.

    Examples
    --------
    >>> t = frame_table(pd.DataFrame({"Candidate ID": ["A1"]}), name="candidates")
    >>> list(t.frame.columns), t.rows.tolist()
    (['candidate_id'], [2])
    """
    cells = frame.reset_index(drop=True).astype(object)
    cells = cells.where(pd.notna(cells), None)
    cells.columns = pd.Index([header_key(c) for c in frame.columns])
    return RawTable(cells, np.arange(2, len(cells) + 2), name, None, typed=True)


def build_event(
    candidates: pd.DataFrame,
    scores: pd.DataFrame,
    config: EventConfig | Mapping[str, Any],
    *,
    jurors: pd.DataFrame | None = None,
) -> Event:
    """Validate DataFrames and return the clean event.

    The frames follow the file layouts in :mod:`scoring.columns` (scores in long or wide
    form). Issues name the frame (``candidates``, ``scores``, ``jurors``) and the row as
    ``position + 2``, as if the frame were a sheet with its header on row 1.

    Parameters
    ----------
    candidates, scores
        The candidates and the marks.
    config
        An :class:`~scoring.config.EventConfig` or the same data as a mapping (the file
        names in ``[event]`` are then only labels).
    jurors
        Optional jurors frame.

    Returns
    -------
    Event

    Raises
    ------
    InvalidEventError
        When any input has an error; ``.issues`` lists every problem found.

    Examples
    --------
    >>> cands = pd.DataFrame({"candidate_id": ["A1", "A2"], "name": ["Ana", "Bo"],
    ...                       "group": ["G", "G"]})
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J1"], "target_id": ["A1", "A2"],
    ...                       "criterion": ["pitch", "pitch"], "score": [7, 8.5]})
    >>> cfg = {"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...        "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
    ...        "selection": {"per_group": 1}}
    >>> build_event(cands, marks, cfg).scores[["target_id", "score"]].to_dict("list")
    {'target_id': ['A1', 'A2'], 'score': [7.0, 8.5]}
    """
    if not isinstance(config, EventConfig):
        from scoring.ingest import config_from_mapping

        config = config_from_mapping(config, file="config")
    tables = {
        "candidates": frame_table(candidates, name="candidates"),
        "scores": frame_table(scores, name="scores"),
    }
    if jurors is not None:
        tables["jurors"] = frame_table(jurors, name="jurors")
    return validate_tables(tables, config)


def validate_tables(
    tables: Mapping[str, RawTable],
    config: EventConfig,
    *,
    issues: Iterable[Issue] = (),
    inputs: Mapping[str, Any] | None = None,
) -> Event:
    """Check raw tables against the config and each other; return the clean event.

    Parameters
    ----------
    tables
        ``"candidates"``, ``"scores"`` and optionally ``"jurors"`` raw tables.
    config
        The validated configuration.
    issues
        Issues found earlier (reading files); they are reported together.
    inputs
        Recorded in :attr:`Event.inputs`.

    Raises
    ------
    InvalidEventError
        When any error was found (here or in ``issues``).
    """
    people = check_people(tables["candidates"], tables.get("jurors"), config)
    return validate_event_scores(tables["scores"], people, config, issues=issues, inputs=inputs)


@dataclass(frozen=True)
class People:
    """The checked candidates and jurors of an event, and every issue found in them.

    The first half of :func:`validate_tables`: :func:`scoring.ingest.load_event` runs it
    while the score sheet is still being read.
    """

    candidates: pd.DataFrame | None
    jurors: pd.DataFrame | None
    conflicts: pd.DataFrame | None
    issues: tuple[Issue, ...]


def check_people(candidates: RawTable, jurors: RawTable | None, config: EventConfig) -> People:
    """Check the candidates table, and the jurors table when given (see :class:`People`).

    Examples
    --------
    >>> from scoring.ingest import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> table = frame_table(pd.DataFrame({"candidate_id": ["A1"], "name": ["Ana"],
    ...                                   "group": ["G"]}), name="candidates")
    >>> people = check_people(table, None, config)
    >>> people.candidates["candidate_id"].tolist(), [i.code for i in people.issues]
    (['A1'], ['group.too_few_eligible'])
    """
    found = _Issues(cap=None)
    found.extend(_config_checks(config))
    checked = _candidates(candidates, config, found)
    juror_frame, conflicts = _jurors(jurors, checked, found) if jurors is not None else (None, None)
    return People(checked, juror_frame, conflicts, tuple(found.items))


def validate_event_scores(
    scores_table: RawTable,
    people: People,
    config: EventConfig,
    *,
    issues: Iterable[Issue] = (),
    inputs: Mapping[str, Any] | None = None,
) -> Event:
    """Check the score sheet against :func:`check_people`'s result; return the clean event.

    The second half of :func:`validate_tables` (see there); ``issues`` are the issues
    found reading the files.

    Raises
    ------
    InvalidEventError
        When any error was found (here, in ``people`` or in ``issues``).
    """
    found = _Issues()
    found.extend(issues)
    found.extend(people.issues)
    candidates, jurors, conflicts = people.candidates, people.jurors, people.conflicts
    scores = check_scores(
        scores_table,
        config,
        candidates=candidates,
        jurors=jurors,
        report=found.add,
    )
    if jurors is None:
        ids = sorted(scores[col.JUROR_ID].unique()) if scores is not None else []
        jurors = pd.DataFrame({col.JUROR_ID: pd.array(ids, dtype="str"), col.NAME: pd.NA})
        conflicts = _empty_conflicts()
    if found.has_errors or candidates is None or scores is None:
        raise InvalidEventError(found.finish())
    assert conflicts is not None  # set together with jurors above
    return Event(
        config=config,
        candidates=candidates,
        scores=scores,
        jurors=jurors,
        conflicts=conflicts,
        warnings=issues_frame(found.finish()),
        inputs=dict(inputs or {}),
    )


# ---------------------------------------------------------------------------- helpers


def _config_checks(config: EventConfig) -> list[Issue]:
    issues: list[Issue] = []
    total = sum(c.weight for c in config.criteria)
    if not config.event.normalise_weights and abs(total - 1.0) > 1e-9:
        shown = ", ".join(f"{c.name} {c.weight:g}" for c in config.criteria)
        issues.append(
            Issue(
                "error",
                "config.weights_sum",
                f"Criterion weights sum to {total:g}, not 1 ({shown}). Correct the weights, "
                "or set normalise_weights = true in [event] to divide them by their sum.",
                file="event.toml",
                column="criteria.weight",
                value=f"{total:g}",
            )
        )
    names = [c.name for c in config.criteria]
    for name in sorted({n for n in names if names.count(n) > 1}):
        issues.append(
            Issue(
                "error",
                "config.invalid",
                f"Criterion '{name}' is declared twice. Give each criterion one [[criteria]].",
                file="event.toml",
                column="criteria.name",
                value=name,
            )
        )
    return issues


def _empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.JUROR_ID: pd.array([], dtype="str"),
            col.CONFLICT_ID: pd.array([], dtype="str"),
            col.CONFLICT_KIND: pd.array([], dtype="str"),
        }
    )


def _near_duplicates(
    values: np.ndarray, *, what: str, file: str, column: str, report: Callable[[Issue], None]
) -> None:
    """Warn about distinct values that share a :func:`near_duplicate_key`."""
    values = np.asarray(values, dtype=object)
    ascii_only = np.fromiter(map(str.isascii, values), dtype=bool, count=len(values))
    keys = np.empty(len(values), dtype=object)
    # C-level key for plain ASCII text; the full Unicode key for the rest
    keys[ascii_only] = ascii_keys(values[ascii_only])
    keys[~ascii_only] = [near_duplicate_key(v) for v in values[~ascii_only]]
    shared = pd.Series(keys).duplicated(keep=False).to_numpy() & (keys != "")
    by_key: dict[str, set[str]] = defaultdict(set)
    for key, value in zip(keys[shared], values[shared], strict=True):
        by_key[key].add(value)
    for key in sorted(by_key):
        same = sorted(by_key[key])
        if len(same) > 1:
            shown = " / ".join(f"'{s}'" for s in same)
            report(
                Issue(
                    "warning",
                    "id.near_duplicate",
                    f"{what} {shown} differ only in case, accents, spaces or look-alike "
                    "letters. If they are the same, write them identically.",
                    file=file,
                    column=column,
                    value=same[0],
                )
            )


def _candidates(table: RawTable, config: EventConfig, found: _Issues) -> pd.DataFrame | None:
    frame = table.frame
    for needed in (col.CANDIDATE_ID, col.NAME, col.GROUP):
        if needed not in frame:
            found.add(
                Issue(
                    "error",
                    "columns.missing",
                    f"Required column '{needed}' not found in the candidates table.",
                    file=table.file,
                    sheet=table.sheet,
                    column=needed,
                )
            )
            return None
    coded = {
        column: text_codes(
            table, column, found.add, is_id=column == col.CANDIDATE_ID, required=False
        )
        for column in (col.CANDIDATE_ID, col.NAME)
    }
    incomplete = (
        (coded[col.CANDIDATE_ID][0] < 0)
        | (coded[col.NAME][0] < 0)
        | frame[col.GROUP].isna().to_numpy()
    )
    keep = ~totals_rows(table, coded, found.add, incomplete=incomplete)
    sub = table
    if not keep.all():
        sub = RawTable(
            table.frame.loc[keep].reset_index(drop=True),
            table.rows[keep],
            table.file,
            table.sheet,
            table.typed,
        )
    rows = sub.rows
    out: dict[str, Any] = {}
    for column, (codes, uniques) in coded.items():
        report_blanks(sub, column, codes[keep], found.add)
        out[column] = np.append(uniques, np.array([None], dtype=object))[codes[keep]]
    ids = out[col.CANDIDATE_ID]
    out[col.GROUP] = text_column(sub, col.GROUP, found.add, is_id=False, required=True)
    if col.PROJECT in sub.frame:
        out[col.PROJECT] = text_column(sub, col.PROJECT, found.add, is_id=True, required=False)
    else:
        out[col.PROJECT] = np.full(len(ids), None, dtype=object)
    eligible = np.ones(len(ids), dtype=bool)
    if col.ELIGIBLE in sub.frame:
        for position, value in enumerate(sub.frame[col.ELIGIBLE].to_numpy(dtype=object)):
            parsed = parse_bool(value)
            if parsed is None:
                found.add(
                    Issue(
                        "error",
                        "candidate.bad_eligible",
                        f"'eligible' must be yes/no (true/false, да/нет, 1/0), got '{value}'.",
                        file=sub.file,
                        sheet=sub.sheet,
                        row=int(rows[position]),
                        column=col.ELIGIBLE,
                        value=str(value),
                    )
                )
            else:
                eligible[position] = parsed
    out[col.ELIGIBLE] = eligible
    attributes = [c for c in sub.frame.columns if c not in col.CANDIDATE_COLUMNS and c]
    for attribute in attributes:
        out[attribute] = text_column(sub, attribute, found.add, is_id=False, required=False)
    result = pd.DataFrame(out)
    result["_row"] = rows
    _check_candidate_ids(result, sub, found, coded[col.CANDIDATE_ID][0][keep])
    _near_duplicates(
        _used(*coded[col.CANDIDATE_ID], keep),
        what="Candidate ids",
        file=sub.file,
        column=col.CANDIDATE_ID,
        report=found.add,
    )
    _near_duplicates(
        _used(*coded[col.NAME], keep),
        what="Names",
        file=sub.file,
        column=col.NAME,
        report=found.add,
    )
    id_codes, id_texts = coded[col.CANDIDATE_ID][0][keep], coded[col.CANDIDATE_ID][1]
    first = _first_of_each(id_codes)  # rows with an id, each id once
    _check_groups(result.iloc[first], config, sub, found)
    # candidate_id order, from the ids' codes: sorting 30,000 distinct texts once beats
    # sorting the rows' texts
    rank = np.empty(len(id_texts), dtype=np.int64)
    rank[np.argsort(id_texts.astype(str), kind="stable")] = np.arange(len(id_texts))
    order = first[np.argsort(rank[id_codes[first]], kind="stable")]
    result = result.drop(columns="_row").iloc[order].reset_index(drop=True)
    text_columns = [c for c in result.columns if c != col.ELIGIBLE]
    return result.astype(dict.fromkeys(text_columns, "str")).astype({col.ELIGIBLE: bool})


def _first_of_each(codes: np.ndarray) -> np.ndarray:
    """Positions of the first row of each code (rows coded -1 left out), in row order."""
    present = np.flatnonzero(codes >= 0)
    _, first = np.unique(codes[present], return_index=True)
    return present[np.sort(first)]


def _used(codes: np.ndarray, uniques: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The distinct values that rows in ``keep`` hold."""
    return uniques[np.bincount(codes[keep] + 1, minlength=len(uniques) + 1)[1:] > 0]


def _check_candidate_ids(
    result: pd.DataFrame, table: RawTable, found: _Issues, id_codes: np.ndarray
) -> None:
    """Report repeated ids, ids that are also project ids, and projects across groups.

    ``id_codes`` codes the rows' candidate ids (-1 for none), so the common case of
    unique ids is seen without hashing the ids again.
    """
    present = id_codes >= 0
    counts = np.bincount(id_codes[present], minlength=1)
    repeated_rows = present & (counts[np.maximum(id_codes, 0)] > 1)
    repeated = result.loc[repeated_rows]
    for candidate_id, rows in repeated.groupby(col.CANDIDATE_ID, sort=True):
        groups = sorted(set(rows[col.GROUP].dropna()))
        row_list = ", ".join(str(r) for r in rows["_row"])
        if len(groups) > 1:
            found.add(
                Issue(
                    "error",
                    "candidate.two_groups",
                    f"Candidate '{candidate_id}' is in groups {', '.join(groups)} "
                    f"(rows {row_list}). A candidate belongs to exactly one group.",
                    file=table.file,
                    sheet=table.sheet,
                    row=int(rows["_row"].iloc[1]),
                    column=col.GROUP,
                    value=str(candidate_id),
                )
            )
        else:
            found.add(
                Issue(
                    "error",
                    "id.duplicate",
                    f"Candidate id '{candidate_id}' appears on rows {row_list}. "
                    "Give each candidate one row with a unique id.",
                    file=table.file,
                    sheet=table.sheet,
                    row=int(rows["_row"].iloc[1]),
                    column=col.CANDIDATE_ID,
                    value=str(candidate_id),
                )
            )
    project_values = result[col.PROJECT].to_numpy(dtype=object)
    with_project = present & pd.notna(project_values)
    projects = result.loc[with_project]
    clash = sorted(
        set(project_values[with_project])
        & set(result[col.CANDIDATE_ID].to_numpy(dtype=object)[present])
    )
    for project in clash:
        found.add(
            Issue(
                "error",
                "id.ambiguous",
                f"'{project}' is both a project id and a candidate id, so a mark for it "
                "would be ambiguous. Rename the project.",
                file=table.file,
                sheet=table.sheet,
                column=col.PROJECT,
                value=project,
            )
        )
    project_codes, _ = pd.factorize(projects[col.PROJECT])
    group_codes, group_names = pd.factorize(projects[col.GROUP])
    pairs = np.unique(project_codes * (len(group_names) + 1) + group_codes + 1)
    n_groups = np.bincount(pairs // (len(group_names) + 1))
    spread = projects.loc[n_groups[project_codes] > 1] if len(pairs) else projects.iloc[:0]
    for project_id, members in spread.groupby(col.PROJECT, sort=True):
        project = str(project_id)
        groups = sorted(set(members[col.GROUP].dropna()))
        if len(groups) > 1:
            found.add(
                Issue(
                    "warning",
                    "project.two_groups",
                    f"Project '{project}' has members in groups {', '.join(groups)}. "
                    "Its marks count for every member in each group; check it is intended.",
                    file=table.file,
                    sheet=table.sheet,
                    column=col.PROJECT,
                    value=str(project),
                )
            )


def _check_groups(
    result: pd.DataFrame, config: EventConfig, table: RawTable, found: _Issues
) -> None:
    n_eligible_of = result.groupby(col.GROUP, sort=True)[col.ELIGIBLE].sum()
    for group, n_eligible_value in n_eligible_of.items():
        seats = config.selection.seats.get(str(group), config.selection.per_group)
        n_eligible = int(n_eligible_value)
        if n_eligible < seats:
            found.add(
                Issue(
                    "warning",
                    "group.too_few_eligible",
                    f"Group '{group}' has {n_eligible} eligible candidate(s) for {seats} "
                    "seat(s); the selection cannot fill it unless this changes.",
                    file=table.file,
                    sheet=table.sheet,
                    column=col.GROUP,
                    value=str(group),
                )
            )
    groups = {str(g) for g in n_eligible_of.index}
    for group in sorted(set(config.selection.seats) - groups):
        found.add(
            Issue(
                "error",
                "config.invalid",
                f"[selection] seats names group '{group}', which has no candidates. "
                f"Groups are: {', '.join(sorted(groups))}.",
                file="event.toml",
                column="selection.seats",
                value=group,
            )
        )


def _jurors(
    table: RawTable, candidates: pd.DataFrame | None, found: _Issues
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = table.frame
    if col.JUROR_ID not in frame:
        found.add(
            Issue(
                "error",
                "columns.missing",
                "Required column 'juror_id' not found.",
                file=table.file,
                sheet=table.sheet,
                column=col.JUROR_ID,
            )
        )
        return pd.DataFrame({col.JUROR_ID: pd.array([], dtype="str")}), _empty_conflicts()
    out: dict[str, Any] = {
        col.JUROR_ID: text_column(table, col.JUROR_ID, found.add, is_id=True, required=True)
    }
    out[col.NAME] = (
        text_column(table, col.NAME, found.add, is_id=False, required=False)
        if col.NAME in frame
        else np.full(len(frame), None, dtype=object)
    )
    for attribute in [
        c for c in frame.columns if c not in (col.JUROR_ID, col.NAME, col.CONFLICTS) and c
    ]:
        out[attribute] = text_column(table, attribute, found.add, is_id=False, required=False)
    jurors = pd.DataFrame(out)
    counts = jurors[col.JUROR_ID].value_counts()
    for juror_id in sorted(counts[counts > 1].index):
        rows = table.rows[(jurors[col.JUROR_ID] == juror_id).to_numpy()]
        found.add(
            Issue(
                "error",
                "id.duplicate",
                f"Juror id '{juror_id}' appears on rows {', '.join(map(str, rows))}.",
                file=table.file,
                sheet=table.sheet,
                row=int(rows[1]),
                column=col.JUROR_ID,
                value=str(juror_id),
            )
        )
    conflicts = _conflicts(table, jurors, candidates, found)
    jurors = jurors.dropna(subset=[col.JUROR_ID]).drop_duplicates(col.JUROR_ID)
    jurors = jurors.sort_values(col.JUROR_ID, ignore_index=True)
    return jurors.astype("str"), conflicts


def _conflicts(
    table: RawTable, jurors: pd.DataFrame, candidates: pd.DataFrame | None, found: _Issues
) -> pd.DataFrame:
    if col.CONFLICTS not in table.frame or candidates is None:
        return _empty_conflicts()
    kinds: list[tuple[str, set[str]]] = [
        ("candidate", set(candidates[col.CANDIDATE_ID])),
        ("project", set(candidates[col.PROJECT].dropna())),
        ("group", set(candidates[col.GROUP])),
    ]
    records: list[tuple[str, str, str]] = []
    for position, raw in enumerate(table.frame[col.CONFLICTS].to_numpy(dtype=object)):
        juror_id = jurors[col.JUROR_ID].iloc[position]
        text = clean_text(raw)
        if text is None or juror_id is None:
            continue
        for part in text.split(";"):
            conflict_id = clean_text(part)
            if conflict_id is None:
                continue
            conflict_id = fix_id(conflict_id)[0]
            kind = next((k for k, known in kinds if conflict_id in known), None)
            if kind is None:
                hint = " Separate several ids with ';'." if "," in conflict_id else ""
                found.add(
                    Issue(
                        "warning",
                        "conflict.unknown",
                        f"Juror '{juror_id}' declares a conflict with '{conflict_id}', "
                        f"which is no candidate, project or group; it is ignored.{hint}",
                        file=table.file,
                        sheet=table.sheet,
                        row=int(table.rows[position]),
                        column=col.CONFLICTS,
                        value=conflict_id,
                    )
                )
                continue
            records.append((str(juror_id), conflict_id, kind))
    if not records:
        return _empty_conflicts()
    frame = pd.DataFrame(
        sorted(set(records)), columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND]
    )
    return frame.astype("str")
