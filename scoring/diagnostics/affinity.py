"""Affinity audit: do jurors mark targets that share their attribute (e.g. country) higher?

For an attribute present on both jurors and candidates (``[diagnostics] affinity``), each
raw mark ``y`` of juror ``j`` on criterion ``c`` gets a deviation

    ``d = (y - loo) / r_c - g_jc``

where ``loo`` is the leave-one-out mean of the other jurors on the same target (see
:meth:`scoring.models.aggregate.MarkIndex.loo_mean`), ``r_c`` the criterion's scale range (so
deviations of criteria on different scales can be pooled: 0.1 is a tenth of the scale)
and ``g_jc`` the juror's generosity, the mean of ``(y - loo) / r_c`` over all their marks
on the criterion. A mark is *shared* when the juror's value equals the candidate's (for a
project target: any member's), compared as text ignoring case and surrounding spaces.
Marks on a panel of one, or where the juror's or every member's value is missing, are
left out.

``effect = mean_shared - mean_other``, per juror and over all jurors (``juror_id = "*"``).
Its two-sided p-value comes from a permutation test that reshuffles the shared/other
labels within each juror and criterion (within each criterion for a juror's own row),
keeping the counts: Monte Carlo with ``n_permutations`` draws from a seeded generator,
``p = (1 + #{|T* - E T| >= |T - E T|}) / (1 + n_permutations)``. With more than
``max_permuted`` marks the permutation distribution is replaced by the normal
distribution with its exact mean and variance (sampling without replacement within each
stratum), which is accurate at that size and much faster.

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
...                        criteria=[CriterionConfig(name="pitch", weight=1, min=0, max=10)])
>>> audit.frame[["juror_id", "n_shared", "n_other", "effect"]].round(2)
  juror_id  n_shared  n_other  effect
0        *         2        4    0.34
1       J1         1        1    0.45
2       J2         1        1    0.45
3       J3         0        2     NaN
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
        Columns :data:`scoring.columns.AFFINITY_COLUMNS`, sorted by ``attribute,
        juror_id`` (the ``"*"`` row first).
    issues
        ``affinity.attribute_missing`` warnings.
    """

    frame: pd.DataFrame
    issues: tuple[Issue, ...]


def affinity_audit(
    scores: pd.DataFrame | MarkIndex,
    candidates: pd.DataFrame,
    jurors: pd.DataFrame,
    *,
    attributes: Sequence[str],
    criteria: Sequence[CriterionConfig],
    seed: int = 0,
    n_permutations: int = 999,
    max_permuted: int = 5000,
) -> AffinityResult:
    """Measure whether jurors favour targets sharing their attribute.

    See the module docstring for the deviation, the effect and the test.

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
    seed
        Seed of the permutation draws (each row uses its own stream derived from it).
    n_permutations
        Monte Carlo permutations per test.
    max_permuted
        Above this many marks a test uses the normal approximation.

    Returns
    -------
    AffinityResult
        One row per attribute for all jurors (``juror_id = "*"``) and one per juror with
        at least one usable mark: ``n_shared``, ``n_other``, ``mean_shared``,
        ``mean_other``, ``effect`` and ``p_value`` (missing when either count is zero).

    Examples
    --------
    >>> import pandas as pd
    >>> none = affinity_audit(pd.DataFrame(columns=["juror_id", "target_id", "criterion",
    ...                                             "score"]),
    ...                       pd.DataFrame(columns=["candidate_id", "group", "project"]),
    ...                       pd.DataFrame(columns=["juror_id"]), attributes=[], criteria=[])
    >>> none.frame.columns.tolist()[:4], none.frame.empty
    (['attribute', 'juror_id', 'n_shared', 'n_other'], True)
    """
    issues: list[Issue] = []
    rows: list[dict[str, object]] = []
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
        deviation = _deviations(index, criteria)
        members = target_members(candidates)
        for number, attribute in enumerate(usable_attributes):
            shared, known = _shared_marks(index, jurors, members, attribute)
            usable = known & ~np.isnan(deviation)
            rows.extend(
                _attribute_rows(
                    index,
                    deviation,
                    shared,
                    usable,
                    attribute,
                    seed,
                    number,
                    n_permutations,
                    max_permuted,
                )
            )
    if not rows:
        return AffinityResult(frame=empty_frame(col.AFFINITY_COLUMNS), issues=tuple(issues))
    frame = pd.DataFrame.from_records(rows, columns=list(col.AFFINITY_COLUMNS))
    frame = frame.astype({c: col.COLUMN_DTYPES[c] for c in col.AFFINITY_COLUMNS})
    frame = frame.sort_values([col.ATTRIBUTE, col.JUROR_ID], ignore_index=True)
    return AffinityResult(frame=frame, issues=tuple(issues))


