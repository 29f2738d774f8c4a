"""Aggregate marks into panel scores per target and criterion, then into merit per candidate.

Every reduction runs over the sorted order of :class:`scoring.ingest.marks.MarkIndex`,
so results never depend on the row order of the input.

Panel score of target ``t`` on criterion ``c`` from the marks ``x_1 <= ... <= x_n`` of its
``n`` jurors (``value`` column, normalised or calibrated marks by default):

- ``mean``: ``sum(x) / n``;
- ``median``: the middle mark, or the mean of the two middle marks;
- ``trimmed``: the mean of ``x_(trim+1) .. x_(n-trim)`` (drop ``trim`` highest and lowest
  marks, as ISU panels do); a panel with ``n <= 2 * trim`` marks keeps all of them and
  is reported.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import CriterionConfig
>>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J3"], "target_id": "C1",
...                       "criterion": "pitch", "score": [6.0, 7.0, 9.0]})
>>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=10)
>>> panel = panel_scores(marks, criteria=[pitch], value="score", aggregate="trimmed")
>>> panel.frame[["target_id", "n_jurors", "raw_mean", "score"]]
  target_id  n_jurors  raw_mean  score
0        C1         3  7.333333    7.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.errors import InvalidEventError, Issue, format_ids
from scoring.ingest.marks import MarkIndex, index_marks

__all__ = [
    "MeritResult",
    "PanelScores",
    "candidate_merit",
    "panel_scores",
]

AggregateName = Literal["mean", "median", "trimmed"]

_MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2)
"""Large-sample ratio of the median's standard error to the mean's for normal marks."""


@dataclass(frozen=True)
class PanelScores:
    """Panel scores and the warnings found while aggregating.

    Attributes
    ----------
    frame
        One row per target and criterion, columns
        :data:`scoring.columns.CRITERION_SCORE_COLUMNS`, sorted by ``target_id,
        criterion``.
    residual_variance
        Pooled within-panel variance of the aggregated values, per criterion.
    issues
        Warnings (``aggregate.below_min_jurors``, ``aggregate.untrimmed``).
    """

    frame: pd.DataFrame
    residual_variance: dict[str, float]
    issues: tuple[Issue, ...]


def panel_scores(
    scores: pd.DataFrame | MarkIndex,
    *,
    criteria: Sequence[CriterionConfig],
    value: str = col.NORMALISED,
    aggregate: AggregateName = "mean",
    trim: int = 1,
    decimals: int | None = None,
    min_jurors: int = 2,
    model_df: Mapping[str, int] | None = None,
) -> PanelScores:
    """Aggregate the marks of each panel (one target, one criterion) into a panel score.

    ``score`` is the ``mean``, ``median`` or ``trimmed`` mean of the panel's ``value``
    marks (see the module docstring), rounded to ``decimals`` places when given (NumPy
    rounding, half to even). ``score_se`` is ``f * s / sqrt(m)`` where ``s**2`` is the
    pooled within-panel variance of the criterion, ``sum (x - panel mean)**2 / (N - T -
    model_df)`` over its ``N`` marks and ``T`` panels, ``m`` the number of marks
    averaged and ``f`` 1 (mean, trimmed) or ``sqrt(pi / 2)`` (median); it is an
    approximation for median and trimmed, and missing when the degrees of freedom are
    not positive.

    Parameters
    ----------
    scores
        Marks (``juror_id, target_id, criterion, score`` and ``value``) or their index.
    criteria
        The event's criteria (for each criterion's level).
    value
        Column aggregated into ``score``; ``raw_mean`` always averages ``score``.
    aggregate, trim
        Panel aggregate and, for ``trimmed``, marks dropped at each end.
    decimals
        Round panel scores to this many places; ``None`` keeps full precision.
    min_jurors
        Panels with fewer marks get ``below_min_jurors = True`` and a warning.
    model_df
        Degrees of freedom a calibration model used per criterion (juror offsets), taken
        off the residual degrees of freedom.

    Returns
    -------
    PanelScores
        ``frame`` columns: ``target_id, criterion, level, n_jurors`` (marks on the
        panel), ``raw_mean`` (mean raw mark), ``score`` (panel score), ``score_se``,
        ``below_min_jurors``.

    Raises
    ------
    ValueError
        When ``aggregate`` is not one of ``mean, median, trimmed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"], "target_id": "C1",
    ...                       "criterion": "pitch", "score": [6.0, 9.0]})
    >>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=10)
    >>> panel = panel_scores(marks, criteria=[pitch], value="score", min_jurors=3)
    >>> panel.frame[["target_id", "score", "below_min_jurors"]]
      target_id  score  below_min_jurors
    0        C1    7.5              True
    >>> panel.issues[0].code
    'aggregate.below_min_jurors'
    """
    index = index_marks(scores)
    x = index.values(value)
    n = index.panel_size
    untrimmed = np.zeros(index.n_panels, dtype=bool)
    factor = 1.0
    if aggregate == "mean":
        score = index.panel_sum(x) / n
        n_used = n
    elif aggregate in ("median", "trimmed"):
        order = np.lexsort((x, index.panel))
        xs = x[order]
        if aggregate == "median":
            start = index.panel_start
            score = (xs[start + (n - 1) // 2] + xs[start + n // 2]) / 2
            n_used, factor = n, _MEDIAN_SE_FACTOR
        else:
            untrimmed = n <= 2 * trim
            n_used = np.where(untrimmed, n, n - 2 * trim)
            rank = np.arange(index.n_marks) - index.panel_start[index.panel]
            keep = untrimmed[index.panel] | ((rank >= trim) & (rank < (n - trim)[index.panel]))
            sums = np.bincount(index.panel[keep], weights=xs[keep], minlength=index.n_panels)
            score = sums / n_used
    else:
        raise ValueError(f"aggregate must be mean, median or trimmed, got {aggregate!r}")
    variance = _residual_variance(index, x, model_df or {})
    panel_crit = index.panel_criterion
    with np.errstate(invalid="ignore", divide="ignore"):
        score_se = factor * np.sqrt(variance[panel_crit] / n_used)
    if decimals is not None:
        score = np.round(score, decimals)
    levels = {c.name: c.level for c in criteria}
    crit_levels = np.array([levels.get(c, "candidate") for c in index.criteria], dtype=object)
    frame = pd.DataFrame(
        {
            col.TARGET_ID: index.targets[index.panel_target],
            col.CRITERION: index.criteria[panel_crit],
            col.LEVEL: crit_levels[panel_crit],
            col.N_JURORS: n.astype(np.int64),
            col.RAW_MEAN: index.panel_mean(index.values(col.SCORE)),
            col.SCORE: score,
            col.SCORE_SE: score_se,
            col.BELOW_MIN_JURORS: n < min_jurors,
        }
    )
    issues = [
        *_panel_issues(frame, n < min_jurors, "aggregate.below_min_jurors", min_jurors),
        *_panel_issues(frame, untrimmed, "aggregate.untrimmed", trim),
    ]
    order = np.lexsort((panel_crit, index.panel_target))
    frame = frame.take(order).reset_index(drop=True)
    residual = {str(c): float(v) for c, v in zip(index.criteria, variance, strict=True)}
    return PanelScores(frame=frame, residual_variance=residual, issues=tuple(issues))


def _residual_variance(index: MarkIndex, x: np.ndarray, model_df: Mapping[str, int]) -> np.ndarray:
    n_criteria = len(index.criteria)
    residual = x - index.panel_mean(x)[index.panel]
    ss = np.bincount(index.criterion, weights=residual**2, minlength=n_criteria)
    n_marks = np.bincount(index.criterion, minlength=n_criteria)
    n_panels = np.bincount(index.panel_criterion, minlength=n_criteria)
    extra = np.array([model_df.get(str(c), 0) for c in index.criteria], dtype=np.int64)
    df = n_marks - n_panels - extra
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(df > 0, ss / np.maximum(df, 1), np.nan)


def _panel_issues(frame: pd.DataFrame, flagged: np.ndarray, code: str, limit: int) -> list[Issue]:
    issues = []
    hits = frame.loc[flagged]
    for criterion, rows in hits.groupby(col.CRITERION, sort=True):
        targets = sorted(rows[col.TARGET_ID])
        if code == "aggregate.below_min_jurors":
            message = (
                f"{len(targets)} target(s) on criterion '{criterion}' have fewer than "
                f"{limit} jurors: {format_ids(targets)}. Their panel scores rest on few "
                "marks; consider more jurors or lower [scoring] min_jurors."
            )
        else:
            message = (
                f"{len(targets)} target(s) on criterion '{criterion}' have at most "
                f"{2 * limit} marks, too few to drop {limit} at each end: "
                f"{format_ids(targets)}. Their plain mean is used."
            )
        issues.append(Issue("warning", code, message, column=str(criterion)))
    return issues


class _PanelTable:
    """Panel scores laid out for lookups by (criterion, target)."""

    def __init__(self, criterion_scores: pd.DataFrame) -> None:
        target, self.targets = pd.factorize(criterion_scores[col.TARGET_ID].to_numpy(object))
        criterion, criteria = pd.factorize(criterion_scores[col.CRITERION].to_numpy(object))
        self.criteria = {str(name): code for code, name in enumerate(criteria)}
        n_targets = len(self.targets)
        self.row = np.full(len(criteria) * n_targets, -1, dtype=np.int64)
        self.row[criterion * n_targets + target] = np.arange(len(criterion_scores))
        self.score = criterion_scores[col.SCORE].to_numpy(dtype="float64")
        self.score_se = criterion_scores[col.SCORE_SE].to_numpy(dtype="float64")
        self.n_jurors = criterion_scores[col.N_JURORS].to_numpy(dtype=np.int64)

    def target_codes(self, ids: np.ndarray) -> np.ndarray:
        """Code of each target id; -1 for ids without any panel score."""
        return pd.Index(self.targets).get_indexer(ids)

    def rows(self, criterion: str, targets: np.ndarray) -> np.ndarray:
        """Row of each target's panel score on ``criterion``; -1 when there is none."""
        code = self.criteria.get(criterion)
        if code is None:
            return np.full(len(targets), -1, dtype=np.int64)
        found = targets >= 0
        row = np.full(len(targets), -1, dtype=np.int64)
        row[found] = self.row[code * len(self.targets) + targets[found]]
        return row


