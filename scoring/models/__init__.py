"""Models: from checked marks to merit.

:mod:`~scoring.models.normalise` (per-juror transforms: z-score, rank, ...),
:mod:`~scoring.models.calibrate` (the additive juror-effect model fitted on all marks at
once, on the core :mod:`~scoring.models.juror_effects` that the fast stability engine
shares), :mod:`~scoring.models.aggregate` (panel scores per target and criterion, then merit
with standard errors), :mod:`~scoring.models.bayes` and :mod:`~scoring.models.bayes_rank`
(the hierarchical Bayesian model and its rank summaries).

Examples
--------
>>> from scoring.models import NORMALISE_METHODS, CALIBRATE_METHODS
>>> NORMALISE_METHODS + CALIBRATE_METHODS
('raw', 'zscore', 'minmax', 'rank', 'robust', 'additive', 'additive_scale')
"""

from scoring.models.aggregate import MeritResult, PanelScores, candidate_merit, panel_scores
from scoring.models.bayes import BayesScores, bayes_scores
from scoring.models.calibrate import (
    CALIBRATE_METHODS,
    CalibrationResult,
    calibrate_scores,
    design_components,
)
from scoring.models.normalise import NORMALISE_METHODS, NormaliseResult, normalise_scores

__all__ = [
    "CALIBRATE_METHODS",
    "NORMALISE_METHODS",
    "BayesScores",
    "CalibrationResult",
    "MeritResult",
    "NormaliseResult",
    "PanelScores",
    "bayes_scores",
    "calibrate_scores",
    "candidate_merit",
    "design_components",
    "normalise_scores",
    "panel_scores",
]
