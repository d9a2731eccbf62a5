"""``ingester run --once``, ``watches ...``, ``alerts ...`` and ``check-config`` with notifiers,
run as a user would: subprocesses against a feed and a webhook receiver on 127.0.0.1 and a real
SQLite file. The receiver (from ``test_alerts_daemon``) verifies every request's signature.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CliResult, rss
from pytest_httpserver import HTTPServer
from test_alerts_daemon import (
    MATCHED,
    SECRET,
    SECRET_ENV,
    STORIES,
    TOKEN,
    WATCHES,
    Hook,
    watch_tables,
    webhook_table,
)

Cli = Callable[..., CliResult]
ENV = {SECRET_ENV: SECRET}


@pytest.fixture(scope="module")
def feed_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def feed(feed_server: HTTPServer) -> Iterator[str]:
    feed_server.clear()
    feed_server.expect_request("/news.xml").respond_with_data(
        rss(STORIES), content_type="application/rss+xml"
    )
    yield feed_server.url_for("/news.xml")
    feed_server.clear()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def config(make_config: Callable[..., Path], feed: str, hook: Hook) -> Path:
    """One feed, the watches `csto` and `kz`, both sent to the webhook `hook`."""
    return make_config([feed], extra=webhook_table("hook", hook) + watch_tables(["hook"]))


def alert_rows(db: Path) -> dict[int, tuple[str, str]]:
    """Alert id -> (key, status)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {
            row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, key, status FROM alerts")
        }


# -- run --once, then what the watches matched ---------------------------------------------------


@dataclass(frozen=True)
class Populated:
    config: Path
    db: Path
    hook: Hook
    run: CliResult


@pytest.fixture(scope="module")
def populated(
    tmp_path_factory: pytest.TempPathFactory, feed_server: HTTPServer
) -> Iterator[Populated]:
    """One `run --once` over the stories with the watches `csto` and `kz` sent to `hook`;
    read-only after."""
    hook = Hook()
    feed_server.clear()
    feed_server.expect_request("/populated.xml").respond_with_data(
        rss(STORIES), content_type="application/rss+xml"
    )
    tmp = tmp_path_factory.mktemp("populated")
    config = tmp / "ingester.toml"
    feed = feed_server.url_for("/populated.xml")
    config.write_text(
        webhook_table("hook", hook)
        + watch_tables(["hook"])
        + f'[storage]\npath = "{tmp / "ingester.db"}"\n'
        + "[fetch]\nallow_private_networks = true\n[extract]\nenabled = false\n"
        + f'[[feeds]]\nurl = "{feed}"\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ingester", "--config", str(config), "run", "--once", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp,
        env={**os.environ, "NO_COLOR": "1", **ENV},
    )
    feed_server.clear()
    run = CliResult(proc.returncode, proc.stdout, proc.stderr)
    yield Populated(config, tmp / "ingester.db", hook, run)
    hook.close()


def test_run_once_stores_matches_and_delivers(populated: Populated) -> None:
    result, hook = populated.run, populated.hook
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["new"], report["errors"]) == (len(STORIES), 0)
    expected = {"articles": 5, "matches": 5, "alerts": 5, "queued": 0}
    assert {key: report["matches"][key] for key in expected} == expected
    assert report["alerts"] == {"sent": 5, "retrying": 0, "failed": 0, "held": 0, "errors": []}
    assert "5 watch matches: 5 alerts to send, 0 held for digests" in result.stderr
    assert "alerts: 5 sent, 0 to retry, 0 failed" in result.stderr

    assert [p.problem for p in hook.posts] == [None] * 5  # every request verified
    assert {p.subject for p in hook.posts} == MATCHED
    rows = alert_rows(populated.db)
    assert sorted(p.id for p in hook.posts) == sorted(key for key, _ in rows.values())
    assert {status for _, status in rows.values()} == {"sent"}


