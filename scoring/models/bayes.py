"""Bayesian ranking: a hierarchical normal model of the marks, sampled with exact Gibbs steps.

The model is the one research funders use to rank proposals (Heyard et al. 2022, the
Swiss National Science Foundation's Bayesian ranking), fitted on each criterion ``c``
separately. Mark ``y`` of juror ``j`` (in panel ``p``) on target ``t``::

    y = mu + theta_t + b_j (+ g_p) + e,          e ~ N(0, sigma**2)
    theta_t ~ N(0, tau_target**2),  b_j ~ N(0, tau_juror**2),  g_p ~ N(0, tau_panel**2)
    mu ~ N(midpoint of the scale, R**2)
    sigma, tau_target, tau_juror, tau_panel ~ half-t(3 degrees of freedom, scale R / 2)

where ``R = max - min`` is the criterion's scale range. The panel effect enters only when
``[scoring.bayes] panel`` names a juror attribute and the criterion's jurors sit in at least
two panels; a juror whose panel is missing gets no panel effect.

Sampler (numpy only, no Python loop over marks). Each iteration is a Gibbs sweep:

1. all location parameters ``(mu, theta, b, g)`` at once from their joint normal full
   conditional, ``N(Q^-1 r, Q^-1)`` with ``Q = X'X / sigma**2 + prior precision``, drawn
   with a Cholesky factor (one block, so the confounded directions ``mu`` vs the mean of
   the effects mix at once);
2. every variance from its inverse-gamma full conditional, using the exact auxiliary
   representation of the half-t prior (Wand et al. 2011): ``s**2 | a ~ IG(nu/2, nu/a)``,
   ``a ~ IG(1/2, 1/A**2)`` gives ``s ~ half-t(nu, A)``, and both conditionals are
   inverse-gamma. The sampler is therefore pure Gibbs, valid without tuning.

Chains are vectorised: one batched Cholesky per iteration and criterion. Each chain has its
own random stream, ``SeedSequence(seed).spawn`` per criterion (sorted) and chain, and all of
a chain's random numbers are drawn up front, so a seed gives identical draws whatever the
row order of the marks (they are sorted by :func:`scoring.models.aggregate.index_marks` first).

What is reported: the *score* of target ``t`` is ``mu + theta_t + mean_j (b_j + g_p(j))``,
the mark the average juror of this jury would give (the additive model's convention that
juror offsets sum to zero); a juror's *effect* is ``b_j + g_p(j)`` minus that mean. The
merit draws are the weighted sums of the score draws over the criteria (project-level
criteria through the candidate's project), which are exact posterior draws of merit; see
:mod:`scoring.models.bayes_rank` for the ranks built from them.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import CriterionConfig
>>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J1", "J2"],
...                       "target_id": ["A", "A", "B", "B"], "criterion": "pitch",
...                       "score": [8.0, 6.0, 5.0, 3.0]})
>>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=10)
>>> fit = sample_bayes(marks, criteria=[pitch], n_draws=200, n_warmup=100, seed=1)
>>> scores = fit.target_scores()
>>> scores["target_id"].tolist(), bool(scores["score"].iloc[0] > scores["score"].iloc[1])
(['A', 'B'], True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import BayesConfig, CriterionConfig
from scoring.errors import InvalidEventError, Issue
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.models.bayes_rank import convergence_frame, rank_summaries, rhat_issues

__all__ = [
    "HALF_T_DF",
    "SD_NAMES",
    "BayesFit",
    "BayesScores",
    "CriterionDraws",
    "bayes_scores",
    "merit_draws",
    "sample_bayes",
]

HALF_T_DF = 3.0
"""Degrees of freedom of the half-t priors on the standard deviations."""

SD_NAMES: tuple[str, ...] = ("sigma", "tau_target", "tau_juror", "tau_panel")
"""Standard deviations of the model: noise, target, juror and panel effects."""


@dataclass(frozen=True)
class CriterionDraws:
    """Posterior draws of one criterion's model.

    Attributes
    ----------
    criterion
        The criterion's name.
    target_ids, juror_ids
        Sorted ids of the targets and jurors with marks on the criterion.
    score
        Draws of each target's score, shape ``(n_chains, n_draws, n_targets)``.
    juror_effect
        Draws of each juror's effect (positive: lenient), ``(n_chains, n_draws, n_jurors)``.
    sd
        Draws of each standard deviation in :data:`SD_NAMES` that the model has,
        ``(n_chains, n_draws)`` each (``tau_panel`` only with panels).
    fixed
        Names of the standard deviations held fixed (not sampled).
    """

    criterion: str
    target_ids: np.ndarray
    juror_ids: np.ndarray
    score: np.ndarray
    juror_effect: np.ndarray
    sd: dict[str, np.ndarray]
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True)
class BayesFit:
    """Posterior draws of every criterion, and how they were sampled.

    Attributes
    ----------
    criteria
        One :class:`CriterionDraws` per criterion with marks, sorted by name.
    n_chains, n_draws, n_warmup, seed
        Sampler settings (``n_draws`` kept per chain after ``n_warmup``).
    """

    criteria: tuple[CriterionDraws, ...]
    n_chains: int
    n_draws: int
    n_warmup: int
    seed: int

    def draws(self, criterion: str) -> CriterionDraws:
        """Return the draws of ``criterion``.

        Raises
        ------
        KeyError
            When the criterion has no marks.
        """
        for draws in self.criteria:
            if draws.criterion == criterion:
                return draws
        raise KeyError(criterion)

    def target_scores(self) -> pd.DataFrame:
        """Return each target's posterior score per criterion.

        Returns
        -------
        pandas.DataFrame
            ``target_id, criterion, score`` (posterior mean) and ``score_se`` (posterior
            SD), sorted by ``target_id, criterion``.

        Examples
        --------
        >>> import pandas as pd
        >>> from scoring.config import CriterionConfig
        >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"], "target_id": "A",
        ...                       "criterion": "pitch", "score": [6.0, 8.0]})
        >>> fit = sample_bayes(marks, criteria=[CriterionConfig(name="pitch", weight=1,
        ...                    min=1, max=10)], n_draws=50, n_warmup=10, seed=3)
        >>> list(fit.target_scores().columns)
        ['target_id', 'criterion', 'score', 'score_se']
        """
        parts = [
            pd.DataFrame(
                {
                    col.TARGET_ID: d.target_ids.astype(str),
                    col.CRITERION: d.criterion,
                    col.SCORE: d.score.mean(axis=(0, 1)),
                    col.SCORE_SE: d.score.std(axis=(0, 1), ddof=1),
                }
            )
            for d in self.criteria
        ]
        if not parts:
            return empty_frame([col.TARGET_ID, col.CRITERION, col.SCORE, col.SCORE_SE])
        frame = pd.concat(parts, ignore_index=True)
        return frame.sort_values([col.TARGET_ID, col.CRITERION], ignore_index=True)


def sample_bayes(
    scores: pd.DataFrame | MarkIndex,
    *,
    criteria: Sequence[CriterionConfig],
    panels: Mapping[str, str] | None = None,
    n_chains: int = 4,
    n_draws: int = 1000,
    n_warmup: int = 500,
    seed: int = 0,
    fixed_sd: Mapping[str, float] | None = None,
) -> BayesFit:
    """Sample the hierarchical normal model of each criterion (see the module docstring).

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score``, or their index.
    criteria
        The event's criteria (each one's scale sets its priors). Marks on a criterion not
        listed are ignored.
    panels
        Panel of each juror id (jurors not listed have no panel effect); ``None`` for no
        panel effect.
    n_chains, n_draws, n_warmup
        Chains, draws kept per chain, and draws discarded first per chain.
    seed
        Seed of all random streams.
    fixed_sd
        Hold some standard deviations (names in :data:`SD_NAMES`) at a value instead of
        sampling them: for sensitivity analyses and hand-checked tests.

    Returns
    -------
    BayesFit
        Draws per criterion.

    Raises
    ------
    ValueError
        When a count is not positive, or ``fixed_sd`` has an unknown name or a value <= 0.

    Examples
    --------
    One target, two marks, every standard deviation fixed at 1: the score (``mu + theta
    + b``) has prior ``N(5.5, 9**2 + 1 + 1)`` and two marks of variance 1, so its posterior
    mean is ``(5.5 / 83 + 14) / (1 / 83 + 2) = 6.99...``:

    >>> import pandas as pd
    >>> from scoring.config import CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": "J1", "target_id": "A", "criterion": "pitch",
    ...                       "score": [6.0, 8.0], "source_row": [2, 3]})
    >>> fit = sample_bayes(marks, criteria=[CriterionConfig(name="pitch", weight=1, min=1,
    ...                    max=10)], fixed_sd=dict.fromkeys(SD_NAMES, 1.0), seed=5)
    >>> round(float(fit.target_scores()["score"].iloc[0]), 1)
    7.0
    """
    if min(n_chains, n_draws) < 1 or n_warmup < 0:
        raise ValueError("n_chains and n_draws must be >= 1 and n_warmup >= 0")
    fixed = dict(fixed_sd or {})
    unknown = sorted(set(fixed) - set(SD_NAMES))
    if unknown or any(not v > 0 for v in fixed.values()):
        raise ValueError(f"fixed_sd takes positive values of {SD_NAMES}, got {fixed}")
    index = index_marks(scores)
    scales = {c.name: (c.min, c.max) for c in criteria}
    y_all = index.values(col.SCORE)
    children = np.random.SeedSequence(seed).spawn(len(index.criteria))
    fits: list[CriterionDraws] = []
    for code, name in enumerate(index.criteria):
        in_criterion = index.criterion == code
        if str(name) not in scales or not in_criterion.any():
            continue
        target_codes, target = np.unique(index.target[in_criterion], return_inverse=True)
        juror_codes, juror = np.unique(index.juror[in_criterion], return_inverse=True)
        juror_ids = index.jurors[juror_codes]
        juror_panel = _panel_codes(juror_ids, panels)
        rngs = [np.random.default_rng(s) for s in children[code].spawn(n_chains)]
        draws = _sample_criterion(
            _Data(y_all[in_criterion], target, juror, juror_panel, scales[str(name)]),
            rngs,
            n_warmup=n_warmup,
            n_draws=n_draws,
            fixed=fixed,
        )
        fits.append(
            CriterionDraws(
                criterion=str(name),
                target_ids=index.targets[target_codes],
                juror_ids=juror_ids,
                score=draws[0],
                juror_effect=draws[1],
                sd=draws[2],
                fixed=tuple(sorted(fixed)),
            )
        )
    return BayesFit(tuple(fits), n_chains, n_draws, n_warmup, seed)


def _panel_codes(juror_ids: np.ndarray, panels: Mapping[str, str] | None) -> np.ndarray:
    """Panel code of each juror (-1: no panel); all -1 when fewer than two panels."""
    if panels is None:
        return np.full(len(juror_ids), -1, dtype=np.int64)
    labels = [panels.get(str(j)) for j in juror_ids]
    names = sorted({str(label) for label in labels if label is not None and label == label})
    if len(names) < 2:
        return np.full(len(juror_ids), -1, dtype=np.int64)
    lookup = {name: k for k, name in enumerate(names)}
    codes = [lookup.get(str(label), -1) if label is not None else -1 for label in labels]
    return np.array(codes, dtype=np.int64)


@dataclass(frozen=True)
class _Data:
    y: np.ndarray
    target: np.ndarray
    juror: np.ndarray
    juror_panel: np.ndarray
    scale: tuple[float, float]


def _sample_criterion(
    data: _Data,
    rngs: list[np.random.Generator],
    *,
    n_warmup: int,
    n_draws: int,
    fixed: Mapping[str, float],
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Run the Gibbs sampler of one criterion; return score, juror-effect and SD draws.

    The location block is ``(mu, b, g)`` ("others", a few dozen at most) and ``theta``
    (one per target). ``theta``'s precision block is diagonal, so the joint draw is taken
    as ``others`` from their marginal (the Schur complement) and then ``theta | others``,
    which is the same exact joint normal draw at a fraction of the cost.
    """
    y, target, juror = data.y, data.target, data.juror
    n_marks, n_targets = len(y), int(target.max()) + 1
    n_jurors = int(juror.max()) + 1
    n_panels = int(data.juror_panel.max()) + 1
    n_others = 1 + n_jurors + n_panels
    mark_panel = data.juror_panel[juror]
    # Columns of the "others" design: mu, b (J), g (P); -1 = no column (no panel).
    other_cols = [
        np.zeros(n_marks, dtype=np.int64),
        1 + juror,
        np.where(mark_panel >= 0, 1 + n_jurors + mark_panel, -1),
    ]
    cross = np.zeros((n_others, n_targets))
    own_flat = np.zeros(n_others * n_others)
    xty = np.zeros(n_others)
    for a in other_cols:
        xty += np.bincount(a[a >= 0], weights=y[a >= 0], minlength=n_others)
        cross += np.bincount(
            a[a >= 0] * n_targets + target[a >= 0], minlength=n_others * n_targets
        ).reshape(n_others, n_targets)
        for b in other_cols:
            both = (a >= 0) & (b >= 0)
            own_flat += np.bincount(a[both] * n_others + b[both], minlength=n_others**2)
    own = own_flat.reshape(n_others, n_others)
    n_per_target = np.bincount(target, minlength=n_targets).astype("float64")
    y_per_target = np.bincount(target, weights=y, minlength=n_targets)
    low, high = data.scale
    mid, spread = (low + high) / 2, high - low
    half_t_scale = spread / 2
    sigma_floor = (spread * 1e-3) ** 2
    nu = HALF_T_DF
    sizes = {"sigma": n_marks, "tau_target": n_targets, "tau_juror": n_jurors}
    if n_panels:
        sizes["tau_panel"] = n_panels
    names = list(sizes)
    n_iter = n_warmup + n_draws
    n_chains = len(rngs)
    # Every random number of a chain, drawn up front from the chain's own stream.
    noise = np.empty((n_iter, n_chains, n_others + n_targets))
    gamma = {name: np.empty((n_iter, n_chains)) for name in names}
    gamma_aux = {name: np.empty((n_iter, n_chains)) for name in names}
    variance = {name: np.empty(n_chains) for name in names}
    for c, rng in enumerate(rngs):
        for name in names:
            start = half_t_scale * np.exp(rng.uniform(-1.5, 0.5))
            variance[name][c] = fixed.get(name, start) ** 2
        noise[:, c] = rng.standard_normal((n_iter, n_others + n_targets))
        for name in names:
            gamma[name][:, c] = rng.standard_gamma((nu + sizes[name]) / 2, n_iter)
            gamma_aux[name][:, c] = rng.standard_gamma((nu + 1) / 2, n_iter)
    aux = {name: np.full(n_chains, half_t_scale**-2) for name in names}
    diagonal = np.arange(n_others)
    prior = np.empty((n_chains, n_others))
    prior[:, 0] = spread**-2
    design = np.zeros((n_others, n_marks))  # X' of the "others" columns, dense and small
    for a in other_cols:
        design[a[a >= 0], np.flatnonzero(a >= 0)] = 1.0
    score = np.empty((n_chains, n_draws, n_targets))
    effect = np.empty((n_chains, n_draws, n_jurors))
    sds = {name: np.empty((n_chains, n_draws)) for name in names}
    juror_panel_col = np.where(data.juror_panel >= 0, 1 + n_jurors + data.juror_panel, n_others)
    for it in range(n_iter):
        precision = (1.0 / variance["sigma"])[:, None]
        prior[:, 1 : 1 + n_jurors] = 1.0 / variance["tau_juror"][:, None]
        if n_panels:
            prior[:, 1 + n_jurors :] = 1.0 / variance["tau_panel"][:, None]
        theta_precision = n_per_target * precision + 1.0 / variance["tau_target"][:, None]
        theta_rhs = y_per_target * precision
        scaled_cross = cross[None] * precision[:, :, None]  # (C, m, T)
        weighted = scaled_cross / theta_precision[:, None, :]
        system = own[None] * precision[:, :, None] - weighted @ np.swapaxes(scaled_cross, 1, 2)
        system[:, diagonal, diagonal] += prior
        rhs = xty * precision - (weighted @ theta_rhs[:, :, None])[:, :, 0]
        rhs[:, 0] += mid * spread**-2
        factor = np.linalg.cholesky(system)
        half = np.linalg.solve(factor, rhs[:, :, None])[:, :, 0] + noise[it, :, :n_others]
        others = np.linalg.solve(np.swapaxes(factor, 1, 2), half[:, :, None])[:, :, 0]
        theta_mean = (
            theta_rhs - (np.swapaxes(scaled_cross, 1, 2) @ others[:, :, None])[:, :, 0]
        ) / theta_precision
        theta = theta_mean + noise[it, :, n_others:] / np.sqrt(theta_precision)
        fitted = others @ design + theta[:, target]
        squares = {
            "sigma": ((y - fitted) ** 2).sum(axis=1),
            "tau_target": (theta**2).sum(axis=1),
            "tau_juror": (others[:, 1 : 1 + n_jurors] ** 2).sum(axis=1),
            "tau_panel": (others[:, 1 + n_jurors :] ** 2).sum(axis=1),
        }
        for name in names:
            if name in fixed:
                continue
            variance[name] = (nu / aux[name] + squares[name] / 2) / gamma[name][it]
            if name == "sigma":
                # Identical marks drive the residual spread towards 0, and the normal
                # equations then lose positive definiteness to rounding. A residual SD
                # below a thousandth of the scale is no different from 0 for marks.
                variance[name] = np.maximum(variance[name], sigma_floor)
            aux[name] = (nu / variance[name] + half_t_scale**-2) / gamma_aux[name][it]
        if it < n_warmup:
            continue
        kept = it - n_warmup
        padded = np.concatenate([others, np.zeros((n_chains, 1))], axis=1)
        juror_total = others[:, 1 : 1 + n_jurors] + padded[:, juror_panel_col]
        centre = juror_total.mean(axis=1, keepdims=True)
        score[:, kept] = others[:, :1] + theta + centre
        effect[:, kept] = juror_total - centre
        for name in names:
            sds[name][:, kept] = np.sqrt(variance[name])
    return score, effect, sds


