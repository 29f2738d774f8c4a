"""Benchmark the selection: model build, solve, verify and extract on a large event.

The event: ``--groups`` groups (default 1,000) of ``--candidates`` candidates (default 30)
in projects of 3; gender F/M and one of 8 countries drawn at random; merit with six
decimals. Rules: 3 per group, at least 1 woman and 1 man per group, one per project, at
most 2 per country per group, at least 45% women overall.

Printed: the times of model build (candidates and merit to a solver-ready model: pool,
rules, matrix, and passing it to the solver), presolve, solve (time inside the solver,
every stage and the tie check), verify (solver-free re-check) and extract (result frames),
and the overhead ratio ``(everything but the solver) / solve``; target <= 1.0, optimal.
Then the straightforward PuLP model a notebook author would write (one list comprehension
filtering all candidates per group) is built on the same data and our speed-up on building
is printed. ``--full`` also times reserves, price of fairness and counterfactuals;
``--check`` solves the notebook model too and compares objectives.

Run from the repository root: ``python -m benchmarks.selection [--groups 1000] [--full] [--check]``
(as a module, so that ``benchmarks/selection.py`` does not shadow the ``selection`` package).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
import pandas as pd
import pulp

from scoring.config import SelectionConfig
from selection import columns as col
from selection.facade import select

RULES: list[dict[str, Any]] = [
    {"kind": "at_least", "attribute": "gender", "value": "F", "count": 1, "name": "1 woman"},
    {"kind": "at_least", "attribute": "gender", "value": "M", "count": 1, "name": "1 man"},
    {"kind": "max_per", "attribute": "project", "count": 1, "name": "one per project"},
    {"kind": "max_per", "attribute": "country", "count": 2, "name": "2 per country"},
    {
        "kind": "at_least",
        "attribute": "gender",
        "value": "F",
        "share": 0.45,
        "scope": "all",
        "name": "45% women",
    },
]


def make_event(n_groups: int, n_candidates: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (candidates, merit) frames of a synthetic event."""
    rng = np.random.default_rng(seed)
    n = n_groups * n_candidates
    ids = [f"c{i:06d}" for i in range(n)]
    group = np.repeat(np.arange(n_groups), n_candidates)
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: [f"Candidate {i}" for i in range(n)],
            col.GROUP: [f"g{g:04d}" for g in group],
            col.PROJECT: [f"g{g:04d}-p{(i % n_candidates) // 3:02d}" for i, g in enumerate(group)],
            col.ELIGIBLE: True,
            "gender": rng.choice(["F", "M"], size=n),
            "country": rng.choice([f"K{k}" for k in range(8)], size=n),
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: np.round(rng.normal(7, 1, n), 6)})
    return candidates.sample(frac=1.0, random_state=seed), merit


def notebook_model(candidates: pd.DataFrame, merit: pd.DataFrame, per_group: int = 3) -> Any:
    """Build the model as a notebook author would: filter all candidates for every group."""
    df = candidates.merge(merit, on=col.CANDIDATE_ID)
    rows: list[Any] = list(df.itertuples(index=False))
    prob = pulp.LpProblem("delegation", pulp.LpMaximize)
    x = prob.add_variable_dict("x", [r.candidate_id for r in rows], 0, 1, cat=pulp.LpBinary)
    prob += pulp.lpSum(r.merit * x[r.candidate_id] for r in rows)
    for g in sorted({r.group for r in rows}):
        members = [r for r in rows if r.group == g]
        prob += pulp.lpSum(x[r.candidate_id] for r in members) == per_group
        prob += pulp.lpSum(x[r.candidate_id] for r in members if r.gender == "F") >= 1
        prob += pulp.lpSum(x[r.candidate_id] for r in members if r.gender == "M") >= 1
        for p in sorted({r.project for r in members}):
            prob += pulp.lpSum(x[r.candidate_id] for r in members if r.project == p) <= 1
        for c in sorted({r.country for r in members}):
            prob += pulp.lpSum(x[r.candidate_id] for r in members if r.country == c) <= 2
    n_seats = per_group * df[col.GROUP].nunique()
    prob += pulp.lpSum(x[r.candidate_id] for r in rows if r.gender == "F") >= math.ceil(
        0.45 * n_seats - 1e-9
    )
    return prob


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--full", action="store_true", help="also reserves, price, counterfactuals")
    parser.add_argument("--check", action="store_true", help="solve the notebook model too")
    args = parser.parse_args(argv)

    candidates, merit = make_event(args.groups, args.candidates, args.seed)
    config = SelectionConfig.model_validate({"per_group": 3, "constraints": RULES})
    start = time.perf_counter()
    result = select(
        candidates,
        merit,
        config,
        solver=args.solver,
        time_limit=args.time_limit,
        reserves=False,
        price_of_fairness=False,
        counterfactuals=False,
    )
    total = time.perf_counter() - start
    t = result.timings
    solve = t["solve"]
    build = t["build"] + t["load"]
    overhead = total - solve
    print(
        f"event: {args.groups} groups x {args.candidates} candidates = "
        f"{args.groups * args.candidates} binaries; solver {args.solver}"
    )
    print(
        f"status: {result.status.value}; objective {result.objective:.6f}; "
        f"optimal delegations found: {result.n_optimal}"
    )
    print(
        f"model build   {build:8.3f} s  (pool+rules+matrix {t['build']:.3f} s, "
        f"passing to solver {t['load']:.3f} s)"
    )
    print(f"presolve      {t['presolve']:8.3f} s")
    print(f"solve         {solve:8.3f} s  (inside the solver; stages and tie check)")
    print(f"verify        {t['verify']:8.3f} s")
    print(f"extract       {t['extract']:8.3f} s")
    print(
        f"other         {overhead - build - t['presolve'] - t['verify'] - t['extract']:8.3f} s"
        "  (solve facade bookkeeping)"
    )
    print(
        f"overhead ratio (everything but the solver) / solve = {overhead / solve:.3f} "
        f"(target <= 1.0); (build + verify + extract) / solve = "
        f"{(build + t['verify'] + t['extract']) / solve:.3f}"
    )
    if args.full:
        full = select(candidates, merit, config, solver=args.solver, time_limit=args.time_limit)
        print("full run: " + ", ".join(f"{k} {v:.2f} s" for k, v in full.timings.items()))
    start = time.perf_counter()
    notebook = notebook_model(candidates, merit)
    naive = time.perf_counter() - start
    print(
        f"notebook model build {naive:8.3f} s; our build {build:.3f} s: "
        f"speed-up x{naive / build:.1f}"
    )
    if args.check:
        notebook.solve(pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=args.time_limit))
        value = pulp.value(notebook.objective)
        print(
            f"notebook objective {value:.6f} ({pulp.LpStatus[notebook.status]}); "
            f"ours {result.objective:.6f}; difference {abs(value - result.objective):.2e}"
        )


if __name__ == "__main__":
    main()
