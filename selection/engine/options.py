"""Every group's options, enumerated for all groups at once into flat arrays.

An option is a set of ``seats`` selectable candidates of one group. For each option the
engine needs its grid merit, the sum of its members' lottery weights, which of the rules
it bends within its group (a bit per rule; soft rules also keep *how far*), and its tally
towards each delegation-wide row. Options are stored group after group, and within a group
best first in the tie rule's order: merit, then the sum of lottery weights, then the
largest weights in turn (the order of the integer programme's lottery stage, which does
not depend on which rules a query keeps). So the flat index of an option is its rank
within the group, and "the first allowed option" is the best one.

Groups with the same number of selectable candidates and seats share one table of
combinations and are enumerated together, a chunk of groups at a time: every count is a
few array operations over ``(groups, options, seats)``, never a loop over groups. A rule
bends a group's rows by ``sum over its keys of max(lower - n, n - upper, 0)``; the keys
with no member in the option contribute their bend at ``n = 0`` (the group's *base*),
and the keys of the members are counted by comparing the members pairwise.

Examples
--------
>>> combinations(4, 2).tolist()
[[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule
>>> from selection.model.pool import example_event, prepare_pool
>>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
>>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project")]
>>> found = enumerate_options(pool, rules, [])
>>> found.start.tolist(), pool.candidate_ids[found.members[0]].tolist(), int(found.mask[0])
([0, 6, 7], ['c1', 'c2'], 2)
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.rule import Constraint, Counts

__all__ = [
    "CHUNK",
    "Options",
    "combinations",
    "enumerate_options",
    "full_count",
    "lottery_weights",
    "mask_dtype",
]

CHUNK = 100_000
"""Options enumerated per chunk of groups (bounds the memory of the temporary arrays)."""


@functools.lru_cache(maxsize=64)
def combinations(n: int, k: int) -> IntArray:
    """Every ``k``-subset of ``range(n)`` as rows, in lexicographic order (cached).

    Examples
    --------
    >>> combinations(3, 3).tolist(), combinations(2, 0).shape
    ([[0, 1, 2]], (1, 0))
    """
    if k == 0:
        rows = np.zeros((1, 0), dtype=np.int32)
    else:
        rows = np.array(list(itertools.combinations(range(n), k)), dtype=np.int32).reshape(-1, k)
    rows.flags.writeable = False
    return rows


def mask_dtype(n_rules: int) -> np.dtype[np.unsignedinteger]:
    """The smallest unsigned integer type with a bit per rule (at most 64 rules).

    Examples
    --------
    >>> [str(mask_dtype(n)) for n in (6, 8, 9, 64)]
    ['uint8', 'uint8', 'uint16', 'uint64']
    """
    for kind in (np.uint8, np.uint16, np.uint32, np.uint64):
        if n_rules <= np.iinfo(kind).bits:
            return np.dtype(kind)
    raise ValueError(f"{n_rules} rules do not fit in a 64-bit mask")


def lottery_weights(pool: Pool) -> IntArray:
    """Lottery weight of each candidate, ``max(lottery) + 1 - lottery`` (larger is luckier).

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> sorted(lottery_weights(pool).tolist()) == list(range(1, 8))
    True
    """
    return (int(pool.lottery.max(initial=0)) + 1 - pool.lottery).astype(np.int64)


def full_count(pool: Pool, group: int) -> int:
    """How many options the group has (``comb(selectable, seats)``).

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> full_count(prepare_pool(*example_event(), SelectionConfig(per_group=2)), 0)
    6
    """
    everyone = int((pool.selectable & (pool.group_code == group)).sum())
    return math.comb(everyone, int(pool.seats[group]))


@dataclass(frozen=True, eq=False)
class Options:
    """Every group's options; ``start[g]:start[g + 1]`` are group ``g``'s, best first.

    Attributes
    ----------
    start
        ``(n_groups + 1,)`` offsets.
    group_of
        Group code of each option.
    members
        ``(n, width)`` pool positions (``-1`` pads groups with fewer seats).
    merit
        Grid merit of each option (``int32`` when every sum fits, else ``int64``; sums
        over options are taken in ``int64``).
    keysum
        Sum of its members' lottery weights (``int32`` when every sum fits, else ``int64``).
    mask
        Bit ``k`` set when the option bends rule ``k`` within its group (in the smallest
        unsigned type with a bit per rule, :func:`mask_dtype`).
    soft
        Rule indexes whose bends are kept in :attr:`bends` (the soft rules).
    bends
        ``(n, len(soft))``: how far the option bends each of them.
    tally
        ``(n, n_rows)``: its tally towards each delegation-wide row (``int8`` unless
        a group has more than 127 seats).
    """

    start: IntArray
    group_of: IntArray
    members: IntArray
    merit: IntArray
    keysum: IntArray
    mask: np.ndarray
    soft: IntArray
    bends: IntArray
    tally: IntArray

    @property
    def n(self) -> int:
        """Number of options."""
        return len(self.merit)


def enumerate_options(
    pool: Pool,
    rules: Sequence[Constraint],
    coupling: Sequence[tuple[int, IntArray]],
    *,
    chunk: int = CHUNK,
) -> Options:
    """Enumerate every option of every group (see the module docs).

    ``coupling`` lists, per delegation-wide rule, its index and the keys it counts (one
    tally column each, in that order). Rules counting different values are handled when
    they are group rules; delegation-wide ones must not be passed.
    """
    weight = lottery_weights(pool)
    positions = np.flatnonzero(pool.selectable)  # pool order is group-major
    n_groups = pool.n_groups
    n_sel = np.bincount(pool.group_code[positions], minlength=n_groups)
    first = np.concatenate(([0], np.cumsum(n_sel)))
    seats = pool.seats.astype(np.int64)
    sizes = np.array(
        [math.comb(int(n), int(s)) if s <= n else 0 for n, s in zip(n_sel, seats, strict=True)],
        dtype=np.int64,
    )
    start = np.concatenate(([0], np.cumsum(sizes)))
    total = int(start[-1])
    width = int(seats.max(initial=0))
    soft = np.array([k for k, r in enumerate(rules) if r.soft], dtype=np.int64)
    n_rows = sum(len(keys) for _, keys in coupling)
    # the smallest types that hold every value (fresh memory is the dearest part at scale)
    keysum_type = np.int32 if width * int(weight.max(initial=0)) < 2**31 else np.int64
    top = int(np.abs(pool.grid_merit).max(initial=0))
    merit_type = np.int32 if width * top < 2**31 else np.int64
    tally_type = np.int8 if width <= 127 else np.int16 if width <= 32_767 else np.int32
    out = Options(
        start,
        np.repeat(np.arange(n_groups, dtype=np.int32), sizes),
        np.full((total, width), -1, dtype=np.int32),
        np.zeros(total, dtype=merit_type),
        np.zeros(total, dtype=keysum_type),
        np.zeros(total, dtype=mask_dtype(len(rules))),
        soft,
        np.zeros((total, len(soft)), dtype=np.int32),
        np.zeros((total, n_rows), dtype=tally_type),
    )
    counted = [
        (k, rule.counts(pool))
        for k, rule in enumerate(rules)
        if not rule.couples_groups and rule.kind != "seats"  # an option fills the seats
    ]
    base = {k: _base(c, n_groups) for k, c in counted}
    column_of_soft = {int(k): i for i, k in enumerate(soft.tolist())}
    coupled = [(rules[k].counts(pool), keys) for k, keys in coupling]
    shapes: dict[tuple[int, int], list[int]] = {}
    for g in np.flatnonzero(sizes).tolist():
        shapes.setdefault((int(n_sel[g]), int(seats[g])), []).append(g)
    for (n, s), groups in sorted(shapes.items()):
        table = combinations(n, s)
        step = max(1, chunk // len(table))
        for a in range(0, len(groups), step):
            part = np.array(groups[a : a + step], dtype=np.int64)
            local = positions[first[part][:, None] + np.arange(n)]  # (G, n)
            # each group's candidates by lottery weight, largest first: the rows of the
            # table of combinations are then in the order of their largest weights
            order = np.argsort(-weight[local], axis=1, kind="stable")
            local = np.take_along_axis(local, order, axis=1)
            chunk_of = _Chunk(part, local, table)
            _fill(out, chunk_of, pool, weight, counted, base, column_of_soft, coupled)
    return out


def _base(c: Counts, n_groups: int) -> IntArray:
    """Per group: the bend of the rule's keys in that group when no member is chosen."""
    inside = c.active & (c.group >= 0)
    at_zero = np.maximum(np.maximum(c.lower, -c.upper), 0)
    return np.bincount(c.group[inside], weights=at_zero[inside], minlength=n_groups).astype(
        np.int64
    )


