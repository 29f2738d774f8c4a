"""Calibrate marks with a juror-effect model fitted on all marks of a criterion at once.

``additive`` (the default method): for each criterion, mark ``y`` of juror ``j`` on target
``t`` is modelled as ``y = m_t + b_j + e``, where ``m_t`` (overall mean plus target effect)
is the target's calibrated score and ``b_j`` the juror's offset (positive: more lenient
than the panel). The fit minimises ``sum e**2 + ridge * sum b_j**2``: least squares with a
light ridge shrinkage of the offsets, ``ridge`` counting as that many extra marks at offset
zero. Offsets sum to zero within each connected component (for ``ridge > 0`` the penalty
itself implies it; for ``ridge = 0`` it is imposed). The calibrated mark is ``y - b_j``,
and the mean of a target's calibrated marks is exactly its fitted ``m_t``. On a complete
design (every juror marks every target) the offsets sum to zero and ``m_t`` is the raw
mean; on an incomplete one (panels, rooms) juror severity is removed.

The solution absorbs the target effects (the classic two-way ANOVA trick): with ``N`` the
juror-by-target count matrix, ``C = diag(n_j) - N diag(1/n_t) N'`` and ``r_j = sum over the
juror's marks of (y - mean of the target)``, the offsets solve ``(C + ridge I + P) b = r``
where ``P`` adds one for each component's sum of offsets; the system is only as wide as the
number of jurors. That solution is :mod:`scoring.models.juror_effects`, which the fast
stability engine shares (with juror weights, batched over resamples); here ``C`` and ``r``
are built from the marks. ``Cov(b) = s**2 M^-1 C M^-1`` gives the offsets' standard errors,
with ``M = C + ridge I + P`` and ``s**2 = RSS / (n_marks - n_targets - n_jurors +
n_components)``.

Connectivity: jurors are linked when they marked a common target, directly or through
others. Offsets of jurors in different components cannot be compared, and neither can
their targets' scores: each component's offsets are centred on their own, which assumes
every component's jurors are equally severe on average. This is reported as a
``calibrate.disconnected`` warning naming each component's jurors, and the
``components`` frame lists them all.

``additive_scale`` (opt-in) fits ``y = b_j + g_j * m_t + e`` by alternating least squares
with the same ridge on offsets, gains of each component averaging one and offsets summing
to zero; the calibrated mark is ``(y - b_j) / g_j``. Gains are kept within
``[1/5, 5]`` and a juror with fewer than 3 marks, or whose targets' scores do not vary,
keeps gain 1; both are reported.

Examples
--------
>>> import pandas as pd
>>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J1", "J2"],
...                       "target_id": ["A", "A", "B", "B"], "criterion": "pitch",
...                       "score": [7.0, 5.0, 9.0, 7.0]})
>>> fit = calibrate_scores(marks, ridge=0.0)
>>> fit.offsets[["juror_id", "offset"]].round(9)
  juror_id  offset
0       J1     1.0
1       J2    -1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.conflicts import target_members
from scoring.errors import Issue, format_ids
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.models.juror_effects import component_labels, component_mean, juror_offsets

__all__ = ["CALIBRATE_METHODS", "CalibrationResult", "calibrate_scores", "design_components"]

CalibrateMethod = Literal["additive", "additive_scale"]
CALIBRATE_METHODS: tuple[CalibrateMethod, ...] = ("additive", "additive_scale")
"""Juror-effect calibration methods."""

GAIN_BOUNDS = (0.2, 5.0)
"""Smallest and largest juror gain ``additive_scale`` accepts."""

_MAX_ITERATIONS = 2000
_TOLERANCE = 1e-11
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class CalibrationResult:
    """Calibrated marks, juror effects, connectivity and warnings.

    Attributes
    ----------
    index
        The marks with a ``normalised`` column holding the calibrated mark, indexed.
    offsets
        One row per criterion and juror, columns :data:`scoring.columns.OFFSET_COLUMNS`:
        ``component`` (1 = the component of the first juror id), ``n_marks``, ``offset``,
        ``offset_se`` and ``gain`` (1 for ``additive``). Sorted by criterion, juror.
    components
        The connectivity report (see :func:`design_components`).
    residual_variance
        ``RSS / df`` per criterion (NaN when ``df <= 0``).
    model_df
        Degrees of freedom spent on juror effects per criterion.
    method, ridge
        The model fitted and the ridge penalty used.
    issues
        ``calibrate.disconnected``, ``calibrate.gain_bounded``, ``calibrate.fixed_gain``
        and ``calibrate.not_converged`` warnings.
    """

    index: MarkIndex
    offsets: pd.DataFrame
    components: pd.DataFrame
    residual_variance: dict[str, float]
    model_df: dict[str, int]
    method: CalibrateMethod
    ridge: float
    issues: tuple[Issue, ...]

    @property
    def scores(self) -> pd.DataFrame:
        """The marks with their calibrated ``normalised`` column, in canonical order."""
        return self.index.marks


@dataclass(frozen=True)
class _Design:
    """One criterion's marks as local codes, with the absorbed information matrix."""

    name: str
    y: np.ndarray
    target: np.ndarray
    juror: np.ndarray
    n_targets: int
    target_ids: np.ndarray
    juror_ids: np.ndarray
    n_per_target: np.ndarray
    n_per_juror: np.ndarray
    information: np.ndarray
    component: np.ndarray

    @property
    def n_components(self) -> int:
        """Number of connected components of the juror-target graph."""
        return int(self.component.max()) + 1 if len(self.component) else 0


