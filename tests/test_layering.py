"""The architecture as a test: which module of ``ingester`` may import what.

Stages share data only through ``models``; each third-party library lives behind one module.
The imports are read with ``ast`` (nothing is executed), including imports inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import ingester

PACKAGE = Path(ingester.__file__).parent

STAGES = frozenset(
    {"fetch", "parse", "dedupe", "extract", "keywords", "match", "schedule", "store", "story"}
)
STAGE_MAY_IMPORT = frozenset({"models", "errors", "config"})
PURE_STAGES = frozenset({"dedupe", "schedule", "parse", "extract", "keywords", "match", "story"})
IO_LIBRARIES = frozenset(
    {"httpx", "aiohttp", "sqlite3", "sqlite_utils", "socket", "requests", "urllib3", "smtplib"}
)
OWNERS = {  # library -> the only modules that may import it
    "sqlite3": "store",
    "sqlite_utils": "store",
    "httpx": ("fetch", "alert"),  # STYLE.md: fetch, and the webhook sender
    "aiohttp": "fetch",
    "smtplib": "alert",
    "feedparser": "parse",
    "trafilatura": "extract",
    "py3langid": "keywords",
    "pymorphy3": "keywords",
    "datasketch": (),  # a test reference only: importing it imports scipy
    "apscheduler": "daemon",
    "click": "cli",
    "rich": "cli",
}


def imports_of(source: str, modules: Iterable[str], *, depth: int = 0) -> set[str]:
    """What a module of the package imports: ``.name`` for sibling modules, else the top-level
    name of the library (``urllib`` for ``urllib.parse``). ``depth`` is 1 for a module inside a
    stage's own subpackage (``ingester/keywords/english.py``): its imports from that subpackage
    are the stage's own business and not edges."""
    siblings = set(modules)
    found: set[str] = set()

    def internal(dotted: str) -> str:
        return "." + dotted.split(".")[0] if dotted else ".__init__"

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top, _, rest = alias.name.partition(".")
                found.add(internal(rest) if top == "ingester" else top)
        elif isinstance(node, ast.ImportFrom):
            if depth and node.level == depth:
                continue  # within the stage's own subpackage
            if depth and node.level > depth:
                node.level -= depth  # relative to the package root, like a top-level module
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] != "ingester":
                found.add(module.split(".")[0])
                continue
            inside = module.partition(".")[2] if node.level == 0 else module
            if inside:
                found.add(internal(inside))
            else:  # `from . import a, b`: each name is a module or something in __init__
                found.update(
                    internal(a.name) if a.name in siblings else ".__init__" for a in node.names
                )
    return found


def import_graph(
    sources: Mapping[str, str], modules: Iterable[str] | None = None
) -> dict[str, set[str]]:
    names = set(sources if modules is None else modules)
    return {name: imports_of(text, names) for name, text in sources.items()}


