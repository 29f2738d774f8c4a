"""Juror diagnostics and outlier judgments: what a careful chair of the jury wants to see.

Everything here looks at the *raw* marks kept after conflicts, so the diagnostics do not
change with the scoring method. The *leave-one-out panel mean* of a mark is the mean of the
other jurors' marks on the same target and criterion (missing when the juror was alone);
it is computed once, by :meth:`scoring.models.aggregate.MarkIndex.loo_mean`, and shared with the
affinity audit.

Juror table, one row per juror and criterion:

- ``severity``, ``severity_se``: the juror's offset in the ``additive`` model (scale points
  above the panel; negative = harsher) and its standard error;
- ``spread``: standard deviation of the juror's marks (``n - 1``);
- ``consistency``: Pearson correlation between the juror's marks and their leave-one-out
  panel means (missing with fewer than 3 such marks or no variation);
- ``residual_ms``: mean squared residual of the juror's marks in the additive model;
  ``residual_ratio`` divides it by the mean squared residual of all marks on the
  criterion, so the marks-weighted average ratio is 1 (missing when the model fits
  exactly);
- ``n_outliers``: the juror's outlier judgments (see :func:`outlier_marks`);
- ``flag``: ``"; "``-joined labels, empty when none apply: ``harsh`` / ``lenient`` when
  ``|severity| > 2 * severity_se`` (never when the SE is unknown) and ``|severity|``
  exceeds :data:`SEVERITY_SHARE` of the scale range; ``erratic`` when
  ``residual_ratio >`` :data:`ERRATIC_RATIO` (with at least 3 marks); ``inconsistent``
  when ``consistency <`` :data:`MIN_CONSISTENCY`; ``few marks`` with fewer than
  :data:`~scoring.ingest.scores.FEW_MARKS` marks on the criterion; ``same mark`` when at
  least that many marks are all equal (a spread of 0); ``no marks`` on the rows of a juror
  of the jurors frame who kept no mark (one row per criterion, ``n_marks`` 0); ``same name
  as J5`` when another juror id has a name that reads the same.

Examples
--------
>>> import pandas as pd
>>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J3"], "target_id": "A",
...                       "criterion": "pitch", "score": [8.0, 7.0, 2.0]})
>>> outlier_marks(marks, threshold=4)[["juror_id", "loo_mean", "deviation"]]
  juror_id  loo_mean  deviation
0       J3       7.5       -5.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.frames import empty_frame
from scoring.ingest.cells import near_duplicate_key
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.ingest.scores import FEW_MARKS
from scoring.models.calibrate import CalibrationResult

__all__ = [
    "ERRATIC_RATIO",
    "MIN_CONSISTENCY",
    "SEVERITY_SHARE",
    "juror_table",
    "outlier_marks",
]

SEVERITY_SHARE = 0.1
"""A juror is flagged harsh or lenient beyond this share of the scale range (and 2 SE)."""

ERRATIC_RATIO = 2.0
"""A juror is flagged erratic when their residual mean square exceeds this many times the
mean squared residual of all marks on the criterion."""

MIN_CONSISTENCY = 0.0
"""A juror is flagged inconsistent when their marks correlate below this with the panel."""


def outlier_marks(scores: pd.DataFrame | MarkIndex, *, threshold: float) -> pd.DataFrame:
    """Find marks far from the other jurors' mean on the same target.

    A mark ``y`` is an outlier judgment when ``|y - loo| > threshold``, where ``loo`` is
    the mean of the other jurors' raw marks on the same target and criterion (in the
    spirit of ISU deviation points). Marks of a juror alone on a panel are never
    outliers.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.
    threshold
        Largest accepted deviation, in scale points.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`scoring.columns.OUTLIER_COLUMNS`: the mark, ``loo_mean``,
        ``deviation = score - loo_mean`` and ``n_jurors`` on the panel; sorted by
        ``criterion, target_id, juror_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"], "target_id": "A",
    ...                       "criterion": "pitch", "score": [9.0, 3.0]})
    >>> outlier_marks(marks, threshold=5)["juror_id"].tolist()
    ['J1', 'J2']
    """
    index = index_marks(scores)
    y = index.values(col.SCORE)
    loo = index.loo_mean(y)
    deviation = y - loo
    hit = np.abs(deviation) > threshold
    marks = index.marks.loc[hit]
    frame = pd.DataFrame(
        {
            col.JUROR_ID: marks[col.JUROR_ID],
            col.TARGET_ID: marks[col.TARGET_ID],
            col.CRITERION: marks[col.CRITERION],
            col.SCORE: y[hit],
            col.LOO_MEAN: loo[hit],
            col.DEVIATION: deviation[hit],
            col.N_JURORS: index.panel_size[index.panel[hit]].astype(np.int64),
        }
    )
    if frame.empty:
        return empty_frame(col.OUTLIER_COLUMNS)
    return frame.reset_index(drop=True)[list(col.OUTLIER_COLUMNS)]


def juror_table(
    fit: CalibrationResult,
    *,
    criteria: Sequence[CriterionConfig],
    outlier_threshold: float,
    jurors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Describe each juror on each criterion: severity, spread, consistency and fit.

    See the module docstring for the columns and flags.

    Parameters
    ----------
    fit
        An ``additive`` calibration of the raw marks (see
        :func:`scoring.models.calibrate.calibrate_scores`): its offsets are the severities, its
        calibrated marks give the residuals.
    criteria
        The event's criteria, for their scale ranges.
    outlier_threshold
        Threshold of :func:`outlier_marks`, in scale points.
    jurors
        The event's jurors (``juror_id``, optional ``name``): a juror without marks then
        gets rows flagged ``no marks``, and jurors sharing a name are flagged.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`scoring.columns.JUROR_DIAGNOSTIC_COLUMNS`, sorted by
        ``juror_id, criterion``.

    Raises
    ------
    ValueError
        When ``fit`` is not an ``additive`` model.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.models.calibrate import calibrate_scores
    >>> from scoring.config import CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"] * 3,
    ...                       "target_id": ["A", "A", "B", "B", "C", "C"],
    ...                       "criterion": "pitch", "score": [4.0, 6, 5, 7, 6, 8]})
    >>> table = juror_table(calibrate_scores(marks, ridge=0.0),
    ...                     criteria=[CriterionConfig(name="pitch", weight=1, min=1, max=10)],
    ...                     outlier_threshold=2.5)
    >>> table[["juror_id", "n_marks", "severity", "consistency", "flag"]]
      juror_id  n_marks  severity  consistency     flag
    0       J1        3      -1.0          1.0    harsh
    1       J2        3       1.0          1.0  lenient
    """
    if fit.method != "additive":
        raise ValueError(f"juror_table needs an 'additive' fit, got {fit.method!r}")
    frame = _marked_table(fit, criteria, outlier_threshold)
    if jurors is None:
        return frame
    return _with_jurors(frame, jurors, criteria)


