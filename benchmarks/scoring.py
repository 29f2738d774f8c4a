"""Benchmark: score a 1.35M-mark event against plain ``pandas.read_csv`` of its scores.

Generates 1,000 groups x 30 candidates with 9 jurors x 5 criteria (about 1.35 million
long-form score rows, see ``benchmarks/generate.py``), loads it once, then prints the
best-of-N wall time of conflicts + normalise/calibrate + aggregate + merit
(``score_event(event, diagnostics=False)``) for each method asked for, of the full run with
diagnostics, and of ``pandas.read_csv`` on the same scores file, with the ratios.
Target: scoring / read_csv <= 3 for the default method.

Usage: ``python benchmarks/scoring.py [--repeat N] [--groups N] [--methods additive,zscore]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from functools import partial
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import write_large_event
from benchmarks.ingest import best_time
from scoring.ingest.load import load_event
from scoring.pipeline import score_event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--methods", default="additive,zscore,rank,additive_scale")
    args = parser.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        toml = write_large_event(Path(tmp), n_groups=args.groups)
        scores = toml.parent / "scores.csv"
        event = load_event(toml)
        read = best_time(lambda: pd.read_csv(scores), args.repeat)
    print(f"marks:                     {len(event.scores):,}")
    print(f"pandas.read_csv:           {read:.3f} s")
    for method in methods:
        run = partial(score_event, event, method=method, diagnostics=False)
        took = best_time(run, args.repeat)
        target = "  (target <= 3)" if method == event.config.scoring.method else ""
        print(f"scoring {method:<18} {took:.3f} s   ratio {took / read:.2f}{target}")
    full = best_time(lambda: score_event(event), 1)
    print(
        f"with diagnostics ({event.config.scoring.method}): {full:.3f} s   ratio {full / read:.2f}"
    )


if __name__ == "__main__":
    main()
