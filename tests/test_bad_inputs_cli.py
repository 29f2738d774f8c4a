"""A jury secretary's messy files through the real command line, one case per behaviour.

Every row of ``/work/shared/BAD-INPUTS.md`` (the ``row..`` cases) and every bullet of issue
14, section 2 (the ``s2-..`` cases, most of them on the example event) is run in-process
through ``pitch-jury check`` and ``pitch-jury run``. What each asserts:

- the exit code (see :mod:`selection.cli`: 0 success, 1 the event has errors, 3 no
  delegation satisfies the rules, 5 output not writable);
- the issue code in what both commands print, and the location of the problem as the
  secretary sees it (file, sheet, row, column, value);
- on an error, that ``check`` and ``run`` report the same errors (check finds everything
  run would reject before solving), that no output folder is created, and that the
  folder of an earlier run is left byte for byte as it was;
- on a warning, that the run goes on and its report lists the warning too;
- on a repair, what the outputs show (the dialect in audit.json, the same delegation as
  the clean event, the numbers read).

The ingest-level tests (``tests/scoring/ingest/test_bad_inputs*.py``) assert the issue
objects; these assert what reaches the secretary.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl
import pytest

from selection.cli import main
from tests.eventfiles import (
    CANDIDATES,
    CRITERIA,
    JURORS,
    WOMAN_RULE,
    csv_text,
    default_scores,
    merged_candidates_workbook,
    write_event,
    write_numbers_folder,
    write_ods,
)
from tests.paths import EXAMPLE_EVENT

CSV_OUTPUTS = ("selection.csv", "ranking.csv", "criterion_scores.csv", "jurors.csv")
"""The tiny event's CSVs that say who is selected and from which numbers."""


# --------------------------------------------------------------------------- the command


@dataclass(frozen=True)
class Said:
    """What one command did: its exit code and everything it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def _cli(*argv: object) -> Said:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    said = Said(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in said.text and "Internal error" not in said.text, said.text
    assert code != 70, said.text
    return said


_HEADER = re.compile(r"^(\d+) (error|warning)s?$")
_CODE = re.compile(r"^  ([a-z_]+\.[a-z_]+): ")


def _codes(text: str) -> dict[str, set[str]]:
    """The issue codes printed, by severity (the blocks ``format_issues`` writes)."""
    found: dict[str, set[str]] = {"error": set(), "warning": set()}
    severity = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            severity = header.group(2)
            continue
        code = _CODE.match(line)
        if code and severity:
            found[severity].add(code.group(1))
        elif not line.startswith(" "):
            severity = None
    return found


def _issue_lines(text: str, code: str) -> list[str]:
    """The located lines printed under ``code``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {code}: "))
    block: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _audit(out: Path) -> dict[str, object]:
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert isinstance(audit, dict)
    return audit


