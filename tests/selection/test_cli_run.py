"""`pitch-jury run`, `demo` and `explain`, in-process: exit codes, files, golden outputs."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from scoring.example import example_event_path
from selection.cli import main
from tests.paths import GOLDEN

GOLDEN_FILES = (
    "selection.csv",
    "ranking.csv",
    "price_of_fairness.csv",
    "criterion_scores.csv",
    "reliability.csv",
    "jurors.csv",
    "outliers.csv",
    "affinity.csv",
    "affinity_by_criterion.csv",
    "exclusions.csv",
)
"""Every CSV the example writes (it has a single optimal delegation: no ``ties.csv``; see
``tests/selection/outputs/test_export.py`` for a tied event)."""
ALL_FILES = (*GOLDEN_FILES, "results.xlsx", "report.html", "audit.json")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _copy_example(tmp_path: Path) -> Path:
    target = tmp_path / "event"
    shutil.copytree(example_event_path(), target)
    return target


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    code, stdout, _ = _run("demo", "--out", str(out))
    assert code == 0, stdout
    return out


def test_demo_writes_every_file(demo_out: Path) -> None:
    assert sorted(p.name for p in demo_out.iterdir()) == sorted(ALL_FILES)


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_example_outputs_match_golden(demo_out: Path, name: str) -> None:
    """Golden outputs; on a mismatch the new file is written beside as ``NAME.new``.

    After checking a change is intended, refresh with ``PITCH_JURY_UPDATE_GOLDEN=1``.
    """
    produced = (demo_out / name).read_bytes()
    golden = GOLDEN / name
    golden.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("PITCH_JURY_UPDATE_GOLDEN"):
        golden.write_bytes(produced)
    if not golden.exists() or golden.read_bytes() != produced:
        golden.with_name(name + ".new").write_bytes(produced)
        pytest.fail(f"{name} differs from {golden}; see {golden.name}.new")


def test_rerun_is_byte_identical_except_timings(demo_out: Path, tmp_path: Path) -> None:
    code, _, _ = _run("demo", "--out", str(tmp_path / "again"), "--quiet")
    assert code == 0
    for name in ALL_FILES:
        first, second = (demo_out / name).read_bytes(), (tmp_path / "again" / name).read_bytes()
        if name == "audit.json":
            a, b = json.loads(first), json.loads(second)
            a.pop("timings"), b.pop("timings")
            assert a == b
        else:
            assert first == second, name


def test_solvers_give_the_same_delegation(demo_out: Path, tmp_path: Path) -> None:
    code, _, _ = _run("demo", "--out", str(tmp_path / "cbc"), "--solver", "cbc", "--quiet")
    assert code == 0
    assert (tmp_path / "cbc" / "selection.csv").read_bytes() == (
        demo_out / "selection.csv"
    ).read_bytes()


def test_audit_records_inputs_config_and_versions(demo_out: Path) -> None:
    audit = json.loads((demo_out / "audit.json").read_text(encoding="utf-8"))
    assert set(audit["inputs"]) == {"config", "candidates", "scores", "jurors"}
    assert all(len(v["sha256"]) == 64 for v in audit["inputs"].values())
    assert audit["inputs"]["scores"]["dialect"] == {
        "format": "text",
        "encoding": "utf-8",
        "separator": ",",
        "decimal": ".",
        "sheet": None,
        "header_row": 1,
    }
    assert audit["config"]["selection"]["seed"] == audit["seed"] == 2019
    assert audit["status"] == "optimal" and audit["n_optimal"] >= 1
    assert {"python", "pandas", "numpy", "pulp", "solver"} <= set(audit["versions"])
    assert {"highspy", "matplotlib", "openpyxl"} <= set(audit["versions"])
    assert audit["cross_check"]["ran"] is False
    assert sorted(audit["files"]) == sorted(ALL_FILES)


def test_run_on_an_event_folder_and_explain(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    code, out, _ = _run("run", str(event / "event.toml"), "--out", str(tmp_path / "out"))
    assert code == 0, out
    assert f"Wrote {len(ALL_FILES)} files" in out
    with (tmp_path / "out" / "selection.csv").open(encoding="utf-8-sig") as handle:
        chosen = list(csv.DictReader(handle))
    code, text, _ = _run("explain", str(event), chosen[0]["candidate_id"])
    assert code == 0 and "selected" in text and chosen[0]["name"] in text
    code, _, err = _run("explain", str(event), "NOBODY")
    assert code == 2 and "no candidate 'NOBODY'" in err


def test_infeasible_rules_exit_3_and_still_write_the_explanation(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    toml = event / "event.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[[selection.constraints]]\nkind = "at_least"\nattribute = "gender"\nvalue = "F"\n'
        'count = 3\nscope = "group"\nname = "three women per group"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out), "--quiet")
    assert code == 3
    assert "three women per group" in stdout and "Traceback" not in stdout
    for name in ("ranking.csv", "report.html", "audit.json"):
        assert (out / name).exists()
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert audit["status"] == "infeasible" and audit["infeasibility"]["conflicts"]
    with (out / "selection.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.DictReader(handle)) == []


def test_malformed_event_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    scores = event / "scores.csv"
    lines = scores.read_text(encoding="utf-8").splitlines()
    lines[4] = ",".join([*lines[4].split(",")[:3], "42"])
    scores.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out))
    assert code == 1
    assert "row 5" in stdout and "'42'" in stdout
    assert not out.exists()


def test_output_folder_with_the_inputs_is_refused(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    before = {p.name: p.read_bytes() for p in event.iterdir()}
    code, stdout, _ = _run("run", str(event), "--out", str(event), "--quiet")
    assert code == 5 and "never written next to the inputs" in stdout
    assert {p.name: p.read_bytes() for p in event.iterdir()} == before


def test_unwritable_output_exits_5(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    code, stdout, _ = _run("demo", "--out", str(blocker / "out"), "--quiet")
    assert code == 5 and "Cannot write" in stdout


def test_rerun_into_the_same_folder_replaces_it(demo_out: Path, tmp_path: Path) -> None:
    """A run of another event into a used folder: only its own files remain."""
    out = tmp_path / "out"
    shutil.copytree(demo_out, out)
    event = _copy_example(tmp_path)
    toml = event / "event.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("affinity = ", "# affinity = "), encoding="utf-8")
    code, stdout, _ = _run("run", str(event), "--out", str(out))
    assert code == 0, stdout
    names = sorted(p.name for p in out.iterdir())
    assert "affinity.csv" not in names
    assert f"Wrote {len(names)} files to {out}" in stdout


@pytest.mark.slow
def test_bayes_method_adds_rank_intervals(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    toml = event / "event.toml"
    text = toml.read_text(encoding="utf-8").replace('method = "additive"', 'method = "bayes"')
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out), "--quiet")
    assert code == 0, stdout
    with (out / "ranking.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    for column in ("expected_rank", "rank_lo50", "rank_hi50", "rank_lo90", "rank_hi90", "sucra"):
        assert column in rows[0]
    assert "Rank in Africa" in (out / "report.html").read_text(encoding="utf-8")


def test_stability_analysis_adds_frequencies(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    toml = event / "event.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "\n[stability]\nresamples = 200\nleave_one_out = true\nseed = 7\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out), "--quiet")
    assert code == 0, stdout
    with (out / "ranking.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    selected = [r for r in rows if r["status"] == "selected"]
    assert all(float(r["selection_frequency"]) > 0 for r in selected)
    assert {r["verdict"] for r in rows} <= {"core", "swing", "out", ""}
    assert (out / "stability.csv").exists()
    assert "Leave one juror out" in (out / "report.html").read_text(encoding="utf-8")


def test_what_if_and_sensitivity(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    out = tmp_path / "out"
    code, stdout, _ = _run(
        "run",
        str(event),
        "--out",
        str(out),
        "--what-if",
        str(event / "what_if.toml"),
        "--sensitivity",
    )
    assert code == 0, stdout
    assert "What if:" in stdout and "joined" in stdout and "left" in stdout
    with (out / "what_if.csv").open(encoding="utf-8-sig") as handle:
        diff = list(csv.DictReader(handle))
    assert {"AF-01", "AF-02"} <= {row["candidate_id"] for row in diff}
    with (out / "selection.csv").open(encoding="utf-8-sig") as handle:
        chosen = {row["candidate_id"] for row in csv.DictReader(handle)}
    assert "AF-01" not in chosen  # withdrawn in the scenario
    assert (out / "sensitivity.csv").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "What if" in page and "Scoring-method sensitivity" in page


def test_bad_what_if_file_exits_1_with_location(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    scenario = tmp_path / "bad.toml"
    scenario.write_text('name = "x"\nexclude_jurors = ["J99"]\n', encoding="utf-8")
    code, stdout, _ = _run(
        "run", str(event), "--out", str(tmp_path / "out"), "--what-if", str(scenario)
    )
    assert code == 1 and "J99" in stdout and "Traceback" not in stdout


@pytest.mark.slow
def test_grey_zone_lottery_run(tmp_path: Path) -> None:
    event = _copy_example(tmp_path)
    toml = event / "event.toml"
    text = toml.read_text(encoding="utf-8").replace(
        "seed = 2019", 'seed = 2019\nlottery = "grey-zone"'
    )
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out), "--quiet")
    assert code == 0, stdout
    with (out / "ranking.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["zone"] for r in rows} <= {"in", "out", "grey"}
    drawn = {r["candidate_id"] for r in rows if r["status"] == "selected"}  # about the draw
    with (out / "selection.csv").open(encoding="utf-8-sig") as handle:
        assert {row["candidate_id"] for row in csv.DictReader(handle)} == drawn
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Grey-zone lottery" in page and "seed 2019" in page


def test_row_order_of_the_inputs_does_not_change_the_outputs(
    demo_out: Path, tmp_path: Path
) -> None:
    import random

    event = _copy_example(tmp_path)
    for name in ("candidates.csv", "scores.csv", "jurors.csv"):
        lines = (event / name).read_text(encoding="utf-8").splitlines()
        body = lines[1:]
        random.Random(7).shuffle(body)
        (event / name).write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run("run", str(event), "--out", str(out), "--quiet")
    assert code == 0, stdout
    for name in (
        "selection.csv",
        "ranking.csv",
        "criterion_scores.csv",
        "jurors.csv",
        "reliability.csv",
        "affinity.csv",
    ):
        assert (out / name).read_bytes() == (demo_out / name).read_bytes(), name


class _Terminal(io.StringIO):
    """Standard error as a terminal would be: it says it is one."""

    def isatty(self) -> bool:
        return True


def _progress_lines(err: str) -> list[str]:
    """What a terminal ends up showing: each line as its last rewrite (after the last \\r)."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in err.split("\n")]


