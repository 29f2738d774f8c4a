"""The integer programme, as plain arrays.

On a :class:`~selection.model.pool.Pool` (see :mod:`selection.model.pool`: candidates sorted, merit
on an integer grid, the lottery), :func:`build_model` asks every rule (see
:mod:`selection.model.constraints`) to add its named rows and returns a :class:`Model`: a sparse
matrix with bounds, one binary column per selectable candidate, and the lexicographic objectives
(:class:`Stage`) that :mod:`selection.model.solve` optimises in turn.

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
>>> from selection.model.pool import prepare_pool
>>> cands = pd.DataFrame({"candidate_id": ["b", "a"], "name": ["B", "A"],
...                       "group": ["G", "G"], "eligible": [True, True]})
>>> merit = pd.DataFrame({"candidate_id": ["a", "b"], "merit": [7.5, 8.0]})
>>> pool = prepare_pool(cands, merit, SelectionConfig(per_group=1))
>>> pool.frame["candidate_id"].tolist(), pool.grid_merit.tolist(), pool.n_seats
(['a', 'b'], [7500000, 8000000], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol

import numpy as np

from selection.model.pool import BoolArray, IntArray, Pool

__all__ = [
    "AUX",
    "SLACK_HI",
    "SLACK_LO",
    "Model",
    "ModelBuilder",
    "ProgramRule",
    "Stage",
    "Tags",
    "X",
    "build_model",
]

X, AUX, SLACK_LO, SLACK_HI = 0, 1, 2, 3
"""Column roles: candidate binary, auxiliary binary, slack below a lower / above an upper bound."""


class ProgramRule(Protocol):
    """What the programme needs of a rule: its kind, how it bends, and its rows.

    Rules (:class:`selection.model.rule.Constraint`) satisfy it; the programme never needs
    to know their classes.
    """

    kind: ClassVar[str]
    relax_tier: ClassVar[int]

    @property
    def soft(self) -> bool:
        """Whether the rule may bend."""

    @property
    def priority(self) -> int:
        """Soft rules: order of the lexicographic stages; hard ones: order of bending."""

    @property
    def penalty(self) -> float | None:
        """Soft rules: merit lost per unit of bend."""

    def add_rows(self, builder: ModelBuilder, pool: Pool, index: int) -> None:
        """Add the rule's rows (rule ``index``) to ``builder``."""


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
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
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
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> model = build_model(pool, [make_rule("seats", per_group=2)])
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


def _levels(rules: dict[int, ProgramRule], relax: bool) -> dict[int, tuple[int, int] | float]:
    """Return each elastic rule's lexicographic level ``(tier, priority)`` or its penalty."""
    levels: dict[int, tuple[int, int] | float] = {}
    for k, rule in rules.items():
        if rule.soft and rule.penalty is not None:
            levels[k] = float(rule.penalty)
        elif rule.soft:
            levels[k] = (0, rule.priority)
        elif relax:
            levels[k] = (rule.relax_tier, rule.priority)
    return levels


def build_model(
    pool: Pool,
    rules: Sequence[ProgramRule],
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
        Make every rule elastic (hard rules above soft ones, rules of a higher
        ``relax_tier``, the seats rule, last to bend):
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
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"), "group": list("GGG")})
    >>> m = pd.DataFrame({"candidate_id": list("abc"), "merit": [1.0, 2.0, 3.0]})
    >>> cfg = SelectionConfig(per_group=2)
    >>> model = build_model(prepare_pool(c, m, cfg), [seats_rule(cfg)])
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
