"""Lazy re-exports for package tops: ``from scoring import load_event`` without importing
every stage (so ``pitch-jury check`` never loads the solver or matplotlib).

Examples
--------
>>> getattr_, dir_ = lazy_exports("scoring", {"Event": "scoring.event"})
>>> getattr_("Event").__name__, dir_()
('Event', ['Event'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` that import ``exports`` on first use.

    ``exports`` maps each public name to the module that defines it.
    """

    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        importlib.import_module(package).__dict__[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_
