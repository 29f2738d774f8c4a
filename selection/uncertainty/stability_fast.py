"""Fast engines of :mod:`selection.uncertainty.stability`: batched merit and enumerated selection.

Rerunning :func:`scoring.pipeline.score_event` and :func:`selection.facade.select` per
resample rebuilds frames, models and solver state each time. Between two resamples only
the *weights* of the marks change (a juror drawn ``k`` times counts each mark ``k`` times),
so this module does the invariant work once:

:class:`WeightedMerit`
    The additive model (and ``raw``) with the ``mean`` aggregate as a weighted fit, for
    many resamples at once. For criterion ``c`` with ``A[j, t]`` marks and ``S[j, t]`` mark
    sum of juror ``j`` on target ``t`` and juror weights ``K[r, j]`` of resample ``r``:
    ``n_t = K A``, ``ybar = K S / n_t``, ``rhs_j = K_j (s_j - (A ybar)_j)``,
    ``C = diag(K a) - diag(K) (A diag(1/n_t) A') diag(K)``; the offsets solve
    ``(C + ridge I + P) b = rhs`` (``P`` the component projector) by
    :func:`scoring.models.juror_effects.juror_offsets`, the core that
    :mod:`scoring.models.calibrate` fits with, batched over resamples; the panel score is
    ``ybar_t - (K b) A / n_t``: exactly the model fitted on the score sheet holding each
    mark ``K_j`` times. Merit is the weighted sum of panel scores (missing when a
    candidate's target lost every mark).
:class:`FastSelector`
    Each group's feasible delegations under its own (hard, merit-independent) rules are
    enumerated once and checked with the rules' own counts (:meth:`Constraint.counts`).
    A resample's optimum per group is then an argmax of a (delegations x candidates) 0/1
    matrix times the grid merits, for all resamples in one product. Delegation-wide rules
    are met by keeping the per-group optima when they already satisfy them (then they are
    optimal) and otherwise by a dynamic programme over groups on the delegation-wide
    tallies. Ties are broken as :mod:`selection.model.solve` breaks them: grid merit, then the
    sum of lottery weights, then the best lottery position among the candidates that
    differ. Whatever cannot be settled exactly (a tie across groups on merit and lottery
    sum, a candidate who lost every mark, soft or merit-dependent rules, too many
    delegations) is reported as ``-2`` so that the caller runs :func:`select` instead.

Examples
--------
>>> from scoring.example import example_event_path
>>> from scoring.ingest.load import load_event
>>> event = load_event(example_event_path())
>>> model = WeightedMerit.from_event(event)
>>> merit = model.merit(np.ones((1, len(model.juror_ids))))
>>> merit.shape == (1, len(model.candidate_ids))
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.conflicts import exclude_conflicts
from scoring.event import Event
from scoring.ingest.marks import index_marks
from scoring.models.juror_effects import component_labels, juror_offsets
from selection import columns as col
from selection.model.pool import MAX_GRID_SPREAD, MERIT_GRID_STEP, Pool
from selection.model.rule import Constraint, Counts

__all__ = [
    "FALLBACK",
    "FAST_METHODS",
    "INFEASIBLE",
    "MAX_DP_STATES",
    "MAX_SUBSETS",
    "FastSelector",
    "WeightedMerit",
    "grid_merit",
]

FAST_METHODS: tuple[str, ...] = ("additive", "raw")
"""Scoring methods :class:`WeightedMerit` fits (with ``aggregate = "mean"``)."""
MAX_SUBSETS = 20_000
"""Most delegations enumerated per group; above it the resample is left to the solver."""
MAX_DP_STATES = 4096
"""Most delegation-wide tally states of the dynamic programme over groups."""
INFEASIBLE = -1
"""Delegation index of a resample without any delegation meeting every rule."""
FALLBACK = -2
"""Delegation index of a resample the fast path cannot settle exactly."""


@dataclass(frozen=True, eq=False)
class _Criterion:
    weight: float
    count: np.ndarray  # (n_jurors, n_targets) marks of juror j on target t
    total: np.ndarray  # (n_jurors, n_targets) sum of those marks
    lookup: np.ndarray  # (n_candidates,) column of each candidate's target, -1 if none


@dataclass(frozen=True, eq=False)
class WeightedMerit:
    """Merit of every candidate under juror weights, for many resamples at once.

    ``candidate_ids`` are sorted by group, then id (pool order); ``juror_ids`` sorted.
    Marks under a conflict of interest are excluded once, as in the full run.
    """

    candidate_ids: np.ndarray
    juror_ids: np.ndarray
    criteria: tuple[_Criterion, ...]
    ridge: float
    calibrate: bool
    decimals: int | None

    @classmethod
    def from_event(cls, event: Event, *, method: str = "additive") -> WeightedMerit:
        """Prepare the weighted fit of ``event`` (``method`` in :data:`FAST_METHODS`).

        Raises
        ------
        ValueError
            When ``method`` is not a fast method.
        """
        if method not in FAST_METHODS:
            raise ValueError(f"method must be one of {FAST_METHODS}, got {method!r}")
        config = event.config
        jurors_file = event.inputs.get("jurors")
        kept = exclude_conflicts(
            index_marks(event.scores),
            event.candidates,
            event.jurors,
            event.conflicts,
            attributes=config.scoring.conflicts,
            source=jurors_file.name if jurors_file is not None else None,
        ).index
        marks = kept.marks
        juror_ids = np.array(
            sorted(set(event.jurors[col.JUROR_ID].astype(str)) | set(kept.jurors.astype(str))),
            dtype=object,
        )
        cands = event.candidates.sort_values([col.GROUP, col.CANDIDATE_ID], ignore_index=True)
        own = cands[col.CANDIDATE_ID].astype(str).to_numpy(dtype=object)
        project = cands[col.PROJECT].astype(object).where(cands[col.PROJECT].notna(), None)
        in_project = np.where(project.isna(), own, project.to_numpy(dtype=object))
        weights = config.weights()
        criteria = []
        juror_code = pd.Index(juror_ids).get_indexer(marks[col.JUROR_ID].astype(str))
        for criterion in config.criteria:
            rows = (marks[col.CRITERION] == criterion.name).to_numpy()
            targets, target_code = np.unique(
                marks.loc[rows, col.TARGET_ID].astype(str).to_numpy(dtype=object),
                return_inverse=True,
            )
            shape = (len(juror_ids), len(targets))
            cell = juror_code[rows] * len(targets) + target_code.reshape(-1)
            size = shape[0] * shape[1]
            count = np.bincount(cell, minlength=size).reshape(shape).astype("float64")
            y = marks.loc[rows, col.SCORE].to_numpy(dtype="float64")
            total = np.bincount(cell, weights=y, minlength=size).reshape(shape)
            wanted = in_project if criterion.level == "project" else own
            lookup = pd.Index(targets).get_indexer(wanted)
            criteria.append(_Criterion(weights.get(criterion.name, 0.0), count, total, lookup))
        return cls(
            candidate_ids=own,
            juror_ids=juror_ids,
            criteria=tuple(criteria),
            ridge=float(config.scoring.ridge),
            calibrate=method == "additive",
            decimals=config.scoring.decimals,
        )

    def merit(self, juror_weights: np.ndarray) -> np.ndarray:
        """Return merit ``(n_resamples, n_candidates)`` for weights ``(n_resamples, n_jurors)``.

        Missing (NaN) where a candidate has no panel score on a criterion of positive
        weight, as in :func:`scoring.models.aggregate.candidate_merit`.
        """
        k = np.asarray(juror_weights, dtype="float64")
        merit = np.zeros((len(k), len(self.candidate_ids)))
        for criterion in self.criteria:
            if criterion.weight == 0:
                continue
            score = self._panel(criterion, k)
            padded = np.concatenate([score, np.full((len(k), 1), np.nan)], axis=1)
            merit += criterion.weight * padded[:, criterion.lookup]
        return merit

    def _panel(self, criterion: _Criterion, k: np.ndarray) -> np.ndarray:
        count, total = criterion.count, criterion.total
        n_target = k @ count
        with np.errstate(invalid="ignore", divide="ignore"):
            inverse = np.where(n_target > 0, 1.0 / n_target, 0.0)
            ybar = (k @ total) * inverse
            if not self.calibrate:
                return np.where(n_target > 0, ybar, np.nan)
            rhs = k * (total.sum(axis=1)[None, :] - np.einsum("jt,rt->rj", count, ybar))
            shared = np.einsum("jt,rt,kt->rjk", count, inverse, count) * (
                k[:, :, None] * k[:, None, :]
            )
            n_juror = k * count.sum(axis=1)[None, :]
            information = np.einsum("rj,jk->rjk", n_juror, np.eye(len(n_juror[0]))) - shared
            offset, _ = juror_offsets(
                information,
                rhs,
                n_marks=n_juror,
                component=component_labels(information),
                ridge=self.ridge,
            )
            score = ybar - ((k * offset) @ count) * inverse
        return np.where(
            n_target > 0, score if self.decimals is None else score.round(self.decimals), np.nan
        )


def grid_merit(merit: np.ndarray, selectable: np.ndarray) -> np.ndarray:
    """Return the integer grid merits of :func:`selection.model.program.prepare_pool`, per resample.

    ``merit`` is ``(n_resamples, n_candidates)``; only ``selectable`` candidates set the
    grid step (coarsened tenfold while their spread exceeds ``MAX_GRID_SPREAD`` steps).

    Examples
    --------
    >>> grid_merit(np.array([[7.5, 8.0]]), np.array([True, True])).tolist()
    [[7500000, 8000000]]
    """
    out = np.zeros(merit.shape, dtype=np.int64)
    for r in range(len(merit)):
        values = merit[r, selectable]
        spread, exponent = float(np.ptp(values)) if len(values) else 0.0, 0
        while spread > MAX_GRID_SPREAD * MERIT_GRID_STEP * 10**exponent:
            exponent += 1
        step = float(f"{MERIT_GRID_STEP * 10**exponent:.0e}")
        out[r, selectable] = np.round(values / step).astype(np.int64)
    return out


@dataclass(frozen=True, eq=False)
class _Group:
    positions: np.ndarray  # pool positions of the selectable candidates
    subsets: np.ndarray  # (n_feasible, seats) local indexes, best tie rank first
    incidence: np.ndarray  # (n_feasible, n_local) 0/1
    lottery_sum: np.ndarray  # (n_feasible,) sum of lottery weights
    tally: np.ndarray  # (n_feasible, n_global_keys) delegation-wide tallies


def _tallies(
    counts: Counts, positions: np.ndarray, incidence: np.ndarray, keys: np.ndarray
) -> np.ndarray:
    """Tally of each key in ``keys`` for every 0/1 row of ``incidence`` over ``positions``."""
    member = counts.member[positions]
    key = counts.key[positions]
    if counts.distinct is None:
        hit = (member[:, None] & (key[:, None] == keys[None, :])).astype(np.int64)
        return incidence @ hit
    value = counts.distinct[positions]
    out = np.zeros((len(incidence), len(keys)), dtype=np.int64)
    for i, k in enumerate(keys.tolist()):
        for v in np.unique(value[member & (key == k)]).tolist():
            hit = (member & (key == k) & (value == v)).astype(np.int64)
            out[:, i] += (incidence @ hit) > 0
    return out


class FastSelector:
    """Exact selection under fixed rules for many merit vectors (see the module docstring).

    Parameters
    ----------
    pool
        The prepared candidates of the full run; its ``selectable`` mask is the one every
        fast resample must have.
    rules
        The seats rule and the configured rules (:func:`selection.facade.rules_from_config`).

    Attributes
    ----------
    usable
        False when the rules need the solver for every resample (a soft rule, a
        ``min_merit`` rule, a delegation-wide ``distinct`` rule, too many delegations).
    reason
        Why the fast path is not usable (empty when it is).

    Examples
    --------
    The example of :mod:`selection.model.program`, two seats per group: the best pair of each
    group, as :func:`selection.facade.select` finds it.

    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> selector = FastSelector(pool, [make_rule("seats", per_group=2)])
    >>> choice = selector.select(grid_merit(pool.merit[None, :], pool.selectable))
    >>> pool.candidate_ids[selector.masks(choice)[0]].tolist()
    ['c1', 'c2', 'c5', 'c6']
    """

    def __init__(self, pool: Pool, rules: Sequence[Constraint]) -> None:
        self.pool = pool
        self.usable, self.reason = True, ""
        self.groups: list[_Group] = []
        blocked = self._blocked(rules)
        if blocked:
            self.usable, self.reason = False, blocked
            return
        # The seats rule is among the local ones; every enumerated subset meets it anyway.
        local = [r.counts(pool) for r in rules if not r.couples_groups]
        coupling = [r.counts(pool) for r in rules if r.couples_groups]
        self.bounds = [(c, np.flatnonzero(c.active)) for c in coupling]
        key = pool.lottery.max(initial=0) + 1 - pool.lottery
        for g in range(pool.n_groups):
            group = self._enumerate(g, local, key)
            if group is None:
                self.usable, self.reason = False, f"more than {MAX_SUBSETS} delegations in a group"
                return
            self.groups.append(group)
        self.n_keys = sum(len(k) for _, k in self.bounds)
        self.lower = np.concatenate([c.lower[k] for c, k in self.bounds] or [np.zeros(0)])
        self.upper = np.concatenate([c.upper[k] for c, k in self.bounds] or [np.zeros(0)])

    @staticmethod
    def _blocked(rules: Sequence[Constraint]) -> str:
        for rule in rules:
            if rule.soft:
                return f"soft rule '{rule.label}'"
            if rule.depends_on_merit:
                return f"merit-dependent rule '{rule.label}'"
            if rule.couples_groups and rule.counts_values:
                return f"delegation-wide rule counting different values '{rule.label}'"
        return ""

    def _enumerate(self, g: int, local: list[Counts], key: np.ndarray) -> _Group | None:
        pool = self.pool
        positions = np.flatnonzero(pool.selectable & (pool.group_code == g))
        seats = int(pool.seats[g])
        if math.comb(len(positions), seats) > MAX_SUBSETS:
            return None
        subsets = np.array(
            list(itertools.combinations(range(len(positions)), seats)), dtype=np.int64
        ).reshape(-1, seats)
        incidence = np.zeros((len(subsets), len(positions)), dtype=np.int64)
        np.put_along_axis(incidence, subsets, 1, axis=1)
        ok = np.ones(len(subsets), dtype=bool)
        for counts in local:
            keys = np.flatnonzero(counts.active & (counts.group == g))
            if len(keys):
                n = _tallies(counts, positions, incidence, keys)
                ok &= np.all((n >= counts.lower[keys]) & (n <= counts.upper[keys]), axis=1)
        subsets, incidence = subsets[ok], incidence[ok]
        weights = key[positions][subsets]
        ranked = -np.sort(-weights, axis=1)
        # Best tie rank first: largest lottery-weight sum, then the largest weights in turn
        # (for equal sums this is the delegation holding the best differing position).
        order = np.lexsort([*(-ranked[:, i] for i in reversed(range(seats))), -weights.sum(axis=1)])
        subsets, incidence = subsets[order], incidence[order]
        tally = [_tallies(c, positions, incidence, k) for c, k in self.bounds]
        return _Group(
            positions=positions,
            subsets=subsets,
            incidence=incidence,
            lottery_sum=weights.sum(axis=1)[order],
            tally=np.concatenate(tally, axis=1) if tally else np.zeros((len(subsets), 0), np.int64),
        )

    def select(self, grid: np.ndarray) -> np.ndarray:
        """Return the chosen delegation of each group per resample, ``(n_resamples, n_groups)``.

        Entries index the group's feasible delegations (``subsets``); a row of
        :data:`INFEASIBLE` when no delegation meets every rule and of :data:`FALLBACK`
        when the fast path cannot settle the resample exactly.
        """
        n = len(grid)
        choice = np.zeros((n, len(self.groups)), dtype=np.int64)
        if any(len(group.subsets) == 0 for group in self.groups):
            return np.full_like(choice, INFEASIBLE)
        values = []
        for g, group in enumerate(self.groups):
            value = group.incidence @ grid[:, group.positions].T  # (n_feasible, n)
            choice[:, g] = np.argmax(value, axis=0)
            values.append(value)
        if self.n_keys == 0:
            return choice
        total = sum(group.tally[choice[:, g]] for g, group in enumerate(self.groups))
        ok = np.all((total >= self.lower) & (total <= self.upper), axis=1)
        redo = np.flatnonzero(~ok)
        if len(redo):
            choice[redo] = self._programme([v[:, redo] for v in values])
        return choice

    def _programme(self, values: list[np.ndarray]) -> np.ndarray:
        """Dynamic programme over groups on the delegation-wide tallies (columns: resamples)."""
        n = values[0].shape[1]
        dims = np.sum([group.tally.max(axis=0) for group in self.groups], axis=0) + 1
        n_states = int(np.prod(dims))
        weight = max(int(self.pool.lottery.max(initial=0)) + 1, 1) * max(self.pool.n_seats, 1) + 1
        biggest = max(int(np.abs(v).max(initial=0)) for v in values) * len(self.groups)
        if n_states > MAX_DP_STATES or biggest * weight > 2**61:
            return np.full((n, len(self.groups)), FALLBACK)
        radix = np.concatenate(([1], np.cumprod(dims)[:-1])).astype(np.int64)
        floor = np.iinfo(np.int64).min // 4
        best = np.full((n, n_states), floor, dtype=np.int64)
        best[:, 0] = 0
        ways = np.zeros((n, n_states), dtype=np.int64)
        ways[:, 0] = 1
        picks = []
        for group, value in zip(self.groups, values, strict=True):
            code = group.tally @ radix
            combined = value * weight + group.lottery_sum[:, None]
            new = np.full_like(best, floor)
            new_ways = np.zeros_like(ways)
            pick = np.full((n, n_states), -1, dtype=np.int64)
            for shift in np.unique(code).tolist():
                members = np.flatnonzero(code == shift)
                top = members[np.argmax(combined[members], axis=0)]
                gain = combined[top, np.arange(n)]
                width = n_states - shift
                cand = np.where(best[:, :width] > floor, best[:, :width] + gain[:, None], floor)
                target = new[:, shift:]
                better = cand > target
                equal = (cand == target) & (cand > floor)
                new_ways[:, shift:] = np.where(
                    better,
                    ways[:, :width],
                    np.minimum(new_ways[:, shift:] + np.where(equal, ways[:, :width], 0), 2),
                )
                pick[:, shift:] = np.where(better, top[:, None], pick[:, shift:])
                new[:, shift:] = np.maximum(target, cand)
            best, ways = new, new_ways
            picks.append(pick)
        states = np.arange(n_states)
        tally = (states[:, None] // radix[None, :]) % dims[None, :]
        allowed = np.all((tally >= self.lower) & (tally <= self.upper), axis=1)
        final = np.where(allowed[None, :] & (best > floor), best, floor)
        state = np.argmax(final, axis=1)
        top = final[np.arange(n), state]
        n_top = np.where(final == top[:, None], ways, 0).sum(axis=1)
        choice = np.zeros((n, len(self.groups)), dtype=np.int64)
        for g in reversed(range(len(self.groups))):
            picked = picks[g][np.arange(n), state]
            choice[:, g] = np.maximum(picked, 0)
            state = state - self.groups[g].tally[choice[:, g]] @ radix
        choice[top <= floor] = INFEASIBLE
        choice[(top > floor) & (n_top > 1)] = FALLBACK
        return choice

    def masks(self, choice: np.ndarray) -> np.ndarray:
        """Return the pool mask ``(n_resamples, n_candidates)`` of chosen delegations.

        Rows with :data:`INFEASIBLE` or :data:`FALLBACK` are all false.
        """
        out = np.zeros((len(choice), self.pool.n_candidates), dtype=bool)
        for g, group in enumerate(self.groups):
            good = choice[:, g] >= 0
            rows = np.flatnonzero(good)
            picked = group.positions[group.subsets[choice[good, g]]]
            out[np.repeat(rows, picked.shape[1]), picked.reshape(-1)] = True
        settled = np.all(choice >= 0, axis=1)
        out[~settled] = False
        return out
