"""Column names of every frame pitch-jury reads or returns, declared once.

Each constant is the exact column header used in input files, in the clean frames the
library returns and in the files the command line writes. Other modules import these
names instead of spelling strings, so a rename happens here and nowhere else.

Input frames
------------
candidates
    ``candidate_id`` (str, unique), ``name`` (str), ``group`` (str), optional ``project``
    (str; empty when the candidate pitches alone), optional ``eligible`` (bool, default
    true), and any attribute columns (gender, country, university, ...), kept as text.
scores, long form
    ``juror_id``, ``target_id`` (a candidate id or a project id), ``criterion``, ``score``.
scores, wide form
    ``juror_id``, ``target_id`` and one column per criterion.
jurors
    ``juror_id``, optional ``name``, attribute columns, optional ``conflicts`` (candidate,
    project or group ids separated by ``;``).

Clean frames (what :class:`scoring.event.Event` holds)
------------------------------------------------------
scores
    ``juror_id``, ``target_id``, ``criterion``, ``score`` (float64, never missing: marks
    that were not scored are absent), ``level`` (``"project"`` or ``"candidate"``),
    ``source_row`` (spreadsheet row of the mark in its file, header = row 1). The four
    text columns are categorical: their categories are the sorted texts the frame holds,
    so a million marks do not cost a million Python strings per column.
conflicts
    ``juror_id``, ``conflict_id`` (the id as written), ``kind`` (``"candidate"``,
    ``"project"`` or ``"group"``).

Examples
--------
>>> from scoring import columns as col
>>> col.CANDIDATE_ID, col.SCORE
('candidate_id', 'score')
"""

from __future__ import annotations

__all__ = [
    "AFFINITY_BY_CRITERION_COLUMNS",
    "AFFINITY_COLUMNS",
    "ALPHA",
    "ATTRIBUTE",
    "ATTRIBUTE_VALUE_COLUMNS",
    "BELOW_MIN_JURORS",
    "CANDIDATE_COLUMNS",
    "CANDIDATE_ID",
    "COLUMN_DTYPES",
    "COMPLETE",
    "COMPONENT",
    "COMPONENT_COLUMNS",
    "CONFLICTS",
    "CONFLICT_ID",
    "CONFLICT_KIND",
    "CONSISTENCY",
    "CRITERION",
    "CRITERION_SCORE_COLUMNS",
    "DETAIL",
    "DEVIATION",
    "EFFECT",
    "EFFECT_MERIT",
    "EFFECT_POINTS",
    "ELIGIBLE",
    "ESS_BULK",
    "EXCLUSION_COLUMNS",
    "EXPECTED_RANK",
    "FLAG",
    "GAIN",
    "GROUP",
    "ICC_1_1",
    "ICC_1_K",
    "ICC_2_1",
    "ICC_2_K",
    "ICC_3_1",
    "ICC_3_K",
    "ICC_FORM",
    "ICC_K",
    "ISSUE_COLUMNS",
    "JUROR_DIAGNOSTIC_COLUMNS",
    "JUROR_ID",
    "JUROR_IDS",
    "LEVEL",
    "LONG_SCORE_COLUMNS",
    "LOO_MEAN",
    "MEAN_OTHER",
    "MEAN_SHARED",
    "MERIT",
    "MERIT_COLUMNS",
    "MERIT_MEAN",
    "MERIT_SD",
    "MERIT_SE",
    "NAME",
    "NORMALISED",
    "N_CANDIDATES",
    "N_ELIGIBLE",
    "N_JURORS",
    "N_MARKS",
    "N_OTHER",
    "N_OUTLIERS",
    "N_SHARED",
    "N_TARGETS",
    "OFFSET",
    "OFFSET_COLUMNS",
    "OFFSET_SE",
    "OUTLIER_COLUMNS",
    "PANEL_SIZE",
    "PARAMETER",
    "POSTERIOR_COLUMNS",
    "PROBABILITY",
    "PROJECT",
    "P_VALUE",
    "RANK",
    "RANKOGRAM_COLUMNS",
    "RANK_HI50",
    "RANK_HI90",
    "RANK_LO50",
    "RANK_LO90",
    "RAW_MEAN",
    "REASON",
    "RELIABILITY_COLUMNS",
    "RESIDUAL_MS",
    "RESIDUAL_RATIO",
    "RHAT",
    "RHAT_COLUMNS",
    "RULE",
    "SCORE",
    "SCORE_SE",
    "SEVERITY",
    "SEVERITY_SE",
    "SOURCE_ROW",
    "SPREAD",
    "SUCRA",
    "TARGET_ID",
    "TARGET_IDS",
    "VALUE",
]

