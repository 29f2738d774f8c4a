"""Marks as aligned integer arrays, and the clean score frame built from them.

:func:`scoring.ingest.scores.check_scores` turns a score sheet into :class:`Marks` (codes
into the distinct juror and target ids, the criterion index, the score and the source
row), checks them, and returns :func:`clean_frame`. Everything here is linear in the
number of marks: keys are small integers, so sorting is a scatter into the key range.

:class:`MarkIndex` is the canonical, integer-coded view of a clean scores frame that every
numeric step of :mod:`scoring` shares: marks sorted by ``criterion, target_id, juror_id``
with the ids factorised in sorted order, so no result depends on the input's row order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.ingest.textscan import drop_unused, factorize_runs, text_order

__all__ = [
    "MarkIndex",
    "Marks",
    "clean_frame",
    "index_marks",
    "key_dtype",
    "mark_keys",
    "sort_keys",
    "unique_clean_frame",
]


@dataclass(frozen=True)
class Marks:
    """Marks as aligned arrays: codes into ``jurors``/``targets``, criterion index, score,
    source row; ``names`` and ``columns`` give each criterion's name and sheet column."""

    juror: np.ndarray
    target: np.ndarray
    criterion: np.ndarray
    score: np.ndarray
    row: np.ndarray
    jurors: np.ndarray
    targets: np.ndarray
    names: np.ndarray
    columns: np.ndarray

    def subset(self, mask: np.ndarray) -> Marks:
        """Return the marks where ``mask`` is True (these marks when it is True everywhere)."""
        if mask.all():
            return self
        return replace(
            self,
            juror=self.juror[mask],
            target=self.target[mask],
            criterion=self.criterion[mask],
            score=self.score[mask],
            row=self.row[mask],
        )

    def where(self, position: int) -> tuple[str, str, int, int, str]:
        """Return juror id, target id, criterion index, source row and column of a mark."""
        c = int(self.criterion[position])
        return (
            str(self.jurors[self.juror[position]]),
            str(self.targets[self.target[position]]),
            c,
            int(self.row[position]),
            str(self.columns[c]),
        )


def mark_keys(marks: Marks) -> np.ndarray:
    """Code each mark's (criterion, target, juror) as one integer below the product of
    the counts (each plus one).

    Examples
    --------
    >>> one = np.array([0])
    >>> m = Marks(one, one, one, np.array([7.0]), np.array([2]), np.array(["J"], dtype=object),
    ...           np.array(["T"], dtype=object), np.array(["c"], dtype=object),
    ...           np.array(["score"], dtype=object))
    >>> mark_keys(m).tolist()
    [0]
    """
    n_targets, n_jurors = len(marks.targets) + 1, len(marks.jurors) + 1
    kind = key_dtype((len(marks.names) + 1) * n_targets * n_jurors)
    criterion, target, juror = (
        a.astype(kind, copy=False) for a in (marks.criterion, marks.target, marks.juror)
    )
    return (criterion * n_targets + target) * n_jurors + juror


def key_dtype(size: int) -> type[np.signedinteger]:
    """Return int32 when keys below ``size`` fit in it (half the memory traffic), else int64.

    Examples
    --------
    >>> key_dtype(10**6).__name__, key_dtype(10**10).__name__
    ('int32', 'int64')
    """
    return np.int32 if size < 2**31 else np.int64


def clean_frame(marks: Marks, config: EventConfig) -> pd.DataFrame:
    """Return the clean long score frame of ``marks``, sorted by criterion, target, juror
    (marks that share all three keep their order).

    Columns ``juror_id, target_id, criterion, score, level, source_row``. The four text
    columns are categorical: their categories are the sorted distinct texts the frame
    holds, and each row's code comes from its sorted key, so no Python string is made per
    mark.

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> m = Marks(np.array([1, 0]), np.array([0, 0]), np.array([0, 0]), np.array([7.0, 8.0]),
    ...           np.array([2, 3]), np.array(["J2", "J1"], dtype=object),
    ...           np.array(["T"], dtype=object), np.array(["pitch"], dtype=object),
    ...           np.array(["score"], dtype=object))
    >>> frame = clean_frame(m, config)
    >>> frame[["juror_id", "score", "source_row"]].to_dict("list")
    {'juror_id': ['J1', 'J2'], 'score': [7.0, 8.0], 'source_row': [2, 3]}
    >>> frame["juror_id"].cat.categories.tolist()
    ['J1', 'J2']
    """
    frame = _clean_frame(marks, config, unique=False)
    assert frame is not None  # only unique=True gives None
    return frame


