"""Benchmark: load + validate a 1.35M-mark event against plain ``pandas.read_csv``.

Generates 1,000 groups x 30 candidates with 9 jurors x 5 criteria (about 1.35 million
long-form score rows), then prints the best-of-N wall time of ``scoring.ingest.load.load_event``
and of ``pandas.read_csv`` on the same scores file, and their ratio, and the median ratio
of the N rounds (each round runs both in turn). Target: ratio <= 2.5.

Usage: ``python benchmarks/ingest.py [--repeat N] [--groups N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import write_large_event
from scoring.ingest.load import load_event


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Return the best wall time of ``repeat`` runs of ``action``, in seconds."""
    return min(wall_time(action) for _ in range(repeat))


def wall_time(action: Callable[[], object]) -> float:
    """Return the wall time of one run of ``action``, in seconds."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--groups", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        toml = write_large_event(Path(tmp), n_groups=args.groups)
        scores = toml.parent / "scores.csv"
        event = load_event(toml)
        n_marks = len(event.scores)
        reads, loads = [], []
        for _ in range(args.repeat):  # in turn, so a machine changing speed affects both
            reads.append(wall_time(lambda: pd.read_csv(scores)))
            loads.append(wall_time(lambda: load_event(toml)))
    read, load = min(reads), min(loads)
    paired = statistics.median(b / a for a, b in zip(reads, loads, strict=True))
    print(f"marks:                   {n_marks:,}")
    print(f"pandas.read_csv:         {read:.3f} s")
    print(f"load_event (validated):  {load:.3f} s")
    print(
        f"ratio:                   {load / read:.2f}  (median per round {paired:.2f}; "
        "target <= 2.5)"
    )


if __name__ == "__main__":
    main()