def merit_draws(
    fit: BayesFit,
    candidates: pd.DataFrame,
    *,
    criteria: Sequence[CriterionConfig],
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Compose posterior draws of each candidate's merit from the criteria's score draws.

    ``merit = sum_c w_c * score_c`` over the criteria of non-zero weight, where
    ``score_c`` is the draw of the candidate's own score (candidate-level criteria) or of
    the candidate's project (project-level; the candidate itself when pitching alone), as
    in :func:`scoring.models.aggregate.candidate_merit`. A candidate without marks on such a
    criterion gets missing (NaN) draws.

    Parameters
    ----------
    fit
        Posterior draws (see :func:`sample_bayes`).
    candidates
        Candidates ``candidate_id, project``; not modified.
    criteria
        The event's criteria.
    weights
        Weights per criterion name; defaults to each criterion's ``weight``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_chains, n_draws, n_candidates)``, candidates sorted by ``candidate_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J1"], "target_id": ["A", "B"],
    ...                       "criterion": "pitch", "score": [6.0, 8.0]})
    >>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=10)
    >>> fit = sample_bayes(marks, criteria=[pitch], n_chains=2, n_draws=30, n_warmup=10)
    >>> cands = pd.DataFrame({"candidate_id": ["B", "A", "C"], "project": pd.NA})
    >>> draws = merit_draws(fit, cands, criteria=[pitch])
    >>> draws.shape, bool(pd.isna(draws[..., 2]).all())
    ((2, 30, 3), True)
    """
    weights = dict(weights) if weights is not None else {c.name: c.weight for c in criteria}
    cands = candidates.sort_values(col.CANDIDATE_ID, ignore_index=True)
    own = cands[col.CANDIDATE_ID].astype(str).to_numpy(dtype=object)
    project = cands[col.PROJECT] if col.PROJECT in cands else pd.Series(pd.NA, index=cands.index)
    in_project = np.where(project.isna(), own, project.astype(object).to_numpy())
    total = np.zeros((fit.n_chains, fit.n_draws, len(cands)))
    for criterion in criteria:
        weight = weights.get(criterion.name, 0.0)
        if weight == 0:
            continue
        wanted = in_project if criterion.level == "project" else own
        try:
            draws = fit.draws(criterion.name)
        except KeyError:
            total[:] = np.nan
            continue
        where = pd.Index(draws.target_ids.astype(str)).get_indexer(wanted.astype(str))
        padded = np.concatenate([draws.score, np.full((*draws.score.shape[:2], 1), np.nan)], 2)
        total += weight * padded[:, :, np.where(where >= 0, where, draws.score.shape[2])]
    return total


@dataclass(frozen=True)
class BayesScores:
    """Everything the ``bayes`` method adds to scoring.

    Attributes
    ----------
    fit
        The posterior draws.
    index
        The marks with ``normalised`` = mark minus the juror's posterior mean effect.
    panel
        ``target_id, criterion, score, score_se``: posterior mean and SD of each score.
    posterior
        :data:`scoring.columns.POSTERIOR_COLUMNS`, see
        :func:`scoring.models.bayes_rank.rank_summaries`.
    rankogram
        :data:`scoring.columns.RANKOGRAM_COLUMNS`.
    rhat
        :data:`scoring.columns.RHAT_COLUMNS`: rank-normalised split R-hat and bulk effective
        sample size of each candidate's merit and each sampled standard deviation.
    issues
        ``bayes.rhat`` when an R-hat exceeds ``max_rhat``.
    """

    fit: BayesFit
    index: MarkIndex
    panel: pd.DataFrame
    posterior: pd.DataFrame
    rankogram: pd.DataFrame
    rhat: pd.DataFrame
    issues: tuple[Issue, ...]


def bayes_scores(
    scores: pd.DataFrame | MarkIndex,
    candidates: pd.DataFrame,
    *,
    criteria: Sequence[CriterionConfig],
    weights: Mapping[str, float] | None = None,
    jurors: pd.DataFrame | None = None,
    settings: BayesConfig | None = None,
    seed: int = 0,
) -> BayesScores:
    """Sample the model, then summarise merit and ranks per candidate and check convergence.

    Parameters
    ----------
    scores
        Marks kept after conflicts, or their index.
    candidates
        Candidates ``candidate_id, group, project`` and optional ``eligible``.
    criteria, weights
        The event's criteria and weights (as for :func:`merit_draws`).
    jurors
        Jurors with the attribute named by ``settings.panel``, when that is set.
    settings
        ``[scoring.bayes]``; its ``seed``, when set, overrides ``seed``.
    seed
        Seed used when ``settings.seed`` is not set (the pipeline passes the selection seed).

    Returns
    -------
    BayesScores
        Draws, posterior scores, rank summaries, R-hat and warnings.

    Raises
    ------
    InvalidEventError
        When ``settings.panel`` is not a column of ``jurors`` (code
        ``bayes.panel_unknown``, located at the ``[scoring.bayes] panel`` key).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import BayesConfig, CriterionConfig
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2"] * 3, "target_id": list("AABBCC"),
    ...                       "criterion": "pitch", "score": [8.0, 7, 5, 4, 6, 6]})
    >>> cands = pd.DataFrame({"candidate_id": list("ABC"), "group": "G", "project": pd.NA})
    >>> pitch = CriterionConfig(name="pitch", weight=1, min=1, max=10)
    >>> out = bayes_scores(marks, cands, criteria=[pitch], settings=BayesConfig(n_draws=300))
    >>> out.posterior[["candidate_id", "rank_lo90", "rank_hi90"]]
      candidate_id  rank_lo90  rank_hi90
    0            A          1          2
    1            B          2          3
    2            C          1          3
    >>> out.posterior.sort_values("expected_rank")["candidate_id"].tolist()
    ['A', 'C', 'B']
    """
    settings = settings or BayesConfig()
    panels = None
    if settings.panel is not None:
        if jurors is None or settings.panel not in jurors.columns:
            raise InvalidEventError([_unknown_panel(settings.panel, jurors)])
        known = jurors[jurors[settings.panel].notna()]
        panels = dict(
            zip(known[col.JUROR_ID].astype(str), known[settings.panel].astype(str), strict=True)
        )
    index = index_marks(scores)
    fit = sample_bayes(
        index,
        criteria=criteria,
        panels=panels,
        n_chains=settings.n_chains,
        n_draws=settings.n_draws,
        n_warmup=settings.n_warmup,
        seed=settings.seed if settings.seed is not None else seed,
    )
    draws = merit_draws(fit, candidates, criteria=criteria, weights=weights)
    summary = rank_summaries(draws, candidates)
    rhat = _rhat_frame(fit, summary.posterior[col.CANDIDATE_ID].to_numpy(object), draws)
    return BayesScores(
        fit=fit,
        index=index.with_column(col.NORMALISED, _calibrated(index, fit)),
        panel=fit.target_scores(),
        posterior=summary.posterior,
        rankogram=summary.rankogram,
        rhat=rhat,
        issues=rhat_issues(rhat, settings.max_rhat),
    )


def _calibrated(index: MarkIndex, fit: BayesFit) -> np.ndarray:
    """Each mark minus its juror's posterior mean effect on the criterion."""
    effects = [
        pd.DataFrame(
            {
                col.CRITERION: d.criterion,
                col.JUROR_ID: d.juror_ids.astype(str),
                col.EFFECT: d.juror_effect.mean(axis=(0, 1)),
            }
        )
        for d in fit.criteria
    ]
    marks = pd.DataFrame(
        {
            col.CRITERION: index.criteria[index.criterion].astype(str),
            col.JUROR_ID: index.jurors[index.juror].astype(str),
        }
    )
    if effects:
        marks = marks.merge(pd.concat(effects), on=[col.CRITERION, col.JUROR_ID], how="left")
        effect = marks[col.EFFECT].fillna(0.0).to_numpy(dtype="float64")
    else:
        effect = np.zeros(len(marks))
    return index.values(col.SCORE) - effect