def unique_clean_frame(marks: Marks, config: EventConfig) -> pd.DataFrame | None:
    """Return :func:`clean_frame` of ``marks``, or None when two marks share criterion,
    target and juror. Sorting finds that for free, so a caller looks for repeated marks
    only when there are some.

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}]})
    >>> names = np.array(["J1"], dtype=object), np.array(["T"], dtype=object)
    >>> twice = Marks(np.array([0, 0]), np.array([0, 0]), np.array([0, 0]),
    ...               np.array([7.0, 8.0]), np.array([2, 3]), *names,
    ...               np.array(["pitch"], dtype=object), np.array(["score"], dtype=object))
    >>> unique_clean_frame(twice, config) is None
    True
    """
    return _clean_frame(marks, config, unique=True)


def _clean_frame(marks: Marks, config: EventConfig, *, unique: bool) -> pd.DataFrame | None:
    size = len(marks.names) * len(marks.targets) * len(marks.jurors)
    kind = key_dtype(size)

    def by_rank(values: np.ndarray) -> np.ndarray:
        """``by_rank(v)[r]`` is the code of the r-th smallest text."""
        return text_order(values)

    def rank_of(order: np.ndarray) -> np.ndarray:
        ranks = np.empty(len(order), dtype=kind)
        ranks[order] = np.arange(len(order), dtype=kind)
        return ranks

    n_jurors, n_targets = len(marks.jurors), len(marks.targets)
    jurors, targets, names = by_rank(marks.jurors), by_rank(marks.targets), by_rank(marks.names)
    key = (
        rank_of(names)[marks.criterion] * n_targets + rank_of(targets)[marks.target]
    ) * n_jurors + rank_of(jurors)[marks.juror]
    order, key, scattered = _sort_keys(key, size)
    if unique and not scattered and bool((key[1:] == key[:-1]).any()):
        return None
    # Sorted keys run criterion by criterion: bisection finds each criterion's block, so
    # the criterion and level columns are runs of one code, not arithmetic on every mark.
    block = n_targets * n_jurors
    counts = np.diff(np.searchsorted(key, (np.arange(len(names) + 1) * block).astype(key.dtype)))
    level_of = np.array([c.level for c in config.criteria], dtype=object)[names]
    return pd.DataFrame(
        {
            col.JUROR_ID: _categorical(marks.jurors[jurors], key % n_jurors),
            col.TARGET_ID: _categorical(marks.targets[targets], key // n_jurors % n_targets),
            col.CRITERION: _runs(marks.names[names], counts),
            col.SCORE: marks.score[order].astype(float, copy=False),
            col.LEVEL: _runs(level_of, counts),
            col.SOURCE_ROW: _rows_in_order(marks.row, order),
        },
        copy=False,  # every column is a fresh array
    )


def _runs(texts: np.ndarray, counts: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The categorical column holding ``texts[i]`` ``counts[i]`` times in a row, with the
    sorted distinct texts used as categories (texts may repeat)."""
    used = counts > 0
    present = np.asarray(pd.unique(texts[used]), dtype=object)
    categories = pd.Index(present[text_order(present)], dtype="str")
    codes = categories.get_indexer(texts[used])
    small = np.int8 if len(categories) < 127 else np.int32
    return pd.Categorical.from_codes(
        np.repeat(codes.astype(small), counts[used]),
        dtype=pd.CategoricalDtype(categories),
        validate=False,
    )


def _categorical(texts: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The column ``texts[codes]`` for sorted distinct ``texts``, as a categorical that keeps
    only the texts used."""
    codes, used = drop_unused(codes, len(texts))
    index = pd.Index(texts[used], dtype="str")
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(index), validate=False)


def sort_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the stable sorting order of non-negative integer keys below ``size``, and the
    sorted keys.

    Keys are unique here (duplicate marks are dropped before), so when the key range is
    small a scatter into ``size`` slots sorts in linear time; otherwise, or if keys repeat,
    a stable argsort does.

    Examples
    --------
    >>> order, keys = sort_keys(np.array([5, 1, 3]), 8)
    >>> order.tolist(), keys.tolist()
    ([1, 2, 0], [1, 3, 5])
    """
    order, keys, _ = _sort_keys(key, size)
    return order, keys


def _sort_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`sort_keys`, and whether the scatter sorted the keys (which proves them unique)."""
    if size <= 4 * len(key) + 1024:
        kind = key_dtype(max(size, len(key)))
        slots = np.full(size, -1, dtype=kind)
        slots[key] = np.arange(len(key), dtype=kind)
        filled = slots >= 0
        order = slots[filled]
        if len(order) == len(key):
            return order, np.flatnonzero(filled).astype(kind, copy=False), True
    order = np.argsort(key, kind="stable")
    return order, key[order], False


def _rows_in_order(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``rows[order]`` as int64; when the rows are consecutive (a long sheet without blank
    rows) an addition replaces the scattered gather."""
    n = len(rows)
    if n and rows[-1] - rows[0] == n - 1 and np.array_equal(rows, np.arange(rows[0], rows[0] + n)):
        return order.astype(np.int64) + int(rows[0])
    return rows[order].astype(np.int64, copy=False)


@dataclass(frozen=True)
class MarkIndex:
    """Marks in canonical order with integer codes of their ids.

    Build it with :func:`index_marks`. ``marks`` is the scores frame sorted by
    ``criterion, target_id, juror_id`` (index ``0..n-1``); ``criterion``, ``target`` and
    ``juror`` are ``int64`` codes into the sorted unique ids ``criteria``, ``targets`` and
    ``jurors``. A *panel* is the set of marks of one target on one criterion; panels are
    contiguous runs of ``marks`` numbered ``0..n_panels-1`` in canonical order.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J1", "J2", "J3", "J1"],
    ...                       "target_id": ["A", "A", "A", "B"], "criterion": "pitch",
    ...                       "score": [2.0, 4.0, 9.0, 5.0]})
    >>> index = index_marks(marks)
    >>> index.panel_mean(index.values()).tolist()
    [5.0, 5.0]
    >>> index.loo_mean(index.values()).tolist()
    [6.5, 5.5, 3.0, nan]
    >>> index.subset(index.juror == 0).marks["target_id"].tolist()
    ['A', 'B']
    """

    marks: pd.DataFrame
    criterion: np.ndarray
    target: np.ndarray
    juror: np.ndarray
    criteria: np.ndarray
    targets: np.ndarray
    jurors: np.ndarray
    panel: np.ndarray
    panel_start: np.ndarray
    panel_size: np.ndarray

    @property
    def n_marks(self) -> int:
        """Number of marks."""
        return len(self.marks)

    @property
    def n_panels(self) -> int:
        """Number of (target, criterion) panels."""
        return len(self.panel_start)

    @property
    def panel_criterion(self) -> np.ndarray:
        """Criterion code of each panel."""
        return self.criterion[self.panel_start]

    @property
    def panel_target(self) -> np.ndarray:
        """Target code of each panel."""
        return self.target[self.panel_start]

    def values(self, column: str = col.SCORE) -> np.ndarray:
        """Return a numeric column of ``marks`` as a float64 array."""
        return self.marks[column].to_numpy(dtype="float64")

    def juror_key(self) -> np.ndarray:
        """Return the code of each mark's (criterion, juror) pair: ``criterion * n + juror``."""
        return self.criterion * len(self.jurors) + self.juror

    def panel_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (one per mark) over each panel, in canonical order."""
        if self.n_marks == 0:
            return np.zeros(0)
        return np.add.reduceat(values, self.panel_start)

    def panel_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over each panel."""
        return self.panel_sum(values) / self.panel_size

    def loo_mean(self, values: np.ndarray) -> np.ndarray:
        """Return, for each mark, the mean of the *other* jurors' values on the same panel.

        ``(panel_sum - x) / (n - 1)``; missing (NaN) when the juror is alone on the panel.
        """
        n = self.panel_size[self.panel]
        others = self.panel_sum(values)[self.panel] - values
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 1, others / np.maximum(n - 1, 1), np.nan)

    def subset(self, keep: np.ndarray) -> MarkIndex:
        """Return the index of the marks where the boolean array ``keep`` is true."""
        marks = self.marks.loc[keep].reset_index(drop=True)
        return _build(marks, self.criterion[keep], self.target[keep], self.juror[keep], self._ids())

    def with_column(self, name: str, values: np.ndarray) -> MarkIndex:
        """Return the same index whose ``marks`` has the column ``name`` set to ``values``."""
        marks = self.marks.assign(**{name: values})
        return replace(self, marks=marks)

    def _ids(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.criteria, self.targets, self.jurors


def index_marks(scores: pd.DataFrame | MarkIndex) -> MarkIndex:
    """Sort marks canonically and factorise their ids.

    Canonical order is ``criterion, target_id, juror_id`` (then ``score`` and
    ``source_row`` for duplicates), ids compared as text, so two frames holding the same
    marks in any row order give identical indexes. The input frame is not modified.

    Parameters
    ----------
    scores
        Marks with at least ``juror_id, target_id, criterion, score``. A
        :class:`MarkIndex` is returned unchanged.

    Returns
    -------
    MarkIndex
        The sorted marks and their codes.

    Examples
    --------
    >>> import pandas as pd
    >>> marks = pd.DataFrame({"juror_id": ["J2", "J1"], "target_id": ["C1", "C1"],
    ...                       "criterion": "pitch", "score": [5.0, 7.0]})
    >>> index = index_marks(marks)
    >>> index.marks["juror_id"].tolist(), index.jurors.tolist(), index.panel_size.tolist()
    (['J1', 'J2'], ['J1', 'J2'], [2])
    """
    if isinstance(scores, MarkIndex):
        return scores
    ids = []
    codes = []
    for column in (col.CRITERION, col.TARGET_ID, col.JUROR_ID):
        code, unique = _sorted_codes(scores[column])
        codes.append(code)
        ids.append(unique)
    criterion, target, juror = codes
    key = (criterion * len(ids[1]) + target) * len(ids[2]) + juror
    marks = scores.reset_index(drop=True)
    if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
        sort_keys: list[np.ndarray] = [key]
        sort_keys.insert(0, marks[col.SCORE].to_numpy(dtype="float64"))
        if col.SOURCE_ROW in marks:
            sort_keys.insert(0, marks[col.SOURCE_ROW].to_numpy())
        order = np.lexsort(sort_keys)
        marks = marks.take(order).reset_index(drop=True)
        criterion, target, juror = criterion[order], target[order], juror[order]
    return _build(marks, criterion, target, juror, (ids[0], ids[1], ids[2]))


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorise ``values`` with codes in sorted order of the unique values.

    A categorical column (a validated event's) gives its codes directly; other columns
    are factorised from their runs of equal ids when those are long (events arrive in
    canonical order), see :func:`~scoring.ingest.textscan.factorize_runs`.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        coded = _category_codes(values)
        if coded is not None:
            return coded
    codes, unique = factorize_runs(values.to_numpy(dtype=object), sort=True)
    return codes.astype(np.int64, copy=False), unique


def _category_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_sorted_codes` of a categorical column without blanks whose categories are
    sorted (None otherwise): its codes, renumbered when some categories are unused."""
    codes = values.cat.codes.to_numpy()
    categories = pd.Index(values.cat.categories)
    if codes.min(initial=0) < 0 or not categories.is_monotonic_increasing:
        return None
    codes, used = drop_unused(codes, len(categories))
    return codes.astype(np.int64, copy=False), categories.to_numpy(dtype=object)[used]


def _build(
    marks: pd.DataFrame,
    criterion: np.ndarray,
    target: np.ndarray,
    juror: np.ndarray,
    ids: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> MarkIndex:
    n = len(marks)
    new_panel = np.ones(n, dtype=bool)
    if n > 1:
        new_panel[1:] = (criterion[1:] != criterion[:-1]) | (target[1:] != target[:-1])
    panel_start = np.flatnonzero(new_panel)
    panel = np.cumsum(new_panel) - 1
    panel_size = np.diff(np.append(panel_start, n))
    return MarkIndex(
        marks=marks,
        criterion=criterion,
        target=target,
        juror=juror,
        criteria=ids[0],
        targets=ids[1],
        jurors=ids[2],
        panel=panel,
        panel_start=panel_start,
        panel_size=panel_size,
    )
