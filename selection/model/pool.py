"""Candidates prepared for selection: one sorted row each, merit on an integer grid, a lottery.

:func:`prepare_pool` turns the candidates and merit frames into a :class:`Pool`: one row per
candidate sorted by ``group`` then ``candidate_id`` (so nothing depends on input row order), merit
on an integer grid and a lottery drawn from the seed. :mod:`selection.model.program` builds the
integer programme on it.

Integer grid
    ``grid_merit = round(merit / grid_step)`` with ``grid_step = 1e-6`` merit units, made
    ten times coarser as often as needed to keep the spread of grid merits below ``10**8``.
    Two candidates closer than the grid step tie; sums of grid merits are exact integers, so
    float noise can neither create nor hide a tie, and a zero MIP gap is meaningful.
Lottery
    Candidates are ordered by the BLAKE2b hash of ``"<seed>:<candidate_id>"`` (ties of the
    hash by id); ``lottery = 1`` is the most favoured. A candidate's lottery position depends
    on the seed and the ids only, never on row order or solver.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import SelectionConfig
>>> cands = pd.DataFrame({"candidate_id": ["b", "a"], "name": ["B", "A"],
...                       "group": ["G", "G"], "eligible": [True, True]})
>>> merit = pd.DataFrame({"candidate_id": ["a", "b"], "merit": [7.5, 8.0]})
>>> pool = prepare_pool(cands, merit, SelectionConfig(per_group=1))
>>> pool.frame["candidate_id"].tolist(), pool.grid_merit.tolist(), pool.n_seats
(['a', 'b'], [7500000, 8000000], 1)
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from scoring.config import SelectionConfig
from scoring.errors import InvalidEventError, Issue
from selection import columns as col

__all__ = [
    "MAX_GRID_SPREAD",
    "MERIT_GRID_STEP",
    "BoolArray",
    "IntArray",
    "Pool",
    "example_event",
    "lottery_ranks",
    "prepare_pool",
]

MERIT_GRID_STEP = 1e-6
"""Finest merit grid step; merits closer than the step tie."""
MAX_GRID_SPREAD = 10**8
"""Largest spread of grid merits among selectable candidates (coarsen the grid above it)."""

IntArray = np.ndarray
BoolArray = np.ndarray
T = TypeVar("T")


def example_event() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(candidates, merit)`` of a tiny event, used in the examples.

    Africa: c1 Ana (F, P1, 9.0), c2 Bo (M, P1, 8.0), c3 Cy (M, P2, 7.0), c4 Di (F, P3, 6.0).
    Asia: c5 Eun (F, P4, 8.5), c6 Fei (M, P5, 7.5), c7 Gan (M, P5, 5.0, not eligible).

    Examples
    --------
    >>> candidates, merit = example_event()
    >>> candidates.columns.tolist(), merit[col.MERIT].sum()
    (['candidate_id', 'name', 'group', 'project', 'eligible', 'gender'], np.float64(51.0))
    """
    ids = [f"c{i}" for i in range(1, 8)]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: ["Ana", "Bo", "Cy", "Di", "Eun", "Fei", "Gan"],
            col.GROUP: ["Africa"] * 4 + ["Asia"] * 3,
            col.PROJECT: ["P1", "P1", "P2", "P3", "P4", "P5", "P5"],
            col.ELIGIBLE: [True] * 6 + [False],
            "gender": ["F", "M", "M", "F", "F", "M", "M"],
        }
    )
    return candidates, pd.DataFrame(
        {col.CANDIDATE_ID: ids, col.MERIT: [9.0, 8.0, 7.0, 6.0, 8.5, 7.5, 5.0]}
    )


def lottery_ranks(candidate_ids: Sequence[str], seed: int) -> np.ndarray:
    """Return each candidate's lottery position (1 = most favoured) drawn from ``seed``.

    The order is that of the BLAKE2b hash of ``"<seed>:<candidate_id>"``, so it depends on
    the seed and the ids only (not on row order, not on the other candidates' order).

    Examples
    --------
    >>> a, b = lottery_ranks(["a", "b", "c"], 7), lottery_ranks(["c", "a", "b"], 7)
    >>> a.tolist() == b[[1, 2, 0]].tolist()
    True
    """
    ids = np.array([str(i) for i in candidate_ids], dtype=str)
    digest = np.frombuffer(
        b"".join(hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest() for i in ids),
        dtype=">u8",
    )
    order = np.lexsort((np.argsort(np.argsort(ids, kind="stable")), digest))
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(1, len(ids) + 1)
    return ranks


