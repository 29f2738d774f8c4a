"""Benchmark: ``pitch-jury demo --out DIR`` against the bare import of its libraries.

Prints the best-of-N wall time of the README's first command, ``pitch-jury demo --out DIR``
(the bundled example event scored, selected and every output file written), and of
``python -c "import pandas, numpy, pulp, pydantic, matplotlib"``, and their ratio. The
target of issue 13 is a ratio of at most 4.

The two commands are run in turn, N rounds, so a machine that speeds up or slows down
during the benchmark affects both alike; the median of the per-round ratios is printed
too. Each demo writes into a new folder. The console script and the byte-compiling are
those of ``benchmarks/cli.py``.

Usage: ``python benchmarks/startup.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cli import console_script, wall_time

TARGET = 4.0
"""Issue 13: the demo takes no more than 4x the bare import."""

IMPORTS = "import pandas, numpy, pulp, pydantic, matplotlib"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = console_script()
    baseline: list[float] = []
    demo: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_number in range(args.repeat):
            baseline.append(wall_time([sys.executable, "-c", IMPORTS]))
            out = Path(tmp) / f"demo-{round_number}"
            demo.append(wall_time([exe, "demo", "--out", str(out)]))
    base, best = min(baseline), min(demo)
    paired = statistics.median(d / b for d, b in zip(demo, baseline, strict=True))
    print(f"{IMPORTS}: {base:.3f} s (best of {args.repeat})")
    print(f"pitch-jury demo --out DIR: {best:.3f} s (best of {args.repeat})")
    print(f"ratio {best / base:.2f} (median per round {paired:.2f}; target <= {TARGET:g})")


if __name__ == "__main__":
    main()
