"""Diagnostics: what the marks say about the jurors and the jury.

:mod:`~scoring.diagnostics.jurors` (severity with standard errors, spread, consistency,
outlier marks), :mod:`~scoring.diagnostics.reliability` (ICC and Krippendorff's alpha) and
:mod:`~scoring.diagnostics.affinity` (do jurors mark their own country higher?).

Examples
--------
>>> from scoring.diagnostics import icc_average
>>> import numpy as np
>>> round(icc_average(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 5.0]])), 3)
0.947
"""

from scoring.diagnostics.affinity import AffinityResult, affinity_audit
from scoring.diagnostics.jurors import juror_table, outlier_marks
from scoring.diagnostics.reliability import (
    icc_average,
    icc_oneway_average,
    krippendorff_alpha_interval,
    reliability_table,
)

__all__ = [
    "AffinityResult",
    "affinity_audit",
    "icc_average",
    "icc_oneway_average",
    "juror_table",
    "krippendorff_alpha_interval",
    "outlier_marks",
    "reliability_table",
]
