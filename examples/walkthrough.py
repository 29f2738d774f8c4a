"""Notebook walkthrough, as a script: build an event from DataFrames, run, look, change a rule.

Run it with ``python examples/walkthrough.py``; each block is one notebook cell. In Jupyter,
evaluating ``result`` shows a summary table, and the plotting methods return matplotlib
Figures that display inline.
"""

from __future__ import annotations

import pandas as pd

from scoring import build_event, example_event_path, load_config
from selection import run_event

# 1. Load an event from DataFrames (here read from the bundled example's CSV files).
folder = example_event_path()
config = load_config(folder)
candidates = pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False)
scores = pd.read_csv(folder / "scores.csv", dtype={"juror_id": str, "target_id": str})
jurors = pd.read_csv(folder / "jurors.csv", dtype=str, keep_default_na=False)
event = build_event(candidates, scores, config, jurors=jurors)

# 2. Run scoring and selection.
result = run_event(event)
print(result.status, "- total merit", round(result.selection.objective or 0.0, 3))

# 3. Look at the delegation and at one person's explanation.
print(result.delegation[["group", "candidate_id", "name", "merit", "reserve_name"]])
someone = result.ranking.loc[result.ranking["status"] == "reserve", "candidate_id"].iloc[0]
print(result.explain(someone))

# 4. Plot: merit with error bars and the cut-off in one group; juror severity.
figure = result.plot_group("Africa")
severity = result.plot_severity()
print("figures:", figure.axes[0].get_title(), "/", severity.axes[0].get_xlabel())

# 5. Change a rule (drop the country rule) and rerun on the same marks.
rules = tuple(r for r in config.selection.constraints if r.name != "two per country")
relaxed = event.with_selection(config.selection.model_copy(update={"constraints": rules}))
again = run_event(relaxed)
before = set(result.delegation["candidate_id"])
after = set(again.delegation["candidate_id"])
print("joined:", sorted(after - before), "left:", sorted(before - after))
print(
    "merit gained without the country rule:",
    round((again.selection.objective or 0.0) - (result.selection.objective or 0.0), 3),
)
