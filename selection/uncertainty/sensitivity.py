"""Normalisation sensitivity: the delegation under every scoring method.

:func:`sensitivity` scores the event under each method of
:data:`scoring.pipeline.SCORING_METHODS` and selects under the event's rules, then shows,
per candidate, under which methods they are a representative, and who joins or leaves the
delegation compared with the configured method. A candidate selected under every method is
robust to the choice of normalisation; a change means the choice matters for them.

For speed each run skips the scoring diagnostics and the selection's price of fairness,
counterfactuals and reserves (the delegation does not depend on them). By default the
``bayes`` method is left out, because its sampler takes seconds where the others take
milliseconds, unless it is the configured method; pass ``methods`` to choose.

Examples
--------
>>> from scoring.ingest.load import load_event
>>> result = sensitivity(load_event("examples/event"), methods=["raw", "additive"])
>>> result.methods, result.baseline
(('raw', 'additive'), 'additive')
>>> int(result.table["n_methods_selected"].max())
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scoring.event import Event
from scoring.frames import frame_records
from scoring.pipeline import SCORING_METHODS, score_event
from selection import columns as col
from selection.facade import select

__all__ = ["SensitivityResult", "selected_column", "sensitivity"]


def selected_column(method: str) -> str:
    """Return the name of the table column saying who is selected under ``method``.

    Examples
    --------
    >>> selected_column("zscore")
    'selected_zscore'
    """
    return f"selected_{method}"


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """The delegation under each scoring method.

    Attributes
    ----------
    methods
        The methods compared, in the order given.
    baseline
        The configured method (``[scoring] method``), the reference of ``changes``.
    table
        One row per candidate: ``group, candidate_id, name``, then one bool column
        ``selected_<method>`` per method (:func:`selected_column`) and
        ``n_methods_selected``; sorted by group and candidate id.
    changes
        :data:`scoring.columns.SENSITIVITY_CHANGE_COLUMNS`: for each method other than the
        baseline, who ``joined`` or ``left`` the delegation compared with the baseline;
        sorted by method (in order), group, change (joined first) and candidate id.
    statuses
        Selection status per method (``optimal``, ``time_limit`` or ``infeasible``; an
        infeasible method selects nobody).
    """

    methods: tuple[str, ...]
    baseline: str
    table: pd.DataFrame
    changes: pd.DataFrame
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def robust(self) -> pd.DataFrame:
        """Table rows of the candidates selected under every method."""
        return self.table[self.table[col.N_METHODS_SELECTED] == len(self.methods)].reset_index(
            drop=True
        )

    def describe(self) -> str:
        """Return where the delegation changes between methods, and for whom, in plain words.

        Examples
        --------
        >>> import pandas as pd
        >>> empty = pd.DataFrame(columns=["method", "group", "candidate_id", "name", "change"])
        >>> print(SensitivityResult(("raw",), "raw", pd.DataFrame(), empty).describe())
        Scoring methods compared: raw (configured: raw).
        The delegation is the same under every method.
        """
        lines = [
            f"Scoring methods compared: {', '.join(self.methods)} (configured: {self.baseline})."
        ]
        bad = [m for m, s in self.statuses.items() if s == "infeasible"]
        if bad:
            lines.append(f"No delegation satisfies every rule under: {', '.join(bad)}.")
        if self.changes.empty:
            lines.append("The delegation is the same under every method.")
            return "\n".join(lines)
        for method in self.methods:
            rows = self.changes[self.changes[col.METHOD] == method]
            if method == self.baseline:
                continue
            if rows.empty:
                lines.append(f"{method}: the same delegation as {self.baseline}.")
                continue
            parts = []
            for group, part in rows.groupby(col.GROUP, sort=True):
                joined = _names(part[part[col.CHANGE] == "joined"])
                left = _names(part[part[col.CHANGE] == "left"])
                parts.append(f"{group}: {joined} in, {left} out")
            lines.append(f"{method}: " + "; ".join(parts) + ".")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-able data (frames as records)."""
        return {
            "methods": list(self.methods),
            "baseline": self.baseline,
            "statuses": dict(self.statuses),
            "table": frame_records(self.table),
            "changes": frame_records(self.changes),
            "description": self.describe(),
        }