def _dialect(out: Path, role: str) -> dict[str, object]:
    inputs = _audit(out)["inputs"]
    assert isinstance(inputs, dict)
    dialect = inputs[role]["dialect"]
    assert isinstance(dialect, dict)
    return dialect


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of the clean tiny event (:mod:`tests.eventfiles`)."""
    base = tmp_path_factory.mktemp("reference")
    out = base / "out"
    said = _cli("run", write_event(base / "event"), "--out", out)
    assert said.code == 0, said.text
    return out


@pytest.fixture(scope="module")
def earlier(reference: Path) -> Path:
    """An earlier run's output folder (the clean tiny event's)."""
    return reference


def _same_delegation(out: Path, reference: Path, names: tuple[str, ...] = CSV_OUTPUTS) -> None:
    for name in names:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


# --------------------------------------------------------------------------- the cases


Outcome = Literal["reject", "warn", "fix", "infeasible"]


@dataclass(frozen=True)
class Case:
    """A messy event and what the secretary must see.

    ``where`` are issue locations exactly as printed (``file, sheet, row, column, value``),
    each followed by the message; ``text`` are message fragments; ``then`` checks the
    output folder of a run that went on (given it and the clean event's outputs).
    """

    make: Callable[[Path], Path]
    outcome: Outcome
    code: str | None = None
    where: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    then: Callable[[Path, Path], None] | None = None
    check_only: tuple[str, ...] = field(default=())  # printed by check alone (the census)


def _cands() -> list[list[str]]:
    return copy.deepcopy(CANDIDATES)


def _jurors() -> list[list[str]]:
    return copy.deepcopy(JURORS)


def _set(rows: list[list[str]], row: int, column: int, value: str) -> list[list[str]]:
    """Set a cell; ``row`` is the spreadsheet row (header = row 1)."""
    rows[row - 1][column] = value
    return rows


def _latin_candidates(names: dict[str, str]) -> list[list[str]]:
    """The default candidates with some names replaced and none that cp1251 lacks."""
    spare = {"Nguyễn Thị Mai": "Mai Nguyen", "王小明": "Wang Xiaoming"}
    return [[names.get(c, spare.get(c, c)) for c in row] for row in _cands()]


def _marks_rows() -> list[list[object]]:
    """The default marks as a workbook holds them: numbers as numbers."""
    rows: list[list[object]] = [list(default_scores()[0])]
    rows.extend([j, t, c, int(v)] for j, t, c, v in default_scores()[1:])
    return rows


def _marks_book(title: str = "Sheet") -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in _marks_rows():
        book.active.append(row)
    return book


def _scores_xlsx(folder: Path, book: openpyxl.Workbook, **keys: str) -> Path:
    write_event(folder, names={"scores": "scores.xlsx"}, **keys)  # type: ignore[arg-type]
    book.save(folder / "scores.xlsx")
    return folder


def _raw_mean(out: Path, target: str, criterion: str) -> tuple[str, str]:
    for row in _csv(out / "criterion_scores.csv"):
        if (row["target_id"], row["criterion"]) == (target, criterion):
            return row["n_jurors"], row["raw_mean"]
    raise AssertionError((target, criterion))


# ---- rows 1-5: encodings and separators


def _row01(folder: Path) -> Path:
    rows = [[{"J1": "Ж1", "J2": "Ж2"}.get(c, c) for c in r] for r in default_scores()]
    rows[2][3] = "7.5"  # J1's mark for A2
    jurors = [
        ["juror_id", "name", "country"],
        ["Ж1", "Иванова Анна", "RUS"],
        ["Ж2", "Ким Олег", "RUS"],
    ]
    write_event(folder)
    russian = [[c.replace(".", ",") for c in r] for r in rows]
    (folder / "scores.csv").write_bytes(csv_text(russian, sep=";").encode("cp1251"))
    (folder / "jurors.csv").write_bytes(csv_text(jurors, sep=";").encode("cp1251"))
    return folder


def _then01(out: Path, reference: Path) -> None:
    assert _dialect(out, "scores") == {
        "format": "text",
        "encoding": "cp1251",
        "separator": ";",
        "decimal": ",",
        "sheet": None,
        "header_row": 1,
    }
    assert _raw_mean(out, "A2", "pitch") == ("2", "6.75")  # 7,5 (J1) and 6 (J2)
    assert {r["juror_id"] for r in _csv(out / "jurors.csv")} == {"Ж1", "Ж2"}


def _row02(folder: Path) -> Path:
    write_event(folder)
    text = csv_text(CANDIDATES, sep=";")
    (folder / "candidates.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return folder


def _then02(out: Path, reference: Path) -> None:
    assert _dialect(out, "candidates")["encoding"] == "utf-8-sig"
    _same_delegation(out, reference)


_GARBLED = "Luíza".encode().decode("cp1251")  # "LuГ\xadza": UTF-8 read as cp1251


def _row03(folder: Path) -> Path:
    names = {"Tunde Bello": "Luíza Souza", "Salma Haddad": f"{_GARBLED} Souza"}
    return write_event(folder, candidates=_latin_candidates(names))


def _then03(out: Path, reference: Path) -> None:
    names = {r["candidate_id"]: r["name"] for r in _csv(out / "ranking.csv")}
    assert names["A3"] == f"{_GARBLED} Souza"  # kept exactly: the soft hyphen too
    assert names["A2"] == "Luíza Souza"


def _row04(folder: Path) -> Path:
    rows = _latin_candidates({"Tunde Bello": "Mar?a Jos?", "Salma Haddad": "Gon?alves"})
    write_event(folder)
    (folder / "candidates.csv").write_bytes(csv_text(rows, sep=";").encode("cp1251"))
    return folder


def _row05(folder: Path) -> Path:
    write_event(folder, names={"scores": "scores.txt"})
    text = csv_text(default_scores(), sep="\t").replace("\n", "\r\n")
    (folder / "scores.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    return folder


def _then05(out: Path, reference: Path) -> None:
    dialect = _dialect(out, "scores")
    assert (dialect["encoding"], dialect["separator"]) == ("utf-16", "\t")
    _same_delegation(out, reference)


# ---- rows 6-13: numbers


def _row06(folder: Path) -> Path:
    lines = csv_text(default_scores()).splitlines()
    lines[2] = "J1,A2,pitch,7,5"  # a decimal comma in a comma-separated file
    lines[4] = "J1,S1,pitch,8,5"
    return write_event(folder, scores="\n".join(lines) + "\n")


def _row07(folder: Path) -> Path:
    rows = default_scores()
    rows[2][3] = "8,5"  # J1 for A2
    rows[3][3] = "7.5"  # J1 for A3: the other decimal mark, in the same column
    return write_event(folder, scores=csv_text(rows, sep=";"))


def _then07(out: Path, reference: Path) -> None:
    assert _raw_mean(out, "A2", "pitch") == ("2", "7.25")  # 8,5 and 6
    assert _raw_mean(out, "A3", "pitch") == ("2", "7.25")  # 7.5 and 7


def _row07_ambiguous(folder: Path) -> Path:
    rows = default_scores()
    rows[2][3] = "8,5"
    rows[3][3] = "7.5"
    rows[4][3] = "1,234"  # 1.234, or 1234 with a thousands separator?
    return write_event(folder, scores=csv_text(rows, sep=";"))


def _row08(folder: Path) -> Path:
    rows = default_scores()  # J1's marks for A2, A3, S1 are 5, 6 and 7
    rows[2][3] = " 5 "
    rows[3][3] = "6\u00a0"  # a no-break space after the number
    rows[4][3] = "\u202f7"  # a narrow no-break space before it
    return write_event(folder, scores=rows)


def _then_same(out: Path, reference: Path) -> None:
    _same_delegation(out, reference)


def _row09(folder: Path) -> Path:
    return write_event(folder, scores=_set(default_scores(), 3, 3, "08.май"))


def _row10(folder: Path) -> Path:
    rows = _set(_set(default_scores(), 3, 3, "TRUE"), 4, 3, "✓")
    return write_event(folder, scores=_set(rows, 5, 3, "ЛОЖЬ"))


def _row11(folder: Path) -> Path:
    rows = _set(_set(default_scores(), 3, 3, "11"), 4, 3, "-1")
    return write_event(folder, scores=_set(rows, 5, 3, "85"))


def _row12_token(folder: Path) -> Path:
    return write_event(folder, scores=_set(default_scores(), 3, 3, "н/я"))


def _then12(out: Path, reference: Path) -> None:
    assert _raw_mean(out, "A2", "pitch") == ("1", "6")  # J1's 'н/я' is no mark


def _row12_unknown(folder: Path) -> Path:
    rows = default_scores()
    for row, token in zip((3, 4, 5, 6), ("abs", "—", "?", "x"), strict=True):
        _set(rows, row, 3, token)
    return write_event(folder, scores=rows)


def _row13(folder: Path) -> Path:
    rows = _set(_set(default_scores(), 3, 3, "0"), 4, 3, "")
    zero_to_ten = CRITERIA.replace(
        'min = 1\nmax = 10\nlevel = "candidate"', 'min = 0\nmax = 10\nlevel = "candidate"'
    )
    return write_event(folder, scores=rows, criteria=zero_to_ten)


def _then13(out: Path, reference: Path) -> None:
    assert _raw_mean(out, "A2", "pitch") == ("2", "3")  # 0 is a mark: (0 + 6) / 2
    assert _raw_mean(out, "A3", "pitch") == ("1", "7")  # blank is no mark: J2's 7 alone


# ---- rows 14-19: workbooks and sheet layout


def _row14(folder: Path) -> Path:
    book = _marks_book()
    book.active["D3"] = "=AVERAGE(E3:F3)"  # written by a script: no saved value
    book.active["D5"] = "#DIV/0!"
    return _scores_xlsx(folder, book)


def _row15_instructions(folder: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Инструкция"
    book.active.append(["Заполните лист 'Оценки'."])
    sheet = book.create_sheet("Оценки")
    for row in _marks_rows():
        sheet.append(row)
    return _scores_xlsx(folder, book)


def _then15(out: Path, reference: Path) -> None:
    assert _dialect(out, "scores")["sheet"] == "Оценки"
    _same_delegation(out, reference, ("selection.csv", "ranking.csv"))


def _row15_several(folder: Path) -> Path:
    book = _marks_book("Оценки")
    copy_sheet = book.create_sheet("Оценки (2)")
    for row in _marks_rows():
        copy_sheet.append(row)
    return _scores_xlsx(folder, book)


def _row16_titles(folder: Path) -> Path:
    text = "IKSW pitch session;;;\n;;;\n" + csv_text(default_scores(), sep=";")
    return write_event(folder, scores=text)


def _then16(out: Path, reference: Path) -> None:
    assert _dialect(out, "scores")["header_row"] == 3
    _same_delegation(out, reference, ("selection.csv", "ranking.csv"))


def _row16_missing(folder: Path) -> Path:
    return write_event(folder, scores="who;what\nJ1;A1\n")


def _row17(folder: Path) -> Path:
    write_event(folder, names={"candidates": "candidates.xlsx"})
    book = merged_candidates_workbook()
    book.save(folder / "candidates.xlsx")
    return folder


def _row18(folder: Path) -> Path:
    book = _marks_book()
    sheet = book.active
    sheet.auto_filter.ref = f"A1:D{sheet.max_row}"
    sheet.auto_filter.add_filter_column(0, ["J1"])
    for row in range(2, sheet.max_row + 1):
        sheet.row_dimensions[row].hidden = sheet.cell(row, 1).value == "J2"
    return _scores_xlsx(folder, book)


def _row19(folder: Path) -> Path:
    candidates = [*_cands(), ["", "Итого", "", "", "", ""]]
    return write_event(
        folder, candidates=candidates, scores=[*default_scores(), ["Total", "", "", "57"]]
    )


def _then19(out: Path, reference: Path) -> None:
    assert "Итого" not in (out / "ranking.csv").read_text(encoding="utf-8-sig")
    _same_delegation(out, reference)


# ---- rows 20-25: duplicates, spellings, ids


def _row20_identical(folder: Path) -> Path:
    return write_event(folder, scores=[*default_scores(), ["J1", "A1", "pitch", "4"]])


def _row20_conflicting(folder: Path) -> Path:
    return write_event(folder, scores=[*default_scores(), ["J1", "A1", "pitch", "9"]])


_VARIANT_JURORS = [["juror_id", "name"], ["J1", "Иванова А."], ["J2", "Ivanova A."]]


def _row21_spaces(folder: Path) -> Path:
    spaced = [[f" {r[0]} " if r[0] == "J1" else r[0], *r[1:]] for r in default_scores()]
    return write_event(folder, jurors=_VARIANT_JURORS, scores=spaced)


def _then21(out: Path, reference: Path) -> None:
    assert {r["juror_id"] for r in _csv(out / "jurors.csv")} == {"J1", "J2"}
    _same_delegation(out, reference, ("selection.csv", "ranking.csv", "criterion_scores.csv"))


def _row21_case(folder: Path) -> Path:
    cased = [["j1" if c == "J1" else c for c in r] for r in default_scores()]
    return write_event(folder, jurors=_VARIANT_JURORS, scores=cased)


def _row21_same_name(folder: Path) -> Path:
    twins = [["juror_id", "name"], ["J1", "Иванова А."], ["J2", "Иванова  а."]]
    return write_event(folder, jurors=twins)


def _row22_names(folder: Path) -> Path:
    candidates = _cands()
    candidates[1][1] = unicodedata.normalize("NFD", "José\u200b Ruiz")
    candidates[4][1] = "Ng\u0443yễn Thị Mai"  # a Cyrillic у inside a Latin word
    return write_event(folder, candidates=candidates)


def _then22(out: Path, reference: Path) -> None:
    names = {r["candidate_id"]: r["name"] for r in _csv(out / "ranking.csv")}
    assert names["A1"] == "José Ruiz" and unicodedata.is_normalized("NFC", names["A1"])
    assert names["S1"] == "Ng\u0443yễn Thị Mai"  # warned, never rewritten


def _row22_group(folder: Path) -> Path:
    return write_event(folder, candidates=_set(_cands(), 4, 2, "\u0410frica"))


def _row23(folder: Path) -> Path:
    candidates = _set(_set(_cands(), 4, 1, "Amani Njoroge"), 7, 1, "AMANI NJOROGE")
    return write_event(folder, candidates=candidates)


def _then23(out: Path, reference: Path) -> None:
    assert len(_csv(out / "ranking.csv")) == 6  # the ids keep them apart


def _row24_float(folder: Path) -> Path:
    scores = [["12" if c == "A1" else c for c in r] for r in default_scores()]
    return write_event(folder, candidates=_set(_cands(), 2, 0, "12.0"), scores=scores)


def _then24(out: Path, reference: Path) -> None:
    assert "12" in {r["candidate_id"] for r in _csv(out / "ranking.csv")}


def _row24_scientific(folder: Path) -> Path:
    return write_event(folder, candidates=_set(_cands(), 2, 0, "1.23E+15"))


def _row24_zeros(folder: Path) -> Path:
    scores = [["7" if c == "A1" else c for c in r] for r in default_scores()]
    return write_event(folder, candidates=_set(_cands(), 2, 0, "007"), scores=scores)


def _row25(folder: Path) -> Path:
    candidates = _cands()
    candidates[5][:2] = ["A1", "Amani Njoroge"]  # row 6, in Asia
    return write_event(folder, candidates=candidates)


# ---- rows 26-31: feasibility, conflicts, jurors, criteria, weights


def _row26(folder: Path) -> Path:
    candidates = _cands()
    for row in candidates[4:]:
        row[5] = "no"  # nobody in Asia is eligible
    return write_event(folder, candidates=candidates)


def _then26(out: Path, reference: Path) -> None:
    chosen = _csv(out / "selection.csv")
    assert [r["group"] for r in chosen] == ["Africa"]  # the other group still gets its seat
    assert _audit(out)["status"] == "infeasible"


def _row27(folder: Path) -> Path:
    # No woman in Asia, and a woman in every group is required.
    return write_event(folder, candidates=_set(_cands(), 5, 4, "M"), extra=WOMAN_RULE)


def _then27(out: Path, reference: Path) -> None:
    audit = _audit(out)
    assert audit["status"] == "infeasible"
    assert [r["group"] for r in _csv(out / "selection.csv")] == ["Africa"]


def _row28_unknown(folder: Path) -> Path:
    return write_event(folder, jurors=_set(_jurors(), 2, 3, "Salma Haddad; P9"))


def _row28_excluded(folder: Path) -> Path:
    return write_event(folder, jurors=_set(_jurors(), 2, 3, "A3; P4"))


def _then28(out: Path, reference: Path) -> None:
    excluded = {(r["juror_id"], r["target_id"]) for r in _csv(out / "exclusions.csv")}
    assert excluded == {("J1", "A3"), ("J1", "P2"), ("J1", "P4"), ("J1", "S3")}


def _row29(folder: Path) -> Path:
    scores = default_scores()
    for row in range(8, 12):  # J1's four impact marks, all the same
        scores[row - 1][3] = "7"
    scores = [r for i, r in enumerate(scores, 1) if i < 14 or i > 17]  # J2: 2 pitch marks
    jurors = [*_jurors(), ["J3", "Juror Three", "RUS", ""]]
    return write_event(folder, scores=scores, jurors=jurors)


def _then29(out: Path, reference: Path) -> None:
    flags = {(r["juror_id"], r["criterion"]): r["flag"] for r in _csv(out / "jurors.csv")}
    assert "same mark" in flags["J1", "impact"]
    assert "few marks" in flags["J2", "pitch"]
    assert flags["J3", "pitch"] == flags["J3", "impact"] == "no marks"


def _wide(names: dict[str, str]) -> list[list[str]]:
    rows = default_scores()
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for juror, target, criterion, score in rows[1:]:
        cells.setdefault((juror, target), {})[criterion] = score
    header = ["juror_id", "target_id", names.get("pitch", "pitch"), names.get("impact", "impact")]
    body = [
        [j, t, marks.get("pitch", ""), marks.get("impact", "")]
        for (j, t), marks in sorted(cells.items())
    ]
    return [header, *body]


_MISSPELT = {"impact": "impakt", "pitch": "Выступление"}


def _row30_diff(folder: Path) -> Path:
    return write_event(folder, scores=_wide(_MISSPELT))


def _row30_alias(folder: Path) -> Path:
    alias = '[aliases]\ncriterion = { "impakt" = "impact", "Выступление" = "pitch" }\n'
    return write_event(folder, scores=_wide(_MISSPELT), extra=alias)


def _then30(out: Path, reference: Path) -> None:
    _same_delegation(out, reference, ("selection.csv", "ranking.csv"))


_BAD_WEIGHTS = CRITERIA.replace('weight = "50%"', 'weight = "30%"')


def _row31_sum(folder: Path) -> Path:
    return write_event(folder, criteria=_BAD_WEIGHTS)


def _row31_normalised(folder: Path) -> Path:
    return write_event(folder, criteria=_BAD_WEIGHTS, event_keys="normalise_weights = true")


def _then31(out: Path, reference: Path) -> None:
    config = _audit(out)["config"]
    assert isinstance(config, dict) and config["event"]["normalise_weights"] is True


def _then31_percent(out: Path, reference: Path) -> None:
    config = _audit(out)["config"]
    assert isinstance(config, dict)
    assert [c["weight"] for c in config["criteria"]] == [0.5, 0.5]  # "50%" read as 0.5


# ---- row 33: wrong files


def _wrong_file(name: str, make: Callable[[Path], object]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        write_event(folder, names={"scores": name})
        make(folder / name)
        return folder

    return build


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 56


# ---- rows 34-35: hostile and personal text


_HOSTILE = {
    "Amani Njoroge": '=HYPERLINK("http://x","y")',
    "Tunde Bello": "+7 999 123-45-67",
    "Salma Haddad": "-Anna",
    "Айдар Сапаров": "@SUM(1)",
}


def _row34(folder: Path) -> Path:
    return write_event(folder, candidates=[[_HOSTILE.get(c, c) for c in r] for r in _cands()])


def _then34(out: Path, reference: Path) -> None:
    text = (out / "ranking.csv").read_text(encoding="utf-8-sig")
    for name in _HOSTILE.values():
        assert f"'{name}" in text or f"\"'{name}" in text.replace('""', '"'), name
    book = openpyxl.load_workbook(out / "results.xlsx")
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert set(_HOSTILE.values()) <= texts  # text cells, written as typed


_PERSONAL = ("4510 123456", "+7 900 555 01 01", "ul. Tverskaya 7")


def _row35(folder: Path) -> Path:
    rows = _cands()
    rows[0] += ["passport", "phone", "address"]
    for row in rows[1:]:
        row += list(_PERSONAL)
    return write_event(folder, candidates=rows)


def _then35(out: Path, reference: Path) -> None:
    for name, data in _snapshot(out).items():
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(out / name) as book:
                data = b"".join(book.read(n) for n in book.namelist())
        for secret in (*_PERSONAL, "passport"):
            assert secret.encode() not in data, (name, secret)
    _same_delegation(out, reference)


# ---- section 2 of issue 14, on the example event


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def _example(
    folder: Path,
    *,
    candidates: Callable[[list[list[str]]], object] | None = None,
    scores: Callable[[list[list[str]]], object] | None = None,
    jurors: Callable[[list[list[str]]], object] | None = None,
    toml: Callable[[str], str] | None = None,
) -> Path:
    """Copy the example event into ``folder``, editing its tables' rows and event.toml."""
    shutil.copytree(EXAMPLE_EVENT, folder)
    for name, edit in (
        ("candidates.csv", candidates),
        ("scores.csv", scores),
        ("jurors.csv", jurors),
    ):
        if edit is not None:
            rows = _read_rows(folder / name)
            edit(rows)
            (folder / name).write_text(csv_text(rows), encoding="utf-8")
    if toml is not None:
        path = folder / "event.toml"
        path.write_text(toml(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def _row_of(rows: list[list[str]], first: str) -> list[str]:
    return next(r for r in rows if r[0] == first)


def _spreadsheet_row(rows: list[list[str]], first: str) -> int:
    return next(i for i, r in enumerate(rows, 1) if r[0] == first)


def _example_rows(name: str) -> list[list[str]]:
    return _read_rows(EXAMPLE_EVENT / name)


_EX_CANDS = _example_rows("candidates.csv")


def _two_africas(rows: list[list[str]]) -> None:
    _row_of(rows, "AF-02")[2] = "africa"
    _row_of(rows, "AF-03")[2] = "\u0410frica"  # a Cyrillic А


def _s2_groups(folder: Path) -> Path:
    return _example(folder, candidates=_two_africas)


def _s2_groups_aliased(folder: Path) -> Path:
    alias = '[aliases]\ngroup = { "africa" = "Africa", "\u0410frica" = "Africa" }\n\n'
    return _example(
        folder, candidates=_two_africas, toml=lambda t: t.replace("[scoring]", alias + "[scoring]")
    )


def _then_twelve(out: Path, reference: Path) -> None:
    chosen = _csv(out / "selection.csv")
    assert len(chosen) == 12  # four groups of three, not a fifth group
    assert {r["group"] for r in chosen} == {"Africa", "Asia I", "Asia II", "Latin America"}


def _women(rows: list[list[str]]) -> list[list[str]]:
    return [r for r in rows[1:] if r[4] == "F"]


def _s2_gender(folder: Path) -> Path:
    def edit(rows: list[list[str]]) -> None:
        women = _women(rows)
        women[0][4], women[1][4], women[2][4], women[3][4] = "Ж", "female", "f", "Ж"

    return _example(folder, candidates=edit)


def _s2_gender_declared(folder: Path) -> Path:
    declared = (
        '[attributes.gender]\nvalues = ["F", "M"]\n'
        'aliases = { "Ж" = "F", "female" = "F", "f" = "F" }\n\n'
    )

    def edit(rows: list[list[str]]) -> None:
        women = _women(rows)
        women[0][4], women[1][4], women[2][4], women[3][4] = "Ж", "female", "f", "x"

    return _example(
        folder, candidates=edit, toml=lambda t: t.replace("[scoring]", declared + "[scoring]")
    )


def _s2_gender_declared_ok(folder: Path) -> Path:
    declared = (
        '[attributes.gender]\nvalues = ["F", "M"]\n'
        'aliases = { "Ж" = "F", "female" = "F", "f" = "F" }\n\n'
    )
    return _example(
        folder,
        candidates=lambda rows: [
            w.__setitem__(4, v) for w, v in zip(_women(rows), ("Ж", "female", "f"), strict=False)
        ],
        toml=lambda t: t.replace("[scoring]", declared + "[scoring]"),
    )


def _s2_conflict(folder: Path) -> Path:
    return _example(folder, jurors=lambda rows: _row_of(rows, "J1").__setitem__(6, "Wanjiru Kamau"))


def _s2_question_marks(folder: Path) -> Path:
    shutil.copytree(EXAMPLE_EVENT, folder)
    text = (EXAMPLE_EVENT / "candidates.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    # Excel's cp1251 "CSV" writes '?' for every letter cp1251 lacks (Arabic, Chinese, ç).
    (folder / "candidates.csv").write_bytes(
        csv_text(rows, sep=";").encode("cp1251", errors="replace")
    )
    return folder


def _s2_mojibake(folder: Path) -> Path:
    return _example(
        folder, candidates=lambda rows: _row_of(rows, "AF-04").__setitem__(1, f"{_GARBLED} Kamau")
    )


def _then_mojibake(out: Path, reference: Path) -> None:
    names = {r["candidate_id"]: r["name"] for r in _csv(out / "ranking.csv")}
    assert names["AF-04"] == f"{_GARBLED} Kamau"  # the soft hyphen is kept


def _example_xlsx(folder: Path, book: openpyxl.Workbook) -> Path:
    shutil.copytree(EXAMPLE_EVENT, folder)
    book.save(folder / "scores.xlsx")
    toml = folder / "event.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('scores = "scores.csv"', 'scores = "scores.xlsx"'),
        encoding="utf-8",
    )
    return folder


def _example_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Оценки"
    for i, row in enumerate(_example_rows("scores.csv")):
        sheet.append(row if i == 0 else [*row[:3], float(row[3]) if row[3] else None])
    return book


def _s2_two_sheets(folder: Path) -> Path:
    book = _example_book()
    second = book.copy_worksheet(book.active)
    second.title = "Оценки (2)"
    return _example_xlsx(folder, book)


def _s2_two_sheets_named(folder: Path) -> Path:
    _s2_two_sheets(folder)
    toml = folder / "event.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'scores = "scores.xlsx"', 'scores = "scores.xlsx"\nscores_sheet = "Оценки"'
        ),
        encoding="utf-8",
    )
    return folder


def _s2_hidden_rows(folder: Path) -> Path:
    book = _example_book()
    sheet = book.active
    for row in (5, 6, 7, 40):
        sheet.row_dimensions[row].hidden = True
    return _example_xlsx(folder, book)


def _s2_merged(folder: Path) -> Path:
    shutil.copytree(EXAMPLE_EVENT, folder)
    rows = _example_rows("candidates.csv")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    start = 2
    for end in range(2, len(rows) + 1):
        if end == len(rows) or rows[end][2] != rows[start - 1][2]:
            book.active.merge_cells(f"C{start}:C{end}")  # the group written once per block
            start = end + 1
    book.save(folder / "candidates.xlsx")
    toml = folder / "event.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'candidates = "candidates.csv"', 'candidates = "candidates.xlsx"'
        ),
        encoding="utf-8",
    )
    return folder


