"""Exact selection by the structure of the problem: per-group options and a small coupling.

Only delegation-wide rules (``scope = "all"``) link groups; every other rule is a question
about one group. So each group's possible delegations (*options*, see
:mod:`selection.engine.options`) are enumerated once with what each means for every rule,
and a selection is one option per group; the delegation-wide rows only see the sum of the
options' tallies. :meth:`Decomposition.solve` answers a query in three steps:

1. per group and per tally towards the delegation-wide rows, the best option that keeps
   the group's hard rules (the *menu*). Without soft rules every option's place in the
   order is known in advance, so the menu of any set of rules comes from a table built
   once: per group, tally and set of rules bent, the best option and how many options
   share its merit (a query reads that table, never the options);
2. if every group's best option together keeps the delegation-wide rows, that is the
   optimum; otherwise a dynamic programme over the groups whose choice matters, on the
   tallies (:class:`_Coupling`: states that can no longer make a difference are merged,
   options no better in value nor tally than the group's best are dropped);
3. the winner's members, its stage values and how many delegations tie with it.

The order of delegations is exactly the integer programme's (:mod:`selection.model.solve`):
soft-rule stages by priority (fewer bends first), then merit on the grid minus soft-rule
penalties, then the larger sum of lottery weights, then the delegation holding the
best-placed lottery position among the candidates that differ (which is the comparison of
``sum(2 ** weight)``: exact ties on everything before are settled that way).

Queries may leave rules out (``dropped``: the price of fairness, the reasons), keep as much
of a delegation as possible (``keep``: reserves) and forbid candidates (``forbid``);
:meth:`Decomposition.replace` answers a withdrawal within the group when it can, and
:meth:`Decomposition.counterfactuals` forces every candidate in or out of their group at
once.

Not every event fits: a group with more than :data:`MAX_OPTIONS` options, more than
:data:`MAX_STATES` states of the delegation-wide tallies, more than 64 rules, or a
delegation-wide rule that counts different values (those counts do not add up over
groups). Then :attr:`usable` is false (or a query raises :class:`RuntimeError`) and
callers solve the integer programme.

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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from selection.engine.options import Options, enumerate_options, lottery_weights, mask_dtype
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.rule import Constraint

__all__ = ["MAX_OPTIONS", "MAX_STATES", "Decomposition", "Outcome"]

MAX_OPTIONS = 50_000
"""Most options (choices of the seats) enumerated in one group."""
MAX_STATES = 200_000
"""Most states of the delegation-wide tallies in one layer of the programme over groups."""
_CLASS_BLOCK = 1 << 18
"""Options whose classes are worked out together (see :meth:`_Classes.of`)."""
_EXACT = float(2**53)
"""Tie counts up to this are exact in floating point; larger ones are recounted in integers."""


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
        Delegations with the same stage values (exact; 0 when the query did not count).
    options
        The flat option index of each group's part.
    alternatives
        Per group with several, the options equal to the chosen one in value and tally
        (the chosen one first); the delegations that tie are every combination of them
        when :attr:`within_tallies`.
    within_tallies
        Whether every tie swaps options of equal tally (so :attr:`alternatives` lists all).
    """

    mask: BoolArray
    merit: int
    stages: tuple[int, ...]
    n_optimal: int
    options: IntArray
    alternatives: dict[int, IntArray] = field(default_factory=dict)
    within_tallies: bool = True


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
        self.max_options, self.max_states = max_options, max_states
        self.usable, self.reason = True, ""
        self.weight = lottery_weights(pool)
        soft = [r for r in self.rules if r.soft and r.penalty is None]
        self.levels = sorted({r.priority for r in soft}, reverse=True)
        self.units = np.array(
            [
                round(r.penalty / pool.grid_step) if r.soft and r.penalty is not None else 0
                for r in self.rules
            ],
            dtype=np.int64,
        )
        self.hard = np.array([not r.soft for r in self.rules], dtype=bool)
        self.has_soft = bool((~self.hard).any())
        self.level_of = np.array(
            [
                self.levels.index(r.priority) if r.soft and r.penalty is None else -1
                for r in self.rules
            ],
            dtype=np.int64,
        )
        self._options: Options | None = None
        self._classes: _Classes | None = None
        self._wrank: IntArray | None = None
        self._last_base: tuple[bytes, IntArray | None] | None = None
        self._last_swaps: tuple[bytes, IntArray] | None = None
        self._last_fixed: tuple[bytes, BoolArray] | None = None
        self._last_one_new: tuple[bytes, BoolArray] | None = None
        if len(self.rules) > 64:
            self._decline("more than 64 rules")
            return
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
        n_sel = np.bincount(pool.group_code[pool.selectable], minlength=pool.n_groups)
        sizes = [
            math.comb(int(n), int(s)) if s <= n else 0
            for n, s in zip(n_sel, pool.seats, strict=True)
        ]
        too_big = [g for g, size in enumerate(sizes) if size > max_options]
        if too_big:
            name = pool.group_names[too_big[0]]
            self._decline(f"group {name} has more than {max_options} options")

    def _decline(self, reason: str) -> None:
        self.usable, self.reason = False, reason

    def _bits(self, kept: BoolArray) -> np.unsignedinteger:
        """The mask bits of the hard rules kept (in the options' mask type)."""
        bits = 0
        for k in np.flatnonzero(kept & self.hard).tolist():
            bits |= 1 << k
        return mask_dtype(len(self.rules)).type(bits)

    # -- the options of every group, as flat arrays ------------------------------------

    @property
    def options(self) -> Options:
        """Every group's options, enumerated on first use."""
        if self._options is None:
            self._options = enumerate_options(self.pool, self.rules, self.coupling)
        return self._options

    def _weight_rank(self) -> IntArray:
        """Rank of each option within its group by its lottery weights alone (0 = best)."""
        if self._wrank is None:
            opts = self.options
            w = np.where(opts.members >= 0, self.weight[np.maximum(opts.members, 0)], 0)
            w = -np.sort(-w, axis=1)
            order = np.lexsort((*(-w[:, i] for i in reversed(range(w.shape[1]))), opts.group_of))
            rank = np.empty(opts.n, dtype=np.int64)
            rank[order] = np.arange(opts.n) - opts.start[opts.group_of[order]]
            self._wrank = rank
        return self._wrank

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
        found = self.solve(dropped, keep=keep, forbid=forbid, count=False)
        return None if found is None else found.mask

    def solve(
        self,
        dropped: frozenset[int] = frozenset(),
        *,
        keep: BoolArray | None = None,
        forbid: BoolArray | None = None,
        count: bool = True,
    ) -> Outcome | None:
        """The best delegation, its values and (``count``) how many tie; see :meth:`optimum`."""
        if not self.usable:
            raise RuntimeError(f"the decomposition cannot answer: {self.reason}")
        opts = self.options
        kept = np.array([k not in dropped for k in range(len(self.rules))], dtype=bool)
        rows = np.flatnonzero(kept[self.row_rule]) if len(self.row_rule) else np.zeros(0, int)
        fast = not self.has_soft and keep is None and forbid is None
        if fast:
            menu = self._class_menu(kept, rows)
            values = allowed = None
        else:
            values, allowed = self._values(kept, keep, forbid)
            menu = _menu(opts, values, allowed, rows, self._weight_rank())
        if menu is None:
            return None
        states = _Coupling(self, rows, menu.value.shape[1], has_keep=keep is not None)
        winner = states.run(menu, count=count)
        if winner is None:
            return None
        items, total, n_optimal = winner
        options = menu.option[items]
        mask = np.zeros(self.pool.n_candidates, dtype=bool)
        members = opts.members[options].ravel()
        mask[members[members >= 0]] = True
        offset = int(keep is not None)
        stages = tuple(int(v) for v in total[offset : offset + len(self.levels) + 1])
        alternatives: dict[int, IntArray] = {}
        within = True
        if count:
            product = math.prod(int(t) for t in menu.ties[items].tolist())
            within = product == n_optimal
            for g in np.flatnonzero(menu.ties[items] > 1).tolist():
                alternatives[g] = self._alternatives(
                    g, int(options[g]), rows, kept, values, allowed
                )
        return Outcome(
            mask,
            int(opts.merit[options].sum(dtype=np.int64)),
            stages,
            int(n_optimal),
            options,
            alternatives,
            within,
        )

    def _alternatives(
        self,
        g: int,
        option: int,
        rows: IntArray,
        kept: BoolArray,
        values: np.ndarray | None,
        allowed: BoolArray | None,
    ) -> IntArray:
        """The options of group ``g`` equal to ``option`` in tally and primary value."""
        opts = self.options
        a, b = int(opts.start[g]), int(opts.start[g + 1])
        same = (opts.tally[a:b][:, rows] == opts.tally[option, rows]).all(axis=1)
        if values is None or allowed is None:
            same &= (opts.mask[a:b] & self._bits(kept)) == 0
            same &= opts.merit[a:b] == opts.merit[option]
        else:
            same &= allowed[a:b]
            same &= (values[a:b, :-1] == values[option, :-1]).all(axis=1)
        found = a + np.flatnonzero(same)
        return np.concatenate(([option], found[found != option])).astype(np.int64)

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
        opts, pool = self.options, self.pool
        chosen = self._base_options(base)
        if chosen is None:
            return None
        if not self.has_soft:
            found = self._one_for_one(base, chosen)[rep]
            if found < 0:
                return None
            mask = base.copy()
            row = opts.members[chosen[pool.group_code[rep]]]
            mask[row[row >= 0]] = False
            row = opts.members[found]
            mask[row[row >= 0]] = True
            return mask
        g = int(pool.group_code[rep])
        a, b = int(opts.start[g]), int(opts.start[g + 1])
        members = opts.members[a:b]
        valid = members >= 0
        stay = base.copy()
        stay[rep] = False
        n_stay = int(stay[pool.group_code == g].sum())
        staying = (stay[np.maximum(members, 0)] & valid).sum(axis=1)
        fits = (staying == n_stay) & ~(members == rep).any(axis=1)
        fits &= (opts.mask[a:b] & self._bits(self.hard)) == 0
        if not fits.any():
            return None
        local = np.stack([opts.merit[a:b], opts.keysum[a:b]], axis=1).astype(np.int64)
        if len(self.row_rule):
            others = opts.tally[chosen].sum(axis=0) - opts.tally[chosen[g]]
            n = (others[None, :] + opts.tally[a:b]).astype(float)
            bent = np.maximum(np.maximum(self.row_lower - n, n - self.row_upper), 0)
            hard_rows = self.hard[self.row_rule]
            fits &= ~(bent[:, hard_rows] > 0).any(axis=1)
            if not fits.any():
                return None
            local = self._local_values(a, b, bent)
        elif self.has_soft:
            local = self._local_values(a, b, None)
        index = np.flatnonzero(fits)
        if self.has_soft:
            rank = self._weight_rank()[a:b][index]
            order = np.lexsort(
                (rank, *(-local[index][:, c] for c in reversed(range(local.shape[1]))))
            )
            best = a + int(index[order[0]])
        else:
            best = a + int(index[0])  # options are in the tie order already
        mask = base.copy()
        mask[pool.group_code == g] = False
        found = opts.members[best]
        mask[found[found >= 0]] = True
        return mask

    def _one_for_one(self, base: BoolArray, chosen: IntArray) -> IntArray:
        """Per representative of ``base`` (by pool position), the best option of the group
        that keeps every other representative of it and not them, under every hard rule
        with the other groups fixed (``-1``: none). All at once, without soft rules (then
        the first such option in the tie order is the best); remembered per ``base``."""
        key = base.tobytes()
        if self._last_swaps is not None and self._last_swaps[0] == key:
            return self._last_swaps[1]
        opts, pool = self.options, self.pool
        one_new = self._one_new(base, chosen)
        # the representative an option leaves out: the member of the group's chosen
        # option that it does not hold
        reps = opts.members[chosen]  # (n_groups, width)
        index = np.flatnonzero(one_new)
        theirs = reps[opts.group_of[index]]
        held = (theirs[:, :, None] == opts.members[index][:, None, :]).any(axis=2)
        missing = np.where((theirs >= 0) & ~held, theirs, -1).max(axis=1)
        best = np.full(pool.n_candidates + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, np.where(missing >= 0, missing, pool.n_candidates), index)
        answer = np.where(best[:-1] < np.iinfo(np.int64).max, best[:-1], -1)
        self._last_swaps = (key, answer)
        return answer

    def stand_ins(self, base: BoolArray) -> IntArray | None:
        """Per representative of ``base`` (by pool position), who replaces them when they
        withdraw and everyone else stays, as :meth:`replace` answers (``-1``: no one alone;
        then :meth:`replace` finds the smallest change); all at once. ``None`` with soft
        rules (a withdrawal may then be answered by bending one) or when ``base`` is not
        made of options."""
        if not self.usable or self.has_soft:
            return None
        chosen = self._base_options(base)
        if chosen is None:
            return None
        option = self._one_for_one(base, chosen)
        answer = np.full(self.pool.n_candidates, -1, dtype=np.int64)
        reps = np.flatnonzero(option >= 0)
        rows = self.options.members[option[reps]]
        fresh = (rows >= 0) & ~base[np.maximum(rows, 0)]
        answer[reps] = np.where(fresh, rows, -1).max(axis=1)
        return answer

    def swappable(self, base: BoolArray) -> BoolArray | None:
        """Who could replace some representative of ``base`` one for one, every other
        representative staying, under every hard rule (soft rules may bend further), the
        delegation-wide rows counted with the other groups fixed; ``None`` when ``base``
        is not made of options (the caller checks swaps itself)."""
        if not self.usable:
            return None
        chosen = self._base_options(base)
        if chosen is None:
            return None
        opts = self.options
        one_new = self._one_new(base, chosen)
        rows = opts.members[one_new]
        newcomers = rows[(rows >= 0) & ~base[np.maximum(rows, 0)]]
        found = np.zeros(self.pool.n_candidates, dtype=bool)
        found[newcomers[newcomers >= 0]] = True
        return found

    def _one_new(self, base: BoolArray, chosen: IntArray) -> BoolArray:
        """Options allowed with the other groups fixed (:meth:`_fixed_others`) that hold
        every representative of ``base`` in their group but one, and one newcomer
        (remembered for the last ``base``)."""
        key = base.tobytes()
        if self._last_one_new is not None and self._last_one_new[0] == key:
            return self._last_one_new[1]
        opts = self.options
        members = opts.members
        missing = self.pool.seats[opts.group_of].astype(np.int16)  # seats not yet held
        for i in range(members.shape[1]):
            column = members[:, i]
            missing -= base[np.maximum(column, 0)] & (column >= 0)
        one_new = self._fixed_others(chosen) & (missing == 1)
        self._last_one_new = (key, one_new)
        return one_new

    def _fixed_others(self, chosen: IntArray) -> BoolArray:
        """Options allowed by every hard rule, the delegation-wide rows counted with the
        other groups' options ``chosen`` (remembered for the last ``chosen``)."""
        key = chosen.tobytes()
        if self._last_fixed is not None and self._last_fixed[0] == key:
            return self._last_fixed[1]
        allowed = self._find_fixed_others(chosen)
        self._last_fixed = (key, allowed)
        return allowed

    def _find_fixed_others(self, chosen: IntArray) -> BoolArray:
        opts = self.options
        allowed = (opts.mask & self._bits(self.hard)) == 0
        if len(self.row_rule):
            own = opts.tally[chosen].astype(np.int64)  # (n_groups, n_rows)
            others = own.sum(axis=0)[None, :] - own  # the other groups' tallies
            hard_rows = self.hard[self.row_rule]
            for _, _, a, b in _blocks(opts.start):
                n = others[opts.group_of[a:b]] + opts.tally[a:b]
                inside = (n >= self.row_lower) & (n <= self.row_upper)
                allowed[a:b] &= inside[:, hard_rows].all(axis=1)
        return np.asarray(allowed, dtype=bool)

    def _local_values(self, a: int, b: int, bent: np.ndarray | None) -> np.ndarray:
        """Value columns (stages, merit stage, weight sum) of options ``a:b``, with the
        delegation-wide rows bent by ``bent`` (rows as columns) when given."""
        opts = self.options
        columns = []
        soft_index = {int(k): i for i, k in enumerate(opts.soft.tolist())}
        penalty = np.zeros(b - a, dtype=np.int64)
        level_bends = [np.zeros(b - a, dtype=np.int64) for _ in self.levels]
        for k, i in soft_index.items():
            if self.level_of[k] >= 0:
                level_bends[self.level_of[k]] -= opts.bends[a:b, i]
            else:
                penalty += self.units[k] * opts.bends[a:b, i]
        if bent is not None:
            for row, k in enumerate(self.row_rule.tolist()):
                if self.hard[k]:
                    continue
                if self.level_of[k] >= 0:
                    level_bends[self.level_of[k]] -= bent[:, row].astype(np.int64)
                else:
                    penalty += self.units[k] * bent[:, row].astype(np.int64)
        columns = [*level_bends, opts.merit[a:b] - penalty, opts.keysum[a:b].astype(np.int64)]
        return np.stack(columns, axis=1)

    def _base_options(self, base: BoolArray) -> IntArray | None:
        """The flat option index of each group's part of ``base`` (``None`` if one is not an
        option: an ineligible member, a wrong number of seats); remembered for the last
        ``base`` (reserves ask about one delegation many times)."""
        key = base.tobytes()
        if self._last_base is not None and self._last_base[0] == key:
            return self._last_base[1]
        opts, pool = self.options, self.pool
        chosen: IntArray | None = None
        per_group = np.bincount(pool.group_code[base], minlength=pool.n_groups)
        if np.array_equal(per_group, pool.seats) and not (base & ~pool.selectable).any():
            # the options with the group's merit and weight sum, then their members
            merit = np.zeros(pool.n_groups, dtype=np.int64)
            keysum = np.zeros(pool.n_groups, dtype=np.int64)
            np.add.at(merit, pool.group_code[base], pool.grid_merit[base])
            np.add.at(keysum, pool.group_code[base], self.weight[base])
            near = np.flatnonzero(
                (opts.merit == merit[opts.group_of]) & (opts.keysum == keysum[opts.group_of])
            )
            rows = opts.members[near]
            valid = rows >= 0
            inside = (base[np.maximum(rows, 0)] & valid).sum(axis=1) == valid.sum(axis=1)
            hits = near[inside]
            if len(hits) == pool.n_groups and np.array_equal(
                opts.group_of[hits], np.arange(pool.n_groups)
            ):
                chosen = hits.astype(np.int64)
        self._last_base = (key, chosen)
        return chosen

    def counterfactuals(self, base: BoolArray, *, look: int = 64) -> IntArray | None:
        """Per pool position, the option its group takes when the candidate is forced out
        (members of ``base``) or in (everyone else selectable), every other group keeping
        its part of ``base``; ``-1`` when no option of the group allows it or the candidate
        cannot be selected. ``None`` when the answer needs the integer programme (soft
        rules, or ``base`` not made of options).

        Within the group the same order and tie rule apply as in the full selection; the
        delegation-wide rows are evaluated with the other groups' tallies fixed. ``look``
        only trades speed (the same answers whatever it is).
        """
        if not self.usable or self.has_soft:
            return None
        chosen = self._base_options(base)
        if chosen is None:
            return None
        opts = self.options
        allowed = self._fixed_others(chosen)
        answer = np.full(self.pool.n_candidates, -1, dtype=np.int64)
        big = np.iinfo(np.int64).max
        best_in = np.full(self.pool.n_candidates + 1, big, dtype=np.int64)
        for _, _, a, b in _blocks(opts.start):
            index = a + np.flatnonzero(allowed[a:b])
            who = opts.members[index]
            np.minimum.at(
                best_in,
                np.where(who >= 0, who, self.pool.n_candidates).ravel(),
                np.repeat(index, who.shape[1]),
            )
        outside = self.pool.selectable & ~base
        found = best_in[:-1] < big
        answer[outside & found] = best_in[:-1][outside & found]
        reps = opts.members[chosen]  # (n_groups, width)
        free = np.flatnonzero(allowed)
        at = np.searchsorted(free, opts.start)  # each group's allowed options: at[g]:at[g+1]
        # the best option without a representative is nearly always among the first
        # ``look`` allowed ones; the others are searched only where it is not
        slots = at[:-1, None] + np.arange(look)[None, :]
        inside = slots < at[1:, None]
        candidates = free[np.minimum(slots, len(free) - 1)] if len(free) else slots
        held = opts.members[candidates]  # (n_groups, look, width)
        for k in range(reps.shape[1]):
            rep = reps[:, k]
            without = inside & ~(held == rep[:, None, None]).any(axis=2)
            hit = without.any(axis=1)
            best = candidates[np.arange(len(rep)), np.argmax(without, axis=1)]
            done = hit & (rep >= 0)
            answer[rep[done]] = best[done]
            for g in np.flatnonzero(~hit & (rep >= 0) & (at[1:] - at[:-1] > look)).tolist():
                rest = free[at[g] + look : at[g + 1]]
                ok = ~(opts.members[rest] == rep[g]).any(axis=1)
                if ok.any():
                    answer[rep[g]] = rest[int(np.argmax(ok))]
        return answer

    # -- menus ---------------------------------------------------------------------------

    def _class_menu(self, kept: BoolArray, rows: IntArray) -> _Menu | None:
        """The menu of a query without soft rules, from the table of option classes."""
        if self._classes is None:
            self._classes = _Classes.of(self.options)
        return self._classes.menu(self._bits(kept), rows, self.pool.n_groups)

    def _values(
        self,
        kept: BoolArray,
        keep: BoolArray | None,
        forbid: BoolArray | None,
    ) -> tuple[np.ndarray, BoolArray]:
        """Per option: value columns (keep, stages, merit stage, weight sum) and allowed."""
        opts = self.options
        allowed = (opts.mask & self._bits(kept)) == 0
        valid = opts.members >= 0
        safe = np.maximum(opts.members, 0)
        if forbid is not None:
            allowed &= ~(forbid[safe] & valid).any(axis=1)
        columns = []
        if keep is not None:
            columns.append((keep[safe] & valid).sum(axis=1))
        soft_kept = [(i, int(k)) for i, k in enumerate(opts.soft.tolist()) if kept[k]]
        for level in range(len(self.levels)):
            chosen = [i for i, k in soft_kept if self.level_of[k] == level]
            columns.append(-opts.bends[:, chosen].sum(axis=1).astype(np.int64))
        merit = opts.merit.astype(np.int64)
        for i, k in soft_kept:
            if self.units[k]:
                merit -= self.units[k] * opts.bends[:, i].astype(np.int64)
        columns += [merit, opts.keysum.astype(np.int64)]
        return np.stack(columns, axis=1).astype(np.int64), np.asarray(allowed, dtype=bool)

    def option_bits(self, option: int) -> int:
        """``sum(2 ** weight)`` over the option's members (the exact lottery comparison)."""
        members = self.options.members[option]
        return sum(1 << int(w) for w in self.weight[members[members >= 0]].tolist())


