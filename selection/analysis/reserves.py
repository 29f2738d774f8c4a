"""Reserves: a named substitute for every representative and a ranked list per group.

The substitute of representative ``r`` is the best (highest merit, then lottery) eligible
non-selected candidate ``s`` of ``r``'s group such that the delegation with ``s`` instead
of ``r``, everyone else staying, breaks no hard rule and bends no soft rule further than the
delegation does now. Each swap is checked by the solver-free checker
(:func:`selection.model.verify.check`); no solver is involved. Each representative's substitute
is chosen on its own (one absence at a time), so one reserve may be named for several
representatives.

The ranked reserve list of a group holds the non-selected candidates who could replace at
least one representative, best first, with the representatives they are the named
substitute for.

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection import columns as col
from selection.model.rule import Constraint, Counts
from selection.model.selection import Selection

__all__ = ["RESERVE_COLUMNS", "Reserves", "SwapCheck", "reserves"]

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
    same test as comparing :func:`selection.model.verify.soft_bends` before and after), but each
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

    def __init__(self, selection: Selection, rules: Sequence[Constraint]) -> None:
        self.selectable = selection.pool.selectable
        self.parts: list[_Part] = []
        for rule in rules:
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


@dataclass(frozen=True, eq=False)
class Reserves:
    """Named substitutes and the ranked reserve list.

    Attributes
    ----------
    substitutes
        Representative's candidate id to their substitute's id (``""`` when nobody can
        step in without breaking a rule).
    ranked
        :data:`RESERVE_COLUMNS`, sorted by group then rank.

    Examples
    --------
    >>> Reserves({"c1": "c2"}, pd.DataFrame(columns=list(RESERVE_COLUMNS))).substitute_of("c9")
    ''
    """

    substitutes: dict[str, str]
    ranked: pd.DataFrame

    def substitute_of(self, candidate_id: str) -> str:
        """Return the substitute's id of a representative (``""`` when there is none)."""
        return self.substitutes.get(candidate_id, "")


def reserves(
    selection: Selection, rules: Sequence[Constraint], *, n_reserves: int | None = None
) -> Reserves:
    """Find each representative's substitute and rank each group's reserves.

    Parameters
    ----------
    selection
        The delegation.
    rules
        Every rule (seats first); hard ones must hold, soft ones may not bend further.
    n_reserves
        Longest reserve list per group (``None``: everyone who can replace someone).

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
    swaps = SwapCheck(selection, rules)
    chosen = selection.mask
    memo: dict[tuple[int, int], bool] = {}

    def can_replace(rep: int, sub: int) -> bool:
        if (rep, sub) not in memo:
            memo[rep, sub] = swaps.keeps(rep, sub)
        return memo[rep, sub]

    order = np.lexsort((pool.lottery, -pool.grid_merit, pool.group_code))
    ids, names = pool.candidate_ids, pool.frame[col.NAME].to_numpy(dtype=object)
    substitutes: dict[str, str] = {}
    records = []
    for g in range(pool.n_groups):
        in_group = order[pool.group_code[order] == g]
        reps = [int(p) for p in in_group if chosen[p]]
        others = [int(p) for p in in_group if pool.selectable[p] and not chosen[p]]
        named: dict[int, list[str]] = {}
        for rep in reps:
            sub = next((s for s in others if can_replace(rep, s)), -1)
            substitutes[str(ids[rep])] = str(ids[sub]) if sub >= 0 else ""
            if sub >= 0:
                named.setdefault(sub, []).append(str(ids[rep]))
        rank = 0
        for s in others:
            if n_reserves is not None and rank >= n_reserves:
                break
            if any(can_replace(rep, s) for rep in reps):
                rank += 1
                records.append(
                    (
                        pool.group_names[g],
                        rank,
                        str(ids[s]),
                        str(names[s]),
                        float(pool.merit[s]),
                        "; ".join(sorted(named.get(s, []))),
                    )
                )
    ranked = pd.DataFrame(records, columns=list(RESERVE_COLUMNS)).astype(
        {col.RESERVE_RANK: "int64", col.MERIT: "float64"}
    )
    return Reserves(substitutes, ranked)
