"""Exact selection by the structure of the problem: per-group options and a small coupling.

Only delegation-wide rules (``scope = "all"``) link groups; every other rule is a question
about one group. So each group's possible delegations (*options*: every choice of its seats
among its selectable candidates) are enumerated once, with what each option means for every
rule: how far it bends each of the group's own rules, and its tally towards each
delegation-wide row. A selection is then one option per group; the delegation-wide rows
only see the sum of the tallies. :meth:`Decomposition.optimum` finds the best choice by a
dynamic programme over those sums (few states: a count of women, say), group by group.

The order of delegations is exactly the integer programme's (:mod:`selection.model.solve`):
soft-rule stages by priority (fewer bends first), then merit on the grid minus soft-rule
penalties, then the larger sum of lottery weights, then the delegation holding the
best-placed lottery position among the candidates that differ. Lottery weights are
distinct, so that last rule is the comparison of ``sum(2 ** weight)``: the values add up
over groups, and the programme over groups compares whole tuples, exactly.

Rules can be left out of a query (``dropped``): the options are enumerated with every rule
once, and a query only changes which bends count. That is what the price of fairness and
the reasons ask, many times.

Not every event fits: a group with more than :data:`MAX_OPTIONS` options, more than
:data:`MAX_STATES` states of the delegation-wide tallies, or a delegation-wide rule that
counts different values (their counts do not add up over groups). Then
:attr:`Decomposition.usable` is false, :attr:`~Decomposition.reason` says why, and callers
solve the integer programme.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule
>>> from selection.model.pool import example_event, prepare_pool
>>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
>>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project"),
...          make_rule("at_least", attribute="gender", value="M", count=2, scope="all")]
>>> engine = Decomposition(pool, rules)
>>> engine.usable, pool.candidate_ids[engine.optimum()].tolist()
(True, ['c1', 'c3', 'c5', 'c6'])
>>> pool.candidate_ids[engine.optimum(dropped=frozenset({1, 2}))].tolist()
['c1', 'c2', 'c5', 'c6']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.rule import Constraint, Counts

__all__ = ["MAX_OPTIONS", "MAX_STATES", "Decomposition", "tallies"]

MAX_OPTIONS = 50_000
"""Most options (choices of the seats) enumerated in one group."""
MAX_STATES = 200_000
"""Most states of the delegation-wide tallies in the programme over groups."""

Value = tuple[int, ...]


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
        hit = (member[:, None] & (key[:, None] == keys[None, :])).astype(np.int64)
        return np.asarray(incidence @ hit)
    value = counts.distinct[positions]
    out = np.zeros((len(incidence), len(keys)), dtype=np.int64)
    for i, k in enumerate(keys.tolist()):
        for v in np.unique(value[member & (key == k)]).tolist():
            hit = (member & (key == k) & (value == v)).astype(np.int64)
            out[:, i] += (incidence @ hit) > 0
    return out


@dataclass(frozen=True, eq=False)
class _Group:
    """One group's options and what each means for every rule."""

    options: IntArray  # (n_options, seats) pool positions
    merit: IntArray  # (n_options,) grid merit
    weights: IntArray  # (n_options, seats) lottery weights, largest first
    bends: IntArray  # (n_options, n_rules) bends of the group's own rows of each rule
    tally: IntArray  # (n_options, n_coupling_keys) tallies towards delegation-wide rows


@dataclass(frozen=True, eq=False)
class _Coupling:
    """The delegation-wide rows: rule index, bounds, soft or not, per key."""

    rule: IntArray
    lower: np.ndarray
    upper: np.ndarray


