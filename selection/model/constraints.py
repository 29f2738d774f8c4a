"""Fairness and eligibility rules as small declarative objects.

Each rule has a name, a plain-language :meth:`~Constraint.describe`, adds named rows to the
model (:meth:`~Constraint.add_rows`, names from indexes only) and checks a finished
delegation without any solver (:meth:`~Constraint.violations`, which counts the
representatives itself). The kinds, with the same names and keys as
``[[selection.constraints]]`` in ``event.toml``:

``at_least`` / ``at_most``
    ``attribute``, ``value`` or ``values``, ``count`` or ``share`` (a fraction of the seats
    in scope: rounded up for ``at_least``, down for ``at_most``), ``scope = "group"`` (each
    group) or ``"all"`` (whole delegation), ``groups`` to restrict it, ``if_available``
    (``at_least`` only) lowers the minimum to what the scope can supply.
``max_per``
    At most ``count`` (default 1) representatives sharing a value of ``attribute`` (one
    per project, two per country), optionally only for ``values``.
``distinct``
    At least ``min`` different values of ``attribute`` among the representatives.
``require`` / ``exclude``
    Candidate ``ids`` that must / must not be selected.
``min_merit``
    Nobody with merit below ``merit``.
``seats``
    Exactly ``per_group`` representatives per group (with overrides); always present.

Every kind is a count: ``lower <= (representatives, or their different values, among some
candidates) <= upper`` per group, per delegation, per attribute value or per candidate. A
candidate with a missing attribute value never counts as having a value. Any rule may be
``soft`` (see :mod:`selection.model.program` for how soft rules enter the objective).

Examples
--------
>>> AtLeast(attribute="gender", value="F", count=1).describe()
'at least 1 representative with gender = F in each group'
>>> CONSTRAINTS["max_per"](attribute="project").describe()
'at most 1 representative per project value in each group'
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import ValidationError

from scoring.config import ConstraintSpec, SelectionConfig, config_issue
from scoring.errors import InvalidEventError, Issue
from selection import columns as col
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.program import ModelBuilder, Tags

if TYPE_CHECKING:
    from selection.model.selection import Selection

__all__ = [
    "CONSTRAINTS",
    "AtLeast",
    "AtMost",
    "Constraint",
    "Counts",
    "Distinct",
    "Exclude",
    "MaxPer",
    "MinMerit",
    "Require",
    "Seats",
    "Violation",
    "constraint_from_spec",
    "make_rule",
    "rules_from_specs",
]

_NOT_ATTRIBUTES = (col.CANDIDATE_ID, col.NAME, col.ELIGIBLE, col.MERIT, col.MERIT_SE, col.LOTTERY)
_COMMON = frozenset({"name", "soft", "priority", "penalty"})


@dataclass(frozen=True, slots=True)
class Violation:
    """One place where a delegation breaks (or bends) a rule.

    ``group`` is a group name or ``"*"`` for the whole delegation; ``value`` the attribute
    value or candidate id concerned (``""`` if none); ``required`` what the rule asks, in
    words; ``actual`` the count reached; ``bent_by`` the shortfall or excess.

    Examples
    --------
    >>> Violation("1 woman", "Asia", "", "at least 1", 0, 1, "group Asia has none").bent_by
    1
    """

    rule: str
    group: str
    value: str
    required: str
    actual: int
    bent_by: int
    message: str


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}{'' if n == 1 else 's'}"


def _required(lower: float, upper: float) -> str:
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
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> counts = AtLeast(attribute="gender", value="F", count=1).counts(pool)
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


@dataclass(frozen=True, kw_only=True)
class Constraint(ABC):
    """A rule: name, description, model rows and a solver-free check.

    Subclasses say what they count (:meth:`_compute`); rows, checks, facts and presolve
    issues follow from that.

    Examples
    --------
    >>> rule = MaxPer(attribute="project", name="one per project")
    >>> isinstance(rule, Constraint), rule.kind, rule.label, rule.couples_groups
    (True, 'max_per', 'one per project', False)

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
    """

    kind: ClassVar[str] = ""
    options: ClassVar[frozenset[str]] = frozenset()
    short_code: ClassVar[str] = "selection.min_unavailable"
    name: str | None = None
    soft: bool = False
    priority: int = 0
    penalty: float | None = None

    @property
    def label(self) -> str:
        """The rule's name, or its description when it has none."""
        return self.name or self.describe()

    @property
    def couples_groups(self) -> bool:
        """Whether the rule links groups (a delegation-wide count)."""
        return False

    @abstractmethod
    def describe(self) -> str:
        """Return what the rule asks, in plain words."""

    @abstractmethod
    def _compute(self, pool: Pool) -> Counts: ...

    def counts(self, pool: Pool) -> Counts:
        """Return what the rule counts in ``pool`` (computed once per pool)."""
        return pool.cached((self, "counts"), lambda: self._compute(pool))

    def _suffix(self, pool: Pool, value: int) -> str:
        return ""

    def tally_text(self, pool: Pool, n: int, value: int, noun: str) -> str:
        """Return ``n`` of ``noun`` counted by the rule, in words (value code or ``-1``)."""
        return f"{_plural(n, noun)}{self._suffix(pool, value)}"

    def problems(self, pool: Pool) -> list[str]:
        """Return why the rule cannot be applied to ``pool`` (empty when it can)."""
        out = []
        if self.penalty is not None and not self.soft:
            out.append("'penalty' only applies to soft rules; add soft = true")
        if self.penalty is not None and self.priority != 0:
            out.append("give a soft rule either a 'priority' or a 'penalty', not both")
        return out

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
        """Return where a finished delegation breaks the rule, counted without a solver."""
        pool = selection.pool
        c, n, bent = self._bends(selection)
        out = []
        for k in np.flatnonzero(bent > 0).tolist():
            g, v, p, got = int(c.group[k]), int(c.value[k]), int(c.item[k]), int(n[k])
            need = _required(c.lower[k], c.upper[k])
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

    def _value_name(self, pool: Pool, value: int) -> str:
        return ""


