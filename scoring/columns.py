"""Column names of every frame pitch-jury reads or returns, declared once.

Each constant is the exact column header used in input files, in the clean frames the
library returns and in the files the command line writes. Other modules import these
names instead of spelling strings, so a rename happens here and nowhere else.

Input frames
------------
candidates
    ``candidate_id`` (str, unique), ``name`` (str), ``group`` (str), optional ``project``
    (str; empty when the candidate pitches alone), optional ``eligible`` (bool, default
    true), and any attribute columns (gender, country, university, ...), kept as text.
scores, long form
    ``juror_id``, ``target_id`` (a candidate id or a project id), ``criterion``, ``score``.
scores, wide form
    ``juror_id``, ``target_id`` and one column per criterion.
jurors
    ``juror_id``, optional ``name``, attribute columns, optional ``conflicts`` (candidate,
    project or group ids separated by ``;``).

Clean frames (what :class:`scoring.event.Event` holds)
------------------------------------------------------
scores
    ``juror_id``, ``target_id``, ``criterion``, ``score`` (float64, never missing: marks
    that were not scored are absent), ``level`` (``"project"`` or ``"candidate"``),
    ``source_row`` (spreadsheet row of the mark in its file, header = row 1).
conflicts
    ``juror_id``, ``conflict_id`` (the id as written), ``kind`` (``"candidate"``,
    ``"project"`` or ``"group"``).

Examples
--------
>>> from scoring import columns as col
>>> col.CANDIDATE_ID, col.SCORE
('candidate_id', 'score')
"""

from __future__ import annotations

__all__ = [
    "ATTRIBUTE",
    "CANDIDATE_COLUMNS",
    "CANDIDATE_ID",
    "CONFLICTS",
    "CONFLICT_ID",
    "CONFLICT_KIND",
    "CRITERION",
    "ELIGIBLE",
    "GROUP",
    "ISSUE_COLUMNS",
    "JUROR_ID",
    "LEVEL",
    "LONG_SCORE_COLUMNS",
    "MERIT",
    "MERIT_SE",
    "NAME",
    "N_JURORS",
    "PROJECT",
    "RAW_MEAN",
    "SCORE",
    "SOURCE_ROW",
    "TARGET_ID",
]

# candidates
CANDIDATE_ID = "candidate_id"
NAME = "name"
GROUP = "group"
PROJECT = "project"
ELIGIBLE = "eligible"

# scores
JUROR_ID = "juror_id"
TARGET_ID = "target_id"
CRITERION = "criterion"
SCORE = "score"
LEVEL = "level"
SOURCE_ROW = "source_row"

# jurors and conflicts
CONFLICTS = "conflicts"
CONFLICT_ID = "conflict_id"
CONFLICT_KIND = "kind"

# scoring results
N_JURORS = "n_jurors"
RAW_MEAN = "raw_mean"
MERIT = "merit"
MERIT_SE = "merit_se"
ATTRIBUTE = "attribute"

CANDIDATE_COLUMNS: tuple[str, ...] = (CANDIDATE_ID, NAME, GROUP, PROJECT, ELIGIBLE)
"""Candidate columns with a fixed meaning; every other column is an attribute."""

LONG_SCORE_COLUMNS: tuple[str, ...] = (JUROR_ID, TARGET_ID, CRITERION, SCORE)
"""Required columns of a long-form score sheet."""

ISSUE_COLUMNS: tuple[str, ...] = (
    "severity",
    "code",
    "file",
    "sheet",
    "row",
    "column",
    "value",
    "message",
)
"""Columns of the issues frame (see :mod:`scoring.errors`)."""
