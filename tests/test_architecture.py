"""The tree follows the pipeline: imports run only downwards, and no module imports itself
back in a circle (see docs/architecture.md).

Every import of every module in ``scoring`` and ``selection`` counts: at module level,
under ``TYPE_CHECKING`` and inside functions. A module may import its own layer or a lower
one; inside a layer the imports must not form a circle. Renderers may be imported lazily by
the result type they render (``selection.result`` draws its own plots for notebooks).
"""

from __future__ import annotations

import ast
import fnmatch
import itertools
from pathlib import Path

import pytest

from tests.paths import ROOT

LAYERS: list[tuple[str, ...]] = [
    ("scoring.columns", "scoring._lazy"),
    ("scoring.errors",),
    ("scoring.config",),
    ("scoring.event", "scoring.frames", "scoring.example"),
    ("scoring.ingest", "scoring.ingest.*"),
    ("scoring.conflicts",),
    ("scoring.models", "scoring.models.*"),
    ("scoring.diagnostics", "scoring.diagnostics.*"),
    ("scoring.pipeline",),
    ("scoring",),
    ("selection.columns",),
    ("selection.model", "selection.model.*"),
    ("selection.engine", "selection.engine.*"),
    ("selection.analysis", "selection.analysis.*"),
    ("selection.facade",),
    ("selection.uncertainty", "selection.uncertainty.*"),
    ("selection.result",),
    ("selection.outputs", "selection.outputs.*"),
    ("selection.pipeline",),
    ("selection.whatif",),
    ("selection.cli",),
    ("selection",),
]
"""The pipeline, lowest first: ingest -> models -> diagnostics; model -> engine -> analysis
-> facade -> uncertainty -> result -> outputs -> pipeline -> whatif -> cli."""

LAZY_UPWARDS = {("selection.result", "selection.outputs.*")}
"""Imports inside functions that may point upwards: (importer, imported pattern)."""


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("scoring", "selection"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    for index, patterns in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return index
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py")


def _imports(module: str) -> list[tuple[str, bool]]:
    """(imported project module, lazily inside a function) for every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    lazy_nodes = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                out.append((target, id(node) in lazy_nodes))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_only_downwards(module: str) -> None:
    here = _layer(module)
    for target, lazy in _imports(module):
        if lazy and any(module == a and fnmatch.fnmatchcase(target, b) for a, b in LAZY_UPWARDS):
            continue
        assert _layer(target) <= here, (
            f"{module} (layer {here}) imports {target} (layer {_layer(target)})"
        )
        if module.startswith("scoring"):
            assert not target.startswith("selection"), f"{module} imports {target}"


def test_no_import_circles() -> None:
    graph = {
        m: {
            t
            for t, lazy in _imports(m)
            if not (lazy and any(m == a and fnmatch.fnmatchcase(t, b) for a, b in LAZY_UPWARDS))
        }
        for m in MODULES
    }
    # Package tops import their own modules; a module importing its own package top would
    # be a circle through it, so the tops stay in the graph.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = itertools.count()

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _layer(module)