@dataclass(frozen=True, eq=False)
class Pool:
    """Candidates prepared for the model, in ``group, candidate_id`` order.

    Attributes
    ----------
    frame
        One row per candidate: ``candidate_id, name, group, project, eligible``, the
        attribute columns, then ``merit, merit_se`` (``NaN`` without marks) and ``lottery``.
    group_names
        Sorted group names; ``group_code`` indexes into it.
    seats
        The seats of each group (``per_group`` or its override).
    grid_merit
        ``round(merit / grid_step)`` (0 for candidates without merit).
    selectable
        Eligible and with a merit: the candidates that get a model column.
    column
        Model column of each candidate (``-1`` when not selectable).

    Examples
    --------
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> pool.group_names, pool.n_candidates, pool.n_seats, pool.selectable.sum()
    (('Africa', 'Asia'), 7, 4, np.int64(6))
    """

    frame: pd.DataFrame
    group_names: tuple[str, ...]
    group_code: IntArray
    seats: IntArray
    merit: np.ndarray
    grid_merit: IntArray
    grid_step: float
    lottery: IntArray
    eligible: BoolArray
    selectable: BoolArray
    column: IntArray
    _memo: dict[object, Any] = field(default_factory=dict, repr=False)

    @property
    def n_candidates(self) -> int:
        """Number of candidates."""
        return len(self.frame)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.group_names)

    @property
    def n_seats(self) -> int:
        """Total number of seats."""
        return int(self.seats.sum())

    @property
    def x_positions(self) -> IntArray:
        """Pool positions of the selectable candidates, i.e. of the model's x columns."""
        return np.flatnonzero(self.selectable)

    @property
    def candidate_ids(self) -> np.ndarray:
        """Candidate ids in pool order."""
        return self.cached("ids", lambda: self.frame[col.CANDIDATE_ID].to_numpy(dtype=object))

    def cached(self, key: object, compute: Callable[[], T]) -> T:
        """Return ``compute()``, computed once per pool and ``key`` (rules cache their masks)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def codes(self, attribute: str) -> tuple[IntArray, tuple[str, ...]]:
        """Return integer codes of ``attribute`` (``-1`` when missing) and its sorted values.

        Examples
        --------
        >>> import pandas as pd
        >>> from scoring.config import SelectionConfig
        >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"],
        ...                   "group": ["G", "G"], "gender": ["M", None]})
        >>> m = pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2.0]})
        >>> codes, values = prepare_pool(c, m, SelectionConfig(per_group=1)).codes("gender")
        >>> codes.tolist(), values
        ([0, -1], ('M',))
        """

        def compute() -> tuple[IntArray, tuple[str, ...]]:
            codes, uniques = pd.factorize(self.frame[attribute].astype("str"), sort=True)
            return np.asarray(codes, dtype=np.int64), tuple(str(u) for u in uniques)

        return self.cached(("codes", attribute), compute)

    def position(self, candidate_id: str) -> int:
        """Return the pool position of ``candidate_id`` (``-1`` when unknown)."""
        index = self.cached(
            "positions", lambda: {str(c): i for i, c in enumerate(self.candidate_ids)}
        )
        return index.get(str(candidate_id), -1)

    def without(self, positions: Sequence[int]) -> Pool:
        """Return the pool with the candidates at ``positions`` no longer eligible (in the
        same order: every other position is unchanged), as when they withdraw.

        Examples
        --------
        >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
        >>> gone = pool.without([pool.position("c1")])
        >>> int(gone.selectable.sum()), bool(gone.eligible[pool.position("c1")])
        (5, False)
        """
        out = np.zeros(self.n_candidates, dtype=bool)
        out[list(positions)] = True
        eligible, selectable = self.eligible & ~out, self.selectable & ~out
        column = np.full(self.n_candidates, -1, dtype=np.int64)
        column[selectable] = np.arange(int(selectable.sum()))
        frame = self.frame.copy()
        frame[col.ELIGIBLE] = frame[col.ELIGIBLE].astype(bool) & ~out
        return dataclasses.replace(
            self, frame=frame, eligible=eligible, selectable=selectable, column=column, _memo={}
        )

    def subset(self, groups: Sequence[int]) -> Pool:
        """Return the pool of the given group codes only (lottery positions are kept)."""
        codes = sorted(groups)
        keep = np.isin(self.group_code, codes)
        selectable = self.selectable[keep]
        column = np.full(int(keep.sum()), -1, dtype=np.int64)
        column[selectable] = np.arange(int(selectable.sum()))
        code = np.searchsorted(codes, self.group_code[keep]).astype(np.int64)
        return Pool(
            self.frame[keep].reset_index(drop=True),
            tuple(self.group_names[g] for g in codes),
            code,
            self.seats[codes],
            self.merit[keep],
            self.grid_merit[keep],
            self.grid_step,
            self.lottery[keep],
            self.eligible[keep],
            selectable,
            column,
        )

    def label(self, position: int) -> str:
        """Return ``"Name (id)"`` for a pool position, as used in messages."""
        return f"{self.frame[col.NAME].iat[position]} ({self.candidate_ids[position]})"

    def where(self, group: int) -> str:
        """Return ``"group <name>"`` or, for ``-1``, ``"the whole event"``."""
        return f"group {self.group_names[group]}" if group >= 0 else "the whole event"


def _input_issues(candidates: pd.DataFrame, merit: pd.DataFrame) -> list[Issue]:
    def error(code: str, message: str, column: str, value: str | None = None) -> Issue:
        return Issue("error", f"selection.{code}", message, column=column, value=value)

    issues = [
        error("missing_column", f"The {role} frame has no column '{name}'; add it.", name)
        for frame, role, required in (
            (candidates, "candidates", (col.CANDIDATE_ID, col.NAME, col.GROUP)),
            (merit, "merit", (col.CANDIDATE_ID, col.MERIT)),
        )
        for name in required
        if name not in frame.columns
    ]
    if issues:
        return issues
    for frame, role in ((candidates, "candidates"), (merit, "merit")):
        ids = frame[col.CANDIDATE_ID].astype(str)
        issues += [
            error(
                "duplicate_id",
                f"Candidate id '{i}' appears more than once in the "
                f"{role} frame; ids must be unique.",
                col.CANDIDATE_ID,
                i,
            )
            for i in sorted(set(ids[ids.duplicated()]))
        ]
    if candidates[[col.CANDIDATE_ID, col.GROUP]].isna().any(axis=None):
        issues.append(
            error("missing_value", "Every candidate needs a candidate_id and a group.", col.GROUP)
        )
    known, scored = (f[col.CANDIDATE_ID].astype(str) for f in (candidates, merit))
    issues += [
        error(
            "merit_unknown_candidate",
            f"The merit frame has a row for '{i}', who is not a candidate.",
            col.CANDIDATE_ID,
            i,
        )
        for i in sorted(set(scored[~scored.isin(known)]))
    ]
    if col.GROUP in merit.columns and not issues:
        both = candidates[[col.CANDIDATE_ID, col.GROUP]].merge(
            merit[[col.CANDIDATE_ID, col.GROUP]], on=col.CANDIDATE_ID, suffixes=("", "_merit")
        )
        differ = both.loc[both[col.GROUP] != both[f"{col.GROUP}_merit"], col.CANDIDATE_ID]
        issues += [
            error(
                "group_mismatch",
                f"Candidate '{i}' has a different group in the merit frame.",
                col.GROUP,
                i,
            )
            for i in sorted(differ.astype(str))
        ]
    return issues


_NEVER_BLANKED = frozenset({col.CANDIDATE_ID, col.NAME, col.GROUP, col.ELIGIBLE})


def _blank_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with blank or whitespace-only text in ``project`` and the attribute
    columns as missing, as the file readers read a blank cell: two blank countries are no
    country, not one country shared under ``max_per``. Works on each column's distinct
    values; ``frame`` is a copy already (never the caller's frame)."""
    for column in [c for c in frame.columns if c not in _NEVER_BLANKED]:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        blank = np.array([isinstance(u, str) and not u.strip() for u in uniques], dtype=bool)
        if blank.any():
            frame[column] = values.where(~np.append(blank, False)[codes])
    return frame


