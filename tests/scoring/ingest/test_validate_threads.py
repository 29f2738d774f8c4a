"""Validation in two threads reports exactly what one thread would, and leaves no trace."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
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
        return list(error.problems)
    raise AssertionError("the event should not validate")


def test_two_threads_report_what_one_thread_reports() -> None:
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

    threaded = _problems(lambda: validate_tables(tables, config, issues=[read_issue]))
    assert threaded == _problems(one_thread)
    codes = [i.code for i in threaded]
    assert {"id.duplicate", "id.missing", "id.unknown_target", "score.out_of_scale"} <= set(codes)
    assert "file.encoding" in codes


def test_concurrent_validations_restore_the_switch_interval(tmp_path: Path) -> None:
    before = sys.getswitchinterval()
    folder = write_event(tmp_path)
    results: list[int] = []

    def run() -> None:
        results.append(len(load_event(folder).scores))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len(set(results)) == 1
    assert sys.getswitchinterval() == before
