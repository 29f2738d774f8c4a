"""Ingest: read the event's files, check everything, return a clean event.

In pipeline order: :mod:`~scoring.ingest.readers` (a package: CSV, TSV and TXT in
:mod:`~scoring.ingest.readers.text`, XLSX in :mod:`~scoring.ingest.readers.workbook`, any
encoding and separator Excel produces; :func:`read_table` in
:mod:`~scoring.ingest.readers.read` tells them apart), :mod:`~scoring.ingest.cells` and
:mod:`~scoring.ingest.textscan` (the text rules, one value and all distinct values at once),
:mod:`~scoring.ingest.sheet_marks` (the score sheet's own checks),
:mod:`~scoring.ingest.spelling` (aliases, and values spelt two ways),
:mod:`~scoring.ingest.attributes` (the attribute values rules count: :func:`attribute_values`),
:mod:`~scoring.ingest.config_checks` (event.toml across keys), :mod:`~scoring.ingest.people`
(candidates and jurors), :mod:`~scoring.ingest.marks` (marks as integer arrays, the clean
score frame and :class:`~scoring.ingest.marks.MarkIndex`), :mod:`~scoring.ingest.scores`
(marks against the people), :mod:`~scoring.ingest.validate` (everything together:
:func:`build_event`) and :mod:`~scoring.ingest.load` (:func:`load_event` from a folder).

Examples
--------
>>> from scoring.ingest import load_event
>>> from scoring.example import example_event_path
>>> len(load_event(example_event_path()).candidates)
80
"""

from scoring.ingest.attributes import attribute_values
from scoring.ingest.load import event_toml_path, load_config, load_event
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.ingest.readers import RawTable, read_table
from scoring.ingest.validate import ISSUE_CODES, build_event, validate_tables

__all__ = [
    "ISSUE_CODES",
    "MarkIndex",
    "RawTable",
    "attribute_values",
    "build_event",
    "event_toml_path",
    "index_marks",
    "load_config",
    "load_event",
    "read_table",
    "validate_tables",
]
