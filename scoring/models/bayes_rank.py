"""Rank summaries and convergence diagnostics from posterior draws of merit.

Ranks. In every draw, the eligible candidates of a group who have a merit are ranked by
their merit draw, 1 = best; exact ties (members of one project scored only on project
criteria) go to the higher posterior mean merit, then to the smaller ``candidate_id``. An
ineligible candidate gets the rank they would have if they joined the eligible ones (one
plus the number of eligible candidates who beat them in the draw), so every candidate with
a merit has rank summaries. With ``n`` the number of ranks open to the candidate (the
eligible candidates of the group, plus one for an ineligible candidate):

- ``expected_rank``: the mean rank over the draws;
- ``rank_lo50, rank_hi50`` and ``rank_lo90, rank_hi90``: equal-tailed 50% and 90% credible
  intervals of the rank, the 25%/75% and 5%/95% quantiles of the rank draws (the smallest
  rank whose cumulative probability reaches the level), so the interval holds the rank with
  at least the nominal probability;
- ``sucra``: the surface under the cumulative ranking curve, ``(n - expected_rank) / (n -
  1)``: 1 for a candidate first in every draw, 0 for one always last (1 when ``n = 1``);
- the rankogram: ``P(rank = r)`` for ``r = 1..n``.

Convergence. :func:`split_rhat` is the rank-normalised split R-hat of Vehtari, Gelman,
Simpson, Carpenter and Bürkner (2021), the larger of the bulk and the folded (tail) value;
:func:`ess_bulk` their bulk effective sample size with Geyer's initial monotone sequence.

Examples
--------
Two candidates, three draws: A beats B in two of them.

>>> import numpy as np
>>> import pandas as pd
>>> draws = np.array([[7.0, 6.0], [8.0, 5.0], [5.0, 6.0]])
>>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G"})
>>> rank_summaries(draws, cands).posterior[["candidate_id", "expected_rank", "sucra"]].round(3)
  candidate_id  expected_rank  sucra
0            A          1.333  0.667
1            B          1.667  0.333
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.errors import Issue, format_ids

__all__ = [
    "RankSummary",
    "convergence_frame",
    "ess_bulk",
    "normal_quantile",
    "rank_draws",
    "rank_summaries",
    "rhat_issues",
    "split_rhat",
]

_LEVELS = {
    col.RANK_LO50: 0.25,
    col.RANK_HI50: 0.75,
    col.RANK_LO90: 0.05,
    col.RANK_HI90: 0.95,
}


@dataclass(frozen=True)
class RankSummary:
    """Posterior summaries per candidate and the rankogram.

    Attributes
    ----------
    posterior
        :data:`scoring.columns.POSTERIOR_COLUMNS`, one row per candidate sorted by
        ``candidate_id``: ``merit_mean``, ``merit_sd``, ``expected_rank``, the rank
        intervals (nullable integers) and ``sucra``; missing for a candidate without merit.
    rankogram
        :data:`scoring.columns.RANKOGRAM_COLUMNS`: ``candidate_id, rank, probability`` for
        ranks ``1..n`` of every candidate with a merit, sorted by candidate and rank.
    """

    posterior: pd.DataFrame
    rankogram: pd.DataFrame


def rank_draws(draws: np.ndarray, *, tie_order: np.ndarray | None = None) -> np.ndarray:
    """Rank the candidates within each draw, 1 = highest merit.

    Parameters
    ----------
    draws
        Merit draws, shape ``(n_draws, n_candidates)``, all finite.
    tie_order
        Position of each candidate among equals (smaller wins the tie); defaults to the
        column order.

    Returns
    -------
    numpy.ndarray
        ``int64`` ranks of the same shape; each row is a permutation of ``1..n``.

    Examples
    --------
    >>> import numpy as np
    >>> rank_draws(np.array([[1.0, 3.0, 3.0]]), tie_order=np.array([2, 1, 0])).tolist()
    [[3, 2, 1]]
    """
    n_draws, n = draws.shape
    tie = np.arange(n) if tie_order is None else np.argsort(tie_order, kind="stable")
    order = np.argsort(-draws[:, tie], axis=1, kind="stable")
    ranks = np.empty((n_draws, n), dtype=np.int64)
    positions = np.broadcast_to(np.arange(1, n + 1, dtype=np.int64), (n_draws, n))
    np.put_along_axis(ranks, order, positions, axis=1)
    out = np.empty_like(ranks)
    out[:, tie] = ranks
    return out


def rank_summaries(draws: np.ndarray, candidates: pd.DataFrame) -> RankSummary:
    """Summarise merit draws into merit and rank summaries per candidate (module docstring).

    Parameters
    ----------
    draws
        Merit draws, shape ``(..., n_candidates)`` (e.g. chains by draws by candidates),
        columns in ``candidate_id`` order; a candidate whose draws are not all finite has
        no merit.
    candidates
        ``candidate_id, group`` and optional ``eligible`` (missing counts as eligible); not
        modified.

    Returns
    -------
    RankSummary
        The posterior frame and the rankogram.

    Raises
    ------
    ValueError
        When the draws do not have one column per candidate.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> draws = np.array([[9.0, 8.0, 7.0], [9.0, 7.0, 8.0]])
    >>> cands = pd.DataFrame({"candidate_id": ["A", "B", "C"], "group": "G",
    ...                       "eligible": [True, True, False]})
    >>> rank_summaries(draws, cands).rankogram.query("candidate_id == 'C'")
      candidate_id  rank  probability
    4            C     1          0.0
    5            C     2          0.5
    6            C     3          0.5
    """
    cands = candidates.sort_values(col.CANDIDATE_ID, ignore_index=True)
    flat = np.asarray(draws, dtype="float64").reshape(-1, draws.shape[-1])
    if flat.shape[1] != len(cands):
        raise ValueError(f"draws have {flat.shape[1]} columns for {len(cands)} candidates")
    n_draws, n_cands = flat.shape
    finite = np.isfinite(flat).all(axis=0) & (n_draws > 0)
    mean = np.where(finite, flat.mean(axis=0) if n_draws else np.nan, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(finite, flat.std(axis=0, ddof=1) if n_draws > 1 else np.nan, np.nan)
    eligible = (
        cands[col.ELIGIBLE].fillna(True).astype(bool).to_numpy()
        if col.ELIGIBLE in cands
        else np.ones(n_cands, dtype=bool)
    )
    ids = cands[col.CANDIDATE_ID].astype(str).to_numpy(dtype=object)
    # Tie order: higher mean first, then candidate id (rows are already in id order).
    tie_position = np.empty(n_cands, dtype=np.int64)
    tie_position[np.lexsort((np.arange(n_cands), -np.nan_to_num(mean, nan=-np.inf)))] = np.arange(
        n_cands
    )
    stats = {name: np.full(n_cands, np.nan) for name in (col.EXPECTED_RANK, col.SUCRA)}
    bounds = {name: np.full(n_cands, -1, dtype=np.int64) for name in _LEVELS}
    gram: list[pd.DataFrame] = []
    groups = cands[col.GROUP].astype(str).to_numpy(dtype=object)
    for group in sorted(set(groups)):
        in_group = (groups == group) & finite
        members = np.flatnonzero(in_group & eligible)
        if len(members):
            ranks = rank_draws(flat[:, members], tie_order=tie_position[members])
            _summarise(ranks, len(members), members, ids, stats, bounds, gram)
        for k in np.flatnonzero(in_group & ~eligible):
            beaten_by = (flat[:, members] > flat[:, [k]]) | (
                (flat[:, members] == flat[:, [k]]) & (tie_position[members] < tie_position[k])
            )
            rank = 1 + beaten_by.sum(axis=1, keepdims=True)
            _summarise(rank, len(members) + 1, np.array([k]), ids, stats, bounds, gram)
    posterior = pd.DataFrame(
        {
            col.CANDIDATE_ID: cands[col.CANDIDATE_ID].astype("str"),
            col.GROUP: cands[col.GROUP].astype("str"),
            col.MERIT_MEAN: mean,
            col.MERIT_SD: sd,
            col.EXPECTED_RANK: stats[col.EXPECTED_RANK],
            **{name: pd.Series(v, dtype="Int64").mask(v <= 0) for name, v in bounds.items()},
            col.SUCRA: stats[col.SUCRA],
        }
    )
    rankogram = (
        pd.concat(gram, ignore_index=True)
        .sort_values([col.CANDIDATE_ID, col.RANK], ignore_index=True)
        .astype({col.CANDIDATE_ID: "str"})
        if gram
        else pd.DataFrame(
            {
                col.CANDIDATE_ID: pd.Series(dtype="str"),
                col.RANK: pd.Series(dtype="int64"),
                col.PROBABILITY: pd.Series(dtype="float64"),
            }
        )
    )
    return RankSummary(posterior=posterior, rankogram=rankogram)


def _summarise(
    ranks: np.ndarray,
    n: int,
    columns: np.ndarray,
    ids: np.ndarray,
    stats: dict[str, np.ndarray],
    bounds: dict[str, np.ndarray],
    gram: list[pd.DataFrame],
) -> None:
    """Fill the summaries of ``columns`` (candidates) from their rank draws over ``1..n``."""
    n_draws, m = ranks.shape
    counts = np.bincount((ranks - 1 + n * np.arange(m)[None, :]).ravel(), minlength=m * n).reshape(
        m, n
    )
    cumulative = np.cumsum(counts, axis=1)
    expected = ranks.mean(axis=0)
    stats[col.EXPECTED_RANK][columns] = expected
    stats[col.SUCRA][columns] = (n - expected) / (n - 1) if n > 1 else 1.0
    for name, level in _LEVELS.items():
        needed = math.ceil(round(level * n_draws, 9))
        bounds[name][columns] = np.argmax(cumulative >= needed, axis=1) + 1
    gram.append(
        pd.DataFrame(
            {
                col.CANDIDATE_ID: np.repeat(ids[columns], n),
                col.RANK: np.tile(np.arange(1, n + 1, dtype=np.int64), m),
                col.PROBABILITY: (counts / n_draws).ravel(),
            }
        )
    )


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """Return the standard normal quantile of each probability (Acklam's approximation).

    Relative error below ``1.2e-9`` on ``(0, 1)``; ``-inf`` and ``inf`` at 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> normal_quantile(np.array([0.5, 0.975])).round(6).tolist()
    [0.0, 1.959964]
    """
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
         -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)  # fmt: skip
    c = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    p = np.asarray(p, dtype="float64")
    tail = np.minimum(p, 1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.sqrt(-2 * np.log(np.where(tail > 0, tail, 1.0)))
        outer = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
        r = (p - 0.5) ** 2
        inner = (p - 0.5) * (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        inner /= ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1
    out = np.where(tail < 0.02425, np.where(p < 0.5, outer, -outer), inner)
    return np.where(tail > 0, out, np.where(p <= 0, -np.inf, np.inf))


def _split(draws: np.ndarray) -> np.ndarray:
    """Split each chain in halves (dropping the middle draw when odd): ``(2C, N, K)``."""
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, draws.shape[1] - half :]], axis=0)


def _rank_normalise(draws: np.ndarray) -> np.ndarray:
    """Replace draws by normal scores of their average ranks, pooled over chains."""
    m, n, k = draws.shape
    pooled = draws.reshape(m * n, k)
    out = np.empty_like(pooled)
    size = m * n
    for j in range(k):
        order = np.argsort(pooled[:, j], kind="stable")
        values = pooled[order, j]
        new = np.r_[True, values[1:] != values[:-1]]
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], size)
        average = (starts + ends + 1) / 2  # 1-based average rank of each run of ties
        out[order, j] = average[np.cumsum(new) - 1]
    return normal_quantile((out - 0.375) / (size + 0.25)).reshape(m, n, k)


def _rhat(chains: np.ndarray) -> np.ndarray:
    n = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean(axis=0)
    between = n * chains.mean(axis=1).var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = ((n - 1) / n * within + between / n) / within
    return np.where(within > 0, np.sqrt(ratio), np.nan)


def split_rhat(draws: np.ndarray) -> np.ndarray:
    """Return the rank-normalised split R-hat of each quantity (Vehtari et al. 2021).

    The maximum of the bulk R-hat (on rank-normalised split chains) and the tail R-hat
    (the same on ``|x - median|``). Close to 1 when the chains agree; above 1.01 is the
    usual alarm. Missing (NaN) for a constant quantity or fewer than 4 draws per chain.

    Parameters
    ----------
    draws
        Shape ``(n_chains, n_draws, n_quantities)``.

    Returns
    -------
    numpy.ndarray
        One R-hat per quantity.

    Examples
    --------
    >>> import numpy as np
    >>> same = np.random.default_rng(0).normal(size=(4, 500, 1))
    >>> shifted = same + np.array([0.0, 0.0, 0.0, 3.0])[:, None, None]
    >>> bool(split_rhat(same)[0] < 1.01), bool(split_rhat(shifted)[0] > 1.1)
    (True, True)
    """
    draws = np.asarray(draws, dtype="float64")
    if draws.shape[1] < 4:
        return np.full(draws.shape[2], np.nan)
    halves = _split(draws)
    bulk = _rhat(_rank_normalise(halves))
    median = np.median(halves.reshape(-1, halves.shape[2]), axis=0)
    tail = _rhat(_rank_normalise(np.abs(halves - median)))
    return np.fmax(bulk, tail)


def ess_bulk(draws: np.ndarray) -> np.ndarray:
    """Return the bulk effective sample size of each quantity (Vehtari et al. 2021).

    Computed on rank-normalised split chains, with autocorrelations combined over chains
    and truncated by Geyer's initial monotone sequence. Missing (NaN) for a constant
    quantity or fewer than 4 draws per chain.

    Parameters
    ----------
    draws
        Shape ``(n_chains, n_draws, n_quantities)``.

    Returns
    -------
    numpy.ndarray
        One effective sample size per quantity.

    Examples
    --------
    >>> import numpy as np
    >>> independent = np.random.default_rng(1).normal(size=(4, 1000, 1))
    >>> bool(3000 < ess_bulk(independent)[0] < 5000)
    True
    """
    draws = np.asarray(draws, dtype="float64")
    if draws.shape[1] < 4:
        return np.full(draws.shape[2], np.nan)
    chains = _rank_normalise(_split(draws))
    m, n, k = chains.shape
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    autocov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n
    within = autocov[:, 0].mean(axis=0) * n / (n - 1)
    between = chains.mean(axis=1).var(axis=0, ddof=1) if m > 1 else np.zeros(k)
    var_plus = within * (n - 1) / n + between
    out = np.full(k, np.nan)
    for j in range(k):
        if not var_plus[j] > 0:
            continue
        rho = 1 - (within[j] - autocov[:, :, j].mean(axis=0)) / var_plus[j]
        out[j] = m * n / _geyer_tau(rho, m * n)
    return out


def _geyer_tau(rho: np.ndarray, total: int) -> float:
    """Integrated autocorrelation time from autocorrelations, Geyer's initial monotone."""
    n = len(rho)
    kept = np.zeros(n)
    kept[0] = 1.0
    even, odd = 1.0, float(rho[1])
    kept[1] = odd
    t = 1
    while t < n - 3 and even + odd > 0:
        even, odd = float(rho[t + 1]), float(rho[t + 2])
        if even + odd >= 0:
            kept[t + 1], kept[t + 2] = even, odd
        t += 2
    last = t - 2
    if even > 0:
        kept[last + 1] = even
    t = 1
    while t <= last - 2:
        if kept[t + 1] + kept[t + 2] > kept[t - 1] + kept[t]:
            kept[t + 1] = kept[t + 2] = (kept[t - 1] + kept[t]) / 2
        t += 2
    tau = -1 + 2 * kept[: last + 1].sum() + kept[last + 1]
    return max(float(tau), 1 / math.log10(total))


def convergence_frame(names: list[str], draws: np.ndarray) -> pd.DataFrame:
    """Tabulate R-hat and bulk effective sample size of named quantities.

    Parameters
    ----------
    names
        One name per quantity, e.g. ``merit[A]``.
    draws
        Shape ``(n_chains, n_draws, n_quantities)``.

    Returns
    -------
    pandas.DataFrame
        :data:`scoring.columns.RHAT_COLUMNS`: ``parameter, rhat, ess_bulk``, in the order given.

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.random.default_rng(0).normal(size=(4, 200, 1))
    >>> frame = convergence_frame(["merit[A]"], draws)
    >>> list(frame.columns), bool(frame["rhat"].iloc[0] < 1.05)
    (['parameter', 'rhat', 'ess_bulk'], True)
    """
    return pd.DataFrame(
        {
            col.PARAMETER: pd.Series(names, dtype="str"),
            col.RHAT: split_rhat(draws),
            col.ESS_BULK: ess_bulk(draws),
        }
    )


def rhat_issues(frame: pd.DataFrame, limit: float) -> tuple[Issue, ...]:
    """Return a ``bayes.rhat`` warning when any R-hat in ``frame`` exceeds ``limit``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"parameter": ["merit[A]"], "rhat": [1.2], "ess_bulk": [30.0]})
    >>> [issue.code for issue in rhat_issues(frame, 1.01)]
    ['bayes.rhat']
    """
    high = frame[frame[col.RHAT] > limit]
    if high.empty:
        return ()
    worst = float(high[col.RHAT].max())
    message = (
        f"The sampler's chains disagree: R-hat of {len(high)} quantities exceeds {limit} "
        f"(worst {worst:.3f}): {format_ids(high[col.PARAMETER], limit=5)}. The posterior "
        "summaries are unreliable; raise [scoring.bayes] n_warmup and n_draws."
    )
    return (Issue("warning", "bayes.rhat", message),)
