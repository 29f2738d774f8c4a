"""Benchmark: how well each scoring method recovers true quality when panels differ.

Simulates pitch sessions held in rooms: candidates are spread over rooms by strength (strong
rooms and weak rooms, with some mixing), each room has its own panel of three jurors, and
neighbouring rooms share one juror so the design stays connected. Every juror has a planted
severity. Marks are ``6 + quality + severity + noise``, rounded and clipped to 1..10.

For each seed it scores the event with every method and prints the mean Spearman
correlation between merit and true quality, its standard deviation, and how often
``additive`` beats ``raw`` and ``zscore``. Per-juror normalisation (``zscore``) wrongly
pulls every room to the same average; ``raw`` keeps each panel's severity; the additive
model removes severity and keeps the room differences.

Usage: ``python benchmarks/calibration.py [--seeds N] [--rooms N] [--per-room N]``;
exits with status 1 when ``additive`` does not beat both ``raw`` and ``zscore`` on average.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import issues_frame
from scoring.event import Event
from scoring.pipeline import score_event

METHODS = ("raw", "zscore", "rank", "robust", "additive", "additive_scale")


def simulate(
    seed: int,
    *,
    n_rooms: int = 6,
    per_room: int = 10,
    severity_sd: float = 1.0,
    noise_sd: float = 0.7,
    mixing: float = 0.6,
) -> tuple[Event, pd.Series]:
    """Return a simulated event and the true quality of each candidate."""
    rng = np.random.default_rng(seed)
    n_candidates = n_rooms * per_room
    quality = rng.normal(0, 1, n_candidates)
    # Rooms by strength: sort by quality blurred with noise, then cut into blocks.
    order = np.argsort(quality + rng.normal(0, mixing, n_candidates))
    room = np.empty(n_candidates, dtype=int)
    room[order] = np.arange(n_candidates) // per_room
    n_jurors = 2 * n_rooms + 1
    severity = rng.normal(0, severity_sd, n_jurors)
    candidate_ids = [f"C{i:03d}" for i in range(n_candidates)]
    rows = []
    for i in range(n_candidates):
        r = room[i]
        for juror in (2 * r, 2 * r + 1, 2 * r + 2):  # juror 2r + 2 also sits in room r + 1
            mark = 6 + quality[i] + severity[juror] + rng.normal(0, noise_sd)
            rows.append((f"J{juror:02d}", candidate_ids[i], float(np.clip(np.rint(mark), 1, 10))))
    return _event(candidate_ids, rows), pd.Series(quality, index=candidate_ids)


def _event(candidate_ids: list[str], rows: list[tuple[str, str, float]]) -> Event:
    config = EventConfig.model_validate(
        {
            "event": {"name": "simulation", "candidates": "-", "scores": "-"},
            "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
            "scoring": {"min_jurors": 1},
        }
    )
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: candidate_ids,
            col.NAME: candidate_ids,
            col.GROUP: "all",
            col.PROJECT: pd.Series([pd.NA] * len(candidate_ids), dtype="str"),
            col.ELIGIBLE: True,
        }
    )
    scores = pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.SCORE])
    scores[col.CRITERION] = "pitch"
    scores[col.LEVEL] = "candidate"
    scores[col.SOURCE_ROW] = np.arange(len(rows)) + 2
    scores = scores[
        [col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE, col.LEVEL, col.SOURCE_ROW]
    ]
    scores = scores.sort_values([col.CRITERION, col.TARGET_ID, col.JUROR_ID], ignore_index=True)
    jurors = pd.DataFrame({col.JUROR_ID: sorted(scores[col.JUROR_ID].unique()), col.NAME: pd.NA})
    return Event(
        config=config,
        candidates=candidates,
        scores=scores,
        jurors=jurors,
        conflicts=pd.DataFrame(columns=[col.JUROR_ID, col.CONFLICT_ID, col.CONFLICT_KIND]),
        warnings=issues_frame([]),
    )


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman rank correlation (ties get average ranks)."""
    ranks = pd.DataFrame({"a": a, "b": b}).rank()
    return float(np.corrcoef(ranks["a"], ranks["b"])[0, 1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=6)
    parser.add_argument("--per-room", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, list[float]] = {m: [] for m in METHODS}
    for seed in range(args.seeds):
        event, quality = simulate(seed, n_rooms=args.rooms, per_room=args.per_room)
        for method in METHODS:
            merit = score_event(event, method=method, diagnostics=False).merit
            results[method].append(spearman(merit.set_index(col.CANDIDATE_ID)[col.MERIT], quality))
    table = pd.DataFrame(results)
    print(
        f"{args.seeds} seeds, {args.rooms} rooms x {args.per_room} candidates, "
        "3 jurors per room (neighbours share one)"
    )
    print("Spearman correlation of merit with true quality:")
    print(f"  {'method':<16}{'mean':>8}{'sd':>8}{'min':>8}")
    for method in METHODS:
        values = table[method]
        print(f"  {method:<16}{values.mean():8.3f}{values.std():8.3f}{values.min():8.3f}")
    wins = {m: float((table["additive"] > table[m]).mean()) for m in ("raw", "zscore")}
    print(f"additive beats raw in {wins['raw']:.0%} of seeds, zscore in {wins['zscore']:.0%}")
    beats = all(table["additive"].mean() > table[m].mean() for m in ("raw", "zscore"))
    print("additive beats raw and zscore on average:", "yes" if beats else "NO")
    return 0 if beats else 1


if __name__ == "__main__":
    sys.exit(main())
