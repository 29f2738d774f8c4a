"""Affinity audit: do jurors mark targets that share their attribute (e.g. country) higher?

For an attribute present on both jurors and candidates (``[diagnostics] affinity``), each
raw mark ``y`` of juror ``j`` on criterion ``c`` gets a deviation

    ``d = (y - loo) / r_c - g_jc``

where ``loo`` is the leave-one-out mean of the other jurors on the same target (see
:meth:`scoring.models.aggregate.MarkIndex.loo_mean`), ``r_c`` the criterion's scale range (so
deviations of criteria on different scales can be pooled: 0.1 is a tenth of the scale)
and ``g_jc`` the juror's generosity, the mean of ``(y - loo) / r_c`` over all their marks
on the criterion. Comparing each mark with the other jurors' marks *on the same target*
removes the target's quality, so candidates of a country who are simply better do not
look favoured; removing ``g_jc`` keeps a generous juror with many compatriots from
looking partial in the pooled row. A mark is *shared* when the juror's value equals the
candidate's (for a project target: any member's), compared as text ignoring case and
surrounding spaces. Marks on a panel of one, or where the juror's or every member's value
is missing, are left out.

``effect = mean_shared - mean_other``, a share of the scale, per juror and over all
jurors (``juror_id = "*"``), pooling the criteria. Per criterion (the ``by_criterion``
frame) the same difference is also given in points of that criterion's own scale,
``effect_points = effect * r_c``: a juror who adds ``b`` points to compatriots on one
criterion shows ``effect_points`` near ``b`` there. ``effect_merit = w_c *
effect_points`` is what that does to the juror's weighted marks in merit points (``w_c``
the criterion's weight), and the juror's row sums it over the criteria of non-zero weight
they marked: missing when one of them has no shared or no other mark. A candidate's merit
moves by a juror's ``effect_merit`` divided by the size of the panel. ``effect_points``
and ``effect_merit`` are in raw points, whatever the scoring method.

Its two-sided p-value comes from a permutation test that reshuffles the shared/other
labels within each juror and criterion (within each criterion for a juror's own row),
keeping the counts: Monte Carlo with ``n_permutations`` draws from a seeded generator,
``p = (1 + #{|T* - E T| >= |T - E T|}) / (1 + n_permutations)``. With more than
``max_permuted`` marks the permutation distribution is replaced by the normal
distribution with its exact mean and variance (sampling without replacement within each
stratum), which is accurate at that size and much faster. A per-criterion row is tested
with the permutations of its pooled row (each stratum lies within one criterion, so each
criterion's share of every permuted sum is at hand), and with the normal approximation
when that pooled row has more than ``max_permuted`` marks: the per-criterion p-values
cost no extra draws.

Limits. The reference ``loo`` holds every other juror on the target, favouring ones
included: a juror who adds ``b`` to compatriots raises the other jurors' reference on
those targets by ``b / (n - 1)`` (panels of ``n``), so another juror's effect moves by
that much times the share of those targets among their other marks (up) or their shared
marks (down); with a bonus of 1.5 on panels of five and those targets half of the others'
other marks, that is 0.19 points for each unbiased juror. The favouring juror's own
estimate is unbiased as long as no other juror on the same targets favours the same
value. On an incomplete design the reference is a different set of jurors on each
target, so the other jurors' severity cancels only when panels are not formed by the
attribute.

Examples
--------
>>> import pandas as pd
>>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G", "project": pd.NA,
...                       "country": ["Peru", "Chad"]})
>>> jurors = pd.DataFrame({"juror_id": ["J1", "J2", "J3"],
...                        "country": ["Peru", "Chad", "Laos"]})
>>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J3"] * 2,
...                       "target_id": ["A"] * 3 + ["B"] * 3, "criterion": "pitch",
...                       "score": [9.0, 6, 6, 5, 8, 5]})
>>> from scoring.config import CriterionConfig
>>> audit = affinity_audit(marks, cands, jurors, attributes=["country"],
...                        criteria=[CriterionConfig(name="pitch", weight=2, min=0, max=10)])
>>> audit.frame[["juror_id", "n_shared", "n_other", "effect", "effect_merit"]].round(2)
  juror_id  n_shared  n_other  effect  effect_merit
0        *         2        4    0.34          6.75
1       J1         1        1    0.45          9.00
2       J2         1        1    0.45          9.00
3       J3         0        2     NaN           NaN
>>> audit.by_criterion[["juror_id", "criterion", "effect_points", "effect_merit"]].round(3)
  juror_id criterion  effect_points  effect_merit
0        *     pitch          3.375          6.75
1       J1     pitch          4.500          9.00
2       J2     pitch          4.500          9.00
3       J3     pitch            NaN           NaN
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.conflicts import attribute_key, target_members
from scoring.errors import Issue
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks

__all__ = ["ALL_JURORS", "AffinityResult", "affinity_audit"]

ALL_JURORS = "*"
"""``juror_id`` of the row pooling every juror."""


@dataclass(frozen=True)
class AffinityResult:
    """The affinity audit and its warnings.

    Attributes
    ----------
    frame
        Columns :data:`scoring.columns.AFFINITY_COLUMNS`, one row per attribute and
        juror pooling the criteria (shares of the scale), sorted by ``attribute,
        juror_id`` (the ``"*"`` row first).
    by_criterion
        Columns :data:`scoring.columns.AFFINITY_BY_CRITERION_COLUMNS`, one row per
        attribute, juror and criterion they marked, with the effect in points of the
        criterion's scale; sorted by ``attribute, juror_id, criterion``.
    issues
        ``affinity.attribute_missing`` warnings.
    """

    frame: pd.DataFrame
    by_criterion: pd.DataFrame
    issues: tuple[Issue, ...]


def affinity_audit(
    scores: pd.DataFrame | MarkIndex,
    candidates: pd.DataFrame,
    jurors: pd.DataFrame,
    *,
    attributes: Sequence[str],
    criteria: Sequence[CriterionConfig],
    weights: Mapping[str, float] | None = None,
    seed: int = 0,
    n_permutations: int = 999,
    max_permuted: int = 5000,
) -> AffinityResult:
    """Measure whether jurors favour targets sharing their attribute.

    See the module docstring for the deviation, the effects and the test.

    Parameters
    ----------
    scores
        Raw marks ``juror_id, target_id, criterion, score``, or their index.
    candidates, jurors
        Candidates and jurors with the attribute columns.
    attributes
        Attributes to audit.
    criteria
        The event's criteria, for their scale ranges.
    weights
        Merit weight per criterion name (as :meth:`scoring.config.EventConfig.weights`
        gives them); defaults to each criterion's ``weight``. A criterion missing here
        has weight zero.
    seed
        Seed of the permutation draws (each row uses its own stream derived from it).
    n_permutations
        Monte Carlo permutations per test.
    max_permuted
        Above this many marks a test uses the normal approximation.

    Returns
    -------
    AffinityResult
        ``frame``: one row per attribute for all jurors (``juror_id = "*"``) and one per
        juror with at least one usable mark: ``n_shared``, ``n_other``, ``mean_shared``,
        ``mean_other``, ``effect`` (shares of the scale) and ``p_value`` (missing when
        either count is zero), and ``effect_merit`` (merit points).
        ``by_criterion``: the same per criterion, with ``effect_points`` and the
        criterion's term of ``effect_merit``.

    Examples
    --------
    >>> import pandas as pd
    >>> none = affinity_audit(pd.DataFrame(columns=["juror_id", "target_id", "criterion",
    ...                                             "score"]),
    ...                       pd.DataFrame(columns=["candidate_id", "group", "project"]),
    ...                       pd.DataFrame(columns=["juror_id"]), attributes=[], criteria=[])
    >>> none.frame.columns.tolist()[:4], none.frame.empty, none.by_criterion.empty
    (['attribute', 'juror_id', 'n_shared', 'n_other'], True, True)
    """
    issues: list[Issue] = []
    rows: list[dict[str, object]] = []
    criterion_rows: list[dict[str, object]] = []
    usable_attributes = []
    for attribute in attributes:
        if attribute in jurors.columns and attribute in candidates.columns:
            usable_attributes.append(attribute)
            continue
        where = "jurors" if attribute not in jurors.columns else "candidates"
        issues.append(
            Issue(
                "warning",
                "affinity.attribute_missing",
                f"The affinity audit of '{attribute}' was skipped: the {where} have no "
                f"column '{attribute}'.",
                column=attribute,
            )
        )
    if usable_attributes:
        index = index_marks(scores)
        scale = _scales(index, criteria)
        weight_of = {c.name: c.weight for c in criteria} if weights is None else weights
        weight = np.array([float(weight_of.get(str(c), 0.0)) for c in index.criteria])
        deviation = _deviations(index, scale)
        members = target_members(candidates)
        tests = _Tests(seed=seed, n_permutations=n_permutations, max_permuted=max_permuted)
        for number, attribute in enumerate(usable_attributes):
            shared, known = _shared_marks(index, jurors, members, attribute)
            usable = known & ~np.isnan(deviation)
            pooled, by_criterion = _attribute_rows(
                index, deviation, shared, usable, attribute, number, scale, weight, tests
            )
            rows.extend(pooled)
            criterion_rows.extend(by_criterion)
    return AffinityResult(
        frame=_frame(rows, col.AFFINITY_COLUMNS, [col.ATTRIBUTE, col.JUROR_ID]),
        by_criterion=_frame(
            criterion_rows,
            col.AFFINITY_BY_CRITERION_COLUMNS,
            [col.ATTRIBUTE, col.JUROR_ID, col.CRITERION],
        ),
        issues=tuple(issues),
    )


def _frame(
    rows: list[dict[str, object]], columns: tuple[str, ...], keys: list[str]
) -> pd.DataFrame:
    if not rows:
        return empty_frame(columns)
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    frame = frame.astype({c: col.COLUMN_DTYPES[c] for c in columns})
    return frame.sort_values(keys, ignore_index=True)


def _scales(index: MarkIndex, criteria: Sequence[CriterionConfig]) -> np.ndarray:
    """Scale range ``max - min`` of each criterion of ``index`` (1 when not configured)."""
    ranges = {c.name: c.max - c.min for c in criteria}
    return np.array([float(ranges.get(str(c), 1.0)) for c in index.criteria])


def _deviations(index: MarkIndex, scale: np.ndarray) -> np.ndarray:
    y = index.values(col.SCORE)
    raw = (y - index.loo_mean(y)) / scale[index.criterion]
    valid = ~np.isnan(raw)
    key = index.juror_key()
    n_keys = len(index.criteria) * len(index.jurors)
    count = np.bincount(key[valid], minlength=n_keys)
    total = np.bincount(key[valid], weights=raw[valid], minlength=n_keys)
    generosity = total / np.maximum(count, 1)
    return raw - generosity[key]


def _shared_marks(
    index: MarkIndex, jurors: pd.DataFrame, members: pd.DataFrame, attribute: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per mark, whether juror and target share the value, and whether both are known."""
    juror_key = attribute_key(jurors[attribute])
    member_key = attribute_key(members[attribute])
    known_members = member_key.notna()
    values = pd.Index(sorted(set(juror_key.dropna()) | set(member_key.dropna())), dtype=object)
    n_values = max(len(values), 1)
    juror_value = (
        pd.Series(
            values.get_indexer(juror_key.to_numpy(dtype=object)),
            index=jurors[col.JUROR_ID].to_numpy(dtype=object),
        )
        .reindex(index.jurors, fill_value=-1)
        .to_numpy(dtype=np.int64)
    )
    target_code = pd.Index(index.targets).get_indexer(
        members.loc[known_members, col.TARGET_ID].to_numpy(dtype=object)
    )
    value_code = values.get_indexer(member_key.loc[known_members].to_numpy(dtype=object))
    seen = target_code >= 0
    pair = target_code[seen] * n_values + value_code[seen]
    has_known = np.zeros(len(index.targets), dtype=bool)
    has_known[target_code[seen]] = True
    mark_value = juror_value[index.juror]
    shared = np.isin(index.target * n_values + mark_value, pair) & (mark_value >= 0)
    known = (mark_value >= 0) & has_known[index.target]
    return shared, known


