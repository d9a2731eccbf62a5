"""The daemon as systemd runs it: ``python -m ingester --config X run`` in a subprocess.

Feeds come from a threaded HTTP server on 127.0.0.1 (so one stuck handler does not stall the
others); the tests watch the database and the daemon's stderr, with deadlines, never fixed sleeps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, Item, rss
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

pytestmark = pytest.mark.slow

RSS = "application/rss+xml"
STARTUP = 20.0  # generous: interpreter start, imports, forkserver


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown so that handlers blocked on it return and free their threads."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def server(threaded_server: HTTPServer, release: threading.Event) -> Iterator[HTTPServer]:
    threaded_server.clear()
    yield threaded_server
    release.set()
    threaded_server.clear()


def write_config(
    path: Path,
    urls: list[str],
    *,
    db: Path | None = None,
    interval: str = "1s",
    timeout: str = "5s",
    extra: str = "",
) -> Path:
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    path.write_text(
        f'{extra}\n[storage]\npath = "{db or path.parent / "ingester.db"}"\n'
        f'[fetch]\nallow_private_networks = true\ntimeout = "{timeout}"\n'
        f'[schedule]\ninterval = "{interval}"\njitter = "0s"\ntick = "0.2s"\nworkers = 1\n'
        "[extract]\nenabled = false\n"  # these tests are about feeds, not article pages
        f"{feeds}",
        encoding="utf-8",
    )
    return path


class Running:
    """One daemon process; its stderr goes to a file the test can read at any time."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.log = config.parent / f"{config.stem}.stderr"
        self.db = config.parent / "ingester.db"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ingester", "--config", str(config), "run"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=config.parent,
                env={**os.environ, "NO_COLOR": "1", **(env or {})},
                start_new_session=True,  # its own process group: the parser workers too
            )

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_log(self, text: str, timeout: float = STARTUP) -> None:
        wait_until(lambda: text in self.stderr(), timeout, f"{text!r} in stderr", self)

    def kill_group(self) -> None:
        """Kill the daemon's process group (the daemon, its forkserver and workers)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def daemon() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(config: Path, env: dict[str, str] | None = None) -> Running:
        started.append(Running(config, env))
        return started[-1]

    yield start
    for running in started:
        running.kill_group()


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, running: Running | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if running is not None and not running.running():
            pytest.fail(
                f"daemon exited ({running.proc.returncode}) before {what}:\n{running.stderr()}"
            )
        if time.monotonic() > deadline:
            log = running.stderr() if running else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{log}")
        time.sleep(0.05)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the daemon's database; an absent or half-created one reads as empty."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def titles(db: Path) -> set[str]:
    return {row[0] for row in query(db, "SELECT title FROM articles")}


class Feed:
    """A feed body that can change while the daemon runs."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.hits = 0

    def __call__(self, request: Request) -> Response:
        self.hits += 1
        return Response(self.body, content_type=RSS)


def news(prefix: str, n: int) -> list[Item]:
    return [
        Item(f"{prefix} {i}", f"https://news.example.com/{prefix}/{i}", f"{prefix}-{i}")
        for i in range(n)
    ]


# -- start, poll, stop ---------------------------------------------------------------------------


def test_polls_then_stops_cleanly_on_sigterm(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running]
) -> None:
    server.expect_request("/a.xml").respond_with_handler(Feed(rss(news("alpha", 3))))
    running = daemon(write_config(tmp_path / "ingester.toml", [server.url_for("/a.xml")]))
    wait_until(lambda: len(titles(running.db)) == 3, STARTUP, "3 articles", running)
    assert titles(running.db) == {"alpha 0", "alpha 1", "alpha 2"}

    sent = time.monotonic()
    running.signal(signal.SIGTERM)
    assert running.wait(timeout=10) == 0
    assert time.monotonic() - sent < 10
    log = running.stderr()
    assert "SIGTERM received: stopping" in log
    assert any(line.endswith("ingester.daemon: stopped") for line in log.splitlines())
    assert "Traceback" not in log


def test_first_signal_waits_for_a_stuck_poll_then_gives_up(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running], release: threading.Event
) -> None:
    entered = threading.Event()

    def stuck(request: Request) -> Response:
        entered.set()
        release.wait(60)
        return Response(rss(news("late", 1)), content_type=RSS)

    server.expect_request("/stuck.xml").respond_with_handler(stuck)
    url = server.url_for("/stuck.xml")
    running = daemon(write_config(tmp_path / "ingester.toml", [url], timeout="60s"))
    assert entered.wait(STARTUP), running.stderr()

    sent = time.monotonic()
    running.signal(signal.SIGTERM)
    assert running.wait(timeout=15) == 0
    waited = time.monotonic() - sent
    assert 4 < waited < 10  # STOP_GRACE is 5 s
    assert "did not finish in 5s" in running.stderr()
    # The poll was abandoned, not recorded: the feed is still due after a restart.
    assert query(running.db, "SELECT status, last_fetch_at, error_count FROM feeds") == [
        ("new", None, 0)
    ]


