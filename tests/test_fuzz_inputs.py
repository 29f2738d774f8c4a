"""A mutation fuzzer over the example event's files, driven through the real command line.

Each hypothesis example copies ``examples/event`` to a fresh folder and applies a few
mutations to its sheets (``candidates.csv``, ``scores.csv``, ``jurors.csv``), read and
written with the :mod:`csv` module so the mutation itself is exact:

- a cell set to a random value (empty, whitespace, text, a number, a formula such as
  ``=1+1``, non-Latin text, a very long string, random unicode);
- a row deleted, duplicated, or two rows swapped (the header row included);
- a column renamed, or the columns reordered;
- a file saved in another encoding (cp1251, utf-16, latin-1, utf-8-sig; characters the
  encoding lacks become ``?``) and/or with another separator (``;`` or tab);
- a file truncated at a random byte.

Then ``pitch-jury check EVENT`` and ``pitch-jury run EVENT --out OUT`` run in-process, and
the fuzzer asserts the contract of issue 14:

- every command ends with a documented exit code, never the internal-error code (70) and
  never a Python traceback in what it prints;
- ``check`` writes nothing, and neither command changes the event's files;
- ``check`` ends as ``run`` does when ``run`` ends with 0 or 1 (check finds everything run
  would reject before solving); when the rules leave no delegation (``run`` exits 3),
  ``check`` exits 1 if its preflight sees the conflict, else 0;
- on an invalid event (1) no output folder is written;
- a run that goes on (0, or 3 when no delegation satisfies the rules) gives the same exit
  code and byte-identical files when run again into another folder (``timings`` in
  ``audit.json`` aside, the one documented difference).

The CI budget is a few examples (a fraction of the profile's ``max_examples``); the test
marked ``slow`` runs the profile's full budget.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, currently_in_test_context, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from selection.cli import EXIT_CODES, EXIT_INTERNAL, main
from tests.paths import EXAMPLE_EVENT

SHEETS = ("candidates.csv", "scores.csv", "jurors.csv")
"""The sheets ``examples/event/event.toml`` reads; the fuzzer mutates these."""

DOCUMENTED = frozenset(EXIT_CODES) - {EXIT_INTERNAL}
"""Exit codes the fuzzer accepts: every documented one except the internal error."""

CHECK_CODES = frozenset({0, 1})
RUN_CODES = frozenset({0, 1, 3, 4})
"""What each command may end with on an event in a writable tmp folder (4: solver failure
or time limit, documented, is accepted for ``run``; 5 cannot happen in a fresh tmp folder)."""

Table = list[list[str]]


def _read_example() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name in SHEETS:
        with (EXAMPLE_EVENT / name).open(encoding="utf-8-sig", newline="") as handle:
            tables[name] = [list(row) for row in csv.reader(handle)]
    return tables


EXAMPLE = _read_example()


# --------------------------------------------------------------------------- the mutations

_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "   ",
            "\u00a0",
            "=1+1",
            '=HYPERLINK("http://x")',
            "+1",
            "-1",
            "@SUM(A1)",
            "0",
            "7",
            "7.5",
            "7,5",
            "11",
            "1e309",
            "nan",
            "inf",
            "-0",
            "12.0",
            "1.23E+15",
            "true",
            "FALSE",
            "н/я",
            "N/A",
            "-",
            "Итого",
            "李小龙",
            "محمد",
            "Ωμέγα",
            "e\u0301",
            "AF-01",
            "J1",
            "pitch",
            "Africa",
            "F",
            "M",
            "line\nbreak",
            'quote"inside',
        ]
    ),
    st.integers(1_000, 20_000).map(lambda n: "x" * n),  # a very long string
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=16),
)
"""What a secretary (or a spreadsheet) might put in a cell."""

_renames = st.one_of(
    st.sampled_from(["", " ", "score ", "SCORE", "Score", "балл", "candidate", "id", "x"]),
    st.text(max_size=10),
)
"""What a header cell might become."""

_sheet = st.sampled_from(SHEETS)
_index = st.integers(0, 10_000)
"""A row or column index, taken modulo the table's size when the mutation is applied."""


