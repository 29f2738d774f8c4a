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

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from scoring.event import Event
from scoring.pipeline import ScoringResult, score_event
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
    progress: Callable[[int, int], None] | None = None,
    on_scored: Callable[[ScoringResult], None] | None = None,
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
        Called as ``progress(done, total)`` during the stability analysis.
    on_scored
        Called with the scoring result as soon as scoring is done, before selection (the
        command line starts drawing the juror charts then).

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
    """
    start = time.perf_counter()
    scored = score_event(event, method=method)
    scored_at = time.perf_counter()
    if on_scored is not None:
        on_scored(scored)
    selected = select(
        event.candidates,
        scored.merit,
        event.config.selection,
        seed=seed,
        solver=solver,
        time_limit=time_limit,
    )
    done = time.perf_counter()
    timings = {"scoring": scored_at - start, "selection": done - scored_at}
    drawn = None
    if event.config.selection.lottery == "grey-zone" and selected.infeasibility is None:
        from selection.uncertainty.lottery import grey_zone_lottery

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
        timings["lottery"] = time.perf_counter() - done
    stable = None
    wanted = event.config.stability
    if (wanted.resamples or wanted.leave_one_out) and selected.infeasibility is None:
        from selection.uncertainty.stability import stability

        stable = stability(event, method=method, progress=progress, baseline=selected)
        timings["stability"] = time.perf_counter() - done
    return RunResult(
        event=event,
        scoring=scored,
        selection=selected,
        stability=stable,
        lottery=drawn,
        timings=timings,
    )
