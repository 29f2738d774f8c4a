"""The scripts in examples/ run as documented."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "walkthrough.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.startswith("optimal - total merit")
    assert "joined:" in printed and "merit gained without the country rule:" in printed