def test_watches_list_shows_matches_and_alerts(populated: Populated, cli: Cli) -> None:
    config = str(populated.config)
    table = cli("--config", config, "watches", "list", env=ENV)
    assert table.code == 0, table.stderr
    lines = {line.split()[0]: line.split() for line in table.stdout.splitlines() if line}
    assert lines["watch"][:4] == ["watch", "query", "notify", "matches"]
    assert lines["csto"][:4] == ["csto", "CSTO", "hook", "2"]
    assert lines["kz"][:4] == ["kz", "Kazakhstan", "hook", "3"]
    assert table.stdout.count("sent") == 2 and "3 sent" in table.stdout

    as_json = cli("--config", config, "watches", "list", "--json", env=ENV)
    assert as_json.code == 0, as_json.stderr
    watches = {w["name"]: w for w in json.loads(as_json.stdout)}
    assert set(watches) == set(WATCHES)
    for name, matches in (("csto", 2), ("kz", 3)):
        fields = ("query", "mode", "notify", "matches", "sent", "pending", "failed")
        assert {k: watches[name][k] for k in fields} == {
            "query": WATCHES[name],
            "mode": "instant",
            "notify": ["hook"],
            "matches": matches,
            "sent": matches,
            "pending": 0,
            "failed": 0,
        }


def test_watches_test_shows_why_and_sends_nothing(populated: Populated, cli: Cli) -> None:
    config, hook = str(populated.config), populated.hook
    posted, rows = len(hook.posts), alert_rows(populated.db)

    by_name = cli("--config", config, "watches", "test", "csto", env=ENV)
    assert by_name.code == 0, by_name.stderr
    assert by_name.stdout.count("CSTO in title") == 2
    assert "CSTO exercise opens near Almaty" in by_name.stdout
    assert "CSTO summit moves to Kazakhstan" in by_name.stdout
    assert "Kazakhstan raises" not in by_name.stdout
    assert "2 of 5 articles since 30d would have alerted watch csto; nothing was sent" in (
        by_name.stderr
    )

    by_query = cli("--config", config, "watches", "test", "CSTO AND Kazakhstan", "--json", env=ENV)
    assert by_query.code == 0, by_query.stderr
    [line] = by_query.stdout.splitlines()
    found = json.loads(line)
    assert (found["title"], found["url"]) == (STORIES[1].title, STORIES[1].link)
    assert {(m["term"], m["field"]) for m in found["matched"]} == {
        ("CSTO", "title"),
        ("Kazakhstan", "title"),
    }
    assert "this query; nothing was sent" in by_query.stderr

    assert len(hook.posts) == posted  # testing sends nothing ...
    assert alert_rows(populated.db) == rows  # ... and writes no alert


def test_watches_test_refuses_a_bad_query_with_a_caret(cli: Cli, config: Path, hook: Hook) -> None:
    result = cli("--config", str(config), "watches", "test", "CSTO AND (", env=ENV)
    assert result.code == 2
    assert "unclosed parenthesis" in result.stderr
    lines = result.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "CSTO AND (")
    assert lines[at + 1].index("^") == lines[at].index("(")
    assert "Watch syntax:" in result.stderr
    assert "Traceback" not in result.stderr
    assert hook.posts == []


# -- alerts list / retry -------------------------------------------------------------------------


def test_failed_alerts_are_listed_retried_and_then_delivered(
    cli: Cli, make_config: Callable[..., Path], feed: str, hook: Hook, tmp_path: Path
) -> None:
    config = str(
        make_config(
            [feed], extra=webhook_table("hook", hook) + watch_tables(["hook"], {"csto": "CSTO"})
        )
    )
    db = tmp_path / "ingester.db"
    hook.status = 400
    first = cli("--config", config, "run", "--once", env=ENV)
    assert first.code == 0, first.stderr
    assert "alerts: 0 sent, 0 to retry, 2 failed" in first.stderr

    listed = cli("--config", config, "alerts", "list", "--status", "failed", "--json", env=ENV)
    assert listed.code == 0, listed.stderr
    failed = json.loads(listed.stdout)
    assert len(failed) == 2
    for row in failed:
        assert (row["status"], row["watch"], row["notifier"], row["attempts"]) == (
            "failed", "csto", "hook", 1,
        )  # fmt: skip
        assert "HTTP 400 Bad Request" in row["last_error"]
    assert {row["url"] for row in failed} == {STORIES[0].link, STORIES[1].link}
    one, other = (row["id"] for row in failed)

    retried = cli("--config", config, "alerts", "retry", str(one), env=ENV)
    assert retried.code == 0, retried.stderr
    assert "1 alert(s) pending again" in retried.stdout
    assert {i: s for i, (_, s) in alert_rows(db).items()} == {one: "pending", other: "failed"}

    retried = cli("--config", config, "alerts", "retry", "--failed", env=ENV)
    assert retried.code == 0, retried.stderr
    assert "1 alert(s) pending again" in retried.stdout
    assert {s for _, s in alert_rows(db).values()} == {"pending"}

    hook.status = 200
    second = cli("--config", config, "run", "--once", env=ENV)
    assert second.code == 0, second.stderr
    assert "alerts: 2 sent, 0 to retry, 0 failed" in second.stderr
    keys = {row["key"] for row in failed}
    assert Counter(p.id for p in hook.accepted()) == dict.fromkeys(keys, 1)
    assert Counter(p.id for p in hook.posts) == dict.fromkeys(keys, 2)  # the same id both times
    assert {s for _, s in alert_rows(db).values()} == {"sent"}


