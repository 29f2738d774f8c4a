"""The run report: one structured object, rendered as HTML, plain text or JSON.

:func:`build_report` gathers what the secretary hands to the organisers: the delegation,
per-group charts with the cut-off, the rules and what they cost (per rule and per group),
the tied optimal delegations, the jurors, the reliability of the panel, the outlier marks,
any infeasibility explanation, warnings and the audit block. The
HTML rendering is one self-contained file (inline CSS and SVG charts, no network), with
every piece of user text escaped.

An event of more groups than :data:`selection.outputs.charts.GROUP_CHARTS_MAX` gets, instead
of one chart per group, one overview chart of the delegation and each group's ranking as a
:class:`~selection.outputs.html.FoldedTable`: one summary line per group (``<details>``)
that opens onto its rows, each with an inline merit bar (and rank interval). Tables are
rendered column by column and every row once (:mod:`selection.outputs.html`), so the page
takes time linear in its size: a 30,000-candidate ranking in well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring.diagnostics.reliability import ICC_FORMS
from scoring.errors import Issue
from selection import columns as col
from selection.analysis.fairness import PRICE_COLUMNS
from selection.outputs.html import FoldedTable, folded_html, number_text, table_html
from selection.outputs.html import escape as _e
from selection.result import RunResult

__all__ = ["Report", "Section", "build_report", "summary_html", "summary_text"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem auto;
max-width:1100px;color:#1f1f1f;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;
margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600}
.optimal{background:#d9f0d3}.infeasible{background:#f4cccc}.time_limit{background:#fde0b6}
.given{background:#dbe8f6}.warning{color:#8a5a00}.error{color:#a00}details{margin:.5rem 0}
pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;font-size:.8rem}
figure{margin:.5rem 0 1.5rem}svg{max-width:100%;height:auto}
.key{font-size:.9rem}.swatch{display:inline-block;width:.9rem;height:.9rem;margin:0 .3rem 0 .8rem;
vertical-align:-.1rem;border-radius:.15rem}
"""

