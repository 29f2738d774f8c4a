"""Outputs: what a person reads. Renderers take a :class:`~selection.result.RunResult`.

:mod:`~selection.outputs.text` (console text), :mod:`~selection.outputs.draw`,
:mod:`~selection.outputs.plots` and :mod:`~selection.outputs.plots_bayes` (charts),
:mod:`~selection.outputs.charts` (the report's chart jobs), :mod:`~selection.outputs.report`
(the report: HTML, text, JSON), :mod:`~selection.outputs.html` (its tables, in linear time),
:mod:`~selection.outputs.files` (safe CSV and JSON bytes, atomic writes),
:mod:`~selection.outputs.xlsx` (the workbook),
:mod:`~selection.outputs.audit` (the audit manifest), :mod:`~selection.outputs.folder` (an
output folder replaced as a whole) and
:mod:`~selection.outputs.export` (every file of a run: :func:`write_run`).

Examples
--------
>>> from selection.outputs import FILE_DESCRIPTIONS
>>> "ranking" in FILE_DESCRIPTIONS
True
"""

from selection.outputs.export import FILE_DESCRIPTIONS, output_frames, write_run
from selection.outputs.report import Report, build_report, summary_html, summary_text

__all__ = [
    "FILE_DESCRIPTIONS",
    "Report",
    "build_report",
    "output_frames",
    "summary_html",
    "summary_text",
    "write_run",
]
