"""Reserves: who steps in when a representative withdraws after the announcement.

The reserve of representative ``r`` answers one question: if ``r`` withdraws, everyone
else staying, who comes in? The event is solved again with ``r`` out and the rest of the
delegation kept: first as few other changes as possible, then the usual order (soft rules
by priority, merit, the seeded lottery). A soft rule may bend further to let the others
stay; the report says which. Usually one candidate of ``r``'s group comes in: the named
reserve. When no single replacement keeps the hard rules, the smallest set of changes is
named instead (who joins, who else leaves), and there is no single reserve. The what-if
``keep_delegation = true`` with ``withdraw`` asks the same question of the same solve.
Each representative's reserve is found on its own (one withdrawal at a time), so one
candidate may be named for several representatives.

The ranked reserve list of a group holds the non-selected candidates who could replace at
least one representative one for one without breaking a hard rule, best on merit first,
with the representatives they are the named reserve for.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule, seats_rule
>>> from selection.model.selection import Selection
>>> from selection.model.pool import prepare_pool
>>> c = pd.DataFrame({"candidate_id": list("abcd"), "name": list("ABCD"), "group": ["G"] * 4,
...                   "gender": ["F", "M", "M", "F"]})
>>> cfg = SelectionConfig(per_group=2)
>>> merit = pd.DataFrame({"candidate_id": list("abcd"), "merit": [4.0, 3, 2, 1]})
>>> pool = prepare_pool(c, merit, cfg)
>>> rules = (seats_rule(cfg), make_rule("at_least", attribute="gender", value="F", count=1))
>>> found = reserves(Selection.from_ids(pool, ["a", "b"]), rules)
>>> found.substitute_of("a"), found.substitute_of("b")
('d', 'c')
>>> found.ranked[["reserve_rank", "candidate_id", "replaces"]].values.tolist()
[[1, 'c', 'b'], [2, 'd', 'a']]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection import columns as col
from selection.engine.decomposition import Decomposition
from selection.model.pool import BoolArray
from selection.model.program import Model, Stage, build_model
from selection.model.rule import Constraint, Counts
from selection.model.selection import Selection
from selection.model.solve import solve

__all__ = ["RESERVE_COLUMNS", "Change", "Replacements", "Reserves", "SwapCheck", "reserves"]

RESERVE_COLUMNS: tuple[str, ...] = (
    col.GROUP,
    col.RESERVE_RANK,
    col.CANDIDATE_ID,
    col.NAME,
    col.MERIT,
    col.REPLACES,
)
"""Columns of the ranked reserve list."""


class SwapCheck:
    """Check one-for-one swaps of a delegation against every rule, without a solver.

    A swap is allowed when it keeps every hard rule and bends no soft rule further (the
    same test as comparing :func:`selection.model.verify.soft_bends` before and after;
    ``soft_may_bend``: soft rules are not looked at), but each
    swap only re-counts the rows of the two candidates concerned, so checking many swaps
    costs little even in a large event.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> swaps = SwapCheck(Selection.from_ids(pool, ["c1", "c3", "c5", "c6"]),
    ...                   [make_rule("seats", per_group=2),
    ...                    make_rule("max_per", attribute="project")])
    >>> swaps.keeps(2, 1), swaps.keeps(0, 1), swaps.keeps(2, 6)
    (False, True, False)
    """

    def __init__(
        self, selection: Selection, rules: Sequence[Constraint], *, soft_may_bend: bool = False
    ) -> None:
        self.selectable = selection.pool.selectable
        self.parts: list[_Part] = []
        for rule in rules:
            if rule.soft and soft_may_bend:
                continue
            c = rule.counts(selection.pool)
            n = c.tally(selection.positions)
            pairs: dict[tuple[int, int], int] = {}
            if c.distinct is not None:
                for p in selection.positions[c.member[selection.positions]].tolist():
                    pair = (int(c.key[p]), int(c.distinct[p]))
                    pairs[pair] = pairs.get(pair, 0) + 1
            bounds = np.where(c.active, c.lower, -np.inf), np.where(c.active, c.upper, np.inf)
            self.parts.append(
                _Part(
                    rule.soft,
                    c,
                    n.tolist(),
                    int(c.bent(n).sum()),
                    pairs,
                    bounds[0].tolist(),
                    bounds[1].tolist(),
                )
            )

    def keeps(self, out_position: int, in_position: int) -> bool:
        """Whether replacing ``out_position`` by ``in_position`` keeps the rules as required."""
        if not self.selectable[in_position]:
            return False
        for part in self.parts:
            after: float = part.total
            for key, delta in part.changes(out_position, in_position).items():
                now, low, high = part.n[key], part.lower[key], part.upper[key]
                # The bend of one row, as Counts.bent computes it for arrays.
                after += max(low - now - delta, now + delta - high, 0) - max(
                    low - now, now - high, 0
                )
            if after > (part.total if part.soft else 0):
                return False
        return True


@dataclass
class _Part:
    """One rule's state for :class:`SwapCheck`: tallies, total bend, bounds as lists."""

    soft: bool
    counts: Counts
    n: list[int]
    total: int
    pairs: dict[tuple[int, int], int]
    lower: list[float]
    upper: list[float]

    def changes(self, out_position: int, in_position: int) -> dict[int, int]:
        """Change of each touched key's tally when ``out_position`` leaves for ``in_position``."""
        c, moves = self.counts, ((out_position, -1), (in_position, 1))
        change: dict[int, int] = {}
        if c.distinct is None:
            for p, sign in moves:
                if c.member[p]:
                    change[int(c.key[p])] = change.get(int(c.key[p]), 0) + sign
            return change
        after: dict[tuple[int, int], int] = {}
        for p, sign in moves:
            if c.member[p]:
                pair = (int(c.key[p]), int(c.distinct[p]))
                after[pair] = after.get(pair, self.pairs.get(pair, 0)) + sign
        for (key, value), count in after.items():
            was = self.pairs.get((key, value), 0) > 0
            change[key] = change.get(key, 0) + int(count > 0) - int(was)
        return change


