"""Check the candidates and jurors tables (the first half of :mod:`scoring.ingest.validate`).

:func:`check_people` cleans the candidates (ids, names, groups, projects, eligibility,
attributes) and the jurors with their declared conflicts, and records every issue found;
:func:`scoring.ingest.validate.validate_event_scores` then checks the score sheet against them.
:class:`IssueLog` collects the issues of both halves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.ingest.attributes import attribute_config_issues, check_attributes
from scoring.ingest.cells import (
    clean_text,
    fix_id,
    parse_bool,
    report_blanks,
    text_codes,
    text_column,
    totals_rows,
)
from scoring.ingest.config_checks import config_issues, unknown_aliases
from scoring.ingest.readers import RawTable
from scoring.ingest.spelling import (
    ConflictHint,
    aliased_candidates,
    aliased_jurors,
    check_candidate_spellings,
    report_mixed_script,
    report_same_names,
    report_variants,
)
from scoring.ingest.textscan import text_order

__all__ = ["IssueLog", "People", "check_people", "empty_conflicts"]

_PER_CODE_CAP = 200


class IssueLog:
    """Collect issues, keeping at most ``cap`` located ones per code and file (all when
    ``cap`` is None); :meth:`finish` adds one "... and N more" issue per capped code.

    Examples
    --------
    >>> log = IssueLog(cap=1)
    >>> log.extend([Issue("warning", "x", "a"), Issue("warning", "x", "b")])
    >>> [i.message for i in log.finish()]
    ['a', '... and 1 more issue(s) like the ones above.']
    """

    def __init__(self, cap: int | None = _PER_CODE_CAP) -> None:
        self.cap = cap
        self.items: list[Issue] = []
        self._counts: Counter[tuple[str, str | None]] = Counter()
        self._first: dict[tuple[str, str | None], Issue] = {}

    def add(self, issue: Issue) -> None:
        """Record one issue."""
        key = (issue.code, issue.file)
        self._counts[key] += 1
        if self.cap is None or self._counts[key] <= self.cap:
            self.items.append(issue)
        self._first.setdefault(key, issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record several issues, in order."""
        for issue in issues:
            self.add(issue)

    def absorb(self, other: IssueLog) -> None:
        """Record what ``other`` recorded, as if its issues had been added here in order.

        ``other`` must keep at least as many issues per code as this log does, so that the
        ones this log keeps are among the ones ``other`` kept.

        Examples
        --------
        >>> first, later = IssueLog(cap=1), IssueLog(cap=1)
        >>> first.add(Issue("warning", "x", "a"))
        >>> later.extend([Issue("warning", "x", "b"), Issue("warning", "y", "c")])
        >>> first.absorb(later)
        >>> [i.message for i in first.finish()]
        ['a', 'c', '... and 1 more issue(s) like the ones above.']
        """
        if other.cap is not None and (self.cap is None or other.cap < self.cap):
            raise ValueError("cannot absorb a log that kept fewer issues per code")
        for issue in other.items:
            self.add(issue)
        kept = Counter((i.code, i.file) for i in other.items)
        for key, n in other._counts.items():
            self._counts[key] += n - kept[key]
            self._first.setdefault(key, other._first[key])

    def finish(self) -> list[Issue]:
        """Return the issues kept, then one summary per capped code and file."""
        out = list(self.items)
        for (code, file), n in sorted(
            self._counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            if self.cap is not None and n > self.cap:
                first = self._first[(code, file)]
                out.append(
                    Issue(
                        first.severity,
                        code,
                        f"... and {n - self.cap} more issue(s) like the ones above.",
                        file=file,
                    )
                )
        return out

    @property
    def has_errors(self) -> bool:
        """True when any issue kept is an error."""
        return any(i.severity == "error" for i in self.items)


@dataclass(frozen=True)
class People:
    """The checked candidates and jurors of an event, and every issue found in them.

    The first half of :func:`scoring.ingest.validate.validate_tables`;
    :func:`scoring.ingest.validate.validate_event_scores` is the second.
    """

    candidates: pd.DataFrame | None
    jurors: pd.DataFrame | None
    conflicts: pd.DataFrame | None
    issues: tuple[Issue, ...]
    juror_rows: Mapping[str, int] = field(default_factory=dict)
    """The spreadsheet row of each juror id in the jurors table (empty without one)."""
    juror_table: RawTable | None = None
    """The jurors table as read (aliases applied), to locate issues about jurors."""


def check_people(candidates: RawTable, jurors: RawTable | None, config: EventConfig) -> People:
    """Check the candidates table, and the jurors table when given (see :class:`People`).

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> from scoring.ingest.validate import frame_table
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> table = frame_table(pd.DataFrame({"candidate_id": ["A1"], "name": ["Ana"],
    ...                                   "group": ["G"]}), name="candidates")
    >>> people = check_people(table, None, config)
    >>> people.candidates["candidate_id"].tolist(), [i.code for i in people.issues]
    (['A1'], ['config.default_seed', 'group.too_few_eligible'])
    """
    found = IssueLog(cap=None)
    found.extend(config_issues(config))
    checked = _candidates(aliased_candidates(candidates, config), config, found)
    if jurors is None:
        return People(checked, None, None, tuple(found.items))
    jurors = aliased_jurors(jurors, config)
    juror_frame, conflicts, rows = _jurors(jurors, checked, config, found)
    return People(checked, juror_frame, conflicts, tuple(found.items), rows, jurors)


# ---------------------------------------------------------------------------- helpers


def empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.JUROR_ID: pd.array([], dtype="str"),
            col.CONFLICT_ID: pd.array([], dtype="str"),
            col.CONFLICT_KIND: pd.array([], dtype="str"),
        }
    )