def test_second_signal_exits_at_once_during_a_stuck_poll(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running], release: threading.Event
) -> None:
    entered = threading.Event()

    def stuck(request: Request) -> Response:
        entered.set()
        release.wait(60)
        return Response(rss(news("late", 1)), content_type=RSS)

    server.expect_request("/stuck.xml").respond_with_handler(stuck)
    url = server.url_for("/stuck.xml")
    running = daemon(write_config(tmp_path / "ingester.toml", [url], timeout="60s"))
    assert entered.wait(STARTUP), running.stderr()

    running.signal(signal.SIGTERM)
    running.wait_for_log("stopping: letting in-flight polls finish", timeout=5)
    assert running.running()  # still giving the stuck poll its grace
    sent = time.monotonic()
    running.signal(signal.SIGINT)
    code = running.wait(timeout=5)
    assert time.monotonic() - sent < 2
    assert code != 0
    assert "second SIGINT: exiting now" in running.stderr()


# -- reload --------------------------------------------------------------------------------------


def test_sighup_reloads_and_rejects_a_bad_config(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running]
) -> None:
    first, second = Feed(rss(news("first", 2))), Feed(rss(news("second", 2)))
    server.expect_request("/first.xml").respond_with_handler(first)
    server.expect_request("/second.xml").respond_with_handler(second)
    urls = [server.url_for("/first.xml"), server.url_for("/second.xml")]
    config = write_config(tmp_path / "ingester.toml", urls[:1])
    running = daemon(config)
    wait_until(lambda: titles(running.db) == {"first 0", "first 1"}, STARTUP, "first feed", running)
    assert second.hits == 0

    write_config(config, urls)
    running.signal(signal.SIGHUP)
    wait_until(lambda: len(titles(running.db)) == 4, 10, "the added feed's articles", running)
    assert "config reloaded" in running.stderr()

    config.write_text(config.read_text() + "\n[schedule]\ninterval = 'often'\n")
    running.signal(signal.SIGHUP)
    running.wait_for_log("reload rejected", timeout=10)
    assert str(config) in running.stderr()
    # Still running on the previous config, and still polling.
    first.body = rss([*news("first", 2), Item("first extra", "https://news.example.com/x", "x")])
    wait_until(lambda: "first extra" in titles(running.db), 10, "a new entry after", running)
    assert running.running()

    running.signal(signal.SIGTERM)
    assert running.wait(timeout=10) == 0


# -- crash safety --------------------------------------------------------------------------------

FEEDS = 50
PER_FEED = 100
OVERLAP = 10  # each feed's first items are the previous feed's last ones (other GUIDs)


def crowd_feed(index: int) -> str:
    step = PER_FEED - OVERLAP
    return rss(
        [
            Item(
                f"Story {index * step + j} seen by feed {index}",
                f"https://news.example.com/story/{index * step + j}?utm_source=feed{index}",
                f"feed{index}-{j}",
                "Lorem ipsum dolor sit amet, " * 8,
            )
            for j in range(PER_FEED)
        ],
        title=f"Feed {index}",
    )


def snapshot(db: Path) -> dict[str, Any]:
    return {
        "articles": sorted(r[0] for r in query(db, "SELECT url FROM articles")),
        "sources": sorted(
            query(
                db,
                "SELECT f.config_url, s.entry_key, a.url FROM article_sources s"
                " JOIN feeds f ON f.id = s.feed_id JOIN articles a ON a.id = s.article_id",
            )
        ),
        # Indexed articles (articles_fts itself would count the articles table) and those
        # waiting for the next bulk index.
        "fts": query(db, "SELECT COUNT(*) FROM articles_fts_docsize")[0][0],
        "pending": query(db, "SELECT COUNT(*) FROM search_pending")[0][0],
        "done": query(db, "SELECT COUNT(*) FROM feeds WHERE last_success_at IS NOT NULL")[0][0],
    }


def check_consistent(db: Path, *, all_indexed: bool = False) -> None:
    with sqlite3.connect(db) as conn:  # read-write: recovers the WAL like a restart would
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # rank 1: also that the index holds exactly the articles' text (none left pending)
        conn.execute(
            "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', ?)",
            [int(all_indexed)],
        )
        orphans = conn.execute(
            "SELECT COUNT(*) FROM articles a"
            " WHERE NOT EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = a.id)"
        ).fetchone()[0]
        assert orphans == 0
        per_feed = conn.execute(
            "SELECT f.config_url, f.last_success_at IS NOT NULL, COUNT(s.entry_key) FROM feeds f"
            " LEFT JOIN article_sources s ON s.feed_id = f.id GROUP BY f.id"
        ).fetchall()
    for url, done, count in per_feed:
        assert count == (PER_FEED if done else 0), url


