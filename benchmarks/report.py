"""Benchmark: the report stage of ``pitch-jury run`` (report.html), piece by piece.

Loads and runs an event once, then times, best of N, what ``write_outputs`` times as
``report``: the charts drawn (:func:`selection.outputs.charts.render_all`, matplotlib's first
import included once, in a fresh process), :func:`selection.outputs.report.build_report` and
:meth:`~selection.outputs.report.Report.to_html`. Issue 11's target at 30,000 candidates:
the report stage at most 0.3 s.

Usage: ``python benchmarks/report.py EVENT_FOLDER [--repeat N]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("event", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from scoring.ingest.load import load_event
    from selection.outputs.audit import audit_record
    from selection.outputs.charts import chart_jobs, render_all
    from selection.outputs.report import build_report
    from selection.pipeline import run_event

    result = run_event(load_event(args.event))
    audit = {k: v for k, v in audit_record(result).items() if k != "timings"}
    jobs = chart_jobs(result)

    start = time.perf_counter()
    svgs = render_all(jobs)  # matplotlib imported here, as in a run
    first = time.perf_counter() - start
    best: dict[str, float] = {"charts": float("inf"), "build": float("inf")}
    best["to_html"] = float("inf")
    size = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        svgs = render_all(jobs)
        best["charts"] = min(best["charts"], time.perf_counter() - start)
        start = time.perf_counter()
        report = build_report(result, audit=audit, charts=svgs)
        best["build"] = min(best["build"], time.perf_counter() - start)
        start = time.perf_counter()
        size = len(report.to_html().encode("utf-8"))
        best["to_html"] = min(best["to_html"], time.perf_counter() - start)
    print(f"{len(result.ranking)} candidates, {len(jobs)} charts, report.html {size:,} bytes")
    print(f"charts, first (with matplotlib's import): {first:.3f} s")
    for name, seconds in best.items():
        print(f"{name}: {seconds:.3f} s (best of {args.repeat})")
    total = first + best["build"] + best["to_html"]
    print(f"report stage in a run (first charts + build + to_html): {total:.3f} s")


if __name__ == "__main__":
    main()
