"""The bundled example event (International Knowledge Sharing Week pitch session).

In a repository checkout it lives in ``examples/event``; an installed copy of pitch-jury
ships the same files inside the ``scoring`` package as ``scoring/example_event``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from scoring.errors import PitchJuryError

__all__ = ["example_event_path"]


def example_event_path() -> Path:
    """Return the folder of the bundled example event.

    Raises
    ------
    PitchJuryError
        When the installation lacks the example files.

    Examples
    --------
    >>> (example_event_path() / "event.toml").is_file()
    True
    """
    installed = Path(str(resources.files("scoring"))) / "example_event"
    checkout = Path(__file__).resolve().parent.parent / "examples" / "event"
    for folder in (installed, checkout):
        if (folder / "event.toml").is_file():
            return folder
    raise PitchJuryError(
        "The bundled example event is missing from this installation. "
        "Reinstall pitch-jury (pip install --force-reinstall pitch-jury)."
    )
