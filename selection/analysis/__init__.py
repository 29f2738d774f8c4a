"""Analysis of a solved delegation: why, at what price, and who steps in.

:mod:`~selection.analysis.reserves` (named substitutes and reserve lists),
:mod:`~selection.analysis.explain` (statuses, reasons, margins, counterfactuals) and
:mod:`~selection.analysis.fairness` (the price of fairness, infeasibility and the smallest
relaxation).

Examples
--------
>>> from selection.analysis import REASONS
>>> REASONS["selected.merit"]
'selected on merit: whichever rules are left out, they keep their seat'
"""

from selection.analysis.explain import REASONS, counterfactuals, explain_text, reasons
from selection.analysis.fairness import Infeasibility, diagnose, price_of_fairness
from selection.analysis.reserves import Reserves

__all__ = [
    "REASONS",
    "Infeasibility",
    "Reserves",
    "counterfactuals",
    "diagnose",
    "explain_text",
    "price_of_fairness",
    "reasons",
]
