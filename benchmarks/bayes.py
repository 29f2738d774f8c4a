"""Benchmark: the Bayesian ranking's calibration, its agreement with ``additive``, its speed.

1. Coverage. Events are simulated from the model itself (incomplete design: every candidate
   is marked by a random subset of the jurors; juror severities, target qualities and noise
   normal): for each seed the posterior's central 50% and 90% credible intervals of merit
   and of the rank in the group are checked against the planted truth. Over many seeds the
   share of intervals holding the truth should be close to the nominal level. A second row
   rounds the marks to whole points on the 1..10 scale (the model is then misspecified).
2. Agreement. On a large event with little noise, the posterior mean merit must agree with
   the additive model's merit (ridge 0): Spearman and Pearson correlations, largest
   difference.
3. Speed. Draws per second on the bundled example event (80 candidates, 874 marks, five
   criteria), sampling only and the whole ``score_event``.

Usage: ``python benchmarks/bayes.py [--seeds N] [--draws N]``; exits with status 1 when a
coverage is more than 5 points off nominal or the agreement correlation is below 0.99.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import columns as col
from scoring.config import BayesConfig, CriterionConfig
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from scoring.ingest.validate import build_event
from scoring.models.bayes import merit_draws, sample_bayes
from scoring.models.bayes_rank import rank_draws
from scoring.pipeline import score_event

CRITERIA = (
    CriterionConfig(name="idea", weight=0.6, min=1, max=10),
    CriterionConfig(name="talk", weight=0.4, min=1, max=10),
)


def simulate(
    seed: int,
    *,
    n_candidates: int = 40,
    n_jurors: int = 8,
    per_candidate: int = 4,
    sigma: float = 1.0,
    tau_target: float = 1.2,
    tau_juror: float = 0.8,
    rounded: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Return candidates (4 groups), marks and the true merit (mark of the average juror)."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:03d}" for i in range(n_candidates)]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: ids,
            col.GROUP: [f"G{i % 4}" for i in range(n_candidates)],
            col.PROJECT: pd.NA,
        }
    )
    rows = []
    truth = np.zeros(n_candidates)
    for criterion in CRITERIA:
        theta = rng.normal(0, tau_target, n_candidates)
        offset = rng.normal(0, tau_juror, n_jurors)
        truth += criterion.weight * (5.5 + theta + offset.mean())
        for i in range(n_candidates):
            for j in rng.choice(n_jurors, per_candidate, replace=False):
                mark = 5.5 + theta[i] + offset[j] + rng.normal(0, sigma)
                if rounded:
                    mark = float(np.clip(np.round(mark), 1, 10))
                rows.append((f"J{j}", ids[i], criterion.name, mark))
    marks = pd.DataFrame(rows, columns=list(col.LONG_SCORE_COLUMNS))
    return candidates, marks, pd.Series(truth, index=ids)


def coverage(n_seeds: int, n_draws: int, *, rounded: bool) -> dict[str, float]:
    """Share of 50% and 90% intervals (merit and rank) holding the truth, over seeds."""
    hits = dict.fromkeys(("merit50", "merit90", "rank50", "rank90"), 0)
    total = 0
    for seed in range(n_seeds):
        candidates, marks, truth = simulate(seed, rounded=rounded)
        fit = sample_bayes(
            marks, criteria=CRITERIA, n_draws=n_draws, n_warmup=n_draws // 2, seed=seed
        )
        draws = merit_draws(fit, candidates, criteria=CRITERIA).reshape(-1, len(candidates))
        true = truth.to_numpy()
        q = np.quantile(draws, [0.05, 0.25, 0.75, 0.95], axis=0)
        hits["merit50"] += int(((q[1] <= true) & (true <= q[2])).sum())
        hits["merit90"] += int(((q[0] <= true) & (true <= q[3])).sum())
        groups = candidates[col.GROUP].to_numpy()
        for group in np.unique(groups):
            members = np.flatnonzero(groups == group)
            ranks = rank_draws(draws[:, members])
            true_rank = rank_draws(true[None, members])[0]
            r = np.quantile(ranks, [0.05, 0.25, 0.75, 0.95], axis=0, method="inverted_cdf")
            hits["rank50"] += int(((r[1] <= true_rank) & (true_rank <= r[2])).sum())
            hits["rank90"] += int(((r[0] <= true_rank) & (true_rank <= r[3])).sum())
        total += len(candidates)
    return {key: value / total for key, value in hits.items()}


def agreement(n_candidates: int = 300, n_jurors: int = 20) -> dict[str, float]:
    """Compare bayes and additive merit on a large, low-noise event."""
    candidates, marks, _ = simulate(
        7, n_candidates=n_candidates, n_jurors=n_jurors, per_candidate=6, sigma=0.1
    )
    config = {
        "event": {"name": "large", "candidates": "-", "scores": "-"},
        "criteria": [c.model_dump() for c in CRITERIA],
        "scoring": {"ridge": 0.0, "min_jurors": 1},
    }
    # A few extreme marks fall off the scale; clipping them affects both methods alike.
    marks = marks.assign(**{col.SCORE: marks[col.SCORE].clip(1, 10)})
    event = build_event(candidates, marks, config)
    bayes = score_event(event, method="bayes", diagnostics=False).merit[col.MERIT]
    additive = score_event(event, method="additive", diagnostics=False).merit[col.MERIT]
    return {
        "pearson": float(np.corrcoef(bayes, additive)[0, 1]),
        "spearman": float(np.corrcoef(bayes.rank(), additive.rank())[0, 1]),
        "max_abs_diff": float((bayes - additive).abs().max()),
        "range": float(additive.max() - additive.min()),
    }


def speed() -> dict[str, float]:
    """Draws per second on the example event, sampling only and the whole score_event."""
    event = load_event(example_event_path())
    settings = BayesConfig()
    start = time.perf_counter()
    sample_bayes(
        event.scores,
        criteria=event.config.criteria,
        n_chains=settings.n_chains,
        n_draws=settings.n_draws,
        n_warmup=settings.n_warmup,
        seed=1,
    )
    sampling = time.perf_counter() - start
    start = time.perf_counter()
    score_event(event, method="bayes")
    whole = time.perf_counter() - start
    kept = settings.n_chains * settings.n_draws
    return {
        "sampling_seconds": sampling,
        "kept_draws_per_second": kept / sampling,
        "iterations_per_second": settings.n_chains
        * (settings.n_draws + settings.n_warmup)
        / sampling,
        "score_event_seconds": whole,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="simulated events per row")
    parser.add_argument("--draws", type=int, default=500, help="draws kept per chain")
    args = parser.parse_args()
    rows = []
    for rounded in (False, True):
        cover = coverage(args.seeds, args.draws, rounded=rounded)
        rows.append({"marks": "rounded 1..10" if rounded else "continuous", **cover})
    table = pd.DataFrame(rows)
    print(f"Coverage of credible intervals over {args.seeds} seeds x 40 candidates")
    print("(nominal: 0.50 and 0.90)")
    print(table.to_string(index=False, float_format="{:.3f}".format))
    agree = agreement()
    print("\nAgreement with additive (300 candidates, 20 jurors, 6 marks each, noise SD 0.1)")
    print("  " + ", ".join(f"{k} = {v:.4f}" for k, v in agree.items()))
    fast = speed()
    print("\nSpeed on the example event (4 chains x 1000 draws + 500 warm-up)")
    print("  " + ", ".join(f"{k} = {v:.1f}" for k, v in fast.items()))
    model_rows = table.iloc[0]
    off = max(
        abs(model_rows["merit50"] - 0.5),
        abs(model_rows["merit90"] - 0.9),
    )
    return 1 if off > 0.05 or agree["spearman"] < 0.99 else 0


if __name__ == "__main__":
    sys.exit(main())