_FOLDED_CSS = """
details.fold>summary{cursor:pointer;padding:.1rem 0}details.fold[open]>summary{font-weight:600}
svg.spark{width:100px;height:10px;vertical-align:middle}.spark path{stroke:#333;fill:none}
.spark path.cut{stroke:#b2182b;stroke-dasharray:2 1}.spark path.r90{stroke:#92c5de;stroke-width:2}
.spark path.r50{stroke:#2166ac;stroke-width:5}.spark circle{fill:#b2182b}
"""
"""The style of folded tables and their inline row charts, added only to pages that have
them (so the page of a small event keeps its bytes)."""


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, paragraphs, tables and charts (SVG text)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    charts: tuple[tuple[str, str], ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    key: tuple[tuple[str, str], ...] = ()
    """``(label, colour)`` swatches shown once above the charts (their shared legend)."""
    folded: FoldedTable | None = None
    """Shown after the charts: the groups of a large event."""

    def all_tables(self) -> list[tuple[str, pd.DataFrame]]:
        """Return the tables, then each fold as ``(summary, its rows)``."""
        tables = list(self.tables)
        if self.folded is not None:
            table = self.folded.table
            tables += [(summary, table.iloc[rows]) for summary, rows in self.folded.folds]
        return tables


@dataclass(frozen=True)
class Report:
    """The report's content, independent of how it is rendered."""

    title: str
    status: str
    headline: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def to_html(self) -> str:
        """Return the report as one self-contained HTML page (in time linear in its size)."""
        css = _CSS + (_FOLDED_CSS if any(s.folded is not None for s in self.sections) else "")
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(self.title)}</title><style>{css}</style></head><body>",
            f"<h1>{_e(self.title)}</h1>",
            f'<p><span class="status {_e(self.status)}">{_e(self.status)}</span> '
            f"{_e(self.headline)}</p>",
        ]
        for section in self.sections:
            parts.append(f"<h2>{_e(section.title)}</h2>")
            parts.extend(f"<p>{_e(p)}</p>" for p in section.paragraphs)
            for caption, frame in section.tables:
                if caption:
                    parts.append(f"<h3>{_e(caption)}</h3>")
                parts.append(table_html(frame))
            if section.key and section.charts:
                swatches = " ".join(
                    f'<span class="swatch" style="background:{_e(colour)}"></span>{_e(label)}'
                    for label, colour in section.key
                )
                parts.append(f'<p class="key">{swatches}</p>')
            for caption, svg in section.charts:
                parts.append(f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>")
            if section.folded is not None:
                parts.extend(folded_html(section.folded))
            for summary, text in section.details:
                parts.append(
                    f"<details><summary>{_e(summary)}</summary><pre>{_e(text)}</pre></details>"
                )
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"

    def to_text(self) -> str:
        """Return the report as plain text (tables only, no charts)."""
        lines = [self.title, "=" * len(self.title), f"{self.status}: {self.headline}"]
        for section in self.sections:
            lines += ["", section.title, "-" * len(section.title), *section.paragraphs]
            for caption, frame in section.all_tables():
                if caption:
                    lines.append(caption)
                lines.append(frame.to_string(index=False) if len(frame) else "(none)")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the report's content as JSON-able data (charts omitted)."""
        return {
            "title": self.title,
            "status": self.status,
            "headline": self.headline,
            "sections": [
                {
                    "title": s.title,
                    "paragraphs": list(s.paragraphs),
                    "tables": {
                        c or str(i): json.loads(f.to_json(orient="records"))
                        for i, (c, f) in enumerate(s.all_tables())
                    },
                }
                for s in self.sections
            ],
        }


def _headline(result: RunResult) -> str:
    selection = result.selection
    n_groups = len(result.event.groups)
    if selection.status.value == "infeasible":
        done = sorted(g for g, s in selection.group_status.items() if s == "optimal")
        if done:
            return (
                f"Group(s) {', '.join(sorted(set(selection.group_status) - set(done)))} have no "
                f"delegation that satisfies every rule (see the explanation below); "
                f"{len(result.delegation)} representatives in {', '.join(done)}."
            )
        return "No delegation satisfies every rule; see the explanation below."
    if selection.status.value == "given":
        return selection.message
    ties = f"{selection.n_optimal}{'+' if selection.ties_capped else ''}"
    text = (
        f"{len(result.delegation)} representatives in {n_groups} groups; total merit "
        f"{selection.objective:.3f}; optimal delegations found: {ties} (seed {selection.seed})."
    )
    if selection.status.value == "time_limit":
        text += " The solver stopped at its time limit: this delegation is not proven best."
    return text


def _issues_frame(issues: Sequence[Issue]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.severity, i.code, i.location(), i.message) for i in issues],
        columns=["severity", "code", "where", "message"],
    )


_RELIABILITY_TEXT = (
    "Reliability: icc_k is the intraclass correlation of the panel average, of the form "
    "icc_form; then every form the design supports: "
    + "; ".join(f"{name} = {form}" for name, form in ICC_FORMS.items())
    + " (1: one-way random; 2: two-way random, absolute agreement; 3: two-way mixed, "
    "consistency; ,1 for one juror's mark, ,k for the mean of panel_size jurors). The two-way "
    "forms need every juror to mark every target of the criterion (complete)."
)

_WHOLE_DELEGATION = "*"
"""The ``group`` (and ``rule``) of the price-of-fairness rows about the whole delegation
(and about every rule at once)."""


def _rules_section(result: RunResult) -> Section:
    """The rules, and the price of fairness per rule and per group."""
    price = result.selection.price_of_fairness
    whole = price[col.GROUP] == _WHOLE_DELEGATION
    per_rule = [c for c in PRICE_COLUMNS if c != col.GROUP]
    return Section(
        "Rules and the price of fairness",
        paragraphs=(
            "Price of fairness: how much total merit each rule costs, compared with the best "
            "delegation without that rule (cost = objective_without - objective_with). The "
            "rule '*' is every rule at once; the per-group rows say where the cost falls.",
        ),
        tables=(
            ("Rules", result.selection.constraints),
            ("Price of fairness per rule (whole delegation)", price.loc[whole, per_rule]),
            ("Price of fairness per rule and group", price.loc[~whole, list(PRICE_COLUMNS)]),
        ),
    )


