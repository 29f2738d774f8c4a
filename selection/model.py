"""Candidates prepared for selection and the integer programme, as plain arrays.

:func:`prepare_pool` turns the candidates and merit frames into a :class:`Pool`: one row per
candidate sorted by ``group`` then ``candidate_id`` (so nothing depends on input row order),
merit on an integer grid and a lottery drawn from the seed. :func:`build_model` asks every
rule (see :mod:`selection.constraints`) to add its named rows and returns a :class:`Model`:
a sparse matrix with bounds, one binary column per selectable candidate, and the
lexicographic objectives (:class:`Stage`) that :mod:`selection.solve` optimises in turn.

Integer grid
    ``grid_merit = round(merit / grid_step)`` with ``grid_step = 1e-6`` merit units, made
    ten times coarser as often as needed to keep the spread of grid merits below ``10**8``.
    Two candidates closer than the grid step tie; sums of grid merits are exact integers, so
    float noise can neither create nor hide a tie, and a zero MIP gap is meaningful.
Lottery
    Candidates are ordered by the BLAKE2b hash of ``"<seed>:<candidate_id>"`` (ties of the
    hash by id); ``lottery = 1`` is the most favoured. A candidate's lottery position depends
    on the seed and the ids only, never on row order or solver.
Soft rules
    Each row of a soft rule gets a slack column (integer, in representatives). Soft rules
    without a ``penalty`` are met lexicographically before merit: one stage per priority,
    highest first, minimising their total slack. Soft rules with a ``penalty`` enter the
    merit stage, each unit of slack costing ``penalty`` merit units.
Names
    Columns and rows are named from indexes only (``x_000123``, ``r002_at_least_g0004``),
    never from people's names, so an exported LP file is byte-stable.

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

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import SelectionConfig
from scoring.errors import InvalidEventError, Issue

if TYPE_CHECKING:
    from selection.constraints import Constraint

__all__ = [
    "AUX",
    "MAX_GRID_SPREAD",
    "MERIT_GRID_STEP",
    "SLACK_HI",
    "SLACK_LO",
    "Model",
    "ModelBuilder",
    "Pool",
    "Stage",
    "Tags",
    "X",
    "build_model",
    "example_event",
    "lottery_ranks",
    "prepare_pool",
]

MERIT_GRID_STEP = 1e-6
"""Finest merit grid step; merits closer than the step tie."""
MAX_GRID_SPREAD = 10**8
"""Largest spread of grid merits among selectable candidates (coarsen the grid above it)."""
X, AUX, SLACK_LO, SLACK_HI = 0, 1, 2, 3
"""Column roles: candidate binary, auxiliary binary, slack below a lower / above an upper bound."""

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
        Seats of each group (``per_group`` or its override).
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
        and attribute columns. Not modified.
    merit
        ``candidate_id, merit``, optional ``group`` (must agree) and ``merit_se``. A
        candidate without a row or with ``NaN`` merit has no marks and is never selected.
    config
        Seats per group (``per_group`` and ``seats``) and the seed.
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


@dataclass(frozen=True, eq=False)
class Tags:
    """Parallel arrays describing columns or rows (each field one value per entry).

    ``lower``/``upper`` bounds; ``rule``, ``group``, ``value``, ``item`` (candidate
    position) tags, from which names are built (``-1``: none); ``role`` (columns:
    :data:`X`, :data:`AUX`, :data:`SLACK_LO`, :data:`SLACK_HI`; rows: 1 = structural).

    Examples
    --------
    >>> Tags.of(2, upper=1.0, rule=3).take(np.array([True, False])).rule.tolist()
    [3]
    """

    lower: np.ndarray
    upper: np.ndarray
    rule: IntArray
    group: IntArray
    value: IntArray
    item: IntArray
    role: IntArray

    def take(self, keep: np.ndarray) -> Tags:
        """Return the entries selected by a mask or index array."""
        return Tags(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    @staticmethod
    def concat(parts: Sequence[Tags]) -> Tags:
        """Concatenate tag blocks."""
        return Tags(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Tags)}
        )

    @staticmethod
    def of(n: int, **values: Any) -> Tags:
        """Return ``n`` entries; unspecified fields are ``-1`` (bounds ``-inf``/``inf``)."""
        defaults = {"lower": -np.inf, "upper": np.inf}
        return Tags(
            **{
                f.name: np.broadcast_to(
                    np.asarray(
                        values.get(f.name, defaults.get(f.name, -1)),
                        dtype=float if f.name in defaults else np.int64,
                    ),
                    (n,),
                ).copy()
                for f in fields(Tags)
            }
        )


class ModelBuilder:
    """Collects the columns and named rows that rules add, then assembles a :class:`Model`.

    Columns ``0..n_selectable-1`` are the candidates' binaries, in pool order. Rules add
    auxiliary binaries with :meth:`add_aux` and rows with :meth:`add_rows`; every row and
    column is tagged with its rule index, group code, value code and candidate position,
    from which names are derived.

    Examples
    --------
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> builder = ModelBuilder(pool)
    >>> indptr, cols = builder.members(pool.selectable, pool.group_code, pool.n_groups)
    >>> indptr.tolist(), cols.tolist()
    ([0, 4, 6], [0, 1, 2, 3, 4, 5])
    """

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.n_cols = int(pool.selectable.sum())
        self.aux: list[Tags] = []
        self.rows: list[tuple[Tags, IntArray, IntArray, np.ndarray]] = []

    def members(self, member: BoolArray, key: IntArray, n_keys: int) -> tuple[IntArray, IntArray]:
        """Return the columns of selectable ``member`` candidates grouped by ``key``, as CSR.

        ``(indptr, columns)``: key ``k`` owns ``columns[indptr[k]:indptr[k + 1]]``. One
        vectorised pass, never a per-group filter.
        """
        positions = np.flatnonzero(member & self.pool.selectable)
        keys = key[positions]
        counts = np.bincount(keys, minlength=n_keys)[:n_keys]
        return (
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            self.pool.column[positions[np.argsort(keys, kind="stable")]],
        )

    def add_aux(self, *, rule: int, group: IntArray, value: IntArray) -> IntArray:
        """Add one auxiliary binary column per entry and return their column indexes."""
        n = len(group)
        self.aux.append(
            Tags.of(n, lower=0.0, upper=1.0, rule=rule, group=group, value=value, role=AUX)
        )
        self.n_cols += n
        return np.arange(self.n_cols - n, self.n_cols, dtype=np.int64)

    def add_rows(
        self, tags: Tags, indptr: IntArray, indices: IntArray, values: np.ndarray | None = None
    ) -> None:
        """Add rows ``tags.lower <= sum(values * x[indices]) <= tags.upper`` in CSR form.

        ``tags.role = 1`` marks structural rows (links to auxiliary columns), never elastic.
        """
        coefficients = np.ones(len(indices)) if values is None else np.asarray(values, float)
        self.rows.append(
            (tags, np.asarray(indptr, np.int64), np.asarray(indices, np.int64), coefficients)
        )


@dataclass(frozen=True, eq=False)
class Stage:
    """One lexicographic objective: maximise ``costs @ columns`` (integer costs).

    Examples
    --------
    >>> Stage("merit", np.array([3, 0])).costs.tolist()
    [3, 0]
    """

    name: str
    costs: IntArray


@dataclass(frozen=True, eq=False)
class Model:
    """The integer programme: column and row tags, a CSR matrix, and the stages.

    Columns ``0..n_x-1`` are candidate binaries (pool positions ``x_positions``), then
    auxiliary binaries and elastic slack columns (integers; ``cols.item`` is a slack's row).
    Rows read ``rows.lower <= A @ columns <= rows.upper``; ``rows.role = 1`` marks
    structural rows. ``stages`` are maximised in order, each optimum held while the next
    is optimised; the last is the merit stage. ``key`` holds the lottery weights
    ``max(lottery) + 1 - lottery`` of the x columns.

    Examples
    --------
    >>> from selection.constraints import Seats
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> model = build_model(pool, [Seats(per_group=2)])
    >>> model.n_x, model.n_rows, model.row_names()
    (6, 2, ['r000_seats_g0000', 'r000_seats_g0001'])
    """

    pool: Pool
    rule_kinds: tuple[str, ...]
    x_positions: IntArray
    key: IntArray
    cols: Tags
    rows: Tags
    indptr: IntArray
    indices: IntArray
    values: np.ndarray
    stages: tuple[Stage, ...]
    seats_elastic: bool

    @property
    def n_x(self) -> int:
        """Number of candidate columns."""
        return len(self.x_positions)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cols.lower)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.rows.lower)

    def row_names(self) -> list[str]:
        """Return row names built from indexes (rule, group, value, candidate position)."""
        out = []
        for r, g, v, c, s in zip(
            *(getattr(self.rows, f).tolist() for f in ("rule", "group", "value", "item", "role")),
            strict=True,
        ):
            name = f"r{r:03d}_{self.rule_kinds[r]}" + (f"_g{g:04d}" if g >= 0 else "_all")
            out.append(
                name
                + (f"_v{v:04d}" if v >= 0 else "")
                + (f"_c{c:06d}" if c >= 0 else "")
                + ("_link" if s == 1 else "")
            )
        return out

    def col_names(self) -> list[str]:
        """Return column names built from indexes (``x_<pool position>``, ``y_...``, ``s_...``)."""
        rows = self.row_names()
        names = [f"x_{p:06d}" for p in self.x_positions.tolist()]
        for j in range(self.n_x, self.n_cols):
            role, r, g, v = (
                int(getattr(self.cols, f)[j]) for f in ("role", "rule", "group", "value")
            )
            if role == AUX:
                names.append(f"y_r{r:03d}" + (f"_g{g:04d}" if g >= 0 else "_all") + f"_v{v:04d}")
            else:
                names.append(f"s_{rows[self.cols.item[j]]}_{'lo' if role == SLACK_LO else 'hi'}")
        return names

    def row_of_entry(self) -> IntArray:
        """Return the row index of every matrix entry."""
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    def group_columns(self, group: int) -> BoolArray:
        """Return the columns a group's re-optimisation may change.

        Its candidates' binaries, its auxiliary and slack columns, and the columns of
        delegation-wide rules; everything else stays at its value (see :meth:`restrict`).
        """
        free = self.cols.group == group
        free[self.n_x :] |= self.cols.group[self.n_x :] < 0
        return free

    def restrict(self, free: BoolArray, columns: np.ndarray) -> Model:
        """Return the model over the ``free`` columns, the others fixed at ``columns``.

        Rows without a free column are dropped; the fixed columns' contribution moves
        into the bounds. Stages keep their free part.
        """
        rows = self.row_of_entry()
        is_free = free[self.indices]
        fixed = np.bincount(
            rows,
            weights=np.where(is_free, 0.0, self.values * columns[self.indices]),
            minlength=self.n_rows,
        )
        keep = np.bincount(rows, weights=is_free, minlength=self.n_rows) > 0
        entry = is_free & keep[rows]
        new_row = np.cumsum(keep) - 1
        cols = self.cols.take(free)
        slack = cols.role >= SLACK_LO
        cols.item[slack] = new_row[cols.item[slack]]
        kept = self.rows.take(keep)
        kept.lower[:] -= fixed[keep]
        kept.upper[:] -= fixed[keep]
        counts = np.bincount(new_row[rows[entry]], minlength=int(keep.sum()))
        x_free = free[: self.n_x]
        return Model(
            self.pool,
            self.rule_kinds,
            self.x_positions[x_free],
            self.key[x_free],
            cols,
            kept,
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            (np.cumsum(free) - 1)[self.indices[entry]],
            self.values[entry],
            tuple(Stage(s.name, s.costs[free]) for s in self.stages),
            self.seats_elastic,
        )


def _levels(rules: dict[int, Constraint], relax: bool) -> dict[int, tuple[int, int] | float]:
    """Return each elastic rule's lexicographic level ``(tier, priority)`` or its penalty."""
    levels: dict[int, tuple[int, int] | float] = {}
    for k, rule in rules.items():
        if rule.soft and rule.penalty is not None:
            levels[k] = float(rule.penalty)
        elif rule.soft:
            levels[k] = (0, rule.priority)
        elif relax:
            levels[k] = (2, 0) if rule.kind == "seats" else (1, rule.priority)
    return levels


def build_model(
    pool: Pool,
    rules: Sequence[Constraint],
    *,
    relax: bool = False,
    drop: frozenset[int] = frozenset(),
) -> Model:
    """Build the integer programme of ``pool`` under ``rules``.

    Parameters
    ----------
    pool
        Prepared candidates (:func:`prepare_pool`).
    rules
        The rules, the seats rule first; a rule's position is its index in names.
    relax
        Make every rule elastic (hard rules above soft ones, the seats rule last to bend):
        used for the smallest relaxation of an infeasible event.
    drop
        Indexes of rules to leave out (names of the others do not change).

    Returns
    -------
    Model
        Stages: one per priority level of soft rules without a penalty (highest first,
        maximising minus their total slack), then the merit stage maximising
        ``sum((grid_merit - min_grid) * x) - sum(penalty / grid_step * slack)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from selection.constraints import Seats
    >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"), "group": list("GGG")})
    >>> m = pd.DataFrame({"candidate_id": list("abc"), "merit": [1.0, 2.0, 3.0]})
    >>> cfg = SelectionConfig(per_group=2)
    >>> model = build_model(prepare_pool(c, m, cfg), [Seats.from_config(cfg)])
    >>> model.row_names(), model.col_names(), [s.name for s in model.stages]
    (['r000_seats_g0000'], ['x_000000', 'x_000001', 'x_000002'], ['merit'])
    """
    active = {k: r for k, r in enumerate(rules) if k not in drop}
    builder = ModelBuilder(pool)
    for k, rule in active.items():
        rule.add_rows(builder, pool, k)
    levels = _levels(active, relax)
    x_pos = pool.x_positions
    n_x = len(x_pos)
    tags = [t for t, _, _, _ in builder.rows] or [Tags.of(0)]
    rows = Tags.concat(tags)
    counts = np.concatenate([[0], *(np.diff(p) for _, p, _, _ in builder.rows)])[1:]
    entry_row = np.repeat(np.arange(len(counts)), counts)
    indices = np.concatenate([[0], *(i for _, _, i, _ in builder.rows)])[1:].astype(np.int64)
    values = np.concatenate([[0.0], *(v for _, _, _, v in builder.rows)])[1:]
    elastic = (rows.role != 1) & np.isin(rows.rule, list(levels))
    slacks = []
    for role, finite in ((SLACK_LO, rows.lower), (SLACK_HI, rows.upper)):
        where = np.flatnonzero(elastic & np.isfinite(finite))
        room = rows.lower[where] if role == SLACK_LO else counts[where] - rows.upper[where]
        slacks.append(
            Tags.of(
                len(where),
                lower=0.0,
                upper=np.maximum(room, 0),
                rule=rows.rule[where],
                group=rows.group[where],
                item=where,
                role=role,
            )
        )
    slack = Tags.concat(slacks)
    slack_cols = builder.n_cols + np.arange(len(slack.item))
    entry_row = np.concatenate([entry_row, slack.item])
    indices = np.concatenate([indices, slack_cols])
    values = np.concatenate([values, np.where(slack.role == SLACK_LO, 1.0, -1.0)])
    order = np.lexsort((indices, entry_row))
    x_tags = Tags.of(n_x, lower=0.0, upper=1.0, group=pool.group_code[x_pos], role=X)
    cols = Tags.concat([x_tags, *builder.aux, slack])
    indptr = np.concatenate(([0], np.cumsum(np.bincount(entry_row, minlength=len(counts)))))
    return Model(
        pool,
        tuple(r.kind for r in rules),
        x_pos,
        (int(pool.lottery.max(initial=0)) + 1 - pool.lottery[x_pos]).astype(np.int64),
        cols,
        rows,
        indptr.astype(np.int64),
        indices[order],
        values[order],
        _stages(pool, levels, cols, n_x),
        relax,
    )


def _stages(
    pool: Pool, levels: dict[int, tuple[int, int] | float], cols: Tags, n_x: int
) -> tuple[Stage, ...]:
    slack = cols.role >= SLACK_LO
    stages = []
    for level in sorted({v for v in levels.values() if isinstance(v, tuple)}, reverse=True):
        chosen = [k for k, v in levels.items() if v == level]
        tier = {2: "seats", 1: "rules"}.get(level[0], "soft rules")
        stages.append(
            Stage(
                f"{tier} priority {level[1]}",
                np.where(slack & np.isin(cols.rule, chosen), -1, 0).astype(np.int64),
            )
        )
    costs = np.zeros(len(cols.lower), dtype=np.int64)
    grid = pool.grid_merit[pool.x_positions]
    costs[:n_x] = grid - (grid.min() if n_x else 0)
    for k, penalty in levels.items():
        if not isinstance(penalty, tuple):
            costs[slack & (cols.rule == k)] = -round(penalty / pool.grid_step)
    return (*stages, Stage("merit", costs))