class Decomposition:
    """Exact optimum of an event by per-group options and a programme over groups.

    Parameters
    ----------
    pool
        The prepared candidates.
    rules
        The seats rule first, then the configured rules (the same list the integer
        programme is built from).
    max_options, max_states
        Limits above which the decomposition declines (:attr:`usable` false).

    Attributes
    ----------
    usable
        Whether every query can be answered exactly here.
    reason
        Why not, in words (empty when usable).
    """

    def __init__(
        self,
        pool: Pool,
        rules: Sequence[Constraint],
        *,
        max_options: int = MAX_OPTIONS,
        max_states: int = MAX_STATES,
    ) -> None:
        self.pool, self.rules = pool, tuple(rules)
        self.max_states = max_states
        self.usable, self.reason = True, ""
        self.groups: list[_Group] = []
        self.weight = (int(pool.lottery.max(initial=0)) + 1 - pool.lottery).astype(np.int64)
        soft = [r for r in rules if r.soft and r.penalty is None]
        self.levels = sorted({r.priority for r in soft}, reverse=True)
        self.step_cost = [
            round(r.penalty / pool.grid_step) if r.soft and r.penalty is not None else 0
            for r in rules
        ]
        blocked = next((r for r in rules if r.couples_groups and r.counts_values), None)
        if blocked is not None:
            self._decline(f"the delegation-wide rule '{blocked.label}' counts different values")
            return
        counts = [r.counts(pool) for r in rules]
        coupling = [
            (k, np.flatnonzero(c.active & (c.group < 0)))
            for k, (r, c) in enumerate(zip(rules, counts, strict=True))
            if r.couples_groups
        ]
        self.coupling = _Coupling(
            np.concatenate([np.full(len(keys), k) for k, keys in coupling] or [np.zeros(0, int)]),
            np.concatenate([counts[k].lower[keys] for k, keys in coupling] or [np.zeros(0)]),
            np.concatenate([counts[k].upper[keys] for k, keys in coupling] or [np.zeros(0)]),
        )
        for g in range(pool.n_groups):
            group = self._enumerate(g, counts, coupling, max_options)
            if group is None:
                self._decline(f"group {pool.group_names[g]} has more than {max_options} options")
                return
            self.groups.append(group)

    def _decline(self, reason: str) -> None:
        self.usable, self.reason, self.groups = False, reason, []

    def _enumerate(
        self,
        g: int,
        counts: list[Counts],
        coupling: list[tuple[int, IntArray]],
        max_options: int,
    ) -> _Group | None:
        pool = self.pool
        positions = np.flatnonzero(pool.selectable & (pool.group_code == g))
        seats = int(pool.seats[g])
        if seats > len(positions):
            return _Group(
                np.zeros((0, seats), np.int64),
                np.zeros(0, np.int64),
                np.zeros((0, seats), np.int64),
                np.zeros((0, len(counts)), np.int64),
                np.zeros((0, len(self.coupling.rule)), np.int64),
            )
        if math.comb(len(positions), seats) > max_options:
            return None
        local = np.array(list(itertools.combinations(range(len(positions)), seats)), np.int64)
        local = local.reshape(-1, seats)
        incidence = np.zeros((len(local), len(positions)), dtype=np.int64)
        np.put_along_axis(incidence, local, 1, axis=1)
        bends = np.zeros((len(local), len(counts)), dtype=np.int64)
        for k, (rule, c) in enumerate(zip(self.rules, counts, strict=True)):
            if rule.couples_groups:
                continue
            keys = np.flatnonzero(c.active & (c.group == g))
            if len(keys):
                n = tallies(c, positions, incidence, keys)
                over = np.maximum(np.maximum(c.lower[keys] - n, n - c.upper[keys]), 0)
                bends[:, k] = over.sum(axis=1).astype(np.int64)
        parts = [tallies(counts[k], positions, incidence, keys) for k, keys in coupling]
        options = positions[local]
        return _Group(
            options,
            pool.grid_merit[options].sum(axis=1).astype(np.int64),
            -np.sort(-self.weight[options], axis=1),
            bends,
            np.concatenate(parts, axis=1) if parts else np.zeros((len(local), 0), np.int64),
        )

    def _values(self, group: _Group, kept: BoolArray) -> tuple[np.ndarray, BoolArray]:
        """Value columns of every option (stages, merit, weight sum) and which are allowed."""
        hard = np.array([not r.soft for r in self.rules]) & kept
        allowed = ~(group.bends[:, hard] > 0).any(axis=1)
        columns = []
        for level in self.levels:
            chosen = [
                k
                for k, r in enumerate(self.rules)
                if kept[k] and r.soft and r.penalty is None and r.priority == level
            ]
            columns.append(-group.bends[:, chosen].sum(axis=1))
        cost = np.array(self.step_cost) * kept
        columns.append(group.merit - group.bends @ cost)
        columns.append(group.weights.sum(axis=1))
        return np.stack(columns, axis=1).astype(np.int64), np.asarray(allowed, dtype=bool)

    def optimum(
        self,
        dropped: frozenset[int] = frozenset(),
        *,
        keep: BoolArray | None = None,
        forbid: BoolArray | None = None,
    ) -> BoolArray | None:
        """Pool mask of the best delegation with the rules ``dropped`` left out.

        ``keep``: a delegation to change as little as possible (the most of its members
        stay, before anything else counts); ``forbid``: candidates who may not be chosen.
        ``None`` when no delegation meets every hard rule kept.

        Raises
        ------
        RuntimeError
            When the decomposition is not :attr:`usable` (callers check first).
        """
        if not self.usable:
            raise RuntimeError(f"the decomposition cannot answer: {self.reason}")
        kept = np.array([k not in dropped for k in range(len(self.rules))])
        keep_key = kept[self.coupling.rule] if len(self.coupling.rule) else np.zeros(0, bool)
        rows = np.flatnonzero(keep_key)
        lower, upper = self.coupling.lower[rows], self.coupling.upper[rows]
        soft = np.array([self.rules[int(k)].soft for k in self.coupling.rule[rows]], dtype=bool)
        cap = np.where(
            soft | np.isfinite(upper), np.iinfo(np.int64).max, np.maximum(lower, 0)
        ).astype(np.float64)
        states: dict[tuple[int, ...], tuple[Value, tuple[int, ...]]] = {
            tuple([0] * len(rows)): ((), ())
        }
        for group in self.groups:
            values, allowed = self._values(group, kept)
            if forbid is not None:
                allowed &= ~forbid[group.options].any(axis=1)
            if keep is not None:
                values = np.column_stack([keep[group.options].sum(axis=1), values])
            best = self._best_per_tally(group, values, allowed, rows)
            if not best:
                return None
            grown: dict[tuple[int, ...], tuple[Value, tuple[int, ...]]] = {}
            for state, (value, picks) in states.items():
                for tally, (option, option_value) in best.items():
                    new = tuple(
                        int(min(s + t, c)) for s, t, c in zip(state, tally, cap, strict=True)
                    )
                    if any(n > u and not s for n, u, s in zip(new, upper, soft, strict=True)):
                        continue  # a hard maximum is already exceeded
                    total = _add(value, option_value)
                    if new not in grown or total > grown[new][0]:
                        grown[new] = (total, (*picks, option))
            if len(grown) > self.max_states:
                raise RuntimeError("too many states of the delegation-wide tallies")
            states = grown
        winner = self._final(states, rows, lower, upper, soft, int(keep is not None))
        if winner is None:
            return None
        mask = np.zeros(self.pool.n_candidates, dtype=bool)
        for group, option in zip(self.groups, winner, strict=True):
            mask[group.options[option]] = True
        return mask

    def _best_per_tally(
        self, group: _Group, values: np.ndarray, allowed: BoolArray, rows: IntArray
    ) -> dict[tuple[int, ...], tuple[int, Value]]:
        """Per distinct tally of the kept delegation-wide rows: the group's best option."""
        if not allowed.any():
            return {}
        order = np.lexsort(
            (
                *(-group.weights[:, i] for i in reversed(range(group.weights.shape[1]))),
                *(-values[:, i] for i in reversed(range(values.shape[1]))),
            )
        )
        order = order[allowed[order]]
        tally = group.tally[:, rows]
        best: dict[tuple[int, ...], tuple[int, Value]] = {}
        for option in order.tolist():
            key = tuple(tally[option].tolist())
            if key not in best:
                bits = sum(1 << int(w) for w in group.weights[option].tolist())
                best[key] = (option, (*values[option].tolist(), bits))
        return best

    def _final(
        self,
        states: dict[tuple[int, ...], tuple[Value, tuple[int, ...]]],
        rows: IntArray,
        lower: np.ndarray,
        upper: np.ndarray,
        soft: BoolArray,
        offset: int,
    ) -> tuple[int, ...] | None:
        """The best final state once the delegation-wide rows are met (or bent, if soft).

        ``offset``: value columns before the stages (1 when changes are counted first).
        """
        best: tuple[Value, tuple[int, ...]] | None = None
        for state, (value, picks) in states.items():
            n = np.array(state, dtype=float)
            bent = np.maximum(np.maximum(lower - n, n - upper), 0).astype(np.int64)
            if (bent[~soft] > 0).any():
                continue
            adjusted = list(value)
            for row, b in zip(rows.tolist(), bent.tolist(), strict=True):
                rule = self.rules[int(self.coupling.rule[row])]
                if not b or not rule.soft:
                    continue
                if rule.penalty is None:
                    adjusted[offset + self.levels.index(rule.priority)] -= b
                else:
                    cost = self.step_cost[int(self.coupling.rule[row])]
                    adjusted[offset + len(self.levels)] -= cost * b
            total = tuple(adjusted)
            if best is None or total > best[0]:
                best = (total, picks)
        return None if best is None else best[1]


def _add(a: Value, b: Value) -> Value:
    return b if not a else tuple(x + y for x, y in zip(a, b, strict=True))