@dataclass(frozen=True)
class SetCell:
    sheet: str
    row: int
    column: int
    value: str


@dataclass(frozen=True)
class DeleteRow:
    sheet: str
    row: int


@dataclass(frozen=True)
class DuplicateRow:
    sheet: str
    row: int


@dataclass(frozen=True)
class SwapRows:
    sheet: str
    first: int
    second: int


@dataclass(frozen=True)
class RenameColumn:
    sheet: str
    column: int
    name: str


@dataclass(frozen=True)
class ReorderColumns:
    sheet: str
    seed: int


Mutation = SetCell | DeleteRow | DuplicateRow | SwapRows | RenameColumn | ReorderColumns

Encoding = Literal["utf-8", "utf-8-sig", "cp1251", "utf-16", "latin-1"]


@dataclass(frozen=True)
class Save:
    """How one sheet is written: encoding, separator, and an optional truncation."""

    encoding: Encoding = "utf-8"
    sep: str = ","
    truncate_at: int | None = None  # a byte index, modulo the file's size


_mutation: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(SetCell, _sheet, _index, _index, _values),
    st.builds(SetCell, st.sampled_from(SHEETS[:2]), _index, _index, _values),  # most often
    st.builds(DeleteRow, _sheet, _index),
    st.builds(DuplicateRow, _sheet, _index),
    st.builds(SwapRows, _sheet, _index, _index),
    st.builds(RenameColumn, _sheet, _index, _renames),
    st.builds(ReorderColumns, _sheet, st.integers(0, 2**32)),
)

_save = st.builds(
    Save,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16", "latin-1"]),
    sep=st.sampled_from([",", ";", "\t"]),
    truncate_at=st.none() | st.integers(0, 10**6),
)


@dataclass(frozen=True)
class Plan:
    """The mutations of one example, then how each sheet is saved (unnamed: as it was)."""

    mutations: tuple[Mutation, ...]
    saves: tuple[tuple[str, Save], ...]


def _saves(min_size: int) -> st.SearchStrategy[tuple[tuple[str, Save], ...]]:
    return st.dictionaries(_sheet, _save, min_size=min_size, max_size=2).map(
        lambda d: tuple(sorted(d.items()))
    )


_plans = st.one_of(
    st.builds(
        Plan, mutations=st.lists(_mutation, min_size=1, max_size=4).map(tuple), saves=_saves(0)
    ),
    st.builds(Plan, mutations=st.just(()), saves=_saves(1)),  # only re-encoded or truncated
)


def _apply(mutation: Mutation, tables: dict[str, Table]) -> None:
    rows = tables[mutation.sheet]
    if not rows:
        return
    if isinstance(mutation, SetCell):
        row = rows[mutation.row % len(rows)]
        if row:
            row[mutation.column % len(row)] = mutation.value
    elif isinstance(mutation, DeleteRow):
        del rows[mutation.row % len(rows)]
    elif isinstance(mutation, DuplicateRow):
        index = mutation.row % len(rows)
        rows.insert(index + 1, list(rows[index]))
    elif isinstance(mutation, SwapRows):
        i, j = mutation.first % len(rows), mutation.second % len(rows)
        rows[i], rows[j] = rows[j], rows[i]
    elif isinstance(mutation, RenameColumn):
        header = rows[0]
        if header:
            header[mutation.column % len(header)] = mutation.name
    else:
        width = max(len(row) for row in rows)
        order = list(range(width))
        random.Random(mutation.seed).shuffle(order)
        tables[mutation.sheet] = [[row[k] for k in order if k < len(row)] for row in rows]


def _encode(rows: Table, save: Save) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=save.sep, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(save.encoding, errors="replace")
    if save.truncate_at is not None and data:
        data = data[: save.truncate_at % len(data)]
    return data


