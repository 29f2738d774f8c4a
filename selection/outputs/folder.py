"""Replace an output folder as a whole, so that it always holds exactly one run.

:func:`replace_folder` writes every file into a new hidden folder beside the target
(``.NAME.pitch-jury-new-XXXXXXXX``: on the same drive, so moving it is one rename) and,
only once every file is written, swaps it in: the target is renamed aside
(``.NAME.pitch-jury-old-XXXXXXXX``), the new folder renamed into its place and the old one
deleted. No file of an earlier run survives beside the new ones, and a failed run leaves
the earlier one as it was:

- a file cannot be written (disk full, say) or the new folder cannot be made: the new
  folder is deleted and the target is untouched;
- the target cannot be renamed aside (on Windows, when a file in it is open in Excel):
  the same;
- the new folder cannot be renamed into place: the old one is renamed back, so the target
  is untouched; should even that fail, the message says where both folders are and
  nothing is deleted;
- the old folder cannot be deleted once the new one is in place: the run has succeeded,
  and the old copy stays beside it as ``.NAME.pitch-jury-old-XXXXXXXX``.

Because the target is replaced, a target holding anything pitch-jury did not write (a
user's own notes, a subfolder) is refused before anything is written, as is a target
holding a spreadsheet's lock file (``~$results.xlsx``, ``.~lock.results.xlsx#``: the file
is open in Excel or LibreOffice). Files the system leaves in folders (``.DS_Store``,
``Thumbs.db``, ``desktop.ini``) do not count and are dropped with the old run.

Permissions: a new target gets ``0o777`` less the umask, an existing one keeps its own;
files get ``0o666`` less the umask (:func:`~selection.outputs.files.create_file`). The
umask is applied by the system, never read or changed, so all of this is safe in any
thread.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
from collections.abc import Collection, Mapping
from pathlib import Path

from selection.outputs.files import OutputError, create_file, write_failure

__all__ = ["SYSTEM_FILES", "check_folder", "replace_folder"]

SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
"""Files an operating system leaves in folders (compared ignoring case); never refused."""

_MAX_LISTED = 5
_FOLDER_MODE = 0o777
"""Mode asked for when making a folder; the system takes the umask off (0o755 under 022)."""


def _lock_target(name: str) -> str | None:
    """Return what a spreadsheet's lock file ``name`` locks (or part of it), else ``None``.

    Excel writes ``~$NAME`` (with the first characters of a long name cut), LibreOffice
    ``.~lock.NAME#``.

    Examples
    --------
    >>> _lock_target("~$results.xlsx"), _lock_target(".~lock.ranking.csv#"), _lock_target("a")
    ('results.xlsx', 'ranking.csv', None)
    """
    if name.startswith("~$") and len(name) > 2:
        return name[2:]
    if name.startswith(".~lock.") and name.endswith("#") and len(name) > 8:
        return name[7:-1]
    return None


def _is_ours(name: str, known: Collection[str]) -> bool:
    """Whether ``name`` is a file pitch-jury writes (``known``, ignoring case) or one left
    by an interrupted write of an earlier version (``.NAME.XXXXXXXX``)."""
    folded = name.casefold()
    if folded in known:
        return True
    return folded.startswith(".") and any(folded.startswith(f".{k}.") for k in known)


def _listing(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def check_folder(out: str | Path, *, known: Collection[str]) -> bool:
    """Check that ``out`` can be replaced by a new run; return whether it holds files.

    Parameters
    ----------
    out
        The output folder; it need not exist.
    known
        Names of the files pitch-jury writes (compared ignoring case).

    Returns
    -------
    bool
        ``True`` when ``out`` is a folder holding files (an earlier run), ``False`` when it
        is missing or empty.

    Raises
    ------
    OutputError
        When ``out`` is a file, is the current folder (or holds it), holds anything that is
        not a pitch-jury output, or holds a spreadsheet's lock file (an output is open in
        Excel or LibreOffice).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_folder(folder / "new", known={"a.csv"}), check_folder(folder, known={"a.csv"})
    (False, False)
    >>> _ = (folder / "a.csv").write_text("x"); check_folder(folder, known={"a.csv"})
    True
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_folder(folder, known={"a.csv"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    selection.outputs.files.OutputError: The output folder ... holds notes.txt, which ...
    """
    target = Path(out).resolve()
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"The output folder {out} is a file, not a folder. Choose a folder with --out."
        )
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was deleted: it cannot be the target
        here = None
    if target.parent == target or (here is not None and (target == here or target in here.parents)):
        raise OutputError(
            f"The output folder {out} is the folder you are working in (or holds it), and "
            "pitch-jury replaces its output folder as a whole. Choose another folder with "
            "--out, for example a new 'results' folder."
        )
    if not target.exists():
        return False
    folded = {name.casefold() for name in known}
    foreign, locked, n_files = [], [], 0
    try:
        with os.scandir(target) as entries:
            for entry in entries:
                n_files += 1
                name = entry.name
                if name.casefold() in SYSTEM_FILES and not entry.is_dir(follow_symlinks=False):
                    continue
                lock = _lock_target(name)
                if lock is not None and any(k.endswith(lock.casefold()) for k in folded):
                    locked.append(name)
                elif entry.is_dir(follow_symlinks=False) or not _is_ours(name, folded):
                    foreign.append(name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    except OSError as exc:
        raise OutputError(
            f"Cannot read the output folder {out}: {exc.strerror or exc}. "
            "Choose another folder with --out."
        ) from exc
    if locked:
        raise OutputError(
            f"An output in {out} is open in a spreadsheet program (lock file "
            f"{_listing(locked)}). Close it and run again; if nothing is open, delete the "
            "lock file. Nothing was written; the previous outputs are untouched."
        )
    if foreign:
        them = "it" if len(foreign) == 1 else "them"
        raise OutputError(
            f"The output folder {out} holds {_listing(foreign)}, which pitch-jury did not "
            f"write. A run replaces the whole folder, so {them} would be lost: move "
            f"{them} elsewhere, or choose a new or empty folder with --out. Nothing was "
            "written."
        )
    return n_files > 0


def _sibling(target: Path, role: str) -> Path:
    return target.with_name(f".{target.name}.pitch-jury-{role}-{secrets.token_hex(4)}")


def _make_staging(target: Path, out: str | Path, untouched: str) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            staging = _sibling(target, "new")
            try:
                os.mkdir(staging, _FOLDER_MODE)
            except FileExistsError:
                continue
            return staging
    except (FileExistsError, NotADirectoryError) as exc:  # a file where a folder should be
        blocker = next((p for p in target.parents if p.exists()), target.parent)
        raise OutputError(
            f"Cannot write {out}: {blocker} is a file, not a folder. Choose another folder "
            f"with --out. {untouched}"
        ) from exc
    except OSError as exc:
        raise OutputError(f"{write_failure(out, exc)} {untouched}") from exc


class _HalfSwapError(OutputError):
    """The swap failed halfway and could not be undone: both folders are kept."""


def _swap(staging: Path, target: Path, out: str | Path, *, existed: bool) -> None:
    """Put ``staging`` in the place of ``target`` (renaming an existing one aside first)."""
    untouched = f"The previous outputs in {out} are untouched."
    if not existed:
        try:
            os.rename(staging, target)
        except OSError as exc:
            raise OutputError(
                f"Cannot create the output folder {out}: {exc.strerror or exc}. Nothing was "
                "written. Choose another folder with --out."
            ) from exc
        return
    aside = _sibling(target, "old")
    try:
        os.rename(target, aside)
    except OSError as exc:
        raise OutputError(
            f"Cannot replace the output folder {out}: {exc.strerror or exc}. A file in it "
            "may be open in another program (Excel, say): close it and run again. "
            f"{untouched}"
        ) from exc
    try:
        os.rename(staging, target)
    except OSError as exc:
        try:
            os.rename(aside, target)
        except OSError:
            raise _HalfSwapError(
                f"Cannot move the new outputs into {out}: {exc.strerror or exc}. The "
                f"previous outputs are now in {aside} and the new ones in {staging}; "
                f"rename one of them to {target.name}."
            ) from exc
        raise OutputError(
            f"Cannot move the new outputs into {out}: {exc.strerror or exc}. {untouched}"
        ) from exc
    # The run is in place; an old copy that cannot be deleted (a file still open, say)
    # stays beside it, hidden, rather than failing a run that succeeded.
    shutil.rmtree(aside, ignore_errors=True)


def replace_folder(
    out: str | Path, files: Mapping[str, bytes], *, known: Collection[str] = ()
) -> list[Path]:
    """Replace the folder ``out`` by one holding exactly ``files``, or change nothing.

    See the module's description for the steps and what each failure leaves.

    Parameters
    ----------
    out
        The output folder; created (with its parents) when missing.
    files
        File name to content, in writing order.
    known
        Names of the other files pitch-jury writes (an earlier run may hold them); the
        names in ``files`` count too.

    Returns
    -------
    list of Path
        ``out / name`` for every file, in order.

    Raises
    ------
    OutputError
        When ``out`` is refused (see :func:`check_folder`) or a step fails; the message
        names the file or folder, says what to do and that the previous outputs are
        untouched.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> _ = replace_folder(out, {"a.csv": b"1", "b.csv": b"2"})
    >>> [p.name for p in replace_folder(out, {"a.csv": b"3"}, known={"b.csv"})]
    ['a.csv']
    >>> sorted(p.name for p in out.iterdir()), (out / "a.csv").read_bytes()
    (['a.csv'], b'3')
    """
    known = {*known, *files}
    existed = check_folder(out, known=known)
    target = Path(out).resolve()
    untouched = (
        f"The previous outputs in {out} are untouched."
        if existed
        else f"Nothing was written to {out}."
    )
    staging = _make_staging(target, out, untouched)
    try:
        present = target.exists()
        if present and os.name == "posix":  # the folder keeps its own permissions
            with contextlib.suppress(OSError):
                os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        for name, data in files.items():
            try:
                create_file(staging / name, data)
            except OSError as exc:
                raise OutputError(f"{write_failure(Path(out) / name, exc)} {untouched}") from exc
        _swap(staging, target, out, existed=present)
    except _HalfSwapError:
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [Path(out) / name for name in files]
