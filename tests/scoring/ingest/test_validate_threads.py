"""Validation reports what its two halves report, and leaves no trace on the process
(no thread started, no warning filter or switch interval changed), even when an embedding
tool loads events in several threads at once."""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.config import config_from_mapping
from scoring.errors import InvalidEventError, Issue
from scoring.ingest.load import load_event
from scoring.ingest.people import IssueLog, check_people
from scoring.ingest.readers import RawTable
from scoring.ingest.validate import frame_table, validate_event_scores, validate_tables
from tests.eventfiles import default_scores, write_event

_issue = st.builds(
    Issue,
    st.sampled_from(["error", "warning"]),
    st.sampled_from(["id.missing", "id.duplicate", "score.out_of_scale"]),
    st.text(max_size=3),
    file=st.sampled_from(["a.csv", "b.csv", None]),
)


@given(st.lists(_issue, max_size=12), st.integers(0, 12), st.integers(1, 4))
def test_absorbing_a_log_equals_adding_its_issues_in_order(
    issues: list[Issue], split: int, cap: int
) -> None:
    whole = IssueLog(cap=cap)
    whole.extend(issues)
    first, later = IssueLog(cap=cap), IssueLog(cap=cap)
    first.extend(issues[:split])
    later.extend(issues[split:])
    first.absorb(later)
    assert first.finish() == whole.finish()


def _bad_tables() -> dict[str, RawTable]:
    candidates = [
        ["A1", "Ana", "Asia", "P1"],
        ["A1", "Ana B", "Asia", "P1"],  # repeated id
        ["A2", "Bo", None, "P1"],  # blank group
        ["A3", "Cy", "Africa", "P2"],
    ]
    scores = [
        *default_scores()[1:],
        ["J1", "ZZ", "pitch", "5"],  # unknown target
        ["J1", "A3", "pitch", "11"],  # out of scale
    ]
    jurors = [["J1", "Jo"], ["J2", "Jay"], ["J2", "Jay again"]]  # repeated juror
    return {
        "candidates": frame_table(
            pd.DataFrame(candidates, columns=["candidate_id", "name", "group", "project"]),
            name="candidates",
        ),
        "scores": frame_table(pd.DataFrame(scores, columns=default_scores()[0]), name="scores"),
        "jurors": frame_table(pd.DataFrame(jurors, columns=["juror_id", "name"]), name="jurors"),
    }


def _problems(action: Callable[[], object]) -> list[Issue]:
    try:
        action()
    except InvalidEventError as error:
        return list(error.issues)
    raise AssertionError("the event should not validate")


def test_validation_reports_what_its_halves_report() -> None:
    tables = _bad_tables()
    config = config_from_mapping(
        {
            "event": {"name": "e", "candidates": "-", "scores": "-"},
            "criteria": [
                {"name": "pitch", "weight": 0.5, "min": 1, "max": 10},
                {"name": "impact", "weight": 0.5, "min": 1, "max": 10, "level": "project"},
            ],
        }
    )
    read_issue = Issue("warning", "file.encoding", "read before", file="scores")

    def one_thread() -> None:
        people = check_people(tables["candidates"], tables["jurors"], config)
        validate_event_scores(tables["scores"], people, config, issues=[read_issue])

    together = _problems(lambda: validate_tables(tables, config, issues=[read_issue]))
    assert together == _problems(one_thread)
    codes = [i.code for i in together]
    assert {"id.duplicate", "id.missing", "id.unknown_target", "score.out_of_scale"} <= set(codes)
    assert "file.encoding" in codes


class _HostWarning(UserWarning):
    """A warning of the embedding tool's own, which it chose to ignore."""


def test_concurrent_loads_leave_the_process_as_they_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An embedding tool loads events in several threads while another of its threads
    # warns: no load may change the warning filters, the switch interval or the threads.
    folder = write_event(tmp_path)
    warnings.simplefilter("ignore", _HostWarning)  # undone by pytest after the test
    filters = list(warnings.filters)
    interval = sys.getswitchinterval()
    monkeypatch.setattr(sys, "setswitchinterval", _forbidden)
    threads = set(threading.enumerate())
    done = threading.Event()
    raised: list[Warning] = []

    def host() -> None:
        while not done.is_set():
            try:
                warnings.warn("the host's own warning", _HostWarning, stacklevel=1)
            except _HostWarning as warning:
                raised.append(warning)

    results: list[int] = []

    def load() -> None:
        for _ in range(3):
            results.append(len(load_event(folder).scores))

    warner = threading.Thread(target=host)
    loaders = [threading.Thread(target=load) for _ in range(4)]
    warner.start()
    for thread in loaders:
        thread.start()
    for thread in loaders:
        thread.join()
    done.set()
    warner.join()
    assert len(results) == 12 and len(set(results)) == 1
    assert raised == []
    assert warnings.filters == filters
    assert sys.getswitchinterval() == interval
    assert set(threading.enumerate()) == threads


def _forbidden(value: float) -> None:
    raise AssertionError(f"the library set the switch interval to {value}")


def test_failed_validation_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    tables = _bad_tables()
    config = config_from_mapping(
        {
            "event": {"name": "e", "candidates": "-", "scores": "-"},
            "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
        }
    )
    assert _problems(lambda: validate_tables(tables, config))
    assert set(threading.enumerate()) == before
