"""The result of a whole run: scoring, selection and the uncertainty analyses together.

:class:`RunResult` exposes the output frames under the names of the files the command line
writes, explains any candidate, draws the report's plots and renders itself in Jupyter.
Renderers (:mod:`selection.outputs`) take a result; the result imports them only inside
the methods that draw, never at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from scoring.errors import Issue, NotAvailableError, issues_from_frame, sort_issues
from scoring.event import Event
from scoring.pipeline import ScoringResult
from selection import columns as col
from selection.facade import SelectionResult
from selection.uncertainty.lottery import LotteryResult
from selection.uncertainty.stability import StabilityResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["RunResult"]


@dataclass(frozen=True, eq=False)
class RunResult:
    """Scoring and selection of one event, with the frames the output files hold.

    Attributes
    ----------
    event
        The validated event.
    scoring
        Every scoring frame (:class:`scoring.pipeline.ScoringResult`).
    selection
        The delegation and its explanations (:class:`selection.facade.SelectionResult`).
    stability
        Selection frequencies under juror resampling (:mod:`selection.uncertainty.stability`), when
        ``[stability]`` asks for them.
    lottery
        The grey-zone draw (:mod:`selection.uncertainty.lottery`) when ``[selection] lottery =
        "grey-zone"``: zones, keys and the lottery solve. ``selection`` then describes the
        delegation drawn (status ``given``): every reason, margin, reserve and
        counterfactual is about it, and the reasons say which seats the draw decided.
    timings
        Seconds per step; the only part that differs between identical runs.
    """

    event: Event
    scoring: ScoringResult
    selection: SelectionResult
    stability: StabilityResult | None = None
    lottery: LotteryResult | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``"optimal"``, ``"given"`` (drawn by the grey-zone lottery), ``"time_limit"`` (best
        found, not proven) or ``"infeasible"``."""
        return str(self.selection.status.value)

    @property
    def delegation(self) -> pd.DataFrame:
        """The representatives: ``group, candidate_id, name, merit, reserve_id,
        reserve_name`` and the attributes the rules use (``selection.csv``)."""
        frame = self.selection.delegation
        names = self.event.candidates.set_index(col.CANDIDATE_ID)[col.NAME]
        out = frame.drop(columns=[col.MERIT_SE, col.RANK_IN_GROUP], errors="ignore").copy()
        position = list(out.columns).index(col.RESERVE_ID) + 1
        out.insert(position, col.RESERVE_NAME, out[col.RESERVE_ID].map(names))
        lead = list(col.SELECTION_FILE_COLUMNS)
        return out[lead + [c for c in out.columns if c not in lead]]

    @property
    def ranking(self) -> pd.DataFrame:
        """Every candidate with status, reason, binding rules and margin (``ranking.csv``).

        With a ``[stability]`` analysis, ``selection_frequency, loo_selected, verdict``
        follow; with ``[scoring] method = "bayes"`` the posterior rank summaries:
        ``expected_rank, rank_lo50, rank_hi50, rank_lo90, rank_hi90, sucra``.
        """
        frame = self.selection.ranking
        lead = list(col.RANKING_FILE_COLUMNS)
        frame = frame[lead + [c for c in frame.columns if c not in lead]]
        if self.lottery is not None:
            zones = self.lottery.zones[[col.CANDIDATE_ID, col.ZONE, col.LOTTERY_KEY, col.DRAWN]]
            frame = frame.merge(zones, on=col.CANDIDATE_ID, how="left")
        if self.stability is not None:
            found = self.stability.frequencies
            frame = frame.merge(
                found[[col.CANDIDATE_ID, col.SELECTION_FREQUENCY, col.LOO_SELECTED, col.VERDICT]],
                on=col.CANDIDATE_ID,
                how="left",
            )
        posterior = self.scoring.posterior
        if posterior is not None:
            extra = [c for c in col.POSTERIOR_RANK_COLUMNS if c in posterior.columns]
            frame = frame.merge(
                posterior[[col.CANDIDATE_ID, *extra]], on=col.CANDIDATE_ID, how="left"
            )
        return frame

    @property
    def criterion_scores(self) -> pd.DataFrame:
        """Panel score per target and criterion (``criterion_scores.csv``)."""
        return self.scoring.criterion_scores

    @property
    def jurors(self) -> pd.DataFrame:
        """Juror diagnostics (``jurors.csv``)."""
        return self.scoring.jurors

    @property
    def reliability(self) -> pd.DataFrame:
        """Per criterion ``criterion, n_targets, n_jurors, icc_k, alpha`` and details."""
        return self.scoring.reliability

    @property
    def affinity(self) -> pd.DataFrame:
        """Affinity audit (``affinity.csv``); empty when not configured."""
        return self.scoring.affinity

    @property
    def exclusions(self) -> pd.DataFrame:
        """Marks removed for conflicts of interest (``exclusions.csv``)."""
        return self.scoring.exclusions

    @property
    def issues(self) -> list[Issue]:
        """Every warning: validation, scoring and the selection's pre-solve checks."""
        found = [
            *issues_from_frame(self.event.warnings),
            *self.scoring.issues,
            *self.selection.presolve,
        ]
        return sort_issues(found)

    def explain(self, candidate_id: str) -> str:
        """Return why ``candidate_id`` was or was not selected, in plain words.

        Raises
        ------
        KeyError
            When ``candidate_id`` is not a candidate of the event.
        """
        text = self.selection.explain(candidate_id)
        if self.lottery is not None:
            zones = self.lottery.zones.set_index(col.CANDIDATE_ID)
            if candidate_id in zones.index:
                row = zones.loc[candidate_id]
                key = row[col.LOTTERY_KEY]
                text += (
                    f"\nGrey-zone lottery (seed {self.lottery.seed}): zone '{row[col.ZONE]}'"
                    + ("" if pd.isna(key) else f", key {float(key):.4f}")
                    + "."
                )
        return text

    def plot_group(self, group: str) -> Figure:
        """Return a chart of merit with standard errors and the cut-off for ``group``."""
        from selection.outputs.plots import group_merit_figure

        return group_merit_figure(self.ranking, group)

    def plot_severity(self) -> Figure:
        """Return a chart of juror severity (offset with standard error) per criterion."""
        from selection.outputs.plots import severity_figure

        return severity_figure(self.jurors)

    def plot_rank_intervals(self, group: str) -> Figure:
        """Return the Bayesian rank-interval chart of ``group`` (``method = "bayes"``).

        Raises
        ------
        scoring.errors.NotAvailableError
            When the run did not use the Bayesian model.
        """
        from selection.outputs.plots_bayes import rank_interval_figure

        return rank_interval_figure(self._posterior(), group, self.event.seats(group))

    def plot_rankogram(self, candidate_ids: list[str]) -> Figure:
        """Return the rankogram (probability of each rank) of the given candidates."""
        from selection.outputs.plots_bayes import rankogram_figure

        self._posterior()
        assert self.scoring.rankogram is not None  # filled together with the posterior
        group = self.event.candidates.set_index(col.CANDIDATE_ID).loc[candidate_ids[0], col.GROUP]
        return rankogram_figure(
            self.scoring.rankogram, candidate_ids, seats=self.event.seats(str(group))
        )

    def _posterior(self) -> pd.DataFrame:
        if self.scoring.posterior is None:
            raise NotAvailableError(
                'Rank intervals need the Bayesian model: set [scoring] method = "bayes" '
                '(or run_event(event, method="bayes")).'
            )
        return self.scoring.posterior

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-able data (frames as records)."""
        return {
            "event": self.event.config.event.name,
            "scoring_method": self.scoring.method,
            "selection": self.selection.to_dict(),
        }

    def _repr_html_(self) -> str:
        from selection.outputs.report import summary_html

        return summary_html(self)
