"""The report's charts as jobs, rendered inline or by a helper process drawing in parallel.

Drawing is the slowest part of writing a report: importing matplotlib takes about half a
second and each chart about a tenth. The command line therefore starts a
:class:`ChartWorker` as its first step. The worker is a forked copy of the command that
imports matplotlib while the command reads and scores the event, then draws the charts
while the command writes the tables. Charts come back as SVG text, byte-identical to
drawing them inline (:func:`render`), which is also what happens whenever a worker cannot
be used: no ``fork`` on the platform, other threads running, or the worker failing.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scoring.pipeline import ScoringResult
    from selection.outputs.draw import BarChart, DotChart, IntervalChart
    from selection.result import RunResult

__all__ = [
    "ChartJob",
    "ChartWorker",
    "chart_jobs",
    "render",
    "render_all",
    "scoring_chart_jobs",
]

ChartKind = Literal["group_merit", "rank_interval", "severity"]


@dataclass(frozen=True)
class ChartJob:
    """One chart of the report: where it goes, its caption and what to draw.

    Attributes
    ----------
    kind
        ``"group_merit"``, ``"rank_interval"`` or ``"severity"``: the report section.
    caption
        Text shown under the chart; it also names the chart (no two charts share one).
    spec
        The chart as plain data (:mod:`selection.outputs.draw`), cheap to send to the worker.
    """

    kind: ChartKind
    caption: str
    spec: BarChart | DotChart | IntervalChart


def chart_jobs(result: RunResult) -> list[ChartJob]:
    """Return the charts of ``result``'s report, in the order the report shows them.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> [job.kind for job in chart_jobs(run_event(load_event(example_event_path())))]
    ['group_merit', 'group_merit', 'group_merit', 'group_merit', 'severity']
    """
    from selection.outputs.plots import group_merit_chart

    event = result.event
    jobs = [
        ChartJob(
            "group_merit",
            f"Merit in {group} with one standard error; dashed line: the cut-off.",
            group_merit_chart(result.ranking, group, legend=False),
        )
        for group in event.groups
    ]
    posterior = result.scoring.posterior
    if posterior is not None:
        from selection.outputs.plots_bayes import rank_interval_chart

        jobs += [
            ChartJob(
                "rank_interval",
                f"Rank in {group}: expected rank with 50% (thick) and 90% (thin) credible "
                "intervals; dashed line: the cut-off. Intervals crossing it are the grey zone.",
                rank_interval_chart(posterior, group, event.seats(group)),
            )
            for group in event.groups
        ]
    jobs.extend(scoring_chart_jobs(result.scoring))
    return jobs


def scoring_chart_jobs(scoring: ScoringResult) -> list[ChartJob]:
    """Return the report's charts that need only the scoring (drawn before selection ends).

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from scoring.pipeline import score_event
    >>> [job.kind for job in scoring_chart_jobs(score_event(load_event(example_event_path())))]
    ['severity']
    """
    from selection.outputs.plots import severity_chart

    if not len(scoring.jurors):
        return []
    return [ChartJob("severity", "Juror severity per criterion.", severity_chart(scoring.jurors))]


def render(job: ChartJob) -> str:
    """Draw one chart job and return it as SVG text (see :func:`selection.outputs.draw.svg`).

    Examples
    --------
    >>> from selection.outputs.draw import DotChart
    >>> render(ChartJob("severity", "Severity.", DotChart(("J1",), (), "x"))).startswith("<svg")
    True
    """
    from selection.outputs.draw import svg

    return svg(job.spec)


def render_all(jobs: Sequence[ChartJob], worker: ChartWorker | None = None) -> list[str]:
    """Return the SVG text of every job: from ``worker`` when it delivers, else drawn here.

    Examples
    --------
    >>> render_all([])
    []
    """
    drawn = worker.collect() if worker is not None else {}
    return [drawn.get(job.caption) or render(job) for job in jobs]


class ChartWorker:
    """A forked helper process that draws chart jobs while the parent does other work.

    Use :meth:`start` (None when a worker cannot be used), :meth:`submit` jobs as soon as
    they are known (as often as needed), :meth:`collect` the SVG texts when needed, and
    :meth:`close` (or a ``with`` block) in every case. A chart the worker did not deliver
    is missing from :meth:`collect`'s answer, so the caller draws it itself.

    Examples
    --------
    >>> with ChartWorker.start() or contextlib.nullcontext() as worker:
    ...     charts = render_all([], worker)
    >>> charts
    []
    """

    def __init__(self, pid: int, jobs: IO[bytes], results: IO[bytes]) -> None:
        self._pid = pid
        self._jobs: IO[bytes] | None = jobs
        self._results: IO[bytes] | None = results
        self._sent: set[str] = set()

    @classmethod
    def start(cls) -> ChartWorker | None:
        """Fork a worker that imports matplotlib at once; None when forking is unsafe."""
        if not hasattr(os, "fork") or sys.platform != "linux":
            return None  # macOS frameworks and Windows do not survive a fork
        if threading.active_count() > 1:
            return None  # forking a process with threads can deadlock the child
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_read, job_write, result_read, result_write):
                os.close(fd)
            return None
        if pid == 0:  # the worker never returns from here
            os.close(job_write)
            os.close(result_read)
            _serve(job_read, result_write)
        os.close(job_read)
        os.close(result_write)
        return cls(pid, os.fdopen(job_write, "wb"), os.fdopen(result_read, "rb"))

    def submit(self, jobs: Sequence[ChartJob]) -> None:
        """Send the ``jobs`` not sent before; the worker draws them as soon as it is ready."""
        batch = [job for job in jobs if job.caption not in self._sent]
        if self._jobs is None or not batch:
            return
        self._sent.update(job.caption for job in batch)
        try:
            pickle.dump(batch, self._jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self._jobs.flush()
        except (OSError, pickle.PicklingError):
            self.close()

    def collect(self) -> dict[str, str]:
        """Return the SVG text of every submitted chart, by caption; empty if the worker failed.

        Waits at most 20 seconds plus 5 seconds per chart, then gives up on the worker.
        """
        if self._jobs is None or self._results is None:
            return {}
        deadline = time.monotonic() + 20.0 + 5.0 * len(self._sent)
        try:
            pickle.dump(None, self._jobs)  # no more jobs
            self._jobs.close()
            self._jobs = None
            while not select.select([self._results], [], [], 0.5)[0]:
                if time.monotonic() > deadline:
                    return {}
            charts = pickle.load(self._results)
        except (OSError, EOFError, pickle.PicklingError, pickle.UnpicklingError):
            return {}
        finally:
            self.close()
        if not isinstance(charts, dict):
            return {}
        return {k: v for k, v in charts.items() if isinstance(k, str) and isinstance(v, str)}

    def close(self) -> None:
        """Stop the worker (if still running) and release its pipes."""
        for stream in (self._jobs, self._results):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._jobs = self._results = None
        if self._pid:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = 0

    def __enter__(self) -> ChartWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(job_read: int, result_write: int) -> None:
    """The worker: warm matplotlib up, draw each batch of jobs it is sent until the end
    marker (None), send the SVGs by caption, exit.

    With more than one processor the warm worker forks a helper for every further
    processor when the jobs arrive; each draws every n-th chart.
    """
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the worker quietly
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)  # the worker never prints: the parent owns the terminal
        os.dup2(quiet, 2)
        _warm_up()
        charts: dict[str, str] = {}
        with os.fdopen(job_read, "rb") as jobs_in:
            while (jobs := pickle.load(jobs_in)) is not None:
                drawn = _draw_shared(jobs, _processors())
                charts.update(zip((job.caption for job in jobs), drawn, strict=True))
        with os.fdopen(result_write, "wb") as out:
            pickle.dump(charts, out, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    except BaseException:  # any failure: the parent draws the charts itself
        code = 1
    finally:
        os._exit(code)  # never run the parent's exit handlers or buffers


_MAX_DRAWING_PROCESSES = 4  # a container may see far more processors than it may use


def _processors() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_DRAWING_PROCESSES))


def _draw_shared(jobs: list[ChartJob], processors: int) -> list[str]:
    """Draw ``jobs`` here and in ``processors - 1`` forked helpers; return them in order."""
    n_helpers = max(0, min(processors, len(jobs)) - 1)
    helpers: list[tuple[int, int]] = []
    for index in range(1, n_helpers + 1):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # helper: draw every n-th job, send them, exit
            code = 1
            try:
                os.close(read)
                share = [render(job) for job in jobs[index :: n_helpers + 1]]
                with os.fdopen(write, "wb") as out:
                    pickle.dump(share, out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        helpers.append((pid, read))
    charts: list[str | None] = [None] * len(jobs)
    charts[0 :: n_helpers + 1] = [render(job) for job in jobs[0 :: n_helpers + 1]]
    for index, (pid, read) in enumerate(helpers, start=1):
        with os.fdopen(read, "rb") as answer:
            charts[index :: n_helpers + 1] = pickle.load(answer)
        os.waitpid(pid, 0)
    if any(chart is None for chart in charts):
        raise RuntimeError("a chart helper returned too few charts")
    return [chart for chart in charts if chart is not None]


def _warm_up() -> None:
    """Import matplotlib and draw a small chart, so fonts and caches are loaded."""
    import numpy as np

    from selection.outputs.draw import DotChart, DotSeries, svg

    one = np.array([0.0])
    svg(DotChart(("J",), (DotSeries("c", one, one, one + 0.1),), "severity"))
