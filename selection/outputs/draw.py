"""Drawing the report's charts from plain data: numpy and matplotlib only.

:mod:`selection.outputs.plots` and :mod:`selection.outputs.plots_bayes` turn result frames into the
chart specifications below; this module draws a specification as a matplotlib Figure (:func:`draw`)
or SVG text (:func:`svg`). It imports neither pandas nor the ``scoring`` package. A
:class:`StripChart` (one column per group) and a :class:`CountChart` draw a large event in one
figure whatever its number of groups.

Nothing here changes the state of the program that draws: figures are plain
``matplotlib.figure.Figure`` objects (no ``pyplot``, no backend is chosen, no global
``rcParams`` or warning filter is written), and SVG is written by a private canvas that keeps
text as text and ids stable without the global ``svg.*`` settings (``selection.outputs._svg``).

Charts are drawn for speed without giving up readability: fixed margins instead of a
layout engine, one collection per series instead of one artist per bar, and labels at
fixed places (placing them automatically measures every tick label again). matplotlib is
imported on first use. Names are drawn as plain text, never as ``$...$`` mathematics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "BarChart",
    "Chart",
    "CountChart",
    "DotChart",
    "DotSeries",
    "IntervalChart",
    "PointSeries",
    "StripChart",
    "draw",
    "figure_svg",
    "new_figure",
    "svg",
]


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars with error bars, bottom to top (merit per candidate).

    ``legend`` lists ``(label, colour)`` patches; ``cut`` draws a dashed cut-off line.
    """

    title: str
    labels: tuple[str, ...]
    values: np.ndarray
    errors: np.ndarray | None
    colours: tuple[str, ...]
    legend: tuple[tuple[str, str], ...]
    cut: float | None
    xlabel: str


@dataclass(frozen=True)
class DotSeries:
    """One series of a :class:`DotChart`: dots at ``(x, y)`` with ``x ± error``."""

    name: str
    x: np.ndarray
    y: np.ndarray
    error: np.ndarray


@dataclass(frozen=True)
class DotChart:
    """Dots with error bars on rows labelled ``rows`` (bottom to top), a line at zero."""

    rows: tuple[str, ...]
    series: tuple[DotSeries, ...]
    xlabel: str


@dataclass(frozen=True)
class IntervalChart:
    """Rank intervals, bottom to top: 90% (thin) and 50% (thick) intervals and a dot."""

    title: str
    labels: tuple[str, ...]
    expected: np.ndarray
    low50: np.ndarray
    high50: np.ndarray
    low90: np.ndarray
    high90: np.ndarray
    seats: int
    xlabel: str


@dataclass(frozen=True)
class PointSeries:
    """One series of a :class:`StripChart`: dots at ``(x, y)`` in one colour."""

    name: str
    x: np.ndarray
    y: np.ndarray
    colour: str


@dataclass(frozen=True)
class StripChart:
    """Columns 1 to ``len(line)`` (groups, in their order), a line through ``line`` (one value
    per column, ``NaN``: none) and dot series over the columns.

    The overview of a large event: each group is one column, so a thousand groups fit one
    screen.
    """

    title: str
    line: np.ndarray
    line_label: str
    series: tuple[PointSeries, ...]
    xlabel: str
    ylabel: str


@dataclass(frozen=True)
class CountChart:
    """Horizontal bars from zero, bottom to top, each with its count written at its end."""

    title: str
    labels: tuple[str, ...]
    counts: np.ndarray
    colour: str
    xlabel: str


Chart = BarChart | DotChart | IntervalChart | StripChart | CountChart
"""Every chart specification :func:`draw` draws."""

_SERIES_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
"""Colours of the dot chart's series: matplotlib's default cycle, written out so that a
style the program has chosen (``axes.prop_cycle``) does not recolour the report."""


