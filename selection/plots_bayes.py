"""Charts of the Bayesian ranking (``[scoring] method = "bayes"``) for the report and notebooks.

Drawn like :mod:`selection.plots`: matplotlib is imported only when a chart is drawn, margins
are fixed, and :func:`selection.plots.figure_svg` renders a figure as byte-stable SVG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring import columns as col
from selection.plots import _figure, _label_inches

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["rank_interval_figure", "rankogram_figure"]


def _group_rows(posterior: pd.DataFrame, group: str) -> pd.DataFrame:
    rows = posterior[(posterior[col.GROUP] == group) & posterior[col.EXPECTED_RANK].notna()]
    return rows.sort_values([col.EXPECTED_RANK, col.CANDIDATE_ID], ascending=[False, True])


def _labels(rows: pd.DataFrame) -> list[str]:
    if col.NAME in rows:
        return [f"{n} ({c})" for n, c in zip(rows[col.NAME], rows[col.CANDIDATE_ID], strict=True)]
    return [str(c) for c in rows[col.CANDIDATE_ID]]


def rank_interval_figure(posterior: pd.DataFrame, group: str, seats: int) -> Figure:
    """Return the rank-interval chart of ``group``: expected rank with 50% and 90% intervals.

    One row per candidate with a merit, best at the top: a thin bar spans the 90% credible
    interval of the rank, a thick bar the 50% interval, and a dot marks the expected rank.
    A dashed line between ranks ``seats`` and ``seats + 1`` is the cut-off: candidates whose
    interval crosses it are in the grey zone, where the data cannot tell them apart from
    the other side.

    Parameters
    ----------
    posterior
        Posterior summaries (:data:`scoring.columns.POSTERIOR_COLUMNS`), optionally with
        ``name``; not modified.
    group
        The group to draw.
    seats
        Representatives selected in the group.

    Returns
    -------
    matplotlib.figure.Figure
        The chart; render it with :func:`selection.plots.figure_svg`.

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b", "c"], "group": "G",
    ...     "expected_rank": [1.2, 2.1, 2.7], "rank_lo50": [1, 2, 2], "rank_hi50": [1, 2, 3],
    ...     "rank_lo90": [1, 1, 2], "rank_hi90": [2, 3, 3]})
    >>> figure = rank_interval_figure(posterior, "G", seats=2)
    >>> figure.axes[0].get_title(), figure.axes[0].get_xlabel()
    ('G', 'rank in the group (1 = best)')
    """
    rows = _group_rows(posterior, group)
    labels = _labels(rows)
    figure = _figure(7.5, 1.2 + 0.24 * max(len(rows), 1), left=_label_inches(labels))
    axes = figure.subplots()
    positions = np.arange(len(rows))
    expected = rows[col.EXPECTED_RANK].to_numpy(dtype=float)
    for low, high, width, colour, label in (
        (col.RANK_LO90, col.RANK_HI90, 1.5, "#92c5de", "90% interval"),
        (col.RANK_LO50, col.RANK_HI50, 5.0, "#2166ac", "50% interval"),
    ):
        start = rows[low].to_numpy(dtype=float)
        stop = rows[high].to_numpy(dtype=float)
        axes.hlines(positions, start - 0.2, stop + 0.2, color=colour, linewidth=width, label=label)
    axes.plot(expected, positions, "o", color="#b2182b", markersize=4, label="expected rank")
    axes.axvline(seats + 0.5, color="#333333", linestyle="--", linewidth=1, label="cut-off")
    axes.set_yticks(positions, labels, fontsize=8)
    n_ranks = int(np.nanmax(rows[col.RANK_HI90].to_numpy(dtype=float), initial=seats + 1))
    axes.set_xlim(0.5, max(n_ranks, seats + 1) + 0.5)
    axes.set_xlabel("rank in the group (1 = best)")
    axes.set_title(str(group))
    axes.legend(loc="upper right", fontsize=7)
    return figure


def rankogram_figure(
    rankogram: pd.DataFrame, candidate_ids: list[str], *, seats: int | None = None
) -> Figure:
    """Return rankograms: the probability of each rank, one bar panel per candidate.

    Parameters
    ----------
    rankogram
        :data:`scoring.columns.RANKOGRAM_COLUMNS`; not modified.
    candidate_ids
        Candidates to draw, top to bottom.
    seats
        When given, ranks within the seats are drawn darker.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.

    Examples
    --------
    >>> gram = pd.DataFrame({"candidate_id": ["a", "a", "b", "b"], "rank": [1, 2, 1, 2],
    ...                      "probability": [0.7, 0.3, 0.3, 0.7]})
    >>> len(rankogram_figure(gram, ["a", "b"], seats=1).axes)
    2
    """
    figure = _figure(6.0, 0.6 + 1.0 * max(len(candidate_ids), 1), left=0.6)
    axes_list = figure.subplots(max(len(candidate_ids), 1), 1, sharex=True, squeeze=False)[:, 0]
    for axes, candidate in zip(axes_list, candidate_ids, strict=False):
        rows = rankogram[rankogram[col.CANDIDATE_ID] == candidate]
        ranks = rows[col.RANK].to_numpy(dtype=int)
        colours = ["#2166ac" if seats is not None and r <= seats else "#92c5de" for r in ranks]
        axes.bar(ranks, rows[col.PROBABILITY].to_numpy(dtype=float), color=colours)
        axes.set_ylim(0, 1)
        axes.set_ylabel(str(candidate), fontsize=8)
        axes.tick_params(labelsize=7)
    axes_list[-1].set_xlabel("rank in the group (1 = best)")
    return figure
