"""The model: who can be chosen, the rules, the integer programme, the solve and its check.

In order: :mod:`~selection.model.pool` (candidates sorted, merit on an integer grid, the
seeded lottery), :mod:`~selection.model.selection` (the :class:`Selection` type),
:mod:`~selection.model.program` (the integer programme as arrays),
:mod:`~selection.model.solve` (the one solve facade), :mod:`~selection.model.rule` (the
contract every rule kind honours), :mod:`~selection.model.constraints` (every rule kind,
each a small declarative object, and their registry) and
:mod:`~selection.model.verify` (the solver-free re-check and presolve). Functions named like
their module (``solve``, ``verify``) are imported from the module itself.

Examples
--------
>>> from scoring import SelectionConfig
>>> from selection.model import build_model, example_event, make_rule, prepare_pool
>>> from selection.model.solve import solve
>>> config = SelectionConfig(per_group=2)
>>> model = build_model(prepare_pool(*example_event(), config), [make_rule("seats", per_group=2)])
>>> solve(model).status.value
'optimal'
"""

from selection.model.constraints import CONSTRAINTS, make_rule
from selection.model.pool import Pool, example_event, prepare_pool
from selection.model.program import Model, build_model
from selection.model.rule import Constraint, Violation
from selection.model.selection import Selection
from selection.model.solve import SOLVERS, SolveResult, SolveStatus
from selection.model.verify import VerificationError, check, presolve

__all__ = [
    "CONSTRAINTS",
    "SOLVERS",
    "Constraint",
    "Model",
    "Pool",
    "Selection",
    "SolveResult",
    "SolveStatus",
    "VerificationError",
    "Violation",
    "build_model",
    "check",
    "example_event",
    "make_rule",
    "prepare_pool",
    "presolve",
]