def _deviations(index: MarkIndex, criteria: Sequence[CriterionConfig]) -> np.ndarray:
    ranges = {c.name: c.max - c.min for c in criteria}
    scale = np.array([ranges.get(str(c), 1.0) for c in index.criteria])[index.criterion]
    y = index.values(col.SCORE)
    raw = (y - index.loo_mean(y)) / scale
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


def _attribute_rows(
    index: MarkIndex,
    deviation: np.ndarray,
    shared: np.ndarray,
    usable: np.ndarray,
    attribute: str,
    seed: int,
    number: int,
    n_permutations: int,
    max_permuted: int,
) -> list[dict[str, object]]:
    rows = []
    key = index.juror_key()
    groups: list[tuple[str, np.ndarray, np.ndarray]] = [(ALL_JURORS, usable, key)]
    for code in np.unique(index.juror[usable]):
        mine = usable & (index.juror == code)
        groups.append((str(index.jurors[code]), mine, index.criterion))
    for stream, (juror_id, mine, strata) in enumerate(groups):
        values, labels = deviation[mine], shared[mine]
        n_shared, n_other = int(labels.sum()), int((~labels).sum())
        mean_shared = float(values[labels].mean()) if n_shared else math.nan
        mean_other = float(values[~labels].mean()) if n_other else math.nan
        p_value = math.nan
        if n_shared and n_other:
            rng = np.random.default_rng([seed, number, stream])
            p_value = _permutation_p(
                values,
                labels,
                strata[mine],
                rng=rng,
                n_permutations=n_permutations,
                max_permuted=max_permuted,
            )
        rows.append(
            {
                col.ATTRIBUTE: attribute,
                col.JUROR_ID: juror_id,
                col.N_SHARED: n_shared,
                col.N_OTHER: n_other,
                col.MEAN_SHARED: mean_shared,
                col.MEAN_OTHER: mean_other,
                col.EFFECT: mean_shared - mean_other,
                col.P_VALUE: p_value,
            }
        )
    return rows


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
    observed = float(values[labels].sum())
    expected, variance = 0.0, 0.0
    blocks = []
    for stratum in np.unique(strata):
        inside = strata == stratum
        block, k = values[inside], int(labels[inside].sum())
        m = len(block)
        expected += k * float(block.mean())
        if m > 1:
            spread = float(((block - block.mean()) ** 2).sum())
            variance += k * (m - k) / (m * (m - 1)) * spread
        if 0 < k < m:
            blocks.append((block, k))
    distance = abs(observed - expected)
    tolerance = 1e-9 * max(1.0, float(np.abs(values).sum()))
    if distance <= tolerance or not variance > 0:
        return 1.0
    if len(values) > max_permuted:
        return math.erfc(distance / math.sqrt(2 * variance))
    draws = np.full(n_permutations, expected - sum(k * float(b.mean()) for b, k in blocks))
    for block, k in blocks:
        shuffled = rng.permuted(np.broadcast_to(block, (n_permutations, len(block))), axis=1)
        draws += shuffled[:, :k].sum(axis=1)
    extreme = int((np.abs(draws - expected) >= distance - tolerance).sum())
    return (1 + extreme) / (1 + n_permutations)
