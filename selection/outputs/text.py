"""Plain-text renderers for the command line: they return strings and never print."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import TextIO

from scoring.errors import Issue, sort_issues
from scoring.event import Event

__all__ = ["Style", "format_event_summary", "format_issues"]

_MAX_PER_CODE = 25


def _validation_meaning(code: str) -> str:
    from scoring.ingest import validate

    return validate.ISSUE_CODES.get(code, "")


class Style:
    """Terminal styling: bold and colours only on a terminal and when ``NO_COLOR`` is unset.

    Examples
    --------
    >>> Style(enabled=False).error("x")
    'x'
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        """Return the style for ``stream`` (plain unless it is a terminal and colour is allowed)."""
        tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(enabled=tty and "NO_COLOR" not in os.environ and sys.platform != "win32")

    def _wrap(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def error(self, text: str) -> str:
        """Return ``text`` in bold red."""
        return self._wrap(text, "1;31")

    def warning(self, text: str) -> str:
        """Return ``text`` in yellow."""
        return self._wrap(text, "33")

    def bold(self, text: str) -> str:
        """Return ``text`` in bold."""
        return self._wrap(text, "1")


def format_issues(
    issues: Sequence[Issue],
    *,
    style: Style | None = None,
    meaning: Callable[[str], str] | None = None,
) -> str:
    """Render issues grouped by severity and code, most serious first.

    Each code shows its meaning (``meaning(code)``; by default the validation codes'
    meanings), then up to 25 located issues.

    Examples
    --------
    >>> print(format_issues([Issue("error", "score.out_of_scale", "Too high.",
    ...                            file="scores.csv", row=5, column="score", value="42")]))
    1 error
      score.out_of_scale: A mark outside the criterion's scale. (1)
        scores.csv, row 5, column 'score', value '42': Too high.
    """
    style = style or Style(enabled=False)
    lines: list[str] = []
    ordered = sort_issues(issues)
    for severity, of_severity in groupby(ordered, key=lambda i: i.severity):
        items = list(of_severity)
        paint = style.error if severity == "error" else style.warning
        plural = "s" if len(items) != 1 else ""
        if lines:
            lines.append("")
        lines.append(paint(f"{len(items)} {severity}{plural}"))
        for code, of_code in groupby(items, key=lambda i: i.code):
            located = list(of_code)
            text = (meaning or _validation_meaning)(code)
            lines.append(f"  {style.bold(code)}: {text} ({len(located)})".rstrip())
            for issue in located[:_MAX_PER_CODE]:
                lines.append(f"    {issue}")
            if len(located) > _MAX_PER_CODE:
                lines.append(f"    ... and {len(located) - _MAX_PER_CODE} more like these")
    return "\n".join(lines)


def format_event_summary(event: Event) -> str:
    """Describe a clean event in one short paragraph.

    Examples
    --------
    >>> from scoring.ingest.load import load_event
    >>> print(format_event_summary(load_event("examples/event")).splitlines()[0])
    ... # doctest: +ELLIPSIS
    Event '...': ... candidates in 4 groups, ... jurors, 5 criteria, ... marks.
    """
    cands = event.candidates
    n_eligible = int(cands["eligible"].sum())
    text = (
        f"Event '{event.config.event.name}': {len(cands)} candidates in "
        f"{len(event.groups)} groups, {len(event.jurors)} jurors, "
        f"{len(event.config.criteria)} criteria, {len(event.scores)} marks."
    )
    if n_eligible != len(cands):
        text += f"\n{len(cands) - n_eligible} candidate(s) marked not eligible."
    return text