def _names(rows: pd.DataFrame) -> str:
    return (
        ", ".join(f"{n} ({i})" for i, n in zip(rows[col.CANDIDATE_ID], rows[col.NAME], strict=True))
        or "nobody"
    )


def _default_methods(event: Event) -> tuple[str, ...]:
    configured = event.config.scoring.method
    return tuple(m for m in SCORING_METHODS if m != "bayes" or configured == "bayes")


def sensitivity(
    event: Event,
    *,
    methods: Sequence[str] | None = None,
    seed: int | None = None,
    solver: str | None = None,
) -> SensitivityResult:
    """Select the delegation under each scoring method and show where it changes.

    Parameters
    ----------
    event
        A validated event. Not modified.
    methods
        Scoring methods to compare (default: every method of
        :data:`scoring.pipeline.SCORING_METHODS` except ``bayes``, unless ``bayes`` is the
        configured method). The configured method is always run, as the baseline.
    seed, solver
        Override ``[selection]`` settings for every run.

    Returns
    -------
    SensitivityResult
        The table, the changes and the status of each method.

    Raises
    ------
    ValueError
        An unknown scoring method.
    InvalidEventError
        Rules that cannot be used (see :func:`selection.facade.select`).

    Examples
    --------
    >>> from scoring.ingest.load import load_event
    >>> result = sensitivity(load_event("examples/event"), methods=["rank"])
    >>> result.methods, sorted(result.statuses)
    (('rank',), ['additive', 'rank'])
    """
    chosen = tuple(dict.fromkeys(methods if methods is not None else _default_methods(event)))
    unknown = [m for m in chosen if m not in SCORING_METHODS]
    if unknown:
        raise ValueError(f"unknown scoring method(s) {unknown}; choose from {SCORING_METHODS}")
    baseline = event.config.scoring.method
    people = event.candidates[[col.GROUP, col.CANDIDATE_ID, col.NAME]].astype(
        {col.CANDIDATE_ID: "str"}
    )
    people = people.sort_values([col.GROUP, col.CANDIDATE_ID], ignore_index=True)
    selected: dict[str, set[str]] = {}
    statuses: dict[str, str] = {}
    for method in dict.fromkeys((*chosen, baseline)):
        scored = score_event(event, method=method, diagnostics=False)
        result = select(
            event.candidates,
            scored.merit,
            event.config.selection,
            seed=seed,
            solver=solver,
            price_of_fairness=False,
            counterfactuals=False,
            reserves=False,
            explain=False,
        )
        statuses[method] = str(result.status.value)
        selected[method] = set(result.delegation[col.CANDIDATE_ID].astype(str))
    columns = {
        selected_column(m): people[col.CANDIDATE_ID].isin(selected[m]).to_numpy() for m in chosen
    }
    table = people.assign(**columns)
    table[col.N_METHODS_SELECTED] = (
        table[list(columns)].sum(axis=1).astype("int64") if columns else 0
    )
    records = []
    names = people.set_index(col.CANDIDATE_ID)
    for method in chosen:
        if method == baseline:
            continue
        for change, ids in (
            ("joined", selected[method] - selected[baseline]),
            ("left", selected[baseline] - selected[method]),
        ):
            records += [
                (method, names.loc[i, col.GROUP], i, names.loc[i, col.NAME], change) for i in ids
            ]
    changes = pd.DataFrame.from_records(records, columns=list(col.SENSITIVITY_CHANGE_COLUMNS))
    changes = changes.astype(dict.fromkeys(col.SENSITIVITY_CHANGE_COLUMNS, "str"))
    order = {m: i for i, m in enumerate(chosen)}
    changes = changes.sort_values(
        [col.METHOD, col.GROUP, col.CHANGE, col.CANDIDATE_ID],
        ascending=True,
        key=lambda s: s.map(order) if s.name == col.METHOD else s,
        ignore_index=True,
    )
    return SensitivityResult(
        methods=chosen, baseline=baseline, table=table, changes=changes, statuses=statuses
    )
