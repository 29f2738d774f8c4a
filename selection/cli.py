"""The ``pitch-jury`` command: parse arguments, call the library, write files, print, exit.

Exit codes
----------
0 success; 1 invalid input (the event has errors); 2 usage error; 3 no delegation satisfies
the rules (explanation printed and written); 4 solver failure, time limit without a
solution, or the two solvers disagree (``--cross-check``); 5 output not writable or output
folder refused (the previous outputs are untouched); 70 internal error (a bug: please
report it); 141 standard output closed early (a pipe into ``head``).

The command starts no helper process (the report's charts are drawn in this process),
installs no signal handler and changes no file descriptor. Python ignores SIGPIPE, so
writing into a closed pipe raises :class:`BrokenPipeError`; :func:`main` then stops quietly
and returns 141, the status a shell shows for a command ended by SIGPIPE (128 + 13), so a
``set -o pipefail`` script can tell it from an event with errors (1).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import pandas as pd

    from scoring.event import Event
    from selection.outputs.text import Style

# The library is imported inside the commands, so `schema`, `init` and `--help` start fast
# and `check` never loads the solver or matplotlib.

__all__ = ["EXIT_CODES", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_OUTPUT = 0, 1, 2, 3, 4, 5
EXIT_INTERNAL = 70
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell shows for `yes | head -1`
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_INVALID: "invalid input: the event has errors (all of them are printed)",
    EXIT_USAGE: "usage error: wrong command or arguments",
    EXIT_INFEASIBLE: "no delegation satisfies the rules (explanation printed and written)",
    EXIT_SOLVER: "solver failure, or time limit reached without a delegation",
    EXIT_OUTPUT: "output folder or file not writable",
    EXIT_INTERNAL: "internal error (a bug in pitch-jury: please report it)",
    EXIT_BROKEN_PIPE: "standard output closed early (piped into head); nothing more printed",
}

_EPILOG = "exit codes:\n" + "\n".join(f"  {code:<3} {text}" for code, text in EXIT_CODES.items())


_STAGES: dict[str, tuple[str, str]] = {
    "scoring": ("Scoring", ""),
    "solving": ("Solving", ""),
    "price_of_fairness": ("Price of fairness", "rule sets"),
    "reasons": ("Reasons", "rule sets"),
    "reserves": ("Reserves", "groups"),
    "counterfactuals": ("Counterfactuals", "groups"),
    "stability": ("Stability", "runs"),
    "charts": ("Report", "charts"),
}
"""How each stage a ``progress(stage, done, total)`` callback names is shown: its label and
what it counts (another stage is shown by its name)."""

_PROGRESS_INTERVAL = 0.1
"""Seconds between two updates of a progress line (the last one is always shown)."""


class _Console:
    """Where the command prints: standard output for results, standard error for notes."""

    def __init__(
        self, out: TextIO, err: TextIO, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.out, self.err = out, err
        self.show_progress = hasattr(err, "isatty") and err.isatty()
        self._clock = clock
        self._stage: str | None = None  # the stage whose line is open (not yet ended)
        self._shown = 0.0  # when it was last written
        self._width = 0  # how many characters it shows

    @property
    def style(self) -> Style:
        from selection.outputs.text import Style

        return Style.for_stream(self.out)

    def print(self, text: str = "") -> None:
        self.end_progress()
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        self.end_progress()
        self.err.write(text + "\n")

    def stage(self, name: str, done: int, total: int) -> None:
        """Show ``Label: done of total things`` for a long stage on one terminal line.

        The line is rewritten in place (``\\r``) at most every :data:`_PROGRESS_INTERVAL`
        seconds and ended with a newline when ``done`` reaches ``total`` or another stage
        starts. A stage of one step shows ``Label ...`` and then ``Label: done``. Nothing is
        shown unless standard error is a terminal and ``--quiet`` is off.
        """
        if not self.show_progress:
            return
        now = self._clock()
        final = done >= total
        if name != self._stage:
            self.end_progress()
        elif not final and now - self._shown < _PROGRESS_INTERVAL:
            return
        label, unit = _STAGES.get(name, (name.replace("_", " ").capitalize(), ""))
        if total > 1:
            text = f"{label}: {done:,} of {total:,} {unit}".rstrip()
        else:
            text = f"{label}: done" if final else f"{label} ..."
        self.err.write("\r" + text.ljust(self._width) + ("\n" if final else ""))
        self.err.flush()
        self._stage, self._shown = (None if final else name), now
        self._width = 0 if final else len(text)

    def end_progress(self) -> None:
        """End an open progress line, so what comes next starts on a line of its own."""
        if self._stage is not None:
            self.err.write("\n")
            self.err.flush()
            self._stage, self._width = None, 0

    def progress(self, text: str) -> None:
        """Show a progress line on standard error, only on a terminal and unless quiet."""
        if self.show_progress:
            self.end_progress()
            self.err.write(text + "\n")
            self.err.flush()


@functools.cache
def _meanings() -> dict[str, str]:
    """Every issue code's meaning, gathered on first use (so `check` never imports the
    solver stack for its validation codes)."""
    from scoring import pipeline
    from selection import whatif
    from selection.model import verify
    from selection.uncertainty import lottery

    registries = (
        _validation_codes(),
        pipeline.ISSUE_CODES,
        verify.ISSUE_CODES,
        lottery.ISSUE_CODES,
        whatif.ISSUE_CODES,
    )
    return {code: text for codes in registries for code, text in codes.items()}


def _validation_codes() -> dict[str, str]:
    """The validation issue codes and their meanings (cheap: no solver imported)."""
    from scoring.ingest import validate

    return validate.ISSUE_CODES


def _issue_meaning(code: str) -> str:
    """Return what an issue code means, in plain words (empty when unknown)."""
    return _validation_codes().get(code) or _meanings().get(code, "")


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

    run = commands.add_parser(
        "run",
        help="score, select and write every output file into --out",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("event", metavar="EVENT", help=event_help)
    _run_options(run, out_required=True)
    run.add_argument(
        "--what-if",
        metavar="FILE",
        help="a what-if TOML (changed rules, excluded jurors, withdrawn candidates): "
        "writes the changed run and what_if.csv, the difference with reasons",
    )
    run.add_argument(
        "--sensitivity",
        action="store_true",
        help="also select under every scoring method and write sensitivity.csv",
    )

    explain = commands.add_parser(
        "explain", help="say in plain words why a candidate was or was not selected"
    )
    explain.add_argument("event", metavar="EVENT", help=event_help)
    explain.add_argument("candidate_id", metavar="CANDIDATE_ID", help="the candidate's id")
    explain.add_argument("--seed", type=int, help="seed for tie-breaks (default: event.toml)")
    explain.add_argument(
        "--solver",
        choices=["auto", "highs", "cbc"],
        help="solver (default: auto, the decomposition by groups when the event fits it; "
        "highs or cbc: the integer programme)",
    )

    demo = commands.add_parser(
        "demo",
        help="run the bundled example event end to end",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_options(demo, out_required=False)
    return parser


def _run_options(parser: argparse.ArgumentParser, *, out_required: bool) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=out_required,
        default=None if out_required else "pitch-jury-demo",
        help="folder for the output files, replaced as a whole once every file is written "
        "(an earlier run's files go; a folder holding other files is refused)"
        + ("" if out_required else " (default: %(default)s)"),
    )
    parser.add_argument("--seed", type=int, help="seed for tie-breaks (default: event.toml)")
    parser.add_argument(
        "--solver",
        choices=["auto", "highs", "cbc"],
        help="solver (default: auto, the decomposition by groups when the event fits it; "
        "highs or cbc: the integer programme)",
    )
    parser.add_argument(
        "--cross-check",
        action="store_true",
        help="solve again with the other solver and stop if the two disagree "
        "(default: [selection] cross_check in event.toml); recorded in audit.json",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only errors and the exit reason"
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        help="print each stage's seconds on stderr ('timing STAGE SECONDS' lines)",
    )


def _cmd_check(args: argparse.Namespace, console: _Console) -> int:
    from scoring.errors import issues_from_frame
    from scoring.ingest import attribute_values
    from scoring.ingest.load import load_event
    from scoring.pipeline import score_event
    from selection.facade import preflight
    from selection.outputs.text import format_event_summary, format_issues

    event = load_event(args.event)
    console.print(format_event_summary(event))
    census = _format_attribute_values(attribute_values(event.candidates, event.config))
    if census:
        console.print("")
        console.print(census)
    # What run would stop on before solving: the rules against the candidates, the counts,
    # and the jury design (scoring's warnings: a disconnected design, say).
    scored = score_event(event, diagnostics=False)
    issues = [
        *issues_from_frame(event.warnings),
        *scored.issues,
        *preflight(event.candidates, scored.merit, event.config.selection),
    ]
    errors = [i for i in issues if i.severity == "error"]
    if issues:
        console.print("")
        console.print(format_issues(issues, style=console.style, meaning=_issue_meaning))
    console.print("")
    if errors:
        console.print(
            f"{len(errors)} error{'' if len(errors) == 1 else 's'}: `pitch-jury run` would "
            "stop on these. Correct them and check again."
        )
        return EXIT_INVALID
    console.print("No errors." + (" Look at the warnings above." if issues else ""))
    return EXIT_OK


_MAX_VALUES_SHOWN = 30
"""At most this many values of one attribute in ``check``'s census (beyond the values a
rule names, which are always shown)."""


def _format_attribute_values(census: pd.DataFrame) -> str:
    """Render :func:`scoring.ingest.attribute_values` for ``check``: one line per attribute.

    Each value shows its number of candidates and, in brackets, the rules that count it;
    when every value is counted by the same rules (``max_per``: two per country), they are
    named once after the attribute. Blank cells show as ``(blank)``; how many of the
    candidates counted are not eligible (no rule counts them) follows on a line of its own.

    Examples
    --------
    >>> import pandas as pd
    >>> census = pd.DataFrame({"attribute": ["gender"] * 3, "value": ["F", "M", None],
    ...     "n_candidates": [37, 42, 1], "n_eligible": [36, 42, 1],
    ...     "rule": ["woman in every group; 45% women overall", "man in every group", ""]})
    >>> print(_format_attribute_values(census))
    Values of the attributes the rules count (number of candidates):
      gender: F 37 (woman in every group; 45% women overall), M 42 (man in every group),
        (blank) 1 (no rule counts it)
        of these, not eligible: F 1
    """
    import textwrap

    if census.empty:
        return ""
    lines = ["Values of the attributes the rules count (number of candidates):"]
    for attribute, rows in census.groupby("attribute", sort=True):
        records = rows.to_dict("records")
        named = [r for r in records if isinstance(r["value"], str)]
        rules = {str(r["rule"]) for r in named}
        shared = next(iter(rules)) if len(rules) == 1 and len(named) > 1 else ""
        shown: list[str] = []
        hidden = 0
        for record in records:
            blank = not isinstance(record["value"], str)
            value = "(blank)" if blank else str(record["value"])
            rule = str(record["rule"])
            if not rule and not blank and len(shown) >= _MAX_VALUES_SHOWN:
                hidden += 1
                continue
            text = f"{value} {int(record['n_candidates'])}"
            if shared and blank:
                text += " (not counted)"
            elif not shared:
                text += f" ({rule})" if rule else " (no rule counts it)"
            shown.append(text)
        if hidden:
            shown.append(f"and {hidden} more value{'' if hidden == 1 else 's'}")
        head = f"{attribute} ({shared})" if shared else str(attribute)
        ineligible = [
            f"{'(blank)' if not isinstance(r['value'], str) else r['value']} "
            f"{int(r['n_candidates']) - int(r['n_eligible'])}"
            for r in records
            if int(r["n_eligible"]) < int(r["n_candidates"])
        ]
        texts = [(f"{head}:", shown, "  ")]
        if ineligible:
            texts.append(("of these, not eligible:", ineligible, "    "))
        for label, items, indent in texts:
            # A line breaks between values only, never inside "(blank) 1" or a rule name.
            whole = [item.replace(" ", "\0") for item in items]
            wrapped = textwrap.wrap(
                " ".join([label, *(f"{w}," for w in whole[:-1]), *whole[-1:]]),
                width=92,
                initial_indent=indent,
                subsequent_indent="    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines.extend(line.replace("\0", " ") for line in wrapped)
    return "\n".join(lines)


def _cmd_schema(args: argparse.Namespace, console: _Console) -> int:
    from scoring.config import config_json_schema

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


def _run(event_path: Path | str, args: argparse.Namespace, console: _Console) -> int:
    from scoring.ingest.load import load_event
    from selection.outputs.export import check_output_folder, write_run
    from selection.outputs.report import summary_text
    from selection.outputs.text import format_issues
    from selection.pipeline import run_event

    out = Path(args.out)
    console.progress(f"Reading and checking {event_path} ...")
    clock = time.perf_counter()
    event = _with_seed(load_event(event_path), args.seed)
    timings = {"ingest": time.perf_counter() - clock}
    if getattr(args, "cross_check", False):  # as if event.toml said so, which the audit shows
        event = event.with_selection(
            event.config.selection.model_copy(update={"cross_check": True})
        )
    check_output_folder(event, out)  # refuse at once, not after scoring and selecting
    console.progress("Scoring and selecting ...")
    extras: dict[str, tuple[str, str, pd.DataFrame]] = {}
    what_if = getattr(args, "what_if", None)
    if what_if:
        from selection.whatif import load_what_if, run_what_if

        scenario = load_what_if(what_if)
        outcome = run_what_if(event, scenario, seed=args.seed, solver=args.solver)
        result = outcome.after
        extras["what_if"] = ("What if", outcome.describe(), outcome.diff)
    else:
        result = run_event(event, seed=args.seed, solver=args.solver, progress=console.stage)
    if getattr(args, "sensitivity", False):
        from selection.whatif import sensitivity

        console.progress("Selecting under every scoring method ...")
        found = sensitivity(result.event, seed=args.seed, solver=args.solver)
        extras["sensitivity"] = ("Scoring-method sensitivity", found.describe(), found.table)
    timings.update(
        {"scoring": result.timings.get("scoring", 0.0)}
        | {f"selection.{k}": v for k, v in result.selection.timings.items()}
        | {k: v for k, v in result.timings.items() if k not in ("scoring", "selection")}
    )
    console.progress(f"Writing files to {out} ...")
    written = write_run(result, out, extras=extras, timings=timings, progress=console.stage)
    console.end_progress()
    if getattr(args, "timings", False):
        for name, seconds in timings.items():
            console.note(f"timing {name} {seconds:.4f}")
    infeasible = result.selection.infeasibility is not None
    if not args.quiet or infeasible:
        console.print(summary_text(result))
        for title, text, _ in extras.values():
            console.print("")
            console.print(f"{title}:\n{text}")
    if not args.quiet:
        if result.issues:
            console.print("")
            console.print(format_issues(result.issues, style=console.style, meaning=_issue_meaning))
        console.print("")
        console.print(f"Wrote {len(written)} files to {out}: " + ", ".join(p.name for p in written))
    return EXIT_INFEASIBLE if infeasible else EXIT_OK


def _with_seed(event: Event, seed: int | None) -> Event:
    """Return ``event`` run with ``--seed`` when one is given on the command line.

    The seed becomes the event's ``[selection] seed`` (so audit.json records the seed used
    in its config, and re-running that config reproduces the run), and the warning that no
    seed was given (``config.default_seed``) no longer applies: it is dropped, so neither
    the console nor the report says "No seed given, using 2019".
    """
    if seed is None:
        return event
    event = event.with_selection(event.config.selection.model_copy(update={"seed": seed}))
    warnings = event.warnings
    kept = warnings[warnings["code"] != "config.default_seed"].reset_index(drop=True)
    return dataclasses.replace(event, warnings=kept)


def _cmd_run(args: argparse.Namespace, console: _Console) -> int:
    return _run(args.event, args, console)


def _cmd_demo(args: argparse.Namespace, console: _Console) -> int:
    from scoring.example import example_event_path

    return _run(example_event_path(), args, console)


def _cmd_explain(args: argparse.Namespace, console: _Console) -> int:
    from scoring.ingest.load import load_event
    from selection.pipeline import run_event

    event = _with_seed(load_event(args.event), args.seed)
    if args.candidate_id not in set(event.candidates["candidate_id"]):
        from scoring.ingest.scores import closest

        guess = closest(args.candidate_id, event.candidates["candidate_id"])
        hint = f" Did you mean '{guess}'?" if guess else ""
        console.note(f"pitch-jury explain: no candidate '{args.candidate_id}' in the event.{hint}")
        return EXIT_USAGE
    result = run_event(event, seed=args.seed, solver=args.solver)
    console.print(result.explain(args.candidate_id))
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, _Console], int]] = {
    "check": _cmd_check,
    "schema": _cmd_schema,
    "init": _cmd_init,
    "run": _cmd_run,
    "explain": _cmd_explain,
    "demo": _cmd_demo,
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

    Returns
    -------
    int
        The exit code (see the module's list). 141 when the reader of ``out`` has gone (a
        pipe into ``head``): nothing more is printed, and a closed ``sys.stdout`` or
        ``sys.stderr`` that this call used is replaced by a sink, so the interpreter's
        exit-time flush has nothing left to fail on. No signal handler is installed.

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
    try:
        code = _main(argv, console)
        console.out.flush()  # a closed pipe fails here, not in Python's exit-time flush
        console.err.flush()
    except BrokenPipeError:  # output piped into `head` or `more` that closed early
        if out is None:
            sys.stdout = _closed_pipe_sink(sys.stdout)
        if err is None:
            sys.stderr = _closed_pipe_sink(sys.stderr)
        return EXIT_BROKEN_PIPE
    return code


def _closed_pipe_sink(stream: TextIO) -> TextIO:
    """Return ``stream`` if it still takes output, else a sink for what is printed later.

    Text already buffered for a closed pipe cannot be sent; Python's exit-time flush of
    ``sys.stdout`` would fail on it and print "Exception ignored ... BrokenPipeError".
    Swapping the ``sys`` attribute (not the file descriptor, which the program may share)
    gives that flush nothing to do; the old stream, still held as ``sys.__stdout__``, is
    closed at exit without a message.
    """
    try:
        stream.flush()
    except (OSError, ValueError):
        return io.StringIO()
    return stream


def _main(argv: Sequence[str] | None, console: _Console) -> int:
    parser = _parser()
    try:
        with contextlib.redirect_stdout(console.out), contextlib.redirect_stderr(console.err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help
        return int(exc.code or 0)
    if getattr(args, "quiet", False):
        console.show_progress = False
    return _command(args, console)


def _command(args: argparse.Namespace, console: _Console) -> int:
    """Run the command; turn every expected failure into its message and exit code."""
    from scoring.errors import (
        InvalidEventError,
        PitchJuryError,
        SolverError,
        SolverUnavailableError,
    )
    from selection.outputs.files import OutputError
    from selection.outputs.text import format_issues

    try:
        return _COMMANDS[args.command](args, console)
    except InvalidEventError as exc:
        console.print(format_issues(exc.problems, style=console.style, meaning=_issue_meaning))
        n_errors = len(exc.errors)
        console.print("")
        console.print(
            f"The event has {n_errors} error{'s' if n_errors != 1 else ''}. "
            "Fix them and run the command again."
        )
        return EXIT_INVALID
    except OutputError as exc:
        console.print(str(exc))
        return EXIT_OUTPUT
    except (SolverError, SolverUnavailableError) as exc:
        console.print(str(exc))
        return EXIT_SOLVER
    except PitchJuryError as exc:
        console.print(str(exc))
        return EXIT_INVALID
    except KeyboardInterrupt:
        console.note("Interrupted.")
        return 130
    except BrokenPipeError:  # nobody reads any more: no message, see main()
        raise
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
