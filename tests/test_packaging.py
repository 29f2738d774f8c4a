"""A non-editable install ships the example event and the init templates, and they work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_install_runs_the_example_event(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("pitch_jury-*.whl")
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    script = (
        "from scoring.example import example_event_path\n"
        "from scoring.ingest.load import load_event\n"
        "import scoring, importlib.resources as r\n"
        "path = example_event_path()\n"
        "assert str(path).startswith(r'" + str(site) + "'), path\n"
        "event = load_event(path)\n"
        "templates = sorted(p.name for p in (r.files('scoring') / 'templates').iterdir())\n"
        "print(len(event.candidates), templates)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    shipped = {p.name for p in (ROOT / "examples" / "event").iterdir() if p.is_file()}
    installed = {p.name for p in (site / "scoring" / "example_event").iterdir()}
    assert shipped <= installed
    assert "event.toml" in run.stdout