@dataclass(frozen=True, eq=False)
class _Classes:
    """Options grouped by (group, tally, rules bent): the best of each and how many share
    its merit. Without soft rules the best allowed option of a group and tally under any
    set of rules is the best of the classes that bend none of them."""

    group: IntArray
    option: IntArray
    tally: IntArray
    mask: np.ndarray
    merit: IntArray
    keysum: IntArray
    ties: np.ndarray

    @staticmethod
    def of(opts: Options, block: int = _CLASS_BLOCK) -> _Classes:
        """The classes of ``opts``, worked out ``block`` options' groups at a time (so the
        temporaries stay small: fresh memory is the dearest part of this at scale)."""
        n_rows = opts.tally.shape[1]
        width = (
            opts.tally.max(axis=0).astype(np.int64) + 1
            if opts.n and n_rows
            else np.ones(n_rows, np.int64)
        )
        radix = np.concatenate(([1], np.cumprod(width)[:-1]))[:n_rows].astype(np.int64)
        bits = int(np.bitwise_or.reduce(opts.mask)) if opts.n else 0
        n_bits = bits.bit_length()  # the rules ever bent are among the first n_bits
        n_codes = int(np.prod(width)) if n_rows else 1
        firsts, all_ties = [], []
        for g, h, a, b in _blocks(opts.start, block):
            first, ties = _classes_of(opts, a, b, g, h - g, radix, n_codes, n_bits)
            firsts.append(first + a)
            all_ties.append(ties)
        first = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
        return _Classes(
            opts.group_of[first].astype(np.int64),
            first.astype(np.int64),
            opts.tally[first].astype(np.int64),
            opts.mask[first],
            opts.merit[first].astype(np.int64),
            opts.keysum[first].astype(np.int64),
            np.concatenate(all_ties) if all_ties else np.zeros(0),
        )

    def menu(self, bits: np.unsignedinteger, rows: IntArray, n_groups: int) -> _Menu | None:
        index = np.flatnonzero((self.mask & bits) == 0)
        group = self.group[index]
        if len(np.unique(group)) < n_groups:
            return None
        tally = self.tally[index][:, rows]
        width = tally.max(axis=0) + 1 if len(index) and len(rows) else np.ones(len(rows), int)
        radix = np.concatenate(([1], np.cumprod(width)[:-1]))[: len(rows)].astype(np.int64)
        key = group * int(np.prod(width)) + tally @ radix
        order = np.lexsort((self.option[index], key))
        key_sorted = key[order]
        head = np.flatnonzero(np.concatenate(([True], key_sorted[1:] != key_sorted[:-1])))
        segment = np.cumsum(np.concatenate(([False], key_sorted[1:] != key_sorted[:-1])))
        picked = index[order[head]]
        equal = self.merit[index[order]] == self.merit[picked][segment]
        ties = np.bincount(segment, weights=self.ties[index[order]] * equal, minlength=len(head))
        item_group = self.group[picked]
        starts = np.searchsorted(item_group, np.arange(n_groups + 1))
        by_option = np.lexsort((self.option[picked], item_group))
        best = by_option[starts[:-1]]
        value = np.stack([self.merit[picked], self.keysum[picked]], axis=1)
        return _Menu(
            item_group, self.option[picked], self.tally[picked][:, rows], value, ties, starts, best
        )