def _mutated_event(folder: Path, plan: Plan) -> Path:
    """Copy the example event to ``folder`` and apply ``plan`` to its sheets."""
    shutil.copytree(EXAMPLE_EVENT, folder)
    tables = {name: [list(row) for row in rows] for name, rows in EXAMPLE.items()}
    for mutation in plan.mutations:
        _apply(mutation, tables)
    saves = dict(plan.saves)
    for name in {m.sheet for m in plan.mutations} | set(saves):
        (folder / name).write_bytes(_encode(tables[name], saves.get(name, Save())))
    return folder


# --------------------------------------------------------------------------- the command


@dataclass(frozen=True)
class Said:
    """What one command did: its exit code and everything it printed."""

    code: int
    text: str


def _cli(*argv: object) -> Said:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    said = Said(code, out.getvalue() + err.getvalue())
    assert code in DOCUMENTED, f"exit {code} for {argv}:\n{said.text}"
    assert "Traceback" not in said.text, said.text
    assert "Internal error" not in said.text, said.text
    return said


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """The run's files with ``timings`` dropped from audit.json (documented to change)."""
    if "audit.json" not in files:
        return files
    audit = json.loads(files["audit.json"])
    audit.pop("timings", None)
    return files | {"audit.json": json.dumps(audit, sort_keys=True).encode()}


def _assert_contract(base: Path, plan: Plan) -> int:
    """Run ``check`` and ``run`` on the mutated event and assert the contract; return the
    exit code of ``run``."""
    event = _mutated_event(base / "event", plan)
    inputs = _snapshot(event)

    check = _cli("check", event)
    assert check.code in CHECK_CODES, check.text
    assert _snapshot(event) == inputs, "check changed the event folder"

    out = base / "out"
    run = _cli("run", event, "--out", out)
    if currently_in_test_context():  # hypothesis statistics: how far the examples get
        event_note(f"check exit {check.code}, run exit {run.code}")
    assert run.code in RUN_CODES, run.text
    assert _snapshot(event) == inputs, "run changed the event folder"
    # check finds everything run would reject (1) and says nothing run goes on without (0);
    # a conflict of the rules (run 3) is an error for check when its preflight sees it.
    if run.code in (0, 1):
        assert check.code == run.code, (
            f"check exited {check.code}, run {run.code}\n"
            f"--- check\n{check.text}\n--- run\n{run.text}"
        )
    if run.code == 1:
        assert not out.exists(), "an output folder was written for an invalid event"
        return run.code
    if run.code not in (0, 3):
        return run.code
    again = _cli("run", event, "--out", base / "again")
    assert again.code == run.code, again.text
    first, second = _snapshot(out), _snapshot(base / "again")
    assert first.keys() == second.keys()
    first, second = _comparable(first), _comparable(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"a second run differs in {differ}"
    return run.code


# --------------------------------------------------------------------------- the tests

_SUPPRESS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.function_scoped_fixture,
    HealthCheck.filter_too_much,
]
_CI_BUDGET = max(4, min(10, settings().max_examples // 5))
"""8 examples under the ``ci`` profile (40), 10 under ``default``: a few seconds. The
``slow`` test runs the profile's whole budget (40 on CI: about 20 s on 2 cores)."""


def test_the_example_event_itself_keeps_the_contract(tmp_path: Path) -> None:
    """The unmutated example (saved as it was read): exit 0 and a byte-identical rerun."""
    assert _assert_contract(tmp_path, Plan(mutations=(), saves=(("scores.csv", Save()),))) == 0


@settings(max_examples=_CI_BUDGET, deadline=None, suppress_health_check=_SUPPRESS)
@given(plan=_plans)
def test_mutated_example_event_ends_with_a_documented_code(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan
) -> None:
    _assert_contract(tmp_path_factory.mktemp("fuzz"), plan)


@pytest.mark.slow
@settings(max_examples=settings().max_examples, deadline=None, suppress_health_check=_SUPPRESS)
@given(plan=_plans)
def test_mutated_example_event_ends_with_a_documented_code_long(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan
) -> None:
    _assert_contract(tmp_path_factory.mktemp("fuzz_long"), plan)