# candidates
CANDIDATE_ID = "candidate_id"
NAME = "name"
GROUP = "group"
PROJECT = "project"
ELIGIBLE = "eligible"

# scores
JUROR_ID = "juror_id"
TARGET_ID = "target_id"
CRITERION = "criterion"
SCORE = "score"
LEVEL = "level"
SOURCE_ROW = "source_row"

# jurors and conflicts
CONFLICTS = "conflicts"
CONFLICT_ID = "conflict_id"
CONFLICT_KIND = "kind"

# scoring results
N_JURORS = "n_jurors"
RAW_MEAN = "raw_mean"
MERIT = "merit"
MERIT_SE = "merit_se"
ATTRIBUTE = "attribute"

# conflicts (exclusions frame)
REASON = "reason"
RULE = "rule"
DETAIL = "detail"

# the values of the attributes rules count (see scoring.ingest.attributes.attribute_values)
VALUE = "value"
N_CANDIDATES = "n_candidates"
N_ELIGIBLE = "n_eligible"

# normalised and calibrated marks
NORMALISED = "normalised"
OFFSET = "offset"
OFFSET_SE = "offset_se"
GAIN = "gain"
COMPONENT = "component"
N_MARKS = "n_marks"
N_TARGETS = "n_targets"
JUROR_IDS = "juror_ids"
TARGET_IDS = "target_ids"

# panel scores
SCORE_SE = "score_se"
BELOW_MIN_JURORS = "below_min_jurors"

# diagnostics
SEVERITY = "severity"
SEVERITY_SE = "severity_se"
SPREAD = "spread"
CONSISTENCY = "consistency"
RESIDUAL_MS = "residual_ms"
RESIDUAL_RATIO = "residual_ratio"
N_OUTLIERS = "n_outliers"
FLAG = "flag"
LOO_MEAN = "loo_mean"
DEVIATION = "deviation"
COMPLETE = "complete"
ICC_FORM = "icc_form"
ICC_K = "icc_k"
ALPHA = "alpha"
N_SHARED = "n_shared"
N_OTHER = "n_other"
MEAN_SHARED = "mean_shared"
MEAN_OTHER = "mean_other"
EFFECT = "effect"
P_VALUE = "p_value"
PANEL_SIZE = "panel_size"
"""Reliability: the ``k`` of the ICC(1,k), ICC(2,k) and ICC(3,k) forms, jurors per target on a
complete design, else the harmonic mean number of jurors per target."""
ICC_1_1 = "icc_1_1"
"""ICC(1,1): one-way random effects, the reliability of one juror's mark."""
ICC_1_K = "icc_1_k"
"""ICC(1,k): one-way random effects, the reliability of the mean of ``panel_size`` marks."""
ICC_2_1 = "icc_2_1"
"""ICC(2,1): two-way random effects, absolute agreement, one juror (complete designs only)."""
ICC_2_K = "icc_2_k"
"""ICC(2,k): two-way random effects, absolute agreement, the panel mean (complete designs)."""
ICC_3_1 = "icc_3_1"
"""ICC(3,1): two-way mixed effects, consistency, one juror (complete designs only)."""
ICC_3_K = "icc_3_k"
"""ICC(3,k): two-way mixed effects, consistency, the panel mean (complete designs only)."""
EFFECT_POINTS = "effect_points"
"""Affinity: ``effect`` in points of the criterion's own scale (``effect * (max - min)``)."""
EFFECT_MERIT = "effect_merit"
"""Affinity: the effect on the juror's weighted marks in merit points, ``sum_c w_c *
effect_points_c``; on a per-criterion row, that criterion's term ``w_c * effect_points_c``."""

CANDIDATE_COLUMNS: tuple[str, ...] = (CANDIDATE_ID, NAME, GROUP, PROJECT, ELIGIBLE)
"""Candidate columns with a fixed meaning; every other column is an attribute."""

LONG_SCORE_COLUMNS: tuple[str, ...] = (JUROR_ID, TARGET_ID, CRITERION, SCORE)
"""Required columns of a long-form score sheet."""

ATTRIBUTE_VALUE_COLUMNS: tuple[str, ...] = (ATTRIBUTE, VALUE, N_CANDIDATES, N_ELIGIBLE, RULE)
"""Columns of the attribute census (see :func:`scoring.ingest.attributes.attribute_values`):
one row per distinct value (missing: blank cells) of an attribute a rule uses, its
candidates, its eligible candidates and the rules counting it."""

