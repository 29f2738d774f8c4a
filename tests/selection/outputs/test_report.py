"""Report and output safety: self-contained escaped HTML, XLSX without formulas, safe CSV."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.ingest.load import load_event
from selection.outputs.export import write_run
from selection.pipeline import run_event
from tests.eventfiles import CANDIDATES, write_event

HOSTILE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [list(r) for r in CANDIDATES]
    rows[1][1] = HOSTILE
    rows[2][1] = FORMULA
    rows[3][1] = "@SUM(1)"
    folder = write_event(tmp_path_factory.mktemp("hostile") / "event", candidates=rows)
    result = run_event(load_event(folder))
    out = folder.parent / "out"
    write_run(result, str(out))  # a plain string path works as well as a Path
    return out


def test_html_is_self_contained(hostile_out: Path) -> None:
    page = (hostile_out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()


def test_html_escapes_names(hostile_out: Path) -> None:
    page = (hostile_out / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_xlsx_has_no_formulas_and_keeps_text(hostile_out: Path) -> None:
    book = openpyxl.load_workbook(hostile_out / "results.xlsx")
    assert book.sheetnames[0] == "About"
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert FORMULA in texts and "@SUM(1)" in texts


def test_csv_neutralises_formula_cells(hostile_out: Path) -> None:
    text = (hostile_out / "ranking.csv").read_text(encoding="utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    names = set(frame["name"])
    assert "'" + FORMULA in names and "'@SUM(1)" in names
    assert not any(n.startswith(("=", "+", "@")) for n in names)


def test_names_in_any_script_survive_every_output(hostile_out: Path) -> None:
    expected = {"Nguyễn Thị Mai", "Айдар Сапаров", "王小明"}
    ranking = pd.read_csv(hostile_out / "ranking.csv", encoding="utf-8-sig", dtype=str)
    assert expected <= set(ranking["name"])
    page = (hostile_out / "report.html").read_text(encoding="utf-8")
    assert all(name in page for name in expected)
    book = openpyxl.load_workbook(hostile_out / "results.xlsx")
    sheet = book["ranking"]
    header = [c.value for c in sheet[1]]
    column = header.index("name")
    assert expected <= {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_repr_html_escapes(tmp_path: Path) -> None:
    rows = [list(r) for r in CANDIDATES]
    for index, row in enumerate(rows[1:], start=1):
        row[1] = f"{HOSTILE} {index}"  # whoever is selected carries the hostile name
    result = run_event(load_event(write_event(tmp_path, candidates=rows)))
    shown = result._repr_html_()
    assert HOSTILE not in shown and "&lt;img" in shown
