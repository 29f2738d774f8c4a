"""Column names of every frame :mod:`selection` returns or writes, declared once.

The input and scoring columns (``candidate_id``, ``group``, ``merit``, ...) are declared in
:mod:`scoring.columns` and re-exported here, so selection code reads one vocabulary:
``from selection import columns as col``. The names below are the selection's own:
statuses, reasons, margins, reserves, counterfactuals, rules, the price of fairness, the
grey-zone lottery, what-if and sensitivity comparisons, stability, and the leading columns
of the files ``pitch-jury run`` writes.

Examples
--------
>>> from selection import columns as col
>>> col.CANDIDATE_ID, col.STATUS, col.RANKING_FILE_COLUMNS[:3]
('candidate_id', 'status', ('group', 'candidate_id', 'name'))
"""

# ruff: noqa: F405  (the scoring columns come in by the star import below)
from __future__ import annotations

from scoring.columns import *  # noqa: F403  (one vocabulary: the scoring columns too)
from scoring.columns import COLUMN_DTYPES as SCORING_DTYPES
from scoring.columns import __all__ as _scoring_names

__all__ = [
    *_scoring_names,
    "ACTUAL",
    "AFTER_STATUS",
    "BEFORE_STATUS",
    "BENT_BY",
    "BINDING",
    "CF_COST",
    "CF_IN",
    "CF_OUT",
    "CF_STATUS",
    "CHANGE",
    "CHANGED",
    "COST",
    "DESCRIPTION",
    "DIFF_COLUMNS",
    "DRAWN",
    "JOINING",
    "LEAVING",
    "LOO_COLUMNS",
    "LOO_SELECTED",
    "LOTTERY",
    "LOTTERY_KEY",
    "MARGIN",
    "MERIT_AFTER",
    "MERIT_BEFORE",
    "METHOD",
    "N_METHODS_SELECTED",
    "N_SELECTED",
    "OBJECTIVE_WITH",
    "OBJECTIVE_WITHOUT",
    "PENALTY",
    "POSTERIOR_RANK_COLUMNS",
    "PRICE_OF_FAIRNESS",
    "PRIORITY",
    "RANKING_FILE_COLUMNS",
    "RANK_IN_GROUP",
    "REPLACES",
    "REQUIRED",
    "RESAMPLE",
    "RESERVE_BENDS",
    "RESERVE_ID",
    "RESERVE_JOINING",
    "RESERVE_LEAVING",
    "REPORT_RANKING_COLUMNS",
    "RESERVE_NAME",
    "RESERVE_RANK",
    "RULE_KIND",
    "RUN",
    "SATISFIED",
    "SELECTION_FILE_COLUMNS",
    "SELECTION_FREQUENCY",
    "SENSITIVITY_CHANGE_COLUMNS",
    "SOFT",
    "TIE",
    "TIE_COLUMNS",
    "STABILITY_COLUMNS",
    "STATUS",
    "STATUS_IN_FULL_RUN",
    "VALUE",
    "VERDICT",
    "ZONE",
    "ZONE_COLUMNS",
]

# The star import brought scoring's COLUMN_DTYPES; this copy adds the selection's own.
COLUMN_DTYPES: dict[str, str] = dict(SCORING_DTYPES)  # type: ignore[no-redef]
"""Data type of each column, the scoring columns' and the selection's own."""

