"""Score a validated event: conflicts, calibration, aggregation, merit and diagnostics.

:func:`score_event` is the one entry point the command line, the notebooks and embedding
tools call. It runs the steps of :mod:`scoring` in order and returns a frozen
:class:`ScoringResult` of sorted frames; it never prints, and normal conditions (a flat
juror, a disconnected design, a missing mark) become warnings in ``issues``.

Examples
--------
Juror J2 is two points harsher than J1; they share candidate B, so the additive model
sees it and removes it:

>>> import pandas as pd
>>> from scoring.ingest.validate import build_event
>>> cands = pd.DataFrame({"candidate_id": ["A", "B", "C"], "name": ["Ann", "Bo", "Cy"],
...                       "group": "G"})
>>> marks = pd.DataFrame({"juror_id": ["J1", "J1", "J2", "J2"],
...                       "target_id": ["A", "B", "B", "C"], "criterion": "pitch",
...                       "score": [8.0, 6, 4, 5]})
>>> config = {"event": {"name": "demo", "candidates": "-", "scores": "-"},
...           "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
...           "scoring": {"ridge": 0, "min_jurors": 1}}
>>> result = score_event(build_event(cands, marks, config))
>>> result.merit[["candidate_id", "merit", "n_jurors"]].round(6)
  candidate_id  merit  n_jurors
0            A    7.0         1
1            B    5.0         2
2            C    6.0         1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast, get_args

import pandas as pd

from scoring import columns as col
from scoring.config import ScoringConfig, ScoringMethod
from scoring.conflicts import exclude_conflicts
from scoring.diagnostics.affinity import affinity_audit
from scoring.diagnostics.jurors import juror_table, outlier_marks
from scoring.diagnostics.reliability import reliability_table
from scoring.errors import Issue, issues_frame, sort_issues
from scoring.event import Event
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.models.aggregate import candidate_merit, panel_scores
from scoring.models.bayes import BayesScores, bayes_scores
from scoring.models.calibrate import (
    CALIBRATE_METHODS,
    CalibrationResult,
    calibrate_scores,
    design_components,
)
from scoring.models.normalise import NormaliseMethod, normalise_scores

__all__ = ["ISSUE_CODES", "SCORING_METHODS", "ScoringResult", "score_event"]

SCORING_METHODS: tuple[str, ...] = get_args(ScoringMethod)
"""Every value of ``[scoring] method``."""

ISSUE_CODES: dict[str, str] = {
    "conflicts.unmatched": "A declared conflict excluded no mark (unknown id, or not scored).",
    "conflicts.attribute_missing": "A conflict attribute is missing on jurors or candidates.",
    "normalise.few_marks": "A juror gave fewer than 3 marks on a criterion; marks only centred.",
    "normalise.flat_juror": "A juror gave one same mark to every target; marks only centred.",
    "normalise.zero_iqr": "Most of a juror's marks are equal: robust uses their SD as scale.",
    "calibrate.disconnected": "Jurors form separate components; scores comparable within each.",
    "calibrate.fixed_gain": "A juror's gain cannot be estimated and is fixed at 1.",
    "calibrate.gain_bounded": "A juror's gain fell outside the accepted range and was bounded.",
    "calibrate.not_converged": "The offset-and-gain model stopped before converging.",
    "aggregate.below_min_jurors": "Targets marked by fewer than [scoring] min_jurors jurors.",
    "aggregate.untrimmed": "Panels too small to trim; their plain mean is used.",
    "merit.missing_score": "Candidates without a panel score on a weighted criterion: no merit.",
    "bayes.rhat": "The Bayesian sampler's chains disagree (R-hat above [scoring.bayes] max_rhat).",
    "affinity.attribute_missing": "An affinity attribute is missing on jurors or candidates.",
    "merit.reserved_name": "A criterion is named like a fixed column of the merit table.",
    "bayes.panel_unknown": "[scoring.bayes] panel names no column of the jurors file.",
    "normalise.unknown_criterion": "Marks on a criterion missing from the criteria given.",
}
"""Every issue code scoring can report, with its meaning: the warnings in
:attr:`ScoringResult.issues`, and the errors of the
:class:`~scoring.errors.InvalidEventError` raised for inputs that cannot be scored
(``merit.reserved_name``, ``bayes.panel_unknown``, ``normalise.unknown_criterion``)."""


@dataclass(frozen=True)
class ScoringResult:
    """Everything scoring produced for one event, as sorted frames.

    Attributes
    ----------
    method
        The normalisation or calibration method used.
    ridge
        Ridge penalty of the additive model (the calibration when ``method`` is
        ``additive`` or ``additive_scale``, and the severity diagnostics always).
    scores
        Marks kept after conflicts (the event's score columns) plus ``normalised``, the
        normalised or calibrated mark; sorted by ``criterion, target_id, juror_id``.
    exclusions
        Marks removed for conflicts of interest (:data:`scoring.columns.EXCLUSION_COLUMNS`).
    criterion_scores
        Panel score per target and criterion
        (:data:`scoring.columns.CRITERION_SCORE_COLUMNS`), sorted by ``target_id,
        criterion``.
    merit
        One row per candidate, eligible or not (:data:`scoring.columns.MERIT_COLUMNS`
        then one column per criterion, named after it), sorted by ``candidate_id``.
        ``merit`` is missing (NaN) for a candidate lacking a panel score on a criterion of
        positive weight, with a ``merit.missing_score`` warning.
    offsets
        Juror effects of the calibration model (:data:`scoring.columns.OFFSET_COLUMNS`);
        empty for per-juror normalisation methods.
    components
        Connected components of each criterion's juror-target graph
        (:data:`scoring.columns.COMPONENT_COLUMNS`).
    jurors
        Juror diagnostics per juror and criterion
        (:data:`scoring.columns.JUROR_DIAGNOSTIC_COLUMNS`).
    outliers
        Outlier judgments (:data:`scoring.columns.OUTLIER_COLUMNS`).
    reliability
        Per criterion ICC and Krippendorff's alpha
        (:data:`scoring.columns.RELIABILITY_COLUMNS`).
    affinity
        Affinity audit (:data:`scoring.columns.AFFINITY_COLUMNS`); empty when
        ``[diagnostics] affinity`` is not set.
    affinity_by_criterion
        The affinity audit per criterion, in points of each criterion's scale
        (:data:`scoring.columns.AFFINITY_BY_CRITERION_COLUMNS`); empty likewise.
    issues
        Warnings from every step, ordered by :func:`scoring.errors.sort_issues`; the codes
        are listed in :data:`ISSUE_CODES`.
    posterior
        Method ``bayes`` only (else ``None``): posterior merit and rank summaries per
        candidate (:data:`scoring.columns.POSTERIOR_COLUMNS`, see
        :func:`scoring.models.bayes_rank.rank_summaries`), sorted by ``candidate_id``.
    rankogram
        Method ``bayes`` only: ``P(rank = r)`` per candidate
        (:data:`scoring.columns.RANKOGRAM_COLUMNS`).
    rhat
        Method ``bayes`` only: R-hat and bulk effective sample size of each candidate's
        merit and each sampled standard deviation (:data:`scoring.columns.RHAT_COLUMNS`).
    """

    method: str
    ridge: float
    scores: pd.DataFrame
    exclusions: pd.DataFrame
    criterion_scores: pd.DataFrame
    merit: pd.DataFrame
    offsets: pd.DataFrame
    components: pd.DataFrame
    jurors: pd.DataFrame
    outliers: pd.DataFrame
    reliability: pd.DataFrame
    affinity: pd.DataFrame
    affinity_by_criterion: pd.DataFrame
    issues: tuple[Issue, ...]
    posterior: pd.DataFrame | None = None
    rankogram: pd.DataFrame | None = None
    rhat: pd.DataFrame | None = None

    @property
    def issues_frame(self) -> pd.DataFrame:
        """The warnings as an issues frame (see :func:`scoring.errors.issues_frame`)."""
        return issues_frame(self.issues)


def score_event(
    event: Event, *, method: str | None = None, diagnostics: bool = True
) -> ScoringResult:
    """Turn an event's marks into panel scores, merit and diagnostics.

    Steps: exclude conflicts of interest (:mod:`scoring.conflicts`); normalise
    (:mod:`scoring.models.normalise`) or calibrate (:mod:`scoring.models.calibrate`) the kept marks,
    or, for method ``bayes``, sample the hierarchical model (:mod:`scoring.models.bayes`), whose
    posterior means and SDs become the panel scores, merit and ``merit_se``; aggregate each panel
    (:mod:`scoring.models.aggregate`); weight the criteria into merit; diagnose jurors, outliers,
    reliability and affinity (:mod:`scoring.diagnostics.jurors`,
    :mod:`scoring.diagnostics.reliability`, :mod:`scoring.diagnostics.affinity`). Diagnostics look
    at the raw kept marks, so they are the same whatever the method.

    Parameters
    ----------
    event
        A validated event.
    method
        Overrides ``[scoring] method`` (e.g. for a sensitivity analysis).
    diagnostics
        ``False`` skips juror, outlier, reliability and affinity diagnostics; their frames
        are then empty (with their columns). Components are always reported.

    Returns
    -------
    ScoringResult
        All frames and warnings.

    Raises
    ------
    ValueError
        When ``method`` is not a scoring method (a programming error: the configuration
        allows only those).
    InvalidEventError
        When the configuration cannot be scored: a criterion named like a merit column
        (``merit.reserved_name``), or ``[scoring.bayes] panel`` naming no juror column
        (``bayes.panel_unknown``).

    Examples
    --------
    The marks of the module example with raw means instead: C now ties with B, because
    only the harsh juror J2 marked C:

    >>> import pandas as pd
    >>> from scoring.ingest.validate import build_event
    >>> cands = pd.DataFrame({"candidate_id": ["A", "B", "C"], "name": ["Ann", "Bo", "Cy"],
    ...                       "group": "G"})
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J1", "J2", "J2"],
    ...                       "target_id": ["A", "B", "B", "C"], "criterion": "pitch",
    ...                       "score": [8.0, 6, 4, 5]})
    >>> config = {"event": {"name": "demo", "candidates": "-", "scores": "-"},
    ...           "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]}
    >>> result = score_event(build_event(cands, marks, config), method="raw")
    >>> result.merit["merit"].tolist()
    [8.0, 5.0, 5.0]
    >>> [issue.code for issue in result.issues]
    ['aggregate.below_min_jurors']
    """
    config = event.config
    chosen = config.scoring.method if method is None else method
    if chosen not in SCORING_METHODS:
        raise ValueError(f"method must be one of {SCORING_METHODS}, got {chosen!r}")
    scoring = config.scoring
    jurors_file = event.inputs.get("jurors")
    conflicts = exclude_conflicts(
        index_marks(event.scores),
        event.candidates,
        event.jurors,
        event.conflicts,
        attributes=scoring.conflicts,
        source=jurors_file.name if jurors_file is not None else None,
    )
    kept = conflicts.index
    issues: list[Issue] = [*conflicts.issues]
    fit: CalibrationResult | None = None
    bayes: BayesScores | None = None
    if chosen == "bayes":
        # The additive fit gives the connectivity report (and its warnings) and the juror
        # diagnostics; the marks and panel scores come from the posterior.
        fit = calibrate_scores(
            kept, method="additive", ridge=scoring.ridge, candidates=event.candidates
        )
        bayes = bayes_scores(
            kept,
            event.candidates,
            criteria=config.criteria,
            weights=config.weights(),
            jurors=event.jurors,
            settings=scoring.bayes,
            seed=config.selection.seed,
        )
        adjusted, model_df, offsets = bayes.index, {}, empty_frame(col.OFFSET_COLUMNS)
        issues.extend(i for i in fit.issues if i.code == "calibrate.disconnected")
        issues.extend(bayes.issues)
    elif chosen in CALIBRATE_METHODS:
        fit = calibrate_scores(
            kept, method=chosen, ridge=scoring.ridge, candidates=event.candidates
        )
        adjusted, model_df, offsets = fit.index, fit.model_df, fit.offsets
        issues.extend(fit.issues)
    else:
        normalised = normalise_scores(
            kept, method=cast(NormaliseMethod, chosen), criteria=config.criteria
        )
        adjusted, model_df, offsets = normalised.index, {}, empty_frame(col.OFFSET_COLUMNS)
        issues.extend(normalised.issues)
    panel = panel_scores(
        adjusted,
        criteria=config.criteria,
        aggregate=scoring.aggregate,
        trim=scoring.trim,
        decimals=scoring.decimals,
        min_jurors=scoring.min_jurors,
        model_df=model_df,
    )
    panel_frame = panel.frame if bayes is None else _posterior_panel(panel.frame, bayes, scoring)
    merit = candidate_merit(
        panel_frame, event.candidates, criteria=config.criteria, weights=config.weights()
    )
    merit_frame = merit.frame if bayes is None else _posterior_merit(merit.frame, bayes)
    issues.extend([*panel.issues, *merit.issues])
    diagnosed = _diagnose(event, kept, fit, diagnostics)
    issues.extend(diagnosed.issues)
    return ScoringResult(
        method=chosen,
        ridge=scoring.ridge,
        scores=adjusted.marks,
        exclusions=conflicts.exclusions,
        criterion_scores=panel_frame,
        merit=merit_frame,
        offsets=offsets,
        components=diagnosed.components,
        jurors=diagnosed.jurors,
        outliers=diagnosed.outliers,
        reliability=diagnosed.reliability,
        affinity=diagnosed.affinity,
        affinity_by_criterion=diagnosed.affinity_by_criterion,
        issues=tuple(sort_issues(issues)),
        posterior=None if bayes is None else bayes.posterior,
        rankogram=None if bayes is None else bayes.rankogram,
        rhat=None if bayes is None else bayes.rhat,
    )


def _posterior_panel(
    frame: pd.DataFrame, bayes: BayesScores, scoring: ScoringConfig
) -> pd.DataFrame:
    """Panel scores of method ``bayes``: posterior mean and SD of each target's score."""
    keys = [col.TARGET_ID, col.CRITERION]
    posterior = frame[keys].merge(bayes.panel, on=keys, how="left")
    score = posterior[col.SCORE].to_numpy(dtype="float64")
    if scoring.decimals is not None:
        score = score.round(scoring.decimals)
    return frame.assign(**{col.SCORE: score, col.SCORE_SE: posterior[col.SCORE_SE].to_numpy()})


def _posterior_merit(frame: pd.DataFrame, bayes: BayesScores) -> pd.DataFrame:
    """Merit of method ``bayes``: posterior mean and SD of the merit draws."""
    posterior = bayes.posterior.set_index(col.CANDIDATE_ID)
    ids = frame[col.CANDIDATE_ID]
    return frame.assign(
        **{
            col.MERIT: posterior[col.MERIT_MEAN].reindex(ids).to_numpy(),
            col.MERIT_SE: posterior[col.MERIT_SD].reindex(ids).to_numpy(),
        }
    )


@dataclass(frozen=True)
class _Diagnosed:
    components: pd.DataFrame
    jurors: pd.DataFrame
    outliers: pd.DataFrame
    reliability: pd.DataFrame
    affinity: pd.DataFrame
    affinity_by_criterion: pd.DataFrame
    issues: tuple[Issue, ...]


def _diagnose(
    event: Event, kept: MarkIndex, fit: CalibrationResult | None, wanted: bool
) -> _Diagnosed:
    config = event.config
    if not wanted:
        return _Diagnosed(
            components=fit.components if fit is not None else design_components(kept),
            jurors=empty_frame(col.JUROR_DIAGNOSTIC_COLUMNS),
            outliers=empty_frame(col.OUTLIER_COLUMNS),
            reliability=empty_frame(col.RELIABILITY_COLUMNS),
            affinity=empty_frame(col.AFFINITY_COLUMNS),
            affinity_by_criterion=empty_frame(col.AFFINITY_BY_CRITERION_COLUMNS),
            issues=(),
        )
    if fit is None or fit.method != "additive":
        fit = calibrate_scores(kept, method="additive", ridge=config.scoring.ridge)
    threshold = config.diagnostics.outlier_threshold
    affinity = affinity_audit(
        kept,
        event.candidates,
        event.jurors,
        attributes=config.diagnostics.affinity,
        criteria=config.criteria,
        weights=config.weights(),
        seed=config.selection.seed,
    )
    return _Diagnosed(
        components=fit.components,
        jurors=juror_table(
            fit, criteria=config.criteria, outlier_threshold=threshold, jurors=event.jurors
        ),
        outliers=outlier_marks(kept, threshold=threshold),
        reliability=reliability_table(kept),
        affinity=affinity.frame,
        affinity_by_criterion=affinity.by_criterion,
        issues=affinity.issues,
    )