@dataclass(frozen=True, eq=False)
class _Chunk:
    """Groups of the same size and seats: their candidates (``local``, ``(G, n)`` pool
    positions, largest lottery weight first) and the table of combinations ``(C, s)``."""

    part: IntArray
    local: IntArray
    table: IntArray

    def gather(self, per_candidate: np.ndarray) -> list[np.ndarray]:
        """``(G, n)`` values per candidate -> one ``(G, C)`` array per seat of the option."""
        return [per_candidate[:, self.table[:, i]] for i in range(self.table.shape[1])]

    def pairs(self, table: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """``(G, n, n)`` values per pair of candidates -> ``(G, C)`` per pair of seats."""
        s = self.table.shape[1]
        return {
            (i, j): table[:, self.table[:, i], self.table[:, j]]
            for i in range(s)
            for j in range(i + 1, s)
        }


def _fill(
    out: Options,
    chunk: _Chunk,
    pool: Pool,
    weight: IntArray,
    counted: list[tuple[int, Counts]],
    base: dict[int, IntArray],
    column_of_soft: dict[int, int],
    coupled: list[tuple[Counts, IntArray]],
) -> None:
    """Count the options of one chunk of groups into ``out``, in the tie order."""
    part, local, table = chunk.part, chunk.local, chunk.table
    n_part, n_opt, s = len(part), len(table), table.shape[1]
    merit = np.add.reduce(chunk.gather(pool.grid_merit[local]), dtype=np.int64) if s else None
    keysum = np.add.reduce(chunk.gather(weight[local]), dtype=np.int64) if s else None
    if merit is None or keysum is None:
        merit = keysum = np.zeros((n_part, n_opt), dtype=np.int64)
    # the rows are in the order of their weights already: a stable sort on (merit, weight
    # sum) gives the whole tie order
    spread = merit - merit.min(axis=1, keepdims=True)
    span = int(keysum.max(initial=0)) + 1
    if float(spread.max(initial=0)) * span < 2**62:
        order = np.argsort(-(spread * span + keysum), axis=1, kind="stable")
    else:
        order = np.lexsort((-keysum, -merit), axis=-1)
    contiguous = bool(np.all(np.diff(part) == 1))
    index: slice | np.ndarray = (
        slice(int(out.start[part[0]]), int(out.start[part[-1] + 1]))
        if contiguous
        else (out.start[part][:, None] + np.arange(n_opt)).ravel()
    )
    rows = table[order]  # (G, C, s) local indices, in the tie order
    out.members[index, :s] = np.take_along_axis(local[:, None, :], rows, axis=2).reshape(-1, s)
    out.merit[index] = np.take_along_axis(merit, order, axis=1).ravel()
    out.keysum[index] = np.take_along_axis(keysum, order, axis=1).ravel()
    kind = out.mask.dtype.type
    mask = np.zeros((n_part, n_opt), dtype=kind)  # in the table's order, then sorted
    for k, c in counted:
        bend = _bends(c, chunk, base[k][part][:, None])
        if not bend.any():
            continue
        mask |= (bend > 0).astype(kind) << kind(k)
        if k in column_of_soft:
            out.bends[index, column_of_soft[k]] = np.take_along_axis(bend, order, axis=1).ravel()
    out.mask[index] = np.take_along_axis(mask, order, axis=1).ravel()
    column = 0
    for c, row_keys in coupled:
        member, key = c.member[local], c.key[local]
        for kk in row_keys.tolist():
            hit = (member & (key == kk)).astype(np.int32)
            tally = np.add.reduce(chunk.gather(hit)) if s else np.zeros((n_part, n_opt))
            out.tally[index, column] = np.take_along_axis(tally, order, axis=1).ravel()
            column += 1


def _bends(c: Counts, chunk: _Chunk, base: IntArray) -> IntArray:
    """How far each option of the chunk bends one group rule: ``(G, C)``, table order.

    Per seat ``i`` of an option: whether its member is the first of its key among the
    members (``first``) and how many members (or different values) its key counts
    (``n``); the option bends the rule by the group's base plus, per key counted,
    ``bend(n) - bend(0)``, read from a per-candidate table.
    """
    part, local, table = chunk.part, chunk.local, chunk.table
    n_part, n_opt, s = len(part), len(table), table.shape[1]
    if not len(c.lower) or not s:
        return np.broadcast_to(base, (n_part, n_opt)).astype(np.int64)
    key = c.key[local]
    safe = np.maximum(key, 0)
    member = c.member[local] & (key >= 0) & (c.group[safe] == part[:, None])
    if not member.any():
        return np.broadcast_to(base, (n_part, n_opt)).astype(np.int64)
    uniform = _uniform_bounds(c, key[member])
    if uniform is not None:
        return _uniform_bends(chunk, base, member, key, *uniform)
    counts = np.arange(s + 1)
    lower, upper = c.lower[safe][:, :, None], c.upper[safe][:, :, None]
    at_n = np.maximum(np.maximum(lower - counts, counts - upper), 0)
    delta = np.where((member & c.active[safe])[:, :, None], at_n - at_n[:, :, :1], 0)
    delta = delta.astype(np.int64).reshape(n_part, -1)  # [g, a * (s + 1) + n]
    same_key = member[:, :, None] & member[:, None, :] & (key[:, :, None] == key[:, None, :])
    pair = chunk.pairs(same_key)
    on = chunk.gather(member)
    if c.distinct is not None:
        value = c.distinct[local]
        fresh_pair = chunk.pairs(same_key & (value[:, :, None] == value[:, None, :]))
        fresh = [on[j] & ~_any_before(fresh_pair, j, on[j]) for j in range(s)]
    else:
        fresh = on
    total = np.broadcast_to(base, (n_part, n_opt)).astype(np.int64)
    for i in range(s):
        first = on[i] & ~_any_before(pair, i, on[i])
        n = np.zeros((n_part, n_opt), dtype=np.int64)
        for j in range(s):
            if j == i:
                n += fresh[i]
            else:
                n += pair[(min(i, j), max(i, j))] & fresh[j]
        at = table[:, i][None, :] * (s + 1) + n
        total = total + np.where(first, np.take_along_axis(delta, at, axis=1), 0)
    return total


def _uniform_bounds(c: Counts, keys: IntArray) -> tuple[float, float] | None:
    """The bounds ``(lower, upper)`` shared by every key in ``keys`` when all of them are
    active and the rule counts candidates (not values); ``None`` otherwise."""
    if c.distinct is not None or not len(keys):
        return None
    lower, upper, active = c.lower[keys], c.upper[keys], c.active[keys]
    if not active.all() or (lower != lower[0]).any() or (upper != upper[0]).any():
        return None
    return float(lower[0]), float(upper[0])


def _uniform_bends(
    chunk: _Chunk, base: IntArray, member: BoolArray, key: IntArray, lower: float, upper: float
) -> IntArray:
    """:func:`_bends` for a rule whose keys share their bounds: the bend of a key with
    ``n`` members chosen is ``f(n) - f(0)`` above the base, ``f(n) = max(lower - n, n -
    upper, 0)``, computed by arithmetic instead of a table look-up; and where each group
    has one key only (a count of one value per group), ``n`` is the members chosen."""
    s = chunk.table.shape[1]
    at_zero = max(lower, -upper, 0.0)
    on = chunk.gather(member)

    def step(n: np.ndarray) -> IntArray:  # cut to whole bends per key, as the table is
        return (np.maximum(np.maximum(lower - n, n - upper), 0.0) - at_zero).astype(np.int64)

    big = np.iinfo(key.dtype).max
    low_key = np.where(member, key, big).min(axis=1)
    high_key = np.where(member, key, -1).max(axis=1)
    if bool(((low_key == high_key) | (high_key < 0)).all()):
        n = np.add.reduce(on, dtype=np.int16)
        return base + step(n)
    same_key = member[:, :, None] & member[:, None, :] & (key[:, :, None] == key[:, None, :])
    pair = chunk.pairs(same_key)
    bend = np.zeros(on[0].shape, dtype=np.int64)
    for i in range(s):
        first = on[i] & ~_any_before(pair, i, on[i])
        n = on[i].astype(np.int16)
        for j in range(s):
            if j != i:
                n += pair[(min(i, j), max(i, j))]
        bend += np.where(first, step(n), 0)
    return base + bend


def _any_before(pair: dict[tuple[int, int], np.ndarray], i: int, like: np.ndarray) -> np.ndarray:
    """Whether seat ``i`` pairs with any earlier seat."""
    found = np.zeros_like(like, dtype=bool)
    for j in range(i):
        found |= pair[(j, i)]
    return found
