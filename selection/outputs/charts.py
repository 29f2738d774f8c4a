"""The report's charts as jobs: what to draw, where it goes, drawn as SVG text.

A :class:`ChartJob` holds a chart as plain data (:mod:`selection.outputs.draw`);
:func:`render` draws one as SVG text in the calling thread, with no process, thread, file
descriptor, signal handler or global matplotlib setting involved. The same job gives the
same bytes in every run and every process.

An event of at most :data:`GROUP_CHARTS_MAX` groups gets one merit chart per group (and one
rank-interval chart per group with the Bayesian model). A larger one gets one overview chart
of the whole delegation (and one of the grey zones), and each row of its group tables gets a
tiny inline SVG instead (:func:`merit_bars`, :func:`rank_bars`): plain string templates
filled with numbers only (never a name), so they cost microseconds, need no escaping and give
the same bytes in every run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from selection import columns as col

if TYPE_CHECKING:
    import pandas as pd

    from scoring.pipeline import ScoringResult
    from selection.outputs.draw import Chart
    from selection.result import RunResult

__all__ = [
    "GROUP_CHARTS_MAX",
    "ChartJob",
    "chart_jobs",
    "charts_per_group",
    "merit_bars",
    "rank_bars",
    "render",
    "render_all",
    "scoring_chart_jobs",
]

ChartKind = Literal["group_merit", "rank_interval", "delegation", "grey_zone", "severity"]

GROUP_CHARTS_MAX = 12
"""The most groups for which the report draws one chart per group; above it, one overview
chart of the whole delegation and inline bars in the group tables."""


@dataclass(frozen=True)
class ChartJob:
    """One chart of the report: where it goes, its caption and what to draw.

    Attributes
    ----------
    kind
        ``"group_merit"``, ``"rank_interval"``, ``"delegation"``, ``"grey_zone"`` or
        ``"severity"``: the report section.
    caption
        Text shown under the chart; it also names the chart (no two charts share one).
    spec
        The chart as plain data (:mod:`selection.outputs.draw`).
    """

    kind: ChartKind
    caption: str
    spec: Chart


def charts_per_group(result: RunResult) -> bool:
    """Return whether the report of ``result`` draws one chart per group.

    True for at most :data:`GROUP_CHARTS_MAX` groups.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> charts_per_group(run_event(load_event(example_event_path())))
    True
    """
    return len(result.event.groups) <= GROUP_CHARTS_MAX


def chart_jobs(result: RunResult) -> list[ChartJob]:
    """Return the charts of ``result``'s report, in the order the report shows them.

    One merit chart per group (and one rank-interval chart per group with a posterior) when
    :func:`charts_per_group`; otherwise one overview of the delegation (and one of the grey
    zones). The juror severity chart comes last.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> [job.kind for job in chart_jobs(run_event(load_event(example_event_path())))]
    ['group_merit', 'group_merit', 'group_merit', 'group_merit', 'severity']
    """
    event = result.event
    posterior = result.scoring.posterior
    if not charts_per_group(result):
        return [*_overview_jobs(result), *scoring_chart_jobs(result.scoring)]
    from selection.outputs.plots import group_merit_chart

    jobs = [
        ChartJob(
            "group_merit",
            f"Merit in {group} with one standard error; dashed line: the cut-off.",
            group_merit_chart(result.ranking, group, legend=False),
        )
        for group in event.groups
    ]
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


def _overview_jobs(result: RunResult) -> list[ChartJob]:
    """The charts of a large event: the whole delegation, and its grey zones (Bayesian)."""
    from selection.outputs.plots import delegation_chart

    event = result.event
    jobs = [
        ChartJob(
            "delegation",
            f"All {len(event.groups)} groups at once, one column each, from the lowest cut-off "
            "to the highest: green dots are the representatives' merits, the red line the "
            "cut-off (their lowest merit), a grey dot the best candidate not selected. A "
            "purple dot above the line is a better candidate whom a rule kept out.",
            delegation_chart(result.ranking, event.groups),
        )
    ]
    posterior = result.scoring.posterior
    if posterior is not None:
        from selection.outputs.plots_bayes import grey_zone_chart

        jobs.append(
            ChartJob(
                "grey_zone",
                "Groups by the size of their grey zone: the candidates whose 50% credible "
                "interval of the rank crosses the cut-off, whom the data cannot tell apart "
                "from the other side.",
                grey_zone_chart(posterior, {g: event.seats(g) for g in event.groups}),
            )
        )
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


def render_all(
    jobs: Sequence[ChartJob], *, progress: Callable[[str, int, int], None] | None = None
) -> list[str]:
    """Return the SVG text of every job, in order, drawn in this process and thread.

    ``progress``, when given, is called as ``progress("charts", done, total)`` before the
    first chart and after each one.

    Examples
    --------
    >>> calls = []
    >>> render_all([], progress=lambda *call: calls.append(call)), calls
    ([], [('charts', 0, 0)])
    """
    drawn: list[str] = []
    if progress is not None:
        progress("charts", 0, len(jobs))
    for job in jobs:
        drawn.append(render(job))
        if progress is not None:
            progress("charts", len(drawn), len(jobs))
    return drawn


_SPARK_OPEN = '<svg class="spark" viewBox="0 0 100 10">'
"""An inline row chart: 100 by 10 units (pixels, in the report's style sheet)."""


def _group_codes(ranking: pd.DataFrame) -> tuple[np.ndarray, int]:
    import pandas as pd

    codes, groups = pd.factorize(ranking[col.GROUP])
    return np.asarray(codes), len(groups)


def _per_group(reduce: np.ufunc, codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """``reduce`` (``np.fmin`` or ``np.fmax``) of the finite ``values`` of each group."""
    out = np.full(n, np.nan)
    keep = (codes >= 0) & np.isfinite(values)
    reduce.at(out, codes[keep], values[keep])
    return out


def merit_bars(ranking: pd.DataFrame) -> list[str]:
    """Return one inline SVG per row of ``ranking``: the row's merit in its group.

    A bar in the colour of the row's status (:data:`selection.outputs.plots.STATUS_COLOURS`)
    from one point below the group's lowest merit (never below zero), as in the group's merit
    chart; a line of ± one standard error; a dashed line at the group's cut-off (the lowest
    merit among its representatives). Each group has its own scale. A row without a merit
    gets ``""``.

    Parameters
    ----------
    ranking
        ``group, merit, status`` and optionally ``merit_se`` (the layout of
        :attr:`selection.result.RunResult.ranking`); not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> ranking = pd.DataFrame({"group": "G", "merit": [7.0, 6.0, float("nan")],
    ...                         "merit_se": [0.5, 0.5, float("nan")],
    ...                         "status": ["selected", "not_selected", "ineligible"]})
    >>> bars = merit_bars(ranking)
    >>> print(bars[0].replace("><", ">\\n<"))  # merit 7.0 on a scale from 5.0 to 7.5 + 5%
    <svg class="spark" viewBox="0 0 100 10">
    <rect y="1" width="76.2" height="8" fill="#1b7837"/>
    <path d="M57.1 5H95.2"/>
    <path class="cut" d="M76.2 0V10"/>
    </svg>
    >>> bars[2]
    ''
    """
    from selection.outputs.plots import STATUS_COLOURS

    codes, n_groups = _group_codes(ranking)
    merit = ranking[col.MERIT].to_numpy(dtype=float)
    se = (
        ranking[col.MERIT_SE].to_numpy(dtype=float, na_value=np.nan)
        if col.MERIT_SE in ranking
        else np.full(len(merit), np.nan)
    )
    status = ranking[col.STATUS].astype(object).to_numpy()
    low = np.maximum(0.0, _per_group(np.fmin, codes, n_groups, merit) - 1.0)
    high = _per_group(np.fmax, codes, n_groups, merit + np.where(np.isfinite(se), se, 0.0))
    span = high - low
    span = np.where(np.isfinite(span), span + 0.05 * np.maximum(span, 1.0), 1.0)
    selected = (status == "selected") & np.isfinite(merit)
    cut = _per_group(np.fmin, codes, n_groups, np.where(selected, merit, np.nan))
    row_low = np.where(codes >= 0, low[codes], np.nan)
    scale = np.where(codes >= 0, 100.0 / span[codes], np.nan)
    bar = np.clip((merit - row_low) * scale, 0.0, 100.0)
    start = np.clip((merit - se - row_low) * scale, 0.0, 100.0)
    stop = np.clip((merit + se - row_low) * scale, 0.0, 100.0)
    line = (np.where(codes >= 0, cut[codes], np.nan) - row_low) * scale
    bars = []
    for x, a, b, c, state in zip(
        bar.tolist(), start.tolist(), stop.tolist(), line.tolist(), status.tolist(), strict=True
    ):
        if x != x:  # NaN: no merit
            bars.append("")
            continue
        colour = STATUS_COLOURS.get(state, STATUS_COLOURS["not_selected"])
        whisker = f'<path d="M{a:.1f} 5H{b:.1f}"/>' if a == a and b == b else ""
        mark = f'<path class="cut" d="M{c:.1f} 0V10"/>' if c == c else ""
        bars.append(
            f'{_SPARK_OPEN}<rect y="1" width="{x:.1f}" height="8" fill="{colour}"/>'
            f"{whisker}{mark}</svg>"
        )
    return bars


def rank_bars(
    ranking: pd.DataFrame, posterior: pd.DataFrame, seats: Mapping[str, int]
) -> list[str]:
    """Return one inline SVG per row of ``ranking``: the candidate's rank in the group.

    As in the group's rank-interval chart: a thin line over the 90% credible interval of the
    rank, a thick one over the 50% interval, a dot at the expected rank and a dashed line
    at the cut-off (between ranks ``seats`` and ``seats + 1``); rank 1 is at the left. A row
    without rank intervals gets ``""``.

    Parameters
    ----------
    ranking
        ``group, candidate_id`` per row; not modified.
    posterior
        Posterior summaries (:data:`scoring.columns.POSTERIOR_COLUMNS`); not modified.
    seats
        Representatives per group.

    Examples
    --------
    >>> import pandas as pd
    >>> ranking = pd.DataFrame({"group": "G", "candidate_id": ["a", "b"]})
    >>> # two ranks of 50 units each: rank 1 spans 0 to 50, the cut-off is at 50
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b"], "group": "G",
    ...     "expected_rank": [1.2, 1.8], "rank_lo50": [1, 2], "rank_hi50": [1, 2],
    ...     "rank_lo90": [1, 1], "rank_hi90": [2, 2]})
    >>> print(rank_bars(ranking, posterior, {"G": 1})[0].replace("><", ">\\n<"))
    <svg class="spark" viewBox="0 0 100 10">
    <path class="r90" d="M15.0 5H85.0"/>
    <path class="r50" d="M15.0 5H35.0"/>
    <circle cx="35.0" cy="5" r="1.6"/>
    <path class="cut" d="M50.0 0V10"/>
    </svg>
    """
    import pandas as pd

    codes, n_groups = _group_codes(ranking)
    known = posterior.drop_duplicates(col.CANDIDATE_ID)
    where = pd.Index(known[col.CANDIDATE_ID]).get_indexer(ranking[col.CANDIDATE_ID])

    def column(name: str) -> np.ndarray:
        values = known[name].to_numpy(dtype=float, na_value=np.nan)
        return np.where(where >= 0, values[where], np.nan)

    expected = column(col.EXPECTED_RANK)
    lo50, hi50 = column(col.RANK_LO50), column(col.RANK_HI50)
    lo90, hi90 = column(col.RANK_LO90), column(col.RANK_HI90)
    k = ranking[col.GROUP].map(seats).to_numpy(dtype=float, na_value=np.nan)
    n_ranks = np.fmax(*(_per_group(np.fmax, codes, n_groups, v) for v in (hi90, k + 1)))
    scale = np.where(codes >= 0, 100.0 / np.where(n_ranks > 0, n_ranks, 1.0)[codes], np.nan)
    ends = (expected, lo90 - 0.2, hi90 + 0.2, lo50 - 0.2, hi50 + 0.2, k + 0.5)
    places = [np.clip((rank - 0.5) * scale, 0.0, 100.0).tolist() for rank in ends]
    bars = []
    for e, a, b, c, d, cut in zip(*places, strict=True):
        if e != e or a != a or b != b or c != c or d != d:  # NaN: no rank intervals
            bars.append("")
            continue
        mark = f'<path class="cut" d="M{cut:.1f} 0V10"/>' if cut == cut else ""
        bars.append(
            f'{_SPARK_OPEN}<path class="r90" d="M{a:.1f} 5H{b:.1f}"/>'
            f'<path class="r50" d="M{c:.1f} 5H{d:.1f}"/><circle cx="{e:.1f}" cy="5" r="1.6"/>'
            f"{mark}</svg>"
        )
    return bars
