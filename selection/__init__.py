"""pitch-jury selection: the fair integer programme, verification, explanations, reports, CLI.

The pipeline, one module per step: :mod:`selection.constraints` (the rules),
:mod:`selection.model` (prepared candidates and the integer programme),
:mod:`selection.solve` (the solve facade), :mod:`selection.verify` (solver-free checks and
presolve), :mod:`selection.explain` (reasons, margins, counterfactuals),
:mod:`selection.reserves`, :mod:`selection.fairness` (price of fairness, infeasibility) and
:mod:`selection.select` (the facade, :func:`select`).

``selection`` may import ``scoring``; never the other way round.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.model import example_event
>>> result = select(*example_event(), SelectionConfig(per_group=2),
...                 constraints=[MaxPer(attribute="project", name="one per project")])
>>> result.status, result.delegation["candidate_id"].tolist()
(<SolveStatus.OPTIMAL: 'optimal'>, ['c1', 'c3', 'c5', 'c6'])
"""

from selection.constraints import (
    CONSTRAINTS,
    AtLeast,
    AtMost,
    Constraint,
    Distinct,
    Exclude,
    MaxPer,
    MinMerit,
    Require,
    Seats,
)
from selection.fairness import Infeasibility
from selection.select import SelectionResult, rules_from_config, select
from selection.solve import SolveStatus
from selection.verify import VerificationError

__all__ = [
    "CONSTRAINTS",
    "AtLeast",
    "AtMost",
    "Constraint",
    "Distinct",
    "Exclude",
    "Infeasibility",
    "MaxPer",
    "MinMerit",
    "Require",
    "Seats",
    "SelectionResult",
    "SolveStatus",
    "VerificationError",
    "rules_from_config",
    "select",
]
