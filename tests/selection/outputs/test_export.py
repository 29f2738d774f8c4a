"""The output folder holds exactly one run: written beside ``--out`` and swapped in whole.

A run that fails leaves the previous outputs byte for byte as they were; a second run into
the same folder leaves nothing of the first; a folder holding anything else is refused;
files and folders get the permissions the umask gives. Then what the outputs carry: the
outlier marks, the price of fairness per rule and group, the tied optimal delegations and
the audit's versions and cross-check.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from scoring.example import example_event_path
from scoring.ingest.load import load_event
from selection import columns as col
from selection.analysis.fairness import PRICE_COLUMNS
from selection.cli import main
from selection.outputs import folder as folder_module
from selection.outputs.audit import VERSIONED_PACKAGES
from selection.outputs.export import FILE_DESCRIPTIONS, OUTPUT_FILES, output_frames, write_run
from selection.outputs.files import OutputError
from selection.outputs.folder import replace_folder
from selection.pipeline import run_event
from selection.result import RunResult
from tests.eventfiles import default_scores, write_event


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and permission bits, and the folder's own."""
    found = {p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in folder.iterdir()}
    found["."] = (b"", stat.S_IMODE(folder.stat().st_mode))
    return found


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def _tied_scores() -> list[list[str]]:
    """Every mark 5: in each group of three the candidates' merits are equal."""
    rows = default_scores()
    return [rows[0], *([*row[:3], "5"] for row in rows[1:])]


@pytest.fixture(scope="module")
def example() -> RunResult:
    return run_event(load_event(example_event_path()))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Another event: no affinity audit, no conflicts, so no affinity or exclusions file."""
    return run_event(load_event(write_event(tmp_path_factory.mktemp("tiny") / "event")))


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """One seat per group of three equal candidates: 3 x 3 = 9 optimal delegations."""
    folder = write_event(tmp_path_factory.mktemp("tied") / "event", scores=_tied_scores())
    return run_event(load_event(folder))


@pytest.fixture
def previous(example: RunResult, tmp_path: Path) -> Path:
    """An output folder (Cyrillic, with spaces) holding the example's run."""
    out = tmp_path / "итоги отбора" / "out"
    write_run(example, out)
    return out


# ---- one run per folder ----------------------------------------------------------------


