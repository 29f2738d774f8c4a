"""The tree follows the pipeline: imports run only downwards, and no module imports itself
back in a circle; docs/architecture.md lists every module; no module touches process-wide
state.

Every import of every module in ``scoring`` and ``selection`` counts: at module level,
under ``TYPE_CHECKING`` and inside functions. A module may import its own layer or a lower
one; inside a layer the imports must not form a circle. Renderers may be imported lazily by
the result type they render (``selection.result`` draws its own plots for notebooks).

The process belongs to the program that embeds the library (``tests/test_process_state.py``
checks that at run time, on the paths the example event takes). The static check here
covers every path: no module calls, imports or assigns anything in :data:`PROCESS_WIDE`,
however it is spelt (``import os``, ``from os import fork``, ``import matplotlib as mpl``),
except the uses in :data:`ALLOWED`, each with its reason.
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


PROCESS_WIDE: dict[str, str] = {
    "sys.setswitchinterval": "the interpreter's thread switch interval",
    "sys.setrecursionlimit": "the interpreter's recursion limit",
    "sys.settrace": "the interpreter's tracer",
    "sys.setprofile": "the interpreter's profiler",
    "sys.excepthook": "the process's last-resort error handler",
    "sys.stdout": "the process's standard output",
    "sys.stderr": "the process's standard error",
    "sys.stdin": "the process's standard input",
    "threading.settrace": "every thread's tracer",
    "threading.setprofile": "every thread's profiler",
    "threading.excepthook": "every thread's error handler",
    "os.fork": "a child process",
    "os.forkpty": "a child process",
    "os.posix_spawn": "a child process",
    "os.posix_spawnp": "a child process",
    "os.system": "a child process",
    "os.popen": "a child process",
    "os.exec*": "replaces the process",
    "os.spawn*": "a child process",
    "os.kill": "a signal to a process",
    "os.dup2": "file descriptors every thread shares",
    "os.dup": "file descriptors every thread shares",
    "os.umask": "the process's file creation mask",
    "os.chdir": "the process's working folder",
    "os.putenv": "the environment",
    "os.unsetenv": "the environment",
    "os.environ": "the environment (reading it is fine; assigning, deleting, updating not)",
    "subprocess": "child processes",
    "multiprocessing": "child processes",
    "concurrent.futures.ProcessPoolExecutor": "child processes",
    "signal.signal": "the process's signal handlers",
    "signal.set_wakeup_fd": "the process's signal wake-up",
    "signal.setitimer": "the process's interval timer",
    "signal.alarm": "the process's alarm",
    "signal.siginterrupt": "the process's system-call restart",
    "signal.pthread_sigmask": "the thread's signal mask",
    "faulthandler.enable": "the process's crash handler",
    "faulthandler.register": "the process's crash handler",
    "atexit.register": "work at the process's exit",
    "warnings.simplefilter": "the process's warning filters",
    "warnings.filterwarnings": "the process's warning filters",
    "warnings.resetwarnings": "the process's warning filters",
    "warnings.catch_warnings": "the process's warning filters (and not thread-safe)",
    "warnings.showwarning": "the process's warning display",
    "logging.basicConfig": "the host's logging set-up",
    "logging.captureWarnings": "the host's logging set-up",
    "logging.disable": "the host's logging set-up",
    "logging.root": "the host's logging set-up",
    "locale.setlocale": "the process's locale",
    "matplotlib.use": "the host's matplotlib backend",
    "matplotlib.pyplot.switch_backend": "the host's matplotlib backend",
    "matplotlib.rc": "the host's matplotlib style",
    "matplotlib.rcdefaults": "the host's matplotlib style",
    "matplotlib.rc_file": "the host's matplotlib style",
    "matplotlib.rcParams": "the host's matplotlib style (reading it is fine)",
    "matplotlib.pyplot.rc": "the host's matplotlib style",
    "matplotlib.pyplot.rcdefaults": "the host's matplotlib style",
    "matplotlib.pyplot.rcParams": "the host's matplotlib style (reading it is fine)",
    "matplotlib.style.use": "the host's matplotlib style",
    "matplotlib.pyplot.style.use": "the host's matplotlib style",
    "pandas.set_option": "pandas' options for the whole process",
    "pandas.options": "pandas' options for the whole process",
    "numpy.seterr": "numpy's error handling for the whole process",
    "numpy.set_printoptions": "numpy's printing for the whole process",
    "numpy.random.seed": "numpy's global random state",
    "random.seed": "Python's global random state",
}
"""What belongs to the process, not the library: qualified names to what they would change.