def run_once(config: Path) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "ingester", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def test_kill_9_mid_cycle_loses_and_duplicates_nothing(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running]
) -> None:
    bodies = {f"/feed{i}.xml": crowd_feed(i) for i in range(FEEDS)}

    def slow(request: Request) -> Response:
        time.sleep(0.1)
        return Response(bodies[request.path], content_type=RSS)

    for path in bodies:
        server.expect_request(path).respond_with_handler(slow)
    urls = [server.url_for(path) for path in bodies]
    killed_dir, clean_dir = tmp_path / "killed", tmp_path / "clean"
    killed_dir.mkdir()
    clean_dir.mkdir()
    # A long interval: a feed committed before the kill is not polled again by `run --once`.
    config = write_config(killed_dir / "ingester.toml", urls, interval="1h")
    running = daemon(config)

    def some_done() -> bool:
        return len(query(running.db, "SELECT 1 FROM feeds WHERE last_success_at IS NOT NULL")) >= 3

    wait_until(some_done, STARTUP, "the first feeds to be stored", running)
    os.kill(running.proc.pid, signal.SIGKILL)
    assert running.wait(timeout=10) == -signal.SIGKILL
    running.kill_group()

    check_consistent(running.db)
    after_kill = snapshot(running.db)
    assert 3 <= after_kill["done"] < FEEDS, "the kill should land mid-cycle"
    assert after_kill["fts"] + after_kill["pending"] == len(after_kill["articles"])

    resumed = run_once(config)
    assert resumed.code == 0, resumed.stderr
    assert "0 failed" in resumed.stderr
    clean = run_once(write_config(clean_dir / "ingester.toml", urls, interval="1h"))
    assert clean.code == 0, clean.stderr

    check_consistent(running.db, all_indexed=True)
    final, reference = snapshot(running.db), snapshot(clean_dir / "ingester.db")
    assert final == reference
    assert final["done"] == FEEDS
    assert len(final["articles"]) == FEEDS * (PER_FEED - OVERLAP) + OVERLAP
    assert len(final["sources"]) == FEEDS * PER_FEED
    assert (final["fts"], final["pending"]) == (len(final["articles"]), 0)


# -- parser processes ----------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def parser_workers(daemon_pid: int) -> list[int]:
    """The pool's worker processes: children of the daemon's forkserver."""
    workers = []
    for child in children(daemon_pid):
        try:
            cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in cmdline:
            workers += children(child)
    return workers


def test_worker_pool_starts_every_process_before_the_first_poll(tmp_path: Path) -> None:
    import asyncio

    from ingester import config, daemon

    path = tmp_path / "ingester.toml"
    path.write_text('[storage]\npath = "x.db"\n[schedule]\nworkers = 2\n', encoding="utf-8")

    async def check() -> None:
        workers = daemon.make_workers(config.load(path))
        try:
            assert workers.processes == []
            await workers.start()
            assert len(workers.processes) == 2
            assert all(process.is_alive() for process in workers.processes)
        finally:
            workers.close()

    asyncio.run(check())


def test_daemon_recovers_when_a_parser_process_dies(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running]
) -> None:
    """A worker killed (say by the OOM killer) must not stop parsing until a restart."""
    edits = iter(range(10_000))

    def changing(request: Request) -> Response:  # a new text every poll: parsed every time
        item = Item(f"headline, edit {next(edits)}", "https://news.example.com/live", "live")
        return Response(rss([item]), content_type=RSS)

    server.expect_request("/live.xml").respond_with_handler(changing)
    running = daemon(write_config(tmp_path / "ingester.toml", [server.url_for("/live.xml")]))

    def revision() -> int:
        rows = query(running.db, "SELECT revision FROM articles")
        return int(rows[0][0]) if rows else 0

    wait_until(revision, STARTUP, "the first article", running)
    workers = wait_until(lambda: parser_workers(running.proc.pid), 10, "a parser process", running)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    killed_at = revision()
    wait_until(lambda: revision() >= killed_at + 3, 15, "parsing to resume", running)
    assert parser_workers(running.proc.pid) != workers
    running.signal(signal.SIGTERM)
    assert running.wait(timeout=10) == 0


# -- systemd -------------------------------------------------------------------------------------


def test_ready_and_watchdog_notifications(
    tmp_path: Path, server: HTTPServer, daemon: Callable[..., Running]
) -> None:
    server.expect_request("/a.xml").respond_with_handler(Feed(rss(news("alpha", 1))))
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(0.2)
        running = daemon(
            write_config(tmp_path / "ingester.toml", [server.url_for("/a.xml")]),
            env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"},
        )
        messages: list[str] = []

        def receive() -> list[str]:
            with contextlib.suppress(TimeoutError):
                messages.append(sock.recv(4096).decode())
            return messages

        def ready_and_two_pings() -> bool:
            got = receive()
            return any("READY=1" in m for m in got) and sum(m == "WATCHDOG=1" for m in got) >= 2

        wait_until(ready_and_two_pings, STARTUP, "READY=1 and two WATCHDOG=1", running)
        ready = next(m for m in messages if "READY=1" in m)
        assert "STATUS=polling 1 feeds" in ready.splitlines()

        running.signal(signal.SIGTERM)
        wait_until(lambda: "STOPPING=1" in receive(), 10, "STOPPING=1", running=None)
        assert running.wait(timeout=10) == 0
