"""How stable is the delegation when the jury is resampled?

:func:`stability` reruns scoring and selection on resampled juries and reports how often
each candidate is selected:

Bootstrap over jurors
    Within each panel (the juror attribute ``panel`` when the jurors table has it, every
    juror in one panel otherwise; jurors without a panel value form one panel), draw as
    many jurors as the panel has, with replacement. A juror drawn ``k`` times has each of
    their marks counted ``k`` times (the same juror, ``k`` times the weight; ``k = 0``
    drops their marks); then scoring (conflicts excluded as in the full run) and selection
    under every rule run again. A candidate's ``selection_frequency`` is the share of
    feasible resamples whose delegation includes them; resamples without any delegation
    meeting every rule (e.g. a candidate left without marks) are counted in
    ``infeasible_resamples`` and left out of the shares.
Leave one juror out
    Each juror's marks are dropped once; ``loo_selected`` counts the runs selecting the
    candidate, and :attr:`StabilityResult.leave_one_out` says which delegation changes.
Verdict
    With the ``[stability] core`` threshold ``q``: ``core`` when the frequency is at least
    ``q``, ``out`` when at most ``1 - q``, ``swing`` in between (the leave-one-out share
    stands in when there are no bootstrap resamples).

Method ``bayes`` is not resampled (sampling the posterior per resample would take hours):
resamples use the ``additive`` model, and :attr:`StabilityResult.method` says so. The
grey-zone lottery is not drawn per resample: each resample takes the optimal delegation,
ties broken by the seeded lottery positions as in :mod:`selection.model.solve`.

Speed: the default ``engine = "fast"`` does not rerun the pipeline. Merit of many
resamples comes from one batched weighted fit of the additive (or raw) model with the
``mean`` aggregate; other methods or aggregates rerun :func:`scoring.pipeline.score_event`
on the resampled score sheet. Selection takes the per-group argmax over enumerated
delegations (see :mod:`selection.uncertainty.stability_fast`) and calls :func:`select` only for
resamples it cannot settle exactly (counted in ``n_solver``). ``engine = "naive"`` reruns
:func:`~scoring.pipeline.score_event` and :func:`select` per resample: the reference the
fast engine must match, delegation for delegation.

Examples
--------
>>> from scoring.example import example_event_path
>>> from scoring.ingest.load import load_event
>>> result = stability(load_event(example_event_path()), resamples=20, seed=1)
>>> result.n_resamples, result.infeasible_resamples, result.method
(20, 0, 'additive')
>>> sorted(set(result.frequencies["verdict"])) <= ["core", "out", "swing"]
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from scoring.event import Event
from scoring.frames import frame_records
from scoring.pipeline import SCORING_METHODS, score_event
from selection import columns as col
from selection.facade import SelectionResult, rules_from_config, select
from selection.model.pool import prepare_pool
from selection.model.solve import SolveStatus
from selection.uncertainty.stability_fast import (
    FALLBACK,
    FAST_METHODS,
    INFEASIBLE,
    FastSelector,
    WeightedMerit,
    grid_merit,
)

__all__ = [
    "DELEGATION_COLUMNS",
    "PANEL",
    "StabilityResult",
    "resample_weights",
    "stability",
    "verdicts",
]

PANEL = "panel"
"""Juror attribute naming each juror's panel: jurors are resampled within it."""

DELEGATION_COLUMNS: tuple[str, ...] = (col.RUN, col.RESAMPLE, col.JUROR_ID, col.CANDIDATE_ID)
"""Columns of :attr:`StabilityResult.delegations`, one row per representative per run."""