def _take(values: np.ndarray, row: np.ndarray, missing: float) -> np.ndarray:
    """Return ``values[row]``, with ``missing`` where ``row`` is -1."""
    padded = np.append(values, np.array([missing], dtype=values.dtype))
    return padded[np.where(row >= 0, row, len(values))]


@dataclass(frozen=True)
class MeritResult:
    """Merit per candidate and the warnings found while computing it.

    Attributes
    ----------
    frame
        One row per candidate, columns :data:`scoring.columns.MERIT_COLUMNS` then one
        column per criterion (config order), sorted by ``candidate_id``.
    issues
        ``merit.missing_score`` warnings.
    """

    frame: pd.DataFrame
    issues: tuple[Issue, ...]


def candidate_merit(
    criterion_scores: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    criteria: Sequence[CriterionConfig],
    weights: Mapping[str, float] | None = None,
) -> MeritResult:
    """Combine panel scores into each candidate's merit.

    ``merit = sum_c w_c * s_c`` where ``s_c`` is the panel score of the candidate's
    target on criterion ``c``: the candidate itself for candidate-level criteria, the
    candidate's project (or the candidate, when pitching alone) for project-level ones.
    ``merit_se = sqrt(sum_c w_c**2 * se_c**2)`` treats criteria as independent.
    ``n_jurors`` is the smallest panel behind the merit, ``n_marks`` the number of marks.

    A candidate without a panel score on a criterion of positive weight gets a missing
    (NaN) merit and merit_se, and a ``merit.missing_score`` warning names them: merit is
    never made up from the criteria that happen to be present.

    Parameters
    ----------
    criterion_scores
        Panel scores (see :func:`panel_scores`).
    candidates
        Candidates ``candidate_id, group, project``; every one appears in the result.
    criteria
        The event's criteria (names, levels, weights).
    weights
        Weights per criterion name; defaults to each criterion's ``weight``.

    Returns
    -------
    MeritResult
        ``frame`` columns ``candidate_id, group, merit, merit_se, n_jurors, n_marks`` and
        one column per criterion holding the panel score used.

    Raises
    ------
    InvalidEventError
        When a criterion is named like one of the fixed merit columns (code
        ``merit.reserved_name``, one issue per such criterion).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import CriterionConfig
    >>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G",
    ...                       "project": ["P", pd.NA]})
    >>> panel = pd.DataFrame({"target_id": ["A", "B", "P", "B"],
    ...                       "criterion": ["talk", "talk", "idea", "idea"],
    ...                       "n_jurors": 2, "score": [8.0, 6.0, 7.0, 5.0],
    ...                       "score_se": 0.5})
    >>> crit = [CriterionConfig(name="talk", weight=0.5, min=1, max=10),
    ...         CriterionConfig(name="idea", weight=0.5, min=1, max=10, level="project")]
    >>> candidate_merit(panel, cands, criteria=crit).frame[["candidate_id", "merit"]]
      candidate_id  merit
    0            A    7.5
    1            B    5.5
    """
    clash = sorted({c.name for c in criteria} & set(col.MERIT_COLUMNS))
    if clash:
        raise InvalidEventError([_reserved_name(name) for name in clash])
    weights = dict(weights) if weights is not None else {c.name: c.weight for c in criteria}
    cands = candidates.sort_values(col.CANDIDATE_ID, ignore_index=True)
    candidate_id = cands[col.CANDIDATE_ID].to_numpy(dtype=object)
    project = cands[col.PROJECT].astype(object).where(cands[col.PROJECT].notna(), None)
    project_target = np.where(project.isna(), candidate_id, project.to_numpy(dtype=object))
    n = len(cands)
    merit, variance = np.zeros(n), np.zeros(n)
    n_jurors = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    n_marks = np.zeros(n, dtype=np.int64)
    per_criterion: dict[str, np.ndarray] = {}
    issues: list[Issue] = []
    table = _PanelTable(criterion_scores)
    own, in_project = table.target_codes(candidate_id), table.target_codes(project_target)
    for criterion in criteria:
        row = table.rows(criterion.name, in_project if criterion.level == "project" else own)
        found = row >= 0
        score = _take(table.score, row, np.nan)
        se = _take(table.score_se, row, np.nan)
        count = _take(table.n_jurors, row, 0)
        weight = weights.get(criterion.name, 0.0)
        if weight != 0:
            merit += weight * score
            variance += weight**2 * se**2
        n_jurors = np.minimum(n_jurors, count)
        n_marks += count
        per_criterion[criterion.name] = score
        if weight != 0 and not found.all():
            missing = candidate_id[~found].tolist()
            issues.append(
                Issue(
                    "warning",
                    "merit.missing_score",
                    f"{len(missing)} candidate(s) have no panel score on criterion "
                    f"'{criterion.name}': {format_ids(missing)}. Their merit is missing "
                    "(NaN); add marks or exclude them before selecting.",
                    column=criterion.name,
                )
            )
    if not criteria:
        n_jurors[:] = 0
    frame = pd.DataFrame(
        {
            col.CANDIDATE_ID: cands[col.CANDIDATE_ID],
            col.GROUP: cands[col.GROUP],
            col.MERIT: merit,
            col.MERIT_SE: np.sqrt(variance),
            col.N_JURORS: n_jurors,
            col.N_MARKS: n_marks,
            **per_criterion,
        }
    )
    return MeritResult(frame=frame, issues=tuple(issues))


def _reserved_name(name: str) -> Issue:
    """The error for a criterion named like a fixed column of the merit frame."""
    return Issue(
        "error",
        "merit.reserved_name",
        f"Criterion '{name}' has the name of a column of the merit table "
        f"({', '.join(col.MERIT_COLUMNS)}), so its panel scores cannot be listed there. "
        "Rename the criterion in event.toml (and in the score sheet).",
        file="event.toml",
        column="criteria.name",
        value=name,
    )
