"""The report's charts as jobs: what to draw, where it goes, drawn as SVG text.

A :class:`ChartJob` holds a chart as plain data (:mod:`selection.outputs.draw`);
:func:`render` draws one as SVG text in the calling thread, with no process, thread, file
descriptor, signal handler or global matplotlib setting involved. The same job gives the
same bytes in every run and every process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scoring.pipeline import ScoringResult
    from selection.outputs.draw import BarChart, DotChart, IntervalChart
    from selection.result import RunResult

__all__ = [
    "ChartJob",
    "chart_jobs",
    "render",
    "render_all",
    "scoring_chart_jobs",
]

ChartKind = Literal["group_merit", "rank_interval", "severity"]


@dataclass(frozen=True)
class ChartJob:
    """One chart of the report: where it goes, its caption and what to draw.

    Attributes
    ----------
    kind
        ``"group_merit"``, ``"rank_interval"`` or ``"severity"``: the report section.
    caption
        Text shown under the chart; it also names the chart (no two charts share one).
    spec
        The chart as plain data (:mod:`selection.outputs.draw`).
    """

    kind: ChartKind
    caption: str
    spec: BarChart | DotChart | IntervalChart


def chart_jobs(result: RunResult) -> list[ChartJob]:
    """Return the charts of ``result``'s report, in the order the report shows them.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> [job.kind for job in chart_jobs(run_event(load_event(example_event_path())))]
    ['group_merit', 'group_merit', 'group_merit', 'group_merit', 'severity']
    """
    from selection.outputs.plots import group_merit_chart

    event = result.event
    jobs = [
        ChartJob(
            "group_merit",
            f"Merit in {group} with one standard error; dashed line: the cut-off.",
            group_merit_chart(result.ranking, group, legend=False),
        )
        for group in event.groups
    ]
    posterior = result.scoring.posterior
    if posterior is not None:
        from selection.outputs.plots_bayes import rank_interval_chart

        jobs += [
            ChartJob(
                "rank_interval",
                f"Rank in {group}: expected rank with 50% (thick) and 90% (thin) credible "
                "intervals; dashed line: the cut-off. Intervals crossing it are the grey zone.",
                rank_interval_chart(posterior, group, event.seats(group)),
            )
            for group in event.groups
        ]
    jobs.extend(scoring_chart_jobs(result.scoring))
    return jobs


def scoring_chart_jobs(scoring: ScoringResult) -> list[ChartJob]:
    """Return the report's charts that need only the scoring (the juror severity chart).

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from scoring.pipeline import score_event
    >>> [job.kind for job in scoring_chart_jobs(score_event(load_event(example_event_path())))]
    ['severity']
    """
    from selection.outputs.plots import severity_chart

    if not len(scoring.jurors):
        return []
    return [ChartJob("severity", "Juror severity per criterion.", severity_chart(scoring.jurors))]


def render(job: ChartJob) -> str:
    """Draw one chart job and return it as SVG text (see :func:`selection.outputs.draw.svg`).

    Examples
    --------
    >>> from selection.outputs.draw import DotChart
    >>> render(ChartJob("severity", "Severity.", DotChart(("J1",), (), "x"))).startswith("<svg")
    True
    """
    from selection.outputs.draw import svg

    return svg(job.spec)


def render_all(jobs: Sequence[ChartJob]) -> list[str]:
    """Return the SVG text of every job, in order, drawn in this process and thread.

    Examples
    --------
    >>> render_all([])
    []
    """
    return [render(job) for job in jobs]