def _tie_differences(ties: pd.DataFrame) -> pd.DataFrame:
    """Per tie after the first and per group where it differs from tie 1: who joins and
    who leaves (candidate ids, ``; ``-joined), columns ``tie, group, joining, leaving``.

    Examples
    --------
    >>> ties = pd.DataFrame({"tie": [1, 1, 2, 2], "group": "A", "candidate_id": ["a", "b",
    ...                      "a", "c"], "name": "x", "merit": 1.0})
    >>> _tie_differences(ties).to_dict("records")
    [{'tie': 2, 'group': 'A', 'joining': 'c', 'leaving': 'b'}]
    """
    members: dict[tuple[int, str], set[str]] = {}
    for tie, group, candidate_id in zip(
        ties[col.TIE].tolist(),
        ties[col.GROUP].tolist(),
        ties[col.CANDIDATE_ID].tolist(),
        strict=True,
    ):
        members.setdefault((int(tie), str(group)), set()).add(str(candidate_id))
    records = []
    for (tie, group), chosen in sorted(members.items()):
        chosen_first = members.get((1, group), set())
        if tie == 1 or chosen == chosen_first:
            continue
        joining = "; ".join(sorted(chosen - chosen_first))
        leaving = "; ".join(sorted(chosen_first - chosen))
        records.append((tie, group, joining, leaving))
    return pd.DataFrame(records, columns=[col.TIE, col.GROUP, col.JOINING, col.LEAVING])


def _ties_section(result: RunResult) -> Section:
    """The tied optimal delegations (shown when there are several)."""
    selection = result.selection
    cap = result.event.config.selection.max_ties
    listed = int(selection.ties[col.TIE].nunique()) if len(selection.ties) else 0
    if not selection.ties_capped and listed < selection.n_optimal:
        return Section(
            "Tied optimal delegations",
            paragraphs=(
                f"{selection.n_optimal} delegations reach the same best total merit "
                f"({selection.objective:.3f}), counted exactly; the seeded lottery (seed "
                f"{selection.seed}) chose tie 1.",
                f"That is more than {cap} ([selection] max_ties), so ties.csv holds only the "
                "one chosen; raise max_ties to list them all.",
            ),
        )
    if not selection.ties_capped:
        return Section(
            "Tied optimal delegations",
            paragraphs=(
                f"{selection.n_optimal} delegations reach the same best total merit "
                f"({selection.objective:.3f}); the seeded lottery (seed {selection.seed}) chose "
                "tie 1. ties.csv lists each of them, one row per representative; the table "
                "shows how each differs from tie 1.",
            ),
            tables=(("Differences from tie 1", _tie_differences(selection.ties)),),
        )
    return Section(
        "Tied optimal delegations",
        paragraphs=(
            f"At least {selection.n_optimal} delegations reach the same best total merit "
            f"({selection.objective:.3f}); the seeded lottery (seed {selection.seed}) chose "
            "tie 1, whatever the others.",
            f"The list stops at {cap} ([selection] max_ties): more tied delegations may "
            "exist. Which of them a solver meets first depends on its search, so ties.csv "
            "holds only the one chosen; raise max_ties to list them all.",
        ),
    )


def _outliers_section(result: RunResult) -> Section:
    """The marks far from the rest of their panel."""
    outliers = result.scoring.outliers
    threshold = result.event.config.diagnostics.outlier_threshold
    return Section(
        "Outlier marks",
        paragraphs=(
            f"Marks further than {threshold:g} scale points ([diagnostics] outlier_threshold) "
            "from the mean of the other jurors' marks on the same target and criterion "
            f"(loo_mean): {len(outliers)}. They are flagged, not removed: worth a word with "
            "the juror.",
        ),
        tables=(("", outliers[list(col.OUTLIER_COLUMNS)]),),
    )