def _designs(index: MarkIndex) -> list[_Design]:
    designs: list[_Design] = []
    if index.n_marks == 0:
        return designs
    starts = np.concatenate(([0], np.flatnonzero(np.diff(index.criterion)) + 1))
    stops = np.append(starts[1:], index.n_marks)
    y_all = index.values(col.SCORE)
    for start, stop in zip(starts, stops, strict=True):
        target_global = index.target[start:stop]
        new_target = np.ones(stop - start, dtype=bool)
        new_target[1:] = target_global[1:] != target_global[:-1]
        target = np.cumsum(new_target) - 1
        juror_global = index.juror[start:stop]
        present = np.bincount(juror_global, minlength=len(index.jurors)) > 0
        juror_codes = np.flatnonzero(present)
        juror = (np.cumsum(present) - 1)[juror_global]
        n_targets, n_jurors = int(target[-1]) + 1, len(juror_codes)
        n_per_target = np.bincount(target, minlength=n_targets)
        information = np.diag(np.bincount(juror, minlength=n_jurors).astype("float64"))
        information -= _shared(juror, target, n_per_target, n_jurors)
        designs.append(
            _Design(
                name=str(index.criteria[index.criterion[start]]),
                y=y_all[start:stop],
                target=target,
                juror=juror,
                n_targets=n_targets,
                target_ids=index.targets[target_global[new_target]],
                juror_ids=index.jurors[juror_codes],
                n_per_target=n_per_target,
                n_per_juror=np.bincount(juror, minlength=n_jurors),
                information=information,
                component=_components(information),
            )
        )
    return designs


