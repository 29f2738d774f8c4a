"""The library never touches the process that embeds it, and runs alike in threads.

A host program or a notebook owns its process: the interpreter's switch interval, signal
handlers, matplotlib's backend and style, warning filters, logging, the environment, the
file descriptors 1 and 2 and its threads. pitch-jury reads, scores, selects, explains,
draws and writes files without changing any of them and without starting a process.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from scoring import example_event_path, load_event
from selection import run_event, write_run
from selection.outputs.export import output_frames

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE]


def _loggers() -> dict[str, list[logging.Handler]]:
    """Every logger that has handlers (a library may create loggers, never add handlers)."""
    manager = logging.Logger.manager
    found = {"": list(logging.getLogger().handlers)}
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.handlers:
            found[name] = list(logger.handlers)
    return found


def _state() -> dict[str, Any]:
    import matplotlib

    return {
        "switch interval": sys.getswitchinterval(),
        "signals": {s: signal.getsignal(s) for s in SIGNALS},
        "backend": matplotlib.get_backend(),
        "rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
        "warning filters": list(warnings.filters),
        "logging": _loggers(),
        "environment": dict(os.environ),
        "fds": [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)],
        "threads": set(threading.enumerate()),
    }


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A host with its own settings (an svg backend, its own style and switch interval)."""
    import matplotlib

    backend, interval = matplotlib.get_backend(), sys.getswitchinterval()
    fonttype = matplotlib.rcParams["svg.fonttype"]
    matplotlib.use("svg")
    matplotlib.rcParams["svg.fonttype"] = "path"
    sys.setswitchinterval(0.0123)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("pitch-jury started a process")

    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, no_process)
    monkeypatch.setattr("subprocess.Popen.__init__", no_process)
    yield
    sys.setswitchinterval(interval)
    matplotlib.rcParams["svg.fonttype"] = fonttype
    matplotlib.use(backend)


@pytest.mark.usefixtures("host")
def test_a_whole_run_leaves_the_process_as_it_found_it(tmp_path: Path) -> None:
    # Import, read, score, select, explain, plot and write every file: nothing of the
    # process changes, and no child process is started.
    import matplotlib  # the host has imported it already

    before = _state()
    event = load_event(example_event_path())
    result = run_event(event)
    result.explain("AF-02")
    result.plot_group("Africa")
    result.plot_severity()
    result._repr_html_()
    write_run(result, tmp_path / "out")
    after = _state()
    assert matplotlib.get_backend() == "svg"
    for key in before:
        assert after[key] == before[key], key
    assert (tmp_path / "out" / "report.html").is_file()


def _variant(seed: int, per_group: int, drop: str | None) -> Any:
    event = load_event(example_event_path())
    selection = event.config.selection
    rules = tuple(r for r in selection.constraints if r.name != drop)
    return event.with_selection(
        selection.model_copy(update={"seed": seed, "per_group": per_group, "constraints": rules})
    )


VARIANTS = [(2019, 3, None), (7, 2, "two per country"), (11, 3, "one per project"), (5, 1, None)]


def _untimed(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if k != "timings"}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def _run(variant: tuple[int, int, str | None]) -> str:
    result = run_event(_variant(*variant))
    frames = {name: frame.to_csv(index=False) for name, frame in output_frames(result).items()}
    return json.dumps(
        {"frames": frames, "result": _untimed(result.to_dict())}, sort_keys=True, default=str
    )


def test_four_runs_in_threads_give_the_sequential_results() -> None:
    sequential = [_run(v) for v in VARIANTS]
    threads_before = set(threading.enumerate())
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(_run, VARIANTS))
    assert parallel == sequential
    assert set(threading.enumerate()) == threads_before
