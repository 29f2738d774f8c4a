"""Exact selection by the structure of the problem: per-group options and a small coupling.

Only delegation-wide rules (``scope = "all"``) link groups; every other rule is a question
about one group. So each group's possible delegations (*options*, see
:mod:`selection.engine.options`) are enumerated once with what each means for every rule,
and a selection is one option per group; the delegation-wide rows only see the sum of the
options' tallies. :meth:`Decomposition.optimum` answers a query in three steps:

1. per group and per tally towards the delegation-wide rows, the best option that keeps
   the group's hard rules (a vectorised pass over all options at once);
2. if every group's best option together keeps the delegation-wide rows, that is the
   optimum; otherwise a dynamic programme over groups on the (capped) tallies finds it;
3. the winner's members, its stage values and how many delegations tie with it.

The order of delegations is exactly the integer programme's (:mod:`selection.model.solve`):
soft-rule stages by priority (fewer bends first), then merit on the grid minus soft-rule
penalties, then the larger sum of lottery weights, then the delegation holding the
best-placed lottery position among the candidates that differ (which is the comparison of
``sum(2 ** weight)``: exact ties on everything before are settled that way).

Queries may leave rules out (``dropped``: the price of fairness, the reasons), keep as much
of a delegation as possible (``keep``: reserves) and forbid candidates (``forbid``).

Not every event fits: a group with more than :data:`MAX_OPTIONS` options, more than
:data:`MAX_STATES` states of the delegation-wide tallies, or a delegation-wide rule that
counts different values (those counts do not add up over groups). Then :attr:`usable` is
false (or a query returns :data:`UNANSWERED`) and callers solve the integer programme.

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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.engine.options import GroupOptions, enumerate_options, full_count, tallies
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.rule import Constraint

__all__ = ["MAX_OPTIONS", "MAX_STATES", "Decomposition", "Outcome", "tallies"]

MAX_OPTIONS = 50_000
"""Most options (choices of the seats) enumerated in one group."""
MAX_STATES = 200_000
"""Most states of the delegation-wide tallies in the programme over groups."""
_NEG = np.iinfo(np.int64).min // 4


@dataclass(frozen=True, eq=False)
class Outcome:
    """The answer to a query: the delegation, its value and how many delegations tie.

    Attributes
    ----------
    mask
        Pool mask of the delegation.
    merit
        Its grid merit.
    stages
        Soft-rule stage values (minus bends per priority level, highest first) and the
        merit stage (grid merit minus penalties), as the integer programme's stages count
        them up to a constant.
    n_optimal
        Delegations with the same stage values (a float: it may be very large).
    """

    mask: BoolArray
    merit: int
    stages: tuple[int, ...]
    n_optimal: float


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
        Limits above which the decomposition declines.

    Attributes
    ----------
    usable
        Whether queries can be answered here.
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
        self.weight = (int(pool.lottery.max(initial=0)) + 1 - pool.lottery).astype(np.int64)
        soft = [r for r in self.rules if r.soft and r.penalty is None]
        self.levels = sorted({r.priority for r in soft}, reverse=True)
        self.units = np.array(
            [
                round(r.penalty / pool.grid_step) if r.soft and r.penalty is not None else 0
                for r in self.rules
            ],
            dtype=np.int64,
        )
        self.hard = np.array([not r.soft for r in self.rules])
        self.level_of = np.array(
            [
                self.levels.index(r.priority) if r.soft and r.penalty is None else -1
                for r in self.rules
            ]
        )
        blocked = next((r for r in self.rules if r.couples_groups and r.counts_values), None)
        if blocked is not None:
            self._decline(f"the delegation-wide rule '{blocked.label}' counts different values")
            return
        self.coupling: list[tuple[int, IntArray]] = []
        rows_rule, rows_lower, rows_upper = [], [], []
        for k, rule in enumerate(self.rules):
            if rule.couples_groups:
                c = rule.counts(pool)
                keys = np.flatnonzero(c.active & (c.group < 0))
                self.coupling.append((k, keys))
                rows_rule += [k] * len(keys)
                rows_lower += c.lower[keys].tolist()
                rows_upper += c.upper[keys].tolist()
        self.row_rule = np.array(rows_rule, dtype=np.int64)
        self.row_lower = np.array(rows_lower, dtype=float)
        self.row_upper = np.array(rows_upper, dtype=float)
        too_big = [g for g in range(pool.n_groups) if full_count(pool, g) > max_options]
        if too_big:
            name = pool.group_names[too_big[0]]
            self._decline(f"group {name} has more than {max_options} options")
            return
        self._flat: _Flat | None = None
        self._last_base: tuple[bytes, IntArray | None] | None = None

    def _decline(self, reason: str) -> None:
        self.usable, self.reason = False, reason

    # -- the options of every group, as flat arrays ------------------------------------

    def group(self, g: int) -> GroupOptions:
        """Every option of group ``g`` (best first in the group's tie order)."""
        return self.flat.groups[g]

    @property
    def flat(self) -> _Flat:
        """Every group's options, enumerated on first use."""
        if self._flat is None:
            groups = [
                enumerate_options(self.pool, self.rules, g, self.coupling)
                for g in range(self.pool.n_groups)
            ]
            self._flat = _Flat.of(groups, self.weight)
        return self._flat

    # -- queries -----------------------------------------------------------------------

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
            When the decomposition is not :attr:`usable` or the query needs more states
            than allowed (callers check :attr:`usable` and fall back on the programme).
        """
        found = self.solve(dropped, keep=keep, forbid=forbid)
        return None if found is None else found.mask

    def solve(
        self,
        dropped: frozenset[int] = frozenset(),
        *,
        keep: BoolArray | None = None,
        forbid: BoolArray | None = None,
    ) -> Outcome | None:
        """The best delegation, its values and how many tie (see :meth:`optimum`)."""
        if not self.usable:
            raise RuntimeError(f"the decomposition cannot answer: {self.reason}")
        flat = self.flat
        kept = np.array([k not in dropped for k in range(len(self.rules))])
        rows = np.flatnonzero(kept[self.row_rule]) if len(self.row_rule) else np.zeros(0, int)
        values, allowed = self._values(flat, kept, keep, forbid)
        menu = _menu(flat, values, allowed, rows)
        if menu is None:
            return None
        n_value = values.shape[1]
        states = _Coupling(
            self, rows, n_value, has_keep=keep is not None, max_states=self.max_states
        )
        winner = states.run(flat, menu)
        if winner is None:
            return None
        options, total, n_optimal = winner
        mask = np.zeros(self.pool.n_candidates, dtype=bool)
        mask[flat.members[options].ravel()] = True
        offset = int(keep is not None)
        merit = int(flat.merit[options].sum())
        stages = tuple(int(v) for v in total[offset : offset + len(self.levels) + 1])
        return Outcome(mask, merit, stages, n_optimal)

    def replace(self, base: BoolArray, withdrawn: Sequence[int]) -> BoolArray | None:
        """The delegation once ``withdrawn`` leave ``base``, the others staying if they can.

        One withdrawal whose seat one candidate of the same group can fill, every other
        representative staying, is answered within the group (the other groups fixed);
        anything else by :meth:`optimum` with ``keep`` and ``forbid``.
        """
        out = np.zeros(self.pool.n_candidates, dtype=bool)
        out[list(withdrawn)] = True
        if len(withdrawn) == 1:
            found = self._single(base, int(withdrawn[0]))
            if found is not None:
                return found
        return self.optimum(keep=base & ~out, forbid=out)

    def _single(self, base: BoolArray, rep: int) -> BoolArray | None:
        """The best one-for-one replacement of ``rep`` within its group, or ``None``."""
        flat, pool = self.flat, self.pool
        g = int(pool.group_code[rep])
        a, b = int(flat.start[g]), int(flat.start[g + 1])
        members = flat.members[a:b]
        stay = base.copy()
        stay[rep] = False
        staying = stay[np.maximum(members, 0)] & (members >= 0)
        n_stay = int(stay[pool.group_code == g].sum())
        fits = (staying.sum(axis=1) == n_stay) & ~(members == rep).any(axis=1)
        kept = np.ones(len(self.rules), dtype=bool)
        values, allowed = self._values(flat, kept, None, None)
        fits &= allowed[a:b]
        if not fits.any():
            return None
        chosen = self._base_options(base)
        if chosen is None:
            return None
        others = flat.tally[chosen].sum(axis=0) - flat.tally[chosen[g]]
        total = others[None, :] + flat.tally[a:b]
        n = total.astype(float)
        bent = np.maximum(np.maximum(self.row_lower - n, n - self.row_upper), 0)
        hard_rows = np.array([not self.rules[int(k)].soft for k in self.row_rule], dtype=bool)
        fits &= ~(bent[:, hard_rows] > 0).any(axis=1) if hard_rows.any() else True
        if not fits.any():
            return None
        local = values[a:b].copy()
        for row, k in enumerate(self.row_rule.tolist()):
            rule = self.rules[k]
            if rule.soft and rule.penalty is None:
                local[:, self.levels.index(rule.priority)] -= bent[:, row].astype(np.int64)
            elif rule.soft:
                local[:, len(self.levels)] -= self.units[k] * bent[:, row].astype(np.int64)
        index = np.flatnonzero(fits)
        order = np.lexsort(
            (
                flat.wrank[a:b][index],
                *(-local[index][:, c] for c in reversed(range(local.shape[1]))),
            )
        )
        best = a + int(index[order[0]])
        mask = base.copy()
        mask[pool.group_code == g] = False
        mask[flat.members[best][flat.members[best] >= 0]] = True
        return mask

    def _base_options(self, base: BoolArray) -> IntArray | None:
        """The flat option index of each group's part of ``base`` (``None`` if one is not an
        option: an ineligible member, a wrong number of seats); remembered for the last
        ``base`` (reserves ask about one delegation many times)."""
        key = base.tobytes()
        if self._last_base is not None and self._last_base[0] == key:
            return self._last_base[1]
        chosen = self._find_base_options(base)
        self._last_base = (key, chosen)
        return chosen

    def _find_base_options(self, base: BoolArray) -> IntArray | None:
        flat = self.flat
        chosen = np.zeros(len(flat.groups), dtype=np.int64)
        for g in range(len(flat.groups)):
            a, b = int(flat.start[g]), int(flat.start[g + 1])
            members = flat.members[a:b]
            inside = (members >= 0) & base[np.maximum(members, 0)]
            want = int(base[self.pool.group_code == g].sum())
            hit = np.flatnonzero(inside.sum(axis=1) == want)
            if len(hit) != 1 or want != (members[hit[0]] >= 0).sum():
                return None
            chosen[g] = a + int(hit[0])
        return chosen

    def _values(
        self,
        flat: _Flat,
        kept: BoolArray,
        keep: BoolArray | None,
        forbid: BoolArray | None,
    ) -> tuple[np.ndarray, BoolArray]:
        """Per option: value columns (keep, stages, merit stage, weight sum) and allowed."""
        hard = self.hard & kept
        allowed = (
            ~(flat.bends[:, hard] > 0).any(axis=1) if hard.any() else np.ones(flat.n, dtype=bool)
        )
        if forbid is not None:
            allowed &= ~forbid[flat.members].any(axis=1)
        columns = []
        if keep is not None:
            columns.append(keep[flat.members].sum(axis=1))
        for level in range(len(self.levels)):
            chosen = np.flatnonzero(kept & (self.level_of == level))
            columns.append(-flat.bends[:, chosen].sum(axis=1))
        cost = self.units * kept
        merit = flat.merit - (flat.bends @ cost if cost.any() else 0)
        columns += [merit, flat.keysum]
        return np.stack(columns, axis=1).astype(np.int64), np.asarray(allowed, dtype=bool)


@dataclass(frozen=True, eq=False)
class _Flat:
    """Every group's options concatenated: ``start[g]:start[g + 1]`` are group ``g``'s."""

    groups: list[GroupOptions]
    start: IntArray
    group_of: IntArray
    members: IntArray
    merit: IntArray
    keysum: IntArray
    wrank: IntArray
    bends: IntArray
    tally: IntArray
    bits: list[int]

    @property
    def n(self) -> int:
        return len(self.merit)

    @staticmethod
    def of(groups: list[GroupOptions], weight: IntArray) -> _Flat:
        sizes = np.array([g.n_options for g in groups], dtype=np.int64)
        start = np.concatenate(([0], np.cumsum(sizes)))
        seats = max((g.members.shape[1] for g in groups), default=0)

        def pad(m: IntArray) -> IntArray:
            return np.pad(m, ((0, 0), (0, seats - m.shape[1])), constant_values=-1)

        members = np.concatenate([pad(g.members) for g in groups] or [np.zeros((0, seats))])
        wrank = np.concatenate([_weight_rank(g.weights) for g in groups] or [np.zeros(0, np.int64)])
        return _Flat(
            groups,
            start,
            np.repeat(np.arange(len(groups)), sizes),
            members.astype(np.int64),
            np.concatenate([g.merit for g in groups] or [np.zeros(0, np.int64)]),
            np.concatenate([g.weights.sum(axis=1) for g in groups] or [np.zeros(0, np.int64)]),
            wrank,
            np.concatenate([g.bends for g in groups]),
            np.concatenate([g.tally for g in groups]),
            [],
        )


def _weight_rank(weights: IntArray) -> IntArray:
    """Rank of each option by its weights alone, largest first, in turn (0 = best)."""
    if not len(weights):
        return np.zeros(0, np.int64)
    order = np.lexsort(tuple(-weights[:, i] for i in reversed(range(weights.shape[1]))))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


@dataclass(frozen=True, eq=False)
class _Menu:
    """Per group, its best allowed option for each distinct tally of the kept rows."""

    group: IntArray  # (n_items,)
    option: IntArray  # (n_items,) flat option index
    tally: IntArray  # (n_items, n_rows)
    value: np.ndarray  # (n_items, n_value)
    ties: np.ndarray  # (n_items,) options of the group and tally with the same primary value
    start: IntArray  # items of group g: start[g]:start[g + 1]
    best: IntArray  # (n_groups,) each group's best item, whatever its tally


def _menu(flat: _Flat, values: np.ndarray, allowed: BoolArray, rows: IntArray) -> _Menu | None:
    """The best option per group and tally (``None`` when a group has no allowed option)."""
    n_groups = len(flat.groups)
    index = np.flatnonzero(allowed)
    if len(np.unique(flat.group_of[index])) < n_groups:
        return None
    tally = flat.tally[index][:, rows]
    width = tally.max(axis=0) + 1 if len(index) and len(rows) else np.ones(len(rows), int)
    radix = np.concatenate(([1], np.cumprod(width)[:-1]))[: len(rows)].astype(np.int64)
    code = tally @ radix
    keys = (
        flat.group_of[index],
        code,
        *(-values[index][:, c] for c in range(values.shape[1])),
        flat.wrank[index],
    )
    order = np.lexsort(tuple(reversed(keys)))
    sorted_index = index[order]
    g, c = flat.group_of[sorted_index], code[order]
    first = np.flatnonzero(np.concatenate(([True], (g[1:] != g[:-1]) | (c[1:] != c[:-1]))))
    picked = sorted_index[first]
    primary = values[:, :-1]  # everything but the weight sum: what counts as a tie
    boundaries = np.append(first, len(sorted_index))
    ties = np.array(
        [
            np.sum((primary[sorted_index[a:b]] == primary[sorted_index[a]]).all(axis=1))
            for a, b in itertools.pairwise(boundaries)
        ],
        dtype=float,
    )
    item_group = flat.group_of[picked]
    starts = np.searchsorted(item_group, np.arange(n_groups + 1))
    by_value = np.lexsort(
        (
            flat.wrank[picked],
            *(-values[picked][:, k] for k in reversed(range(values.shape[1]))),
            item_group,
        )
    )
    best = by_value[starts[:-1]]
    return _Menu(
        item_group, picked, flat.tally[picked][:, rows], values[picked], ties, starts, best
    )


class _Coupling:
    """The programme over groups on the kept delegation-wide rows' tallies."""

    def __init__(
        self,
        engine: Decomposition,
        rows: IntArray,
        n_value: int,
        *,
        has_keep: bool,
        max_states: int,
    ) -> None:
        self.engine = engine
        self.rows = rows
        self.n_value = n_value
        self.has_keep = has_keep
        self.lower = engine.row_lower[rows]
        self.upper = engine.row_upper[rows]
        self.soft = np.array([engine.rules[int(engine.row_rule[r])].soft for r in rows], bool)
        n_seats = int(engine.pool.seats.sum())
        caps = []
        for low, high, soft in zip(self.lower, self.upper, self.soft, strict=True):
            if soft:
                caps.append(n_seats)
            elif np.isfinite(high):
                caps.append(int(min(high, n_seats)))
            else:
                caps.append(int(max(min(low, n_seats), 0)))
        self.caps = np.array(caps, dtype=np.int64)
        self.saturate = ~self.soft & ~np.isfinite(self.upper)
        self.radix = np.concatenate(([1], np.cumprod(self.caps + 1)[:-1])).astype(np.int64)
        self.n_states = int(np.prod(self.caps + 1)) if len(rows) else 1
        if self.n_states > max_states:
            raise RuntimeError("too many states of the delegation-wide tallies")

    def _bent(self, tally: IntArray) -> IntArray:
        """How far each kept row is bent by total tallies (rows x states)."""
        n = tally.astype(float)
        low = np.where(
            self.saturate[:, None],
            np.minimum(self.lower[:, None], self.caps[:, None]),
            self.lower[:, None],
        )
        return np.maximum(np.maximum(low - n, n - self.upper[:, None]), 0).astype(np.int64)

    def run(self, flat: _Flat, menu: _Menu) -> tuple[IntArray, np.ndarray, float] | None:
        """The winning options (one per group), their total value and the tie count."""
        best_items = menu.best
        if not len(self.rows):
            options = menu.option[best_items]
            total = menu.value[best_items].sum(axis=0)
            return options, total, float(np.prod(menu.ties[best_items]))
        tally = menu.tally[best_items].sum(axis=0)
        if (self._bent(tally[:, None])[~self.soft] == 0).all() and not self.soft.any():
            options = menu.option[best_items]
            total = menu.value[best_items].sum(axis=0)
            if self._other_tallies_tie(menu, best_items):
                return self._programme(flat, menu)
            return options, total, float(np.prod(menu.ties[best_items]))
        return self._programme(flat, menu)

    def _other_tallies_tie(self, menu: _Menu, best_items: IntArray) -> bool:
        """Whether another tally of some group ties with its best on the primary value (the
        tie count must then come from the programme)."""
        primary = menu.value[:, :-1]
        for g, best in enumerate(best_items.tolist()):
            items = np.arange(menu.start[g], menu.start[g + 1])
            others = items[items != best]
            if len(others) and (primary[others] == primary[best]).all(axis=1).any():
                return True
        return False

    def _programme(self, flat: _Flat, menu: _Menu) -> tuple[IntArray, np.ndarray, float] | None:
        """Dynamic programme over groups; exact ties settled by the lottery's bit sums."""
        s, c = self.n_states, self.n_value
        value = np.full((s, c), _NEG, dtype=np.int64)
        value[0] = 0
        ways = np.zeros(s)
        ways[0] = 1.0
        states = np.arange(s)
        digits = (states[:, None] // self.radix[None, :]) % (self.caps + 1)[None, :]
        back_state: list[IntArray] = []
        back_item: list[IntArray] = []
        reach = np.zeros(s, dtype=bool)
        reach[0] = True
        for g in range(len(flat.groups)):
            items = np.arange(menu.start[g], menu.start[g + 1])
            src = np.repeat(np.flatnonzero(reach), len(items))
            item = np.tile(items, int(reach.sum()))
            new_digits = digits[src] + menu.tally[item]
            over = (new_digits > self.caps[None, :]) & ~self.saturate[None, :]
            keep_entry = ~over.any(axis=1)
            src, item, new_digits = src[keep_entry], item[keep_entry], new_digits[keep_entry]
            new_digits = np.minimum(new_digits, self.caps[None, :])
            tgt = new_digits @ self.radix
            if not len(tgt):
                return None
            cand = value[src] + menu.value[item]
            order = np.lexsort((*(cand[:, k] for k in reversed(range(c))), tgt))
            tgt_sorted = tgt[order]
            last = np.flatnonzero(np.append(tgt_sorted[1:] != tgt_sorted[:-1], True))
            win = order[last]
            # exact ties with the winner (equal in every column): settle by the bit sums
            first = np.concatenate(([0], last[:-1] + 1))
            for a, b, w in zip(first.tolist(), last.tolist(), win.tolist(), strict=True):
                if b > a and (cand[order[b - 1]] == cand[w]).all():
                    contenders = [
                        order[i] for i in range(a, b + 1) if (cand[order[i]] == cand[w]).all()
                    ]
                    w = max(
                        contenders,
                        key=lambda e: self._bits(
                            flat, menu, back_state, back_item, src[e], item[e]
                        ),
                    )
                    win[np.searchsorted(last, b)] = w
            new_value = np.full((s, c), _NEG, dtype=np.int64)
            new_value[tgt[win]] = cand[win]
            new_ways = np.zeros(s)
            primary_equal = (cand[:, :-1] == new_value[tgt][:, :-1]).all(axis=1)
            np.add.at(new_ways, tgt[primary_equal], (ways[src] * menu.ties[item])[primary_equal])
            bs = np.full(s, -1, dtype=np.int64)
            bi = np.full(s, -1, dtype=np.int64)
            bs[tgt[win]], bi[tgt[win]] = src[win], item[win]
            back_state.append(bs)
            back_item.append(bi)
            value, ways = new_value, new_ways
            reach = np.zeros(s, dtype=bool)
            reach[tgt[win]] = True
            if not reach.any():
                return None
        final = np.flatnonzero(reach)
        bent = self._bent(digits[final].T)  # rows x final states
        if (bent[~self.soft] > 0).any(axis=0).all():
            return None
        ok = ~(bent[~self.soft] > 0).any(axis=0)
        final, bent = final[ok], bent[:, ok]
        adjusted = value[final].copy()
        offset = int(self.has_keep)
        for r, row in enumerate(self.rows.tolist()):
            rule = self.engine.rules[int(self.engine.row_rule[row])]
            if not rule.soft:
                continue
            if rule.penalty is None:
                adjusted[:, offset + self.engine.levels.index(rule.priority)] -= bent[r]
            else:
                units = self.engine.units[int(self.engine.row_rule[row])]
                adjusted[:, offset + len(self.engine.levels)] -= units * bent[r]
        order = np.lexsort(tuple(adjusted[:, k] for k in reversed(range(c))))
        best = order[-1]
        contenders = [i for i in order if (adjusted[i] == adjusted[best]).all()]
        if len(contenders) > 1:
            best = max(
                contenders,
                key=lambda i: self._bits_at(flat, menu, back_state, back_item, int(final[i])),
            )
        primary = adjusted[:, :-1]
        n_optimal = float(ways[final][(primary == primary[best]).all(axis=1)].sum())
        state = int(final[best])
        options = np.zeros(len(flat.groups), dtype=np.int64)
        for g in reversed(range(len(flat.groups))):
            item = int(back_item[g][state])
            options[g] = menu.option[item]
            state = int(back_state[g][state])
        return options, adjusted[best], n_optimal

    def _bits_at(
        self,
        flat: _Flat,
        menu: _Menu,
        back_state: list[IntArray],
        back_item: list[IntArray],
        state: int,
    ) -> int:
        """Sum of ``2 ** weight`` over the path that ends in ``state`` after the last layer."""
        total = 0
        for g in reversed(range(len(back_item))):
            item = int(back_item[g][state])
            total += _option_bits(flat, int(menu.option[item]))
            state = int(back_state[g][state])
        return total

    def _bits(
        self,
        flat: _Flat,
        menu: _Menu,
        back_state: list[IntArray],
        back_item: list[IntArray],
        src: int,
        item: int,
    ) -> int:
        """Bit sum of the path reaching ``src`` in the layers so far, plus ``item``."""
        total = _option_bits(flat, int(menu.option[item]))
        state = src
        for g in reversed(range(len(back_item))):
            prev_item = int(back_item[g][state])
            total += _option_bits(flat, int(menu.option[prev_item]))
            state = int(back_state[g][state])
        return total


def _option_bits(flat: _Flat, option: int) -> int:
    group = flat.groups[int(flat.group_of[option])]
    local = option - int(flat.start[int(flat.group_of[option])])
    return sum(1 << int(w) for w in group.weights[local].tolist())
