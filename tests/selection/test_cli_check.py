"""`pitch-jury check`, `schema` and `init`, run in-process; every command on a closed pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import selection
from scoring.config import EventConfig
from scoring.example import example_event_path
from selection.cli import main
from tests.eventfiles import default_scores, write_event


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_clean_event_exits_0(tmp_path: Path) -> None:
    folder = write_event(tmp_path)
    for target in (folder, folder / "event.toml"):
        code, out, _ = _run("check", str(target))
        assert code == 0, out
        assert "No errors." in out and "6 candidates in 2 groups" in out


def test_check_reports_every_error_grouped_and_exits_1(tmp_path: Path) -> None:
    scores = default_scores()
    scores[4][3] = "42"
    scores[5][3] = "н/я"
    scores[6][0] = "J9"
    folder = write_event(tmp_path, scores=scores)
    before = sorted(p.name for p in folder.iterdir())
    code, out, _ = _run("check", str(folder))
    assert code == 1
    assert "Traceback" not in out
    assert out.index("2 errors") < out.index("1 warning")
    assert "scores.csv, row 5, column 'score', value '42'" in out
    assert "id.unknown_juror" in out and "score.not_scored" in out
    assert sorted(p.name for p in folder.iterdir()) == before  # check writes nothing


def test_check_missing_event_is_a_clear_error(tmp_path: Path) -> None:
    code, out, _ = _run("check", str(tmp_path / "nowhere"))
    assert code == 1 and "No event.toml" in out and "Traceback" not in out


@pytest.mark.parametrize("argv", [[], ["check"], ["frobnicate"], ["check", "a", "b"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    code, _, err = _run(*argv)
    assert code == 2
    assert "usage:" in err


def test_help_lists_exit_codes() -> None:
    code, _, _ = _run("--help")
    assert code == 0


def test_schema_is_json_schema_of_event_toml() -> None:
    code, out, _ = _run("schema")
    schema = json.loads(out)
    assert code == 0
    assert set(schema["properties"]) == set(EventConfig.model_fields)
    assert schema["additionalProperties"] is False


def test_init_writes_a_valid_template_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "new-event"
    code, out, _ = _run("init", str(target))
    assert code == 0, out
    assert (target / "event.toml").is_file() and (target / "template.xlsx").is_file()
    code, out, _ = _run("check", str(target))
    assert code == 0, out
    stamp = (target / "event.toml").read_bytes()
    code, out, _ = _run("init", str(target))
    assert code == 5 and "nothing was written" in out
    assert (target / "event.toml").read_bytes() == stamp


def test_output_piped_into_head_exits_quietly() -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    assert main(["schema"], out=ClosedPipe(), err=err) == 141
    assert err.getvalue() == ""


def _command_env() -> dict[str, str]:
    root = str(Path(selection.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


_EVENT = str(example_event_path())


@pytest.mark.parametrize(
    "argv",
    [
        ["schema"],
        ["check", _EVENT],
        ["explain", _EVENT, "AF-05"],
        ["run", _EVENT, "--out", "{out}"],
    ],
    ids=["schema", "check", "explain", "run"],
)
def test_a_closed_pipe_ends_the_command_quietly_with_141(argv: list[str], tmp_path: Path) -> None:
    """A reader that has gone before anything is written: every write fails (EPIPE). The
    command stops at once, says nothing on standard error and exits 141 (128 + SIGPIPE)."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "selection.cli", *(a.format(out=tmp_path / "o") for a in argv)],
            stdout=write,
            stderr=subprocess.PIPE,
            env=_command_env(),
            check=False,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr.decode()) == (141, "")


def test_piped_into_head_prints_the_first_line_and_nothing_on_stderr(tmp_path: Path) -> None:
    """`pitch-jury schema | head -1`: the reader takes one line and closes its end."""
    with subprocess.Popen(
        [sys.executable, "-m", "selection.cli", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_command_env(),
    ) as command:
        assert command.stdout is not None and command.stderr is not None
        first = command.stdout.readline()
        command.stdout.close()
        stderr = command.stderr.read()
        code = command.wait()
    assert first == b"{\n"
    assert stderr == b""
    assert code in (0, 141)  # 0 when everything fitted in the pipe before the reader left


@pytest.mark.parametrize(
    ("rule", "code", "where"),
    [
        # A rule on an attribute that does not exist: run would exit 1 on it.
        (
            '[[selection.constraints]]\nkind = "at_least"\nattribute = "Gender"\nvalue = "F"\n'
            "count = 1\n",
            "selection.invalid_rule",
            "attribute 'Gender' is not a candidate column",
        ),
        # A quota the pool cannot meet: presolve counts it before any solve.
        (
            '[[selection.constraints]]\nkind = "at_least"\nattribute = "gender"\nvalue = "F"\n'
            'count = 5\nname = "five women"\n',
            "selection.min_unavailable",
            "'five women' requires 5",
        ),
    ],
)
def test_check_finds_what_run_would_reject(
    tmp_path: Path, rule: str, code: str, where: str
) -> None:
    folder = write_event(tmp_path, extra=rule)
    status, out, _ = _run("check", str(folder))
    assert status == 1, out
    assert code in out and where in out
    assert "`pitch-jury run` would stop on these" in out
