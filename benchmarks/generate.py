"""Generate a large synthetic event for the benchmarks.

``write_large_event`` writes ``event.toml``, ``candidates.csv``, ``jurors.csv`` and a
long-form ``scores.csv`` into a folder: ``n_groups`` groups of ``per_group`` candidates in
projects of three, ``n_jurors`` jurors who score every candidate on every criterion
(candidate-level criteria only, so the file has n_groups * per_group * n_jurors *
n_criteria rows: 1.35 million with the defaults). Marks are integers 1-10 with planted
juror severity. The same seed writes the same bytes.

Run ``python benchmarks/generate.py FOLDER`` to write one by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_large_event"]


def write_large_event(
    folder: Path,
    *,
    n_groups: int = 1000,
    per_group: int = 30,
    n_jurors: int = 9,
    n_criteria: int = 5,
    seed: int = 0,
) -> Path:
    """Write the synthetic event into ``folder`` and return the path of its ``event.toml``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_candidates = n_groups * per_group
    index = np.arange(n_candidates)
    candidate_ids = np.char.add("C", np.char.zfill(index.astype(str), 6))
    group = index // per_group
    candidates = pd.DataFrame(
        {
            "candidate_id": candidate_ids,
            "name": np.char.add("Student ", index.astype(str)),
            "group": np.char.add("G", np.char.zfill(group.astype(str), 4)),
            "project": np.char.add("P", np.char.zfill((index // 3).astype(str), 6)),
            "gender": np.where(rng.random(n_candidates) < 0.5, "F", "M"),
            "country": np.char.add("K", (rng.integers(0, 6, n_candidates)).astype(str)),
        }
    )
    candidates.to_csv(folder / "candidates.csv", index=False)
    juror_ids = [f"J{j + 1}" for j in range(n_jurors)]
    pd.DataFrame({"juror_id": juror_ids, "name": [f"Juror {j}" for j in juror_ids]}).to_csv(
        folder / "jurors.csv", index=False
    )
    criteria = [f"c{k + 1}" for k in range(n_criteria)]
    quality = rng.normal(0, 1.2, n_candidates)
    severity = rng.normal(0, 0.8, n_jurors)
    n_rows = n_candidates * n_jurors * n_criteria
    cand = np.repeat(index, n_jurors * n_criteria)
    juror = np.tile(np.repeat(np.arange(n_jurors), n_criteria), n_candidates)
    crit = np.tile(np.arange(n_criteria), n_candidates * n_jurors)
    marks = 6 + quality[cand] + severity[juror] + rng.normal(0, 1, n_rows)
    scores = pd.DataFrame(
        {
            "juror_id": np.asarray(juror_ids)[juror],
            "target_id": candidate_ids[cand],
            "criterion": np.asarray(criteria)[crit],
            "score": np.clip(np.rint(marks), 1, 10).astype(int),
        }
    )
    scores.to_csv(folder / "scores.csv", index=False)
    weight = 1 / n_criteria
    blocks = "".join(
        f'\n[[criteria]]\nname = "{c}"\nweight = {weight!r}\nmin = 1\nmax = 10\n'
        'level = "candidate"\n'
        for c in criteria
    )
    (folder / "event.toml").write_text(
        '[event]\nname = "benchmark"\ncandidates = "candidates.csv"\nscores = "scores.csv"\n'
        f'jurors = "jurors.csv"\nnormalise_weights = true\n{blocks}',
        encoding="utf-8",
    )
    return folder / "event.toml"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("benchmark-event")
    print(write_large_event(target))
