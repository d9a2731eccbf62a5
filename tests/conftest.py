"""Shared fixtures: a fixed clock, config files in a temp dir, feed documents, the CLI.

Feeds, pages and receivers are served by real HTTP servers on 127.0.0.1 (pytest-httpserver's
``httpserver`` fixture, or a server a test starts itself); nothing here reaches the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


@dataclass
class Item:
    title: str
    link: str
    guid: str | None = None
    description: str = ""
    published: datetime | None = None


def rss(items: Sequence[Item], *, title: str = "Test feed", ttl: int | None = None) -> str:
    """An RSS 2.0 document with the given items."""
    parts = []
    for item in items:
        guid = f'<guid isPermaLink="false">{escape(item.guid)}</guid>' if item.guid else ""
        date = f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else ""
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>{guid}"
            f"{date}<description>{escape(item.description)}</description></item>"
        )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl is not None else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/</link>{ttl_tag}"
        + "".join(parts)
        + "</channel></rss>"
    )


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config file in tmp_path; private addresses allowed (feeds are on loopback)."""

    def make(
        feeds: Sequence[str] = (),
        *,
        extra: str = "",
        fetch: str = "",
        schedule: str = 'interval = "1s"\njitter = "0s"',
        name: str = "ingester.toml",
        extract: bool = False,
    ) -> Path:
        """Article pages are not fetched unless ``extract``: most tests are about feeds."""
        feed_tables = "".join(f'\n[[feeds]]\nurl = "{url}"\n' for url in feeds)
        text = (
            f'{extra}\n[storage]\npath = "{tmp_path / "ingester.db"}"\n'
            f'[fetch]\nallow_private_networks = true\ntimeout = "5s"\n{fetch}\n'
            f"[schedule]\n{schedule}\nworkers = 1\n"
            f"[extract]\nenabled = {'true' if extract else 'false'}\n{feed_tables}"
        )
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``python -m ingester ARGS`` in a subprocess, as a user would."""

    def run(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> CliResult:
        full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "ingester", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp_path,
            env=full_env,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def no_proxy_env() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    """A feed server that answers requests in parallel (a daemon polls many feeds at once),
    one per test module; each module's ``server`` fixture clears it between tests."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()
