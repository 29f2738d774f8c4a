"""Charts for the report and for notebooks: matplotlib Figures, rendered without a screen.

Each chart is first turned into a plain specification (``*_chart``) that
:mod:`selection.outputs.draw` draws; matplotlib is imported only then, so the command line and
embedding tools never pay for it unless a chart is drawn. The figures are plain
``matplotlib.figure.Figure`` objects: no backend is chosen and no global setting is changed, so
a notebook shows them with its own backend. :func:`figure_svg` renders a figure as SVG text
whose bytes depend only on the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selection import columns as col
from selection.outputs.draw import (
    BarChart,
    DotChart,
    DotSeries,
    PointSeries,
    StripChart,
    draw,
    figure_svg,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STATUS_COLOURS",
    "delegation_chart",
    "delegation_figure",
    "figure_svg",
    "group_merit_chart",
    "group_merit_figure",
    "severity_chart",
    "severity_figure",
]

STATUS_COLOURS = {
    "selected": "#1b7837",
    "reserve": "#e08214",
    "not_selected": "#8c8c8c",
    "ineligible": "#d0d0d0",
}
"""Bar colour of each candidate status in the merit charts."""


def group_merit_figure(ranking: pd.DataFrame, group: str) -> Figure:
    """Return a horizontal bar chart of merit (± one standard error) in ``group``.

    Bars are coloured by status; a dashed line marks the cut-off (the lowest merit among
    the representatives).

    Examples
    --------
    >>> ranking = pd.DataFrame({"group": "G", "candidate_id": ["a", "b"], "name": ["A", "B"],
    ...                         "merit": [7.0, 6.0], "merit_se": [0.3, 0.4],
    ...                         "status": ["selected", "not_selected"]})
    >>> group_merit_figure(ranking, "G").axes[0].get_title()
    'G'
    """
    return draw(group_merit_chart(ranking, group))


def group_merit_chart(ranking: pd.DataFrame, group: str, *, legend: bool = True) -> BarChart:
    """Return the specification of :func:`group_merit_figure` (plain data, no matplotlib).

    Without ``legend`` the chart has no legend of its own (the report shows one key for
    every group's chart).

    Examples
    --------
    >>> ranking = pd.DataFrame({"group": "G", "candidate_id": ["a", "b"], "name": ["A", "B"],
    ...                         "merit": [7.0, 6.0], "merit_se": [0.3, 0.4],
    ...                         "status": ["selected", "not_selected"]})
    >>> chart = group_merit_chart(ranking, "G")
    >>> chart.labels, chart.cut
    (('B (b)', 'A (a)'), 7.0)
    """
    rows = ranking[ranking[col.GROUP] == group].sort_values(
        [col.MERIT, col.CANDIDATE_ID], ascending=[True, False], na_position="first"
    )
    statuses = [str(s) for s in rows[col.STATUS]]
    merit = rows[col.MERIT].to_numpy(dtype=float)
    selected = merit[np.array([s == "selected" for s in statuses], dtype=bool)]
    return BarChart(
        title=str(group),
        labels=tuple(
            f"{n} ({c})" for n, c in zip(rows[col.NAME], rows[col.CANDIDATE_ID], strict=True)
        ),
        values=merit,
        errors=rows[col.MERIT_SE].to_numpy(dtype=float) if col.MERIT_SE in rows else None,
        colours=tuple(STATUS_COLOURS.get(s, "#8c8c8c") for s in statuses),
        legend=tuple(
            (status.replace("_", " "), colour)
            for status, colour in STATUS_COLOURS.items()
            if legend and status in statuses
        ),
        cut=float(np.nanmin(selected)) if np.isfinite(selected).any() else None,
        xlabel="merit (bars: ± one standard error)",
    )


def delegation_figure(ranking: pd.DataFrame, groups: Sequence[str] | None = None) -> Figure:
    """Return every group's cut-off in one chart: one column per group, lowest cut-off first.

    In each column, green dots are the representatives' merits and the red line passes
    through the cut-off (the lowest of them); one more dot is the best candidate not
    selected (a reserve or not selected, with a merit): grey at or below the cut-off, purple
    above it, where a rule kept a better candidate out. A thousand groups fit one screen.

    Parameters
    ----------
    ranking
        ``group, merit, status`` (the layout of :attr:`selection.result.RunResult.ranking`);
        not modified.
    groups
        The groups to draw (default: those of ``ranking``, in order of first appearance);
        a group without representatives comes last, without a cut-off.

    Examples
    --------
    >>> ranking = pd.DataFrame({"group": ["G", "G", "H", "H"], "merit": [7.0, 6.0, 5.0, 6.0],
    ...                         "status": ["selected", "not_selected", "selected", "reserve"]})
    >>> delegation_figure(ranking).axes[0].get_ylabel()
    'merit'
    """
    return draw(delegation_chart(ranking, groups))


def delegation_chart(ranking: pd.DataFrame, groups: Sequence[str] | None = None) -> StripChart:
    """Return the specification of :func:`delegation_figure` (plain data, no matplotlib).

    Groups are ordered by cut-off, then in the order given.

    Examples
    --------
    >>> ranking = pd.DataFrame({"group": ["G", "G", "H", "H"], "merit": [7.0, 6.0, 5.0, 6.0],
    ...                         "status": ["selected", "not_selected", "selected", "reserve"]})
    >>> chart = delegation_chart(ranking)
    >>> chart.line.tolist()  # H (cut-off 5.0) first, then G
    [5.0, 7.0]
    >>> [(s.name, s.x.tolist(), s.y.tolist()) for s in chart.series]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('representatives', [2.0, 1.0], [7.0, 5.0]),
     ('best not selected', [2.0], [6.0]),
     ('best not selected, above the cut-off: kept out by a rule', [1.0], [6.0])]
    """
    names = [str(g) for g in (dict.fromkeys(ranking[col.GROUP]) if groups is None else groups)]
    codes = pd.Categorical(ranking[col.GROUP].astype(object), categories=names).codes
    codes = np.asarray(codes, dtype=np.int64)
    merit = ranking[col.MERIT].to_numpy(dtype=float)
    status = ranking[col.STATUS].astype(object).to_numpy()
    known = (codes >= 0) & np.isfinite(merit)
    chosen = known & (status == "selected")
    passed = known & ((status == "not_selected") | (status == "reserve"))
    cut = np.full(len(names), np.nan)
    np.fmin.at(cut, codes[chosen], merit[chosen])
    best = np.full(len(names), np.nan)
    np.fmax.at(best, codes[passed], merit[passed])
    order = np.lexsort((np.arange(len(names)), np.where(np.isnan(cut), np.inf, cut)))
    column = np.empty(len(names), dtype=float)
    column[order] = np.arange(1, len(names) + 1)
    has_best = np.isfinite(best)
    above = has_best & (best > cut)  # NaN cut-off: never above
    series = [
        PointSeries("representatives", column[codes[chosen]], merit[chosen], "#1b7837"),
        PointSeries(
            "best not selected",
            column[has_best & ~above],
            best[has_best & ~above],
            STATUS_COLOURS["not_selected"],
        ),
        PointSeries(
            "best not selected, above the cut-off: kept out by a rule",
            column[above],
            best[above],
            "#762a83",
        ),
    ]
    return StripChart(
        title=f"The delegation: {len(names)} groups, from the lowest cut-off to the highest",
        line=cut[order],
        line_label="cut-off",
        series=tuple(s for s in series if len(s.x)),
        xlabel="groups, by cut-off",
        ylabel="merit",
    )


def severity_figure(jurors: pd.DataFrame) -> Figure:
    """Return a dot chart of each juror's severity (offset ± standard error) per criterion.

    Negative severity means the juror marks lower than the panel (strict).

    Examples
    --------
    >>> jurors = pd.DataFrame({"juror_id": ["J1", "J2"], "criterion": "pitch",
    ...                        "severity": [-0.5, 0.5], "severity_se": [0.2, 0.2]})
    >>> severity_figure(jurors).axes[0].get_xlabel()
    'severity (marks above the panel; ± one standard error)'
    """
    return draw(severity_chart(jurors))


def severity_chart(jurors: pd.DataFrame) -> DotChart:
    """Return the specification of :func:`severity_figure` (plain data, no matplotlib).

    Examples
    --------
    >>> jurors = pd.DataFrame({"juror_id": ["J1", "J2"], "criterion": "pitch",
    ...                        "severity": [-0.5, 0.5], "severity_se": [0.2, 0.2]})
    >>> chart = severity_chart(jurors)
    >>> chart.rows, [s.name for s in chart.series]
    (('J2', 'J1'), ['pitch'])
    """
    juror_ids = sorted(jurors[col.JUROR_ID].unique(), reverse=True)
    where = {j: i for i, j in enumerate(juror_ids)}
    criteria = sorted(jurors[col.CRITERION].unique())
    offsets = np.linspace(-0.25, 0.25, max(len(criteria), 1))
    series = []
    for shift, criterion in zip(offsets, criteria, strict=False):
        rows = jurors[jurors[col.CRITERION] == criterion]
        series.append(
            DotSeries(
                name=str(criterion),
                x=rows[col.SEVERITY].to_numpy(dtype=float),
                y=np.array([where[j] for j in rows[col.JUROR_ID]], dtype=float) + shift,
                error=rows[col.SEVERITY_SE].to_numpy(dtype=float),
            )
        )
    return DotChart(
        rows=tuple(str(j) for j in juror_ids),
        series=tuple(series),
        xlabel="severity (marks above the panel; ± one standard error)",
    )