class Replacements:
    """The delegation after some representatives withdraw, the others staying if they can.

    Solved as the selection is, with a first objective before every other: keep as many of
    the other representatives as possible. The decomposition answers when the event fits
    it (:class:`selection.engine.decomposition.Decomposition`), else the integer programme
    with that objective as its first stage.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> delegation = Selection.from_ids(pool, ["c1", "c3", "c5", "c6"])
    >>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project")]
    >>> after = Replacements(delegation, rules).after([pool.position("c1")])
    >>> pool.candidate_ids[after].tolist()
    ['c2', 'c3', 'c5', 'c6']
    """

    def __init__(
        self,
        selection: Selection,
        rules: Sequence[Constraint],
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        engine: Decomposition | None = None,
    ) -> None:
        self.selection, self.rules = selection, tuple(rules)
        self.solver, self.time_limit = solver, time_limit
        self.engine = engine if engine is not None else Decomposition(selection.pool, rules)
        self._model: Model | None = None
        # A rule met "as far as available" asks less once someone withdraws, as the what-if
        # that withdraws them (made ineligible) finds: then each withdrawal is answered on
        # the pool without them.
        self.availability = any(rule.depends_on_availability for rule in self.rules)

    def after(self, withdrawn: Sequence[int]) -> BoolArray | None:
        """Pool mask of the delegation once ``withdrawn`` (pool positions) are out.

        ``None`` when no delegation without them meets every hard rule.
        """
        pool, base = self.selection.pool, self.selection.mask
        out = np.zeros(pool.n_candidates, dtype=bool)
        out[list(withdrawn)] = True
        engine = self.engine
        if self.availability:
            pool = pool.without(list(withdrawn))
            limits = {"max_options": self.engine.max_options, "max_states": self.engine.max_states}
            engine = Decomposition(pool, self.rules, **limits)
        if engine.usable:
            try:
                return engine.replace(base, list(withdrawn))
            except RuntimeError:
                pass  # more states than the decomposition keeps: the programme answers
        if self.availability:  # the programme of the pool without them
            model = build_model(pool, self.rules)
        else:
            if self._model is None:
                self._model = build_model(pool, self.rules)
            model = self._model
        keep = np.zeros(model.n_cols, dtype=np.int64)
        keep[: model.n_x] = (base & ~out)[model.x_positions]
        staged = dataclasses.replace(model, stages=(Stage("keep", keep), *model.stages))
        fix = {j: 0 for j, p in enumerate(model.x_positions.tolist()) if out[p]}
        result = solve(staged, solver=self.solver, time_limit=self.time_limit, max_ties=1, fix=fix)
        if result.columns is None:
            return None
        mask = np.zeros(pool.n_candidates, dtype=bool)
        mask[model.x_positions[result.chosen]] = True
        return mask


@dataclass(frozen=True)
class Change:
    """What happens when one representative withdraws: who joins, who else leaves, what bends.

    Examples
    --------
    >>> Change(("c4",), (), ("45% women",)).single
    'c4'
    """

    joining: tuple[str, ...]
    leaving: tuple[str, ...]
    bends: tuple[str, ...]

    @property
    def single(self) -> str:
        """The one reserve when exactly one candidate replaces the representative, else ``""``."""
        return self.joining[0] if len(self.joining) == 1 and not self.leaving else ""