def _cross_check_text(found: object) -> str:
    """The audit's cross-check record in words.

    Examples
    --------
    >>> _cross_check_text({"ran": True, "solver": "cbc", "agreed": True})
    'cross-checked with cbc: the same delegation.'
    >>> _cross_check_text(None)
    'no second-solver cross-check.'
    """
    if isinstance(found, dict) and found.get("ran"):
        verdict = "the same delegation" if found.get("agreed") else "they disagree"
        return f"cross-checked with {found.get('solver')}: {verdict}."
    return "no second-solver cross-check."


def _groups_at_scale(
    result: RunResult, charts: tuple[tuple[str, str], ...], key: tuple[tuple[str, str], ...]
) -> Section:
    """The groups of a large event: the overview charts, then one fold per group whose
    rows carry inline bars (see :mod:`selection.outputs.charts`)."""
    bayes = result.scoring.posterior is not None
    text = (
        f"{len(result.event.groups)} groups: one chart shows them all, and each line below "
        "opens a group's ranking. In its rows, 'merit bar' is the candidate's merit in the "
        "colour of their status, with one standard error either side; the dashed red line "
        "is the group's cut-off."
    )
    if bayes:
        text += (
            " 'rank interval': the 90% (thin) and 50% (thick) credible intervals of the "
            "candidate's rank, the expected rank (dot) and the cut-off (dashed); rank 1 is at "
            "the left."
        )
    return Section(
        "Groups", paragraphs=(text,), charts=charts, key=key, folded=_group_folds(result)
    )


