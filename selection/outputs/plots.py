"""Charts for the report and for notebooks: matplotlib Figures, rendered without a screen.

Each chart is first turned into a plain specification (``*_chart``) that
:mod:`selection.outputs.draw` draws; matplotlib is imported only then, so the command line and
embedding tools never pay for it unless a chart is drawn. The figures are plain
``matplotlib.figure.Figure`` objects: no backend is chosen and no global setting is changed, so
a notebook shows them with its own backend. :func:`figure_svg` renders a figure as SVG text
whose bytes depend only on the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selection import columns as col
from selection.outputs.draw import BarChart, DotChart, DotSeries, draw, figure_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STATUS_COLOURS",
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
