"""Write every output file of a run into one folder.

Files: ``selection.csv``, ``ranking.csv``, ``criterion_scores.csv``, ``jurors.csv``,
``reliability.csv``, ``affinity.csv`` (when an affinity audit is configured),
``exclusions.csv`` (when conflicts excluded marks), ``stability.csv`` (when
``[stability]`` asks for resampling), ``results.xlsx`` (all of them, with a
first sheet explaining them), ``report.html`` and ``audit.json``. An infeasible run writes
``selection.csv`` with its header only, so no earlier delegation is left behind.

The folder must not hold the event's input files; nothing is ever written over an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from selection.outputs.audit import audit_record
from selection.outputs.charts import chart_jobs, render_all
from selection.outputs.files import OutputError, atomic_write, csv_bytes, json_bytes, xlsx_bytes
from selection.outputs.report import build_report
from selection.result import RunResult

__all__ = ["FILE_DESCRIPTIONS", "check_output_folder", "output_frames", "write_run"]

FILE_DESCRIPTIONS: dict[str, str] = {
    "selection": "The representatives, one row each, with their named reserve.",
    "ranking": "Every candidate: merit, standard error, rank in the group, status, reason, "
    "binding rules, margin to the cut-off, reserve role and counterfactuals.",
    "criterion_scores": "Panel score per target (candidate or project) and criterion: "
    "number of jurors, raw mean and the calibrated score.",
    "jurors": "Juror diagnostics per criterion: severity with standard error, spread, "
    "consistency with the panel, residual mean square and flags.",
    "reliability": "Per criterion: intraclass correlation of the panel average (icc_k) "
    "and Krippendorff's interval alpha.",
    "affinity": "Affinity audit: do jurors mark candidates who share their attribute higher?",
    "exclusions": "Marks excluded for conflicts of interest, with the reason.",
    "stability": "Selection frequency of each candidate when each panel's jurors are "
    "resampled, runs without each juror, and the verdict (core, swing, out).",
}
"""What each output table holds (also the first sheet of ``results.xlsx``)."""


def output_frames(result: RunResult) -> dict[str, pd.DataFrame]:
    """Return the output tables of ``result`` by file stem, in writing order.

    ``affinity`` is present only when an affinity audit is configured and ``exclusions``
    only when conflicts excluded marks.
    """
    frames = {
        "selection": result.delegation,
        "ranking": result.ranking,
        "criterion_scores": result.criterion_scores,
        "jurors": result.jurors,
        "reliability": result.reliability,
    }
    if result.event.config.diagnostics.affinity:
        frames["affinity"] = result.affinity
    if len(result.exclusions):
        frames["exclusions"] = result.exclusions
    if result.stability is not None:
        frames["stability"] = result.stability.frequencies
    if result.selection.infeasibility is not None:
        frames["selection"] = result.delegation.iloc[0:0]
    return frames


def check_output_folder(result: RunResult, out: str | Path) -> None:
    """Refuse an output folder that holds any of the event's input files.

    Raises
    ------
    OutputError
        When ``out`` is or contains the folder of an input file.
    """
    target = Path(out).resolve()
    for role, path in sorted(result.event.inputs.items()):
        source = path.resolve()
        if source.parent == target or target in source.parents:
            raise OutputError(
                f"The output folder {out} holds the event's {role} file ({path.name}); "
                "outputs are never written next to the inputs. Choose another folder with "
                "--out, for example a new 'results' folder."
            )


def write_run(
    result: RunResult,
    out: str | Path,
    *,
    extras: Mapping[str, tuple[str, str, pd.DataFrame]] | None = None,
) -> list[Path]:
    """Write all output files of ``result`` into ``out`` (created if needed).

    ``extras`` maps a file stem to ``(title, text, table)``: each table is written as
    ``STEM.csv`` and as a sheet, and shown with its text in the report (what-if and
    sensitivity analyses use this). The report's charts are drawn here, in the calling
    thread (:func:`~selection.outputs.charts.render_all`).

    Returns
    -------
    list of Path
        The files written, in order.

    Raises
    ------
    OutputError
        When ``out`` holds the event's inputs or cannot be written.
    """
    out = Path(out)
    check_output_folder(result, out)
    jobs = chart_jobs(result)
    extras = dict(extras or {})
    frames = {**output_frames(result), **{stem: item[2] for stem, item in extras.items()}}
    audit = audit_record(result)
    if result.selection.infeasibility is not None:
        audit["infeasibility"] = result.selection.infeasibility.to_dict()
    files: dict[str, bytes] = {f"{stem}.csv": csv_bytes(frame) for stem, frame in frames.items()}
    readme = [(stem, FILE_DESCRIPTIONS.get(stem) or extras[stem][0]) for stem in frames]
    files["results.xlsx"] = xlsx_bytes(frames, readme=readme)
    page = build_report(
        result,
        audit={k: v for k, v in audit.items() if k != "timings"},
        extras=list(extras.values()),
        charts=render_all(jobs),
    ).to_html()
    files["report.html"] = page.encode("utf-8")
    files["audit.json"] = json_bytes(audit)
    written = []
    for name, data in files.items():
        path = out / name
        atomic_write(path, data)
        written.append(path)
    return written
