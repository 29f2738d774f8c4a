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


def test_bayes_plots_in_a_notebook() -> None:
    from scoring import PitchJuryError, example_event_path, load_event
    from selection import run_event

    result = run_event(load_event(example_event_path()), method="bayes")
    assert result.plot_rank_intervals("Africa").axes
    assert result.plot_rankogram(["AF-01", "AF-02"]).axes
    additive = run_event(load_event(example_event_path()))
    try:
        additive.plot_rank_intervals("Africa")
    except PitchJuryError as exc:
        assert "bayes" in str(exc)
    else:
        raise AssertionError("rank intervals need the Bayesian model")
