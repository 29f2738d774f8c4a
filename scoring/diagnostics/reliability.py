"""Reliability of the panel per criterion: intraclass correlations and Krippendorff's alpha.

Both statistics look at the raw marks kept after conflicts, with targets as the things
rated and jurors as raters.

- **Intraclass correlations**, Shrout and Fleiss (1979) and McGraw and Wong (1996), from
  the ANOVA mean squares of targets (``MSR``, ``n`` targets), jurors (``MSC``, ``k``
  jurors), two-way residual (``MSE``) and within targets (``MSW``):

  ========  ==============================  ============================================
  form      model                           formula
  ========  ==============================  ============================================
  ICC(1,1)  one-way random                  ``(MSR - MSW) / (MSR + (k - 1) MSW)``
  ICC(1,k)  one-way random, panel mean      ``(MSR - MSW) / MSR``
  ICC(2,1)  two-way random, absolute        ``(MSR - MSE) / (MSR + (k - 1) MSE
            agreement                       + k (MSC - MSE) / n)``
  ICC(2,k)  two-way random, absolute,       ``(MSR - MSE) / (MSR + (MSC - MSE) / n)``
            panel mean
  ICC(3,1)  two-way mixed, consistency      ``(MSR - MSE) / (MSR + (k - 1) MSE)``
  ICC(3,k)  two-way mixed, consistency,     ``(MSR - MSE) / MSR``
            panel mean
  ========  ==============================  ============================================

  The two-way forms need a complete design (every juror marks every target of the
  criterion); otherwise their columns are NaN. The one-way forms work on any design: with
  unequal panels ``ICC(1,1) = (MSB - MSW) / (MSB + (k0 - 1) MSW)`` with ``k0 = (N - sum
  n_t**2 / N) / (T - 1)`` (``N`` marks, ``T`` targets, ``n_t`` marks of target ``t``;
  ``MSB`` is ``MSR`` of the one-way ANOVA), and ICC(1,k) is ICC(1,1) stepped up by
  Spearman-Brown to ``k`` = the *harmonic* mean panel size: ``k ICC(1,1) / (1 + (k - 1)
  ICC(1,1))``. The harmonic mean, not the arithmetic one, because the error variance of a
  panel mean is ``MSW / n_t`` and the harmonic mean ``k`` is the panel size with the same
  average error variance, ``mean(1 / n_t) = 1 / k``; the arithmetic mean would overstate
  the reliability of the small panels that decide close calls. On a balanced design both
  reduce to the table above. ``panel_size`` reports this ``k``.

  ``icc_form`` and ``icc_k`` name and give the panel-average form used so far: ICC(2,k)
  on a complete design, ICC(1,k) otherwise (juror differences count as error in both, as
  in absolute agreement).
- **Krippendorff's alpha, interval metric**, works with missing marks:
  ``alpha = 1 - D_o / D_e`` over the marks of targets with at least two marks, where
  ``D_o = (1/n) sum_t 2 m_t SS_t / (m_t - 1)`` and ``D_e = 2 SS / (n - 1)``; ``m_t`` and
  ``SS_t`` are each target's number of marks and sum of squares about its mean, ``n``
  and ``SS`` the same over all those marks.

Examples
--------
Shrout and Fleiss (1979), table 2: six targets, four judges; their table 4 gives the six
forms.

>>> import numpy as np
>>> marks = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
...                   [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)
>>> round(icc_average(marks), 2)
0.62
>>> {ICC_FORMS[name]: round(value, 2) for name, value in icc_forms(marks).items()}
... # doctest: +NORMALIZE_WHITESPACE
{'ICC(1,1)': 0.17, 'ICC(1,k)': 0.44, 'ICC(2,1)': 0.29, 'ICC(2,k)': 0.62,
 'ICC(3,1)': 0.71, 'ICC(3,k)': 0.91}
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks

__all__ = [
    "ICC_FORMS",
    "icc_average",
    "icc_forms",
    "icc_oneway",
    "icc_oneway_average",
    "krippendorff_alpha_interval",
    "reliability_table",
]

ICC_FORMS: dict[str, str] = {
    col.ICC_1_1: "ICC(1,1)",
    col.ICC_1_K: "ICC(1,k)",
    col.ICC_2_1: "ICC(2,1)",
    col.ICC_2_K: "ICC(2,k)",
    col.ICC_3_1: "ICC(3,1)",
    col.ICC_3_K: "ICC(3,k)",
}
"""The Shrout and Fleiss name of each ICC column of the reliability frame."""


def icc_forms(marks: np.ndarray) -> dict[str, float]:
    """Return the six intraclass correlations of a complete design.

    The formulas are in the module docstring: one-way random (ICC(1,1), ICC(1,k)),
    two-way random with absolute agreement (ICC(2,1), ICC(2,k)) and two-way mixed with
    consistency (ICC(3,1), ICC(3,k)), ``k`` the number of jurors.

    Parameters
    ----------
    marks
        ``n_targets x n_jurors`` array of marks, no missing values.

    Returns
    -------
    dict
        ICC per column name of :data:`ICC_FORMS`, in that order; each NaN with fewer than
        two targets or jurors, or when its denominator is not positive (no variation).

    Raises
    ------
    ValueError
        When ``marks`` is not two-dimensional or has missing values.

    Examples
    --------
    >>> import numpy as np
    >>> forms = icc_forms(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    >>> round(forms["icc_2_k"], 4), round(forms["icc_3_k"], 4), forms["icc_3_1"]
    (0.9412, 1.0, 1.0)
    """
    marks = np.asarray(marks, dtype="float64")
    if marks.ndim != 2 or np.isnan(marks).any():
        raise ValueError("icc_forms needs a complete two-dimensional array of marks")
    n, k = marks.shape
    if n < 2 or k < 2:
        return dict.fromkeys(ICC_FORMS, math.nan)
    grand = marks.mean()
    ss_rows = k * float(((marks.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((marks.mean(axis=0) - grand) ** 2).sum())
    ss_total = float(((marks - grand) ** 2).sum())
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_total - ss_rows) / (n * (k - 1))
    return {
        col.ICC_1_1: _ratio(msr - msw, msr + (k - 1) * msw),
        col.ICC_1_K: _ratio(msr - msw, msr),
        col.ICC_2_1: _ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        col.ICC_2_K: _ratio(msr - mse, msr + (msc - mse) / n),
        col.ICC_3_1: _ratio(msr - mse, msr + (k - 1) * mse),
        col.ICC_3_K: _ratio(msr - mse, msr),
    }


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN unless the denominator is positive."""
    return numerator / denominator if denominator > 0 else math.nan


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
        jurors, or when the denominator is zero (no variation). The other forms:
        :func:`icc_forms`.

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
    return icc_forms(marks)[col.ICC_2_K]


def icc_oneway(values: np.ndarray, targets: np.ndarray) -> tuple[float, float, float]:
    """Return the one-way ICC(1,1), ICC(1,k) and ``k`` of any design, panels of any size.

    ``ICC(1,1) = (MSB - MSW) / (MSB + (k0 - 1) MSW)`` with ``k0`` as in the module
    docstring, and ICC(1,k) = ``k ICC(1,1) / (1 + (k - 1) ICC(1,1))`` with ``k`` the
    harmonic mean of the panel sizes. On a balanced design these are ``(MSB - MSW) / (MSB
    + (k - 1) MSW)`` and ``(MSB - MSW) / MSB``.

    Parameters
    ----------
    values
        Marks, one per element.
    targets
        Target of each mark (any hashable labels).

    Returns
    -------
    tuple of float
        ``(icc_1_1, icc_1_k, k)``. Both ICCs are NaN with fewer than two targets or no
        within-target degrees of freedom (``k`` is then NaN too), or no variation;
        ICC(1,k) also when the targets differ so little that the stepped-up value is not
        defined (``1 + (k - 1) ICC(1,1) <= 0``).

    Examples
    --------
    Targets A: 1, 3; B: 4, 6, 8; C: 9 (hand-checked in the tests).

    >>> import numpy as np
    >>> values = np.array([1.0, 3, 4, 6, 8, 9])
    >>> [round(x, 4) for x in icc_oneway(values, np.array(list("AABBBC")))]
    [0.7117, 0.8015, 1.6364]
    """
    values = np.asarray(values, dtype="float64")
    codes = pd.factorize(np.asarray(targets), sort=True)[0]
    n_targets = int(codes.max()) + 1 if len(codes) else 0
    n_marks = len(values)
    if n_targets < 2 or n_marks - n_targets < 1:
        return math.nan, math.nan, math.nan
    size = np.bincount(codes, minlength=n_targets)
    mean = np.bincount(codes, weights=values) / size
    grand = values.mean()
    ms_between = float((size * (mean - grand) ** 2).sum()) / (n_targets - 1)
    ms_within = float(((values - mean[codes]) ** 2).sum()) / (n_marks - n_targets)
    k0 = (n_marks - float((size**2).sum()) / n_marks) / (n_targets - 1)
    k = n_targets / float((1.0 / size).sum())
    single = _ratio(ms_between - ms_within, ms_between + (k0 - 1) * ms_within)
    stepped = 1 + (k - 1) * single
    if not stepped > 0:  # targets vary less than chance: the panel average has no reliability
        return single, math.nan, k
    return single, k * single / stepped, k


def icc_oneway_average(values: np.ndarray, targets: np.ndarray) -> float:
    """Return the one-way ICC stepped up to the harmonic mean panel size: ICC(1,k).

    The second value of :func:`icc_oneway`. On a balanced design this is ICC(1,k),
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
    return icc_oneway(values, targets)[1]


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
        Columns :data:`scoring.columns.RELIABILITY_COLUMNS`, one row per criterion,
        sorted: ``criterion``, ``n_targets``, ``n_jurors``, ``n_marks``, ``complete``
        (every juror marked every target), ``icc_form`` (``"ICC(2,k)"`` on a complete
        design, else ``"ICC(1,k)"``) and ``icc_k`` (its value: the panel-average
        reliability), ``alpha`` (Krippendorff's interval alpha), ``panel_size`` (the
        ``k`` of the ``,k`` forms) and the six forms ``icc_1_1`` to ``icc_3_k`` (named in
        :data:`ICC_FORMS`), NaN where the design does not support them: the two-way
        forms need a complete design.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"] * 3,
    ...                       "target_id": ["A", "A", "B", "B", "C", "C"],
    ...                       "criterion": "pitch", "score": [1.0, 2, 3, 4, 5, 6]})
    >>> table = reliability_table(marks)
    >>> table[["criterion", "complete", "icc_form", "icc_k"]].round(4)
      criterion  complete  icc_form   icc_k
    0     pitch      True  ICC(2,k)  0.9412
    >>> table[["panel_size", "icc_1_1", "icc_2_1", "icc_3_1"]].round(4)
       panel_size  icc_1_1  icc_2_1  icc_3_1
    0         2.0   0.8824   0.8889      1.0
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
        forms = dict.fromkeys(ICC_FORMS, math.nan)
        single, average, panel_size = icc_oneway(values, target)
        if complete:
            matrix = np.empty(n_targets * n_jurors)
            matrix[cells] = values
            forms.update(icc_forms(matrix.reshape(n_targets, n_jurors)))
            panel_size = float(n_jurors)
        # The one-way forms of every design come from the one-way ANOVA of the long marks,
        # so complete and incomplete criteria are computed alike.
        forms[col.ICC_1_1], forms[col.ICC_1_K] = single, average
        rows.append(
            {
                col.CRITERION: str(name),
                col.N_TARGETS: n_targets,
                col.N_JURORS: n_jurors,
                col.N_MARKS: len(values),
                col.COMPLETE: complete,
                col.ICC_FORM: "ICC(2,k)" if complete else "ICC(1,k)",
                col.ICC_K: forms[col.ICC_2_K] if complete else average,
                col.ALPHA: krippendorff_alpha_interval(values, target),
                col.PANEL_SIZE: panel_size,
                **forms,
            }
        )
    frame = pd.DataFrame.from_records(rows, columns=list(col.RELIABILITY_COLUMNS))
    return frame.astype({c: col.COLUMN_DTYPES[c] for c in col.RELIABILITY_COLUMNS})