def _shared(
    juror: np.ndarray, target: np.ndarray, n_per_target: np.ndarray, n_jurors: int
) -> np.ndarray:
    """Return ``N diag(1/n_t) N'``, accumulated over chunks of targets (marks sorted by target)."""
    shared = np.zeros((n_jurors, n_jurors))
    n_targets = len(n_per_target)
    chunk = max(1, _CHUNK_CELLS // n_jurors)
    target_start = np.concatenate(([0], np.cumsum(n_per_target)))
    for first in range(0, n_targets, chunk):
        last = min(first + chunk, n_targets)
        rows = slice(target_start[first], target_start[last])
        width = last - first
        cells = juror[rows] * width + (target[rows] - first)
        counts = np.bincount(cells, minlength=n_jurors * width).reshape(n_jurors, width)
        shared += (counts / n_per_target[first:last]) @ counts.T
    return shared


def _components(information: np.ndarray) -> np.ndarray:
    """Label jurors by connected component, numbered 0, 1, ... by their smallest juror."""
    return np.unique(component_labels(information), return_inverse=True)[1].reshape(-1)


def design_components(scores: pd.DataFrame | MarkIndex) -> pd.DataFrame:
    """Report the connected components of the juror-target graph of each criterion.

    A juror and a target are linked when the juror marked the target; two jurors are in
    the same component when a path of such links joins them. Scores are comparable
    across jurors only within a component.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`scoring.columns.COMPONENT_COLUMNS`: ``criterion``, ``component``
        (1, 2, ... in order of each component's first juror id), ``n_jurors``,
        ``n_targets``, ``n_marks``, and the sorted ``juror_ids`` and ``target_ids``
        joined by ``"; "``. Sorted by criterion and component.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J3"], "target_id": ["A", "A", "B"],
    ...                       "criterion": "pitch", "score": [5.0, 6.0, 7.0]})
    >>> design_components(marks)[["component", "juror_ids", "target_ids"]]
       component juror_ids target_ids
    0          1    J1; J2          A
    1          2        J3          B
    """
    return _component_frame(_designs(index_marks(scores)))


def _component_frame(designs: Sequence[_Design]) -> pd.DataFrame:
    rows = []
    for design in designs:
        target_component = _target_values(design, design.component)
        mark_component = design.component[design.juror]
        for k in range(design.n_components):
            in_k = target_component == k
            rows.append(
                {
                    col.CRITERION: design.name,
                    col.COMPONENT: k + 1,
                    col.N_JURORS: int((design.component == k).sum()),
                    col.N_TARGETS: int(in_k.sum()),
                    col.N_MARKS: int((mark_component == k).sum()),
                    col.JUROR_IDS: "; ".join(design.juror_ids[design.component == k]),
                    col.TARGET_IDS: "; ".join(design.target_ids[in_k]),
                }
            )
    frame = pd.DataFrame.from_records(rows, columns=list(col.COMPONENT_COLUMNS))
    return frame.astype(
        {
            col.COMPONENT: "int64",
            col.N_JURORS: "int64",
            col.N_TARGETS: "int64",
            col.N_MARKS: "int64",
        }
    )


def calibrate_scores(
    scores: pd.DataFrame | MarkIndex,
    *,
    method: CalibrateMethod = "additive",
    ridge: float = 0.1,
    candidates: pd.DataFrame | None = None,
) -> CalibrationResult:
    """Fit a juror-effect model per criterion and remove each juror's effect from their marks.

    See the module docstring for the model, its solution and the handling of
    disconnected designs.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.
    method
        ``additive`` (offset per juror) or ``additive_scale`` (offset and gain per juror).
    ridge
        Penalty on squared juror offsets, in units of one mark (0 for plain least squares).
    candidates
        Optional candidates (``candidate_id, group, project``); when given, the
        disconnection warning says which groups span several components.

    Returns
    -------
    CalibrationResult
        Calibrated marks (``normalised`` column), offsets, components and warnings.

    Raises
    ------
    ValueError
        When ``method`` is unknown or ``ridge`` is negative (programming errors: the
        configuration allows neither).

    Examples
    --------
    Two rooms sharing juror J2; J1 is 2 points more lenient than J3 (derivation in
    ``tests/test_calibrate.py``):

    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J2", "J3"],
    ...                       "target_id": ["A", "A", "B", "B"], "criterion": "pitch",
    ...                       "score": [8.0, 7.0, 5.0, 4.0]})
    >>> fit = calibrate_scores(marks, ridge=0.0)
    >>> fit.offsets["offset"].round(9).add(0.0).tolist()
    [1.0, 0.0, -1.0]
    >>> fit.scores["normalised"].round(9).tolist()
    [7.0, 7.0, 5.0, 5.0]
    """
    if method not in CALIBRATE_METHODS:
        raise ValueError(f"method must be one of {CALIBRATE_METHODS}, got {method!r}")
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge}")
    index = index_marks(scores)
    designs = _designs(index)
    calibrated = np.empty(index.n_marks)
    offsets: list[pd.DataFrame] = []
    issues: list[Issue] = []
    variance: dict[str, float] = {}
    model_df: dict[str, int] = {}
    position = 0
    for design in designs:
        n = len(design.y)
        fit = _fit_additive(design, ridge) if method == "additive" else _fit_scale(design, ridge)
        calibrated[position : position + n] = fit.calibrated
        position += n
        offsets.append(_offset_frame(design, fit))
        variance[design.name] = fit.residual_variance
        model_df[design.name] = fit.model_df
        issues.extend(fit.issues)
        if design.n_components > 1:
            issues.append(_disconnected_issue(design, candidates))
    frame = pd.concat(offsets, ignore_index=True) if offsets else _empty_offsets()
    return CalibrationResult(
        index=index.with_column(col.NORMALISED, calibrated),
        offsets=frame,
        components=_component_frame(designs),
        residual_variance=variance,
        model_df=model_df,
        method=method,
        ridge=float(ridge),
        issues=tuple(issues),
    )