A name that is a function is banned when called; a name that is an object (``os.environ``,
``rcParams``, ``sys.stdout``) is banned when assigned, deleted or changed in place
(``x[k] = v``, ``x.update(...)``); a module (``subprocess``, ``multiprocessing``) is banned
when imported. ``*`` matches any ending (``os.execv``)."""

_OBJECTS = {
    "sys.excepthook",
    "sys.stdout",
    "sys.stderr",
    "sys.stdin",
    "threading.excepthook",
    "os.environ",
    "warnings.showwarning",
    "logging.root",
    "matplotlib.rcParams",
    "matplotlib.pyplot.rcParams",
    "pandas.options",
}
_IMPORTS_BANNED = {"subprocess", "multiprocessing", "concurrent.futures.ProcessPoolExecutor"}
_MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}

ALLOWED: dict[tuple[str, str], str] = {
    ("selection.cli", "sys.stdout"): (
        "the command line owns its process; after a broken pipe it swaps its own closed "
        "sys.stdout for a sink so that the interpreter's exit-time flush stays quiet "
        "(never the file descriptor)"
    ),
    ("selection.cli", "sys.stderr"): "as sys.stdout, for a closed standard error",
}
"""(module, qualified name) to why that module may do it."""


def _banned(name: str) -> str | None:
    """The :data:`PROCESS_WIDE` entry ``name`` is, or is inside (``os.environ.copy``
    is inside ``os.environ``), or None."""
    for pattern in PROCESS_WIDE:
        if fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + "."):
            return pattern
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name to the qualified name it stands for, from every import in the module
    (``np`` -> ``numpy``, ``fork`` -> ``os.fork``, ``plt`` -> ``matplotlib.pyplot``)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    root = alias.name.partition(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The qualified name of ``a.b.c`` when ``a`` is an imported name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def process_wide_uses(source: str) -> list[tuple[int, str, str]]:
    """Return (line, qualified name, what it changes) for every process-wide use in
    ``source``: a call to a banned function, a change to a banned object, or an import of a
    banned module.

    Examples
    --------
    >>> source = "import os as o\\nzone = o.environ.get('TZ')\\no.environ['TZ'] = 'UTC'"
    >>> [(line, name) for line, name, _ in process_wide_uses(source)]
    [(3, 'os.environ')]
    """
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found: list[tuple[int, str]] = []

    def target(node: ast.expr) -> None:
        while isinstance(node, ast.Subscript):
            node = node.value
        name = _qualified(node, aliases)
        if name is not None and _banned(name) in _OBJECTS:
            found.append((node.lineno, name))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            base = f"{node.module}." if isinstance(node, ast.ImportFrom) else ""
            if isinstance(node, ast.ImportFrom) and (node.level or not node.module):
                continue  # a relative import is the project's own
            modules = [base + a.name for a in node.names]
            found.extend((node.lineno, m) for m in modules if _banned(m) in _IMPORTS_BANNED)
        elif isinstance(node, ast.Call):
            name = _qualified(node.func, aliases) or ""
            owner, _, method = name.rpartition(".")
            called = _banned(name) not in (None, *_OBJECTS)
            if called or (_banned(owner) in _OBJECTS and method in _MUTATORS):
                found.append((node.lineno, name))
        elif isinstance(node, ast.Assign | ast.Delete):
            for each in node.targets:
                target(each)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            target(node.target)
    return [(line, name, PROCESS_WIDE[str(_banned(name))]) for line, name in sorted(found)]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_process_wide_state(module: str) -> None:
    uses = process_wide_uses(MODULES[module].read_text(encoding="utf-8"))
    unexplained = [
        f"{MODULES[module].relative_to(ROOT)}:{line}: {name} ({what})"
        for line, name, what in uses
        if (module, _banned(name)) not in ALLOWED
    ]
    assert unexplained == [], "the library changes process-wide state:\n" + "\n".join(unexplained)


def test_every_allowed_use_is_still_there() -> None:
    for (module, name), reason in ALLOWED.items():
        uses = process_wide_uses(MODULES[module].read_text(encoding="utf-8"))
        assert any(_banned(n) == name for _, n, _ in uses), (module, name, reason)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sys\nsys.setswitchinterval(1)", ["sys.setswitchinterval"]),
        ("from os import fork\nfork()", ["os.fork"]),
        ("import os\nos.dup2(3, 1)", ["os.dup2"]),
        ("import os\nos.execv('x', [])", ["os.execv"]),
        ("import os\nos.umask(0)", ["os.umask"]),
        ("import os\nos.environ['A'] = '1'", ["os.environ"]),
        ("import os\nos.environ.update(A='1')", ["os.environ.update"]),
        ("import os\ndel os.environ['A']", ["os.environ"]),
        ("import os\nx = os.environ.get('A')", []),
        ("import multiprocessing", ["multiprocessing"]),
        ("from multiprocessing import Pool", ["multiprocessing.Pool"]),
        ("import subprocess", ["subprocess"]),
        (
            "from concurrent.futures import ProcessPoolExecutor",
            ["concurrent.futures.ProcessPoolExecutor"],
        ),
        ("from concurrent.futures import ThreadPoolExecutor", []),
        ("import signal\nsignal.signal(signal.SIGINT, None)", ["signal.signal"]),
        ("import warnings\nwarnings.simplefilter('error')", ["warnings.simplefilter"]),
        ("import warnings\nwarnings.filterwarnings('ignore')", ["warnings.filterwarnings"]),
        (
            "from warnings import catch_warnings\nwith catch_warnings(): pass",
            ["warnings.catch_warnings"],
        ),
        ("import warnings\nwarnings.warn('x')", []),
        ("import matplotlib\nmatplotlib.use('Agg')", ["matplotlib.use"]),
        (
            "import matplotlib as mpl\nmpl.rcParams['svg.fonttype'] = 'none'",
            ["matplotlib.rcParams"],
        ),
        ("from matplotlib import rcParams\nrcParams.update({})", ["matplotlib.rcParams.update"]),
        ("import matplotlib.pyplot as plt\nplt.rcParams['a'] = 1", ["matplotlib.pyplot.rcParams"]),
        ("import matplotlib\nx = matplotlib.rcParams['a']", []),
        ("import matplotlib as mpl\nwith mpl.rc_context({}): pass", []),
        ("import logging\nlogging.basicConfig()", ["logging.basicConfig"]),
        ("import logging\nlogging.getLogger(__name__).debug('x')", []),
        ("import sys\nsys.stdout = None", ["sys.stdout"]),
        ("import sys\nsys.stdout.write('x')", []),
        ("import numpy as np\nnp.seterr(all='ignore')", ["numpy.seterr"]),
        ("import numpy as np\nwith np.errstate(all='ignore'): pass", []),
        ("import pandas as pd\npd.set_option('a', 1)", ["pandas.set_option"]),
    ],
)
def test_the_scan_sees_every_spelling(source: str, expected: list[str]) -> None:
    assert [name for _, name, _ in process_wide_uses(source)] == expected


def _documented_modules() -> set[str]:
    """The modules docs/architecture.md lists: its first code block, one per line, nested
    by two spaces a level, a package written ``name/``."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```")[1]
    found: set[str] = set()
    path: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        del path[depth:]
        found.add(".".join([*path, name.rstrip("/")]))
        if name.endswith("/"):
            path.append(name.rstrip("/"))
    return found


def test_docs_list_every_module() -> None:
    documented = _documented_modules()
    assert sorted(set(MODULES) - documented) == [], "add these to docs/architecture.md"
    assert sorted(documented - set(MODULES)) == [], "docs/architecture.md lists these"
