"""Report charts: the forked worker draws exactly what inline drawing draws, and any
failure of the worker falls back to drawing inline."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection.cli import main
from selection.outputs.charts import ChartWorker, chart_jobs, render, render_all
from selection.pipeline import run_event
from selection.result import RunResult

needs_fork = pytest.mark.skipif(
    sys.platform != "linux", reason="the chart worker forks only on Linux"
)


def _forked_worker() -> ChartWorker:
    """Start a chart worker. It refuses to fork while other threads run, so a thread left
    running by the library (or an earlier test) fails here instead of hiding the worker."""
    worker = ChartWorker.start()
    if worker is None:
        names = [t.name for t in threading.enumerate()]
        pytest.fail(f"the chart worker did not fork; threads running: {names}")
    return worker


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run_event(load_event(example_event_path()))


def test_jobs_cover_every_group_and_the_jurors(result: RunResult) -> None:
    jobs = chart_jobs(result)
    assert [j.kind for j in jobs].count("group_merit") == len(result.event.groups)
    assert jobs[-1].kind == "severity"


def test_inline_drawing_is_deterministic(result: RunResult) -> None:
    job = chart_jobs(result)[0]
    assert render(job) == render(job)


@needs_fork
def test_worker_draws_the_same_svg_as_inline(result: RunResult) -> None:
    jobs = chart_jobs(result)
    worker = _forked_worker()
    with worker:
        worker.submit(jobs[:1])  # batches as the command line sends them
        worker.submit(jobs)
        charts = worker.collect()
    assert charts == {job.caption: render(job) for job in jobs}


@needs_fork
def test_a_dead_worker_means_inline_drawing(result: RunResult) -> None:
    jobs = chart_jobs(result)[:1]
    worker = _forked_worker()
    os.kill(worker._pid, signal.SIGKILL)
    with worker:
        worker.submit(jobs)
        assert worker.collect() == {}
    assert render_all(jobs, worker) == [render(jobs[0])]


def test_without_a_worker_charts_are_drawn_inline(result: RunResult) -> None:
    jobs = chart_jobs(result)[:2]
    assert render_all(jobs, None) == [render(job) for job in jobs]


@needs_fork
def test_report_is_the_same_with_and_without_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: RunResult
) -> None:
    _forked_worker().close()
    out = tmp_path
    assert main(["demo", "--out", str(out / "with"), "--quiet"]) == 0
    monkeypatch.setattr(ChartWorker, "start", classmethod(lambda cls: None))
    assert main(["demo", "--out", str(out / "without"), "--quiet"]) == 0
    with_worker = (out / "with" / "report.html").read_bytes()
    assert with_worker == (out / "without" / "report.html").read_bytes()
    assert with_worker.count(b"<svg") == len(chart_jobs(result))


@needs_fork
def test_helpers_share_the_drawing_in_order(result: RunResult) -> None:
    from selection.outputs.charts import _draw_shared

    jobs = chart_jobs(result)
    assert _draw_shared(jobs, processors=3) == [render(job) for job in jobs]