def _s2_jurors(folder: Path) -> Path:
    def scores(rows: list[list[str]]) -> None:
        kept = [r for r in rows if r[0] != "J6"]  # J6: no marks at all
        j2_pitch = [r for r in kept if r[0] == "J2" and r[2] == "pitch"]
        for r in j2_pitch[2:]:
            kept.remove(r)  # J2: only two pitch marks
        for r in kept:
            if r[0] == "J1" and r[2] == "pitch":
                r[3] = "7"  # J1: the same mark for every pitch
        rows[:] = kept

    def jurors(rows: list[list[str]]) -> None:
        _row_of(rows, "J5")[1] = _row_of(rows, "J4")[1]  # two ids, one name

    return _example(folder, scores=scores, jurors=jurors)


def _then_jurors(out: Path, reference: Path) -> None:
    flags = {(r["juror_id"], r["criterion"]): r["flag"] for r in _csv(out / "jurors.csv")}
    assert "same mark" in flags["J1", "pitch"]
    assert "few marks" in flags["J2", "pitch"]
    assert flags["J6", "pitch"] == "no marks"
    assert "same name" in flags["J4", "pitch"] and "same name" in flags["J5", "pitch"]


def _s2_same_name(folder: Path) -> Path:
    return _example(
        folder, candidates=lambda rows: _row_of(rows, "AF-05").__setitem__(1, "Wanjiru Kamau")
    )