@dataclass(frozen=True, kw_only=True)
class _Scoped(Constraint):
    scope: Literal["group", "all"] = "group"
    groups: tuple[str, ...] | None = None

    @property
    def couples_groups(self) -> bool:
        return self.scope == "all"

    def _scoped(self, pool: Pool, member: BoolArray, lower: object, upper: object) -> Counts:
        """Counts per group (or one for the delegation) of members in scope."""
        ok = (
            np.ones(pool.n_groups, dtype=bool)
            if self.groups is None
            else np.isin(np.array(pool.group_names, dtype=object), list(self.groups))
        )
        inside = ok[pool.group_code]
        if self.scope == "group":
            n, key, group, seats = (
                pool.n_groups,
                pool.group_code,
                np.arange(pool.n_groups),
                pool.seats,
            )
            active = ok
        else:
            n, key, group = 1, np.zeros(pool.n_candidates, dtype=np.int64), np.array([-1])
            active, seats = np.array([ok.any()]), np.array([pool.seats[ok].sum()])
        low, high = (np.broadcast_to(np.asarray(b, float), (n,)).copy() for b in (lower, upper))
        return Counts(
            member & inside,
            key,
            np.where(inside, key, -1),
            low,
            high,
            active,
            np.arange(n),
            group,
            np.full(n, -1),
            np.full(n, -1),
            seats,
        )

    def _where(self) -> str:
        base = "in each group" if self.scope == "group" else "in the delegation"
        return base + (f" (groups {', '.join(self.groups)})" if self.groups is not None else "")

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        unknown = sorted(set(self.groups or ()) - set(pool.group_names))
        return out + ([f"unknown group(s) {unknown}"] if unknown else [])