def _candidates(table: RawTable, config: EventConfig, found: IssueLog) -> pd.DataFrame | None:
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
    sub = table.subset(keep)
    rows = sub.rows
    out: dict[str, Any] = {}
    for column, (codes, uniques) in coded.items():
        report_blanks(sub, column, codes[keep], found.add)
        out[column] = np.append(uniques, np.array([None], dtype=object))[codes[keep]]
    ids = out[col.CANDIDATE_ID]
    groups = text_codes(sub, col.GROUP, found.add, is_id=False, required=True)
    projects = (
        text_codes(sub, col.PROJECT, found.add, is_id=True, required=False)
        if col.PROJECT in sub.frame
        else (np.full(len(ids), -1), np.array([], dtype=object))
    )
    out[col.GROUP], out[col.PROJECT] = _texts(*groups), _texts(*projects)
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
    id_codes, id_texts = coded[col.CANDIDATE_ID][0][keep], coded[col.CANDIDATE_ID][1]
    _check_candidate_ids(result, sub, found, id_codes, groups, projects)
    first = _first_of_each(id_codes)  # rows with an id, each id once
    check_candidate_spellings(sub, (id_codes, id_texts), groups, projects, found.add)
    names = coded[col.NAME][0][keep]
    report_same_names(
        names[first],
        coded[col.NAME][1],
        rows[first],
        id_texts[id_codes[first]],
        who="candidates",
        code="candidate.same_name",
        file=sub.file,
        sheet=sub.sheet,
        column=col.NAME,
        report=found.add,
        where=out[col.GROUP][first],
    )
    report_mixed_script(
        names,
        coded[col.NAME][1],
        rows,
        file=sub.file,
        sheet=sub.sheet,
        column=col.NAME,
        report=found.add,
    )
    _check_groups(groups[0][first], groups[1], eligible[first], config, sub, found)
    # candidate_id order, from the ids' codes: sorting 30,000 distinct texts once beats
    # sorting the rows' texts
    rank = np.empty(len(id_texts), dtype=np.int64)
    rank[text_order(id_texts)] = np.arange(len(id_texts))
    order = first[np.argsort(rank[id_codes[first]], kind="stable")]
    result = result.drop(columns="_row").iloc[order].reset_index(drop=True)
    text_columns = [c for c in result.columns if c != col.ELIGIBLE]
    result = result.astype(dict.fromkeys(text_columns, "str")).astype({col.ELIGIBLE: bool})
    found.extend(attribute_config_issues(config, list(result.columns)))
    check_attributes(result, rows[order], config, file=sub.file, sheet=sub.sheet, report=found.add)
    for table_name, column, what in (
        ("group", col.GROUP, "group of the candidates"),
        ("project", col.PROJECT, "project of the candidates"),
        ("candidate_id", col.CANDIDATE_ID, "candidate id"),
    ):
        aliases = getattr(config.aliases, table_name)
        if aliases:
            known = set(result[column].dropna())
            found.extend(unknown_aliases(table_name, aliases, known, what=what))
    return result


