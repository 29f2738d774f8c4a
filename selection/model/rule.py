"""The contract every rule kind honours, and the data rules answer with.

A rule is a small declarative object (:class:`Constraint`). Everything outside
:mod:`selection.model.constraints` asks the rule instead of looking at its class:

=========================  =================================================================
capability                 what asks for it
=========================  =================================================================
``describe()``, ``label``  every report and message
``scope``, ``couples_groups``  decompositions: only delegation-wide rules couple groups
``involves(group)``        whether one group's trouble reaches the rule (partial results)
``attributes``             the delegation table (which attribute columns to show)
``depends_on_merit``       fast paths that enumerate delegations once for many merits
``depends_on_availability``  withdrawals: a rule met "as far as available" asks less
``counts_values``          fast paths (a count of *different* values does not add up)
``counts(pool)``           model rows, presolve, swaps, fast paths: what the rule counts,
                           per group or delegation, on any partial selection (:class:`Counts`)
``add_rows(...)``          the integer programme (:mod:`selection.model.program`)
``relax_tier``             the smallest relaxation (the seats rule bends last)
``violations(selection)``  reports of a finished delegation, counted from :class:`Counts`
``recount(frame, seats)``  the verifier: an independent recount with plain pandas, sharing
                           no code with the model (:mod:`selection.model.verify`)
``capacity(pool)``         presolve: most seats each scope can fill under an upper bound
``presolve_issues(pool)``  presolve: what counts alone tell about this rule
``quotas(pool)``           presolve across rules: per-group bounds on attribute values
``forced(pool)``           candidates the rule decides on its own (required, excluded, ...)
``facts(pool, group)``     the plain-language account of a binding or conflicting instance
``problems(pool)``         data-dependent problems (unknown attribute, group or id)
=========================  =================================================================

Examples
--------
>>> Violation("1 woman", "Asia", "", "at least 1", 0, 1, "group Asia has none").bent_by
1
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from scoring.errors import InvalidEventError, Issue, plural
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.program import ModelBuilder, Tags
from selection.model.selection import Selection

__all__ = [
    "CHOSEN",
    "SELECTABLE",
    "Constraint",
    "Counts",
    "Forced",
    "Quota",
    "Violation",
    "required_text",
]

CHOSEN = "_chosen"
"""Column of the recount frame: the candidate is a representative."""
SELECTABLE = "_selectable"
"""Column of the recount frame: the candidate is eligible and has a merit."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One place where a delegation breaks (or bends) a rule.

    ``group`` is a group name or ``"*"`` for the whole delegation; ``value`` the attribute
    value or candidate id concerned (``""`` if none); ``required`` what the rule asks, in
    words; ``actual`` the count reached; ``bent_by`` the shortfall or excess.

    Examples
    --------
    >>> Violation("1 woman", "Asia", "", "at least 1", 0, 1, "group Asia has none").key
    ('1 woman', 'Asia', '', 0, 1)
    """

    rule: str
    group: str
    value: str
    required: str
    actual: int
    bent_by: int
    message: str

    @property
    def key(self) -> tuple[str, str, str, int, int]:
        """What two independent counts must agree on: rule, group, value, count, bend."""
        return (self.rule, self.group, self.value, self.actual, self.bent_by)


def required_text(lower: float, upper: float) -> str:
    """Return what bounds ask, in words.

    Examples
    --------
    >>> required_text(1, np.inf), required_text(-np.inf, 2), required_text(3, 3)
    ('at least 1', 'at most 2', 'exactly 3')
    """
    if lower == upper:
        return f"exactly {lower:g}"
    return f"at least {lower:g}" if np.isfinite(lower) else f"at most {upper:g}"


@dataclass(frozen=True, eq=False)
class Counts:
    """What a rule counts: ``lower[k] <= tally of key k <= upper[k]``.

    Per candidate: ``member`` (counted), ``key`` (its row), ``scope`` (the group or
    delegation whose seats it competes for, ``-1`` outside the rule), ``distinct`` (value
    codes when different values are counted instead of candidates). Per key: bounds,
    ``active``, the scope, and the group, value and candidate it is about (``-1``: none).
    Per scope: ``seats``.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> counts = make_rule("at_least", attribute="gender", value="F", count=1).counts(pool)
    >>> counts.lower.tolist(), counts.available(pool).tolist()
    ([1.0, 1.0], [2, 1])
    """

    member: BoolArray
    key: IntArray
    scope: IntArray
    lower: np.ndarray
    upper: np.ndarray
    active: BoolArray
    key_scope: IntArray
    group: IntArray
    value: IntArray
    item: IntArray
    seats: IntArray
    distinct: IntArray | None = None

    def tally(self, positions: IntArray) -> IntArray:
        """Count per key the members (or their different values) among ``positions``."""
        chosen = positions[self.member[positions]]
        keys = self.key[chosen]
        if self.distinct is not None:
            width = int(self.distinct.max(initial=0)) + 1
            keys = np.unique(keys * width + self.distinct[chosen]) // width
        return np.bincount(keys, minlength=len(self.lower))[: len(self.lower)]

    def available(self, pool: Pool) -> IntArray:
        """Tally over every selectable candidate."""
        return self.tally(pool.x_positions)

    def bent(self, n: IntArray, keys: IntArray | slice = slice(None)) -> np.ndarray:
        """Return how far tallies ``n`` of ``keys`` bend the rule (0 where it holds)."""
        over = np.maximum(np.maximum(self.lower[keys] - n, n - self.upper[keys]), 0)
        return np.where(self.active[keys], over, 0)


@dataclass(frozen=True, eq=False)
class Forced:
    """Candidates a rule decides on its own: who must (or must not) be selected, and why.

    ``positions`` are pool positions; ``selected`` tells in or out; ``reason`` is the
    reason code a candidate gets (:data:`selection.analysis.explain.REASONS`) and ``why``
    the words of the presolve warning ("excluded", "merit below 5").

    Examples
    --------
    >>> Forced(np.array([2]), False, "not_selected.excluded", "excluded").why
    'excluded'
    """

    positions: IntArray
    selected: bool
    reason: str
    why: str


@dataclass(frozen=True, eq=False)
class Quota:
    """A per-group bound on the representatives whose ``attribute`` is in ``values``.

    ``lower`` and ``upper`` hold one bound per group of the pool (``-inf``/``inf`` where
    the rule does not bind the group). Presolve adds up minimums on disjoint values and
    compares each minimum with the maximums on a superset of its values.

    Examples
    --------
    >>> Quota("women", "gender", frozenset({"F"}), np.array([1.0]), np.array([np.inf])).label
    'women'
    """

    label: str
    attribute: str
    values: frozenset[str]
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Constraint(ABC):
    """A rule: name, description, model rows and a solver-free check (see the module table).

    Subclasses say what they count (:meth:`_compute`) and recount it independently
    (:meth:`recount`); rows, checks, facts and presolve issues follow from the counts.

    Parameters
    ----------
    name
        Short name shown in reports; defaults to :meth:`describe`.
    soft
        Bend the rule when the others leave no choice (reported with how far).
    priority
        Soft rules without a penalty are satisfied lexicographically, higher first,
        before merit is maximised.
    penalty
        Soft rules with a penalty are traded against merit: bending by one costs
        ``penalty`` merit units.

    Examples
    --------
    >>> from selection.model.constraints import make_rule
    >>> rule = make_rule("max_per", attribute="project", name="one per project")
    >>> isinstance(rule, Constraint), rule.kind, rule.label, rule.couples_groups
    (True, 'max_per', 'one per project', False)
    """

    kind: ClassVar[str] = ""
    spec: ClassVar[type[BaseModel] | None] = None
    """The pydantic model of the kind's keys (:mod:`scoring.config`); ``None``: not configurable."""
    short_code: ClassVar[str] = "selection.min_unavailable"
    """Issue code when a minimum of this rule cannot be met from what is available."""
    relax_tier: ClassVar[int] = 1
    """Order of bending in the smallest relaxation: higher tiers bend later."""
    depends_on_merit: ClassVar[bool] = False
    """Whether the rule's counts change with merit (then nothing may cache them across merits)."""
    counts_values: ClassVar[bool] = False
    """Whether the rule counts different values (tallies do not add up across groups)."""
    name: str | None = None
    soft: bool = False
    priority: int = 0
    penalty: float | None = None

    def __post_init__(self) -> None:
        if self.spec is None:
            return
        keys = {f.name: getattr(self, f.name) for f in fields(self)}
        try:
            self.spec.model_validate({"kind": self.kind, **keys})
        except ValidationError as exc:
            raise InvalidEventError(
                [
                    Issue(
                        "error",
                        "selection.invalid_rule",
                        f"a '{self.kind}' rule: "
                        + ".".join(map(str, e["loc"]))
                        + (": " if e["loc"] else "")
                        + str(e["msg"]).removeprefix("Value error, "),
                        column=".".join(map(str, e["loc"])) or None,
                    )
                    for e in exc.errors()
                ]
            ) from None

    @classmethod
    def from_spec(cls, spec: BaseModel) -> Constraint:
        """Return the rule a validated ``[[selection.constraints]]`` spec describes."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in spec.model_dump().items() if k in names})

    @property
    def label(self) -> str:
        """The rule's name, or its description when it has none."""
        return self.name or self.describe()

    @property
    def scope(self) -> str:
        """``"group"`` (each group on its own) or ``"all"`` (the whole delegation)."""
        return "group"

    @property
    def couples_groups(self) -> bool:
        """Whether the rule links groups (a delegation-wide count)."""
        return self.scope == "all"

    @property
    def attributes(self) -> tuple[str, ...]:
        """The candidate columns the rule reads."""
        return ()

    @property
    def depends_on_availability(self) -> bool:
        """Whether what the rule asks depends on who is available (``if_available``): a
        withdrawal then changes the rule itself, not only who can meet it."""
        return bool(getattr(self, "if_available", False))

    def involves(self, group: str) -> bool:
        """Whether the rule counts anyone of ``group`` (a ``groups`` list may leave it out)."""
        return True

    @abstractmethod
    def describe(self) -> str:
        """Return what the rule asks, in plain words."""

    @abstractmethod
    def _compute(self, pool: Pool) -> Counts: ...

    @abstractmethod
    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        """Count again where a delegation breaks the rule, with plain pandas.

        ``frame`` holds every candidate (``candidate_id, group``, the attributes,
        ``merit``) with the columns :data:`CHOSEN` and :data:`SELECTABLE`; ``seats`` the
        seats of each group. Shares no code with :meth:`counts`, so that a counting bug in
        the model cannot also hide in the check. Agrees with :meth:`violations` on every
        :attr:`Violation.key` (the contract test).
        """

    def counts(self, pool: Pool) -> Counts:
        """Return what the rule counts in ``pool`` (computed once per pool)."""
        return pool.cached((self, "counts"), lambda: self._compute(pool))

    def _suffix(self, pool: Pool, value: int) -> str:
        return ""

    def _value_name(self, pool: Pool, value: int) -> str:
        return ""

    def tally_text(self, pool: Pool, n: int, value: int, noun: str) -> str:
        """Return ``n`` of ``noun`` counted by the rule, in words (value code or ``-1``)."""
        return f"{plural(n, noun)}{self._suffix(pool, value)}"

    def problems(self, pool: Pool) -> list[str]:
        """Return why the rule cannot be applied to ``pool`` (empty when it can)."""
        return []

    def forced(self, pool: Pool) -> Forced | None:
        """Return the candidates the rule decides on its own (``None``: it decides nobody)."""
        return None

    def quotas(self, pool: Pool) -> tuple[Quota, ...]:
        """Return the rule's per-group bounds on attribute values (empty: it sets none)."""
        return ()

    def add_rows(self, builder: ModelBuilder, pool: Pool, index: int) -> None:
        """Add this rule's rows (rule ``index``) to the model; rows that cannot bind are skipped."""
        c = self.counts(pool)
        keep = c.active & ((c.lower > 0) | (c.upper < c.available(pool)))
        indptr, cols = builder.members(c.member, c.key, len(c.lower))
        sizes = np.diff(indptr)
        tags = Tags.of(
            int(keep.sum()),
            lower=c.lower[keep],
            upper=c.upper[keep],
            rule=index,
            group=c.group[keep],
            value=c.value[keep],
            item=c.item[keep],
            role=0,
        )
        builder.add_rows(
            tags, np.concatenate(([0], np.cumsum(sizes[keep]))), cols[np.repeat(keep, sizes)]
        )

    def _bends(self, selection: Selection) -> tuple[Counts, IntArray, np.ndarray]:
        c = self.counts(selection.pool)
        n = c.tally(selection.positions)
        return c, n, c.bent(n)

    def bent_by(self, selection: Selection) -> int:
        """Return how far a finished delegation bends the rule in all (0: it holds)."""
        return int(self._bends(selection)[2].sum())

    def violations(self, selection: Selection) -> tuple[Violation, ...]:
        """Return where a finished delegation breaks the rule, from the rule's counts."""
        pool = selection.pool
        c, n, bent = self._bends(selection)
        out = []
        for k in np.flatnonzero(bent > 0).tolist():
            g, v, p, got = int(c.group[k]), int(c.value[k]), int(c.item[k]), int(n[k])
            need = required_text(c.lower[k], c.upper[k])
            text = (
                f"{pool.label(p)} is {'' if got else 'not '}selected, against '{self.label}'."
                if p >= 0
                else f"{pool.where(g)} has "
                f"{self.tally_text(pool, got, v, 'representative')}; '{self.label}' "
                f"requires {need}."
            )
            value = str(pool.candidate_ids[p]) if p >= 0 else self._value_name(pool, v)
            out.append(
                Violation(
                    self.label,
                    pool.group_names[g] if g >= 0 else "*",
                    value,
                    need,
                    got,
                    int(bent[k]),
                    text,
                )
            )
        return tuple(out)

    def capacity(self, pool: Pool) -> IntArray | None:
        """Return the most representatives each scope can have under an upper-bound rule.

        ``None`` for rules with a minimum. For each scope (group or delegation): the
        counted candidates up to each row's limit, plus every selectable candidate it does
        not count.

        Examples
        --------
        >>> from scoring.config import SelectionConfig
        >>> from selection.model.constraints import make_rule
        >>> from selection.model.pool import example_event, prepare_pool
        >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
        >>> make_rule("max_per", attribute="project").capacity(pool).tolist()
        [3, 2]
        """
        c = self.counts(pool)
        if np.isfinite(c.lower).any() or c.distinct is not None:
            return None
        n = len(c.seats)
        limits = np.minimum(c.upper, c.available(pool))[c.active]
        capped = np.bincount(c.key_scope[c.active], weights=limits, minlength=n)
        free = pool.selectable & ~c.member & (c.scope >= 0)
        return (capped + np.bincount(c.scope[free], minlength=n)[:n]).astype(np.int64)

    def _issue(self, code: str, message: str) -> Issue:
        if self.soft:
            return Issue("warning", code, message + " It is soft and will be bent.")
        return Issue("error", code, message)

    def presolve_issues(self, pool: Pool) -> list[Issue]:
        """Return what counts alone tell about the rule: shortfalls, excess minimums, capacity.

        Examples
        --------
        >>> from scoring.config import SelectionConfig
        >>> from selection.model.constraints import make_rule
        >>> from selection.model.pool import example_event, prepare_pool
        >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
        >>> rule = make_rule("at_least", attribute="gender", value="F", count=2, name="2 women")
        >>> print(rule.presolve_issues(pool)[0].message)
        group Asia: 1 eligible candidate with gender = F but '2 women' requires 2.
        """
        c, out = self.counts(pool), []
        available = c.available(pool)
        for k in np.flatnonzero(c.active & (c.lower > available)).tolist():
            where = pool.label(int(c.item[k])) if c.item[k] >= 0 else pool.where(int(c.group[k]))
            have = self.tally_text(pool, int(available[k]), int(c.value[k]), "eligible candidate")
            out.append(
                self._issue(
                    self.short_code, f"{where}: {have} but '{self.label}' requires {c.lower[k]:g}."
                )
            )
        finite = np.where(np.isfinite(c.lower), c.lower, 0)[c.active]
        lows = np.bincount(c.key_scope[c.active], weights=finite, minlength=len(c.seats))
        capacity = self.capacity(pool)
        scopes, first = np.unique(np.where(c.active, c.key_scope, -1), return_index=True)
        for s, k in zip(scopes.tolist(), first.tolist(), strict=True):
            if s < 0:
                continue
            where, seats = pool.where(int(c.group[k])), c.seats[s]
            if lows[s] > seats:
                out.append(
                    self._issue(
                        "selection.min_exceeds_seats",
                        f"'{self.label}' requires {lows[s]:g} in {where}, which has "
                        f"{plural(seats, 'seat')}.",
                    )
                )
            if capacity is not None and capacity[s] < seats:
                out.append(
                    self._issue(
                        "selection.capacity",
                        f"In {where}, '{self.label}' lets at most {capacity[s]} of {seats} "
                        "seats be filled.",
                    )
                )
        return out

    def facts(self, pool: Pool, group: int) -> tuple[str, str]:
        """Return ``(what is available, what the rule asks)`` in ``group`` (``-1``: whole event).

        Rules counting per attribute value (``max_per``) state how many representatives
        they let through at most; the others state their bound against what is available.

        Examples
        --------
        >>> import pandas as pd
        >>> from scoring.config import SelectionConfig
        >>> from selection.model.constraints import make_rule
        >>> from selection.model.pool import prepare_pool
        >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"),
        ...                   "group": ["G"] * 3, "project": ["P", "P", "Q"]})
        >>> m = pd.DataFrame({"candidate_id": list("abc"), "merit": [1.0, 2, 3]})
        >>> make_rule("max_per", attribute="project").facts(
        ...     prepare_pool(c, m, SelectionConfig()), 0)
        ('3 eligible candidates', 'lets at most 2 of them be selected')
        """
        c = self.counts(pool)
        at = c.active & ((c.group == group) if group >= 0 else True)
        capacity = self.capacity(pool)
        if capacity is None or not (c.value >= 0).any():
            n = int(c.available(pool)[at].sum())
            lower, upper = float(c.lower[at].sum()), float(c.upper[at].sum())
            asks = (
                f"allows at most {upper:g}"
                if not np.isfinite(lower)
                else f"requires exactly {lower:g}"
                if lower == upper
                else f"requires at least {lower:g}"
            )
            return self.tally_text(pool, n, -1, "eligible candidate"), asks
        scopes = np.unique(c.key_scope[at])
        everyone = np.bincount(c.scope[pool.selectable & (c.scope >= 0)], minlength=len(c.seats))
        return (
            plural(int(everyone[scopes].sum()), "eligible candidate"),
            f"lets at most {int(capacity[scopes].sum())} of them be selected",
        )