ISSUE_COLUMNS: tuple[str, ...] = (
    "severity",
    "code",
    "file",
    "sheet",
    "row",
    "column",
    "value",
    "message",
)
"""Columns of the issues frame (see :mod:`scoring.errors`)."""


EXCLUSION_COLUMNS: tuple[str, ...] = (
    JUROR_ID,
    TARGET_ID,
    CRITERION,
    SCORE,
    SOURCE_ROW,
    REASON,
    RULE,
    DETAIL,
)
"""Columns of the exclusions frame (see :mod:`scoring.conflicts`)."""

OFFSET_COLUMNS: tuple[str, ...] = (
    CRITERION,
    JUROR_ID,
    COMPONENT,
    N_MARKS,
    OFFSET,
    OFFSET_SE,
    GAIN,
)
"""Columns of the juror-effect frame of a calibration model (see
:mod:`scoring.models.calibrate`)."""

COMPONENT_COLUMNS: tuple[str, ...] = (
    CRITERION,
    COMPONENT,
    N_JURORS,
    N_TARGETS,
    N_MARKS,
    JUROR_IDS,
    TARGET_IDS,
)
"""Columns of the connectivity report (see :func:`scoring.models.calibrate.design_components`)."""

CRITERION_SCORE_COLUMNS: tuple[str, ...] = (
    TARGET_ID,
    CRITERION,
    LEVEL,
    N_JURORS,
    RAW_MEAN,
    SCORE,
    SCORE_SE,
    BELOW_MIN_JURORS,
)
"""Columns of the panel-score frame (see :func:`scoring.models.aggregate.panel_scores`)."""

MERIT_COLUMNS: tuple[str, ...] = (CANDIDATE_ID, GROUP, MERIT, MERIT_SE, N_JURORS, N_MARKS)
"""Fixed columns of the merit frame; one column per criterion follows."""

JUROR_DIAGNOSTIC_COLUMNS: tuple[str, ...] = (
    JUROR_ID,
    CRITERION,
    N_MARKS,
    SEVERITY,
    SEVERITY_SE,
    SPREAD,
    CONSISTENCY,
    RESIDUAL_MS,
    RESIDUAL_RATIO,
    N_OUTLIERS,
    FLAG,
)
"""Columns of the juror diagnostics table (see :func:`scoring.diagnostics.jurors.juror_table`)."""

OUTLIER_COLUMNS: tuple[str, ...] = (
    JUROR_ID,
    TARGET_ID,
    CRITERION,
    SCORE,
    LOO_MEAN,
    DEVIATION,
    N_JURORS,
)
"""Columns of the outlier-judgment frame (see :func:`scoring.diagnostics.jurors.outlier_marks`)."""

RELIABILITY_COLUMNS: tuple[str, ...] = (
    CRITERION,
    N_TARGETS,
    N_JURORS,
    N_MARKS,
    COMPLETE,
    ICC_FORM,
    ICC_K,
    ALPHA,
    PANEL_SIZE,
    ICC_1_1,
    ICC_1_K,
    ICC_2_1,
    ICC_2_K,
    ICC_3_1,
    ICC_3_K,
)
"""Columns of the reliability frame (see
:func:`scoring.diagnostics.reliability.reliability_table`): ``icc_form`` and ``icc_k`` name
and give the panel-average form used for the design, then every form it supports, NaN where
it does not."""

AFFINITY_COLUMNS: tuple[str, ...] = (
    ATTRIBUTE,
    JUROR_ID,
    N_SHARED,
    N_OTHER,
    MEAN_SHARED,
    MEAN_OTHER,
    EFFECT,
    P_VALUE,
    EFFECT_MERIT,
)
"""Columns of the affinity audit (see :func:`scoring.diagnostics.affinity.affinity_audit`)."""

AFFINITY_BY_CRITERION_COLUMNS: tuple[str, ...] = (
    ATTRIBUTE,
    JUROR_ID,
    CRITERION,
    N_SHARED,
    N_OTHER,
    MEAN_SHARED,
    MEAN_OTHER,
    EFFECT,
    EFFECT_POINTS,
    EFFECT_MERIT,
    P_VALUE,
)
"""Columns of the affinity audit per criterion (see
:func:`scoring.diagnostics.affinity.affinity_audit`)."""