def _texts(codes: np.ndarray, uniques: np.ndarray) -> np.ndarray:
    """The object column ``uniques[codes]``, with None where the code is -1."""
    return np.append(uniques.astype(object), np.array([None], dtype=object))[codes]


def _first_of_each(codes: np.ndarray) -> np.ndarray:
    """Positions of the first row of each code (rows coded -1 left out), in row order."""
    present = np.flatnonzero(codes >= 0)
    _, first = np.unique(codes[present], return_index=True)
    return present[np.sort(first)]


def _check_candidate_ids(
    result: pd.DataFrame,
    table: RawTable,
    found: IssueLog,
    id_codes: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray],
    projects: tuple[np.ndarray, np.ndarray],
) -> None:
    """Report repeated ids, ids that are also project ids, and projects across groups.

    ``id_codes``, ``groups`` and ``projects`` code the rows' ids, groups and projects
    (codes and distinct texts, -1 for blank), so nothing is hashed again.
    """
    present = id_codes >= 0
    counts = np.bincount(id_codes[present], minlength=1)
    repeated_rows = present & (counts[np.maximum(id_codes, 0)] > 1)
    repeated = result.loc[repeated_rows]
    for candidate_id, rows in repeated.groupby(col.CANDIDATE_ID, sort=True):
        in_groups = sorted(set(rows[col.GROUP].dropna()))
        row_list = ", ".join(str(r) for r in rows["_row"])
        if len(in_groups) > 1:
            found.add(
                Issue(
                    "error",
                    "candidate.two_groups",
                    f"Candidate '{candidate_id}' is in groups {', '.join(in_groups)} "
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
    project_codes, project_ids = projects
    with_project = present & (project_codes >= 0)
    in_use = np.bincount(project_codes[with_project], minlength=len(project_ids)) > 0
    used_ids = pd.Index(result[col.CANDIDATE_ID].to_numpy(dtype=object)[present], dtype=object)
    clash = project_ids[in_use & pd.Index(project_ids, dtype=object).isin(used_ids)]
    for project in sorted(clash.tolist()):
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
    # A project across groups: a member whose group differs from the group of the member
    # the scatter below keeps for its project (any one member will do).
    group_codes, group_names = groups
    members = np.flatnonzero(with_project & (group_codes >= 0))
    member_project, member_group = project_codes[members], group_codes[members]
    one_group = np.full(len(project_ids), -1, dtype=np.int64)
    one_group[member_project] = member_group
    spread = np.unique(member_project[member_group != one_group[member_project]])
    for code in sorted(spread.tolist(), key=lambda c: str(project_ids[c])):
        project = str(project_ids[code])
        names = sorted({str(group_names[g]) for g in member_group[member_project == code]})
        found.add(
            Issue(
                "warning",
                "project.two_groups",
                f"Project '{project}' has members in groups {', '.join(names)}. "
                "Its marks count for every member in each group; check it is intended.",
                file=table.file,
                sheet=table.sheet,
                column=col.PROJECT,
                value=project,
            )
        )


def _check_groups(
    group_codes: np.ndarray,
    group_names: np.ndarray,
    eligible: np.ndarray,
    config: EventConfig,
    table: RawTable,
    found: IssueLog,
) -> None:
    """Warn about groups with fewer eligible candidates than seats; ``group_codes`` and
    ``eligible`` have one entry per candidate (-1: blank group, reported elsewhere)."""
    grouped = group_codes >= 0
    n_candidates = np.bincount(group_codes[grouped], minlength=len(group_names))
    n_eligible_of = np.bincount(
        group_codes[grouped], weights=eligible[grouped], minlength=len(group_names)
    )
    names = [str(g) for g in group_names]
    present = sorted(np.flatnonzero(n_candidates).tolist(), key=lambda g: names[g])
    for g in present:
        seats = config.selection.seats.get(names[g], config.selection.per_group)
        if n_eligible_of[g] < seats:
            found.add(
                Issue(
                    "warning",
                    "group.too_few_eligible",
                    f"Group '{names[g]}' has {int(n_eligible_of[g])} eligible candidate(s) for "
                    f"{seats} seat(s); the selection cannot fill it unless this changes.",
                    file=table.file,
                    sheet=table.sheet,
                    column=col.GROUP,
                    value=names[g],
                )
            )
    shown = sorted(names[g] for g in present)
    for group in sorted(set(config.selection.seats) - set(shown)):
        found.add(
            Issue(
                "error",
                "config.invalid",
                f"[selection] seats names group '{group}', which has no candidates. "
                f"Groups are: {', '.join(shown)}.",
                file="event.toml",
                column="selection.seats",
                value=group,
            )
        )


def _jurors(
    table: RawTable, candidates: pd.DataFrame | None, config: EventConfig, found: IssueLog
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """The clean jurors, their declared conflicts and the row of each juror id."""
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
        return pd.DataFrame({col.JUROR_ID: pd.array([], dtype="str")}), empty_conflicts(), {}
    id_codes, id_texts = text_codes(table, col.JUROR_ID, found.add, is_id=True, required=True)
    out: dict[str, Any] = {col.JUROR_ID: _texts(id_codes, id_texts)}
    if col.NAME in frame:
        name_codes, name_texts = text_codes(table, col.NAME, found.add, is_id=False, required=False)
        out[col.NAME] = _texts(name_codes, name_texts)
    else:
        out[col.NAME] = np.full(len(frame), None, dtype=object)
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
                f"Juror id '{juror_id}' appears on rows {', '.join(map(str, rows))}. "
                "Give each juror one row with a unique id.",
                file=table.file,
                sheet=table.sheet,
                row=int(rows[1]),
                column=col.JUROR_ID,
                value=str(juror_id),
            )
        )
    variants = report_variants(
        id_codes,
        id_texts,
        table.rows,
        what="juror ids",
        alias="juror_id",
        column=col.JUROR_ID,
        file=table.file,
        sheet=table.sheet,
        report=found.add,
    )
    report_mixed_script(
        id_codes,
        id_texts,
        table.rows,
        column=col.JUROR_ID,
        skip=variants,
        file=table.file,
        sheet=table.sheet,
        report=found.add,
    )
    first = _first_of_each(id_codes)
    if col.NAME in frame:
        report_same_names(
            name_codes[first],
            name_texts,
            table.rows[first],
            id_texts[id_codes[first]],
            who="jurors",
            code="juror.same_name",
            column=col.NAME,
            file=table.file,
            sheet=table.sheet,
            report=found.add,
        )
        report_mixed_script(
            name_codes,
            name_texts,
            table.rows,
            column=col.NAME,
            file=table.file,
            sheet=table.sheet,
            report=found.add,
        )
    juror_rows = {str(id_texts[id_codes[p]]): int(table.rows[p]) for p in first.tolist()}
    found.extend(unknown_aliases("juror_id", config.aliases.juror_id, juror_rows, what="juror id"))
    conflicts = _conflicts(table, jurors, candidates, config, found)
    jurors = jurors.dropna(subset=[col.JUROR_ID]).drop_duplicates(col.JUROR_ID)
    jurors = jurors.sort_values(col.JUROR_ID, ignore_index=True)
    return jurors.astype("str"), conflicts, juror_rows


def _conflicts(
    table: RawTable,
    jurors: pd.DataFrame,
    candidates: pd.DataFrame | None,
    config: EventConfig,
    found: IssueLog,
) -> pd.DataFrame:
    """The declared conflicts, each resolved to a candidate, project or group; an entry
    that names none is an error (``conflict.unknown``): an ignored conflict is unfair."""
    if col.CONFLICTS not in table.frame or candidates is None:
        return empty_conflicts()
    kinds: list[tuple[str, set[str]]] = [
        ("candidate", set(candidates[col.CANDIDATE_ID])),
        ("project", set(candidates[col.PROJECT].dropna())),
        ("group", set(candidates[col.GROUP])),
    ]
    aliases = {**config.aliases.group, **config.aliases.targets()}
    suggest: list[ConflictHint] = []  # built once, on the first unknown entry
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
            conflict_id = aliases.get(conflict_id, conflict_id)
            kind = next((k for k, known in kinds if conflict_id in known), None)
            if kind is None:
                if not suggest:
                    suggest.append(ConflictHint(candidates))
                hint = suggest[0](conflict_id) or " Write the id of a candidate, project or group."
                if "," in conflict_id:
                    hint += " Separate several ids with ';'."
                found.add(
                    Issue(
                        "error",
                        "conflict.unknown",
                        f"Juror '{juror_id}' declares a conflict with '{conflict_id}', which "
                        f"is no candidate id, project or group, so it would be ignored.{hint}",
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
        return empty_conflicts()
    frame = pd.DataFrame(
        sorted(set(records)), columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND]
    )
    return frame.astype("str")