# selection results (see selection.facade.SelectionResult)
RANK_IN_GROUP = "rank_in_group"
"""Position in the group by merit (1 = best), ties broken by the lottery."""
LOTTERY = "lottery"
"""Lottery position drawn from the seed (1 = most favoured); breaks exact merit ties."""
STATUS = "status"
"""Candidate status: ``selected``, ``reserve``, ``not_selected`` or ``ineligible``."""
BINDING = "binding"
"""Names of the rules without which the candidate's status would change (``; ``-joined)."""
MARGIN = "margin"
"""Merit minus the group's cut-off (see :mod:`selection.analysis.explain`)."""
CF_STATUS = "counterfactual_status"
"""``computed``, ``impossible`` (no delegation allows the change) or ``skipped``."""
CF_COST = "counterfactual_cost"
"""Total merit lost when the candidate is forced in (or out)."""
CF_IN = "counterfactual_in"
"""Candidate ids who would join the delegation in the counterfactual (``; ``-joined)."""
CF_OUT = "counterfactual_out"
"""Candidate ids who would leave the delegation in the counterfactual (``; ``-joined)."""
RESERVE_ID = "reserve_id"
"""The named substitute of a representative (empty when nobody can step in)."""
RESERVE_JOINING = "reserve_joining"
"""If the representative withdraws, everyone else staying: who comes in (``; ``-joined)."""
RESERVE_LEAVING = "reserve_leaving"
"""If the representative withdraws: other representatives who must leave (``; ``-joined)."""
RESERVE_BENDS = "reserve_bends"
"""If the representative withdraws: soft rules the change bends further (``; ``-joined)."""
RESERVE_RANK = "reserve_rank"
"""Position on the group's reserve list (1 = called first)."""
REPLACES = "replaces"
"""Representatives a reserve is the named substitute for (``; ``-joined)."""
RULE_KIND = "kind"
"""A rule's kind: ``seats``, ``at_least``, ``at_most``, ``max_per``, ``distinct``, ..."""
DESCRIPTION = "description"
"""A rule's plain-language description."""
SOFT = "soft"
PRIORITY = "priority"
PENALTY = "penalty"
SATISFIED = "satisfied"
"""Whether a finished delegation satisfies the rule."""
BENT_BY = "bent_by"
"""How far a soft (or relaxed) rule is bent, in representatives."""
REQUIRED = "required"
"""What a rule requires where it is bent, in words (``at least 2``)."""
ACTUAL = "actual"
"""The count a delegation actually reaches where a rule is bent."""
VALUE = "value"
"""Attribute value a rule row is about (empty when the row is not about one value)."""
PRICE_OF_FAIRNESS = "price_of_fairness"
"""Total merit given up because of a rule (objective without it minus with it)."""
OBJECTIVE_WITH = "objective_with"
OBJECTIVE_WITHOUT = "objective_without"
COST = "cost"

# grey-zone lottery (see selection.uncertainty.lottery)
ZONE = "zone"
"""Grey-zone lottery zone: ``in`` (50% rank interval within the seats), ``out`` (entirely
beyond them) or ``grey`` (crossing the cut-off)."""
LOTTERY_KEY = "lottery_key"
"""Random priority key in [0, 1) of a grey-zone candidate (missing outside the grey zone)."""
DRAWN = "drawn"
"""Whether the candidate is a representative in the lottery delegation."""

ZONE_COLUMNS: tuple[str, ...] = (
    GROUP,
    CANDIDATE_ID,
    NAME,
    RANK_LO50,
    RANK_HI50,
    ZONE,
    LOTTERY_KEY,
    DRAWN,
)
"""Columns of the grey-zone lottery's zones frame (see :mod:`selection.uncertainty.lottery`)."""

# what-if and sensitivity (see selection.whatif)
CHANGE = "change"
"""``joined`` or ``left``: how a candidate's place in the delegation changed."""
BEFORE_STATUS = "before_status"
AFTER_STATUS = "after_status"
"""A candidate's status before and after the change (see :data:`STATUS`)."""
MERIT_BEFORE = "merit_before"
MERIT_AFTER = "merit_after"
"""A candidate's merit before and after the change."""
METHOD = "method"
"""A scoring method (see :data:`scoring.pipeline.SCORING_METHODS`)."""
N_METHODS_SELECTED = "n_methods_selected"
"""Under how many of the compared scoring methods the candidate is a representative."""

DIFF_COLUMNS: tuple[str, ...] = (
    GROUP,
    CANDIDATE_ID,
    NAME,
    CHANGE,
    BEFORE_STATUS,
    AFTER_STATUS,
    REASON,
    MERIT_BEFORE,
    MERIT_AFTER,
)
"""Columns of a what-if difference between two delegations (see :mod:`selection.whatif`)."""

SENSITIVITY_CHANGE_COLUMNS: tuple[str, ...] = (METHOD, GROUP, CANDIDATE_ID, NAME, CHANGE)
"""Columns of the sensitivity changes frame: who joins or leaves under each method."""

COLUMN_DTYPES.update(
    {
        ZONE: "str",
        LOTTERY_KEY: "float64",
        DRAWN: "bool",
        CHANGE: "str",
        BEFORE_STATUS: "str",
        AFTER_STATUS: "str",
        MERIT_BEFORE: "float64",
        MERIT_AFTER: "float64",
        METHOD: "str",
        N_METHODS_SELECTED: "int64",
    }
)

