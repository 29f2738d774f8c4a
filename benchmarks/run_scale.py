"""The whole `pitch-jury run` at event scale, against a bare HiGHS solve of the same problem.

For each size (candidates in groups of 30, projects of three, gender F/M, one of eight
countries, one juror mark per candidate with one decimal, so merits tie often), this
script writes the issue-4 event (3 per group, at least 1 woman and 1 man per group, one per
project, at most 2 per country per group, at least 45% women overall), then:

- runs the whole ``pitch-jury run`` process (``--timings``: each stage's seconds on
  stderr), measuring its wall time and peak memory;
- builds the same integer programme straight from numpy arrays with highspy and solves it
  (merit only, no tie-break: the bare solve a generic solver would do), in the same run.

It prints a stage table (ingest, scoring, solve, ties, price of fairness, counterfactuals,
reserves, report, files), the ratio whole run / bare solve, the objectives (equal to the
cent), the peak memory, and the growth exponent of every stage between sizes
(``log(t2 / t1) / log(n2 / n1)``; n log n between 10k and 100k is about 1.1).

Run: ``python benchmarks/run_scale.py [--sizes 3000 10000 30000 100000] [--skip-bare-above N]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

GROUP_SIZE = 30
SEATS = 3
STAGES = (
    "ingest",
    "scoring",
    "solve",
    "ties",
    "price_of_fairness",
    "counterfactuals",
    "reserves",
    "report",
    "files",
)
STAGE_OF = {
    "selection.build": "solve",
    "selection.presolve": "solve",
    "selection.solver_total": "solve",
    "selection.verify": "solve",
    "selection.engine": "solve",
    "selection.ties": "ties",
    "selection.price_of_fairness": "price_of_fairness",
    "selection.reasons": "price_of_fairness",
    "selection.counterfactuals": "counterfactuals",
    "selection.reserves": "reserves",
    "selection.extract": "files",
    "tables": "files",
    "workbook": "files",
}
"""Which stage of the table each ``timing`` line of ``pitch-jury run --timings`` adds to
(``selection.load`` and ``selection.solve`` are inside ``selection.solver_total``)."""
IGNORED = ("selection.load", "selection.solve")

RULES = """
[selection]
per_group = 3
seed = 2019

[[selection.constraints]]
name = "1 woman"
kind = "at_least"
attribute = "gender"
value = "F"
count = 1

[[selection.constraints]]
name = "1 man"
kind = "at_least"
attribute = "gender"
value = "M"
count = 1

[[selection.constraints]]
name = "one per project"
kind = "max_per"
attribute = "project"

[[selection.constraints]]
name = "2 per country"
kind = "max_per"
attribute = "country"
count = 2

