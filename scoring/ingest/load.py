"""Load an event from its folder: ``event.toml`` plus the candidates, scores and jurors files.

:func:`load_event` is the one entry point for files. It reads the configuration, reads
every file it names (see :mod:`scoring.ingest.readers`), validates everything together (see
:mod:`scoring.ingest.validate`) and returns a clean :class:`~scoring.event.Event`, or raises one
:class:`~scoring.errors.InvalidEventError` listing every problem in every file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CONFIG_NAME, EventConfig, config_from_mapping
from scoring.errors import InvalidEventError, Issue
from scoring.event import Event
from scoring.ingest.readers import RawTable, header_key, read_table
from scoring.ingest.validate import validate_tables

__all__ = ["event_toml_path", "load_config", "load_event"]

_SHEET_WORDS = {
    "candidates": ("candidate", "кандидат", "участник", "student", "студент"),
    "scores": ("score", "mark", "оценк", "балл"),
    "jurors": ("juror", "jury", "жюри", "эксперт", "судь"),
}
_REQUIRED = {
    "candidates": (col.CANDIDATE_ID, col.NAME, col.GROUP),
    "scores": (col.JUROR_ID, col.TARGET_ID),
    "jurors": (col.JUROR_ID,),
}


def event_toml_path(event: str | Path) -> Path:
    """Return the ``event.toml`` of ``event`` (the event folder or the TOML file itself).

    Examples
    --------
    >>> event_toml_path("examples/event").name
    'event.toml'
    """
    path = Path(event)
    return path / CONFIG_NAME if path.is_dir() or not path.suffix else path


def load_config(event: str | Path) -> EventConfig:
    """Read and validate ``event.toml``.

    Raises
    ------
    InvalidEventError
        When the file is missing, is not valid TOML or has bad keys.

    Examples
    --------
    >>> load_config("examples/event").event.candidates
    'candidates.csv'
    """
    path = event_toml_path(event)
    name = path.name
    if not path.is_file():
        raise InvalidEventError(
            [
                Issue(
                    "error",
                    "file.not_found",
                    f"No {CONFIG_NAME} at {path}. Give the event folder or its TOML file "
                    "(`pitch-jury init DIR` writes a template).",
                    file=str(path),
                )
            ]
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidEventError(
            [
                Issue(
                    "error",
                    "config.syntax",
                    f"{name} is not UTF-8 text. Save it as UTF-8.",
                    file=name,
                )
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InvalidEventError(
            [
                Issue(
                    "error",
                    "config.syntax",
                    f"{name} is not valid TOML: {exc}. Check quotes around text and '=' signs.",
                    file=name,
                    row=int(line.group(1)) if line else None,
                )
            ]
        ) from None
    return config_from_mapping(data, file=name)


def load_event(event: str | Path) -> Event:
    """Read, check and return the event in folder ``event`` (or named by its TOML file).

    Every file is read before anything fails, so one run reports the problems of all files.

    Raises
    ------
    InvalidEventError
        With every issue found in every file.

    Examples
    --------
    >>> ev = load_event("examples/event")
    >>> sorted(ev.inputs)
    ['candidates', 'config', 'jurors', 'scores']
    >>> ev.dialects["scores"].separator, ev.dialects["scores"].header_row
    (',', 1)
    """
    toml_path = event_toml_path(event)
    config = load_config(toml_path)
    base = toml_path.parent
    inputs: dict[str, Path] = {"config": toml_path}
    files = {
        "candidates": config.event.candidates,
        "scores": config.event.scores,
        "jurors": config.event.jurors,
    }
    sheets = {
        "candidates": config.event.candidates_sheet,
        "scores": config.event.scores_sheet,
        "jurors": config.event.jurors_sheet,
    }
    for role, relative in files.items():
        if relative is not None:
            inputs[role] = base / relative

    def read(
        role: str, expected: Mapping[str, pd.Index] | None = None
    ) -> tuple[RawTable | None, list[Issue]]:
        relative = files[role]
        if relative is None:
            return None, []
        numeric = (
            (col.SCORE, *(header_key(c.name) for c in config.criteria)) if role == "scores" else ()
        )
        return read_table(
            base / relative,
            required=_REQUIRED[role],
            numeric=numeric,
            categorical=(col.JUROR_ID, col.CRITERION) if role == "scores" else (),
            expected=expected,
            display=relative,
            sheet_words=_SHEET_WORDS[role],
            sheet=sheets[role],
            sheet_key=f"{role}_sheet",
            fill_merged=(col.GROUP,) if role == "candidates" else (),
        )

    # The candidates are read first: their ids let the reader code the score sheet's target
    # ids as a categorical, which the checks use without hashing a string per mark.
    candidates, candidate_issues = read("candidates")
    scores, score_issues = read("scores", _target_ids(candidates))
    jurors, juror_issues = read("jurors")
    issues = [*candidate_issues, *score_issues, *juror_issues]  # in the order of event.toml
    if candidates is None or scores is None:
        raise InvalidEventError(issues)
    tables = {"candidates": candidates, "scores": scores}
    if jurors is not None:
        tables["jurors"] = jurors
    clean = validate_tables(tables, config, issues=issues, inputs=inputs)
    return replace(clean, dialects={role: table.dialect for role, table in tables.items()})


def _target_ids(candidates: RawTable | None) -> dict[str, pd.Index] | None:
    """The texts a score sheet's ``target_id`` cells should hold: the candidate and project
    ids as written in a text candidates file (sorted, so row order does not matter)."""
    if candidates is None or candidates.typed:
        return None
    columns = [c for c in (col.CANDIDATE_ID, col.PROJECT) if c in candidates.frame]
    if not columns:
        return None
    values = np.concatenate([candidates.frame[c].dropna().to_numpy(dtype=object) for c in columns])
    if len(values) == 0 or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    return {col.TARGET_ID: pd.Index(pd.unique(values), dtype=object).sort_values()}