@dataclass(frozen=True, kw_only=True)
class _OnAttribute(_Scoped):
    attribute: str | None = None
    values: tuple[str, ...] | None = None

    def _wanted(self) -> tuple[str, ...] | None:
        return self.values

    def _match(self, pool: Pool) -> BoolArray:
        codes, names = pool.codes(str(self.attribute))
        wanted = self._wanted()
        return np.isin(codes, [i for i, v in enumerate(names) if wanted is None or v in wanted])

    def _by_value(self, scoped: Counts, pool: Pool) -> Counts:
        """Split per-scope counts into one count per (scope, value) pair that has members.

        Only pairs that occur are kept (sorted by scope, then value), so a value spread over
        many groups (a project id) does not make a groups x values table.
        """
        codes, names = pool.codes(str(self.attribute))
        member = scoped.member & (codes >= 0)
        combined = scoped.key * max(len(names), 1) + np.maximum(codes, 0)
        pairs, inverse = np.unique(combined[member], return_inverse=True)
        key = np.zeros(pool.n_candidates, dtype=np.int64)
        key[member] = inverse
        scope = pairs // max(len(names), 1)
        return replace(
            scoped,
            member=member,
            key=key,
            lower=scoped.lower[scope],
            upper=scoped.upper[scope],
            active=scoped.active[scope],
            key_scope=scope,
            group=scoped.group[scope],
            value=pairs % max(len(names), 1),
            item=np.full(len(pairs), -1),
        )

    def _value_name(self, pool: Pool, value: int) -> str:
        return pool.codes(str(self.attribute))[1][value] if value >= 0 else ""

    def _what(self) -> str:
        wanted = self._wanted() or ()
        if len(wanted) == 1:
            return f" with {self.attribute} = {wanted[0]}"
        return f" with {self.attribute} in {{{', '.join(wanted)}}}" if wanted else ""

    def _suffix(self, pool: Pool, value: int) -> str:
        if value >= 0:
            return f" with {self.attribute} = {self._value_name(pool, value)}"
        return self._what()

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        if self.attribute is None:
            out.append(f"'{self.kind}' needs an 'attribute'")
        elif self.attribute not in pool.frame.columns or self.attribute in _NOT_ATTRIBUTES:
            names = [c for c in pool.frame.columns if c not in _NOT_ATTRIBUTES]
            out.append(f"attribute '{self.attribute}' is not a candidate column ({names})")
        return out


@dataclass(frozen=True, kw_only=True)
class _Quota(_OnAttribute):
    value: str | None = None
    count: int | None = None
    share: float | None = None
    at_least: ClassVar[bool] = True
    options: ClassVar[frozenset[str]] = frozenset(
        {"attribute", "value", "values", "count", "share", "scope", "groups"}
    )

    def _wanted(self) -> tuple[str, ...] | None:
        return (self.value,) if self.value is not None else self.values

    def _compute(self, pool: Pool) -> Counts:
        seats = self._scoped(pool, self._match(pool), 0, 0).seats
        if self.count is not None:
            bound = np.full(len(seats), self.count, dtype=float)
        else:
            rounding = math.ceil if self.at_least else math.floor
            bound = np.array([rounding(Fraction(repr(self.share)) * int(s)) for s in seats], float)
        lower, upper = (bound, np.inf) if self.at_least else (-np.inf, bound)
        return self._scoped(pool, self._match(pool), lower, upper)

    def describe(self) -> str:
        amount = (
            _plural(self.count, "representative")
            if self.count is not None
            else f"{float(self.share or 0) * 100:g}% of the seats"
        )
        word = "at least" if self.at_least else "at most"
        return f"{word} {amount}{self._what()} {self._where()}"

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        if (self.value is None) == (self.values is None):
            out.append(f"'{self.kind}' needs exactly one of 'value' and 'values'")
        if (self.count is None) == (self.share is None):
            out.append(f"'{self.kind}' needs exactly one of 'count' and 'share'")
        if (self.count or 0) < 0 or not 0 <= (self.share or 0) <= 1:
            out.append("'count' must be >= 0 and 'share' between 0 and 1")
        return out


@dataclass(frozen=True, kw_only=True)
class AtLeast(_Quota):
    """At least ``count`` (or a ``share`` of the seats) with an attribute value.

    Examples
    --------
    >>> AtLeast(attribute="gender", value="F", share=0.45, scope="all").describe()
    'at least 45% of the seats with gender = F in the delegation'
    """

    kind: ClassVar[str] = "at_least"
    options: ClassVar[frozenset[str]] = _Quota.options | {"if_available"}
    if_available: bool = False

    def _compute(self, pool: Pool) -> Counts:
        counts = super()._compute(pool)
        if self.if_available:
            return replace(counts, lower=np.minimum(counts.lower, counts.tally(pool.x_positions)))
        return counts

    def describe(self) -> str:
        return super().describe() + (" (or as many as available)" if self.if_available else "")


