"""Every issue code anywhere in the source has a registered meaning (shown by the CLI)."""

from __future__ import annotations

import re
from pathlib import Path

from scoring.ingest.validate import ISSUE_CODES as VALIDATION_CODES
from scoring.pipeline import ISSUE_CODES as SCORING_CODES
from selection.model.verify import ISSUE_CODES as SELECTION_CODES
from selection.uncertainty.lottery import ISSUE_CODES as LOTTERY_CODES
from selection.whatif import ISSUE_CODES as WHAT_IF_CODES

ROOT = Path(__file__).resolve().parent.parent
ALL_CODES = {
    **VALIDATION_CODES,
    **SCORING_CODES,
    **SELECTION_CODES,
    **LOTTERY_CODES,
    **WHAT_IF_CODES,
}
PREFIXES = sorted({code.split(".")[0] for code in ALL_CODES})


def test_every_code_in_the_source_is_registered() -> None:
    pattern = re.compile(r'"((?:' + "|".join(PREFIXES) + r')\.[a-z_]+)"')
    registered = set(ALL_CODES)
    used: set[str] = set()
    for path in [*(ROOT / "scoring").rglob("*.py"), *(ROOT / "selection").rglob("*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    column_paths = {"selection.per_group", "selection.seats", "criteria.weight", "criteria.name"}
    modules = {f"selection.{path.stem}" for path in (ROOT / "selection").rglob("*.py")}
    assert used - registered - column_paths - modules == set()