def _blocks(start: IntArray, block: int = _CLASS_BLOCK) -> list[tuple[int, int, int, int]]:
    """Runs of whole groups ``g:h`` (options ``a:b``) of about ``block`` options each (at
    least one group): work done a run at a time keeps its temporaries small, and fresh
    memory is the dearest part of the work at scale.

    Examples
    --------
    >>> _blocks(np.array([0, 3, 5, 9, 10]), block=4)
    [(0, 1, 0, 3), (1, 2, 3, 5), (2, 3, 5, 9), (3, 4, 9, 10)]
    >>> _blocks(np.array([0, 3, 5, 9, 10]), block=6)
    [(0, 2, 0, 5), (2, 4, 5, 10)]
    """
    runs = []
    n_groups, g = len(start) - 1, 0
    while g < n_groups:
        h = int(np.searchsorted(start, start[g] + block, "right")) - 1
        h = min(max(h, g + 1), n_groups)
        runs.append((g, h, int(start[g]), int(start[h])))
        g = h
    return runs


def _classes_of(
    opts: Options,
    a: int,
    b: int,
    g: int,
    n_groups: int,
    radix: IntArray,
    n_codes: int,
    n_bits: int,
) -> tuple[IntArray, np.ndarray]:
    """The classes of options ``a:b`` (the options of groups ``g:g + n_groups``): the
    first option of each (relative to ``a``), in class order, and how many options of it
    share that option's merit."""
    n = b - a
    code = np.zeros(n, dtype=np.int64)
    for r in range(len(radix)):  # a column at a time: no (options, rows) temporary
        code += opts.tally[a:b, r] * radix[r]
    group = opts.group_of[a:b].astype(np.int64) - g
    if n_groups * n_codes << n_bits <= 2**25:
        cls = (group * n_codes + code) << n_bits
        cls |= opts.mask[a:b].astype(np.int64)
        first_of = np.full(n_groups * n_codes << n_bits, n, dtype=np.int64)
        np.minimum.at(first_of, cls, np.arange(n, dtype=np.int64))
        present = np.flatnonzero(first_of < n)
        first = first_of[present]
        position = np.zeros(len(first_of), dtype=np.int64)
        position[present] = np.arange(len(present))
        inverse = position[cls]
    else:
        masks, mask_id = np.unique(opts.mask[a:b], return_inverse=True)
        cls = (group * n_codes + code) * len(masks) + mask_id
        _, first, inverse = np.unique(cls, return_index=True, return_inverse=True)
    merit = opts.merit[a:b]
    same = merit == merit[first][inverse]
    return first, np.bincount(inverse[same], minlength=len(first)).astype(float)


