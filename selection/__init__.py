"""pitch-jury selection: the fair integer programme, its checks, explanations and outputs.

The pipeline, one folder per stage (``selection`` may import ``scoring``, never the other
way round; imports run only downwards):

- :mod:`selection.model`: the prepared pool, the rules, the integer programme, the solve
  facade and the solver-free checks;
- :mod:`selection.engine`: where solving at scale lives (issue 11's decomposition);
- :mod:`selection.analysis`: reasons, margins, counterfactuals, reserves, price of
  fairness and infeasibility;
- :mod:`selection.facade`: :func:`select`, the facade composing the three above;
- :mod:`selection.uncertainty`: stability, the grey-zone lottery, sensitivity;
- :mod:`selection.result` (:class:`RunResult`), :mod:`selection.outputs` (report, charts,
  files, audit), :mod:`selection.pipeline` (:func:`run_event`, the whole job),
  :mod:`selection.whatif` and :mod:`selection.cli`.

:mod:`selection.columns` declares every column once. The names below are imported on first
use, so ``pitch-jury check`` never loads the solver.

Examples
--------
>>> from scoring import SelectionConfig
>>> from selection import make_rule, select
>>> from selection.model import example_event
>>> result = select(*example_event(), SelectionConfig(per_group=2),
...                 constraints=[make_rule("max_per", attribute="project", name="one per project")])
>>> result.status, result.delegation["candidate_id"].tolist()
(<SolveStatus.OPTIMAL: 'optimal'>, ['c1', 'c3', 'c5', 'c6'])
"""

# ruff: noqa: F401  (the imports under TYPE_CHECKING are the lazy exports, for type checkers)
from __future__ import annotations

from typing import TYPE_CHECKING

from scoring._lazy import lazy_exports

if TYPE_CHECKING:
    from selection.analysis.fairness import Infeasibility
    from selection.facade import SelectionResult, rules_from_config, select
    from selection.model.constraints import CONSTRAINTS, Constraint, make_rule
    from selection.model.solve import SolveStatus
    from selection.model.verify import VerificationError
    from selection.outputs.export import write_run
    from selection.outputs.report import build_report
    from selection.pipeline import run_event
    from selection.result import RunResult
    from selection.whatif import load_what_if, run_what_if

_EXPORTS = {
    "Infeasibility": "selection.analysis.fairness",
    "CONSTRAINTS": "selection.model.constraints",
    "Constraint": "selection.model.constraints",
    "make_rule": "selection.model.constraints",
    "SolveStatus": "selection.model.solve",
    "VerificationError": "selection.model.verify",
    "write_run": "selection.outputs.export",
    "build_report": "selection.outputs.report",
    "run_event": "selection.pipeline",
    "RunResult": "selection.result",
    "SelectionResult": "selection.facade",
    "rules_from_config": "selection.facade",
    "select": "selection.facade",
    "load_what_if": "selection.whatif",
    "run_what_if": "selection.whatif",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
