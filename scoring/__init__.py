"""pitch-jury scoring: read and check jury score sheets, then turn marks into merit.

The pipeline, one folder per stage (``scoring`` never imports ``selection``):

- :mod:`scoring.ingest`: read the files, check everything, build the clean
  :class:`~scoring.event.Event` (:func:`load_event`, :func:`build_event`);
- :mod:`scoring.conflicts`: exclude marks given under a conflict of interest;
- :mod:`scoring.models`: normalise or calibrate the marks (juror severity), aggregate them
  per target and criterion, weight the criteria into merit (or the Bayesian model);
- :mod:`scoring.diagnostics`: juror severity and outliers, reliability, affinity bias;
- :mod:`scoring.pipeline`: :func:`score_event`, all of the above in one call.

Beneath them: :mod:`scoring.columns` (every column name), :mod:`scoring.config` (the one
frozen configuration), :mod:`scoring.errors` (the error hierarchy and located issues),
:mod:`scoring.event` and :mod:`scoring.frames`. The names below are imported on first use.

Examples
--------
>>> from scoring import example_event_path, load_event, score_event
>>> scored = score_event(load_event(example_event_path()))
>>> scored.method, len(scored.merit)
('additive', 80)
"""

# ruff: noqa: F401  (the imports under TYPE_CHECKING are the lazy exports, for type checkers)
from __future__ import annotations

from typing import TYPE_CHECKING

from scoring._lazy import lazy_exports

if TYPE_CHECKING:
    from scoring.config import EventConfig, SelectionConfig, config_json_schema
    from scoring.errors import (
        InvalidEventError,
        Issue,
        PitchJuryError,
        SolverError,
        SolverUnavailableError,
        issues_frame,
    )
    from scoring.event import Event
    from scoring.example import example_event_path
    from scoring.ingest.load import load_config, load_event
    from scoring.ingest.validate import build_event, validate_tables
    from scoring.pipeline import SCORING_METHODS, ScoringResult, score_event

_EXPORTS = {
    "EventConfig": "scoring.config",
    "SelectionConfig": "scoring.config",
    "config_json_schema": "scoring.config",
    "InvalidEventError": "scoring.errors",
    "Issue": "scoring.errors",
    "PitchJuryError": "scoring.errors",
    "SolverError": "scoring.errors",
    "SolverUnavailableError": "scoring.errors",
    "issues_frame": "scoring.errors",
    "Event": "scoring.event",
    "example_event_path": "scoring.example",
    "load_config": "scoring.ingest.load",
    "load_event": "scoring.ingest.load",
    "build_event": "scoring.ingest.validate",
    "validate_tables": "scoring.ingest.validate",
    "SCORING_METHODS": "scoring.pipeline",
    "ScoringResult": "scoring.pipeline",
    "score_event": "scoring.pipeline",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
