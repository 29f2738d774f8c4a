"""The audit record of a run: what went in, how it was configured, what came out.

Anyone holding the same input files can check them against the SHA-256 sums here and
re-run with the recorded config and seed to get the same delegation. ``timings`` is the
only key whose value changes between identical runs.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from typing import Any

from selection import columns as col
from selection.outputs.files import csv_bytes
from selection.result import RunResult

__all__ = ["audit_record", "file_sha256", "scores_sha256"]


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


def audit_record(result: RunResult) -> dict[str, Any]:
    """Return the audit record of ``result`` as JSON-able data.

    Keys: ``event``, ``inputs`` (role -> file name and SHA-256), ``scores_sha256``,
    ``config`` (the full resolved configuration), ``seed``, ``solver``, ``versions``
    (Python and the libraries that shape results), ``status``, ``objective``,
    ``n_optimal``, ``ties_capped``, ``scoring_method``, ``ridge`` and ``timings`` (seconds
    per step).
    """
    inputs = {
        role: {"file": path.name, "sha256": file_sha256(path.read_bytes())}
        for role, path in sorted(result.event.inputs.items())
    }
    selection = result.selection
    solver_package = "highspy" if selection.solver == "highs" else "pulp"
    return {
        "event": result.event.config.event.name,
        "inputs": inputs,
        "scores_sha256": scores_sha256(result),
        "config": result.event.config.model_dump(mode="json"),
        "seed": selection.seed,
        "solver": selection.solver,
        "versions": {
            "python": platform.python_version(),
            "pitch-jury": _version("pitch-jury"),
            "pandas": _version("pandas"),
            "numpy": _version("numpy"),
            "pulp": _version("pulp"),
            "pydantic": _version("pydantic"),
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
