"""Fairness and eligibility rules: every kind, its registry, and how specs become rules.

Each kind is one small class honouring the contract of :class:`~selection.model.rule.Constraint`
(a name, :meth:`describe`, what it counts, its model rows, an independent recount, its
presolve bounds, the candidates it decides, its facts). This is the only module that names
a concrete kind; everything else asks the rule. The kinds, with the keys of
``[[selection.constraints]]`` in ``event.toml`` (validated by the spec models of
:mod:`scoring.config`):

``at_least`` / ``at_most``
    ``attribute``, ``value`` or ``values``, ``count`` or ``share`` (a fraction of the seats
    in scope: rounded up for ``at_least``, down for ``at_most``), ``scope = "group"`` (each
    group) or ``"all"`` (whole delegation), ``groups`` to restrict it, ``if_available``
    (``at_least`` only) lowers the minimum to what the scope can supply.
``at_least_each``
    At least ``count`` (default 1) representatives with *each* of ``values``: one minimum
    per value (every partner country represented, say).
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

To add a kind: a spec model in :mod:`scoring.config` (its keys), a class here (what it
counts and how to recount it), its entry in :data:`CONSTRAINTS`, and its case in the
contract test (``tests/selection/model/test_rule_contract.py``).

Examples
--------
>>> make_rule("at_least", attribute="gender", value="F", count=1).describe()
'at least 1 representative with gender = F in each group'
>>> CONSTRAINTS["max_per"](attribute="project").describe()
'at most 1 representative per project value in each group'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from scoring.config import (
    AtLeastEachSpec,
    AtLeastSpec,
    AtMostSpec,
    ConstraintSpec,
    DistinctSpec,
    ExcludeSpec,
    MaxPerSpec,
    MinMeritSpec,
    RequireSpec,
    SelectionConfig,
    config_issue,
    constraint_spec,
)
from scoring.errors import InvalidEventError, Issue, plural
from selection import columns as col
from selection.model.pool import BoolArray, IntArray, Pool
from selection.model.program import ModelBuilder, Tags
from selection.model.rule import (
    CHOSEN,
    SELECTABLE,
    Constraint,
    Counts,
    Forced,
    Quota,
    Violation,
    required_text,
)

__all__ = [
    "CONSTRAINTS",
    "AtLeast",
    "AtLeastEach",
    "AtMost",
    "Distinct",
    "Exclude",
    "MaxPer",
    "MinMerit",
    "Require",
    "Seats",
    "make_rule",
    "rule_from_spec",
    "rules_from_specs",
    "seats_rule",
]

_NOT_ATTRIBUTES = (col.CANDIDATE_ID, col.NAME, col.ELIGIBLE, col.MERIT, col.MERIT_SE, col.LOTTERY)
_KEY = "_key"


def _recounted(
    rule: Constraint,
    groups: Sequence[str],
    values: Sequence[str],
    n: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[Violation, ...]:
    """Violations from recounted tallies ``n`` against bounds, one entry per key."""
    bent = np.maximum(np.maximum(lower - n, n - upper), 0)
    return tuple(
        Violation(
            rule.label,
            groups[k],
            values[k],
            required_text(lower[k], upper[k]),
            int(n[k]),
            int(bent[k]),
            f"{groups[k]} {values[k]}: {int(n[k])}, '{rule.label}' requires "
            f"{required_text(lower[k], upper[k])}.",
        )
        for k in np.flatnonzero(bent > 0).tolist()
    )


@dataclass(frozen=True, kw_only=True)
class _Scoped(Constraint):
    scope: Literal["group", "all"] = "group"
    groups: tuple[str, ...] | None = None

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

    def involves(self, group: str) -> bool:
        return self.groups is None or group in self.groups

    def _where(self) -> str:
        base = "in each group" if self.scope == "group" else "in the delegation"
        return base + (f" (groups {', '.join(self.groups)})" if self.groups is not None else "")

    def problems(self, pool: Pool) -> list[str]:
        unknown = sorted(set(self.groups or ()) - set(pool.group_names))
        return [f"unknown group(s) {unknown}"] if unknown else []

    def _scope_frame(
        self, frame: pd.DataFrame, seats: Mapping[str, int]
    ) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
        """The rows in scope with their scope label (``_key``), the scope labels, their seats.

        Recount helper: every group in scope is a scope of its own (``scope = "group"``)
        or all of them are one scope, ``"*"``.
        """
        names = sorted(frame[col.GROUP].unique().tolist())
        ok = [g for g in names if self.groups is None or g in self.groups]
        inside = frame[frame[col.GROUP].isin(ok)]
        if self.scope == "group":
            return inside.assign(**{_KEY: inside[col.GROUP]}), ok, {g: seats[g] for g in ok}
        labels = ["*"] if ok else []
        return inside.assign(**{_KEY: "*"}), labels, {"*": sum(seats[g] for g in ok)}


@dataclass(frozen=True, kw_only=True)
class _OnAttribute(_Scoped):
    attribute: str | None = None
    values: tuple[str, ...] | None = None

    @property
    def attributes(self) -> tuple[str, ...]:
        return (str(self.attribute),)

    def _wanted(self) -> tuple[str, ...] | None:
        return self.values

    def _match(self, pool: Pool) -> BoolArray:
        codes, names = pool.codes(str(self.attribute))
        wanted = self._wanted()
        return np.isin(codes, [i for i, v in enumerate(names) if wanted is None or v in wanted])

    def _matches(self, frame: pd.DataFrame) -> pd.Series:
        """Recount helper: rows whose attribute value the rule counts (never a missing one)."""
        values = frame[str(self.attribute)]
        wanted = self._wanted()
        return values.notna() & (values.isin(wanted) if wanted is not None else True)

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
        if self.attribute not in pool.frame.columns or self.attribute in _NOT_ATTRIBUTES:
            names = [c for c in pool.frame.columns if c not in _NOT_ATTRIBUTES]
            out.append(f"attribute '{self.attribute}' is not a candidate column ({names})")
        return out


@dataclass(frozen=True, kw_only=True)
class _Quota(_OnAttribute):
    value: str | None = None
    count: int | None = None
    share: float | None = None
    at_least: ClassVar[bool] = True

    def _wanted(self) -> tuple[str, ...] | None:
        return (self.value,) if self.value is not None else self.values

    def _bound(self, seats: int) -> float:
        if self.count is not None:
            return float(self.count)
        rounding = math.ceil if self.at_least else math.floor
        return float(rounding(Fraction(repr(self.share)) * int(seats)))

    def _compute(self, pool: Pool) -> Counts:
        seats = self._scoped(pool, self._match(pool), 0, 0).seats
        bound = np.array([self._bound(int(s)) for s in seats], dtype=float)
        lower, upper = (bound, np.inf) if self.at_least else (-np.inf, bound)
        return self._scoped(pool, self._match(pool), lower, upper)

    def describe(self) -> str:
        amount = (
            plural(self.count, "representative")
            if self.count is not None
            else f"{float(self.share or 0) * 100:g}% of the seats"
        )
        word = "at least" if self.at_least else "at most"
        return f"{word} {amount}{self._what()} {self._where()}"

    def _if_available(self) -> bool:
        return False

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows, labels, scope_seats = self._scope_frame(frame, seats)
        match = self._matches(rows)
        by = rows[_KEY]
        n = (match & rows[CHOSEN]).groupby(by).sum().reindex(labels, fill_value=0).to_numpy()
        bound = np.array([self._bound(scope_seats[s]) for s in labels], dtype=float)
        if self.at_least:
            lower, upper = bound, np.full(len(labels), np.inf)
            if self._if_available():
                have = (match & rows[SELECTABLE]).groupby(by).sum()
                lower = np.minimum(lower, have.reindex(labels, fill_value=0).to_numpy())
        else:
            lower, upper = np.full(len(labels), -np.inf), bound
        return _recounted(self, labels, [""] * len(labels), n, lower, upper)

    def quotas(self, pool: Pool) -> tuple[Quota, ...]:
        if self.scope != "group":
            return ()
        c = self.counts(pool)
        lower = np.where(c.active, c.lower, -np.inf)
        upper = np.where(c.active, c.upper, np.inf)
        values = frozenset(self._wanted() or ())
        return (Quota(self.label, str(self.attribute), values, lower, upper),)


@dataclass(frozen=True, kw_only=True)
class AtLeast(_Quota):
    """At least ``count`` (or a ``share`` of the seats) with an attribute value.

    Examples
    --------
    >>> AtLeast(attribute="gender", value="F", share=0.45, scope="all").describe()
    'at least 45% of the seats with gender = F in the delegation'
    """

    kind: ClassVar[str] = "at_least"
    spec: ClassVar[type[BaseModel] | None] = AtLeastSpec
    if_available: bool = False

    def _if_available(self) -> bool:
        return self.if_available

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
    spec: ClassVar[type[BaseModel] | None] = AtMostSpec
    at_least: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class AtLeastEach(_OnAttribute):
    """At least ``count`` representatives with each of ``values``: one minimum per value.

    Every listed value has its row in every scope, even a value nobody in the scope has
    (then presolve says so, unless ``if_available`` lowers that minimum to zero).

    Examples
    --------
    >>> AtLeastEach(attribute="country", values=("BRA", "MEX"), scope="all").describe()
    'at least 1 representative with each country of {BRA, MEX} in the delegation'
    """

    kind: ClassVar[str] = "at_least_each"
    spec: ClassVar[type[BaseModel] | None] = AtLeastEachSpec
    values: tuple[str, ...] = ()
    count: int = 1
    if_available: bool = False

    def describe(self) -> str:
        extra = " (or as many as available)" if self.if_available else ""
        return (
            f"at least {plural(self.count, 'representative')} with each {self.attribute} of "
            f"{{{', '.join(self.values)}}} {self._where()}{extra}"
        )

    def _compute(self, pool: Pool) -> Counts:
        scoped = self._scoped(pool, np.ones(pool.n_candidates, dtype=bool), self.count, np.inf)
        codes, names = pool.codes(str(self.attribute))
        index = {v: i for i, v in enumerate(self.values)}
        which = np.array([index.get(v, -1) for v in names] + [-1], dtype=np.int64)[codes]
        n_scopes, n_values = len(scoped.lower), len(self.values)
        member = scoped.member & (which >= 0)
        key = np.where(member, scoped.key * n_values + np.maximum(which, 0), 0)
        scope = np.repeat(np.arange(n_scopes), n_values)
        counts = Counts(
            member,
            key,
            scoped.scope,
            scoped.lower[scope],
            scoped.upper[scope],
            scoped.active[scope],
            scope,
            scoped.group[scope],
            np.tile(np.arange(n_values), n_scopes),
            np.full(len(scope), -1),
            scoped.seats,
        )
        if self.if_available:
            return replace(counts, lower=np.minimum(counts.lower, counts.available(pool)))
        return counts

    def _value_name(self, pool: Pool, value: int) -> str:
        return self.values[value] if value >= 0 else ""

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows, labels, _ = self._scope_frame(frame, seats)
        keys = pd.MultiIndex.from_product([labels, list(self.values)])
        by = [rows[_KEY], rows[str(self.attribute)]]
        n = rows[CHOSEN].groupby(by).sum().reindex(keys, fill_value=0).to_numpy()
        lower = np.full(len(keys), float(self.count))
        if self.if_available:
            have = rows[SELECTABLE].groupby(by).sum().reindex(keys, fill_value=0).to_numpy()
            lower = np.minimum(lower, have)
        return _recounted(
            self,
            keys.get_level_values(0).tolist(),
            keys.get_level_values(1).tolist(),
            n,
            lower,
            np.full(len(keys), np.inf),
        )

    def quotas(self, pool: Pool) -> tuple[Quota, ...]:
        if self.scope != "group":
            return ()
        c = self.counts(pool)
        out = []
        for v, value in enumerate(self.values):
            lower = np.full(pool.n_groups, -np.inf)
            keys = np.flatnonzero((c.value == v) & c.active)
            lower[c.group[keys]] = c.lower[keys]
            out.append(
                Quota(
                    self.label,
                    str(self.attribute),
                    frozenset({value}),
                    lower,
                    np.full(pool.n_groups, np.inf),
                )
            )
        return tuple(out)


@dataclass(frozen=True, kw_only=True)
class MaxPer(_OnAttribute):
    """At most ``count`` representatives sharing the same value of ``attribute``.

    Examples
    --------
    >>> MaxPer(attribute="country", count=2, scope="all").describe()
    'at most 2 representatives per country value in the delegation'
    """

    kind: ClassVar[str] = "max_per"
    spec: ClassVar[type[BaseModel] | None] = MaxPerSpec
    count: int = 1

    def describe(self) -> str:
        only = f" (values {', '.join(self.values)})" if self.values is not None else ""
        return (
            f"at most {plural(self.count, 'representative')} per {self.attribute} "
            f"value{only} {self._where()}"
        )

    def _compute(self, pool: Pool) -> Counts:
        return self._by_value(self._scoped(pool, self._match(pool), -np.inf, self.count), pool)

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows, _, _ = self._scope_frame(frame, seats)
        rows = rows[self._matches(rows)]
        n = rows[CHOSEN].groupby([rows[_KEY], rows[str(self.attribute)]]).sum()
        groups = n.index.get_level_values(0).tolist()
        values = [str(v) for v in n.index.get_level_values(1)]
        upper = np.full(len(n), float(self.count))
        return _recounted(self, groups, values, n.to_numpy(), np.full(len(n), -np.inf), upper)


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
    spec: ClassVar[type[BaseModel] | None] = DistinctSpec
    counts_values: ClassVar[bool] = True
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

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows, labels, _ = self._scope_frame(frame, seats)
        rows = rows[self._matches(rows)]
        values = rows[str(self.attribute)]
        kinds = values[rows[CHOSEN]].groupby(rows[_KEY][rows[CHOSEN]]).nunique()
        n = kinds.reindex(labels, fill_value=0).to_numpy()
        lower = np.full(len(labels), float(self.min))
        if self.if_available:
            mask = rows[SELECTABLE]
            have = values[mask].groupby(rows[_KEY][mask]).nunique()
            lower = np.minimum(lower, have.reindex(labels, fill_value=0).to_numpy())
        upper = np.full(len(labels), np.inf)
        return _recounted(self, labels, [""] * len(labels), n, lower, upper)

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
    spec: ClassVar[type[BaseModel] | None] = MinMeritSpec
    depends_on_merit: ClassVar[bool] = True
    merit: float | None = None

    def describe(self) -> str:
        return f"no representative with merit below {self.merit or 0:g} {self._where()}"

    def _compute(self, pool: Pool) -> Counts:
        return self._scoped(pool, pool.merit < float(self.merit or 0.0), -np.inf, 0)

    def _suffix(self, pool: Pool, value: int) -> str:
        return f" with merit below {self.merit or 0:g}"

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows, labels, _ = self._scope_frame(frame, seats)
        below = rows[col.MERIT].astype(float) < float(self.merit or 0.0)
        n = (below & rows[CHOSEN]).groupby(rows[_KEY]).sum().reindex(labels, fill_value=0)
        k = len(labels)
        return _recounted(self, labels, [""] * k, n.to_numpy(), np.full(k, -np.inf), np.zeros(k))

    def forced(self, pool: Pool) -> Forced | None:
        below = np.flatnonzero(self.counts(pool).member & pool.selectable)
        return Forced(below, False, "not_selected.below_min_merit", f"merit below {self.merit:g}")


@dataclass(frozen=True, kw_only=True)
class _ByIds(Constraint):
    ids: tuple[str, ...] = ()
    required: ClassVar[bool] = True

    def _positions(self, pool: Pool) -> IntArray:
        return np.unique(np.array([p for p in map(pool.position, self.ids) if p >= 0], np.int64))

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
        unknown = sorted(i for i in self.ids if pool.position(i) < 0)
        if not unknown:
            return []
        return [f"'{self.kind}' needs known candidate 'ids' (unknown: {unknown})"]

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        rows = frame[frame[col.CANDIDATE_ID].isin(self.ids)]
        n = rows[CHOSEN].astype(np.int64).to_numpy()
        k = len(rows)
        lower, upper = (
            (np.ones(k), np.full(k, np.inf))
            if self.required
            else (
                np.full(k, -np.inf),
                np.zeros(k),
            )
        )
        ids = rows[col.CANDIDATE_ID].astype(str).tolist()
        return _recounted(self, rows[col.GROUP].tolist(), ids, n, lower, upper)


@dataclass(frozen=True, kw_only=True)
class Require(_ByIds):
    """These candidate ids must be selected.

    Examples
    --------
    >>> Require(ids=("c1", "c2")).describe()
    'c1, c2 must be selected'
    """

    kind: ClassVar[str] = "require"
    spec: ClassVar[type[BaseModel] | None] = RequireSpec
    short_code: ClassVar[str] = "selection.require_unselectable"

    def describe(self) -> str:
        return f"{', '.join(self.ids)} must be selected"

    def forced(self, pool: Pool) -> Forced | None:
        return Forced(self._positions(pool), True, "selected.required", "required")


@dataclass(frozen=True, kw_only=True)
class Exclude(_ByIds):
    """These candidate ids must not be selected.

    Examples
    --------
    >>> Exclude(ids=("c3",)).describe()
    'c3 must not be selected'
    """

    kind: ClassVar[str] = "exclude"
    spec: ClassVar[type[BaseModel] | None] = ExcludeSpec
    required: ClassVar[bool] = False

    def describe(self) -> str:
        return f"{', '.join(self.ids)} must not be selected"

    def forced(self, pool: Pool) -> Forced | None:
        return Forced(self._positions(pool), False, "not_selected.excluded", "excluded")


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
    relax_tier: ClassVar[int] = 2
    per_group: int = 3
    overrides: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        extra = ", ".join(f"{g}: {n}" for g, n in self.overrides)
        return f"exactly {plural(self.per_group, 'representative')} per group" + (
            f" ({extra})" if extra else ""
        )

    def problems(self, pool: Pool) -> list[str]:
        if self.soft or any(n < 0 for _, n in self.overrides):
            return ["seats cannot be soft or negative"]
        return []

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

    def recount(self, frame: pd.DataFrame, seats: Mapping[str, int]) -> tuple[Violation, ...]:
        groups = sorted(frame[col.GROUP].unique().tolist())
        n = frame[CHOSEN].groupby(frame[col.GROUP]).sum().reindex(groups, fill_value=0)
        want = np.array([float(seats[g]) for g in groups])
        return _recounted(self, groups, [""] * len(groups), n.to_numpy(), want, want)

    def presolve_issues(self, pool: Pool) -> list[Issue]:
        issues = super().presolve_issues(pool)
        return issues + [
            Issue(
                "warning",
                "selection.unknown_group",
                f"Seats are set for group '{name}', which has no candidates.",
                value=name,
            )
            for name, _ in self.overrides
            if name not in pool.group_names
        ]


CONSTRAINTS: dict[str, type[Constraint]] = {
    c.kind: c for c in (AtLeast, AtMost, AtLeastEach, MaxPer, Distinct, Require, Exclude, MinMerit)
}
"""Registry of the rule kinds of ``[[selection.constraints]]``, by kind."""


def seats_rule(config: SelectionConfig) -> Constraint:
    """Return the seats rule of a selection config (``per_group`` and ``seats``).

    Examples
    --------
    >>> seats_rule(SelectionConfig(per_group=2, seats={"Asia": 1})).describe()
    'exactly 2 representatives per group (Asia: 1)'
    """
    return Seats(per_group=config.per_group, overrides=tuple(sorted(config.seats.items())))


def rule_from_spec(spec: ConstraintSpec) -> Constraint:
    """Turn one validated ``[[selection.constraints]]`` entry into its rule object.

    Examples
    --------
    >>> from scoring.config import constraint_spec
    >>> rule_from_spec(constraint_spec({"kind": "max_per", "attribute": "project"})).describe()
    'at most 1 representative per project value in each group'
    """
    return CONSTRAINTS[spec.kind].from_spec(spec)


def rules_from_specs(specs: Sequence[ConstraintSpec]) -> list[Constraint]:
    """Turn every ``[[selection.constraints]]`` entry into its rule object, in order.

    Examples
    --------
    >>> from scoring.config import constraint_spec
    >>> [r.kind for r in rules_from_specs([constraint_spec({"kind": "exclude", "ids": ["a"]})])]
    ['exclude']
    """
    return [rule_from_spec(spec) for spec in specs]


def make_rule(kind: str, **keys: Any) -> Constraint:
    """Return the rule of ``kind`` with the keys of ``[[selection.constraints]]``.

    ``kind = "seats"`` gives the seats rule (``per_group``, ``overrides``); every other kind
    is checked exactly as a rule in ``event.toml`` is.

    Raises
    ------
    InvalidEventError
        An unknown kind, or keys that are invalid or do not go with the kind.

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
        spec = constraint_spec({"kind": kind, **keys})
    except ValidationError as exc:
        issues = [config_issue(e, "rule", prefix="rule") for e in exc.errors()]
        raise InvalidEventError(issues) from None
    return rule_from_spec(spec)
