"""Benchmark: wall time of the command line against the bare import of its libraries.

Prints the best-of-N wall time of ``pitch-jury run`` on the bundled example event and of
``pitch-jury check`` on it, each as a ratio to ``python -c "import pandas, numpy, pulp,
pydantic"`` measured in the same run. Targets: run <= 2.5, check <= 1.5.

The console script is the one next to this interpreter (not a shim on PATH). The three
commands are run in turn, N rounds, so a machine that speeds up or slows down
during the benchmark affects them alike; the median of the per-round ratios is printed
too. The project's modules are byte-compiled first, as ``pip install`` does (an editable
install under ``PYTHONDONTWRITEBYTECODE`` would otherwise recompile them on every run).

Usage: ``python benchmarks/cli.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.example import example_event_path


def wall_time(command: list[str]) -> float:
    """Return the wall time of one run of ``command`` (which must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def console_script() -> str:
    """Return the ``pitch-jury`` console script pip wrote next to this interpreter (a
    version manager's shim on PATH, such as pyenv's, would add its own start-up time to
    every run), with the project's modules byte-compiled as ``pip install`` leaves them."""
    script = Path(sys.executable).with_name("pitch-jury")
    exe = str(script) if script.exists() else shutil.which("pitch-jury")
    if exe is None:
        raise SystemExit("pitch-jury is not installed (pip install -e .)")
    for package in ("scoring", "selection"):
        folder = Path(importlib.import_module(package).__file__ or "").parent
        compileall.compile_dir(folder, quiet=1)
    return exe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    exe = console_script()
    event = str(example_event_path())
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "baseline": [sys.executable, "-c", "import pandas, numpy, pulp, pydantic"],
            "check": [exe, "check", event],
            "run": [exe, "run", event, "--out", str(Path(tmp) / "out"), "--quiet"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(wall_time(command))
    base = min(times["baseline"])
    print(f"import pandas, numpy, pulp, pydantic: {base:.3f} s")
    for name, target in (("check", 1.5), ("run", 2.5)):
        best = min(times[name])
        paired = statistics.median(
            t / b for t, b in zip(times[name], times["baseline"], strict=True)
        )
        print(
            f"pitch-jury {name} (example):{' ' * (10 - len(name))}{best:.3f} s  "
            f"ratio {best / base:.2f}  (median per round {paired:.2f}; target <= {target})"
        )


if __name__ == "__main__":
    main()