@dataclass(frozen=True, kw_only=True)
class AtMost(_Quota):
    """At most ``count`` (or a ``share`` of the seats) with an attribute value.

    Examples
    --------
    >>> AtMost(attribute="country", values=("RU", "BY"), count=2).describe()
    'at most 2 representatives with country in {RU, BY} in each group'
    """

    kind: ClassVar[str] = "at_most"
    at_least: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class MaxPer(_OnAttribute):
    """At most ``count`` representatives sharing the same value of ``attribute``.

    Examples
    --------
    >>> MaxPer(attribute="country", count=2, scope="all").describe()
    'at most 2 representatives per country value in the delegation'
    """

    kind: ClassVar[str] = "max_per"
    options: ClassVar[frozenset[str]] = frozenset(
        {"attribute", "count", "values", "scope", "groups"}
    )
    count: int = 1

    def describe(self) -> str:
        only = f" (values {', '.join(self.values)})" if self.values is not None else ""
        return (
            f"at most {_plural(self.count, 'representative')} per {self.attribute} "
            f"value{only} {self._where()}"
        )

    def _compute(self, pool: Pool) -> Counts:
        return self._by_value(self._scoped(pool, self._match(pool), -np.inf, self.count), pool)


@dataclass(frozen=True, kw_only=True)
class Distinct(_OnAttribute):
    """At least ``min`` different values of ``attribute`` among the representatives.

    In the model: one binary per (scope, value) that may be 1 only if someone with the
    value is selected (a structural row), and a row counting those binaries.

    Examples
    --------
    >>> Distinct(attribute="country", min=2).describe()
    'at least 2 different country values in each group'
    """

    kind: ClassVar[str] = "distinct"
    options: ClassVar[frozenset[str]] = frozenset(
        {"attribute", "min", "values", "scope", "groups", "if_available"}
    )
    min: int = 1
    if_available: bool = False

    def describe(self) -> str:
        extra = " (or as many as available)" if self.if_available else ""
        return f"at least {self.min} different {self.attribute} values {self._where()}{extra}"

    def _compute(self, pool: Pool) -> Counts:
        counts = replace(
            self._scoped(pool, self._match(pool), self.min, np.inf),
            distinct=np.maximum(pool.codes(str(self.attribute))[0], 0),
        )
        if self.if_available:
            return replace(counts, lower=np.minimum(counts.lower, counts.tally(pool.x_positions)))
        return counts

    def tally_text(self, pool: Pool, n: int, value: int, noun: str) -> str:
        return f"{noun}s with {n} different {self.attribute} values"

    def add_rows(self, builder: ModelBuilder, pool: Pool, index: int) -> None:
        c = self.counts(pool)
        pairs = self._by_value(replace(c, distinct=None), pool)
        wanted = c.active & (c.lower > 0)
        present = np.flatnonzero((pairs.available(pool) > 0) & wanted[pairs.key_scope])
        y = builder.add_aux(rule=index, group=pairs.group[present], value=pairs.value[present])
        indptr, cols = builder.members(pairs.member, pairs.key, len(pairs.lower))
        sizes = np.diff(indptr)[present] + 1
        link_ptr = np.concatenate(([0], np.cumsum(sizes)))
        link_cols, link_vals = np.repeat(y, sizes), -np.ones(link_ptr[-1])
        link_vals[link_ptr[:-1]] = 1.0
        chosen = np.zeros(len(pairs.lower), dtype=bool)
        chosen[present] = True
        link_cols[link_vals < 0] = cols[np.repeat(chosen, np.diff(indptr))]
        tags = Tags.of(
            len(present),
            upper=0.0,
            rule=index,
            group=pairs.group[present],
            value=pairs.value[present],
            role=1,
        )
        builder.add_rows(tags, link_ptr, link_cols, link_vals)
        keys = np.flatnonzero(wanted)
        per_key = np.bincount(pairs.key_scope[present], minlength=len(wanted))[keys]
        builder.add_rows(
            Tags.of(len(keys), lower=c.lower[keys], rule=index, group=c.group[keys], role=0),
            np.concatenate(([0], np.cumsum(per_key))),
            y,
        )