_CHUNK = 100
"""Resamples handled (and reported to ``progress``) at a time by the fast engine."""


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Selection frequencies under a resampled jury (see the module docstring).

    Attributes
    ----------
    frequencies
        One row per candidate (:data:`scoring.columns.STABILITY_COLUMNS`): ``group,
        candidate_id, name, status_in_full_run, n_selected, selection_frequency`` (NaN
        without feasible resamples), ``loo_selected`` (``<NA>`` without leave-one-out) and
        ``verdict``. Sorted by group, frequency (descending), candidate_id.
    leave_one_out
        One row per juror left out (:data:`scoring.columns.LOO_COLUMNS`): the run's status,
        whether the delegation changed, and who joins and leaves.
    delegations
        Every run's representatives (:data:`DELEGATION_COLUMNS`); ``resample`` numbers
        bootstrap resamples from 1 and leave-one-out runs by juror.
    n_resamples, n_leave_one_out
        Bootstrap resamples and leave-one-out runs made.
    infeasible_resamples, infeasible_leave_one_out
        Runs without any delegation meeting every rule.
    n_solver
        Runs settled by :func:`select` rather than by the fast engine.
    seed, method, core_threshold, engine
        Resampling seed, scoring method of the resamples, ``[stability] core``, engine.
    timings
        Seconds per step; the only non-deterministic field.
    """

    frequencies: pd.DataFrame
    leave_one_out: pd.DataFrame
    delegations: pd.DataFrame
    n_resamples: int
    n_leave_one_out: int
    infeasible_resamples: int
    infeasible_leave_one_out: int
    n_solver: int
    seed: int
    method: str
    core_threshold: float
    engine: str
    timings: dict[str, float] = field(default_factory=dict)

    def core(self, group: str | None = None) -> pd.DataFrame:
        """Return the stable core (verdict ``core``), of one group or of all."""
        return self._verdict("core", group)

    def swing(self, group: str | None = None) -> pd.DataFrame:
        """Return the swing candidates (verdict ``swing``), of one group or of all."""
        return self._verdict("swing", group)

    def _verdict(self, verdict: str, group: str | None) -> pd.DataFrame:
        frame = self.frequencies
        keep = frame[col.VERDICT] == verdict
        if group is not None:
            keep &= frame[col.GROUP] == group
        return frame.loc[keep].reset_index(drop=True)

    def to_dict(self, *, delegations: bool = False) -> dict[str, Any]:
        """Return a JSON-able dict; ``delegations=True`` adds every run's representatives."""
        out: dict[str, Any] = {
            "n_resamples": self.n_resamples,
            "n_leave_one_out": self.n_leave_one_out,
            "infeasible_resamples": self.infeasible_resamples,
            "infeasible_leave_one_out": self.infeasible_leave_one_out,
            "n_solver": self.n_solver,
            "seed": self.seed,
            "method": self.method,
            "core_threshold": self.core_threshold,
            "engine": self.engine,
            "frequencies": frame_records(self.frequencies),
            "leave_one_out": frame_records(self.leave_one_out),
            "timings": dict(self.timings),
        }
        if delegations:
            out["delegations"] = frame_records(self.delegations)
        return out