COLUMN_DTYPES: dict[str, str] = {
    JUROR_ID: "str",
    TARGET_ID: "str",
    CRITERION: "str",
    SCORE: "float64",
    LEVEL: "str",
    SOURCE_ROW: "int64",
    CANDIDATE_ID: "str",
    GROUP: "str",
    REASON: "str",
    RULE: "str",
    DETAIL: "str",
    NORMALISED: "float64",
    OFFSET: "float64",
    OFFSET_SE: "float64",
    GAIN: "float64",
    COMPONENT: "int64",
    N_MARKS: "int64",
    N_TARGETS: "int64",
    N_JURORS: "int64",
    JUROR_IDS: "str",
    TARGET_IDS: "str",
    RAW_MEAN: "float64",
    SCORE_SE: "float64",
    BELOW_MIN_JURORS: "bool",
    MERIT: "float64",
    MERIT_SE: "float64",
    SEVERITY: "float64",
    SEVERITY_SE: "float64",
    SPREAD: "float64",
    CONSISTENCY: "float64",
    RESIDUAL_MS: "float64",
    RESIDUAL_RATIO: "float64",
    N_OUTLIERS: "int64",
    FLAG: "str",
    LOO_MEAN: "float64",
    DEVIATION: "float64",
    COMPLETE: "bool",
    ICC_FORM: "str",
    ICC_K: "float64",
    ALPHA: "float64",
    ATTRIBUTE: "str",
    N_SHARED: "int64",
    N_OTHER: "int64",
    MEAN_SHARED: "float64",
    MEAN_OTHER: "float64",
    EFFECT: "float64",
    P_VALUE: "float64",
    PANEL_SIZE: "float64",
    ICC_1_1: "float64",
    ICC_1_K: "float64",
    ICC_2_1: "float64",
    ICC_2_K: "float64",
    ICC_3_1: "float64",
    ICC_3_K: "float64",
    EFFECT_POINTS: "float64",
    EFFECT_MERIT: "float64",
    VALUE: "str",
    N_CANDIDATES: "int64",
    N_ELIGIBLE: "int64",
}
"""Data type of each result column, used to build correctly typed empty frames."""

# Bayesian ranking (see scoring.models.bayes and scoring.bayes_rank)
MERIT_MEAN = "merit_mean"
"""Posterior mean of merit."""
MERIT_SD = "merit_sd"
"""Posterior standard deviation of merit."""
EXPECTED_RANK = "expected_rank"
"""Posterior mean of the rank within the group (1 = best)."""
RANK_LO50 = "rank_lo50"
RANK_HI50 = "rank_hi50"
"""Bounds of the 50% credible interval of the rank (25% and 75% quantiles)."""
RANK_LO90 = "rank_lo90"
RANK_HI90 = "rank_hi90"
"""Bounds of the 90% credible interval of the rank (5% and 95% quantiles)."""
SUCRA = "sucra"
"""Surface under the cumulative ranking curve: (n - expected_rank) / (n - 1)."""
RANK = "rank"
PROBABILITY = "probability"
PARAMETER = "parameter"
"""A sampled quantity, e.g. ``merit[AF-01]`` or ``sigma[pitch]``."""
RHAT = "rhat"
"""Rank-normalised split R-hat (Vehtari et al. 2021)."""
ESS_BULK = "ess_bulk"
"""Bulk effective sample size."""

POSTERIOR_COLUMNS: tuple[str, ...] = (
    CANDIDATE_ID,
    GROUP,
    MERIT_MEAN,
    MERIT_SD,
    EXPECTED_RANK,
    RANK_LO50,
    RANK_HI50,
    RANK_LO90,
    RANK_HI90,
    SUCRA,
)
"""Columns of the posterior rank summaries (see
:func:`scoring.models.bayes_rank.rank_summaries`)."""

RANKOGRAM_COLUMNS: tuple[str, ...] = (CANDIDATE_ID, RANK, PROBABILITY)
"""Columns of the rankogram: the probability of each rank per candidate."""

RHAT_COLUMNS: tuple[str, ...] = (PARAMETER, RHAT, ESS_BULK)
"""Columns of the sampler's convergence diagnostics (see :mod:`scoring.models.bayes`)."""

COLUMN_DTYPES.update(
    {
        MERIT_MEAN: "float64",
        MERIT_SD: "float64",
        EXPECTED_RANK: "float64",
        RANK_LO50: "Int64",
        RANK_HI50: "Int64",
        RANK_LO90: "Int64",
        RANK_HI90: "Int64",
        SUCRA: "float64",
        RANK: "int64",
        PROBABILITY: "float64",
        PARAMETER: "str",
        RHAT: "float64",
        ESS_BULK: "float64",
    }
)