def new_figure(width: float, height: float, *, left: float, right: float = 0.2) -> Figure:
    """Return an empty figure with fixed margins (``left`` and ``right`` in inches).

    Examples
    --------
    >>> new_figure(6.0, 3.0, left=1.0).get_size_inches().tolist()
    [6.0, 3.0]
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=min(left / width, 0.6),
        right=1 - right / width,
        top=1 - 0.45 / height,
        bottom=0.55 / height,
    )
    return figure


def label_inches(labels: list[str] | tuple[str, ...], fontsize: float = 8) -> float:
    """Return a margin wide enough for the longest label, in inches.

    Examples
    --------
    >>> round(label_inches(["abcd"]), 3)
    0.494
    """
    longest = max((len(label) for label in labels), default=4)
    return 0.25 + longest * fontsize * 0.55 / 72


def draw(spec: Chart) -> Figure:
    """Return the matplotlib Figure of a chart specification.

    Examples
    --------
    >>> chart = DotChart(("J1",), (DotSeries("c", np.array([0.1]), np.array([0.0]),
    ...                                      np.array([0.2])),), "severity")
    >>> draw(chart).axes[0].get_xlabel()
    'severity'
    """
    if isinstance(spec, BarChart):
        return _bar_chart(spec)
    if isinstance(spec, DotChart):
        return _dot_chart(spec)
    if isinstance(spec, StripChart):
        return _strip_chart(spec)
    if isinstance(spec, CountChart):
        return _count_chart(spec)
    return _interval_chart(spec)


def svg(spec: Chart) -> str:
    """Return a chart specification drawn as SVG text (see :func:`figure_svg`).

    Examples
    --------
    >>> chart = DotChart(("J1",), (), "severity")
    >>> svg(chart).startswith("<svg")
    True
    """
    return figure_svg(draw(spec))


def figure_svg(figure: Figure) -> str:
    """Return ``figure`` as standalone SVG text whose bytes depend only on what is drawn.

    Text stays text (``<text>`` elements: the browser draws names in any script with its own
    fonts) and is measured with fixed character widths, so no font is looked up and no
    "Glyph missing from font" warning is raised. Element ids are renamed in order of first
    use with a prefix hashed from the drawing, so they are the same in every process and
    unique between charts on one page. No date is written. The process's matplotlib
    settings are read as defaults for new artists, never written.

    Examples
    --------
    >>> text = figure_svg(new_figure(2.0, 2.0, left=0.5))
    >>> text.startswith("<svg") and "Date" not in text
    True
    >>> text == figure_svg(new_figure(2.0, 2.0, left=0.5))
    True
    """
    from selection.outputs._svg import figure_svg_text

    return figure_svg_text(figure)


def _bar_chart(spec: BarChart) -> Figure:
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch

    n = len(spec.labels)
    figure = new_figure(7.5, 1.2 + 0.24 * max(n, 1), left=label_inches(spec.labels))
    axes = figure.subplots()
    values = np.asarray(spec.values, dtype=float)
    finite = np.isfinite(values)
    left = max(0.0, float(np.min(values[finite])) - 1.0) if finite.any() else 0.0
    bars = np.where(finite, values, left)
    positions = np.arange(n)
    half = 0.35
    axes.add_collection(
        PolyCollection(
            [
                [(left, y - half), (x, y - half), (x, y + half), (left, y + half)]
                for y, x in zip(positions, bars, strict=True)
            ],
            facecolors=list(spec.colours),
            edgecolors="none",
        )
    )
    high = float(np.max(bars, initial=left + 1.0))
    if spec.errors is not None:
        errors = np.asarray(spec.errors, dtype=float)
        ends = np.column_stack([values - errors, values + errors])
        shown = np.isfinite(ends).all(axis=1)
        axes.add_collection(
            LineCollection(
                [
                    [(lo, y), (hi, y)]
                    for y, (lo, hi) in zip(positions[shown], ends[shown], strict=True)
                ],
                colors="#333333",
                linewidths=1.0,
            )
        )
        high = max(high, float(np.max(ends[shown, 1], initial=high)))
    axes.set_xlim(left, high + 0.05 * max(high - left, 1.0))
    axes.set_ylim(-0.6, max(n, 1) - 0.4)
    _row_labels(axes, spec.labels)
    handles: list[Any] = [Patch(color=colour, label=label) for label, colour in spec.legend]
    if spec.cut is not None:
        handles.append(
            axes.axvline(spec.cut, color="#b2182b", linestyle="--", linewidth=1, label="cut-off")
        )
    if spec.legend:  # the report shows one key for all groups instead
        _legend(axes, handles=handles, loc="lower right", fontsize=8)
    _labels(figure, axes, spec.xlabel, title=spec.title)
    return figure


def _row_labels(axes: Axes, labels: Sequence[str]) -> None:
    """Label rows 0, 1, ... left of the axes: plain texts draw much faster than ticks."""
    axes.set_yticks([])
    place = axes.get_yaxis_transform()  # x in axes fractions, y in data
    for y, label in enumerate(labels):
        axes.text(
            -0.008,
            y,
            label,
            transform=place,
            ha="right",
            va="center",
            fontsize=8,
            parse_math=False,
        )


def _dot_chart(spec: DotChart) -> Figure:
    from matplotlib.collections import LineCollection

    names = [series.name for series in spec.series]
    figure = new_figure(
        7.5,
        1.2 + 0.3 * max(len(spec.rows), 1),
        left=label_inches(spec.rows),
        right=0.3 + label_inches(names, fontsize=7),
    )
    axes = figure.subplots()
    for index, series in enumerate(spec.series):
        colour = _SERIES_COLOURS[index % len(_SERIES_COLOURS)]
        x, y, error = (np.asarray(a, dtype=float) for a in (series.x, series.y, series.error))
        axes.add_collection(
            LineCollection(
                [[(a - e, b), (a + e, b)] for a, b, e in zip(x, y, error, strict=True)],
                colors=colour,
                linewidths=1.0,
            )
        )
        axes.plot(x, y, "o", markersize=4, color=colour, label=series.name)
    axes.axvline(0.0, color="#333333", linewidth=0.8)
    axes.set_ylim(-0.6, max(len(spec.rows), 1) - 0.4)
    _row_labels(axes, spec.rows)
    _labels(figure, axes, spec.xlabel)
    if spec.series:  # outside the plot, so it never hides a row
        _legend(axes, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure


def _interval_chart(spec: IntervalChart) -> Figure:
    n = len(spec.labels)
    figure = new_figure(7.5, 1.2 + 0.24 * max(n, 1), left=label_inches(spec.labels))
    axes = figure.subplots()
    positions = np.arange(n)
    for low, high, width, colour, label in (
        (spec.low90, spec.high90, 1.5, "#92c5de", "90% interval"),
        (spec.low50, spec.high50, 5.0, "#2166ac", "50% interval"),
    ):
        start = np.asarray(low, dtype=float)
        stop = np.asarray(high, dtype=float)
        axes.hlines(positions, start - 0.2, stop + 0.2, color=colour, linewidth=width, label=label)
    axes.plot(spec.expected, positions, "o", color="#b2182b", markersize=4, label="expected rank")
    axes.axvline(spec.seats + 0.5, color="#333333", linestyle="--", linewidth=1, label="cut-off")
    axes.set_ylim(-0.6, max(n, 1) - 0.4)
    _row_labels(axes, spec.labels)
    n_ranks = int(np.nanmax(np.asarray(spec.high90, dtype=float), initial=spec.seats + 1))
    axes.set_xlim(0.5, max(n_ranks, spec.seats + 1) + 0.5)
    _labels(figure, axes, spec.xlabel, title=spec.title)
    _legend(axes, loc="upper right", fontsize=7)
    return figure


def _strip_chart(spec: StripChart) -> Figure:
    n = len(spec.line)
    height = 4.2
    figure = new_figure(7.5, height, left=0.75)
    figure.subplots_adjust(bottom=1.15 / height)  # room for the key under the x label
    axes = figure.subplots()
    for series in spec.series:
        axes.plot(
            np.asarray(series.x, dtype=float),
            np.asarray(series.y, dtype=float),
            linestyle="none",
            marker="o",
            markersize=2.5,
            markeredgewidth=0.0,
            color=series.colour,
            label=series.name,
        )
    axes.plot(
        np.arange(1, n + 1),
        np.asarray(spec.line, dtype=float),
        color="#b2182b",
        linewidth=1.0,
        label=spec.line_label,
    )
    axes.set_xlim(0.5, max(n, 1) + 0.5)
    _labels(figure, axes, spec.xlabel, title=spec.title)
    axes.set_ylabel(spec.ylabel, parse_math=False)
    width = axes.get_position().width * figure.get_figwidth()  # inches
    axes.yaxis.set_label_coords(-0.55 / width, 0.5)
    plot_height = axes.get_position().height * height
    _legend(  # under the chart, so it never hides a group
        axes,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.5 / plot_height),
        ncol=2,
        fontsize=7,
        frameon=False,
    )
    return figure


def _count_chart(spec: CountChart) -> Figure:
    from matplotlib.collections import PolyCollection

    n = len(spec.labels)
    figure = new_figure(7.5, 1.2 + 0.24 * max(n, 1), left=label_inches(spec.labels))
    axes = figure.subplots()
    counts = np.asarray(spec.counts, dtype=float)
    half = 0.35
    axes.add_collection(
        PolyCollection(
            [
                [(0, y - half), (x, y - half), (x, y + half), (0, y + half)]
                for y, x in enumerate(counts)
            ],
            facecolors=spec.colour,
            edgecolors="none",
        )
    )
    high = float(np.max(counts, initial=1.0))
    for y, x in enumerate(counts):
        axes.text(x + 0.01 * high, y, f"{x:.0f}", ha="left", va="center", fontsize=7)
    axes.set_xlim(0.0, 1.12 * high)
    axes.set_ylim(-0.6, max(n, 1) - 0.4)
    _row_labels(axes, spec.labels)
    _labels(figure, axes, spec.xlabel, title=spec.title)
    return figure


def _legend(axes: Axes, **options: Any) -> None:
    """Add a legend whose labels are plain text (a criterion may be named ``$x$``)."""
    for text in axes.legend(**options).get_texts():
        text.set_parse_math(False)


def _labels(figure: Figure, axes: Axes, xlabel: str, *, title: str | None = None) -> None:
    """Set the x label (and title) at fixed places, without measuring the tick labels, and
    at most six x ticks."""
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.set_xlabel(xlabel, parse_math=False)
    height = axes.get_position().height * figure.get_figheight()  # inches
    axes.xaxis.set_label_coords(0.5, -0.3 / height)
    if title is not None:
        axes.set_title(title, y=1.0, pad=6, parse_math=False)
