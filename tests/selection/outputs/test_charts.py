"""Report charts: drawn in the calling process, byte-identical in every run and process, and
leaving the embedding program's state (matplotlib, warnings, file descriptors, processes,
threads, signal handlers) exactly as it was."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from cycler import cycler

import selection
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection.outputs.charts import chart_jobs, render, render_all
from selection.outputs.draw import BarChart, draw, figure_svg, svg
from selection.outputs.export import write_run
from selection.pipeline import run_event
from selection.result import RunResult

# Drawn in a fresh interpreter with another hash seed: the SVG must not depend on the process.
_CHILD = """
import hashlib
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection.outputs.charts import chart_jobs, render_all
from selection.pipeline import run_event

charts = render_all(chart_jobs(run_event(load_event(example_event_path()))))
print("\\n".join(hashlib.sha256(chart.encode("utf-8")).hexdigest() for chart in charts))
"""


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run_event(load_event(example_event_path()))


@pytest.fixture
def host_matplotlib() -> Iterator[None]:
    """matplotlib as a host program (a notebook) set it up: its own backend, SVG settings
    and style. Restored afterwards."""
    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        with matplotlib.rc_context(
            {
                "svg.fonttype": "path",  # the default: text as glyph outlines
                "svg.hashsalt": None,  # the default: random ids in every process
                "axes.prop_cycle": cycler(color=["#000000"]),
            }
        ):
            yield
    finally:
        matplotlib.use(previous)


def _process_state() -> dict[str, Any]:
    """What an embedding program expects the library to leave alone."""
    return {
        "backend": matplotlib.get_backend(),
        "rcParams": dict(matplotlib.rcParams),
        "warnings.filters": list(warnings.filters),
        "fds": [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)],
        "threads": sorted(t.name for t in threading.enumerate()),
        "signals": [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD)],
        "pyplot": "matplotlib.pyplot" in sys.modules,
    }


def _no_children(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise AssertionError("the library started a child process")

    for name in ("fork", "forkpty"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse)


def test_jobs_cover_every_group_and_the_jurors(result: RunResult) -> None:
    jobs = chart_jobs(result)
    assert [j.kind for j in jobs].count("group_merit") == len(result.event.groups)
    assert jobs[-1].kind == "severity"


def test_drawing_is_deterministic(result: RunResult) -> None:
    jobs = chart_jobs(result)
    assert render_all(jobs) == render_all(jobs)
    assert render_all(jobs[:1]) == [render(jobs[0])]


def test_charts_are_byte_identical_in_another_process(result: RunResult) -> None:
    here = [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in render_all(chart_jobs(result))]
    root = str(Path(selection.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONHASHSEED": "12345",
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
    }
    child = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, check=False
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == here
    assert child.stderr == ""  # no warning either (a missing glyph, say)


def test_drawing_leaves_the_process_alone(
    result: RunResult, host_matplotlib: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_children(monkeypatch)
    before = _process_state()
    with warnings.catch_warnings(record=True) as caught:  # the test's own filter, not the code's
        warnings.simplefilter("always")
        inside = _process_state()
        charts = render_all(chart_jobs(result))
        assert _process_state() == inside
    assert not [str(w.message) for w in caught]  # no "Glyph ... missing from font" either
    assert _process_state() == before
    assert matplotlib.get_backend() == "svg"
    assert matplotlib.rcParams["svg.fonttype"] == "path"
    assert matplotlib.rcParams["svg.hashsalt"] is None
    # The host's settings do not reach the report: text stays text, ids and colours are fixed.
    monkeypatch.undo()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "another"}):
        assert render_all(chart_jobs(result)) == charts
    assert all("<text" in chart for chart in charts)


def test_a_whole_run_leaves_the_process_alone(
    host_matplotlib: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_children(monkeypatch)
    before = _process_state()
    written = write_run(run_event(load_event(example_event_path())), tmp_path)
    assert _process_state() == before
    assert tmp_path / "report.html" in written


def test_report_charts_are_the_same_in_two_runs(result: RunResult, tmp_path: Path) -> None:
    write_run(result, tmp_path / "one")
    write_run(run_event(load_event(example_event_path())), tmp_path / "two")
    page = (tmp_path / "one" / "report.html").read_bytes()
    assert page == (tmp_path / "two" / "report.html").read_bytes()
    assert page.count(b"<svg") == len(chart_jobs(result))
    ids = re.findall(rb'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # two charts on the page never share an id


def test_names_in_any_script_stay_text() -> None:
    names = ("王子涵 (AS1-01)", "محمد عبد الرحمن (AF-01)", "Ганбаатарын Тэмүүлэн", "$x$ (math?)")
    chart = BarChart(
        title="$G$",
        labels=names,
        values=np.array([7.0, 7.5, 8.0, 6.0]),
        errors=np.array([0.3, 0.2, 0.1, 0.4]),
        colours=("#1b7837",) * 4,
        legend=(("selected", "#1b7837"),),
        cut=7.0,
        xlabel="merit",
    )
    text = svg(chart)
    for name in names:
        assert f">{name}</text>" in text
    assert ">$G$</text>" in text  # plain text, never mathematics
    assert text == figure_svg(draw(chart))


def test_svg_keeps_the_figures_canvas() -> None:
    figure = draw(BarChart("G", ("a",), np.array([1.0]), None, ("#000000",), (), None, "x"))
    canvas = figure.canvas
    figure_svg(figure)
    assert figure.canvas is canvas  # a figure shown in a notebook stays attached to it