def resample_weights(event: Event, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw bootstrap juror weights: how often each juror is drawn in each resample.

    Parameters
    ----------
    event
        The event; its jurors' ``panel`` attribute (if any) defines the panels.
    resamples
        Number of resamples.
    seed
        Seed of ``numpy.random.default_rng``; panels are drawn in sorted order and jurors
        in ``juror_id`` order, so the draw does not depend on row order.

    Returns
    -------
    juror_ids, weights
        Sorted juror ids and an ``int64`` array ``(resamples, n_jurors)``; each panel's
        weights sum to the panel's size.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> ids, w = resample_weights(load_event(example_event_path()), 3, seed=7)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 8), [8, 8, 8])
    """
    juror_ids, panels = _panels(event)
    rng = np.random.default_rng(seed)
    weights = np.zeros((resamples, len(juror_ids)), dtype=np.int64)
    for panel in sorted(set(panels)):
        members = np.flatnonzero(panels == panel)
        draws = rng.integers(0, len(members), size=(resamples, len(members)))
        for i, juror in enumerate(members.tolist()):
            weights[:, juror] = (draws == i).sum(axis=1)
    return juror_ids, weights


def _panels(event: Event) -> tuple[np.ndarray, np.ndarray]:
    jurors = event.jurors
    ids = sorted(
        set(jurors[col.JUROR_ID].astype(str)) | set(event.scores[col.JUROR_ID].astype(str))
    )
    panel = pd.Series("", index=ids, dtype=object)
    if PANEL in jurors.columns:
        given = jurors.set_index(jurors[col.JUROR_ID].astype(str))[PANEL]
        panel.update(given[given.notna()].astype(str))
    return np.array(ids, dtype=object), panel.to_numpy(dtype=object)


@dataclass
class _Runs:
    """Delegation masks and statuses of a batch of runs."""

    masks: np.ndarray
    feasible: np.ndarray
    n_solver: int = 0


def stability(
    event: Event,
    *,
    resamples: int | None = None,
    leave_one_out: bool | None = None,
    seed: int | None = None,
    method: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    baseline: SelectionResult | None = None,
    engine: Literal["fast", "naive"] = "fast",
) -> StabilityResult:
    """Resample the jury and report each candidate's selection frequency.

    Parameters
    ----------
    event
        A validated event.
    resamples, leave_one_out, seed
        Override ``[stability]`` (the seed defaults to ``[stability] seed``, then
        ``[selection] seed``).
    method
        Overrides ``[scoring] method``; ``bayes`` resamples with ``additive``.
    progress
        Called as ``progress(done, total)`` after each batch of runs.
    baseline
        The full run's selection (e.g. ``run_event(event).selection``) for
        ``status_in_full_run``; computed (without reserves or explanations) when not given.
    engine
        ``"fast"`` (default) or ``"naive"`` (rerun the full pipeline per run; the
        reference, slow).

    Returns
    -------
    StabilityResult
        Frequencies, verdicts and leave-one-out changes.

    Raises
    ------
    ValueError
        Unknown method or engine, or a negative number of resamples.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> result = stability(load_event(example_event_path()), resamples=0, leave_one_out=True)
    >>> result.n_leave_one_out, result.leave_one_out.columns.tolist()
    (8, ['juror_id', 'status', 'changed', 'joining', 'leaving'])
    """
    clock = time.perf_counter()
    config = event.config
    n_resamples = config.stability.resamples if resamples is None else resamples
    loo = config.stability.leave_one_out if leave_one_out is None else leave_one_out
    chosen = config.scoring.method if method is None else method
    if chosen not in SCORING_METHODS:
        raise ValueError(f"method must be one of {SCORING_METHODS}, got {chosen!r}")
    if engine not in ("fast", "naive"):
        raise ValueError(f"engine must be 'fast' or 'naive', got {engine!r}")
    if n_resamples < 0:
        raise ValueError(f"resamples must be >= 0, got {n_resamples}")
    used = "additive" if chosen == "bayes" else chosen
    seed = (
        seed
        if seed is not None
        else config.stability.seed
        if config.stability.seed is not None
        else config.selection.seed
    )
    juror_ids, boot = resample_weights(event, n_resamples, seed)
    runs = np.vstack([boot, *([1 - np.eye(len(juror_ids), dtype=np.int64)] if loo else [])])
    full_merit = score_event(event, method=used, diagnostics=False).merit
    if baseline is None:
        baseline = _light_select(event, full_merit)
    timings = {"setup": time.perf_counter() - clock}
    runner = _Naive(event, used) if engine == "naive" else _Fast(event, used, full_merit)
    masks, feasible, n_solver = [], [], 0
    batched = isinstance(runner, _Fast) and runner.merit_model is not None
    step = _CHUNK if batched else 1 if engine == "naive" else 10
    for start in range(0, len(runs), step):
        batch = runner.run(juror_ids, runs[start : start + step])
        masks.append(batch.masks)
        feasible.append(batch.feasible)
        n_solver += batch.n_solver
        if progress is not None:
            progress(min(start + step, len(runs)), len(runs))
    timings["runs"] = time.perf_counter() - clock - timings["setup"]
    pool_ids = runner.candidate_ids
    mask = np.vstack(masks) if masks else np.zeros((0, len(pool_ids)), dtype=bool)
    ok = np.concatenate(feasible) if feasible else np.zeros(0, dtype=bool)
    n_boot = n_resamples
    frequencies = _frequencies(
        event,
        baseline,
        pool_ids,
        mask[:n_boot],
        ok[:n_boot],
        mask[n_boot:] if loo else None,
        ok[n_boot:],
        config.stability.core,
    )
    result = StabilityResult(
        frequencies=frequencies,
        leave_one_out=_loo_frame(baseline, pool_ids, juror_ids, mask[n_boot:], ok[n_boot:]),
        delegations=_delegation_frame(pool_ids, juror_ids, mask, ok, n_boot),
        n_resamples=n_boot,
        n_leave_one_out=len(runs) - n_boot,
        infeasible_resamples=int((~ok[:n_boot]).sum()),
        infeasible_leave_one_out=int((~ok[n_boot:]).sum()),
        n_solver=n_solver,
        seed=int(seed),
        method=used,
        core_threshold=config.stability.core,
        engine=engine,
        timings=timings,
    )
    timings["total"] = time.perf_counter() - clock
    return result


def verdicts(frequency: np.ndarray, *, core: float) -> np.ndarray:
    """Return ``core``, ``swing`` or ``out`` for each selection frequency.

    ``core`` when ``frequency >= core``, ``out`` when ``frequency <= 1 - core``, ``swing``
    otherwise; missing (``None``) where the frequency is NaN.

    Examples
    --------
    >>> verdicts(np.array([1.0, 0.9, 0.5, 0.1, 0.0, np.nan]), core=0.9).tolist()
    ['core', 'core', 'swing', 'out', 'out', None]
    """
    # A share k/n equal to the threshold counts; 1 - core is not exact in binary.
    tolerance = 1e-9
    out = np.where(
        frequency >= core - tolerance,
        "core",
        np.where(frequency <= 1 - core + tolerance, "out", "swing"),
    )
    labels = out.astype(object)
    labels[np.isnan(frequency)] = None
    return labels


def _light_select(event: Event, merit: pd.DataFrame) -> SelectionResult:
    return select(
        event.candidates,
        merit,
        event.config.selection,
        reserves=False,
        price_of_fairness=False,
        counterfactuals=False,
        explain=False,
    )


def _mask_of(result: SelectionResult, candidate_ids: np.ndarray) -> tuple[np.ndarray, bool]:
    if result.status is SolveStatus.INFEASIBLE:
        return np.zeros(len(candidate_ids), dtype=bool), False
    chosen = set(result.delegation[col.CANDIDATE_ID].astype(str))
    return np.array([c in chosen for c in candidate_ids], dtype=bool), True


def _resampled(event: Event, juror_ids: np.ndarray, weights: np.ndarray) -> Event:
    """The event whose score sheet holds each mark as often as its juror was drawn."""
    per_juror = dict(zip(juror_ids.tolist(), weights.tolist(), strict=True))
    times = event.scores[col.JUROR_ID].astype(str).map(per_juror).fillna(1).astype(np.int64)
    scores = event.scores.loc[np.repeat(event.scores.index.to_numpy(), times.to_numpy())]
    return replace(event, scores=scores.reset_index(drop=True))


class _Naive:
    """Rerun :func:`score_event` and :func:`select` per run: the reference engine."""

    def __init__(self, event: Event, method: str) -> None:
        self.event, self.method = event, method
        self.candidate_ids = np.array(
            event.candidates.sort_values([col.GROUP, col.CANDIDATE_ID])[col.CANDIDATE_ID]
            .astype(str)
            .tolist(),
            dtype=object,
        )

    def run(self, juror_ids: np.ndarray, weights: np.ndarray) -> _Runs:
        masks, feasible = [], []
        for row in weights:
            event = _resampled(self.event, juror_ids, row)
            merit = score_event(event, method=self.method, diagnostics=False).merit
            mask, ok = _mask_of(_light_select(self.event, merit), self.candidate_ids)
            masks.append(mask)
            feasible.append(ok)
        return _Runs(
            np.array(masks).reshape(len(weights), -1), np.array(feasible, bool), len(weights)
        )


class _Fast:
    """Batched merit and enumerated selection, :func:`select` only where needed."""

    def __init__(self, event: Event, method: str, full_merit: pd.DataFrame) -> None:
        self.event, self.method = event, method
        config = event.config
        self.pool = prepare_pool(event.candidates, full_merit, config.selection)
        self.candidate_ids = np.array(self.pool.candidate_ids.tolist(), dtype=object)
        rules = rules_from_config(config.selection, self.pool)
        self.selector = FastSelector(self.pool, rules)
        self.groups = self.pool.frame[col.GROUP].to_numpy(dtype=object)
        self.merit_model = (
            WeightedMerit.from_event(event, method=method)
            if method in FAST_METHODS and config.scoring.aggregate == "mean"
            else None
        )

    def _merit(self, juror_ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self.merit_model is not None:
            order = pd.Index(self.merit_model.juror_ids).get_indexer(juror_ids)
            k = np.zeros((len(weights), len(self.merit_model.juror_ids)))
            k[:, order] = weights
            return self.merit_model.merit(k)
        rows = []
        for row in weights:
            merit = score_event(
                _resampled(self.event, juror_ids, row), method=self.method, diagnostics=False
            ).merit
            rows.append(merit.set_index(col.CANDIDATE_ID)[col.MERIT].reindex(self.candidate_ids))
        return np.array(rows, dtype="float64").reshape(len(weights), -1)

    def run(self, juror_ids: np.ndarray, weights: np.ndarray) -> _Runs:
        merit = self._merit(juror_ids, weights)
        pool = self.pool
        same = np.all((pool.eligible & np.isfinite(merit)) == pool.selectable, axis=1)
        choice = np.full((len(merit), pool.n_groups), FALLBACK, dtype=np.int64)
        if self.selector.usable and same.any():
            choice[same] = self.selector.select(grid_merit(merit[same], pool.selectable))
        masks = self.selector.masks(choice) if self.selector.usable else np.zeros(merit.shape, bool)
        feasible = np.all(choice >= 0, axis=1)
        redo = np.flatnonzero(np.any(choice == FALLBACK, axis=1))
        for r in redo.tolist():
            frame = pd.DataFrame(
                {col.CANDIDATE_ID: self.candidate_ids, col.GROUP: self.groups, col.MERIT: merit[r]}
            )
            masks[r], feasible[r] = _mask_of(_light_select(self.event, frame), self.candidate_ids)
        infeasible = np.any(choice == INFEASIBLE, axis=1)
        feasible[infeasible] = False
        return _Runs(masks, feasible, len(redo))


def _frequencies(
    event: Event,
    baseline: SelectionResult,
    candidate_ids: np.ndarray,
    boot: np.ndarray,
    boot_ok: np.ndarray,
    loo: np.ndarray | None,
    loo_ok: np.ndarray,
    core: float,
) -> pd.DataFrame:
    n_ok = int(boot_ok.sum())
    n_selected = boot[boot_ok].sum(axis=0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = n_selected / n_ok if n_ok else np.full(len(candidate_ids), np.nan)
    loo_count = (
        pd.array(loo[loo_ok].sum(axis=0).astype(np.int64), dtype="Int64")
        if loo is not None
        else pd.array([pd.NA] * len(candidate_ids), dtype="Int64")
    )
    basis = share
    if not n_ok and loo is not None and loo_ok.any():
        basis = loo[loo_ok].sum(axis=0) / int(loo_ok.sum())
    verdict = verdicts(np.asarray(basis, dtype="float64"), core=core)
    cands = event.candidates.astype({col.CANDIDATE_ID: "str"}).set_index(col.CANDIDATE_ID)
    status = baseline.ranking.astype({col.CANDIDATE_ID: "str"}).set_index(col.CANDIDATE_ID)
    frame = pd.DataFrame(
        {
            col.GROUP: cands[col.GROUP].reindex(candidate_ids).astype("str").to_numpy(),
            col.CANDIDATE_ID: candidate_ids,
            col.NAME: cands[col.NAME].reindex(candidate_ids).to_numpy(),
            col.STATUS_IN_FULL_RUN: status[col.STATUS].reindex(candidate_ids).to_numpy(),
            col.N_SELECTED: n_selected,
            col.SELECTION_FREQUENCY: np.asarray(share, dtype="float64"),
            col.LOO_SELECTED: loo_count,
            col.VERDICT: verdict,
        }
    ).astype(
        {
            col.CANDIDATE_ID: "str",
            col.NAME: "str",
            col.STATUS_IN_FULL_RUN: "str",
            col.VERDICT: "str",
        }
    )
    return frame.sort_values(
        [col.GROUP, col.SELECTION_FREQUENCY, col.CANDIDATE_ID],
        ascending=[True, False, True],
        ignore_index=True,
        na_position="last",
    )


def _loo_frame(
    baseline: SelectionResult,
    candidate_ids: np.ndarray,
    juror_ids: np.ndarray,
    masks: np.ndarray,
    ok: np.ndarray,
) -> pd.DataFrame:
    full = set(baseline.delegation[col.CANDIDATE_ID].astype(str))
    rows = []
    for juror, mask, feasible in zip(juror_ids[: len(masks)].tolist(), masks, ok, strict=True):
        chosen = set(candidate_ids[mask].tolist())
        joining, leaving = sorted(chosen - full), sorted(full - chosen) if feasible else []
        rows.append(
            (
                juror,
                "optimal" if feasible else "infeasible",
                bool(feasible) and chosen != full,
                "; ".join(joining),
                "; ".join(leaving),
            )
        )
    frame = pd.DataFrame.from_records(rows, columns=list(col.LOO_COLUMNS))
    return frame.astype(
        {
            col.JUROR_ID: "str",
            col.STATUS: "str",
            col.CHANGED: "bool",
            col.JOINING: "str",
            col.LEAVING: "str",
        }
    )


def _delegation_frame(
    candidate_ids: np.ndarray, juror_ids: np.ndarray, masks: np.ndarray, ok: np.ndarray, n_boot: int
) -> pd.DataFrame:
    run, position = np.nonzero(masks & ok[:, None])
    is_boot = run < n_boot
    juror = np.empty(len(run), dtype=object)
    juror[~is_boot] = juror_ids[run[~is_boot] - n_boot]
    return pd.DataFrame(
        {
            col.RUN: np.where(is_boot, "bootstrap", "leave_one_out"),
            col.RESAMPLE: np.where(is_boot, run + 1, run - n_boot + 1).astype(np.int64),
            col.JUROR_ID: pd.array(juror, dtype="str"),
            col.CANDIDATE_ID: pd.array(candidate_ids[position], dtype="str"),
        },
        columns=list(DELEGATION_COLUMNS),
    )
