"""Paths the tests share: the repository, the golden outputs, the instance files."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GOLDEN = TESTS / "golden" / "example"
INSTANCES = TESTS / "instances"
EXAMPLE_EVENT = ROOT / "examples" / "event"