@dataclass(frozen=True, kw_only=True)
class MinMerit(_Scoped):
    """Nobody with merit below ``merit`` is selected.

    Examples
    --------
    >>> MinMerit(merit=5).describe()
    'no representative with merit below 5 in each group'
    """

    kind: ClassVar[str] = "min_merit"
    options: ClassVar[frozenset[str]] = frozenset({"merit", "scope", "groups"})
    merit: float | None = None

    def describe(self) -> str:
        return f"no representative with merit below {self.merit or 0:g} {self._where()}"

    def _compute(self, pool: Pool) -> Counts:
        return self._scoped(pool, pool.merit < float(self.merit or 0.0), -np.inf, 0)

    def _suffix(self, pool: Pool, value: int) -> str:
        return f" with merit below {self.merit or 0:g}"

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        if self.merit is None or not math.isfinite(self.merit):
            out.append("'min_merit' needs a finite 'merit' floor")
        return out


@dataclass(frozen=True, kw_only=True)
class _ByIds(Constraint):
    options: ClassVar[frozenset[str]] = frozenset({"ids"})
    ids: tuple[str, ...] = ()
    required: ClassVar[bool] = True

    def _positions(self, pool: Pool) -> IntArray:
        return np.array(sorted(p for p in map(pool.position, self.ids) if p >= 0), dtype=np.int64)

    def _compute(self, pool: Pool) -> Counts:
        pos = self._positions(pool)
        member = np.zeros(pool.n_candidates, dtype=bool)
        member[pos] = True
        key = np.zeros(pool.n_candidates, dtype=np.int64)
        key[pos] = np.arange(len(pos))
        bounds = (1.0, np.inf) if self.required else (-np.inf, 0.0)
        n = len(pos)
        return Counts(
            member,
            key,
            pool.group_code,
            np.full(n, bounds[0]),
            np.full(n, bounds[1]),
            np.ones(n, dtype=bool),
            pool.group_code[pos],
            pool.group_code[pos],
            np.full(n, -1),
            pos,
            pool.seats,
        )

    def _suffix(self, pool: Pool, value: int) -> str:
        return f" among {', '.join(self.ids)}"

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        unknown = sorted(i for i in self.ids if pool.position(i) < 0)
        if not self.ids or unknown:
            out.append(f"'{self.kind}' needs known candidate 'ids' (unknown: {unknown})")
        return out


@dataclass(frozen=True, kw_only=True)
class Require(_ByIds):
    """These candidate ids must be selected.

    Examples
    --------
    >>> Require(ids=("c1", "c2")).describe()
    'c1, c2 must be selected'
    """

    kind: ClassVar[str] = "require"
    short_code: ClassVar[str] = "selection.require_unselectable"

    def describe(self) -> str:
        return f"{', '.join(self.ids)} must be selected"


@dataclass(frozen=True, kw_only=True)
class Exclude(_ByIds):
    """These candidate ids must not be selected.

    Examples
    --------
    >>> Exclude(ids=("c3",)).describe()
    'c3 must not be selected'
    """

    kind: ClassVar[str] = "exclude"
    required: ClassVar[bool] = False

    def describe(self) -> str:
        return f"{', '.join(self.ids)} must not be selected"