def _group_folds(result: RunResult) -> FoldedTable:
    """Each group's ranking rows (in the ranking's order) with one summary line per group:
    how many are selected, the cut-off and the best candidate not selected."""
    from selection.outputs.charts import merit_bars, rank_bars

    event = result.event
    ranking = result.ranking
    groups = [str(g) for g in event.groups]
    codes = pd.Categorical(ranking[col.GROUP].astype(object), categories=groups).codes
    codes = np.asarray(codes, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    counts = np.bincount(codes[codes >= 0], minlength=len(groups))
    merit = ranking[col.MERIT].to_numpy(dtype=float)
    status = ranking[col.STATUS].astype(object).to_numpy()
    folds = []
    start = 0
    for group, count in zip(groups, counts.tolist(), strict=True):
        rows = order[start : start + count]
        start += count
        chosen = merit[rows][status[rows] == "selected"]
        passed = merit[rows][np.isin(status[rows], ("not_selected", "reserve"))]
        passed = passed[np.isfinite(passed)]
        summary = f"{group}: {len(chosen)} of {count} selected"
        if len(chosen):
            summary += f"; cut-off {number_text(float(np.nanmin(chosen)))}"
        if len(passed):
            summary += f"; best not selected {number_text(float(passed.max()))}"
        folds.append((summary, rows))
    columns = list(col.REPORT_RANKING_COLUMNS)
    graphics = [("merit bar", tuple(merit_bars(ranking)))]
    posterior = result.scoring.posterior
    if posterior is not None:
        seats = {g: event.seats(g) for g in groups}
        graphics.append(("rank interval", tuple(rank_bars(ranking, posterior, seats))))
    return FoldedTable(
        table=ranking[columns],
        folds=tuple(folds),
        graphics=tuple(graphics),
        at=columns.index(col.NAME) + 1,
    )


def build_report(
    result: RunResult,
    *,
    audit: dict[str, Any] | None = None,
    extras: Sequence[tuple[str, str, pd.DataFrame]] = (),
    charts: Sequence[str] | None = None,
) -> Report:
    """Gather the report of ``result``; ``audit`` (without timings) fills the audit block.

    ``extras`` adds sections ``(title, text, table)``, e.g. a what-if comparison.
    ``charts`` are the SVG texts of :func:`selection.outputs.charts.chart_jobs` of ``result``, in
    order (drawn here when not given).

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> report = build_report(run_event(load_event(example_event_path())))
    >>> [s.title for s in report.sections][:3]
    ['Delegation', 'Groups', 'Rules and the price of fairness']
    """
    from selection.outputs.charts import chart_jobs, charts_per_group, render

    jobs = chart_jobs(result)
    svgs = list(charts) if charts is not None else [render(job) for job in jobs]
    drawn = {
        kind: tuple((j.caption, svg) for j, svg in zip(jobs, svgs, strict=True) if j.kind == kind)
        for kind in ("group_merit", "rank_interval", "delegation", "grey_zone", "severity")
    }
    event = result.event
    selection = result.selection
    sections: list[Section] = []
    if selection.infeasibility is not None:
        sections.append(
            Section(
                "Why no delegation is possible",
                paragraphs=tuple(selection.infeasibility.describe().splitlines()),
                tables=(("Smallest relaxation", selection.infeasibility.relaxation),),
            )
        )
    sections.append(Section("Delegation", tables=(("", result.delegation),)))
    ranking = result.ranking
    from selection.outputs.plots import STATUS_COLOURS

    key = tuple((status.replace("_", " "), colour) for status, colour in STATUS_COLOURS.items())
    if charts_per_group(result):
        charts_shown = drawn["group_merit"] + drawn["rank_interval"]
        columns = list(col.REPORT_RANKING_COLUMNS)
        tables = tuple(
            (str(g), ranking.loc[ranking[col.GROUP] == g, columns]) for g in event.groups
        )
        sections.append(Section("Groups", tables=tables, charts=charts_shown, key=key))
    else:
        sections.append(_groups_at_scale(result, drawn["delegation"] + drawn["grey_zone"], key))
    if result.lottery is not None:
        sections.append(
            Section(
                "Grey-zone lottery",
                paragraphs=tuple(result.lottery.description.splitlines()),
                tables=(("Zones, keys and the draw", result.lottery.zones),),
            )
        )
    for title, text, frame in extras:
        sections.append(Section(title, paragraphs=tuple(text.splitlines()), tables=(("", frame),)))
    if result.stability is not None:
        stable = result.stability
        sections.append(
            Section(
                "Stability",
                paragraphs=(
                    f"Each panel's jurors resampled with replacement {stable.n_resamples} "
                    f"times and each juror left out once ({stable.n_leave_one_out} runs); "
                    f"seed {stable.seed}. 'core': selected in at least "
                    f"{stable.core_threshold:.0%} of resamples; 'swing': in between; 'out': "
                    f"selected in at most {1 - stable.core_threshold:.0%}.",
                ),
                tables=(
                    (
                        "Selection frequency",
                        stable.frequencies[
                            stable.frequencies[col.SELECTION_FREQUENCY].fillna(0) > 0
                        ],
                    ),
                    ("Leave one juror out", stable.leave_one_out),
                ),
            )
        )
    sections.append(_rules_section(result))
    if selection.n_optimal > 1:
        sections.append(_ties_section(result))
    jurors = result.jurors
    by_criterion = result.scoring.affinity_by_criterion
    juror_charts = drawn["severity"]
    sections.append(
        Section(
            "Jurors and reliability",
            paragraphs=(
                f"Scoring method: {result.scoring.method}; ridge penalty on juror "
                f"offsets: {result.scoring.ridge:g}.",
                _RELIABILITY_TEXT,
            ),
            tables=(
                ("Reliability per criterion", result.reliability),
                ("Juror diagnostics", jurors),
                ("Affinity audit", result.affinity),
                (
                    "Affinity per criterion, where the juror marked someone sharing the "
                    "attribute (effect_points: points of the criterion's scale; effect_merit: "
                    "merit points)",
                    by_criterion[by_criterion[col.N_SHARED] > 0],
                ),
                ("Marks excluded for conflicts of interest", result.exclusions),
            ),
            charts=juror_charts,
        )
    )
    sections.append(_outliers_section(result))
    sections.append(Section("Warnings", tables=(("", _issues_frame(result.issues)),)))
    if audit is not None:
        shown = {k: v for k, v in audit.items() if k != "timings"}
        sections.append(
            Section(
                "Audit",
                paragraphs=(
                    f"Scores SHA-256: {audit.get('scores_sha256', '')}",
                    f"Seed: {audit.get('seed', '')}; solver: {audit.get('solver', '')}; "
                    f"{_cross_check_text(audit.get('cross_check'))}",
                ),
                details=(
                    (
                        "Inputs, configuration and versions",
                        json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False),
                    ),
                ),
            )
        )
    return Report(
        title=f"{event.config.event.name}: selection report",
        status=selection.status.value,
        headline=_headline(result),
        sections=tuple(sections),
    )


