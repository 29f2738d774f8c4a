"""One group's options: every choice of its seats, with what each means for every rule.

An option is a set of ``seats`` selectable candidates of one group. For each option the
group knows its grid merit, its lottery weights (largest first), how far it bends each of
the group's own rows of every rule, and its tally towards each delegation-wide row. Options
are stored best first in the tie rule's order within the group: merit, then the sum of
lottery weights, then the largest weights in turn (the order that does not depend on which
rules a query keeps).

Most queries only need the best options, so a group is first enumerated over its best
``top`` candidates on merit (:func:`enumerate_options` with ``top``); :attr:`GroupOptions.
bound` is then the best merit any option holding another candidate can reach, and an
answer better than it is certified exact. Otherwise (or for questions about any one
candidate) every option of the group is enumerated.

Examples
--------
>>> combinations(4, 2).tolist()
[[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.model.pool import IntArray, Pool
from selection.model.rule import Constraint, Counts

__all__ = ["GroupOptions", "combinations", "enumerate_options", "tallies"]


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


def tallies(counts: Counts, positions: IntArray, incidence: np.ndarray, keys: IntArray) -> IntArray:
    """Tally of each key in ``keys`` for every 0/1 row of ``incidence`` over ``positions``.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> counts = make_rule("at_least", attribute="gender", value="F", count=1).counts(pool)
    >>> tallies(counts, np.arange(4), np.array([[1, 1, 0, 0], [0, 1, 1, 0]]), np.array([0]))
    array([[1],
           [0]])
    """
    member = counts.member[positions]
    key = counts.key[positions]
    if counts.distinct is None:
        hit = (member[:, None] & (key[:, None] == keys[None, :])).astype(np.int32)
        return np.asarray(incidence @ hit, dtype=np.int64)
    value = counts.distinct[positions]
    out = np.zeros((len(incidence), len(keys)), dtype=np.int64)
    for i, k in enumerate(keys.tolist()):
        for v in np.unique(value[member & (key == k)]).tolist():
            hit = (member & (key == k) & (value == v)).astype(np.int32)
            out[:, i] += (incidence @ hit) > 0
    return out


@dataclass(frozen=True, eq=False)
class GroupOptions:
    """One group's options, best first in the tie rule's order within the group.

    Attributes
    ----------
    group
        The group's code in the pool.
    members
        ``(n_options, seats)`` pool positions.
    merit
        Grid merit of each option.
    weights
        ``(n_options, seats)`` lottery weights, largest first.
    bends
        ``(n_options, n_rules)``: how far the option bends the group's own rows of each
        rule (0 for delegation-wide rules).
    tally
        ``(n_options, n_keys)``: the option's tally towards each delegation-wide row.
    complete
        Whether every selectable candidate of the group was considered.
    bound
        For an incomplete group, the highest grid merit of an option holding a candidate
        that was not considered (``None`` when complete).
    """

    group: int
    members: IntArray
    merit: IntArray
    weights: IntArray
    bends: IntArray
    tally: IntArray
    complete: bool
    bound: int | None

    @property
    def n_options(self) -> int:
        """Number of options."""
        return len(self.merit)


def enumerate_options(
    pool: Pool,
    rules: Sequence[Constraint],
    group: int,
    coupling: Sequence[tuple[int, IntArray]],
    *,
    top: int | None = None,
) -> GroupOptions:
    """Enumerate one group's options (over its best ``top`` candidates when given).

    ``coupling`` lists, per delegation-wide rule, its index and the keys counted.
    """
    weight = (int(pool.lottery.max(initial=0)) + 1 - pool.lottery).astype(np.int64)
    everyone = np.flatnonzero(pool.selectable & (pool.group_code == group))
    seats = int(pool.seats[group])
    order = everyone[np.lexsort((-weight[everyone], -pool.grid_merit[everyone]))]
    considered = order if top is None or top >= len(order) else order[:top]
    complete = len(considered) == len(everyone)
    bound = None
    if not complete and seats:
        rest = order[len(considered) :]
        best = pool.grid_merit[considered[: seats - 1]].sum()
        bound = int(pool.grid_merit[rest].max() + best)
    n_rules = len(rules)
    n_keys = sum(len(keys) for _, keys in coupling)
    if seats > len(considered):
        empty = np.zeros((0, seats), dtype=np.int64)
        return GroupOptions(
            group,
            empty,
            np.zeros(0, np.int64),
            empty.copy(),
            np.zeros((0, n_rules), np.int64),
            np.zeros((0, n_keys), np.int64),
            complete,
            bound,
        )
    positions = np.sort(considered)
    local = combinations(len(positions), seats)
    members = positions[local]
    incidence = np.zeros((len(local), len(positions)), dtype=np.int32)
    np.put_along_axis(incidence, local.astype(np.int64), 1, axis=1)
    bends = np.zeros((len(local), n_rules), dtype=np.int64)
    for k, rule in enumerate(rules):
        if rule.couples_groups:
            continue
        c = rule.counts(pool)
        keys = np.flatnonzero(c.active & (c.group == group))
        if len(keys):
            n = tallies(c, positions, incidence, keys)
            over = np.maximum(np.maximum(c.lower[keys] - n, n - c.upper[keys]), 0)
            bends[:, k] = over.sum(axis=1).astype(np.int64)
    parts = [tallies(rules[k].counts(pool), positions, incidence, keys) for k, keys in coupling]
    tally = np.concatenate(parts, axis=1) if parts else np.zeros((len(local), 0), np.int64)
    merit = pool.grid_merit[members].sum(axis=1).astype(np.int64)
    weights = -np.sort(-weight[members], axis=1)
    tie = np.lexsort(
        (*(-weights[:, i] for i in reversed(range(seats))), -weights.sum(axis=1), -merit)
    )
    return GroupOptions(
        group,
        members[tie].astype(np.int64),
        merit[tie],
        weights[tie],
        bends[tie],
        tally[tie],
        complete,
        bound,
    )


def full_count(pool: Pool, group: int) -> int:
    """How many options the group has (``comb(selectable, seats)``)."""
    everyone = int((pool.selectable & (pool.group_code == group)).sum())
    return math.comb(everyone, int(pool.seats[group]))