@dataclass(frozen=True, kw_only=True)
class Seats(Constraint):
    """Exactly ``per_group`` representatives per group (``overrides``: per-group seats).

    Examples
    --------
    >>> Seats(per_group=3, overrides=(("Africa", 2),)).describe()
    'exactly 3 representatives per group (Africa: 2)'
    """

    kind: ClassVar[str] = "seats"
    short_code: ClassVar[str] = "selection.too_few_eligible"
    per_group: int = 3
    overrides: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_config(cls, config: SelectionConfig) -> Seats:
        """Return the seats rule of a selection config."""
        return cls(per_group=config.per_group, overrides=tuple(sorted(config.seats.items())))

    def describe(self) -> str:
        extra = ", ".join(f"{g}: {n}" for g, n in self.overrides)
        return f"exactly {_plural(self.per_group, 'representative')} per group" + (
            f" ({extra})" if extra else ""
        )

    def problems(self, pool: Pool) -> list[str]:
        out = super().problems(pool)
        if self.soft or any(n < 0 for _, n in self.overrides):
            out.append("seats cannot be soft or negative")
        return out

    def _compute(self, pool: Pool) -> Counts:
        n, seats = pool.n_groups, pool.seats.astype(float)
        return Counts(
            np.ones(pool.n_candidates, dtype=bool),
            pool.group_code,
            pool.group_code,
            seats,
            seats,
            np.ones(n, dtype=bool),
            np.arange(n),
            np.arange(n),
            np.full(n, -1),
            np.full(n, -1),
            pool.seats,
        )


CONSTRAINTS: dict[str, type[Constraint]] = {
    c.kind: c for c in (AtLeast, AtMost, MaxPer, Distinct, Require, Exclude, MinMerit)
}
"""Registry of the constraint kinds of ``[[selection.constraints]]``, by kind."""


def constraint_from_spec(spec: ConstraintSpec) -> tuple[Constraint, list[str]]:
    """Turn one ``[[selection.constraints]]`` entry into a rule object.

    Returns the rule and the keys given that do not apply to its kind (other problems
    are found by :meth:`Constraint.problems` against the data).

    Examples
    --------
    >>> rule, problems = constraint_from_spec(ConstraintSpec(kind="max_per", attribute="project"))
    >>> rule.describe(), problems
    ('at most 1 representative per project value in each group', [])
    >>> constraint_from_spec(ConstraintSpec(kind="require", ids=("a",), count=2))[1]
    ["key(s) ['count'] do not apply to 'require'"]
    """
    cls = CONSTRAINTS[spec.kind]
    given = spec.model_fields_set - {"kind"}
    extra = sorted(given - _COMMON - cls.options)
    names = {f.name for f in fields(cls)}
    rule = cls(**{k: getattr(spec, k) for k in given if k in names})
    return rule, [f"key(s) {extra} do not apply to '{spec.kind}'"] if extra else []


def rules_from_specs(specs: Sequence[ConstraintSpec]) -> tuple[list[Constraint], list[Issue]]:
    """Turn every ``[[selection.constraints]]`` entry into a rule; collect every problem.

    Each problem is an ``selection.invalid_rule`` error located at
    ``selection.constraints[i]``.

    Examples
    --------
    >>> rules, problems = rules_from_specs([ConstraintSpec(kind="max_per", attribute="project")])
    >>> [r.kind for r in rules], problems
    (['max_per'], [])
    """
    rules: list[Constraint] = []
    issues: list[Issue] = []
    for i, spec in enumerate(specs):
        rule, problems = constraint_from_spec(spec)
        issues += [
            Issue(
                "error",
                "selection.invalid_rule",
                f"rule {i + 1}: {p}",
                column=f"selection.constraints[{i}]",
            )
            for p in problems
        ]
        rules.append(rule)
    return rules, issues


def make_rule(kind: str, **keys: Any) -> Constraint:
    """Return the rule of ``kind`` with the keys of ``[[selection.constraints]]``.

    ``kind = "seats"`` gives the seats rule (``per_group``, ``overrides``); every other kind
    is checked exactly as a rule in ``event.toml`` is.

    Raises
    ------
    InvalidEventError
        An unknown kind, or keys that are invalid or do not apply to the kind.

    Examples
    --------
    >>> make_rule("at_least", attribute="gender", value="F", count=1).describe()
    'at least 1 representative with gender = F in each group'
    >>> make_rule("seats", per_group=2).describe()
    'exactly 2 representatives per group'
    """
    if kind == Seats.kind:
        return Seats(**keys)
    try:
        spec = ConstraintSpec.model_validate({"kind": kind, **keys})
    except ValidationError as exc:
        where = "selection.constraints[0]"
        raise InvalidEventError(
            [config_issue(error, "rule", prefix=where) for error in exc.errors()]
        ) from None
    rules, issues = rules_from_specs([spec])
    if issues:
        raise InvalidEventError(issues)
    return rules[0]
