"""Reliability of the panel per criterion: intraclass correlation and Krippendorff's alpha.

Both statistics look at the raw marks kept after conflicts, with targets as the things
rated and jurors as raters.

- **ICC for the panel average.** On a complete design (every juror marks every target)
  this is Shrout and Fleiss' ICC(2,k), two-way random effects, absolute agreement:
  ``(MSR - MSE) / (MSR + (MSC - MSE) / n)`` with ``n`` targets, from the two-way ANOVA
  mean squares of targets (``MSR``), jurors (``MSC``) and residual (``MSE``). On an
  incomplete design the two-way decomposition is not available in closed form, so the
  one-way ICC(1) for unequal panel sizes, ``(MSB - MSW) / (MSB + (k0 - 1) MSW)`` with
  ``k0 = (N - sum n_t**2 / N) / (T - 1)``, is stepped up by Spearman-Brown to the
  harmonic mean panel size ``k``: ``k ICC(1) / (1 + (k - 1) ICC(1))``. Juror
  differences then count as error, as in absolute agreement. ``icc_form`` says which.
- **Krippendorff's alpha, interval metric**, works with missing marks:
  ``alpha = 1 - D_o / D_e`` over the marks of targets with at least two marks, where
  ``D_o = (1/n) sum_t 2 m_t SS_t / (m_t - 1)`` and ``D_e = 2 SS / (n - 1)``; ``m_t`` and
  ``SS_t`` are each target's number of marks and sum of squares about its mean, ``n``
  and ``SS`` the same over all those marks.

Examples
--------
Shrout and Fleiss (1979), table 2: six targets, four judges.

>>> import numpy as np
>>> marks = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
...                   [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)
>>> round(icc_average(marks), 2)
0.62
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks

__all__ = [
    "icc_average",
    "icc_oneway_average",
    "krippendorff_alpha_interval",
    "reliability_table",
]


def icc_average(marks: np.ndarray) -> float:
    """Return ICC(2,k): the reliability of the panel average on a complete design.

    Parameters
    ----------
    marks
        ``n_targets x n_jurors`` array of marks, no missing values.

    Returns
    -------
    float
        ``(MSR - MSE) / (MSR + (MSC - MSE) / n)``; NaN with fewer than two targets or
        jurors, or when the denominator is zero (no variation).

    Raises
    ------
    ValueError
        When ``marks`` is not two-dimensional or has missing values.

    Examples
    --------
    >>> import numpy as np
    >>> icc_average(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    0.9411764705882353
    """
    marks = np.asarray(marks, dtype="float64")
    if marks.ndim != 2 or np.isnan(marks).any():
        raise ValueError("icc_average needs a complete two-dimensional array of marks")
    n, k = marks.shape
    if n < 2 or k < 2:
        return float("nan")
    grand = marks.mean()
    ss_rows = k * float(((marks.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((marks.mean(axis=0) - grand) ** 2).sum())
    ss_error = float(((marks - grand) ** 2).sum()) - ss_rows - ss_cols
    ms_rows = ss_rows / (n - 1)
    ms_cols = ss_cols / (k - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    denominator = ms_rows + (ms_cols - ms_error) / n
    if not denominator > 0:
        return float("nan")
    return (ms_rows - ms_error) / denominator


def icc_oneway_average(values: np.ndarray, targets: np.ndarray) -> float:
    """Return the one-way ICC stepped up to the harmonic mean panel size.

    ``ICC(1) = (MSB - MSW) / (MSB + (k0 - 1) MSW)`` with unequal panel sizes (``k0`` as in
    the module docstring), then ``k ICC(1) / (1 + (k - 1) ICC(1))`` with ``k`` the
    harmonic mean of the panel sizes. On a balanced design this is ICC(1,k),
    ``(MSB - MSW) / MSB``.

    Parameters
    ----------
    values
        Marks, one per element.
    targets
        Target of each mark (any hashable labels).

    Returns
    -------
    float
        The reliability of a panel average; NaN with fewer than two targets, no
        within-target degrees of freedom, no variation, or when the targets differ so
        little that the stepped-up value is not defined (``MSB`` near zero).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    >>> round(icc_oneway_average(values, np.array([0, 0, 1, 1, 2, 2])), 4)
    0.9375
    """
    values = np.asarray(values, dtype="float64")
    codes = pd.factorize(np.asarray(targets), sort=True)[0]
    n_targets = int(codes.max()) + 1 if len(codes) else 0
    n_marks = len(values)
    if n_targets < 2 or n_marks - n_targets < 1:
        return float("nan")
    size = np.bincount(codes, minlength=n_targets)
    mean = np.bincount(codes, weights=values) / size
    grand = values.mean()
    ms_between = float((size * (mean - grand) ** 2).sum()) / (n_targets - 1)
    ms_within = float(((values - mean[codes]) ** 2).sum()) / (n_marks - n_targets)
    k0 = (n_marks - float((size**2).sum()) / n_marks) / (n_targets - 1)
    denominator = ms_between + (k0 - 1) * ms_within
    if not denominator > 0:
        return float("nan")
    single = (ms_between - ms_within) / denominator
    k = n_targets / float((1.0 / size).sum())
    stepped = 1 + (k - 1) * single
    if not stepped > 0:  # targets vary less than chance: the panel average has no reliability
        return float("nan")
    return k * single / stepped


def krippendorff_alpha_interval(values: np.ndarray, units: np.ndarray) -> float:
    """Return Krippendorff's alpha with the interval metric; missing marks are allowed.

    Only units (targets) with at least two values are pairable and counted.

    Parameters
    ----------
    values
        The values given, one per element (no missing values: absent marks are absent).
    units
        Unit of each value (any hashable labels).

    Returns
    -------
    float
        ``1 - D_o / D_e`` (see the module docstring); NaN with fewer than two pairable
        values or no variation among them.

    Examples
    --------
    Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four
    observers, twelve units, missing values; interval alpha is 0.849.

    >>> import numpy as np
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    >>> pairs = [(v, u) for row in data for u, v in enumerate(row) if v is not None]
    >>> values, units = np.array(pairs, dtype=float).T
    >>> round(krippendorff_alpha_interval(values, units), 3)
    0.849
    """
    values = np.asarray(values, dtype="float64")
    codes = pd.factorize(np.asarray(units), sort=True)[0]
    size = np.bincount(codes)
    pairable = size[codes] >= 2
    values, codes = values[pairable], codes[pairable]
    n = len(values)
    if n < 2:
        return float("nan")
    size = np.bincount(codes)
    used = size > 0
    mean = np.bincount(codes, weights=values) / np.maximum(size, 1)
    ss_unit = np.bincount(codes, weights=(values - mean[codes]) ** 2)
    ss_total = float(((values - values.mean()) ** 2).sum())
    if not ss_total > 0:
        return float("nan")
    observed = float((size[used] * ss_unit[used] / (size[used] - 1)).sum()) * 2 / n
    expected = 2 * ss_total / (n - 1)
    return 1 - observed / expected


def reliability_table(scores: pd.DataFrame | MarkIndex) -> pd.DataFrame:
    """Compute the panel reliability of each criterion from the raw marks.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`scoring.columns.RELIABILITY_COLUMNS`: ``criterion``,
        ``n_targets``, ``n_jurors``, ``n_marks``, ``complete`` (every juror marked every
        target), ``icc_form`` (``"ICC(2,k)"`` or ``"ICC(1,k)"``), ``icc_k`` and ``alpha``;
        one row per criterion, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"] * 3,
    ...                       "target_id": ["A", "A", "B", "B", "C", "C"],
    ...                       "criterion": "pitch", "score": [1.0, 2, 3, 4, 5, 6]})
    >>> reliability_table(marks)[["criterion", "complete", "icc_form", "icc_k"]].round(4)
      criterion  complete  icc_form   icc_k
    0     pitch      True  ICC(2,k)  0.9412
    """
    index = index_marks(scores)
    if index.n_marks == 0:
        return empty_frame(col.RELIABILITY_COLUMNS)
    rows = []
    y = index.values(col.SCORE)
    for code, name in enumerate(index.criteria):
        mine = index.criterion == code
        target, juror, values = index.target[mine], index.juror[mine], y[mine]
        target_codes, target = np.unique(target, return_inverse=True)
        juror_codes, juror = np.unique(juror, return_inverse=True)
        n_targets, n_jurors = len(target_codes), len(juror_codes)
        cells = target * n_jurors + juror
        complete = len(values) == n_targets * n_jurors and len(np.unique(cells)) == len(cells)
        if complete:
            matrix = np.empty(n_targets * n_jurors)
            matrix[cells] = values
            icc = icc_average(matrix.reshape(n_targets, n_jurors))
        else:
            icc = icc_oneway_average(values, target)
        rows.append(
            {
                col.CRITERION: str(name),
                col.N_TARGETS: n_targets,
                col.N_JURORS: n_jurors,
                col.N_MARKS: len(values),
                col.COMPLETE: complete,
                col.ICC_FORM: "ICC(2,k)" if complete else "ICC(1,k)",
                col.ICC_K: icc,
                col.ALPHA: krippendorff_alpha_interval(values, target),
            }
        )
    frame = pd.DataFrame.from_records(rows, columns=list(col.RELIABILITY_COLUMNS))
    return frame.astype({c: col.COLUMN_DTYPES[c] for c in col.RELIABILITY_COLUMNS})