def _s2_suggest_dash(folder: Path) -> Path:
    def edit(rows: list[list[str]]) -> None:
        next(r for r in rows if r[1] == "AF-01")[1] = "AF 01"

    return _example(folder, scores=edit)


def _s2_suggest_zeros(folder: Path) -> Path:
    def candidates(rows: list[list[str]]) -> None:
        _row_of(rows, "AF-01")[0] = "007"

    def scores(rows: list[list[str]]) -> None:
        marks = [r for r in rows if r[1] == "AF-01"]
        for r in marks:
            r[1] = "007"
        marks[0][1] = "7"  # Excel dropped the zeros in one cell

    return _example(folder, candidates=candidates, scores=scores)


def _s2_scales(folder: Path) -> Path:
    return _example(
        folder,
        toml=lambda t: t.replace(
            'weight = "25%"\nmin = 1\nmax = 10', 'weight = "25%"\nmin = 1\nmax = 100'
        ),
    )


def _s2_no_seed(folder: Path) -> Path:
    return _example(folder, toml=lambda t: t.replace("seed = 2019\n", ""))


def _s2_rule_attribute(folder: Path) -> Path:
    return _example(
        folder, toml=lambda t: t.replace('attribute = "gender"', 'attribute = "Gender"', 1)
    )


_THREE_WOMEN = (
    '\n[[selection.constraints]]\nname = "three women per group"\nkind = "at_least"\n'
    'attribute = "gender"\nvalue = "F"\ncount = 3\nscope = "group"\n'
)


