"""Honest about uncertainty: how much the noise in the marks matters.

:mod:`~selection.uncertainty.stability` (jurors resampled and left out, with the exact fast
path of :mod:`~selection.uncertainty.stability_fast`), :mod:`~selection.uncertainty.lottery`
(the grey-zone lottery) and :mod:`~selection.uncertainty.sensitivity` (every scoring
method). Each reruns :func:`selection.facade.select`, so this folder sits above it.

Examples
--------
>>> from selection.uncertainty import ZONES
>>> ZONES
('in', 'grey', 'out')
"""

from selection.uncertainty.lottery import ZONES, LotteryResult, grey_zone_lottery
from selection.uncertainty.sensitivity import SensitivityResult
from selection.uncertainty.stability import StabilityResult

__all__ = [
    "ZONES",
    "LotteryResult",
    "SensitivityResult",
    "StabilityResult",
    "grey_zone_lottery",
]