def prepare_pool(
    candidates: pd.DataFrame,
    merit: pd.DataFrame,
    config: SelectionConfig,
    *,
    seed: int | None = None,
) -> Pool:
    """Join candidates with their merit and prepare them for the model.

    Parameters
    ----------
    candidates
        ``candidate_id, name, group``, optional ``project`` and ``eligible`` (default true)
        and attribute columns. Not modified. Blank (or whitespace-only) text in
        ``project`` or an attribute is missing, as in a file: no rule counts it.
    merit
        ``candidate_id, merit``, optional ``group`` (must agree) and ``merit_se``. A
        candidate without a row or with ``NaN`` merit has no marks and is never selected.
    config
        The seats per group (``per_group`` and ``seats``) and the seed.
    seed
        Overrides ``config.seed`` for the lottery.

    Returns
    -------
    Pool
        See :class:`Pool`; its ``frame`` columns are listed there.

    Raises
    ------
    InvalidEventError
        Missing columns, duplicate ids, merit rows for unknown candidates or a group that
        differs between the two frames (all problems at once).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "H"]})
    >>> m = pd.DataFrame({"candidate_id": ["a"], "merit": [3.0]})
    >>> pool = prepare_pool(c, m, SelectionConfig(), seed=1)
    >>> pool.selectable.tolist(), pool.seats.tolist()
    ([True, False], [3, 3])
    """
    issues = _input_issues(candidates, merit)
    if issues:
        raise InvalidEventError(issues)
    extra = [c for c in (col.MERIT, col.MERIT_SE) if c in merit.columns]
    scores = merit[[col.CANDIDATE_ID, *extra]].astype({col.CANDIDATE_ID: "str"})
    frame = candidates.drop(columns=[c for c in extra if c in candidates.columns]).astype(
        {col.CANDIDATE_ID: "str", col.GROUP: "str"}
    )
    frame = _blank_as_missing(frame)
    if col.PROJECT not in frame.columns:
        frame[col.PROJECT] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame[col.ELIGIBLE] = (
        frame[col.ELIGIBLE].fillna(False).astype(bool) if col.ELIGIBLE in frame.columns else True
    )
    frame = frame.merge(scores, on=col.CANDIDATE_ID, how="left")
    if col.MERIT_SE not in frame.columns:
        frame[col.MERIT_SE] = np.nan
    frame = frame.sort_values([col.GROUP, col.CANDIDATE_ID], ignore_index=True)
    names = tuple(sorted(frame[col.GROUP].unique()))
    code = np.searchsorted(np.array(names, dtype=object), frame[col.GROUP].to_numpy(dtype=object))
    values = frame[col.MERIT].to_numpy(dtype=float, na_value=np.nan)
    eligible = frame[col.ELIGIBLE].to_numpy(dtype=bool)
    selectable = eligible & np.isfinite(values)
    spread, exponent = float(np.ptp(values[selectable])) if selectable.any() else 0.0, 0
    while spread > MAX_GRID_SPREAD * MERIT_GRID_STEP * 10**exponent:
        exponent += 1
    step = float(f"{MERIT_GRID_STEP * 10**exponent:.0e}")
    grid = np.zeros(len(frame), dtype=np.int64)
    grid[selectable] = np.round(values[selectable] / step).astype(np.int64)
    lottery = lottery_ranks(frame[col.CANDIDATE_ID].tolist(), config.seed if seed is None else seed)
    frame[col.LOTTERY] = lottery
    column = np.full(len(frame), -1, dtype=np.int64)
    column[selectable] = np.arange(int(selectable.sum()))
    seats = np.array([config.seats.get(g, config.per_group) for g in names], dtype=np.int64)
    return Pool(
        frame,
        names,
        code.astype(np.int64),
        seats,
        values,
        grid,
        step,
        lottery,
        eligible,
        selectable,
        column,
    )