def _menu(
    opts: Options, values: np.ndarray, allowed: BoolArray, rows: IntArray, wrank: IntArray
) -> _Menu | None:
    """The best allowed option per group and tally (``None`` when a group has none)."""
    n_groups = len(opts.start) - 1
    index = np.flatnonzero(allowed)
    if len(np.unique(opts.group_of[index])) < n_groups:
        return None
    tally = opts.tally[index][:, rows].astype(np.int64)
    width = tally.max(axis=0) + 1 if len(index) and len(rows) else np.ones(len(rows), int)
    radix = np.concatenate(([1], np.cumprod(width)[:-1]))[: len(rows)].astype(np.int64)
    code = tally @ radix
    keys = (
        opts.group_of[index],
        code,
        *(-values[index][:, c] for c in range(values.shape[1])),
        wrank[index],
    )
    order = np.lexsort(tuple(reversed(keys)))
    sorted_index = index[order]
    g, c = opts.group_of[sorted_index], code[order]
    change = np.concatenate(([True], (g[1:] != g[:-1]) | (c[1:] != c[:-1])))
    first = np.flatnonzero(change)
    segment = np.cumsum(change) - 1
    picked = sorted_index[first]
    primary = values[:, :-1]  # everything but the weight sum: what counts as a tie
    equal = (primary[sorted_index] == primary[picked][segment]).all(axis=1)
    ties = np.bincount(segment, weights=equal, minlength=len(first))
    item_group = opts.group_of[picked].astype(np.int64)
    starts = np.searchsorted(item_group, np.arange(n_groups + 1))
    by_value = np.lexsort(
        (
            wrank[picked],
            *(-values[picked][:, k] for k in reversed(range(values.shape[1]))),
            item_group,
        )
    )
    best = by_value[starts[:-1]]
    return _Menu(
        item_group,
        picked,
        opts.tally[picked][:, rows].astype(np.int64),
        values[picked],
        ties,
        starts,
        best,
    )