@dataclass(frozen=True, eq=False)
class Reserves:
    """Named substitutes and the ranked reserve list.

    Attributes
    ----------
    substitutes
        Representative's candidate id to their reserve's id (``""`` when no single
        replacement keeps the hard rules: see ``changes``).
    changes
        Representative's candidate id to what their withdrawal changes (absent when no
        delegation without them keeps the hard rules).
    ranked
        :data:`RESERVE_COLUMNS`, sorted by group then rank.

    Examples
    --------
    >>> Reserves({"c1": "c2"}, pd.DataFrame(columns=list(RESERVE_COLUMNS))).substitute_of("c9")
    ''
    """

    substitutes: dict[str, str]
    ranked: pd.DataFrame
    changes: dict[str, Change] = dataclasses.field(default_factory=dict)

    def substitute_of(self, candidate_id: str) -> str:
        """Return the substitute's id of a representative (``""`` when there is none)."""
        return self.substitutes.get(candidate_id, "")


def reserves(
    selection: Selection,
    rules: Sequence[Constraint],
    *,
    n_reserves: int | None = None,
    replacements: Replacements | None = None,
) -> Reserves:
    """Find each representative's reserve and rank each group's reserves.

    Parameters
    ----------
    selection
        The delegation.
    rules
        Every rule (seats first).
    n_reserves
        Longest reserve list per group (``None``: everyone who can replace someone).
    replacements
        How withdrawals are solved (a new :class:`Replacements` when ``None``).

    Returns
    -------
    Reserves
        See :class:`Reserves`.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> delegation = Selection.from_ids(pool, ["c1", "c2", "c5", "c6"])
    >>> reserves(delegation, [make_rule("seats")]).substitutes
    {'c1': 'c3', 'c2': 'c3', 'c5': '', 'c6': ''}
    """
    pool = selection.pool
    replacements = replacements or Replacements(selection, rules)
    chosen = selection.mask
    ids, names = pool.candidate_ids, pool.frame[col.NAME].to_numpy(dtype=object)
    before = _bends(selection, rules)
    substitutes: dict[str, str] = {}
    changes: dict[str, Change] = {}
    fast = replacements.engine.usable and not replacements.availability
    stand_in = replacements.engine.stand_ins(chosen) if fast else None
    for rep in selection.positions.tolist():
        rep_id = str(ids[rep])
        if stand_in is not None and stand_in[rep] >= 0:  # one for one, no soft rule to bend
            substitutes[rep_id] = str(ids[stand_in[rep]])
            changes[rep_id] = Change((substitutes[rep_id],), (), ())
            continue
        after = replacements.after([rep])
        if after is None:
            substitutes[rep_id] = ""
            continue
        bent = _bends(Selection.from_mask(pool, after), rules)
        change = Change(
            tuple(str(i) for i in ids[after & ~chosen]),
            tuple(str(i) for i in ids[chosen & ~after] if str(i) != rep_id),
            tuple(label for label, n in bent.items() if n > before.get(label, 0)),
        )
        changes[rep_id] = change
        substitutes[rep_id] = change.single
    can_swap = replacements.engine.swappable(chosen) if fast else None
    swaps = SwapCheck(selection, rules, soft_may_bend=True) if can_swap is None else None
    order = np.lexsort((pool.lottery, -pool.grid_merit, pool.group_code))
    bounds = np.searchsorted(pool.group_code[order], np.arange(pool.n_groups + 1))
    named: dict[str, list[str]] = {}
    for rep_id, sub in substitutes.items():
        if sub:
            named.setdefault(sub, []).append(rep_id)
    records = []
    for g in range(pool.n_groups):
        in_group = order[bounds[g] : bounds[g + 1]]
        reps = in_group[chosen[in_group]].tolist()
        others = in_group[pool.selectable[in_group] & ~chosen[in_group]].tolist()
        rank = 0
        for s in others:
            if n_reserves is not None and rank >= n_reserves:
                break
            fits = (
                bool(can_swap[s])
                if can_swap is not None
                else swaps is not None and any(swaps.keeps(rep, s) for rep in reps)
            )
            if str(ids[s]) in named or fits:
                rank += 1
                records.append(
                    (
                        pool.group_names[g],
                        rank,
                        str(ids[s]),
                        str(names[s]),
                        float(pool.merit[s]),
                        "; ".join(sorted(named.get(str(ids[s]), []))),
                    )
                )
    ranked = pd.DataFrame(records, columns=list(RESERVE_COLUMNS)).astype(
        {col.RESERVE_RANK: "int64", col.MERIT: "float64"}
    )
    return Reserves(substitutes, ranked, changes)


def _bends(selection: Selection, rules: Sequence[Constraint]) -> dict[str, int]:
    """How far each soft rule is bent by a delegation."""
    return {r.label: r.bent_by(selection) for r in rules if r.soft}
