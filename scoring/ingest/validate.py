"""Check candidates, jurors and scores, and build the clean :class:`~scoring.event.Event`.

Validation collects every problem before failing. Each problem is an
:class:`~scoring.errors.Issue` located as the user sees it (file, sheet, spreadsheet row
with the header as row 1, column, value) with a stable code; when any has severity
``"error"``, :class:`~scoring.errors.InvalidEventError` is raised with all of them.
:data:`ISSUE_CODES` lists every code with its meaning.

The clean frames never depend on the order of input rows: they are sorted by ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig, config_from_mapping
from scoring.errors import InvalidEventError, Issue, issues_frame
from scoring.event import Event
from scoring.ingest.people import IssueLog, People, check_people, empty_conflicts
from scoring.ingest.readers import RawTable, header_key
from scoring.ingest.scores import check_juror_marks, check_scores

__all__ = [
    "ISSUE_CODES",
    "build_event",
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
    "file.encrypted": "A password-protected (encrypted) workbook; remove the password.",
    "config.syntax": "event.toml is not valid TOML.",
    "config.invalid": "A key of event.toml is missing, misspelt or out of range.",
    "config.weights_sum": "Criterion weights do not sum to 1.",
    "csv.decimal_comma": "An unquoted decimal comma in a comma-separated file.",
    "csv.field_count": "A row has more fields than the header.",
    "xlsx.no_data_sheet": "No sheet has the expected header row.",
    "xlsx.error_cell": "An Excel error cell such as #DIV/0!.",
    "xlsx.formula_no_value": "A formula cell without a saved value.",
    "xlsx.sheet_not_found": "The sheet named by a *_sheet key of event.toml is not in the book.",
    "xlsx.several_data_sheets": "Several sheets have the expected headers; name one in event.toml.",
    "xlsx.merged_filled": "Merged group cells were filled down; the rows filled are listed.",
    "xlsx.merged_cells": "Merged data cells outside the group column (blank but for one row).",
    "xlsx.hidden_rows": "Data rows hidden in Excel (by hand or a filter) were read; listed.",
    "xlsx.hidden_columns": "Columns hidden in Excel were read.",
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
    "id.near_duplicate": "A group, project, criterion or id spelt two ways (case, spaces, "
    "look-alike letters of another script); declare one an alias or retype it.",
    "text.normalised": "Values with unusual spaces or Unicode forms were normalised.",
    "text.mojibake": "Text that looks garbled by a wrong encoding.",
    "text.totals_row": "A totals row ('Итого', 'Total') was skipped.",
    "text.question_marks": "A cp1251 file with '?' for letters Excel could not save.",
    "text.excel_error": "A text or id cell holds an Excel error value such as #REF!.",
    "candidate.two_groups": "A candidate id appears in two groups.",
    "candidate.bad_eligible": "An 'eligible' cell is not yes/no.",
    "project.two_groups": "A project has members in more than one group.",
    "group.too_few_eligible": "A group has fewer eligible candidates than seats.",
    "conflict.unknown": "A declared conflict names no candidate, project or group (it would "
    "be ignored); the closest id or the candidate of that name is suggested.",
    "score.not_scored": "A 'not scored' token was read as no mark.",
    "score.not_number": "A score cell is text that is not a number.",
    "score.ambiguous": "A score reads two ways (1,234: a decimal comma or a thousands separator).",
    "score.boolean": "A score cell holds TRUE/FALSE.",
    "score.date": "A score cell holds a date.",
    "score.excel_error": "A score cell holds an Excel error.",
    "score.out_of_scale": "A mark outside the criterion's scale.",
    "score.duplicate_identical": "The same mark given twice; one was kept.",
    "score.duplicate_conflicting": "Two different marks for the same juror, target, criterion.",
    "score.no_marks": "A target has no marks on a criterion.",
    "score.empty": "The score sheet has no marks at all.",
    "config.alias_unknown": "An alias in event.toml maps to a value nobody has.",
    "config.default_seed": "No [selection] seed: the default seed is used.",
    "criteria.mixed_scales": "Criteria on scales of different widths: weights act on native "
    "points.",
    "text.mixed_script": "A word mixing Latin and Cyrillic (or Greek) letters.",
    "candidate.same_name": "Two candidates with different ids have the same name.",
    "juror.same_name": "Two jurors with different ids have the same name.",
    "juror.no_marks": "A juror of the jurors file gave no mark.",
    "juror.few_marks": "A juror gave fewer than 3 marks on a criterion.",
    "juror.no_spread": "A juror gave one same mark to every target on a criterion.",
    "attribute.near_value": "An attribute value a rule counts, spelt differently (case, "
    "spaces, look-alike letters): it does not count.",
    "attribute.rare_value": "A value a rule counts is rare beside values no rule names.",
    "attribute.unknown_value": "An attribute value outside its declared [attributes] values.",
}
"""Every issue code validation can report, with its meaning."""


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

    Everything runs in the calling thread. Checking the candidates in a second thread
    meanwhile would save about 10 ms of 155 ms on 30,000 candidates and 1.35 million marks
    (``benchmarks/ingest.py``'s event, 2 idle cores), less than that benchmark's noise,
    and costs time on one core or when the host keeps the cores busy.

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

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> people = pd.DataFrame({"candidate_id": ["A1"], "name": ["Ana"], "group": ["G"]})
    >>> marks = pd.DataFrame({"juror_id": ["J1"], "target_id": ["A1"], "criterion": ["pitch"],
    ...                       "score": [7]})
    >>> tables = {"candidates": frame_table(people, name="candidates"),
    ...           "scores": frame_table(marks, name="scores")}
    >>> event = validate_tables(tables, config)
    >>> event.scores["score"].tolist(), list(event.warnings["code"])
    ([7.0], ['config.default_seed', 'group.too_few_eligible', 'juror.few_marks'])
    """
    people = check_people(tables["candidates"], tables.get("jurors"), config)
    return validate_event_scores(tables["scores"], people, config, issues=issues, inputs=inputs)


