"""pitch-jury scoring: ingest and validate jury score sheets, then turn marks into merit.

The pipeline, one module per step: :mod:`scoring.columns` (column names),
:mod:`scoring.config` (the event configuration), :mod:`scoring.ingest` (read files),
:mod:`scoring.validate` (check everything), then conflicts, normalisation, calibration,
aggregation and diagnostics. ``scoring`` never imports ``selection``.
"""

from scoring.config import EventConfig, config_json_schema
from scoring.errors import InvalidEventError, Issue, PitchJuryError
from scoring.event import Event

__all__ = [
    "Event",
    "EventConfig",
    "InvalidEventError",
    "Issue",
    "PitchJuryError",
    "config_json_schema",
]