def _s2_quota(folder: Path) -> Path:
    return _example(folder, toml=lambda t: t + _THREE_WOMEN)


def _s2_disconnected(folder: Path) -> Path:
    # J7 and J8 heard both panels; without them panel A and panel B share no juror.
    def scores(rows: list[list[str]]) -> None:
        rows[:] = [r for r in rows if r[0] not in ("J7", "J8")]

    def jurors(rows: list[list[str]]) -> None:
        rows[:] = [r for r in rows if r[0] not in ("J7", "J8")]

    return _example(folder, scores=scores, jurors=jurors)


def _s2_blank_attribute(folder: Path) -> Path:
    # Every Africa candidate's country left blank or spaces: blanks are no country, so
    # "two per country" does not hold them back (were "" a value, three blanks would
    # collide and Africa could seat only two).
    def edit(rows: list[list[str]]) -> None:
        for i, row in enumerate(r for r in rows[1:] if r[2] == "Africa"):
            row[5] = ("", " ", "\u00a0")[i % 3]

    return _example(folder, candidates=edit)


def _then_blank(out: Path, reference: Path) -> None:
    chosen = [r for r in _csv(out / "selection.csv") if r["group"] == "Africa"]
    assert len(chosen) == 3


def _then_declared(out: Path, reference: Path) -> None:
    ranking = _csv(out / "ranking.csv")
    assert len(ranking) == 80


