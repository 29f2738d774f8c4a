"""The ``pitch-jury`` command: parse arguments, call the library, write files, print, exit.

Exit codes
----------
0 success; 1 invalid input (the event has errors); 2 usage error; 3 no delegation satisfies
the rules (explanation printed and written); 4 solver failure or time limit without a
solution; 5 output not writable; 70 internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TextIO

from scoring.config import config_json_schema
from scoring.errors import InvalidEventError, PitchJuryError, issues_from_frame
from scoring.ingest import load_event
from selection.text import Style, format_event_summary, format_issues

__all__ = ["EXIT_CODES", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_OUTPUT = 0, 1, 2, 3, 4, 5
EXIT_INTERNAL = 70
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_INVALID: "invalid input: the event has errors (all of them are printed)",
    EXIT_USAGE: "usage error: wrong command or arguments",
    EXIT_INFEASIBLE: "no delegation satisfies the rules (explanation printed and written)",
    EXIT_SOLVER: "solver failure, or time limit reached without a delegation",
    EXIT_OUTPUT: "output folder or file not writable",
    EXIT_INTERNAL: "internal error (a bug in pitch-jury: please report it)",
}

_EPILOG = "exit codes:\n" + "\n".join(f"  {code:<3} {text}" for code, text in EXIT_CODES.items())


class _Console:
    """Where the command prints: standard output for results, standard error for notes."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.style = Style.for_stream(out)

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        self.err.write(text + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitch-jury",
        description="Turn a pitch session's jury score sheets into a fair, explainable "
        "selection of representatives.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    event_help = "the event folder, or its event.toml"

    check = commands.add_parser(
        "check",
        help="check an event's files and print every problem; writes nothing",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("event", metavar="EVENT", help=event_help)

    commands.add_parser("schema", help="print the JSON Schema of event.toml")

    init = commands.add_parser("init", help="write a commented template event into DIR")
    init.add_argument("directory", metavar="DIR", help="folder to create (must not hold an event)")
    return parser


def _cmd_check(args: argparse.Namespace, console: _Console) -> int:
    event = load_event(args.event)
    console.print(format_event_summary(event))
    issues = issues_from_frame(event.warnings)
    if issues:
        console.print("")
        console.print(format_issues(issues, style=console.style))
    console.print("")
    console.print("No errors." + (" Look at the warnings above." if issues else ""))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace, console: _Console) -> int:
    console.print(config_json_schema())
    return EXIT_OK


def _cmd_init(args: argparse.Namespace, console: _Console) -> int:
    target = Path(args.directory)
    templates = resources.files("scoring") / "templates"
    names = sorted(entry.name for entry in templates.iterdir() if entry.is_file())
    clashes = [n for n in names if (target / n).exists()]
    if clashes:
        console.print(
            f"{target} already has {', '.join(clashes)}; nothing was written. "
            "Choose a new or empty folder."
        )
        return EXIT_OUTPUT
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            with resources.as_file(templates / name) as source:
                shutil.copyfile(source, target / name)
    except OSError as exc:
        console.print(f"Cannot write to {target}: {exc.strerror or exc}. Choose a writable folder.")
        return EXIT_OUTPUT
    console.print(f"Wrote a template event to {target}: {', '.join(names)}.")
    console.print(f"Edit event.toml and the sheets, then run: pitch-jury check {target}")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, _Console], int]] = {
    "check": _cmd_check,
    "schema": _cmd_schema,
    "init": _cmd_init,
}


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the ``pitch-jury`` command line and return its exit code.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).
    out, err
        Streams for results and notes (default: standard output and error).

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> main(["schema"], out=buffer)
    0
    >>> '"title": "pitch-jury event.toml"' in buffer.getvalue()
    True
    """
    console = _Console(out or sys.stdout, err or sys.stderr)
    parser = _parser()
    try:
        with contextlib.redirect_stdout(console.out), contextlib.redirect_stderr(console.err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help
        return int(exc.code or 0)
    try:
        return _COMMANDS[args.command](args, console)
    except InvalidEventError as exc:
        console.print(format_issues(exc.problems, style=console.style))
        n_errors = len(exc.errors)
        console.print("")
        console.print(
            f"The event has {n_errors} error{'s' if n_errors != 1 else ''}. "
            "Fix them and run the command again."
        )
        return EXIT_INVALID
    except PitchJuryError as exc:
        console.print(str(exc))
        return EXIT_INVALID
    except KeyboardInterrupt:
        console.note("Interrupted.")
        return 130
    except Exception as exc:  # a bug, not a user mistake: say so without a wall of text
        if os.environ.get("PITCH_JURY_DEBUG"):
            console.note(traceback.format_exc())
        console.print(
            f"Internal error ({type(exc).__name__}: {exc}). This is a bug in pitch-jury; "
            "please report it with the command you ran. Set PITCH_JURY_DEBUG=1 for details."
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