def test_a_failed_write_leaves_the_previous_outputs_byte_identical(
    previous: Path, tiny: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(previous)
    create_file = folder_module.create_file

    def locked(path: Path, data: bytes) -> None:
        if path.name == "results.xlsx":
            raise PermissionError(13, "Permission denied", str(path))
        create_file(path, data)

    monkeypatch.setattr(folder_module, "create_file", locked)
    with pytest.raises(OutputError) as caught:
        write_run(tiny, previous)
    message = str(caught.value)
    assert str(previous / "results.xlsx") in message
    assert f"The previous outputs in {previous} are untouched." in message
    assert _snapshot(previous) == before
    assert [p.name for p in previous.parent.iterdir()] == ["out"]  # no half-written folder


def test_the_command_line_says_the_previous_outputs_are_untouched(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(previous)

    def full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folder_module, "create_file", full)
    code, text = _cli("demo", "--out", str(previous), "--quiet")
    assert code == 5, text
    assert "the disk is full" in text and "are untouched" in text and "Traceback" not in text
    assert _snapshot(previous) == before


@pytest.mark.parametrize(
    "failing",
    [
        pytest.param(1, id="moving-the-old-folder-aside"),  # Windows: a file in it is open
        pytest.param(2, id="moving-the-new-folder-in"),  # then the old one is moved back
    ],
)
def test_a_failed_swap_leaves_the_previous_outputs_byte_identical(
    previous: Path, tiny: RunResult, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    before = _snapshot(previous)
    rename, calls = os.rename, []

    def flaky(source: Any, target: Any) -> None:
        calls.append((source, target))
        if len(calls) == failing:
            raise PermissionError(13, "Permission denied")
        rename(source, target)

    monkeypatch.setattr(folder_module.os, "rename", flaky)
    with pytest.raises(OutputError, match="are untouched"):
        write_run(tiny, previous)
    monkeypatch.undo()
    assert _snapshot(previous) == before
    assert [p.name for p in previous.parent.iterdir()] == ["out"]


def test_a_swap_that_cannot_be_undone_keeps_both_folders(
    previous: Path, tiny: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new folder cannot move in, nor the old one back: both are kept and named."""
    before = _snapshot(previous)
    rename, calls = os.rename, []

    def flaky(source: Any, target: Any) -> None:
        calls.append(target)
        if len(calls) > 1:
            raise PermissionError(13, "Permission denied")
        rename(source, target)

    monkeypatch.setattr(folder_module.os, "rename", flaky)
    with pytest.raises(OutputError) as caught:
        write_run(tiny, previous)
    monkeypatch.undo()
    siblings = {p.name.rsplit("-", 1)[0]: p for p in previous.parent.iterdir()}
    assert set(siblings) == {".out.pitch-jury-old", ".out.pitch-jury-new"}
    message = str(caught.value)
    assert all(str(path) in message for path in siblings.values())
    assert _snapshot(siblings[".out.pitch-jury-old"]) == before
    assert (siblings[".out.pitch-jury-new"] / "audit.json").exists()


def test_a_second_event_leaves_nothing_of_the_first(
    previous: Path, tiny: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {"exclusions.csv", "affinity.csv"} <= {p.name for p in previous.iterdir()}
    written = write_run(tiny, previous)
    assert sorted(p.name for p in previous.iterdir()) == sorted(p.name for p in written)
    assert not (previous / "exclusions.csv").exists()
    assert not (previous / "affinity.csv").exists()
    audit = json.loads((previous / "audit.json").read_text(encoding="utf-8"))
    assert audit["event"] == "tiny"
    assert audit["files"] == [p.name for p in written]
    assert [p.name for p in previous.parent.iterdir()] == ["out"]
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_the_command_line_counts_exactly_the_files_of_the_run(previous: Path) -> None:
    code, text = _cli("run", str(write_event(previous.parent / "tiny")), "--out", str(previous))
    assert code == 0, text
    names = sorted(p.name for p in previous.iterdir())
    assert f"Wrote {len(names)} files to {previous}" in text
    assert "exclusions.csv" not in names


def test_files_a_library_caller_added_are_outputs_too(previous: Path, tiny: RunResult) -> None:
    """The ``audit.json`` of a run lists its files, so its own extras do not block a rerun."""
    extra = {"mine": ("Mine", "A table of mine.", tiny.reliability)}
    write_run(tiny, previous, extras=extra)
    assert (previous / "mine.csv").exists()
    write_run(tiny, previous)
    assert not (previous / "mine.csv").exists()


@pytest.mark.parametrize("foreign", ["notes.txt", "Отчёт для жюри.docx", "drafts/"])
def test_a_folder_holding_other_files_is_refused(
    previous: Path, tiny: RunResult, foreign: str
) -> None:
    target = previous / foreign.rstrip("/")
    if foreign.endswith("/"):
        target.mkdir()
    else:
        target.write_text("mine", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in previous.iterdir() if p.is_file()}
    with pytest.raises(OutputError) as caught:
        write_run(tiny, previous)
    message = str(caught.value)
    assert foreign in message and "did not write" in message and "Nothing was written" in message
    assert {p.name: p.read_bytes() for p in previous.iterdir() if p.is_file()} == before
    assert [p.name for p in previous.parent.iterdir()] == ["out"]


def test_a_refused_folder_is_refused_before_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("scored a run whose output folder is refused")

    monkeypatch.setattr("selection.pipeline.run_event", never)
    code, text = _cli("demo", "--out", str(out), "--quiet")
    assert code == 5 and "notes.txt" in text
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("lock", ["~$results.xlsx", ".~lock.ranking.csv#"])
def test_an_output_open_in_a_spreadsheet_is_refused(
    previous: Path, tiny: RunResult, lock: str
) -> None:
    (previous / lock).write_bytes(b"owner")
    before = _snapshot(previous)
    with pytest.raises(OutputError, match="open in a spreadsheet program") as caught:
        write_run(tiny, previous)
    assert lock in str(caught.value) and "untouched" in str(caught.value)
    assert _snapshot(previous) == before


def test_files_the_system_leaves_do_not_block(previous: Path, tiny: RunResult) -> None:
    (previous / "Thumbs.db").write_bytes(b"cache")
    (previous / ".DS_Store").write_bytes(b"cache")
    written = write_run(tiny, previous)
    assert sorted(p.name for p in previous.iterdir()) == sorted(p.name for p in written)


def test_an_empty_folder_and_a_new_one_are_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert [p.name for p in replace_folder(tmp_path / "empty", {"a.csv": b"1"})] == ["a.csv"]
    replace_folder(tmp_path / "new" / "deeper", {"a.csv": b"2"})
    assert (tmp_path / "new" / "deeper" / "a.csv").read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "new"]


def test_a_file_and_the_current_folder_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        replace_folder(tmp_path / "file", {"a.csv": b"1"})
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    for out in (".", str(tmp_path)):
        with pytest.raises(OutputError, match="the folder you are working in"):
            replace_folder(out, {"a.csv": b"1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "out"]


def test_every_file_a_run_writes_is_known(example: RunResult, tied: RunResult) -> None:
    for stem in (*output_frames(example), *output_frames(tied)):
        assert stem in FILE_DESCRIPTIONS and f"{stem}.csv" in OUTPUT_FILES


# ---- permissions -----------------------------------------------------------------------

_UMASK_CHILD = """
import json, os, stat, sys
from pathlib import Path
from selection.cli import main
out = Path(sys.argv[1])
code = main(["demo", "--out", str(out), "--quiet"])
modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
modes["."] = stat.S_IMODE(out.stat().st_mode)
print(json.dumps({"code": code, "modes": modes}))
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(
    ("umask", "folder_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)]
)
def test_permissions_follow_the_umask(
    tmp_path: Path, umask: int, folder_mode: int, file_mode: int
) -> None:
    """Run in a child process with its own umask: the test process's umask stays as it is."""
    out = tmp_path / "общая папка" / "out"
    done = subprocess.run(
        [sys.executable, "-c", _UMASK_CHILD, str(out)],
        capture_output=True,
        text=True,
        check=True,
        umask=umask,
        cwd=tmp_path,
        timeout=300,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["code"] == 0
    modes = found["modes"]
    assert modes.pop(".") == folder_mode
    assert len(modes) >= 10 and set(modes.values()) == {file_mode}, modes


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_existing_folder_keeps_its_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o2770)  # a group's shared folder
    replace_folder(out, {"a.csv": b"1"})
    replace_folder(out, {"a.csv": b"2"})
    assert stat.S_IMODE(out.stat().st_mode) & 0o777 == 0o770


# ---- what the outputs carry ------------------------------------------------------------


def test_outliers_are_written_as_a_file_a_sheet_and_a_section(
    example: RunResult, tmp_path: Path
) -> None:
    write_run(example, tmp_path / "out")
    rows = _rows(tmp_path / "out" / "outliers.csv")
    assert list(rows[0]) == list(col.OUTLIER_COLUMNS)
    assert len(rows) == len(example.scoring.outliers) > 0
    book = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx", read_only=True)
    assert {"outliers", "price_of_fairness"} <= set(book.sheetnames)
    assert "ties" not in book.sheetnames and not (tmp_path / "out" / "ties.csv").exists()
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Outlier marks</h2>" in page
    assert f"{len(rows)}. They are flagged, not removed" in page
    assert "Price of fairness per rule (whole delegation)" in page
    assert "Price of fairness per rule and group" in page


def test_price_of_fairness_per_rule_and_group(example: RunResult, tmp_path: Path) -> None:
    write_run(example, tmp_path / "out")
    rows = _rows(tmp_path / "out" / "price_of_fairness.csv")
    assert list(rows[0]) == list(PRICE_COLUMNS)
    rules = {row[col.RULE] for row in rows}
    assert rules == {*example.selection.constraints[col.RULE][1:], "*"}  # every rule but seats
    groups = {row[col.GROUP] for row in rows}
    assert groups == {*example.event.groups, "*"}
    for row in rows:
        cost = float(row[col.OBJECTIVE_WITHOUT]) - float(row[col.OBJECTIVE_WITH])
        assert float(row[col.COST]) == pytest.approx(cost, abs=1e-3)  # 6 significant digits


def test_tied_delegations_are_listed(tied: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(tied, out)
    rows = _rows(out / "ties.csv")
    assert list(rows[0]) == list(col.TIE_COLUMNS)
    ties: dict[str, set[str]] = {}
    for row in rows:
        ties.setdefault(row[col.TIE], set()).add(row[col.CANDIDATE_ID])
    assert len(ties) == tied.selection.n_optimal == 9  # 3 candidates in each of 2 groups
    assert len({frozenset(members) for members in ties.values()}) == 9
    chosen = {row[col.CANDIDATE_ID] for row in _rows(out / "selection.csv")}
    assert ties["1"] == chosen  # tie 1 is the lottery's choice
    assert "ties" in openpyxl.load_workbook(out / "results.xlsx", read_only=True).sheetnames
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Tied optimal delegations</h2>" in page and "9 delegations reach" in page
    assert "more tied delegations may exist" not in page


def test_more_ties_than_listed_are_counted_exactly(tmp_path: Path) -> None:
    folder = write_event(tmp_path / "event", scores=_tied_scores(), extra="max_ties = 4\n")
    out = tmp_path / "out"
    code, text = _cli("run", str(folder), "--out", str(out), "--quiet")
    assert code == 0, text
    rows = _rows(out / "ties.csv")
    assert {row[col.TIE] for row in rows} == {"1"}  # beyond the cap, only the one chosen
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "9 delegations reach the same best total merit" in page
    assert "That is more than 4 ([selection] max_ties), so ties.csv holds only" in page
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert audit["ties_capped"] is False and audit["n_optimal"] == 9
    assert audit["solver"] == "decomposition"


def test_a_capped_list_of_ties_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On an event the decomposition declines, the integer programme alone stops
    # enumerating at max_ties.
    from selection import facade

    monkeypatch.setattr(facade, "_decompose", lambda *args: facade._UNANSWERED)
    folder = write_event(tmp_path / "event", scores=_tied_scores(), extra="max_ties = 4\n")
    out = tmp_path / "out"
    code, text = _cli("run", str(folder), "--out", str(out), "--quiet")
    assert code == 0, text
    rows = _rows(out / "ties.csv")
    assert {row[col.TIE] for row in rows} == {"1"}  # beyond the cap, only the one chosen
    chosen = {row[col.CANDIDATE_ID] for row in _rows(out / "selection.csv")}
    assert {row[col.CANDIDATE_ID] for row in rows} == chosen
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "At least 4 delegations reach the same best total merit" in page
    assert "The list stops at 4 ([selection] max_ties): more tied delegations may exist." in page
    assert json.loads((out / "audit.json").read_text(encoding="utf-8"))["ties_capped"] is True


def test_the_audit_records_every_version(example: RunResult, tmp_path: Path) -> None:
    write_run(example, tmp_path / "out")
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    versions = audit["versions"]
    assert {"python", *VERSIONED_PACKAGES} <= set(versions)
    assert {"matplotlib", "openpyxl", "highspy"} <= set(VERSIONED_PACKAGES)
    assert all(isinstance(versions[name], str) for name in VERSIONED_PACKAGES)
    assert versions["solver"].startswith("pitch-jury ")  # the decomposition answered
    assert audit["cross_check"] == {"ran": False, "solver": None, "agreed": None}


def test_reading_versions_imports_nothing() -> None:
    code = (
        "import sys; from selection.outputs.audit import versions; before = set(sys.modules); "
        "versions(); print(sorted({'matplotlib', 'openpyxl', 'highspy'} & "
        "(set(sys.modules) - before)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("how", ["flag", "event.toml"])
def test_the_cross_check_runs_and_is_recorded(tmp_path: Path, how: str) -> None:
    extra = "cross_check = true\n" if how == "event.toml" else ""
    folder = write_event(tmp_path / "event", extra=extra)
    flags = ["--cross-check"] if how == "flag" else []
    code, text = _cli("run", str(folder), "--out", str(tmp_path / "out"), "--quiet", *flags)
    assert code == 0, text
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert audit["cross_check"] == {"ran": True, "solver": "highs", "agreed": True}
    assert audit["config"]["selection"]["cross_check"] is True
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "cross-checked with highs: the same delegation." in page


def test_solvers_that_disagree_exit_4_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selection import facade
    from selection.model.verify import VerificationError

    def disagree(*args: object, **kwargs: object) -> None:
        raise VerificationError("highs and cbc disagree: optimal/[1.0] against optimal/[2.0].")

    monkeypatch.setattr(facade, "_cross_check", disagree)
    folder = write_event(tmp_path / "event")
    out = tmp_path / "out"
    code, text = _cli("run", str(folder), "--out", str(out), "--cross-check", "--quiet")
    assert code == 4 and "disagree" in text and "Traceback" not in text
    assert not out.exists()