# stability of the delegation (see selection.uncertainty.stability)
SELECTION_FREQUENCY = "selection_frequency"
"""Share of the feasible bootstrap resamples whose delegation includes the candidate."""
N_SELECTED = "n_selected"
"""Number of feasible bootstrap resamples whose delegation includes the candidate."""
LOO_SELECTED = "loo_selected"
"""Number of feasible leave-one-juror-out runs whose delegation includes the candidate."""
STATUS_IN_FULL_RUN = "status_in_full_run"
"""The candidate's status in the run on all marks (``selected``, ``not_selected``, ...)."""
VERDICT = "verdict"
"""``core`` (selected in at least ``core`` of the resamples), ``out`` (at most 1 - core)
or ``swing`` (in between)."""
RESAMPLE = "resample"
"""Number of a resample (1, 2, ...) or, for leave-one-out runs, of the juror left out."""
RUN = "run"
"""Kind of stability run: ``bootstrap`` or ``leave_one_out``."""
CHANGED = "changed"
"""Whether a run's delegation differs from the full run's."""
JOINING = "joining"
"""Candidate ids in a run's delegation but not in the full run's (``; ``-joined)."""
LEAVING = "leaving"
"""Candidate ids in the full run's delegation but not in the run's (``; ``-joined)."""

STABILITY_COLUMNS: tuple[str, ...] = (
    GROUP,
    CANDIDATE_ID,
    NAME,
    STATUS_IN_FULL_RUN,
    N_SELECTED,
    SELECTION_FREQUENCY,
    LOO_SELECTED,
    VERDICT,
)
"""Columns of the selection-frequency frame (see
:func:`selection.uncertainty.stability.stability`)."""

LOO_COLUMNS: tuple[str, ...] = (JUROR_ID, STATUS, CHANGED, JOINING, LEAVING)
"""Columns of the leave-one-juror-out frame (see :mod:`selection.uncertainty.stability`)."""

COLUMN_DTYPES.update(
    {
        SELECTION_FREQUENCY: "float64",
        N_SELECTED: "int64",
        LOO_SELECTED: "int64",
        STATUS_IN_FULL_RUN: "str",
        VERDICT: "str",
        RESAMPLE: "int64",
        RUN: "str",
        CHANGED: "bool",
        JOINING: "str",
        LEAVING: "str",
    }
)

# tied optimal delegations (see selection.facade.SelectionResult.ties)
TIE = "tie"
"""Number of a tied optimal delegation: 1 is the one the seeded lottery chose."""

TIE_COLUMNS: tuple[str, ...] = (TIE, GROUP, CANDIDATE_ID, NAME, MERIT)
"""Columns of the tied optimal delegations: one row per representative of each."""

# the files `pitch-jury run` writes (see selection.outputs.export)
RESERVE_NAME = "reserve_name"
"""Name of a representative's named substitute."""

SELECTION_FILE_COLUMNS: tuple[str, ...] = (
    GROUP,
    CANDIDATE_ID,
    NAME,
    MERIT,
    RESERVE_ID,
    RESERVE_NAME,
)
"""Leading columns of ``selection.csv``; the attributes the rules use follow."""

RANKING_FILE_COLUMNS: tuple[str, ...] = (
    GROUP,
    CANDIDATE_ID,
    NAME,
    MERIT,
    MERIT_SE,
    RANK_IN_GROUP,
    STATUS,
    REASON,
    BINDING,
    MARGIN,
)
"""Leading columns of ``ranking.csv``; reserve and counterfactual columns follow."""

REPORT_RANKING_COLUMNS: tuple[str, ...] = (
    CANDIDATE_ID,
    NAME,
    MERIT,
    MERIT_SE,
    RANK_IN_GROUP,
    STATUS,
    REASON,
    BINDING,
    MARGIN,
    LOTTERY,
    RESERVE_ID,
)
"""Columns of the report's table of each group's candidates."""

POSTERIOR_RANK_COLUMNS: tuple[str, ...] = (
    EXPECTED_RANK,
    RANK_LO50,
    RANK_HI50,
    RANK_LO90,
    RANK_HI90,
    SUCRA,
)
"""Columns ``ranking.csv`` gains from the Bayesian model."""
