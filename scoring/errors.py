"""Errors and located issues.

Validation collects every problem as an :class:`Issue` (severity, stable code, file, sheet,
spreadsheet row with the header as row 1, column, value, message) and raises one
:class:`InvalidEventError` holding all of them. Warnings travel with the clean event.

Every exception pitch-jury raises on purpose derives from :class:`PitchJuryError`, so an
embedding tool can catch one type.

Examples
--------
>>> issue = Issue("error", "score.out_of_scale", "Score 42 is above the scale 1-10.",
...               file="scores.csv", row=5, column="score", value="42")
>>> err = InvalidEventError([issue])
>>> err.issues[0].row, int(err.issues_frame.loc[0, "row"])
(5, 5)
>>> print(err)
1 error in the event:
  scores.csv, row 5, column 'score', value '42': Score 42 is above the scale 1-10.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from scoring.columns import ISSUE_COLUMNS

__all__ = [
    "SEVERITIES",
    "InvalidEventError",
    "Issue",
    "IssueSink",
    "NotAvailableError",
    "PitchJuryError",
    "SolverError",
    "SolverUnavailableError",
    "format_ids",
    "issues_frame",
    "issues_from_frame",
    "plural",
    "sort_issues",
]

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")
"""Severities, most serious first."""


class PitchJuryError(Exception):
    """Base class of every error pitch-jury raises on purpose."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One located problem found in the inputs.

    Parameters
    ----------
    severity
        ``"error"`` (the event cannot be used) or ``"warning"`` (used, but look at it).
    code
        Stable dotted code, e.g. ``"score.out_of_scale"``; tests and tools key on it.
    message
        What is wrong, what was expected and what to do, in plain words.
    file, sheet, row, column, value
        Where, as the user sees it: file name, sheet (XLSX only), spreadsheet row counting
        the header as row 1, column header, and the offending value as text.

    Examples
    --------
    >>> Issue("warning", "score.not_scored", "Token 'н/я' read as not scored.",
    ...       file="scores.csv", row=3).location()
    'scores.csv, row 3'
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """Return where the issue is, as ``file, sheet 'S', row R, column 'C', value 'V'``."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            kind = "key" if (self.file or "").endswith(".toml") else "column"
            parts.append(f"{kind} '{self.column}'")
        if self.value is not None:
            parts.append(f"value '{_short(self.value)}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


IssueSink = Callable[[Issue], None]
"""What a check hands each issue it finds to, one call per issue (``list.append``,
``IssueLog.add``): the checks report, the caller decides what to keep."""


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Order issues most serious first, then by code, file, sheet, row and column.

    Examples
    --------
    >>> a = Issue("warning", "b", "w")
    >>> b = Issue("error", "z", "e")
    >>> [i.severity for i in sort_issues([a, b])]
    ['error', 'warning']
    """
    return sorted(
        issues,
        key=lambda i: (
            SEVERITIES.index(i.severity),
            i.code,
            i.file or "",
            i.sheet or "",
            i.row if i.row is not None else -1,
            i.column or "",
            i.value or "",
        ),
    )


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    """Return issues as a frame with columns ``severity, code, file, sheet, row, column,
    value, message``, most serious first.

    ``row`` is a nullable integer (``Int64``); the other columns are text or missing.

    Examples
    --------
    >>> issues_frame([Issue("error", "id.unknown_juror", "Unknown juror.", row=4)]).columns.tolist()
    ['severity', 'code', 'file', 'sheet', 'row', 'column', 'value', 'message']
    """
    records = [asdict(i) for i in sort_issues(issues)]
    frame = pd.DataFrame.from_records(records, columns=list(ISSUE_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


def issues_from_frame(frame: pd.DataFrame) -> list[Issue]:
    """Return the issues held in an issues frame (the inverse of :func:`issues_frame`).

    Examples
    --------
    >>> issues = [Issue("warning", "a.b", "m", file="f.csv", row=3)]
    >>> issues_from_frame(issues_frame(issues)) == issues
    True
    """
    out: list[Issue] = []
    for record in frame.to_dict("records"):
        values = {str(k): (None if pd.isna(v) else v) for k, v in record.items()}
        out.append(
            Issue(
                severity="error" if values["severity"] == "error" else "warning",
                code=str(values["code"]),
                message=str(values["message"]),
                file=values["file"],
                sheet=values["sheet"],
                row=None if values["row"] is None else int(values["row"]),
                column=values["column"],
                value=values["value"],
            )
        )
    return out


class InvalidEventError(PitchJuryError):
    """The event's inputs have at least one error; every issue found is attached.

    Attributes
    ----------
    issues
        The :class:`Issue` objects, most serious first (errors and the warnings found with
        them), as in ``ScoringResult.issues``.
    issues_frame
        The same issues as a DataFrame (see :func:`issues_frame`).
    errors
        The issues with severity ``"error"``.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(sort_issues(issues))
        super().__init__(self._summary())

    @property
    def issues_frame(self) -> pd.DataFrame:
        """The issues as a frame (see :func:`issues_frame`), one row per issue."""
        return issues_frame(self.issues)

    @property
    def problems(self) -> tuple[Issue, ...]:
        """The issues (the name this tuple had before ``.issues``; kept for callers)."""
        return self.issues

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues with severity ``"error"``."""
        return tuple(i for i in self.issues if i.severity == "error")

    def _summary(self) -> str:
        n_errors = len(self.errors)
        head = f"{n_errors} error{'s' if n_errors != 1 else ''} in the event:"
        lines = [head, *(f"  {i}" for i in self.errors[:20])]
        if n_errors > 20:
            lines.append(f"  ... and {n_errors - 20} more (see .issues)")
        return "\n".join(lines)


class NotAvailableError(PitchJuryError, ValueError):
    """A result was asked for something the run did not compute (rank intervals of a run
    without the Bayesian model, say); the message says which setting computes it.

    Examples
    --------
    >>> issubclass(NotAvailableError, PitchJuryError)
    True
    """


class SolverUnavailableError(PitchJuryError):
    """The requested solver is not installed or cannot run on this machine."""


class SolverError(PitchJuryError):
    """The solver failed, or stopped at its time limit without any delegation."""


def format_ids(ids: Iterable[object], *, limit: int = 10) -> str:
    """Join ids for a message, showing at most ``limit`` of them.

    Examples
    --------
    >>> format_ids(["C1", "C2", "C3"], limit=2)
    'C1, C2 and 1 more'
    """
    items = [str(i) for i in ids]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def plural(n: float, word: str) -> str:
    """Return ``n`` and ``word``, with an ``s`` unless ``n`` is 1.

    Examples
    --------
    >>> plural(1, "seat"), plural(2.5, "representative")
    ('1 seat', '2.5 representatives')
    """
    return f"{n:g} {word}{'' if n == 1 else 's'}"
