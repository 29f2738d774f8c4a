"""The validated event: what every later stage trusts.

An :class:`Event` is only ever produced by :func:`scoring.ingest.load.load_event` (from files) or
:func:`scoring.ingest.validate.build_event` (from DataFrames), both of which validate everything and
raise :class:`scoring.errors.InvalidEventError` with every issue when the inputs have errors.
Its frames follow the clean layouts documented in :mod:`scoring.columns`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig, SelectionConfig

__all__ = ["FRAME_DIALECT", "Dialect", "Event"]


@dataclass(frozen=True)
class Dialect:
    """How one input table was read, as the audit records it.

    Attributes
    ----------
    format
        ``"text"`` (CSV, TSV or TXT), ``"xlsx"`` (a workbook) or ``"frame"`` (a DataFrame
        given to :func:`~scoring.ingest.validate.build_event`).
    encoding
        Text files: the encoding decoded with (``"utf-8"``, ``"utf-8-sig"`` for UTF-8 with
        a byte-order mark, ``"utf-16"`` or ``"cp1251"``). None otherwise.
    separator
        Text files: the field separator (``","``, ``";"`` or ``"\\t"``). None otherwise.
    decimal
        Text files: the decimal mark numbers were parsed with (``","`` also accepts ``.``
        cell by cell). None for a workbook or a frame, whose numbers are typed.
    sheet
        Workbooks: the sheet read. None otherwise.
    header_row
        The spreadsheet row (counted from 1) of the header: 1 unless title rows come first;
        the header's last row when merged cells make it two rows tall.

    Examples
    --------
    >>> dialect = Dialect("text", encoding="cp1251", separator=";", decimal=",", header_row=1)
    >>> record = dialect.record()
    >>> record["encoding"], record["separator"], record["sheet"]
    ('cp1251', ';', None)
    """

    format: Literal["text", "xlsx", "frame"]
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None

    def record(self) -> dict[str, str | int | None]:
        """Return the dialect as JSON-able data (every attribute, None where it does not apply)."""
        return asdict(self)


FRAME_DIALECT = Dialect("frame", header_row=1)
"""The dialect of a table built from a DataFrame: typed cells, its columns as the header."""


@dataclass(frozen=True)
class Event:
    """A clean, validated pitch session.

    Attributes
    ----------
    config
        The resolved configuration.
    candidates
        ``candidate_id, name, group, project, eligible`` and attribute columns, sorted by
        ``candidate_id``. ``project`` is missing (``<NA>``) for a candidate who pitches alone;
        ``eligible`` is bool; attributes are text (missing as ``<NA>``).
    scores
        ``juror_id, target_id, criterion, score, level, source_row``, sorted by
        ``criterion, target_id, juror_id``. One row per mark actually given. The text
        columns are categorical, with the sorted texts used as categories.
    jurors
        ``juror_id, name`` and juror attribute columns, sorted by ``juror_id``. When no
        jurors file is given, one row per juror seen in the scores with a missing name.
    conflicts
        Declared conflicts ``juror_id, conflict_id, kind``.
    warnings
        Issues frame of the warnings found while validating (see :mod:`scoring.errors`).
    inputs
        Role (``"config"``, ``"candidates"``, ``"scores"``, ``"jurors"``) to the file read;
        empty for an event built from DataFrames.
    dialects
        Role (``"candidates"``, ``"scores"``, ``"jurors"``) to the :class:`Dialect` its
        table was read with; empty for an event built from DataFrames.
    """

    config: EventConfig
    candidates: pd.DataFrame
    scores: pd.DataFrame
    jurors: pd.DataFrame
    conflicts: pd.DataFrame
    warnings: pd.DataFrame
    inputs: dict[str, Path] = field(default_factory=dict)
    dialects: Mapping[str, Dialect] = field(default_factory=dict)

    @property
    def attributes(self) -> tuple[str, ...]:
        """Candidate attribute columns (everything beyond the fixed candidate columns)."""
        return tuple(c for c in self.candidates.columns if c not in col.CANDIDATE_COLUMNS)

    @property
    def juror_attributes(self) -> tuple[str, ...]:
        """Juror attribute columns (everything beyond ``juror_id`` and ``name``)."""
        return tuple(c for c in self.jurors.columns if c not in (col.JUROR_ID, col.NAME))

    @property
    def groups(self) -> tuple[str, ...]:
        """Group names, sorted."""
        return tuple(sorted(self.candidates[col.GROUP].unique()))

    def seats(self, group: str) -> int:
        """Return the number of representatives to select in ``group``."""
        selection = self.config.selection
        return selection.seats.get(group, selection.per_group)

    def with_selection(self, selection: SelectionConfig) -> Event:
        """Return a copy of the event whose ``[selection]`` settings are ``selection``.

        The marks and candidates are unchanged, so no new validation is needed: this is
        how a notebook tries another rule set.

        Examples
        --------
        >>> from scoring.ingest.load import load_event
        >>> event = load_event("examples/event")
        >>> fewer = event.with_selection(event.config.selection.model_copy(update={"per_group": 2}))
        >>> fewer.seats("Africa"), event.seats("Africa")
        (2, 3)
        """
        config = self.config.model_copy(update={"selection": selection})
        return replace(self, config=config)