def validate_event_scores(
    scores_table: RawTable,
    people: People | Callable[[], People],
    config: EventConfig,
    *,
    issues: Iterable[Issue] = (),
    inputs: Mapping[str, Any] | None = None,
) -> Event:
    """Check the score sheet against :func:`check_people`'s result; return the clean event.

    The second half of :func:`validate_tables` (see there); ``issues`` are the issues
    found reading the files. ``people`` may be a function that returns the result: it is
    called once the sheet's own checks are done.

    Raises
    ------
    InvalidEventError
        When any error was found (here, in ``people`` or in ``issues``).

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> people = check_people(frame_table(pd.DataFrame(
    ...     {"candidate_id": ["A1"], "name": ["Ana"], "group": ["G"]}), name="candidates"),
    ...     None, config)
    >>> marks = pd.DataFrame({"juror_id": ["J1"], "target_id": ["A9"], "criterion": ["pitch"],
    ...                       "score": [7]})
    >>> try:
    ...     validate_event_scores(frame_table(marks, name="scores"), people, config)
    ... except InvalidEventError as error:
    ...     print([i.code for i in error.problems])
    ['id.unknown_target', 'score.empty', 'config.default_seed', 'group.too_few_eligible']
    """
    checked: list[People] = []

    def get_people() -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        if not checked:
            checked.append(people if isinstance(people, People) else people())
        return checked[0].candidates, checked[0].jurors

    sheet = IssueLog()
    scores = check_scores(scores_table, config, people=get_people, found=sheet)
    candidates, jurors = get_people()
    conflicts = checked[0].conflicts
    found = IssueLog()
    found.extend(issues)
    found.extend(checked[0].issues)
    found.absorb(sheet)
    if scores is not None:
        check_juror_marks(scores, checked[0], scores_table, found.add)
    if jurors is None:
        ids = sorted(scores[col.JUROR_ID].unique()) if scores is not None else []
        jurors = pd.DataFrame({col.JUROR_ID: pd.array(ids, dtype="str"), col.NAME: pd.NA})
        conflicts = empty_conflicts()
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