@dataclass(frozen=True)
class _Fit:
    calibrated: np.ndarray
    offset: np.ndarray
    offset_se: np.ndarray
    gain: np.ndarray
    residual_variance: float
    model_df: int
    issues: tuple[Issue, ...] = ()


def _fit_additive(design: _Design, ridge: float) -> _Fit:
    y, target, juror = design.y, design.target, design.juror
    n_jurors = len(design.juror_ids)
    target_mean = np.bincount(target, weights=y) / design.n_per_target
    rhs = np.bincount(juror, weights=y - target_mean[target], minlength=n_jurors)
    offset, system = juror_offsets(
        design.information,
        rhs,
        n_marks=design.n_per_juror,
        component=design.component,
        ridge=ridge,
    )
    calibrated = y - offset[juror]
    fitted = np.bincount(target, weights=calibrated) / design.n_per_target
    residual = calibrated - fitted[target]
    model_df = n_jurors - design.n_components
    df = len(y) - design.n_targets - model_df
    variance = float(residual @ residual / df) if df > 0 else float("nan")
    inverse = np.linalg.inv(system)
    covariance = variance * inverse @ design.information @ inverse
    offset_se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    # A juror alone in their component has offset 0 by convention, not by estimate.
    alone = np.bincount(design.component)[design.component] == 1
    offset_se = np.where(alone, np.nan, offset_se)
    return _Fit(calibrated, offset, offset_se, np.ones(n_jurors), variance, model_df)


def _fit_scale(design: _Design, ridge: float) -> _Fit:
    y, target, juror = design.y, design.target, design.juror
    n_jurors = len(design.juror_ids)
    count = design.n_per_juror.astype("float64")
    score = np.bincount(target, weights=y) / design.n_per_target
    offset, gain = np.zeros(n_jurors), np.ones(n_jurors)
    tolerance = _TOLERANCE * max(float(np.ptp(y)), 1.0)
    free = count >= 3
    converged = False
    for _ in range(_MAX_ITERATIONS):
        at = score[target]
        s_a = np.bincount(juror, weights=at, minlength=n_jurors)
        s_aa = np.bincount(juror, weights=at * at, minlength=n_jurors)
        s_y = np.bincount(juror, weights=y, minlength=n_jurors)
        s_ay = np.bincount(juror, weights=at * y, minlength=n_jurors)
        det = (count + ridge) * s_aa - s_a**2
        estimable = free & (det > 1e-12 * np.maximum((count + ridge) * s_aa, 1e-300))
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = ((count + ridge) * s_ay - s_a * s_y) / det
        gain = np.where(estimable, np.clip(slope, *GAIN_BOUNDS), 1.0)
        offset = (s_y - gain * s_a) / (count + ridge)
        weight = gain[juror]
        new_score = np.bincount(target, weights=weight * (y - offset[juror])) / np.bincount(
            target, weights=weight**2
        )
        level = component_mean(gain, design.component)
        new_score = new_score * _target_values(design, level)
        gain = gain / level
        # Moving every score of a component by d and each offset by -g_j d leaves the fit
        # unchanged; only the ridge pins d down, too weakly for the iterations to find it,
        # so take the d that minimises the penalty directly.
        shift = _component_sum(design, gain * offset) / _component_sum(design, gain**2)
        new_score = new_score + _target_values(design, shift[design.component])
        change = float(np.max(np.abs(new_score - score))) if len(score) else 0.0
        score = new_score
        if change < tolerance:
            converged = True
            break
    shift = _component_sum(design, offset) / _component_sum(design, gain)
    offset = offset - gain * shift[design.component]
    score = score + _target_values(design, shift[design.component])
    calibrated = (y - offset[juror]) / gain[juror]
    residual = y - offset[juror] - gain[juror] * score[target]
    n_free_gains = max(int(estimable.sum()) - design.n_components, 0)
    model_df = n_jurors - design.n_components + n_free_gains
    df = len(y) - design.n_targets - model_df
    variance = float(residual @ residual / df) if df > 0 else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        offset_se = np.where(estimable, np.sqrt(variance * s_aa / det), np.sqrt(variance / count))
    issues = _gain_issues(design, estimable, slope, converged)
    return _Fit(calibrated, offset, offset_se, gain, variance, model_df, issues)