def test_progress_on_a_terminal_names_each_long_stage_with_counts(tmp_path: Path) -> None:
    err = _Terminal()
    code = main(["demo", "--out", str(tmp_path / "out")], out=io.StringIO(), err=err)
    assert code == 0
    shown = _progress_lines(err.getvalue())
    for line in (
        "Scoring: done",
        "Solving: done",
        "Reasons: done",
        "Reserves: 4 of 4 groups",  # the example's four groups
        "Counterfactuals: 4 of 4 groups",
        "Report: 5 of 5 charts",  # one per group and the jurors' severity
    ):
        assert line in shown, (line, shown)
    assert any(re.fullmatch(r"Price of fairness: (\d+) of \1 rule sets", s) for s in shown)
    assert err.getvalue().endswith("\n")  # the last progress line is ended


def test_progress_is_silent_off_a_terminal_and_when_quiet(tmp_path: Path) -> None:
    code, _, err = _run("demo", "--out", str(tmp_path / "plain"))
    assert code == 0 and "\r" not in err and "Scoring" not in err
    terminal = _Terminal()
    code = main(
        ["demo", "--out", str(tmp_path / "quiet"), "--quiet"], out=io.StringIO(), err=terminal
    )
    assert code == 0 and terminal.getvalue() == ""


def test_progress_lines_are_throttled_and_rewritten_in_place() -> None:
    from selection.cli import _Console

    now = [0.0]
    err = _Terminal()
    console = _Console(io.StringIO(), err, clock=lambda: now[0])
    for done in range(1001):  # a thousand groups in one second
        now[0] = done / 1000
        console.stage("reserves", done, 1000)
    console.stage("charts", 0, 2)
    console.print("summary")
    text = err.getvalue()
    assert text.count("\r") <= 12  # at most ten a second, the first and the last
    assert _progress_lines(text)[:2] == ["Reserves: 1,000 of 1,000 groups", "Report: 0 of 2 charts"]
    assert text.endswith("Report: 0 of 2 charts\n")  # ended before anything else is printed