def summary_text(result: RunResult) -> str:
    """Return the short summary the command line prints: the delegation per group.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> print(summary_text(run_event(load_event(example_event_path()))).splitlines()[0])
    ... # doctest: +ELLIPSIS
    IKSW 2019 pitch session: optimal. 12 representatives in 4 groups; ...
    """
    status = "drawn by lottery" if result.lottery is not None else result.status
    lines = [f"{result.event.config.event.name}: {status}. {_headline(result)}"]
    if result.selection.infeasibility is not None:
        lines += ["", result.selection.infeasibility.describe()]
        if result.delegation.empty:
            return "\n".join(lines)
    delegation = result.delegation
    ranking = result.selection.ranking

    def values(frame: pd.DataFrame, column: str) -> list[Any]:
        return frame[column].to_numpy(dtype=object).tolist()  # not one by one, as tolist()

    facts: dict[str, dict[str, str]] = {
        str(cid): {
            "reason": str(reason),
            "reserve": str(r or ""),
            "joining": str(j or ""),
            "leaving": str(left or ""),
        }
        for cid, reason, r, j, left in zip(
            values(ranking, col.CANDIDATE_ID),
            values(ranking, col.REASON),
            values(ranking, col.RESERVE_ID),
            values(ranking, col.RESERVE_JOINING),
            values(ranking, col.RESERVE_LEAVING),
            strict=True,
        )
    }
    names = dict(
        zip(ranking[col.CANDIDATE_ID].astype(str), ranking[col.NAME].astype(str), strict=True)
    )
    ordered = delegation.sort_values(col.GROUP, kind="stable")  # groups in order, rows as given
    last = None
    for group, cid, name, merit in zip(
        values(ordered, col.GROUP),
        values(ordered, col.CANDIDATE_ID),
        values(ordered, col.NAME),
        values(ordered, col.MERIT),
        strict=True,
    ):
        if group != last:
            lines += ["", f"{group}:"]
            last = group
        own = facts[str(cid)]
        drawn = "  drawn by lot" if own["reason"] == "selected.lottery" else ""
        lines.append(f"  {name} ({cid})  merit {merit:.3f}{drawn}" + _reserve_text(names, own))
    return "\n".join(lines)


def _reserve_text(names: Mapping[str, str], facts: Mapping[str, str]) -> str:
    """Who steps in for a representative (``facts``: their reserve, joining and leaving
    ids), for the summary: the named reserve, else the smallest set of changes, else nobody."""

    def named(ids: str) -> str:
        return ", ".join(f"{names[i]} ({i})" for i in ids.split("; ") if i)

    if facts["reserve"]:
        return f"  reserve: {named(facts['reserve'])}"
    joining, leaving = named(facts["joining"]), named(facts["leaving"])
    if not joining:
        return "  nobody can step in without breaking a rule"
    return f"  no single reserve (joining {joining}" + (
        f"; also leaving {leaving})" if leaving else ")"
    )


def summary_html(result: RunResult) -> str:
    """Return a short HTML summary (status, headline, delegation) for Jupyter."""
    return (
        f"<div><strong>{_e(result.event.config.event.name)}</strong>: "
        f'<span class="status {_e(result.status)}">{_e(result.status)}</span> '
        f"{_e(_headline(result))}{table_html(result.delegation)}</div>"
    )