CASES: dict[str, Case] = {
    # ------------------------------------------------------------ BAD-INPUTS.md rows
    "row01-russian-excel-csv": Case(_row01, "fix", then=_then01),
    "row02-utf8-bom": Case(_row02, "fix", then=_then02),
    "row03-mojibake": Case(
        _row03,
        "warn",
        "text.mojibake",
        where=(f"candidates.csv, row 4, column 'name', value '{_GARBLED} Souza'",),
        text=("kept exactly as read",),
        then=_then03,
    ),
    "row04-question-marks": Case(
        _row04,
        "warn",
        "text.question_marks",
        where=(
            "candidates.csv, row 3, column 'name', value 'Mar?a Jos?'",
            "candidates.csv, row 4, column 'name', value 'Gon?alves'",
        ),
        text=(".xlsx", "CSV UTF-8"),
    ),
    "row05-utf16-unicode-text": Case(_row05, "fix", then=_then05),
    "row06-unquoted-decimal-comma": Case(
        _row06,
        "reject",
        "csv.decimal_comma",
        where=("scores.csv, row 3", "scores.csv, row 5"),
        text=("decimal comma",),
    ),
    "row07-mixed-decimal-marks": Case(_row07, "fix", then=_then07),
    "row07-ambiguous-number": Case(
        _row07_ambiguous,
        "reject",
        "score.ambiguous",
        where=("scores.csv, row 5, column 'score', value '1,234'",),
        text=("1.234", "1234"),
    ),
    "row08-spaces-in-numbers": Case(
        _row08,
        "warn",
        "text.normalised",
        where=("scores.csv, row 3, column 'score', value ' 5 '",),
        text=("rows 3, 4, 5",),
        then=_then_same,
    ),
    "row09-date": Case(
        _row09,
        "reject",
        "score.date",
        where=("scores.csv, row 3, column 'score', value '08.май'",),
        text=("Excel turned the mark into a date",),
    ),
    "row10-booleans": Case(
        _row10,
        "reject",
        "score.boolean",
        where=(
            "scores.csv, row 3, column 'score', value 'TRUE'",
            "scores.csv, row 5, column 'score', value 'ЛОЖЬ'",
            "scores.csv, row 4, column 'score', value '✓'",
        ),
        text=("TRUE/FALSE, not a mark",),
    ),
    "row11-out-of-range": Case(
        _row11,
        "reject",
        "score.out_of_scale",
        where=(
            "scores.csv, row 3, column 'score', value '11'",
            "scores.csv, row 4, column 'score', value '-1'",
            "scores.csv, row 5, column 'score', value '85'",
        ),
        text=("above the scale 1-10", "below the scale 1-10"),
    ),
    "row12-not-scored-token": Case(
        _row12_token,
        "warn",
        "score.not_scored",
        where=("scores.csv, row 3, column 'score', value 'н/я'",),
        then=_then12,
    ),
    "row12-unknown-tokens": Case(
        _row12_unknown,
        "reject",
        "score.not_number",
        where=tuple(
            f"scores.csv, row {r}, column 'score', value '{v}'"
            for r, v in ((3, "abs"), (4, "—"), (5, "?"), (6, "x"))
        ),
        text=("'not scored' tokens",),
    ),
    "row13-blank-is-not-zero": Case(_row13, "fix", then=_then13),
    "row14-formula-and-excel-error": Case(
        _row14,
        "reject",
        "xlsx.formula_no_value",
        where=(
            "scores.xlsx, sheet 'Sheet', row 3, column 'score', value '=AVERAGE(E3:F3)'",
            "scores.xlsx, sheet 'Sheet', row 5, column 'score', value '#DIV/0!'",
        ),
        text=("Cell D3", "save"),
    ),
    "row15-instruction-sheet-first": Case(_row15_instructions, "fix", then=_then15),
    "row15-several-data-sheets": Case(
        _row15_several,
        "reject",
        "xlsx.several_data_sheets",
        where=("scores.xlsx, value 'Оценки, Оценки (2)'",),
        text=("scores_sheet",),
    ),
    "row16-title-rows": Case(_row16_titles, "fix", then=_then16),
    "row16-no-header": Case(
        _row16_missing,
        "reject",
        "columns.missing",
        where=("scores.csv, row 1, column 'juror_id'",),
        text=("juror_id, target_id",),
    ),
    "row17-merged-group-cells": Case(
        _row17,
        "warn",
        "xlsx.merged_filled",
        where=("candidates.xlsx, sheet 'Sheet', row 3, column 'group', value 'Africa'",),
        text=("rows 2-4 'Africa', rows 5-7 'Asia'; 4 row(s) filled",),
        then=_then_same,
    ),
    "row18-hidden-rows-and-filter": Case(
        _row18,
        "warn",
        "xlsx.hidden_rows",
        where=("scores.xlsx, sheet 'Sheet', row 12",),
        text=("filter is active on A1:D21", "rows 12, 13, 14"),
        then=_then_same,
    ),
    "row19-totals-rows": Case(
        _row19,
        "warn",
        "text.totals_row",
        where=("candidates.csv, row 8, column 'name', value 'Итого'",),
        then=_then19,
    ),
    "row20-identical-duplicate": Case(
        _row20_identical,
        "warn",
        "score.duplicate_identical",
        where=("scores.csv, row 22, column 'score', value '4'",),
        text=("rows 2, 22",),
        then=_then_same,
    ),
    "row20-conflicting-duplicate": Case(
        _row20_conflicting,
        "reject",
        "score.duplicate_conflicting",
        where=("scores.csv, row 22, column 'score', value '9'",),
        text=("4 (row 2), 9 (row 22)",),
    ),
    "row21-juror-id-spaces": Case(_row21_spaces, "fix", then=_then21),
    "row21-juror-id-case": Case(
        _row21_case,
        "reject",
        "id.unknown_juror",
        where=("scores.csv, row 2, column 'juror_id', value 'j1'",),
        text=("Did you mean 'J1'?",),
    ),
    "row21-jurors-same-name": Case(
        _row21_same_name,
        "warn",
        "juror.same_name",
        where=("jurors.csv, row 3, column 'name', value 'Иванова а.'",),
        text=("J1 (row 2) and J2 (row 3)",),
    ),
    "row22-name-forms-and-scripts": Case(
        _row22_names,
        "warn",
        "text.mixed_script",
        where=("candidates.csv, row 5, column 'name', value 'Ng\u0443yễn Thị Mai'",),
        text=("Cyrillic 'у'",),
        then=_then22,
    ),
    "row22-look-alike-group": Case(
        _row22_group,
        "reject",
        "id.near_duplicate",
        where=("candidates.csv, row 4, column 'group', value '\u0410frica'",),
        text=("Latin 'A' / Cyrillic 'А'", "(rows 2, 3)"),
    ),
    "row23-same-name-two-students": Case(
        _row23,
        "warn",
        "candidate.same_name",
        where=("candidates.csv, row 4, column 'name', value 'Amani Njoroge'",),
        text=("A1 (Africa, row 2), A3 (Africa, row 4) and S3 (Asia, row 7)",),
        then=_then23,
    ),
    "row24-id-as-float": Case(
        _row24_float,
        "warn",
        "id.excel_number",
        where=("candidates.csv, row 2, column 'candidate_id', value '12.0'",),
        then=_then24,
    ),
    "row24-id-scientific": Case(
        _row24_scientific,
        "reject",
        "id.scientific",
        where=("candidates.csv, row 2, column 'candidate_id', value '1.23E+15'",),
    ),
    "row24-id-lost-zeros": Case(
        _row24_zeros,
        "reject",
        "id.unknown_target",
        where=("scores.csv, row 2, column 'target_id', value '7'",),
        text=("'007'",),
    ),
    "row25-student-in-two-groups": Case(
        _row25,
        "reject",
        "candidate.two_groups",
        where=("candidates.csv, row 6, column 'group', value 'A1'",),
        text=("groups Africa, Asia (rows 2, 6)",),
    ),
    "row26-group-without-eligible": Case(
        _row26,
        "infeasible",
        "selection.too_few_eligible",
        where=("group Asia",),
        text=("0 eligible candidates",),
        then=_then26,
    ),
    "row27-quota-cannot-be-met": Case(
        _row27,
        "infeasible",
        "selection.min_unavailable",
        text=("'woman in every group'",),
        then=_then27,
    ),
    "row28-conflict-naming-nobody": Case(
        _row28_unknown,
        "reject",
        "conflict.unknown",
        where=(
            "jurors.csv, row 2, column 'conflicts', value 'Salma Haddad'",
            "jurors.csv, row 2, column 'conflicts', value 'P9'",
        ),
        text=("is the name of candidate A3 (Africa): write 'A3'",),
    ),
    "row28-conflicts-excluded": Case(_row28_excluded, "fix", then=_then28),
    "row29-jurors-few-or-same-marks": Case(
        _row29,
        "warn",
        "juror.no_spread",
        where=(
            "scores.csv, row 8, column 'juror_id', value 'J1'",
            "scores.csv, row 12, column 'juror_id', value 'J2'",
            "jurors.csv, row 4, column 'juror_id', value 'J3'",
        ),
        then=_then29,
    ),
    "row30-criteria-headers-differ": Case(
        _row30_diff,
        "reject",
        "criteria.unknown",
        where=("scores.csv, row 1, column 'impakt'",),
        text=("sheet has 'impakt', event.toml has 'impact'",),
    ),
    "row30-criteria-aliased": Case(_row30_alias, "fix", then=_then30),
    "row31-percent-weights": Case(lambda f: write_event(f), "fix", then=_then31_percent),
    "row31-weights-sum": Case(
        _row31_sum,
        "reject",
        "config.weights_sum",
        where=("event.toml, key 'criteria.weight', value '0.8'",),
        text=("normalise_weights",),
    ),
    "row31-weights-normalised": Case(_row31_normalised, "fix", then=_then31),
    "row33-lock-file": Case(
        _wrong_file("~$scores.xlsx", lambda p: p.write_bytes(b"\x00lock")),
        "reject",
        "file.lock_file",
        where=("~$scores.xlsx",),
        text=("lock file",),
    ),
    "row33-old-xls": Case(
        _wrong_file("scores.xls", lambda p: p.write_bytes(_OLE)),
        "reject",
        "file.old_xls",
        where=("scores.xls",),
        text=("97-2003",),
    ),
    "row33-encrypted": Case(
        _wrong_file(
            "scores.xlsx", lambda p: p.write_bytes(_OLE + "EncryptedPackage".encode("utf-16-le"))
        ),
        "reject",
        "file.encrypted",
        where=("scores.xlsx",),
        text=("password",),
    ),
    "row33-csv-named-xlsx": Case(
        _wrong_file("scores.xlsx", lambda p: p.write_text("juror_id,target_id\n")),
        "reject",
        "file.wrong_type",
        where=("scores.xlsx",),
        text=("a text (CSV) file",),
    ),
    "row33-html-named-xlsx": Case(
        _wrong_file("scores.xlsx", lambda p: p.write_text("<html><table>")),
        "reject",
        "file.wrong_type",
        where=("scores.xlsx",),
        text=("an HTML page",),
    ),
    "row33-ods": Case(
        _wrong_file("scores.ods", write_ods),
        "reject",
        "file.wrong_type",
        where=("scores.ods",),
        text=("OpenDocument spreadsheet",),
    ),
    "row33-numbers": Case(
        _wrong_file("scores.numbers", write_numbers_folder),
        "reject",
        "file.wrong_type",
        where=("scores.numbers",),
        text=("Apple Numbers",),
    ),
    "row34-formula-like-names": Case(_row34, "fix", then=_then34),
    "row35-personal-columns-not-copied": Case(_row35, "fix", then=_then35),
    # ------------------------------------------------------- issue 14, section 2 bullets
    "s2-group-spelt-two-ways": Case(
        _s2_groups,
        "reject",
        "id.near_duplicate",
        where=(
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, 'AF-02')}, column 'group', "
            "value 'africa'",
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, 'AF-03')}, column 'group', "
            "value '\u0410frica'",
        ),
        text=("'Africa'", "'africa' only in case", "Latin 'A' / Cyrillic 'А'"),
    ),
    "s2-group-spellings-aliased": Case(_s2_groups_aliased, "fix", then=_then_twelve),
    "s2-gender-values-near-a-rule-value": Case(
        _s2_gender,
        "warn",
        "attribute.near_value",
        where=(
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, _women(_EX_CANDS)[2][0])}, "
            "column 'gender', value 'f'",
        ),
        text=("'woman in every group'",),
        check_only=(
            "gender: F 33 (woman in every group; 45% women overall), M 43 (man in every "
            "group), f 1 (no rule counts it), female 1 (no rule counts it), Ж 2 (no rule "
            "counts it)",
        ),
    ),
    "s2-gender-values-declared": Case(
        _s2_gender_declared,
        "reject",
        "attribute.unknown_value",
        where=(
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, _women(_EX_CANDS)[3][0])}, "
            "column 'gender', value 'x'",
        ),
    ),
    "s2-gender-values-declared-with-aliases": Case(
        _s2_gender_declared_ok,
        "fix",
        then=_then_declared,
        check_only=("gender: F 37 (woman in every group; 45% women overall), M 43",),
    ),
    "s2-conflict-naming-nobody": Case(
        _s2_conflict,
        "reject",
        "conflict.unknown",
        where=("jurors.csv, row 2, column 'conflicts', value 'Wanjiru Kamau'",),
        text=("write 'AF-03'",),
    ),
    "s2-question-marks-of-cp1251": Case(
        _s2_question_marks,
        "warn",
        "text.question_marks",
        where=("candidates.csv, row 2, column 'name', value '???? ??? ??????'",),
        text=(".xlsx", "CSV UTF-8"),
    ),
    "s2-mojibake-kept": Case(
        _s2_mojibake,
        "warn",
        "text.mojibake",
        where=(
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, 'AF-04')}, column 'name', "
            f"value '{_GARBLED} Kamau'",
        ),
        then=_then_mojibake,
    ),
    "s2-two-matching-sheets": Case(
        _s2_two_sheets,
        "reject",
        "xlsx.several_data_sheets",
        where=("scores.xlsx, value 'Оценки, Оценки (2)'",),
        text=("scores_sheet",),
    ),
    "s2-two-matching-sheets-one-named": Case(_s2_two_sheets_named, "fix"),
    "s2-hidden-rows": Case(
        _s2_hidden_rows,
        "warn",
        "xlsx.hidden_rows",
        where=("scores.xlsx, sheet 'Оценки', row 5",),
        text=("rows 5, 6, 7, 40",),
    ),
    "s2-merged-group-cells-said-once": Case(
        _s2_merged, "warn", "xlsx.merged_filled", text=("76 row(s) filled",)
    ),
    "s2-jurors-flat-few-none-same-name": Case(
        _s2_jurors, "warn", "juror.no_spread", then=_then_jurors
    ),
    "s2-candidates-same-name": Case(
        _s2_same_name,
        "warn",
        "candidate.same_name",
        where=(
            # the second of the two, whose message names both rows
            f"candidates.csv, row {_spreadsheet_row(_EX_CANDS, 'AF-05')}, column 'name', "
            "value 'Wanjiru Kamau'",
        ),
        text=("AF-03 (Africa, row 4) and AF-05 (Africa, row 6)",),
    ),
    "s2-suggestion-by-normalised-form": Case(
        _s2_suggest_dash,
        "reject",
        "id.unknown_target",
        text=("'AF 01'", "Did you mean 'AF-01'?"),
    ),
    "s2-suggestion-lost-zeros": Case(
        _s2_suggest_zeros, "reject", "id.unknown_target", text=("'7'", "'007'")
    ),
    "s2-criteria-on-different-scales": Case(
        _s2_scales,
        "warn",
        "criteria.mixed_scales",
        where=("event.toml, key 'criteria'",),
        text=("native points",),
    ),
    "s2-no-seed": Case(
        _s2_no_seed,
        "warn",
        "config.default_seed",
        where=("event.toml, key 'selection.seed', value '2019'",),
        text=("No seed given, using 2019",),
    ),
    "s2-rule-on-a-missing-attribute": Case(
        _s2_rule_attribute,
        "reject",
        "selection.invalid_rule",
        text=("attribute 'Gender' is not a candidate column",),
    ),
    "s2-quota-the-pool-cannot-meet": Case(_s2_quota, "infeasible", text=("three women per group",)),
    "s2-disconnected-jury": Case(_s2_disconnected, "warn", "calibrate.disconnected"),
    "s2-blank-attribute-is-missing": Case(
        _s2_blank_attribute,
        "fix",
        then=_then_blank,
        check_only=("(blank) 20 (not counted)",),
    ),
}