@dataclass(frozen=True)
class _Tests:
    """Settings of the permutation tests."""

    seed: int
    n_permutations: int
    max_permuted: int

    def compare(
        self,
        values: np.ndarray,
        labels: np.ndarray,
        strata: np.ndarray,
        parts: np.ndarray,
        stream: list[int],
    ) -> tuple[dict[str, object], dict[int, dict[str, object]]]:
        """Counts, means, effect and p-value of the shared (``labels``) and other values,
        for all of them and for each part (criterion); strata lie within parts."""
        p_value, part_p = math.nan, dict[int, float]()
        if labels.any() and not labels.all():
            p_value, part_p = _permutation_tests(
                values,
                labels,
                strata,
                parts,
                rng=np.random.default_rng([self.seed, *stream]),
                n_permutations=self.n_permutations,
                max_permuted=self.max_permuted,
            )
        by_part = {}
        for part in np.unique(parts):
            inside = parts == part
            by_part[int(part)] = _summary(
                values[inside], labels[inside], part_p.get(int(part), math.nan)
            )
        return _summary(values, labels, p_value), by_part


def _summary(values: np.ndarray, labels: np.ndarray, p_value: float) -> dict[str, object]:
    n_shared, n_other = int(labels.sum()), int((~labels).sum())
    mean_shared = float(values[labels].mean()) if n_shared else math.nan
    mean_other = float(values[~labels].mean()) if n_other else math.nan
    return {
        col.N_SHARED: n_shared,
        col.N_OTHER: n_other,
        col.MEAN_SHARED: mean_shared,
        col.MEAN_OTHER: mean_other,
        col.EFFECT: mean_shared - mean_other,
        col.P_VALUE: p_value if n_shared and n_other else math.nan,
    }