def _rhat_frame(fit: BayesFit, candidate_ids: np.ndarray, merit: np.ndarray) -> pd.DataFrame:
    finite = np.isfinite(merit).all(axis=(0, 1))
    names = [f"merit[{c}]" for c in candidate_ids[finite]]
    stacks = [merit[:, :, finite]]
    for draws in fit.criteria:
        for name in SD_NAMES:
            if name in draws.sd and name not in draws.fixed:
                names.append(f"{name}[{draws.criterion}]")
                stacks.append(draws.sd[name][:, :, None])
    return convergence_frame(names, np.concatenate(stacks, axis=2))


def _unknown_panel(panel: str, jurors: pd.DataFrame | None) -> Issue:
    """The error for a ``[scoring.bayes] panel`` that names no column of the jurors."""
    if jurors is None:
        found = "the event has no jurors file"
    else:
        shown = [str(c) for c in jurors.columns if c != col.JUROR_ID]
        found = f"the jurors file has {', '.join(shown) or 'no attribute columns'}"
    return Issue(
        "error",
        "bayes.panel_unknown",
        f"[scoring.bayes] panel names the juror column '{panel}', but {found}. Add a "
        f"'{panel}' column (each juror's panel or room) to the jurors file, or correct "
        "or remove panel in event.toml.",
        file="event.toml",
        column="scoring.bayes.panel",
        value=panel,
    )
