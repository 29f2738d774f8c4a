"""Benchmark the stability analysis on the example event: fast engine against naive reruns.

Printed: resamples per second of the fast engine over ``--resamples`` bootstrap
resamples (default 1,000), the time they take, and the speed-up over the naive engine
(:func:`scoring.pipeline.score_event` and :func:`selection.facade.select` rerun per
resample) measured in the same run on ``--naive`` resamples (default 20) and
extrapolated per resample. The first ``--naive`` delegations of both engines are
compared (same seed, so the same resamples). Targets: speed-up >= 10x, 1,000 resamples
well under a minute.

Run from the repository root: ``python -m benchmarks.stability [--resamples 1000] [--naive 20]``
(as a module, so that the ``benchmarks`` package does not shadow ``selection``).
"""

from __future__ import annotations

import argparse
import time
from typing import Literal

from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection.uncertainty.stability import StabilityResult, stability


def _timed(
    resamples: int, seed: int, engine: Literal["fast", "naive"] = "fast"
) -> tuple[StabilityResult, float]:
    event = load_event(example_event_path())
    start = time.perf_counter()
    result = stability(event, resamples=resamples, leave_one_out=False, seed=seed, engine=engine)
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args(argv)
    fast, fast_seconds = _timed(args.resamples, args.seed)
    naive, naive_seconds = _timed(args.naive, args.seed, "naive")
    check, _ = _timed(args.naive, args.seed)
    same = check.delegations.equals(naive.delegations)
    per_fast = fast_seconds / max(args.resamples, 1)
    per_naive = naive_seconds / max(args.naive, 1)
    print(f"example event, {args.resamples} bootstrap resamples (seed {args.seed})")
    print(
        f"fast engine:  {fast_seconds:8.3f} s for {args.resamples} resamples, "
        f"{args.resamples / fast_seconds:10.1f} resamples/s "
        f"({fast.n_solver} settled by the solver, {fast.infeasible_resamples} infeasible)"
    )
    print(
        f"naive engine: {naive_seconds:8.3f} s for {args.naive} resamples, "
        f"{args.naive / naive_seconds:10.1f} resamples/s "
        f"(extrapolated: {per_naive * args.resamples:.1f} s for {args.resamples})"
    )
    print(f"speed-up:     {per_naive / per_fast:8.1f}x (target >= 10x)")
    print(f"same delegations on the first {args.naive} resamples: {same}")
    print("fast timings: " + ", ".join(f"{k} {v:.3f} s" for k, v in fast.timings.items()))


if __name__ == "__main__":
    main()
