"""Small builders of clean events for unit tests of later pipeline stages."""

from __future__ import annotations

from typing import Any

import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import issues_frame
from scoring.event import Event


def make_config(
    criteria: list[dict[str, Any]] | None = None, **sections: dict[str, Any]
) -> EventConfig:
    """Return an EventConfig with placeholder file names and the given sections."""
    data: dict[str, Any] = {
        "event": {"name": "test", "candidates": "candidates.csv", "scores": "scores.csv"},
        "criteria": criteria
        or [{"name": "pitch", "weight": 1.0, "min": 1, "max": 10, "level": "candidate"}],
    }
    data.update(sections)
    return EventConfig.model_validate(data)


def make_event(
    candidates: pd.DataFrame,
    scores: pd.DataFrame,
    config: EventConfig | None = None,
    jurors: pd.DataFrame | None = None,
    conflicts: pd.DataFrame | None = None,
) -> Event:
    """Build an Event from already-clean frames, without file validation.

    ``candidates`` needs ``candidate_id, name, group`` (``project`` and ``eligible`` are
    filled in when absent); ``scores`` needs ``juror_id, target_id, criterion, score``.
    """
    config = config or make_config()
    cands = candidates.copy()
    if col.PROJECT not in cands:
        cands[col.PROJECT] = pd.NA
    if col.ELIGIBLE not in cands:
        cands[col.ELIGIBLE] = True
    fixed = list(col.CANDIDATE_COLUMNS)
    cands = cands[fixed + [c for c in cands.columns if c not in fixed]]
    cands = cands.sort_values(col.CANDIDATE_ID, ignore_index=True)
    levels = {c.name: c.level for c in config.criteria}
    sc = scores.copy()
    sc[col.SCORE] = sc[col.SCORE].astype("float64")
    sc[col.LEVEL] = sc[col.CRITERION].map(levels)
    if col.SOURCE_ROW not in sc:
        sc[col.SOURCE_ROW] = range(2, len(sc) + 2)
    sc = sc.sort_values([col.CRITERION, col.TARGET_ID, col.JUROR_ID], ignore_index=True)
    if jurors is None:
        jurors = pd.DataFrame({col.JUROR_ID: sorted(sc[col.JUROR_ID].unique()), col.NAME: pd.NA})
    if conflicts is None:
        conflicts = pd.DataFrame(columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND])
    return Event(
        config=config,
        candidates=cands,
        scores=sc,
        jurors=jurors.sort_values(col.JUROR_ID, ignore_index=True),
        conflicts=conflicts,
        warnings=issues_frame([]),
    )
