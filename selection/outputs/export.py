"""Write every output file of a run into one folder, which then holds that run only.

Files: ``selection.csv``, ``ranking.csv``, ``price_of_fairness.csv``, ``ties.csv`` (when
several delegations are optimal), ``criterion_scores.csv``, ``jurors.csv``,
``outliers.csv``, ``reliability.csv``, ``affinity.csv`` and ``affinity_by_criterion.csv``
(when an affinity audit is configured), ``exclusions.csv`` (when conflicts excluded marks),
``stability.csv`` (when ``[stability]`` asks for resampling), ``results.xlsx`` (all of
them, with a first sheet explaining them), ``report.html`` and ``audit.json``. An
infeasible group has no rows in ``selection.csv``: when every group is infeasible (or a
delegation-wide rule cannot be met) it holds its header only; when some groups are
infeasible on their own, it holds the representatives of the others.

The run is written into a new folder beside ``--out`` and swapped in only when every file
is written (:func:`selection.outputs.folder.replace_folder`): the folder never mixes two
runs, and a run that fails leaves the previous outputs as they were. So that nothing of
the user's is lost in the swap, a folder holding anything pitch-jury did not write is
refused, and so is a folder holding the event's input files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from scoring.event import Event
from selection.outputs.audit import audit_record
from selection.outputs.charts import chart_jobs, render_all
from selection.outputs.files import OutputError, csv_bytes, json_bytes
from selection.outputs.folder import check_folder, replace_folder
from selection.outputs.report import build_report
from selection.outputs.xlsx import xlsx_bytes
from selection.result import RunResult

__all__ = [
    "FILE_DESCRIPTIONS",
    "OUTPUT_FILES",
    "check_output_folder",
    "output_frames",
    "write_run",
]

FILE_DESCRIPTIONS: dict[str, str] = {
    "selection": "The representatives, one row each, with their named reserve.",
    "ranking": "Every candidate: merit, standard error, rank in the group, status, reason, "
    "binding rules, margin to the cut-off, reserve role and counterfactuals.",
    "price_of_fairness": "Per rule, for the whole delegation (group '*') and per group: total "
    "merit with every rule, the best total without that rule, and the cost (the difference).",
    "ties": "The optimal delegations with the same best total merit, one row per "
    "representative; tie 1 is the one the seeded lottery chose. When more than [selection] "
    "max_ties tie, only tie 1 (which others a solver meets first depends on its search).",
    "criterion_scores": "Panel score per target (candidate or project) and criterion: "
    "number of jurors, raw mean and the calibrated score.",
    "jurors": "Juror diagnostics per criterion: severity with standard error, spread, "
    "consistency with the panel, residual mean square and flags.",
    "outliers": "Marks further than [diagnostics] outlier_threshold scale points from the "
    "mean of the other jurors' marks on the same target and criterion.",
    "reliability": "Per criterion: intraclass correlation of the panel average (icc_k, of the "
    "form icc_form) and Krippendorff's interval alpha, then every ICC form the design supports "
    "(icc_1_1 to icc_3_k; the two-way forms need every juror to mark every target).",
    "affinity": "Affinity audit: do jurors mark candidates who share their attribute higher? "
    "Effect as a share of the scale, and on the juror's weighted marks in merit points.",
    "affinity_by_criterion": "The affinity audit per criterion: the effect in points of the "
    "criterion's own scale, as a share of it, and in merit points.",
    "exclusions": "Marks excluded for conflicts of interest, with the reason.",
    "stability": "Selection frequency of each candidate when each panel's jurors are "
    "resampled, runs without each juror, and the verdict (core, swing, out).",
}
"""What each output table holds (also the first sheet of ``results.xlsx``)."""

OUTPUT_FILES: frozenset[str] = frozenset(
    {
        *(f"{stem}.csv" for stem in FILE_DESCRIPTIONS),
        "what_if.csv",  # the command line's --what-if
        "sensitivity.csv",  # and --sensitivity
        "results.xlsx",
        "report.html",
        "audit.json",
    }
)
"""Every file name a run of ``pitch-jury`` may write (an output folder may hold only these,
the files its ``audit.json`` lists and what the system leaves in folders)."""


def output_frames(result: RunResult) -> dict[str, pd.DataFrame]:
    """Return the output tables of ``result`` by file stem, in writing order.

    ``ties`` is present only when several delegations are optimal, ``affinity`` and
    ``affinity_by_criterion`` only when an affinity audit is configured, ``exclusions``
    only when conflicts excluded marks and ``stability`` only with a stability analysis.

    Examples
    --------
    >>> from scoring.example import example_event_path
    >>> from scoring.ingest.load import load_event
    >>> from selection.pipeline import run_event
    >>> list(output_frames(run_event(load_event(example_event_path()))))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['selection', 'ranking', 'price_of_fairness', 'criterion_scores', 'jurors', 'outliers',
     'reliability', 'affinity', 'affinity_by_criterion', 'exclusions']
    """
    selection = result.selection
    frames = {
        "selection": result.delegation,
        "ranking": result.ranking,
        "price_of_fairness": selection.price_of_fairness,
    }
    if selection.n_optimal > 1:
        frames["ties"] = selection.ties
    frames |= {
        "criterion_scores": result.criterion_scores,
        "jurors": result.jurors,
        "outliers": result.scoring.outliers,
        "reliability": result.reliability,
    }
    if result.event.config.diagnostics.affinity:
        frames["affinity"] = result.affinity
        frames["affinity_by_criterion"] = result.scoring.affinity_by_criterion
    if len(result.exclusions):
        frames["exclusions"] = result.exclusions
    if result.stability is not None:
        frames["stability"] = result.stability.frequencies
    return frames


_MAX_AUDIT_BYTES = 50_000_000


def _listed_in_audit(out: Path) -> set[str]:
    """The CSV files the ``audit.json`` in ``out`` says its run wrote (none if unreadable).

    A library caller's own ``extras`` are outputs too, though no list here knows them.
    """
    path = out / "audit.json"
    try:
        if not path.is_file() or path.stat().st_size > _MAX_AUDIT_BYTES:
            return set()
        listed = json.loads(path.read_bytes()).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {
        name
        for name in listed
        if isinstance(name, str)
        and name.endswith(".csv")
        and Path(name).name == name
        and "\\" not in name
    }


def check_output_folder(source: RunResult | Event, out: str | Path) -> None:
    """Refuse an output folder that a run may not replace.

    :func:`write_run` checks this itself; the command line checks it before scoring too,
    so that a refusal comes at once.

    Parameters
    ----------
    source
        The run, or the event, whose input files must stay untouched.
    out
        The output folder.

    Raises
    ------
    OutputError
        When ``out`` is or contains the folder of an input file, is a file, is the current
        folder, holds a spreadsheet's lock file (an output is open) or holds anything that
        is not a pitch-jury output (see :mod:`selection.outputs.folder`).
    """
    event = source.event if isinstance(source, RunResult) else source
    target = Path(out).resolve()
    for role, path in sorted(event.inputs.items()):
        source_path = path.resolve()
        if source_path.parent == target or target in source_path.parents:
            raise OutputError(
                f"The output folder {out} holds the event's {role} file ({path.name}); "
                "outputs are never written next to the inputs. Choose another folder with "
                "--out, for example a new 'results' folder."
            )
    check_folder(out, known=OUTPUT_FILES | _listed_in_audit(target))


def write_run(
    result: RunResult,
    out: str | Path,
    *,
    extras: Mapping[str, tuple[str, str, pd.DataFrame]] | None = None,
    timings: dict[str, float] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Write all output files of ``result`` as the folder ``out``, replacing an earlier run.

    Every file is written into a new folder beside ``out``, which replaces ``out`` only
    once all are written (see :mod:`selection.outputs.folder`): ``out`` then holds this
    run's files and no others, with the permissions the umask gives. On any failure
    ``out`` is left as it was.

    ``extras`` maps a file stem to ``(title, text, table)``: each table is written as
    ``STEM.csv`` and as a sheet, and shown with its text in the report (what-if and
    sensitivity analyses use this). The report's charts are drawn here, in the calling
    thread (:func:`~selection.outputs.charts.render_all`; ``progress``, when given, is called
    as ``progress("charts", done, total)`` as they are drawn). ``timings``, when given, gains
    the seconds of the tables, the workbook, the report (charts included) and the files.

    Returns
    -------
    list of Path
        The files written, in order.

    Raises
    ------
    OutputError
        When ``out`` may not be replaced (see :func:`check_output_folder`) or a file or
        the folder cannot be written; the message names it and says that the previous
        outputs are untouched.
    """
    out = Path(out)
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now

    check_output_folder(result, out)
    jobs = chart_jobs(result)
    extras = dict(extras or {})
    frames = {**output_frames(result), **{stem: item[2] for stem, item in extras.items()}}
    names = [*(f"{stem}.csv" for stem in frames), "results.xlsx", "report.html", "audit.json"]
    audit = audit_record(result, files=names)
    if result.selection.infeasibility is not None:
        audit["infeasibility"] = result.selection.infeasibility.to_dict()
    files: dict[str, bytes] = {f"{stem}.csv": csv_bytes(frame) for stem, frame in frames.items()}
    lap("tables")
    readme = [(stem, FILE_DESCRIPTIONS.get(stem) or extras[stem][0]) for stem in frames]
    files["results.xlsx"] = xlsx_bytes(frames, readme=readme)
    lap("workbook")
    page = build_report(
        result,
        audit={k: v for k, v in audit.items() if k != "timings"},
        extras=list(extras.values()),
        charts=render_all(jobs, progress=progress),
    ).to_html()
    files["report.html"] = page.encode("utf-8")
    files["audit.json"] = json_bytes(audit)
    lap("report")
    known = OUTPUT_FILES | _listed_in_audit(out.resolve())
    written = replace_folder(out, files, known=known)
    lap("files")
    return written