def test_alerts_retry_needs_known_ids_or_failed(cli: Cli, config: Path) -> None:
    neither = cli("--config", str(config), "alerts", "retry", env=ENV)
    assert neither.code == 2
    assert "give alert IDs or --failed" in neither.stderr
    assert "Traceback" not in neither.stderr
    unknown = cli("--config", str(config), "alerts", "retry", "999", env=ENV)
    assert unknown.code == 1
    assert "no alert with id 999" in unknown.stderr
    assert "Traceback" not in unknown.stderr


# -- alerts test ---------------------------------------------------------------------------------


def test_alerts_test_sends_one_signed_message(cli: Cli, config: Path, hook: Hook) -> None:
    result = cli("--config", str(config), "alerts", "test", "hook", env=ENV)
    assert result.code == 0, result.stderr
    assert "test alert delivered through hook" in result.stdout
    [post] = hook.posts
    assert post.problem is None
    assert post.id.startswith("msg_test_")
    assert post.payload["data"]["articles"][0]["title"].startswith("feed-ingester test alert")


def test_alerts_test_reports_a_refusal_and_an_unknown_notifier(
    cli: Cli, config: Path, hook: Hook
) -> None:
    hook.status = 500
    failing = cli("--config", str(config), "alerts", "test", "hook", env=ENV)
    assert failing.code == 1
    assert "test alert not delivered (temporary)" in failing.stderr
    assert "answered HTTP 500" in failing.stderr
    assert "Traceback" not in failing.stderr
    assert len(hook.posts) == 1

    unknown = cli("--config", str(config), "alerts", "test", "pager", env=ENV)
    assert unknown.code == 2
    assert "no notifier named 'pager' (known: hook)" in unknown.stderr
    assert "Traceback" not in unknown.stderr


# -- check-config --------------------------------------------------------------------------------


def test_check_config_needs_the_webhook_secret(
    cli: Cli, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    missing = cli("--config", str(config), "check-config")
    assert missing.code == 78
    assert "notifiers.hook.secret_env" in missing.stderr
    assert f"environment variable {SECRET_ENV} is not set" in missing.stderr
    assert "Traceback" not in missing.stderr

    present = cli("--config", str(config), "check-config", env=ENV)
    assert present.code == 0, present.stderr
    assert "is valid" in present.stdout
    assert "notifier  hook: webhook (json) http://127.0.0.1:" in present.stdout
    for secret in (SECRET, SECRET.removeprefix("whsec_"), TOKEN):
        assert secret not in present.stdout + present.stderr


# -- alert ids ---------------------------------------------------------------------------------


# Alert ids are unique across databases: a receiver drops a repeated webhook-id as a duplicate.
def test_a_fresh_database_does_not_reuse_an_alert_id_for_another_article(
    cli: Cli, make_config: Callable[..., Path], feed_server: HTTPServer, hook: Hook, tmp_path: Path
) -> None:
    feed_server.clear()
    feed_server.expect_request("/one.xml").respond_with_data(
        rss(STORIES[:1]), content_type="application/rss+xml"
    )
    feed_server.expect_request("/two.xml").respond_with_data(
        rss(STORIES[1:2]), content_type="application/rss+xml"
    )
    extra = webhook_table("hook", hook) + watch_tables(["hook"], {"csto": "CSTO"})
    for path in ("/one.xml", "/two.xml"):
        for old in tmp_path.glob("ingester.db*"):
            old.unlink()  # a new install, or a database started afresh
        config = make_config([feed_server.url_for(path)], extra=extra)
        result = cli("--config", str(config), "run", "--once", env=ENV)
        assert result.code == 0, result.stderr
    first, second = hook.posts
    assert first.subject != second.subject  # two different articles ...
    assert first.id != second.id  # ... must not share the id receivers deduplicate on