def _flat(text: str) -> str:
    """The text with every run of whitespace one space (the census wraps its lines)."""
    return " ".join(text.split())


def _assert_said(case: Case, said: Said, severity: str) -> None:
    if case.code is not None:
        assert case.code in _codes(said.out)[severity], said.out
    for where in case.where:
        # A location ends its line's place: ':' before the message, or ',' / the end of the
        # line when issues of one code are listed under it (never 'row 3' for 'row 30').
        assert re.search(re.escape(where) + r"(?:[:,]|$)", said.out, re.M), (where, said.out)
    for text in case.text:
        assert text in said.out, (text, said.out)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_through_check_and_run(
    name: str, tmp_path: Path, reference: Path, earlier: Path
) -> None:
    case = CASES[name]
    folder = case.make(tmp_path / "event")
    inputs = _snapshot(folder)
    check = _cli("check", folder)
    out = tmp_path / "out"
    run = _cli("run", folder, "--out", out)
    assert _snapshot(folder) == inputs  # neither command touches the inputs
    for text in case.check_only:
        assert _flat(text) in _flat(check.out), (text, check.out)
    if case.outcome == "reject":
        assert (check.code, run.code) == (1, 1), (check.text, run.text)
        _assert_said(case, check, "error")
        _assert_said(case, run, "error")
        assert _codes(check.out)["error"] == _codes(run.out)["error"]
        assert not out.exists()
        used = tmp_path / "used"
        shutil.copytree(earlier, used)
        before = _snapshot(used)
        again = _cli("run", folder, "--out", used)
        assert again.code == 1
        assert _snapshot(used) == before
        return
    if case.outcome == "infeasible":
        # check finds it before any solve; run solves what it can, explains, exits 3.
        assert (check.code, run.code) == (1, 3), (check.text, run.text)
        assert "`pitch-jury run` would stop on these" in check.out
        _assert_said(case, check, "error")
        for text in case.text:
            assert text in run.out, (text, run.out)
        assert "Smallest relaxation" in run.out or "relax" in run.out.lower()
    else:
        assert (check.code, run.code) == (0, 0), (check.text, run.text)
        assert not _codes(check.out)["error"] and not _codes(run.out)["error"]
        if case.outcome == "warn":
            _assert_said(case, check, "warning")
            _assert_said(case, run, "warning")
            page = (out / "report.html").read_text(encoding="utf-8")
            assert case.code is not None and case.code in page
            for where in case.where:
                assert html.escape(where) in page, where
    assert f"files to {out}" in run.out  # says where the results went
    if case.then is not None:
        case.then(out, reference)


