"""Benchmark: wall time of the command line against the bare import of its libraries.

Prints the best-of-N wall time of ``pitch-jury run`` on the bundled example event and of
``pitch-jury check`` on it, each as a ratio to ``python -c "import pandas, numpy, pulp,
pydantic"`` measured in the same run. Targets: run <= 2.5, check <= 1.5.

Usage: ``python benchmarks/cli.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.example import example_event_path


def best_time(command: list[str], repeat: int) -> float:
    """Return the best wall time of ``repeat`` runs of ``command`` (which must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = shutil.which("pitch-jury")
    if exe is None:
        raise SystemExit("pitch-jury is not installed (pip install -e .)")
    event = str(example_event_path())
    with tempfile.TemporaryDirectory() as tmp:
        baseline = best_time(
            [sys.executable, "-c", "import pandas, numpy, pulp, pydantic"], args.repeat
        )
        check = best_time([exe, "check", event], args.repeat)
        run = best_time(
            [exe, "run", event, "--out", str(Path(tmp) / "out"), "--quiet"], args.repeat
        )
    print(f"import pandas, numpy, pulp, pydantic: {baseline:.3f} s")
    print(
        f"pitch-jury check (example):          {check:.3f} s  ratio {check / baseline:.2f}"
        "  (target <= 1.5)"
    )
    print(
        f"pitch-jury run (example):            {run:.3f} s  ratio {run / baseline:.2f}"
        "  (target <= 2.5)"
    )


if __name__ == "__main__":
    main()
