"""The report of a large event: one overview chart, folded group tables with inline bars,
every name escaped, the same bytes in every run, and a page built in linear time."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.ingest.load import load_event
from selection import columns as col
from selection.outputs.charts import (
    GROUP_CHARTS_MAX,
    chart_jobs,
    charts_per_group,
    merit_bars,
    rank_bars,
    render_all,
)
from selection.outputs.export import write_run
from selection.outputs.html import FoldedTable, table_html
from selection.outputs.html import cell_text as _cell
from selection.outputs.html import escape as _e
from selection.outputs.plots import delegation_chart
from selection.outputs.plots_bayes import grey_zone_chart, grey_zone_sizes
from selection.outputs.report import Report, Section, build_report
from selection.pipeline import run_event
from selection.result import RunResult
from tests.eventfiles import write_event

HOSTILE = "<img src=x onerror=alert(1)>"
N_GROUPS = GROUP_CHARTS_MAX + 2
PITCH = """
[[criteria]]
name = "pitch"
weight = 1
min = 1
max = 10
level = "candidate"
"""


def _large_event(folder: Path, *, extra: str = "") -> Path:
    """Fourteen groups of four candidates, two jurors; group G03's second candidate has a
    hostile name and G05's last one a name in another script."""
    candidates = [["candidate_id", "name", "group", "project", "gender", "eligible"]]
    scores = [["juror_id", "target_id", "criterion", "score"]]
    for g in range(N_GROUPS):
        for k in range(4):
            cid = f"G{g:02d}-{k}"
            name = f"{HOSTILE} {g}" if (g, k) == (3, 1) else f"Name {g}.{k}"
            name = "王小明" if (g, k) == (5, 3) else name
            candidates.append([cid, name, f"G{g:02d}", f"P{g}-{k}", "FM"[k % 2], "yes"])
            for j, juror in enumerate(("J1", "J2")):
                scores.append([juror, cid, "pitch", str(3 + (g + 2 * k + j) % 7)])
    return write_event(folder, candidates=candidates, scores=scores, criteria=PITCH, extra=extra)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_event(load_event(_large_event(tmp_path_factory.mktemp("large") / "event")))