def test_every_behaviour_of_the_table_has_a_case() -> None:
    rows = {int(m.group(1)) for name in CASES if (m := re.match(r"row(\d\d)-", name))}
    special = {32, 36, 37, 38}  # tests of their own below
    assert rows | special == set(range(1, 39))


# --------------------------------------------------------------------------- row 32


@pytest.mark.parametrize("lock", ["~$results.xlsx", ".~lock.ranking.csv#"])
def test_row32_an_output_open_in_excel_keeps_the_earlier_outputs(
    tmp_path: Path, earlier: Path, lock: str
) -> None:
    # The issue stands over the table: a run is swapped in whole or not at all, so with
    # a workbook open the earlier outputs stay as they were and the message says why.
    used = tmp_path / "итоги отбора"
    shutil.copytree(earlier, used)
    (used / lock).write_bytes(b"owner")
    before = _snapshot(used)
    said = _cli("run", write_event(tmp_path / "event"), "--out", used)
    assert said.code == 5
    assert lock in said.out and "open in a spreadsheet program" in said.out
    assert "untouched" in said.out
    assert _snapshot(used) == before
    (used / lock).unlink()  # Excel closed: the same command now works
    assert _cli("run", tmp_path / "event", "--out", used, "--quiet").code == 0


# --------------------------------------------------------------------------- row 36


def test_row36_reordered_rows_give_byte_identical_outputs(tmp_path: Path, reference: Path) -> None:
    jurors = _jurors()
    shuffled = write_event(
        tmp_path / "event",
        scores=[default_scores()[0], *reversed(default_scores()[1:])],
        candidates=[CANDIDATES[0], *reversed(CANDIDATES[1:])],
        jurors=[jurors[0], *reversed(jurors[1:])],
    )
    said = _cli("run", shuffled, "--out", tmp_path / "out", "--quiet")
    assert said.code == 0, said.text
    a, b = _audit(reference), _audit(tmp_path / "out")
    # The report shows the audit, whose input files' sha256 differ (the files do); all
    # else is the same byte for byte.
    inputs: list[Any] = [x["inputs"] for x in (a, b)]
    hashes = re.compile("|".join(str(i["sha256"]) for x in inputs for i in x.values()))
    for name in _snapshot(reference):
        if name.endswith(".csv") or name == "report.html":
            ours = hashes.sub("<sha256>", (tmp_path / "out" / name).read_text("utf-8"))
            theirs = hashes.sub("<sha256>", (reference / name).read_text("utf-8"))
            assert ours == theirs, name
    assert a["scores_sha256"] == b["scores_sha256"]  # the normalised marks hash alike
    assert a["inputs"] != b["inputs"]  # while the files themselves differ


# --------------------------------------------------------------------------- row 37


def test_row37_a_missing_seed_is_said_recorded_and_reproducible(tmp_path: Path) -> None:
    folder = write_event(tmp_path / "event", seed=None)
    said = _cli("run", folder, "--out", tmp_path / "dry")
    assert said.code == 0
    assert "config.default_seed" in _codes(said.out)["warning"]
    assert "No seed given, using 2019" in said.out
    audit = _audit(tmp_path / "dry")
    assert audit["seed"] == 2019
    # the final run with the seed the manifest shows reproduces the dry run
    again = _cli("run", folder, "--out", tmp_path / "final", "--seed", audit["seed"])
    assert again.code == 0
    assert "config.default_seed" not in again.out and "No seed given" not in again.out
    for name in CSV_OUTPUTS:
        assert (tmp_path / "final" / name).read_bytes() == (tmp_path / "dry" / name).read_bytes()


@pytest.mark.parametrize("seed", [2019, 7])
def test_row37_a_seed_on_the_command_line_is_the_seed(tmp_path: Path, seed: int) -> None:
    folder = write_event(tmp_path / "event", seed=None)
    said = _cli("run", folder, "--out", tmp_path / "out", "--seed", seed)
    assert said.code == 0, said.text
    assert "No seed given" not in said.text and "config.default_seed" not in said.text
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "No seed given" not in page and "config.default_seed" not in page
    audit = _audit(tmp_path / "out")
    config = audit["config"]
    assert isinstance(config, dict)
    assert audit["seed"] == config["selection"]["seed"] == seed
    assert f"(seed {seed})" in said.out
    explained = _cli("explain", folder, "A1", "--seed", seed)
    assert explained.code == 0 and "No seed given" not in explained.text


# --------------------------------------------------------------------------- row 38


def test_row38_cyrillic_paths_with_spaces_from_a_read_only_folder(tmp_path: Path) -> None:
    folder = write_event(
        tmp_path / "Жюри 2024" / "мои оценки",
        names={"candidates": "участники группы.csv", "scores": "оценки жюри.csv"},
    )
    before = _snapshot(folder)
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert _cli("check", folder).code == 0
        out = tmp_path / "Итоги отбора" / "финал 2024"
        said = _cli("run", folder / "event.toml", "--out", out)
    finally:
        os.chmod(folder, stat.S_IRWXU)
    assert said.code == 0, said.text
    assert f"Wrote 10 files to {out}:" in said.out  # says where the results went
    assert (out / "selection.csv").is_file()
    assert _snapshot(folder) == before


def test_row38_an_output_folder_that_cannot_be_written_exits_5(tmp_path: Path) -> None:
    folder = write_event(tmp_path / "event")
    blocker = tmp_path / "не папка"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    said = _cli("run", folder, "--out", blocker / "out")
    assert said.code == 5 and "Cannot write" in said.out
    assert str(blocker) in said.out
    assert not (blocker.parent / "out").exists()


def test_row38_a_read_only_output_folder_exits_5_before_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_event(tmp_path / "event")
    locked = tmp_path / "только чтение"
    locked.mkdir()
    if os.name != "posix" or os.geteuid() == 0:
        # Root (and Windows) write into a read-only folder anyway: the system refuses
        # the new folder as it refuses it to anyone else, everywhere else is untouched.
        real_mkdir = os.mkdir

        def refuse(path: Any, *args: Any, **kwargs: Any) -> None:
            if Path(path).parent == locked:
                raise PermissionError(13, "Permission denied", str(path))
            real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", refuse)
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    try:
        said = _cli("run", folder, "--out", locked / "out")
    finally:
        os.chmod(locked, stat.S_IRWXU)
    assert said.code == 5 and str(locked) in said.out
    assert list(locked.iterdir()) == []
