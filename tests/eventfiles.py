"""Write tiny events to disk for ingest and CLI tests.

The default event is valid: two groups (Africa, Asia) of three candidates in projects,
two jurors, a candidate-level criterion ``pitch`` and a project-level ``impact``, one seat
per group, seed 2019.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CANDIDATES: list[list[str]] = [
    ["candidate_id", "name", "group", "project", "gender", "eligible"],
    ["A1", "Amani Njoroge", "Africa", "P1", "F", "yes"],
    ["A2", "Tunde Bello", "Africa", "P1", "M", "yes"],
    ["A3", "Salma Haddad", "Africa", "P2", "F", "yes"],
    ["S1", "Nguyễn Thị Mai", "Asia", "P3", "F", "yes"],
    ["S2", "Айдар Сапаров", "Asia", "P3", "M", "yes"],
    ["S3", "王小明", "Asia", "P4", "M", "yes"],
]

JURORS: list[list[str]] = [
    ["juror_id", "name", "country", "conflicts"],
    ["J1", "Juror One", "KEN", ""],
    ["J2", "Juror Two", "RUS", ""],
]


def default_scores() -> list[list[str]]:
    """Long-form marks: every juror scores every candidate (pitch) and project (impact)."""
    rows = [["juror_id", "target_id", "criterion", "score"]]
    for j, juror in enumerate(("J1", "J2")):
        for k, cand in enumerate(("A1", "A2", "A3", "S1", "S2", "S3")):
            rows.append([juror, cand, "pitch", str(4 + (k + j) % 6)])
        for k, project in enumerate(("P1", "P2", "P3", "P4")):
            rows.append([juror, project, "impact", str(5 + (k * 2 + j) % 5)])
    return rows


CRITERIA = """
[[criteria]]
name = "pitch"
weight = 0.5
min = 1
max = 10
level = "candidate"

[[criteria]]
name = "impact"
weight = "50%"
min = 1
max = 10
level = "project"
"""


def csv_text(rows: Sequence[Sequence[object]], sep: str = ",") -> str:
    """Return rows as CSV text (quoted where needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_event(
    folder: Path,
    *,
    candidates: Sequence[Sequence[object]] | str | None = None,
    scores: Sequence[Sequence[object]] | str | None = None,
    jurors: Sequence[Sequence[object]] | str | None = None,
    with_jurors: bool = True,
    criteria: str = CRITERIA,
    extra: str = "",
    event_keys: str = "",
    names: dict[str, str] | None = None,
    seed: int | None = 2019,
) -> Path:
    """Write event.toml and the CSV files; return the folder.

    Sequences of rows are written as UTF-8 CSV; a ``str`` is written as is. ``names`` maps
    ``candidates``/``scores``/``jurors`` to other file names (the file is then not written
    when its content is None, so a test can place its own file there). ``seed=None``
    writes no ``[selection] seed``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {
        "candidates": "candidates.csv",
        "scores": "scores.csv",
        "jurors": "jurors.csv",
        **(names or {}),
    }
    contents = {
        "candidates": CANDIDATES if candidates is None else candidates,
        "scores": default_scores() if scores is None else scores,
        "jurors": (JURORS if jurors is None else jurors) if with_jurors else None,
    }
    for role, content in contents.items():
        if content is None or (
            Path(names[role]).suffix == ".xlsx" and not isinstance(content, str)
        ):
            continue
        text = content if isinstance(content, str) else csv_text(content)
        (folder / names[role]).write_text(text, encoding="utf-8")
    jurors_line = f'jurors = "{names["jurors"]}"\n' if with_jurors else ""
    (folder / "event.toml").write_text(
        f"""[event]
name = "tiny"
candidates = "{names["candidates"]}"
scores = "{names["scores"]}"
{jurors_line}{event_keys}
{criteria}
[selection]
per_group = 1
{"" if seed is None else f"seed = {seed}"}
{extra}""",
        encoding="utf-8",
    )
    return folder


WOMAN_RULE = """
[[selection.constraints]]
name = "woman in every group"
kind = "at_least"
attribute = "gender"
value = "F"
count = 1
"""
"""A rule to paste into event.toml (``extra=``): at least one woman in every group."""


def write_ods(path: Path) -> None:
    """Write at ``path`` the start of an OpenDocument spreadsheet (its zip and mimetype)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")


def write_numbers_folder(path: Path) -> None:
    """Replace the file at ``path`` by an Apple Numbers package (a folder)."""
    path.unlink()  # a Numbers document saved as a package is a folder
    (path / "Index").mkdir(parents=True)
    (path / "Index" / "Document.iwa").write_bytes(b"\x00")


def merged_candidates_workbook(merged: Sequence[str] = ("C2:C4", "C5:C7")) -> Any:
    """Return an openpyxl workbook of :data:`CANDIDATES` with the ``merged`` ranges merged
    (by default each group's cells, as a secretary merges them)."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in CANDIDATES:
        book.active.append(row)
    for cells in merged:
        book.active.merge_cells(cells)
    return book
