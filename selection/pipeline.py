"""The whole job in one call: score a validated event, select, and keep everything together.

:func:`run_event` is what ``pitch-jury run`` and notebooks call. Its :class:`RunResult`
exposes the output frames under the names of the files the command line writes, explains
any candidate, draws the report's plots and renders itself in Jupyter.

Examples
--------
>>> from scoring.example import example_event_path
>>> from scoring.ingest.load import load_event
>>> result = run_event(load_event(example_event_path()))
>>> result.status, len(result.delegation)
('optimal', 12)
>>> result.delegation.columns[:5].tolist()
['group', 'candidate_id', 'name', 'merit', 'reserve_id']
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from scoring.event import Event
from scoring.pipeline import ScoringResult, score_event
from selection import columns as col
from selection.facade import select
from selection.result import RunResult

if TYPE_CHECKING:
    pass

__all__ = ["RunResult", "run_event"]


def run_event(
    event: Event,
    *,
    seed: int | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    method: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_scored: Callable[[ScoringResult], None] | None = None,
    cross_check: bool | None = None,
    given: Sequence[str] | None = None,
    given_reasons: Mapping[str, str] | None = None,
    given_note: str = "",
) -> RunResult:
    """Score ``event``, select its delegation and, when configured, test its stability.

    Parameters
    ----------
    event
        A validated event (:func:`scoring.ingest.load.load_event` or
        :func:`scoring.ingest.validate.build_event`).
    seed, solver, time_limit
        Override ``[selection]`` settings.
    method
        Override ``[scoring] method``.
    progress
        Called as ``progress(stage, done, total)`` as the long stages advance: ``scoring``,
        the stages of :func:`selection.facade.select` and ``stability`` (runs done).
    on_scored
        Called with the scoring result as soon as scoring is done, before selection.
    cross_check
        Solve again with the other solver and raise if it disagrees (default:
        ``[selection] cross_check``).
    given, given_reasons, given_note
        A delegation chosen another way, explained instead of the optimum (see
        :func:`selection.facade.select`): the delegation kept after a withdrawal.

    Returns
    -------
    RunResult
        An infeasible event gives a result with ``status == "infeasible"`` and the
        explanation in ``selection.infeasibility``.

    Raises
    ------
    scoring.errors.SolverError
        The solver failed or hit its time limit without a delegation.
    scoring.errors.SolverUnavailableError
        The solver cannot run here.
    selection.model.verify.VerificationError
        The delegation failed the solver-free re-check, or the two solvers disagree.
    """
    start = time.perf_counter()
    if progress is not None:
        progress("scoring", 0, 1)
    scored = score_event(event, method=method)
    scored_at = time.perf_counter()
    if progress is not None:
        progress("scoring", 1, 1)
    if on_scored is not None:
        on_scored(scored)
    selected = select(
        event.candidates,
        scored.merit,
        event.config.selection,
        seed=seed,
        solver=solver,
        time_limit=time_limit,
        cross_check=event.config.selection.cross_check if cross_check is None else cross_check,
        given=given,
        given_reasons=given_reasons,
        given_note=given_note,
        progress=progress,
    )
    done = time.perf_counter()
    timings = {"scoring": scored_at - start, "selection": done - scored_at}
    drawn = None
    # A given delegation (announced, or kept after a withdrawal) is never drawn again.
    lottery = event.config.selection.lottery == "grey-zone" and given is None
    if lottery and selected.infeasibility is None:
        from selection.uncertainty.lottery import grey_zone_lottery, lottery_reasons

        posterior = scored.posterior
        if posterior is None:  # rank intervals come from the Bayesian model
            posterior = score_event(event, method="bayes", diagnostics=False).posterior
        assert posterior is not None  # the bayes method always fills it
        drawn = grey_zone_lottery(
            event.candidates,
            scored.merit,
            posterior,
            event.config.selection,
            seed=seed,
            solver=solver,
        )
        # From here on every output describes the delegation drawn, not the optimum.
        reasons = lottery_reasons(drawn.zones)
        decided = sum(code == "selected.lottery" for code in reasons.values())
        selected = select(
            event.candidates,
            scored.merit,
            event.config.selection,
            seed=seed,
            solver=solver,
            time_limit=time_limit,
            given=drawn.delegation[col.CANDIDATE_ID].astype(str).tolist(),
            given_reasons=reasons,
            given_note=f"Delegation drawn by the grey-zone lottery (seed {drawn.seed}; "
            f"{decided} seat{'' if decided == 1 else 's'} decided by the draw)",
            progress=progress,
        )
        timings["lottery"] = time.perf_counter() - done
    stable = None
    wanted = event.config.stability
    if (wanted.resamples or wanted.leave_one_out) and selected.infeasibility is None:
        from selection.uncertainty.stability import stability

        runs = None if progress is None else functools.partial(progress, "stability")
        stable = stability(event, method=method, progress=runs, baseline=selected)
        timings["stability"] = time.perf_counter() - done
    return RunResult(
        event=event,
        scoring=scored,
        selection=selected,
        stability=stable,
        lottery=drawn,
        timings=timings,
    )