def subpackage_imports(modules: Iterable[str]) -> dict[str, set[str]]:
    """A stage that grew into a subpackage counts as one module: the union of its files."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*/*.py")):
        found = imports_of(path.read_text(encoding="utf-8"), modules, depth=1)
        graph.setdefault(path.parent.name, set()).update(found)
    return graph


def violations(graph: Mapping[str, set[str]]) -> list[str]:
    problems = []
    for module, imported in sorted(graph.items()):
        internal = {name[1:] for name in imported if name.startswith(".")}
        external = {name for name in imported if not name.startswith(".")}
        if module in STAGES:
            for other in sorted(internal - STAGE_MAY_IMPORT - {"__init__"}):
                problems.append(
                    f"{module} imports {other}: stages may import only models, errors, config"
                )
        if module in PURE_STAGES:
            for library in sorted(external & IO_LIBRARIES):
                problems.append(f"{module} imports {library}: a pure stage does no I/O")
        for library in sorted(external):
            owner = OWNERS.get(library)
            owners = (owner,) if isinstance(owner, str) else owner
            if owners is not None and module not in owners:
                may = f"only {' or '.join(owners)} may" if owners else "no module may"
                problems.append(f"{module} imports {library}: {may}")
    return problems


def package_sources() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}


def full_graph() -> dict[str, set[str]]:
    sources = package_sources()
    names = set(sources) | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    return {**import_graph(sources, names), **subpackage_imports(names)}


def test_the_package_has_no_forbidden_imports() -> None:
    assert violations(full_graph()) == []


def test_the_walker_sees_the_real_edges() -> None:
    """Guards the test above against passing because it reads nothing."""
    graph = full_graph()
    assert STAGES | {"pipeline", "daemon", "cli", "models", "errors", "config"} <= set(graph)
    assert "sqlite_utils" in graph["store"]
    assert {"httpx", "aiohttp", ".config", ".models", ".errors"} <= graph["fetch"]
    assert "feedparser" in graph["parse"]
    assert "apscheduler" in graph["daemon"]
    assert {"click", "rich", ".daemon", ".store"} <= graph["cli"]
    assert {".dedupe", ".parse", ".schedule", ".store", ".fetch"} <= graph["pipeline"]
    assert ".match" in graph["pipeline"]
    assert {".alert", ".pipeline", ".config"} <= graph["deliver"]
    assert {"sqlite_utils"} <= graph["store"]  # the package store/ counts as one module


BAD = {
    "dedupe": "import socket\nfrom .fetch import Fetcher\nfrom . import models\n",
    "schedule": "def later():\n    import sqlite3\n    from ingester import pipeline\n",
    "parse": "from ingester.store import SQLiteStore\nimport httpx.models\n",
    "store": "import rich\nfrom .models import Candidate\n",
    "fetch": "from . import parse, errors\nimport aiohttp\n",
    "pipeline": "import feedparser\nfrom . import dedupe\n",
    "cli": "from apscheduler.schedulers.asyncio import AsyncIOScheduler\nimport click\n",
    "daemon": "import apscheduler\nfrom .pipeline import Pipeline\n",
    "models": "import sqlite_utils\n",
}


@pytest.mark.parametrize(
    "expected",
    [
        "dedupe imports socket: a pure stage does no I/O",
        "dedupe imports fetch: stages may import only models, errors, config",
        "schedule imports sqlite3: a pure stage does no I/O",
        "schedule imports sqlite3: only store may",
        "schedule imports pipeline: stages may import only models, errors, config",
        "parse imports store: stages may import only models, errors, config",
        "parse imports httpx: a pure stage does no I/O",
        "parse imports httpx: only fetch or alert may",
        "store imports rich: only cli may",
        "fetch imports parse: stages may import only models, errors, config",
        "pipeline imports feedparser: only parse may",
        "cli imports apscheduler: only daemon may",
        "models imports sqlite_utils: only store may",
    ],
)
def test_the_checker_catches_a_bad_edge(expected: str) -> None:
    assert expected in violations(import_graph(BAD))


def test_the_checker_allows_the_permitted_edges() -> None:
    found = violations(import_graph(BAD))
    for allowed in ("dedupe imports models", "fetch imports errors", "fetch imports aiohttp",
                    "store imports models", "cli imports click", "daemon imports apscheduler",
                    "daemon imports pipeline", "pipeline imports dedupe"):  # fmt: skip
        assert not any(line.startswith(allowed + ":") for line in found), allowed
    assert len(found) == 13


def test_a_stage_subpackage_counts_as_its_stage() -> None:
    inner = (
        "from .lexicon import STOP_WORDS\nfrom . import phrases\n"
        "from ..models import Keyword\nfrom ..fetch import Fetcher\nimport pymorphy3\n"
    )
    found = imports_of(inner, {"models", "fetch", "keywords"}, depth=1)
    assert found == {".models", ".fetch", "pymorphy3"}
    problems = violations({"keywords": found})
    assert problems == ["keywords imports fetch: stages may import only models, errors, config"]


def test_the_real_graph_includes_the_article_stages() -> None:
    graph = full_graph()
    assert {"trafilatura"} <= graph["extract"]
    assert {"py3langid", "pymorphy3"} <= graph["keywords"]
    assert {".extract", ".keywords"} <= graph["pipeline"]


def test_a_worker_process_imports_only_what_parsing_needs() -> None:
    """Worker processes import ``ingester.pipeline`` to run ``digest`` and ``analyse``, and
    the parent's main script, which for the ``ingester`` command imports ``ingester.__main__``.
    The pipeline's types from config, fetch and store are for the checker only, and the CLI
    is imported when the command runs: a worker does not load pydantic, aiohttp, httpx or
    sqlite-utils (about 40 MB each)."""
    import subprocess
    import sys

    heavy = ("pydantic", "aiohttp", "httpx", "sqlite_utils", "sqlite3", "rich", "click", "numpy")
    for module in ("ingester.pipeline", "ingester.workers", "ingester.__main__"):
        probe = f"import sys, {module}\nprint(' '.join(m for m in {heavy!r} if m in sys.modules))"
        loaded = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
        assert loaded == [], module


def test_the_command_is_a_light_import() -> None:
    """Each worker imports the parent's main script again: for the ``ingester`` command that
    is a script doing ``from ingester.__main__ import main``, which must stay a light import
    (the test above), not ``from ingester.cli import main``, which imports everything."""
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["ingester"] == "ingester.__main__:main"


def test_the_worker_processes_stay_light_and_run_below_the_main_process(
    tmp_path: Path,
) -> None:
    """What a worker of the real pool has loaded after its start-up and a parse: not the
    daemon, the config, the fetcher or the store (which its initializer once dragged in)."""
    import asyncio
    import os

    from ingester import config, daemon, pipeline

    path = tmp_path / "ingester.toml"
    path.write_text('[storage]\npath = "x.db"\n[schedule]\nworkers = 1\n', encoding="utf-8")
    settings = config.load(path)
    heavy = ("ingester.daemon", "ingester.config", "ingester.store", "ingester.fetch")
    heavy += ("pydantic", "aiohttp", "httpx", "sqlite_utils", "apscheduler")
    feed = b'<rss version="2.0"><channel><item><title>t</title></item></channel></rss>'

    async def probe() -> tuple[pipeline.Digest, object, int]:
        workers = daemon.make_workers(settings)
        try:
            parsed = await workers.run(pipeline.digest, feed, "https://example.org/")
            loaded = await workers.run(
                eval, f"[m for m in {heavy!r} if m in __import__('sys').modules]"
            )
            return parsed, loaded, await workers.run(os.nice, 0)
        finally:
            workers.close()

    parsed, loaded, niceness = asyncio.run(probe())
    assert parsed.candidates[0].title == "t"
    assert loaded == []
    assert niceness == os.nice(0) + daemon.WORKER_NICENESS
