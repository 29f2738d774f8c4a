"""pitch-jury selection: the fair integer programme, verification, explanations, reports, CLI.

The pipeline, one module per step: :mod:`selection.constraints` (the rules),
:mod:`selection.model` (prepared candidates and the integer programme),
:mod:`selection.solve` (the solve facade), :mod:`selection.verify` (solver-free checks and
presolve), :mod:`selection.explain` (reasons, margins, counterfactuals),
:mod:`selection.reserves`, :mod:`selection.fairness` (price of fairness, infeasibility),
:mod:`selection.select` (the facade, :func:`selection.select.select`), then
:mod:`selection.pipeline` (:func:`~selection.pipeline.run_event`, the whole job),
:mod:`selection.report`, :mod:`selection.export` and :mod:`selection.cli`; the uncertainty
analyses live in :mod:`selection.stability`, :mod:`selection.lottery`,
:mod:`selection.whatif` and :mod:`selection.sensitivity`.

The names below are imported on first use, so ``pitch-jury check`` never loads the solver.
``selection`` may import ``scoring``; never the other way round.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.pool import example_event
>>> from selection.constraints import MaxPer
>>> from selection.select import select
>>> result = select(*example_event(), SelectionConfig(per_group=2),
...                 constraints=[MaxPer(attribute="project", name="one per project")])
>>> result.status, result.delegation["candidate_id"].tolist()
(<SolveStatus.OPTIMAL: 'optimal'>, ['c1', 'c3', 'c5', 'c6'])
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CONSTRAINTS": "selection.constraints",
    "AtLeast": "selection.constraints",
    "AtMost": "selection.constraints",
    "Constraint": "selection.constraints",
    "Distinct": "selection.constraints",
    "Exclude": "selection.constraints",
    "MaxPer": "selection.constraints",
    "MinMerit": "selection.constraints",
    "Require": "selection.constraints",
    "Seats": "selection.constraints",
    "Infeasibility": "selection.fairness",
    "SelectionResult": "selection.select",
    "rules_from_config": "selection.select",
    "SolveStatus": "selection.solve",
    "VerificationError": "selection.verify",
    "RunResult": "selection.pipeline",
    "run_event": "selection.pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'selection' has no attribute {name!r}")