[[selection.constraints]]
name = "45% women"
kind = "at_least"
attribute = "gender"
value = "F"
share = 0.45
scope = "all"
"""


def write_event(folder: Path, n_candidates: int, seed: int = 0) -> pd.DataFrame:
    """Write the event; return the candidates with their mark (the merit)."""
    rng = np.random.default_rng(seed)
    index = np.arange(n_candidates)
    ids = np.char.add("C", np.char.zfill(index.astype(str), 6))
    frame = pd.DataFrame(
        {
            "candidate_id": ids,
            "name": np.char.add("Student ", index.astype(str)),
            "group": np.char.add("G", np.char.zfill((index // GROUP_SIZE).astype(str), 5)),
            "project": np.char.add("P", np.char.zfill((index // 3).astype(str), 6)),
            "gender": np.where(rng.random(n_candidates) < 0.5, "F", "M"),
            "country": np.char.add("K", rng.integers(0, 8, n_candidates).astype(str)),
        }
    )
    frame.to_csv(folder / "candidates.csv", index=False)
    mark = np.round(np.clip(rng.normal(6.5, 1.5, n_candidates), 1, 10), 1)
    pd.DataFrame({"juror_id": "J1", "target_id": ids, "criterion": "pitch", "score": mark}).to_csv(
        folder / "scores.csv", index=False
    )
    (folder / "event.toml").write_text(
        '[event]\nname = "scale"\ncandidates = "candidates.csv"\nscores = "scores.csv"\n\n'
        '[[criteria]]\nname = "pitch"\nweight = 1\nmin = 1\nmax = 10\nlevel = "candidate"\n'
        + RULES,
        encoding="utf-8",
    )
    return frame.assign(merit=mark)


def bare_solve(frame: pd.DataFrame) -> tuple[float, float]:
    """Solve the same programme with highspy from numpy arrays; return (seconds, objective)."""
    n = len(frame)
    group = pd.factorize(frame["group"])[0]
    women = (frame["gender"] == "F").to_numpy()
    rows: list[tuple[np.ndarray, float, float]] = []
    n_groups = group.max() + 1
    for g_rows in np.split(np.arange(n), np.flatnonzero(np.diff(group)) + 1):
        rows.append((g_rows, SEATS, SEATS))
        rows.append((g_rows[women[g_rows]], 1, np.inf))
        rows.append((g_rows[~women[g_rows]], 1, np.inf))
    for key in ("project",):
        codes = pd.factorize(frame[key])[0]
        order = np.argsort(codes, kind="stable")
        for part in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
            rows.append((part, -np.inf, 1))
    pair = pd.factorize(frame["group"] + "|" + frame["country"])[0]
    order = np.argsort(pair, kind="stable")
    for part in np.split(order, np.flatnonzero(np.diff(pair[order])) + 1):
        rows.append((part, -np.inf, 2))
    rows.append((np.flatnonzero(women), math.ceil(0.45 * SEATS * n_groups), np.inf))
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    inf = highspy.kHighsInf
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )
    starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
    h.addRows(
        len(rows),
        np.array([r[1] if np.isfinite(r[1]) else -inf for r in rows]),
        np.array([r[2] if np.isfinite(r[2]) else inf for r in rows]),
        int(sum(len(r[0]) for r in rows)),
        starts,
        np.concatenate([r[0] for r in rows]).astype(np.int32),
        np.ones(int(sum(len(r[0]) for r in rows))),
    )
    h.changeColsCost(n, np.arange(n, dtype=np.int32), frame["merit"].to_numpy(dtype=float))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    seconds = time.perf_counter() - start
    return seconds, float(h.getInfo().objective_function_value)


def run_whole(folder: Path) -> tuple[float, float, dict[str, float], float]:
    """Run the whole command; return (seconds, peak MB, stage seconds, objective)."""
    out = folder / "out"
    command = [sys.executable, "-m", "selection.cli", "run", str(folder), "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--timings", "--quiet"], capture_output=True, text=True, env=os.environ.copy()
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0,):
        raise SystemExit(f"pitch-jury run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if line.startswith("timing "):
            _, name, value = line.split()
            if name in IGNORED:
                continue
            stage = STAGE_OF.get(name, name)
            stages[stage] = stages.get(stage, 0.0) + float(value)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return seconds, peak, stages, float(audit["objective"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 10000, 30000, 100000])
    parser.add_argument(
        "--skip-bare-above", type=int, default=30000, help="no bare solve above this size"
    )
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            frame = write_event(folder, n)
            whole, peak, stages, objective = run_whole(folder)
            bare, bare_objective = (np.nan, np.nan)
            if n <= args.skip_bare_above:
                bare, bare_objective = bare_solve(frame)
        results.append((n, whole, peak, stages, objective, bare, bare_objective))
        ratio = whole / bare if np.isfinite(bare) else np.nan
        print(
            f"{n:>7} candidates: whole run {whole:7.2f} s, peak {peak:7.0f} MB; bare HiGHS "
            f"{bare:7.2f} s; ratio {ratio:5.2f}; objective {objective:.2f} vs "
            f"{bare_objective:.2f}",
            flush=True,
        )
    print()
    print("stage seconds:")
    print(f"{'stage':<18}" + "".join(f"{n:>10}" for n, *_ in results))
    for stage in STAGES:
        print(f"{stage:<18}" + "".join(f"{r[3].get(stage, 0.0):>10.3f}" for r in results))
    print(f"{'whole run':<18}" + "".join(f"{r[1]:>10.3f}" for r in results))
    if len(results) > 1:
        print()
        print("growth exponents (log t2/t1 / log n2/n1):")
        for (n1, w1, _, s1, *_), (n2, w2, _, s2, *_) in itertools.pairwise(results):
            parts = [f"whole {math.log(w2 / w1) / math.log(n2 / n1):.2f}"]
            for stage in STAGES:
                a, b = s1.get(stage, 0.0), s2.get(stage, 0.0)
                if a > 0.01 and b > 0.01:
                    parts.append(f"{stage} {math.log(b / a) / math.log(n2 / n1):.2f}")
            print(f"  {n1} -> {n2}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
