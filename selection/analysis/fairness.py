"""What the rules cost and where they conflict: price of fairness and infeasibility.

Both are rule-level analyses that solve the event again with some rules left out.

Price of fairness
    For each rule (the seats rule excepted) the event is solved again without it, with the
    same tie rule, and the merit of each group's representatives is compared. ``rule = "*"``
    drops every rule at once: the merit-only delegation, the best ``seats`` of each group
    by merit (ties by lottery), computed by sorting. ``cost = objective_without -
    objective_with`` is the merit the rule costs; never negative for a hard rule. The
    per-rule delegations also tell which rules are *binding* for a candidate: those whose
    removal would change whether the candidate is selected.
Minimal conflicting rules (:func:`diagnose`)
    A deletion filter over the named hard rules: drop each rule in turn and keep it out
    when the rest is still infeasible; what remains cannot hold together while any smaller
    subset can. Groups where the relaxation bends a rule are tried alone first (most
    conflicts live in one group), then the whole event. A solve that neither proves
    feasibility nor infeasibility keeps the rule in the set.
Smallest relaxation
    Every rule becomes elastic and the slack is minimised lexicographically: the seats
    rule bends last, then hard rules by priority (higher bends later), then soft rules;
    merit and the lottery pick among equal relaxations. The relaxation is reported as the
    violations of the resulting delegation, counted by :func:`selection.model.verify.check`.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule
>>> from selection.model.pool import example_event, prepare_pool
>>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
>>> one_per_project = make_rule("max_per", attribute="project", name="one per project")
>>> rules = (make_rule("seats", per_group=2), one_per_project)
>>> chosen = pool.frame["candidate_id"].isin(["c1", "c3", "c5", "c6"]).to_numpy()
>>> price = price_of_fairness(pool, rules, chosen)
>>> price.frame.loc[price.frame["group"] == "*", ["rule", "cost"]].values.tolist()
[['one per project', 1.0], ['*', 1.0]]
>>> women = make_rule("at_least", attribute="gender", value="F", count=2, name="2 women")
>>> print(diagnose(pool, [make_rule("seats", per_group=2), women]).conflicts[0].message)
group Asia has 1 eligible candidate with gender = F but '2 women' requires at least 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selection import columns as col
from selection.engine.decomposition import Decomposition
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.program import build_model
from selection.model.rule import Constraint, Violation
from selection.model.selection import Selection
from selection.model.solve import SolveStatus, check_feasible, solve
from selection.model.verify import check, violations_frame

__all__ = [
    "PRICE_COLUMNS",
    "Conflict",
    "Infeasibility",
    "PriceOfFairness",
    "Removals",
    "diagnose",
    "group_merit",
    "merit_only",
    "merit_rank",
    "price_of_fairness",
]

PRICE_COLUMNS: tuple[str, ...] = (
    col.RULE,
    col.GROUP,
    col.OBJECTIVE_WITH,
    col.OBJECTIVE_WITHOUT,
    col.COST,
)
"""Columns of the price-of-fairness frame; ``group = "*"`` is the whole delegation."""


def merit_rank(pool: Pool) -> IntArray:
    """Return each candidate's rank in its group by merit (1 = best; 0 = not selectable).

    Equal grid merits are ordered by lottery position, exactly as the tie rule does.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"), "group": ["G"] * 3})
    >>> m = pd.DataFrame({"candidate_id": list("ab"), "merit": [1.0, 2.0]})
    >>> merit_rank(prepare_pool(c, m, SelectionConfig())).tolist()
    [2, 1, 0]
    """
    positions = np.flatnonzero(pool.selectable)
    order = positions[
        np.lexsort(
            (pool.lottery[positions], -pool.grid_merit[positions], pool.group_code[positions])
        )
    ]
    groups = pool.group_code[order]
    first = np.searchsorted(groups, groups)
    rank = np.zeros(pool.n_candidates, dtype=np.int64)
    rank[order] = np.arange(len(order)) - first + 1
    return rank


def merit_only(pool: Pool) -> BoolArray | None:
    """Return the delegation without any rule but the seats (``None`` if even that fails).

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> merit_only(prepare_pool(*example_event(), SelectionConfig(per_group=2))).tolist()
    [True, True, False, False, True, True, False]
    """
    n_selectable = np.bincount(pool.group_code[pool.selectable], minlength=pool.n_groups)
    if np.any(n_selectable < pool.seats):
        return None
    rank = merit_rank(pool)
    return (rank >= 1) & (rank <= pool.seats[pool.group_code])


def group_merit(pool: Pool, mask: BoolArray) -> np.ndarray:
    """Return the total merit (on the grid) of the selected candidates of each group.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> group_merit(pool, merit_only(pool)).tolist()
    [17.0, 16.0]
    """
    sums = np.bincount(
        pool.group_code[mask], weights=pool.grid_merit[mask].astype(float), minlength=pool.n_groups
    )
    return sums * pool.grid_step


class Removals:
    """The delegation with some rules left out, each set of rules solved once.

    Keys are sets of rule indexes (the seats rule, index 0, always stays); leaving every
    other rule out gives the merit-only delegation (:func:`merit_only`). Each delegation
    follows the same order and tie rule as the full selection, so it differs from the
    selected one only because of the rules left out. They come from the decomposition
    (:class:`selection.engine.decomposition.Decomposition`: the groups' options are
    enumerated once, and each set of rules is a cheap query) when the event fits it, else
    from one integer programme each. Shared by the price of fairness and the reasons.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project")]
    >>> removals = Removals(pool, rules)
    >>> removals.without(frozenset({1})).tolist() == merit_only(pool).tolist()
    True
    """

    def __init__(
        self,
        pool: Pool,
        rules: Sequence[Constraint],
        *,
        solver: str = "highs",
        time_limit: float = 60.0,
        engine: Decomposition | None = None,
    ) -> None:
        self.pool, self.rules = pool, tuple(rules)
        self.solver, self.time_limit = solver, time_limit
        self._memo: dict[frozenset[int], BoolArray | None] = {}
        self._engine = engine

    @property
    def n_solves(self) -> int:
        """How many delegations were solved (or taken from the merit order) so far."""
        return len(self._memo)

    def without(self, dropped: frozenset[int]) -> BoolArray | None:
        """Pool mask of the best delegation without the rules ``dropped`` (``None``: none)."""
        if dropped not in self._memo:
            self._memo[dropped] = self._solve(dropped)
        return self._memo[dropped]

    def _solve(self, dropped: frozenset[int]) -> BoolArray | None:
        if dropped >= frozenset(range(1, len(self.rules))):
            return merit_only(self.pool)
        if self._engine is None:
            self._engine = Decomposition(self.pool, self.rules)
        if self._engine.usable:
            try:
                return self._engine.optimum(dropped)
            except RuntimeError:
                pass  # more states than the decomposition keeps: the programme answers
        model = build_model(self.pool, self.rules, drop=dropped)
        result = solve(model, solver=self.solver, time_limit=self.time_limit, max_ties=1)
        if result.columns is None:
            return None
        mask = np.zeros(self.pool.n_candidates, dtype=bool)
        mask[model.x_positions[result.chosen]] = True
        return mask


@dataclass(frozen=True, eq=False)
class PriceOfFairness:
    """The price-of-fairness frame and the delegation found without each rule.

    Attributes
    ----------
    frame
        :data:`PRICE_COLUMNS`, one row per rule and group plus ``group = "*"``.
    delegations
        Rule name (``"*"``: every rule) to the pool mask of the delegation without it;
        absent when no delegation exists without it.

    Examples
    --------
    >>> PriceOfFairness(pd.DataFrame(columns=list(PRICE_COLUMNS)), {}).frame.columns.tolist()
    ['rule', 'group', 'objective_with', 'objective_without', 'cost']
    """

    frame: pd.DataFrame
    delegations: dict[str, BoolArray]


def price_of_fairness(
    pool: Pool,
    rules: Sequence[Constraint],
    selected: BoolArray,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    removals: Removals | None = None,
) -> PriceOfFairness:
    """Compare total merit with every rule against the best delegation without each rule.

    Parameters
    ----------
    pool, rules
        The event (seats rule first).
    selected
        Pool mask of the delegation under every rule.
    solver, time_limit
        As for :func:`selection.model.solve.solve`, per rule.
    removals
        The shared cache of delegations without some rules (a new one when ``None``).

    Returns
    -------
    PriceOfFairness
        ``objective_without`` is ``NaN`` when removing the rule still leaves no delegation.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> chosen = pool.frame["candidate_id"].isin(["c1", "c3", "c5", "c6"]).to_numpy()
    >>> one_per_project = make_rule("max_per", attribute="project", name="one per project")
    >>> rules = [make_rule("seats", per_group=2), one_per_project]
    >>> price_of_fairness(pool, rules, chosen).frame.iloc[:2].values.tolist()
    [['one per project', '*', 32.0, 33.0, 1.0], ['one per project', 'Africa', 16.0, 17.0, 1.0]]
    """
    removals = removals or Removals(pool, rules, solver=solver, time_limit=time_limit)
    with_rules = group_merit(pool, selected)
    delegations: dict[str, BoolArray] = {}
    for k in range(1, len(rules)):
        mask = removals.without(frozenset({k}))
        if mask is not None:
            delegations[rules[k].label] = mask
    plain = removals.without(frozenset(range(1, len(rules))))
    if plain is not None:
        delegations["*"] = plain
    records = []
    for name in [*(r.label for r in rules[1:]), "*"]:
        without = group_merit(pool, delegations[name]) if name in delegations else None
        for g, group in [(-1, "*"), *enumerate(pool.group_names)]:
            have = float(with_rules.sum() if g < 0 else with_rules[g])
            lost = np.nan if without is None else float(without.sum() if g < 0 else without[g])
            records.append((name, group, have, lost, lost - have))
    frame = pd.DataFrame(records, columns=list(PRICE_COLUMNS))
    return PriceOfFairness(frame, delegations)


@dataclass(frozen=True)
class Conflict:
    """A minimal set of rules that cannot hold together, in ``group`` (``"*"``: whole event).

    Examples
    --------
    >>> Conflict("Asia", ("2 women",), "group Asia has 1 eligible woman ...").rules
    ('2 women',)
    """

    group: str
    rules: tuple[str, ...]
    message: str


@dataclass(frozen=True, eq=False)
class Infeasibility:
    """Why no delegation satisfies every rule, and the smallest change that allows one.

    Attributes
    ----------
    conflicts
        Minimal conflicting rule sets with plain-language messages.
    relaxation
        Where the relaxed delegation bends rules (columns :data:`RELAXATION_COLUMNS`).
    relaxed_objective
        Total merit of the best delegation under the smallest relaxation (``None`` when
        even the relaxation failed).

    Examples
    --------
    >>> found = Infeasibility((Conflict("*", ("r",), "'r' cannot hold."),),
    ...                       violations_frame([]), None)
    >>> print(found.describe())
    No delegation satisfies every rule.
    'r' cannot hold.
    """

    conflicts: tuple[Conflict, ...]
    relaxation: pd.DataFrame
    relaxed_objective: float | None

    def describe(self) -> str:
        """Return the explanation in plain words: conflicts, then the smallest relaxation."""
        lines = ["No delegation satisfies every rule."]
        lines += [c.message for c in self.conflicts]
        if len(self.relaxation):
            lines.append("Smallest relaxation that allows a delegation:")
            for row in self.relaxation.itertuples(index=False):
                where = "the whole event" if row.group == "*" else f"group {row.group}"
                lines.append(
                    f"  bend '{row.rule}' by {row.bent_by} in {where} "
                    f"({row.required}, would be {row.actual})"
                )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "conflicts": [
                {"group": c.group, "rules": list(c.rules), "message": c.message}
                for c in self.conflicts
            ],
            "relaxation": self.relaxation.to_dict(orient="records"),
            "relaxed_objective": self.relaxed_objective,
            "message": self.describe(),
        }


def _conflict_message(pool: Pool, rules: Sequence[Constraint], group: int) -> str:
    where = pool.where(group)
    if len(rules) == 1:
        available, asks = rules[0].facts(pool, group)
        return f"{where} has {available} but '{rules[0].label}' {asks}."
    parts = []
    for rule in rules:
        available, asks = rule.facts(pool, group)
        parts.append(f"'{rule.label}' {asks} ({available})")
    return f"In {where} these rules cannot all hold: " + "; ".join(parts) + "."


def _minimal(
    pool: Pool,
    rules: Sequence[Constraint],
    candidates: list[int],
    *,
    solver: str,
    time_limit: float,
) -> list[int]:
    """Deletion filter: the rules among ``candidates`` that stay infeasible together."""
    keep = list(candidates)
    for k in candidates:
        trial = [i for i in keep if i != k]
        drop = frozenset(range(len(rules))) - set(trial)
        status = check_feasible(
            build_model(pool, rules, drop=drop), solver=solver, time_limit=time_limit
        )
        if status is SolveStatus.INFEASIBLE:
            keep = trial
    return keep


def diagnose(
    pool: Pool,
    rules: Sequence[Constraint],
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    max_ties: int = 20,
) -> Infeasibility:
    """Explain an infeasible event: minimal conflicting rules and the smallest relaxation.

    Parameters
    ----------
    pool, rules
        The event (the seats rule first).
    solver, time_limit, max_ties
        As for :func:`selection.model.solve.solve`, per solve.

    Returns
    -------
    Infeasibility
        Conflicts per group (or for the whole event) in domain words, and the relaxation.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> women = make_rule("at_least", attribute="gender", value="F", count=2)
    >>> rules = [make_rule("seats", per_group=2), women]
    >>> found = diagnose(pool, rules)
    >>> [c.group for c in found.conflicts], found.relaxation["bent_by"].tolist()
    (['Asia'], [1])
    """
    hard = [k for k, r in enumerate(rules) if not r.soft]
    model = build_model(pool, rules, relax=True)
    relaxed = solve(model, solver=solver, time_limit=time_limit, max_ties=max_ties)
    bends: list[Violation] = []
    objective = None
    if relaxed.columns is not None:
        mask = np.zeros(pool.n_candidates, dtype=bool)
        mask[model.x_positions[relaxed.chosen]] = True
        selection = Selection.from_mask(pool, mask)
        bends = list(check(selection, [rules[k] for k in hard]))
        objective = float(pool.grid_merit[mask].sum()) * pool.grid_step
    local = [k for k in hard if not rules[k].couples_groups]
    names = {g: i for i, g in enumerate(pool.group_names)}
    conflicts = []
    for name in sorted({v.group for v in bends if v.group in names}):
        g = names[name]
        sub = pool.subset([g])
        drop = frozenset(range(len(rules))) - set(local)
        if (
            check_feasible(build_model(sub, rules, drop=drop), solver=solver, time_limit=time_limit)
            is SolveStatus.INFEASIBLE
        ):
            found = _minimal(sub, rules, local, solver=solver, time_limit=time_limit)
            chosen = [rules[k] for k in found]
            conflicts.append(
                Conflict(name, tuple(r.label for r in chosen), _conflict_message(pool, chosen, g))
            )
    if not conflicts:
        found = _minimal(pool, rules, hard, solver=solver, time_limit=time_limit)
        chosen = [rules[k] for k in found]
        conflicts.append(
            Conflict("*", tuple(r.label for r in chosen), _conflict_message(pool, chosen, -1))
        )
    return Infeasibility(tuple(conflicts), violations_frame(bends), objective)