@dataclass(eq=False)
class _Layer:
    """The states after one group of the programme, sparse: only those reached."""

    code: IntArray
    digits: IntArray
    value: np.ndarray
    ways: np.ndarray
    src: IntArray  # index of the previous layer's state
    item: IntArray  # menu item taken


class _Coupling:
    """The programme over groups on the kept delegation-wide rows' tallies.

    Per row, states that can no longer make a difference are merged: for a row with only
    a lower bound, tallies that every completion lifts over it (and with a single row, the
    completion by each group's best options); symmetrically for a row with only an upper
    bound. Items no better than their group's best in value and no better in tally for
    any row are dropped (they are never part of an optimum), and groups left with one
    item only add to the starting state.
    """

    def __init__(self, engine: Decomposition, rows: IntArray, n_value: int, *, has_keep: bool):
        self.engine = engine
        self.rows = rows
        self.n_value = n_value
        self.has_keep = has_keep
        self.max_states = engine.max_states
        self.lower = engine.row_lower[rows]
        self.upper = engine.row_upper[rows]
        self.soft = ~engine.hard[engine.row_rule[rows]] if len(rows) else np.zeros(0, bool)
        n_seats = float(engine.pool.seats.sum())
        self.has_low = self.lower > 0
        self.has_high = self.upper < n_seats
        top = np.where(self.has_high & ~self.soft, np.minimum(self.upper, n_seats), n_seats)
        self.top = np.where(self.has_low & ~self.has_high, np.minimum(self.lower, n_seats), top)
        self.top = np.maximum(self.top, 0).astype(np.int64)

    def _bent(self, tally: IntArray) -> IntArray:
        """How far each kept row is bent by total tallies (states x rows)."""
        n = tally.astype(float)
        return np.maximum(np.maximum(self.lower - n, n - self.upper), 0).astype(np.int64)

    def run(self, menu: _Menu, *, count: bool) -> tuple[IntArray, np.ndarray, int] | None:
        """The winning items (one per group), their total value and the tie count."""
        best_items = menu.best
        total = menu.value[best_items].sum(axis=0)
        ties = math.prod(int(t) for t in menu.ties[best_items].tolist()) if count else 0
        if not len(self.rows):
            return best_items, total, ties
        tally = menu.tally[best_items].sum(axis=0)
        unbent = not self._bent(tally[None, :]).any()
        if unbent and (not count or not self._other_tallies_tie(menu, best_items)):
            return best_items, total, ties
        found = self._programme(menu, count=count, exact=False)
        if found is not None and count and not found[2] < _EXACT:
            found = self._programme(menu, count=count, exact=True)
        if found is None:
            return None
        return (
            found[0],
            found[1],
            round(found[2]) if isinstance(found[2], float) else int(found[2]),
        )

    def _other_tallies_tie(self, menu: _Menu, best_items: IntArray) -> bool:
        """Whether another tally of some group ties with its best on the primary value (the
        tie count must then come from the programme)."""
        primary = menu.value[:, :-1]
        same = (primary == primary[best_items][menu.group]).all(axis=1)
        same[best_items] = False
        return bool(same.any())

    def _useful(self, menu: _Menu) -> BoolArray:
        """Items that may be part of an optimum: not strictly worse than the group's best
        in value while no better in tally for every row."""
        best = menu.best[menu.group]
        primary = menu.value[:, :-1]
        diff = primary - primary[best]
        nonzero = diff != 0
        first = np.argmax(nonzero, axis=1)
        worse = nonzero.any(axis=1) & (diff[np.arange(len(diff)), first] < 0)
        mine, theirs = menu.tally, menu.tally[best]
        no_better = np.ones(len(best), dtype=bool)
        for r in range(len(self.rows)):
            if self.has_low[r] and not self.has_high[r]:
                no_better &= mine[:, r] <= theirs[:, r]
            elif self.has_high[r] and not self.has_low[r]:
                no_better &= mine[:, r] >= theirs[:, r]
            elif self.has_low[r] or self.has_high[r]:
                no_better &= mine[:, r] == theirs[:, r]
        useful = ~(worse & no_better)
        useful[menu.best] = True
        return useful

    def _programme(
        self, menu: _Menu, *, count: bool, exact: bool
    ) -> tuple[IntArray, np.ndarray, float | int] | None:
        """Dynamic programme over the groups whose choice matters (tie counts in floating
        point, or ``exact`` in integers)."""
        useful = self._useful(menu)
        n_groups = len(menu.best)
        per_group = np.bincount(menu.group[useful], minlength=n_groups)
        varying = np.flatnonzero(per_group > 1)
        fixed = np.flatnonzero(per_group == 1)
        choice = menu.best.copy()
        rows = len(self.rows)
        digits0 = menu.tally[menu.best[fixed]].sum(axis=0) if len(fixed) else np.zeros(rows, int)
        value0 = menu.value[menu.best[fixed]].sum(axis=0) if len(fixed) else np.zeros(self.n_value)
        ways_type: type = object if exact else float
        ways0 = math.prod(int(t) for t in menu.ties[menu.best[fixed]].tolist()) if count else 0
        items_of = [
            np.flatnonzero(useful[menu.start[g] : menu.start[g + 1]]) + menu.start[g]
            for g in varying.tolist()
        ]
        cap, floor, reach_low = self._bounds(menu, items_of)
        radix = np.concatenate(([1], np.cumprod(self.top + 1)[:-1])).astype(np.int64)
        if rows and float(np.prod((self.top + 1).astype(float))) > 2**62:
            raise RuntimeError("too many states of the delegation-wide tallies")
        start = self._clip(digits0[None, :].astype(np.int64), cap[0], floor[0])
        layers: list[_Layer] = []
        digits = start
        value = value0[None, :].astype(np.int64)
        ways: np.ndarray = np.array([ways0], dtype=ways_type)
        for layer, items in enumerate(items_of):
            k, m = len(digits), len(items)
            src = np.repeat(np.arange(k), m)
            item = np.tile(items, k)
            new = digits[src] + menu.tally[item]
            keep = np.ones(len(src), dtype=bool)
            for r in range(rows):
                if not self.soft[r] and self.has_high[r]:
                    keep &= new[:, r] <= self.upper[r]
                if not self.soft[r] and self.has_low[r]:
                    keep &= new[:, r] + reach_low[layer + 1][r] >= self.lower[r]
            src, item, new = src[keep], item[keep], new[keep]
            if not len(src):
                return None
            new = self._clip(new, cap[layer + 1], floor[layer + 1])
            code = new @ radix
            cand = value[src] + menu.value[item]
            order = np.lexsort((*(cand[:, c] for c in reversed(range(self.n_value))), code))
            code_sorted = code[order]
            last = np.flatnonzero(np.append(code_sorted[1:] != code_sorted[:-1], True))
            win = order[last]
            first = np.concatenate(([0], last[:-1] + 1))
            tie_at = np.flatnonzero(
                (last > first) & (cand[order[np.maximum(last - 1, 0)]] == cand[win]).all(axis=1)
            )
            for t in tie_at.tolist():
                a, b = int(first[t]), int(last[t])
                contenders = [
                    int(order[i]) for i in range(a, b + 1) if (cand[order[i]] == cand[win[t]]).all()
                ]
                win[t] = max(
                    contenders,
                    key=lambda e: (
                        self._path_bits(menu, layers, int(src[e]))
                        + self.engine.option_bits(int(menu.option[item[e]]))
                    ),
                )
            segment = np.cumsum(np.concatenate(([False], code_sorted[1:] != code_sorted[:-1])))
            new_ways: np.ndarray = np.zeros(len(win), dtype=ways_type)
            if count:
                primary_equal = (cand[order][:, :-1] == cand[win][segment][:, :-1]).all(axis=1)
                factor = menu.ties[item].astype(np.int64).astype(ways_type)
                contributions = (ways[src] * factor)[order]
                np.add.at(new_ways, segment[primary_equal], contributions[primary_equal])
            layers.append(_Layer(code[win], new[win], cand[win], new_ways, src[win], item[win]))
            if len(win) > self.max_states:
                raise RuntimeError("too many states of the delegation-wide tallies")
            digits, value, ways = new[win], cand[win], new_ways
        bent = self._bent(digits)  # states x rows
        ok = ~(bent[:, ~self.soft] > 0).any(axis=1)
        if not ok.any():
            return None
        final = np.flatnonzero(ok)
        adjusted = value[final].copy()
        offset = int(self.has_keep)
        for r, row in enumerate(self.rows.tolist()):
            k = int(self.engine.row_rule[row])
            if not self.soft[r]:
                continue
            if self.engine.level_of[k] >= 0:
                adjusted[:, offset + int(self.engine.level_of[k])] -= bent[final, r]
            else:
                adjusted[:, offset + len(self.engine.levels)] -= (
                    self.engine.units[k] * bent[final, r]
                )
        order = np.lexsort(tuple(adjusted[:, c] for c in reversed(range(self.n_value))))
        best = int(order[-1])
        contenders = [int(i) for i in order if (adjusted[i] == adjusted[best]).all()]
        if len(contenders) > 1 and layers:
            best = max(contenders, key=lambda i: self._path_bits(menu, layers, int(final[i])))
        primary = adjusted[:, :-1]
        n_optimal = ways[final][(primary == primary[best]).all(axis=1)].sum() if count else 0
        state = int(final[best])
        for layer in reversed(range(len(layers))):
            choice[varying[layer]] = layers[layer].item[state]
            state = int(layers[layer].src[state])
        return choice, adjusted[best], n_optimal if exact else float(n_optimal)

    def _bounds(self, menu: _Menu, items_of: list[IntArray]) -> tuple[IntArray, IntArray, IntArray]:
        """Per layer (0 = before the first varying group): the tally above which a row with
        only a lower bound is met for good (``cap``), the tally below which a row with only
        an upper bound is (``floor``), and the most the later groups can add (``reach``)."""
        rows, n = len(self.rows), len(items_of)
        low_all = np.zeros((n + 1, rows), dtype=np.int64)
        high_all = np.zeros((n + 1, rows), dtype=np.int64)
        low_best = np.zeros((n + 1, rows), dtype=np.int64)
        high_best = np.zeros((n + 1, rows), dtype=np.int64)
        primary = menu.value[:, :-1]
        for layer in reversed(range(n)):
            items = items_of[layer]
            t = menu.tally[items]
            best = menu.best[menu.group[items[0]]]
            top = t[(primary[items] == primary[best]).all(axis=1)]
            low_all[layer] = low_all[layer + 1] + t.min(axis=0)
            high_all[layer] = high_all[layer + 1] + t.max(axis=0)
            low_best[layer] = low_best[layer + 1] + top.min(axis=0)
            high_best[layer] = high_best[layer + 1] + top.max(axis=0)
        single = rows == 1
        big = np.iinfo(np.int64).max // 4
        cap = np.full((n + 1, rows), big, dtype=np.int64)
        floor = np.full((n + 1, rows), -big, dtype=np.int64)
        for r in range(rows):
            if self.has_low[r] and not self.has_high[r]:
                later = low_best[:, r] if single else low_all[:, r]
                cap[:, r] = np.maximum(np.ceil(self.lower[r]) - later, 0)
            elif self.has_high[r] and not self.has_low[r]:
                later = high_best[:, r] if single else high_all[:, r]
                floor[:, r] = np.floor(self.upper[r]) - later
            elif not self.has_high[r] and not self.has_low[r]:
                cap[:, r] = 0  # a row no tally can bend
        # shift: layer i's bounds apply after i groups, i.e. the later groups are i..n-1
        return cap, floor, high_all

    @staticmethod
    def _clip(digits: IntArray, cap: IntArray, floor: IntArray) -> IntArray:
        return np.maximum(np.minimum(digits, cap[None, :]), np.maximum(floor, 0)[None, :])

    def _path_bits(self, menu: _Menu, layers: list[_Layer], state: int) -> int:
        """``sum(2 ** weight)`` over the items of the varying groups on the path that ends
        in ``state`` of the last layer (the fixed groups are common to every path)."""
        total = 0
        for layer in reversed(range(len(layers))):
            total += self.engine.option_bits(int(menu.option[layers[layer].item[state]]))
            state = int(layers[layer].src[state])
        return total
