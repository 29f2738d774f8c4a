"""The audit record of a run: what went in, how it was configured, what came out.

Anyone holding the same input files can check them against the SHA-256 sums here and
re-run with the recorded config and seed to get the same delegation. ``timings`` is the
only key whose value changes between identical runs.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from scoring.event import Dialect
from selection import columns as col
from selection.model.solve import SOLVERS
from selection.outputs.files import csv_bytes
from selection.result import RunResult

__all__ = ["VERSIONED_PACKAGES", "audit_record", "file_sha256", "scores_sha256", "versions"]

VERSIONED_PACKAGES: tuple[str, ...] = (
    "pitch-jury",
    "pandas",
    "numpy",
    "pydantic",
    "pulp",
    "highspy",
    "matplotlib",
    "openpyxl",
)
"""The distributions whose versions the audit records: everything that shapes a result or
an output file (the solvers, the chart library, the workbook reader)."""

_SOLVER_PACKAGES = {"highs": "highspy", "cbc": "pulp", "decomposition": "pitch-jury"}
"""The distribution each solver comes with (CBC ships inside PuLP; the decomposition is
this package's own)."""


def file_sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``.

    Examples
    --------
    >>> file_sha256(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def scores_sha256(result: RunResult) -> str:
    """Return the SHA-256 of the clean score table (``juror_id, target_id, criterion,
    score``, sorted), which does not depend on file format or row order."""
    frame = result.event.scores[list(col.LONG_SCORE_COLUMNS)]
    return file_sha256(csv_bytes(frame))


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Return the versions of Python and of :data:`VERSIONED_PACKAGES` (``None``: missing).

    Read from the installed distributions' metadata: nothing is imported to read them.

    Examples
    --------
    >>> found = versions()
    >>> list(found)[:3], found["pitch-jury"] is not None
    (['python', 'pitch-jury', 'pandas'], True)
    """
    return {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED_PACKAGES}}


def _input_record(path: Path, dialect: Dialect | None) -> dict[str, Any]:
    """What the audit says about one input file: its name, its SHA-256 and, for a table,
    the dialect it was read with (:meth:`scoring.event.Dialect.record`)."""
    record: dict[str, Any] = {"file": path.name, "sha256": file_sha256(path.read_bytes())}
    if dialect is not None:
        record["dialect"] = dialect.record()
    return record


def _cross_check(result: RunResult) -> dict[str, Any]:
    """Whether the second-solver cross-check ran, with which solver, and whether it agreed.

    :func:`selection.facade.select` times the cross-check only when it runs, and raises
    when the solvers disagree, so a result holding that timing is one both agreed on.
    """
    selection = result.selection
    ran = "cross_check" in selection.timings
    other = next((s for s in SOLVERS if s != selection.solver), None)
    return {"ran": ran, "solver": other if ran else None, "agreed": True if ran else None}


def audit_record(result: RunResult, *, files: Sequence[str] = ()) -> dict[str, Any]:
    """Return the audit record of ``result`` as JSON-able data.

    Keys: ``event``, ``inputs`` (role -> file name, SHA-256 and, for the candidates,
    scores and jurors, the ``dialect`` the file was read with: ``format``, ``encoding``,
    ``separator``, ``decimal``, ``sheet``, ``header_row``), ``scores_sha256``,
    ``config`` (the full resolved configuration), ``seed``, ``solver``, ``cross_check``
    (``ran``, the other ``solver`` and whether it ``agreed``), ``versions`` (Python and
    every library that shapes results or files, see :func:`versions`, and ``solver``: the
    solver's distribution and version), ``status``, ``objective``, ``n_optimal``,
    ``ties_capped``, ``scoring_method``, ``ridge``, ``files`` (the files of the run, when
    given) and ``timings`` (seconds per step).
    """
    event = result.event
    inputs = {
        role: _input_record(path, event.dialects.get(role))
        for role, path in sorted(event.inputs.items())
    }
    selection = result.selection
    solver_package = _SOLVER_PACKAGES.get(selection.solver, selection.solver)
    record: dict[str, Any] = {
        "event": result.event.config.event.name,
        "inputs": inputs,
        "scores_sha256": scores_sha256(result),
        "config": result.event.config.model_dump(mode="json"),
        "seed": selection.seed,
        "solver": selection.solver,
        "cross_check": _cross_check(result),
        "versions": {
            **versions(),
            "solver": f"{solver_package} {_version(solver_package)}",
        },
        "status": selection.status.value,
        "objective": selection.objective,
        "n_optimal": selection.n_optimal,
        "ties_capped": selection.ties_capped,
        "scoring_method": result.scoring.method,
        "ridge": result.scoring.ridge,
        "timings": {
            **result.timings,
            **{f"selection.{k}": v for k, v in selection.timings.items()},
        },
    }
    if files:
        record["files"] = list(files)
    return record
