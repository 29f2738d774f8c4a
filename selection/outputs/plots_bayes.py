"""Charts of the Bayesian ranking (``[scoring] method = "bayes"``) for the report and notebooks.

Drawn like :mod:`selection.outputs.plots`: matplotlib is imported only when a chart is drawn,
margins are fixed, and :func:`selection.outputs.draw.figure_svg` renders a figure as byte-stable
SVG.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selection import columns as col
from selection.outputs.draw import CountChart, IntervalChart, draw, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "grey_zone_chart",
    "grey_zone_figure",
    "grey_zone_sizes",
    "rank_interval_chart",
    "rank_interval_figure",
    "rankogram_figure",
]


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
        The chart; render it with :func:`selection.outputs.plots.figure_svg`.

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b", "c"], "group": "G",
    ...     "expected_rank": [1.2, 2.1, 2.7], "rank_lo50": [1, 2, 2], "rank_hi50": [1, 2, 3],
    ...     "rank_lo90": [1, 1, 2], "rank_hi90": [2, 3, 3]})
    >>> figure = rank_interval_figure(posterior, "G", seats=2)
    >>> figure.axes[0].get_title(), figure.axes[0].get_xlabel()
    ('G', 'rank in the group (1 = best)')
    """
    return draw(rank_interval_chart(posterior, group, seats))


def rank_interval_chart(posterior: pd.DataFrame, group: str, seats: int) -> IntervalChart:
    """Return the specification of :func:`rank_interval_figure` (plain data).

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b"], "group": "G",
    ...     "expected_rank": [1.2, 1.8], "rank_lo50": [1, 2], "rank_hi50": [1, 2],
    ...     "rank_lo90": [1, 1], "rank_hi90": [2, 2]})
    >>> rank_interval_chart(posterior, "G", seats=1).labels
    ('b', 'a')
    """
    rows = _group_rows(posterior, group)

    def column(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=float)

    return IntervalChart(
        title=str(group),
        labels=tuple(_labels(rows)),
        expected=column(col.EXPECTED_RANK),
        low50=column(col.RANK_LO50),
        high50=column(col.RANK_HI50),
        low90=column(col.RANK_LO90),
        high90=column(col.RANK_HI90),
        seats=int(seats),
        xlabel="rank in the group (1 = best)",
    )


def grey_zone_sizes(posterior: pd.DataFrame, seats: Mapping[str, int]) -> pd.Series:
    """Return the number of candidates in each group's grey zone, by group (in ``seats``' order).

    A candidate is in the grey zone when the 50% credible interval of their rank crosses
    the cut-off: ``rank_lo50 <= seats < rank_hi50`` (the zone ``grey`` of the grey-zone
    lottery, :func:`selection.uncertainty.lottery.rank_zones`).

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b", "c"], "group": "G",
    ...     "rank_lo50": [1, 1, 3], "rank_hi50": [1, 3, 3]})
    >>> grey_zone_sizes(posterior, {"G": 2, "H": 1}).to_dict()
    {'G': 1, 'H': 0}
    """
    low = posterior[col.RANK_LO50].to_numpy(dtype=float, na_value=np.nan)
    high = posterior[col.RANK_HI50].to_numpy(dtype=float, na_value=np.nan)
    k = posterior[col.GROUP].map(seats).to_numpy(dtype=float, na_value=np.nan)
    grey = (low <= k) & (high > k)  # NaN (no interval, unknown group): never grey
    counts = pd.Series(grey, dtype=int).groupby(posterior[col.GROUP].to_numpy()).sum()
    return counts.reindex(list(seats), fill_value=0).astype(int)


def grey_zone_figure(posterior: pd.DataFrame, seats: Mapping[str, int]) -> Figure:
    """Return how many groups have a grey zone of each size: one bar per size, none first.

    See :func:`grey_zone_sizes`. Fits one screen whatever the number of groups.

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b", "c"], "group": "G",
    ...     "rank_lo50": [1, 1, 3], "rank_hi50": [1, 3, 3]})
    >>> grey_zone_figure(posterior, {"G": 2, "H": 1}).axes[0].get_xlabel()
    'groups'
    """
    return draw(grey_zone_chart(posterior, seats))


def grey_zone_chart(posterior: pd.DataFrame, seats: Mapping[str, int]) -> CountChart:
    """Return the specification of :func:`grey_zone_figure` (plain data).

    Examples
    --------
    >>> posterior = pd.DataFrame({"candidate_id": ["a", "b", "c"], "group": "G",
    ...     "rank_lo50": [1, 1, 3], "rank_hi50": [1, 3, 3]})
    >>> chart = grey_zone_chart(posterior, {"G": 2, "H": 1})
    >>> chart.labels, chart.counts.tolist()
    (('1 candidate', 'none'), [1, 1])
    """
    sizes = np.bincount(grey_zone_sizes(posterior, seats).to_numpy(dtype=np.int64), minlength=1)
    labels = [
        "none" if size == 0 else f"{size} candidate{'' if size == 1 else 's'}"
        for size in range(len(sizes))
    ]
    return CountChart(
        title="Grey zones: candidates whose rank interval crosses the cut-off",
        labels=tuple(reversed(labels)),
        counts=sizes[::-1].copy(),
        colour="#2166ac",
        xlabel="groups",
    )


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
    figure = new_figure(6.0, 0.6 + 1.0 * max(len(candidate_ids), 1), left=0.6)
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