def _attribute_rows(
    index: MarkIndex,
    deviation: np.ndarray,
    shared: np.ndarray,
    usable: np.ndarray,
    attribute: str,
    number: int,
    scale: np.ndarray,
    weight: np.ndarray,
    tests: _Tests,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The pooled rows of one attribute (all jurors, then each juror) and their rows per
    criterion."""
    rows, criterion_rows = [], []
    key = index.juror_key()
    groups: list[tuple[str, np.ndarray, np.ndarray]] = [(ALL_JURORS, usable, key)]
    for code in np.unique(index.juror[usable]):
        mine = usable & (index.juror == code)
        groups.append((str(index.jurors[code]), mine, index.criterion))
    for stream, (juror_id, mine, strata) in enumerate(groups):
        pooled, by_criterion = tests.compare(
            deviation[mine], shared[mine], strata[mine], index.criterion[mine], [number, stream]
        )
        terms = []
        for code, stats in by_criterion.items():
            points = cast(float, stats[col.EFFECT]) * float(scale[code])
            merit = 0.0 if weight[code] == 0 else float(weight[code]) * points
            terms.append(merit)
            criterion_rows.append(
                {
                    col.ATTRIBUTE: attribute,
                    col.JUROR_ID: juror_id,
                    col.CRITERION: str(index.criteria[code]),
                    **stats,
                    col.EFFECT_POINTS: points,
                    col.EFFECT_MERIT: merit,
                }
            )
        merit_total = math.fsum(terms) if not any(map(math.isnan, terms)) else math.nan
        rows.append(
            {
                col.ATTRIBUTE: attribute,
                col.JUROR_ID: juror_id,
                **pooled,
                col.EFFECT_MERIT: merit_total,
            }
        )
    return rows, criterion_rows


def _permutation_p(
    values: np.ndarray,
    labels: np.ndarray,
    strata: np.ndarray,
    *,
    rng: np.random.Generator,
    n_permutations: int,
    max_permuted: int,
) -> float:
    """Two-sided p-value of the shared-minus-other mean difference, labels permuted within strata.

    The difference is an increasing linear function of ``S``, the sum of the shared
    values, so the test works on ``S``.
    """
    parts = np.zeros(len(values), dtype=np.int64)
    return _permutation_tests(
        values,
        labels,
        strata,
        parts,
        rng=rng,
        n_permutations=n_permutations,
        max_permuted=max_permuted,
    )[0]


def _permutation_tests(
    values: np.ndarray,
    labels: np.ndarray,
    strata: np.ndarray,
    parts: np.ndarray,
    *,
    rng: np.random.Generator,
    n_permutations: int,
    max_permuted: int,
) -> tuple[float, dict[int, float]]:
    """:func:`_permutation_p` of all values, and of the values of each part (a union of
    strata), from the same permutations: the sums of the shared values of each stratum
    are drawn once and added up for the whole and for each part. Parts whose values are
    all shared or all other get no p-value."""
    # Per part: observed S, its expected value and variance, and the sum of |values|.
    stats: dict[int, tuple[float, float, float, float]] = {}
    blocks = []
    fixed = {int(part): 0.0 for part in np.unique(parts)}
    expected, variance = 0.0, 0.0
    for stratum in np.unique(strata):
        inside = strata == stratum
        block, k, part = values[inside], int(labels[inside].sum()), int(parts[inside][0])
        m = len(block)
        mean = k * float(block.mean())
        spread = 0.0
        if m > 1:
            spread = k * (m - k) / (m * (m - 1)) * float(((block - block.mean()) ** 2).sum())
        expected += mean
        variance += spread
        seen, centre, sized, scale = stats.get(part, (0.0, 0.0, 0.0, 0.0))
        stats[part] = (
            seen + float(block[labels[inside]].sum()),
            centre + mean,
            sized + spread,
            scale + float(np.abs(block).sum()),
        )
        if 0 < k < m:
            blocks.append((block, k, part))
        else:
            fixed[part] += mean
    observed = float(values[labels].sum())
    tolerance = 1e-9 * max(1.0, float(np.abs(values).sum()))
    normal = len(values) > max_permuted
    sums: dict[int, np.ndarray] = {}
    if not normal and blocks:
        draws = np.full(n_permutations, expected - sum(k * float(b.mean()) for b, k, _ in blocks))
        for block, k, part in blocks:
            shuffled = rng.permuted(np.broadcast_to(block, (n_permutations, len(block))), axis=1)
            drawn = shuffled[:, :k].sum(axis=1)
            draws += drawn
            sums[part] = sums.get(part, np.full(n_permutations, fixed[part])) + drawn

    def p_value(
        observed: float, expected: float, variance: float, tolerance: float, draws: np.ndarray
    ) -> float:
        distance = abs(observed - expected)
        if distance <= tolerance or not variance > 0:
            return 1.0
        if normal:
            return math.erfc(distance / math.sqrt(2 * variance))
        extreme = int((np.abs(draws - expected) >= distance - tolerance).sum())
        return (1 + extreme) / (1 + n_permutations)

    whole = p_value(observed, expected, variance, tolerance, draws if sums else np.zeros(0))
    by_part = {}
    for part, (part_observed, part_expected, part_variance, part_scale) in stats.items():
        inside = parts == part
        if labels[inside].all() or not labels[inside].any():
            continue
        by_part[part] = p_value(
            part_observed,
            part_expected,
            part_variance,
            1e-9 * max(1.0, part_scale),
            sums.get(part, np.zeros(0)),
        )
    return whole, by_part