@pytest.fixture(scope="module")
def large_bayes(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    folder = _large_event(tmp_path_factory.mktemp("bayes") / "event")
    return run_event(load_event(folder), method="bayes")


def test_a_large_event_gets_one_overview_instead_of_a_chart_per_group(large: RunResult) -> None:
    assert len(large.event.groups) > GROUP_CHARTS_MAX
    assert not charts_per_group(large)
    assert [job.kind for job in chart_jobs(large)] == ["delegation", "severity"]


def test_the_bayesian_model_adds_one_grey_zone_chart(large_bayes: RunResult) -> None:
    assert [job.kind for job in chart_jobs(large_bayes)] == ["delegation", "grey_zone", "severity"]
    posterior = large_bayes.scoring.posterior
    assert posterior is not None
    page = build_report(large_bayes).to_html()
    assert page.count('<path class="r50"') == posterior[col.EXPECTED_RANK].notna().sum()


def test_large_report_folds_every_group_and_escapes_every_name(large: RunResult) -> None:
    page = build_report(large).to_html()
    summaries = re.findall(r'<details class="fold"><summary>([^<]*)</summary>', page)
    assert len(summaries) == N_GROUPS
    assert summaries[0].startswith("G00: 1 of 4 selected; cut-off ")
    assert HOSTILE not in page and _e(f"{HOSTILE} 3") in page
    assert "王小明" in page
    assert page.count("<figure>") == 2  # the overview and the jurors' severity
    assert page.count('<svg class="spark"') == large.ranking[col.MERIT].notna().sum()
    assert "svg.spark{" in page  # the style of the inline bars comes with them
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page.lower()


def test_large_report_is_byte_identical_between_runs(large: RunResult, tmp_path: Path) -> None:
    first = write_run(large, tmp_path / "a")
    second = write_run(large, tmp_path / "b")
    page = next(p for p in first if p.name == "report.html").read_bytes()
    assert page == next(p for p in second if p.name == "report.html").read_bytes()


def test_the_text_and_json_renderers_keep_the_folded_groups(large: RunResult) -> None:
    report = build_report(large)
    groups = next(s for s in report.sections if s.title == "Groups")
    assert len(groups.all_tables()) == N_GROUPS
    assert "G03: 1 of 4 selected" in report.to_text()
    tables = next(s for s in report.to_dict()["sections"] if s["title"] == "Groups")["tables"]
    assert sum(len(rows) for rows in tables.values()) == len(large.ranking)


def test_inline_bars_hold_numbers_only() -> None:
    # Hand-checked: merits 8 and 6 on a scale from 5 (6 - 1) to 8 + 5% of 3: 3.15 wide.
    ranking = pd.DataFrame(
        {
            "group": ["G", "G", "H"],
            "candidate_id": ["a", "b", "c"],
            "merit": [8.0, 6.0, np.nan],
            "merit_se": [np.nan, 0.0, np.nan],
            "status": ["selected", "reserve", "ineligible"],
        }
    )
    bars = merit_bars(ranking)
    assert 'width="95.2"' in bars[0] and 'fill="#1b7837"' in bars[0] and "M95.2 0V10" in bars[0]
    assert 'width="31.7"' in bars[1] and 'fill="#e08214"' in bars[1]
    assert bars[2] == ""
    assert all(re.fullmatch(r'[<>/a-z0-9 ="#.-]*', bar, flags=re.IGNORECASE) for bar in bars)
    posterior = pd.DataFrame(
        {
            "candidate_id": ["b", "a"],
            "group": "G",
            "expected_rank": [1.8, 1.2],
            "rank_lo50": [2, 1],
            "rank_hi50": [2, 1],
            "rank_lo90": pd.array([1, pd.NA], dtype="Int64"),
            "rank_hi90": [2, 2],
        }
    )
    ranks = rank_bars(ranking, posterior, {"G": 1, "H": 1})
    assert ranks[0] == "" and ranks[2] == ""  # no 90% interval; no posterior at all
    assert '<circle cx="65.0"' in ranks[1]  # rank 1.8 of 2: (1.8 - 0.5) * 50


def test_delegation_chart_puts_a_group_without_representatives_last() -> None:
    ranking = pd.DataFrame(
        {
            "group": ["A", "A", "B", "C", "C"],
            "merit": [5.0, 9.0, 4.0, 6.0, 5.5],
            "status": ["selected", "not_selected", "not_selected", "selected", "not_selected"],
        }
    )
    chart = delegation_chart(ranking, ["A", "B", "C"])
    assert chart.line.tolist()[:2] == [5.0, 6.0] and np.isnan(chart.line[2])
    names = {s.name: (s.x.tolist(), s.y.tolist()) for s in chart.series}
    assert names["representatives"] == ([1.0, 2.0], [5.0, 6.0])
    assert names["best not selected"] == ([3.0, 2.0], [4.0, 5.5])  # B: no cut-off to pass
    assert names["best not selected, above the cut-off: kept out by a rule"] == ([1.0], [9.0])


def test_grey_zone_sizes_follow_the_lottery_zones() -> None:
    # Seats 1: 'a' is in (hi50 <= 1), 'b' grey (1 <= 1 < 2), 'c' out (lo50 > 1), 'd' unknown.
    posterior = pd.DataFrame(
        {
            "candidate_id": list("abcd"),
            "group": "G",
            "rank_lo50": pd.array([1, 1, 2, pd.NA], dtype="Int64"),
            "rank_hi50": pd.array([1, 2, 3, pd.NA], dtype="Int64"),
        }
    )
    assert grey_zone_sizes(posterior, {"G": 1, "H": 2}).tolist() == [1, 0]
    chart = grey_zone_chart(posterior, {"G": 1, "H": 2})
    assert chart.labels == ("1 candidate", "none") and chart.counts.tolist() == [1, 1]


def test_overview_charts_are_deterministic(large_bayes: RunResult) -> None:
    jobs = chart_jobs(large_bayes)
    assert render_all(jobs) == render_all(chart_jobs(large_bayes))


def _reference_table(frame: pd.DataFrame) -> str:
    """The table as the report rendered it cell by cell before it went column-wise."""
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for value in row:
            text, numeric = _cell(value)
            cells.append(f'<td class="num">{_e(text)}</td>' if numeric else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def test_column_wise_tables_render_exactly_as_cell_by_cell() -> None:
    frame = pd.DataFrame(
        {
            "name": pd.array([HOSTILE, "王小明", None, "a&b"], dtype="str"),
            "merit": [1.23456, -0.0001, np.nan, np.inf],
            "n": np.array([1, -2, 3, 4], dtype=np.int64),
            "rank": pd.array([1, pd.NA, 3, 4], dtype="Int64"),
            "flag": [True, False, True, False],
            "mixed": [None, 2.5, "x<y", 3],
            "small": np.array([0.5, -0.0, 2.0, 1e9], dtype=np.float32),
        }
    )
    assert table_html(frame) == _reference_table(frame)
    assert table_html(frame.iloc[:0]) == "<p><em>none</em></p>"


def test_a_ranking_of_30000_rows_renders_in_linear_time() -> None:
    n = 30_000
    rng = np.random.default_rng(0)
    ranking = pd.DataFrame(
        {
            "group": np.repeat([f"G{g:04d}" for g in range(n // 30)], 30),
            "candidate_id": [f"C{i:06d}" for i in range(n)],
            "name": [f"{HOSTILE} {i}" for i in range(n)],
            "merit": rng.normal(6.0, 1.0, n),
            "merit_se": np.full(n, 0.3),
            "status": np.tile(["selected"] * 3 + ["not_selected"] * 27, n // 30),
        }
    )
    rows = {str(g): np.asarray(p) for g, p in ranking.groupby("group", sort=False).indices.items()}
    start = time.perf_counter()
    folded = FoldedTable(
        table=ranking.drop(columns="group"),
        folds=tuple((g, positions) for g, positions in rows.items()),
        graphics=(("merit bar", tuple(merit_bars(ranking))),),
        at=2,
    )
    page = Report("t", "optimal", "h", (Section("Groups", folded=folded),)).to_html()
    seconds = time.perf_counter() - start
    assert page.count("<tr>") == n + n // 30  # every row, and a header per group
    assert HOSTILE not in page
    assert seconds < 3.0, seconds  # about 0.2 s; cell by cell with one mask per group: ~5 s
