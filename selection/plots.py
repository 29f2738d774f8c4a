"""Charts for the report and for notebooks: matplotlib Figures, rendered without a screen.

matplotlib is imported only when a chart is drawn, with the Agg backend, so the command
line and embedding tools never pay for it unless a report is written. :func:`figure_svg`
renders a figure as SVG text whose bytes depend only on the data.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from scoring import columns as col

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure_svg", "group_merit_figure", "severity_figure"]

_STATUS_COLOURS = {
    "selected": "#1b7837",
    "reserve": "#e08214",
    "not_selected": "#8c8c8c",
    "ineligible": "#d0d0d0",
}


def _figure(width: float, height: float, *, left: float, right: float = 0.2) -> Figure:
    """Return an empty figure with fixed margins (``left`` and ``right`` in inches).

    Fixed margins instead of an automatic layout keep drawing fast: layout engines measure
    every label several times.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "pitch-jury"
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: names in any script
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=min(left / width, 0.6),
        right=1 - right / width,
        top=1 - 0.45 / height,
        bottom=0.55 / height,
    )
    return figure


def _label_inches(labels: list[str], fontsize: float = 8) -> float:
    longest = max((len(label) for label in labels), default=4)
    return 0.25 + longest * fontsize * 0.55 / 72


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
    rows = ranking[ranking[col.GROUP] == group].sort_values(
        [col.MERIT, col.CANDIDATE_ID], ascending=[True, False], na_position="first"
    )
    labels = [f"{n} ({c})" for n, c in zip(rows[col.NAME], rows[col.CANDIDATE_ID], strict=True)]
    figure = _figure(7.5, 1.2 + 0.24 * max(len(rows), 1), left=_label_inches(labels))
    axes = figure.subplots()
    merit = rows[col.MERIT].to_numpy(dtype=float)
    error = rows[col.MERIT_SE].to_numpy(dtype=float) if col.MERIT_SE in rows else None
    colours = [_STATUS_COLOURS.get(str(s), "#8c8c8c") for s in rows[col.STATUS]]
    positions = np.arange(len(rows))
    low = float(np.nanmin(merit)) if np.isfinite(merit).any() else 0.0
    left = max(0.0, low - 1.0)
    bars = np.nan_to_num(merit, nan=left)
    # One collection for all bars and one for all error bars: a chart of many candidates
    # draws as fast as a chart of a few.
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch

    half = 0.35
    axes.add_collection(
        PolyCollection(
            [
                [(left, y - half), (x, y - half), (x, y + half), (left, y + half)]
                for y, x in zip(positions, bars, strict=True)
            ],
            facecolors=colours,
            edgecolors="none",
        )
    )
    if error is not None:
        spread = np.column_stack([merit - error, merit + error])
        segments = [
            [(lo, y), (hi, y)]
            for y, (lo, hi) in zip(positions, spread, strict=True)
            if np.isfinite(lo) and np.isfinite(hi)
        ]
        axes.add_collection(LineCollection(segments, colors="#333333", linewidths=1.0))
    high = np.nanmax(np.append(merit + (error if error is not None else 0.0), bars))
    axes.set_xlim(left, float(high) + 0.05 * max(float(high) - left, 1.0))
    axes.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    axes.set_yticks(positions, labels, fontsize=8)
    handles: list[Any] = [
        Patch(color=colour, label=status.replace("_", " "))
        for status, colour in _STATUS_COLOURS.items()
        if status in set(rows[col.STATUS])
    ]
    selected = merit[(rows[col.STATUS] == "selected").to_numpy()]
    if len(selected):
        cut = float(np.nanmin(selected))
        handles.append(
            axes.axvline(cut, color="#b2182b", linestyle="--", linewidth=1, label="cut-off")
        )
    axes.legend(handles=handles, loc="lower right", fontsize=8)
    _label(axes, "merit (bars: ± one standard error)", title=str(group))
    return figure


def _label(axes: Any, xlabel: str, *, title: str | None = None) -> None:
    """Set the x label (and title) at fixed places: placing them automatically measures
    every tick label again, which costs more than drawing the chart."""
    axes.set_xlabel(xlabel)
    height = axes.get_position().height * axes.figure.get_figheight()  # inches
    axes.xaxis.set_label_coords(0.5, -0.3 / height)
    if title is not None:
        axes.set_title(title, y=1.0, pad=6)


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
    juror_ids = sorted(jurors[col.JUROR_ID].unique(), reverse=True)
    criteria = sorted(jurors[col.CRITERION].unique())
    figure = _figure(
        7.5,
        1.2 + 0.3 * max(len(juror_ids), 1),
        left=_label_inches(juror_ids),
        right=0.3 + _label_inches([str(c) for c in criteria], fontsize=7),
    )
    axes = figure.subplots()
    where = {j: i for i, j in enumerate(juror_ids)}
    offsets = np.linspace(-0.25, 0.25, max(len(criteria), 1))
    from matplotlib.collections import LineCollection

    for index, (shift, criterion) in enumerate(zip(offsets, criteria, strict=False)):
        rows = jurors[jurors[col.CRITERION] == criterion]
        y = np.array([where[j] for j in rows[col.JUROR_ID]]) + shift
        x = rows[col.SEVERITY].to_numpy(dtype=float)
        se = rows[col.SEVERITY_SE].to_numpy(dtype=float)
        colour = f"C{index % 10}"
        axes.add_collection(
            LineCollection(
                [[(a - e, b), (a + e, b)] for a, b, e in zip(x, y, se, strict=True)],
                colors=colour,
                linewidths=1.0,
            )
        )
        axes.plot(x, y, "o", markersize=4, color=colour, label=str(criterion))
    axes.axvline(0.0, color="#333333", linewidth=0.8)
    axes.set_ylim(-0.6, max(len(juror_ids), 1) - 0.4)
    axes.set_yticks(range(len(juror_ids)), juror_ids, fontsize=8)
    _label(axes, "severity (marks above the panel; ± one standard error)")
    if criteria:  # outside the plot, so it never hides a juror
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure


def figure_svg(figure: Figure) -> str:
    """Return ``figure`` as standalone SVG text with no date or random ids in it.

    Examples
    --------
    >>> svg = figure_svg(severity_figure(pd.DataFrame(
    ...     {"juror_id": ["J1"], "criterion": "c", "severity": [0.1], "severity_se": [0.1]})))
    >>> svg.startswith("<svg") and "Date" not in svg
    True
    """
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Text is kept as text in the SVG, so the browser draws every script with its own
        # fonts; matplotlib only warns that its layout font lacks some glyphs.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