def _component_sum(design: _Design, values: np.ndarray) -> np.ndarray:
    return np.bincount(design.component, weights=values)


def _target_values(design: _Design, juror_values: np.ndarray) -> np.ndarray:
    """Spread a per-juror value that is constant within components to each target."""
    first_mark = np.r_[0, np.cumsum(design.n_per_target)[:-1]]
    return juror_values[design.juror[first_mark]]


def _gain_issues(
    design: _Design, estimable: np.ndarray, slope: np.ndarray, converged: bool
) -> tuple[Issue, ...]:
    issues = []
    fixed = design.juror_ids[~estimable]
    if len(fixed):
        issues.append(
            Issue(
                "warning",
                "calibrate.fixed_gain",
                f"On criterion '{design.name}', jurors {format_ids(fixed)} have fewer than "
                "3 marks or marked targets of equal scores; their gain is fixed at 1.",
                column=design.name,
            )
        )
    bounded = design.juror_ids[estimable & ((slope < GAIN_BOUNDS[0]) | (slope > GAIN_BOUNDS[1]))]
    if len(bounded):
        issues.append(
            Issue(
                "warning",
                "calibrate.gain_bounded",
                f"On criterion '{design.name}', the gains of jurors {format_ids(bounded)} fell "
                f"outside {GAIN_BOUNDS[0]}..{GAIN_BOUNDS[1]} and were held at the bound: "
                "their marks hardly follow (or run against) the panel. Check the juror "
                "diagnostics.",
                column=design.name,
            )
        )
    if not converged:
        issues.append(
            Issue(
                "warning",
                "calibrate.not_converged",
                f"The offset-and-gain model on criterion '{design.name}' did not converge in "
                f"{_MAX_ITERATIONS} iterations; its calibrated marks are approximate. "
                "Consider method = 'additive'.",
                column=design.name,
            )
        )
    return tuple(issues)


def _offset_frame(design: _Design, fit: _Fit) -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.CRITERION: design.name,
            col.JUROR_ID: design.juror_ids,
            col.COMPONENT: design.component + 1,
            col.N_MARKS: design.n_per_juror.astype(np.int64),
            col.OFFSET: fit.offset,
            col.OFFSET_SE: fit.offset_se,
            col.GAIN: fit.gain,
        }
    )


def _empty_offsets() -> pd.DataFrame:
    types = {
        col.COMPONENT: "int64",
        col.N_MARKS: "int64",
        col.OFFSET: "float64",
        col.OFFSET_SE: "float64",
        col.GAIN: "float64",
    }
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in col.OFFSET_COLUMNS})


def _disconnected_issue(design: _Design, candidates: pd.DataFrame | None) -> Issue:
    parts = [
        f"{k + 1}: jurors {format_ids(design.juror_ids[design.component == k], limit=5)}"
        for k in range(design.n_components)
    ]
    message = (
        f"On criterion '{design.name}' the jurors form {design.n_components} groups that "
        f"never marked a common target, even through other jurors ({'; '.join(parts)}). "
        "Juror offsets are centred within each component, so scores are comparable within "
        "a component, and across components only if their jurors are equally severe on "
        "average."
    )
    if candidates is not None:
        message += " " + _group_note(design, candidates)
    return Issue("warning", "calibrate.disconnected", message, column=design.name)


def _group_note(design: _Design, candidates: pd.DataFrame) -> str:
    members = target_members(candidates)[[col.TARGET_ID, col.GROUP]].drop_duplicates()
    target_component = pd.DataFrame(
        {
            col.TARGET_ID: design.target_ids,
            col.COMPONENT: _target_values(design, design.component),
        }
    )
    spans = target_component.merge(members, on=col.TARGET_ID, how="inner")
    n_components = spans.groupby(col.GROUP, sort=True)[col.COMPONENT].nunique()
    split = n_components.index[n_components > 1].tolist()
    if not split:
        return "Each group lies within one component, so comparisons inside a group hold."
    return (
        f"Groups {format_ids(split)} have targets in several components; merits inside "
        "these groups mix panels that cannot be compared. Add jurors who mark across rooms."
    )
