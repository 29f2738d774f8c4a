"""Normalise marks per juror, within each criterion.

Each juror's marks on a criterion are transformed on their own, then put back on the
criterion's scale ``[lo, hi]`` (midpoint ``mid``, range ``r = hi - lo``) so they stay
readable. With ``x`` one mark of a juror and the statistics taken over that juror's marks
on the criterion:

- ``raw``: ``x`` unchanged;
- ``zscore``: ``mid + z * r / 6`` with ``z = (x - mean) / sd`` (``sd`` with ``n - 1``),
  so that plus or minus three standard deviations span the scale;
- ``minmax``: ``lo + r * (x - min) / (max - min)``: the juror's lowest mark becomes the
  bottom of the scale, the highest the top;
- ``rank``: ``lo + r * (rank - 1/2) / n``, ranks from 1, ties get their average rank;
- ``robust``: ``mid + z * r / 6`` with ``z = (x - median) / (IQR / 1.349)``, the IQR
  scaled to estimate a standard deviation for normal marks (quartiles by linear
  interpolation).

Fallback: a juror with fewer than 3 marks on a criterion, or who gave every target the
same mark, cannot have their scale estimated. Their marks are only centred:
``mid + (x - centre)`` with ``centre`` the mean (median for ``robust``), which keeps their
differences in scale points and never divides by zero; a flat juror thus gives the
midpoint to every target. Each fallback is reported as a warning: ``normalise.few_marks``
or ``normalise.flat_juror``. For ``robust``, a juror whose marks vary but whose IQR is zero
(most marks equal) is scaled by the standard deviation instead, with a
``normalise.zero_iqr`` warning. Outside the centring fallback, ``zscore``, ``minmax`` and
``robust`` results do not change when a juror's marks go through a positive affine map,
and ``rank`` results through any increasing map.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import CriterionConfig
>>> marks = pd.DataFrame({"juror_id": "J1", "target_id": ["A", "B", "C"],
...                       "criterion": "pitch", "score": [2.0, 4.0, 9.0]})
>>> pitch = CriterionConfig(name="pitch", weight=1, min=0, max=10)
>>> normalise_scores(marks, method="minmax", criteria=[pitch]).scores["normalised"].round(3)
0     0.000
1     2.857
2    10.000
Name: normalised, dtype: float64
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.errors import InvalidEventError, Issue
from scoring.ingest.marks import MarkIndex, index_marks

__all__ = ["NORMALISE_METHODS", "NormaliseMethod", "NormaliseResult", "normalise_scores"]

NormaliseMethod = Literal["raw", "zscore", "minmax", "rank", "robust"]
NORMALISE_METHODS: tuple[NormaliseMethod, ...] = ("raw", "zscore", "minmax", "rank", "robust")
"""Per-juror normalisation methods."""

MIN_MARKS = 3
"""A juror needs at least this many marks on a criterion to have their scale estimated."""

_IQR_TO_SD = 1.3489795003921634
"""Interquartile range of the standard normal distribution, ``2 * Phi^-1(3/4)``."""

_Z_SPAN = 6.0
"""Standard deviations spanning the scale when z-scores are put back on it."""

_FLAT_TOLERANCE = 1e-9
"""A spread below this share of the scale range counts as none (rounding noise)."""


@dataclass(frozen=True)
class NormaliseResult:
    """Normalised marks and the fallback warnings.

    Attributes
    ----------
    index
        The marks with a ``normalised`` column, indexed (pass it on to the next step).
    issues
        ``normalise.few_marks`` and ``normalise.flat_juror`` warnings.
    """

    index: MarkIndex
    issues: tuple[Issue, ...]

    @property
    def scores(self) -> pd.DataFrame:
        """The marks with their ``normalised`` column, in canonical order."""
        return self.index.marks


def normalise_scores(
    scores: pd.DataFrame | MarkIndex,
    *,
    method: NormaliseMethod,
    criteria: Sequence[CriterionConfig],
) -> NormaliseResult:
    """Normalise each juror's marks within each criterion and put them back on its scale.

    See the module docstring for the formulas and the fallback.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.
    method
        One of :data:`NORMALISE_METHODS`.
    criteria
        The event's criteria, for their scales.

    Returns
    -------
    NormaliseResult
        The marks with a ``normalised`` column (float64) and the warnings.

    Raises
    ------
    ValueError
        When ``method`` is unknown (a programming error: the configuration allows only
        the methods listed).
    InvalidEventError
        When a criterion of the marks is not among ``criteria`` (code
        ``normalise.unknown_criterion``; a validated event never has one).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": ["J1"] * 3 + ["J2"] * 3,
    ...                       "target_id": ["A", "B", "C"] * 2, "criterion": "pitch",
    ...                       "score": [4.0, 5.0, 6.0, 8.0, 8.0, 8.0]})
    >>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=7)
    >>> result = normalise_scores(marks, method="zscore", criteria=[pitch])
    >>> result.scores[["target_id", "juror_id", "normalised"]].head(4)
      target_id juror_id  normalised
    0         A       J1         3.0
    1         A       J2         4.0
    2         B       J1         4.0
    3         B       J2         4.0
    >>> [issue.code for issue in result.issues]
    ['normalise.flat_juror']
    """
    if method not in NORMALISE_METHODS:
        raise ValueError(f"method must be one of {NORMALISE_METHODS}, got {method!r}")
    index = index_marks(scores)
    x = index.values(col.SCORE)
    if method == "raw":
        return NormaliseResult(index=index.with_column(col.NORMALISED, x.copy()), issues=())
    lo, hi = _scales(index, criteria)
    mid, span = ((lo + hi) / 2)[index.criterion], (hi - lo)[index.criterion]
    key = index.juror_key()
    n_keys = len(index.criteria) * len(index.jurors)
    count = np.bincount(key, minlength=n_keys)
    mean = np.bincount(key, weights=x, minlength=n_keys) / np.maximum(count, 1)
    centred = x - mean[key]
    sd = np.sqrt(np.bincount(key, weights=centred**2, minlength=n_keys) / np.maximum(count - 1, 1))
    tolerance = _FLAT_TOLERANCE * np.repeat(hi - lo, len(index.jurors))
    few = count < MIN_MARKS
    flat = (~few) & (count > 0) & ~(sd > tolerance)
    zero_iqr = np.zeros(n_keys, dtype=bool)
    centre = mean
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "zscore":
            value = mid + centred / sd[key] * span / _Z_SPAN
        elif method == "minmax":
            groups = _SortedGroups(x, key, count)
            low, high = groups.quantile(0.0), groups.quantile(1.0)
            value = lo[index.criterion] + span * (x - low[key]) / (high - low)[key]
        elif method == "rank":
            rank = _SortedGroups(x, key, count).average_rank()
            value = lo[index.criterion] + span * (rank - 0.5) / count[key]
        else:
            groups = _SortedGroups(x, key, count)
            centre = groups.quantile(0.5)
            scale = (groups.quantile(0.75) - groups.quantile(0.25)) / _IQR_TO_SD
            zero_iqr = (~few) & (~flat) & ~(scale > tolerance)
            scale = np.where(zero_iqr, sd, scale)
            value = mid + (x - centre[key]) / scale[key] * span / _Z_SPAN
    value = np.where((few | flat)[key], mid + x - centre[key], value)
    issues = _fallback_issues(index, count, few, flat, zero_iqr, method)
    return NormaliseResult(index=index.with_column(col.NORMALISED, value), issues=issues)


def _scales(index: MarkIndex, criteria: Sequence[CriterionConfig]) -> tuple[np.ndarray, np.ndarray]:
    by_name = {c.name: c for c in criteria}
    missing = [str(c) for c in index.criteria if c not in by_name]
    if missing:
        raise InvalidEventError([_unknown_criterion(name, list(by_name)) for name in missing])
    lo = np.array([by_name[c].min for c in index.criteria], dtype="float64")
    hi = np.array([by_name[c].max for c in index.criteria], dtype="float64")
    return lo, hi


class _SortedGroups:
    """Marks sorted by (group, value), for per-group quantiles and average ranks."""

    def __init__(self, x: np.ndarray, key: np.ndarray, count: np.ndarray) -> None:
        self.order = np.lexsort((x, key))
        self.xs = x[self.order]
        self.key = key
        self.count = count
        self.start = np.concatenate(([0], np.cumsum(count)[:-1]))

    def quantile(self, p: float) -> np.ndarray:
        """Per-group quantile with linear interpolation (NumPy's default); NaN if empty."""
        result = np.full(len(self.count), np.nan)
        has = self.count > 0
        h = (self.count[has] - 1) * p
        below = np.floor(h).astype(np.int64)
        above = np.minimum(below + 1, self.count[has] - 1)
        start = self.start[has]
        low, high = self.xs[start + below], self.xs[start + above]
        result[has] = low + (h - below) * (high - low)
        return result

    def average_rank(self) -> np.ndarray:
        """Rank of each mark within its group (1 = lowest), ties averaged; input order."""
        keys = self.key[self.order]
        n = len(self.xs)
        new_tie = np.ones(n, dtype=bool)
        new_tie[1:] = (keys[1:] != keys[:-1]) | (self.xs[1:] != self.xs[:-1])
        tie = np.cumsum(new_tie) - 1
        tie_start = np.flatnonzero(new_tie)
        tie_end = np.append(tie_start[1:], n) - 1
        position = (tie_start + tie_end)[tie] / 2 - self.start[keys]
        rank = np.empty(n)
        rank[self.order] = position + 1
        return rank


def _fallback_issues(
    index: MarkIndex,
    count: np.ndarray,
    few: np.ndarray,
    flat: np.ndarray,
    zero_iqr: np.ndarray,
    method: str,
) -> tuple[Issue, ...]:
    issues = []
    n_jurors = len(index.jurors)
    centre = "median" if method == "robust" else "average"
    for key in np.flatnonzero((few & (count > 0)) | flat | zero_iqr):
        criterion = str(index.criteria[key // n_jurors])
        juror = str(index.jurors[key % n_jurors])
        if zero_iqr[key]:
            code = "normalise.zero_iqr"
            message = (
                f"Juror {juror} gave the same mark to most targets on criterion "
                f"'{criterion}', so the interquartile range of their marks is zero; their "
                "standard deviation is used as their scale instead."
            )
        else:
            if few[key]:
                code = "normalise.few_marks"
                what = f"gave only {count[key]} mark(s) on criterion '{criterion}'"
            else:
                code = "normalise.flat_juror"
                what = f"gave the same mark to all {count[key]} targets on criterion '{criterion}'"
            message = (
                f"Juror {juror} {what}, so their scale cannot be estimated for '{method}'. "
                f"Their marks are only centred: mid-scale + mark - their {centre}."
            )
        issues.append(Issue("warning", code, message, column=criterion, value=juror))
    return tuple(issues)


def _unknown_criterion(name: str, known: Sequence[str]) -> Issue:
    """The error for marks on a criterion that is not among the criteria given."""
    return Issue(
        "error",
        "normalise.unknown_criterion",
        f"Criterion '{name}' has marks but is not among the criteria given "
        f"({', '.join(known) or 'none'}), so its scale is unknown. Add it to the criteria "
        "(event.toml) or correct the criterion of those marks.",
        column=col.CRITERION,
        value=name,
    )