def _marked_table(
    fit: CalibrationResult, criteria: Sequence[CriterionConfig], outlier_threshold: float
) -> pd.DataFrame:
    """The juror table of the jurors with marks."""
    index = fit.index
    if index.n_marks == 0:
        return empty_frame(col.JUROR_DIAGNOSTIC_COLUMNS)
    y = index.values(col.SCORE)
    key = index.juror_key()
    n_keys = len(index.criteria) * len(index.jurors)
    count = np.bincount(key, minlength=n_keys)
    present = np.flatnonzero(count)
    spread = _group_sd(y, key, count)
    loo = index.loo_mean(y)
    consistency = _group_correlation(y, loo, key, n_keys)
    calibrated = index.values(col.NORMALISED)
    residual = calibrated - index.panel_mean(calibrated)[index.panel]
    residual_ms = np.bincount(key, weights=residual**2, minlength=n_keys) / np.maximum(count, 1)
    n_criteria = len(index.criteria)
    overall = np.bincount(index.criterion, weights=residual**2, minlength=n_criteria) / np.maximum(
        np.bincount(index.criterion, minlength=n_criteria), 1
    )
    key_criterion = np.arange(n_keys) // len(index.jurors)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = residual_ms / overall[key_criterion]
    n_outliers = np.bincount(key[np.abs(y - loo) > outlier_threshold], minlength=n_keys)
    frame = pd.DataFrame(
        {
            col.JUROR_ID: index.jurors[present % len(index.jurors)],
            col.CRITERION: index.criteria[present // len(index.jurors)],
            col.N_MARKS: count[present].astype(np.int64),
            col.SPREAD: spread[present],
            col.CONSISTENCY: consistency[present],
            col.RESIDUAL_MS: residual_ms[present],
            col.RESIDUAL_RATIO: ratio[present],
            col.N_OUTLIERS: n_outliers[present].astype(np.int64),
        }
    )
    severity = fit.offsets[[col.CRITERION, col.JUROR_ID, col.OFFSET, col.OFFSET_SE]].rename(
        columns={col.OFFSET: col.SEVERITY, col.OFFSET_SE: col.SEVERITY_SE}
    )
    frame = frame.merge(severity, on=[col.CRITERION, col.JUROR_ID], how="left")
    ranges = {c.name: c.max - c.min for c in criteria}
    frame[col.FLAG] = _flags(frame, frame[col.CRITERION].map(ranges).to_numpy(dtype="float64"))
    frame = frame.sort_values([col.JUROR_ID, col.CRITERION], ignore_index=True)
    return frame[list(col.JUROR_DIAGNOSTIC_COLUMNS)]


def _with_jurors(
    frame: pd.DataFrame, jurors: pd.DataFrame, criteria: Sequence[CriterionConfig]
) -> pd.DataFrame:
    """Add a ``no marks`` row per criterion for each juror without marks, and flag jurors
    whose names read the same."""
    ids = jurors[col.JUROR_ID].astype("str")
    missing = sorted(set(ids) - set(frame[col.JUROR_ID].astype("str")))
    if missing:
        names = sorted({c.name for c in criteria})
        empty = pd.DataFrame(
            {
                col.JUROR_ID: [j for j in missing for _ in names],
                col.CRITERION: names * len(missing),
                col.N_MARKS: 0,
                col.N_OUTLIERS: 0,
                col.FLAG: "no marks",
            }
        )
        empty = empty.reindex(columns=list(col.JUROR_DIAGNOSTIC_COLUMNS))
        types = {c: col.COLUMN_DTYPES[c] for c in col.JUROR_DIAGNOSTIC_COLUMNS}
        parts = [f.astype(types) for f in (frame, empty) if not f.empty]
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values([col.JUROR_ID, col.CRITERION], ignore_index=True)
    if col.NAME not in jurors.columns:
        return frame
    same_name = _same_names(ids.tolist(), jurors[col.NAME].tolist())
    if same_name:
        extra = frame[col.JUROR_ID].astype("str").map(same_name)
        flag = frame[col.FLAG].astype("str")
        joined = np.where(flag == "", extra, flag + "; " + extra)
        frame[col.FLAG] = np.where(extra.notna(), joined, flag)
        frame[col.FLAG] = frame[col.FLAG].astype("str")
    return frame


def _same_names(ids: list[str], names: list[object]) -> dict[str, str]:
    """``same name as ...`` for each juror whose name reads like another juror's."""
    by_key: dict[str, list[str]] = {}
    for juror_id, name in zip(ids, names, strict=True):
        if isinstance(name, str) and name.strip():
            key = near_duplicate_key(name)
            if key:
                by_key.setdefault(key, []).append(juror_id)
    out: dict[str, str] = {}
    for same in by_key.values():
        for juror_id in same:
            others = sorted(set(same) - {juror_id})
            if others:
                out[juror_id] = "same name as " + ", ".join(others)
    return out


def _group_sd(x: np.ndarray, key: np.ndarray, count: np.ndarray) -> np.ndarray:
    n_keys = len(count)
    mean = np.bincount(key, weights=x, minlength=n_keys) / np.maximum(count, 1)
    ss = np.bincount(key, weights=(x - mean[key]) ** 2, minlength=n_keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 1, np.sqrt(ss / (count - 1)), np.nan)


def _group_correlation(x: np.ndarray, z: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """Pearson correlation of ``x`` and ``z`` within each group, over pairs where ``z`` exists."""
    ok = ~np.isnan(z)
    x, z, key = x[ok], z[ok], key[ok]
    count = np.bincount(key, minlength=n_keys)
    safe = np.maximum(count, 1)
    dx = x - (np.bincount(key, weights=x, minlength=n_keys) / safe)[key]
    dz = z - (np.bincount(key, weights=z, minlength=n_keys) / safe)[key]
    sxz = np.bincount(key, weights=dx * dz, minlength=n_keys)
    sxx = np.bincount(key, weights=dx * dx, minlength=n_keys)
    szz = np.bincount(key, weights=dz * dz, minlength=n_keys)
    denominator = np.sqrt(sxx * szz)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxz / denominator
    return np.where((count >= 3) & (denominator > 0), np.clip(r, -1.0, 1.0), np.nan)


def _flags(frame: pd.DataFrame, scale_range: np.ndarray) -> list[str]:
    severity = frame[col.SEVERITY].to_numpy(dtype="float64")
    se = frame[col.SEVERITY_SE].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        notable = (np.abs(severity) > SEVERITY_SHARE * scale_range) & (np.abs(severity) > 2 * se)
        erratic = (frame[col.RESIDUAL_RATIO].to_numpy() > ERRATIC_RATIO) & (
            frame[col.N_MARKS].to_numpy() >= 3
        )
        inconsistent = frame[col.CONSISTENCY].to_numpy() < MIN_CONSISTENCY
        n_marks = frame[col.N_MARKS].to_numpy()
        few = n_marks < FEW_MARKS
        same = (n_marks >= FEW_MARKS) & (frame[col.SPREAD].to_numpy() <= 1e-9 * scale_range)
    labels = []
    for i in range(len(frame)):
        parts = []
        if notable[i]:
            parts.append("harsh" if severity[i] < 0 else "lenient")
        if erratic[i]:
            parts.append("erratic")
        if inconsistent[i]:
            parts.append("inconsistent")
        if few[i]:
            parts.append("few marks")
        if same[i]:
            parts.append("same mark")
        labels.append("; ".join(parts))
    return labels
