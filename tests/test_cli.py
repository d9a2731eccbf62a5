"""The ``ingester`` command, run as a subprocess against local feeds and a real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CliResult, Item, rss
from lxml import etree
from pytest_httpserver import HTTPServer

import ingester
from ingester import config

Cli = Callable[..., CliResult]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def run_cli(cwd: Path, *args: str) -> CliResult:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop(config.ENV_VAR, None)
    proc = subprocess.run(
        [sys.executable, "-m", "ingester", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def feed_config(
    db: Path, feeds: str, *, interval: str = "1s", extra: str = "", storage: bool = True
) -> str:
    storage_table = f'[storage]\npath = "{db}"\n' if storage else ""
    return (
        f"{extra}\n{storage_table}"
        '[fetch]\nallow_private_networks = true\ntimeout = "5s"\n'
        f'[schedule]\ninterval = "{interval}"\njitter = "0s"\nworkers = 1\n'
        f"[extract]\nenabled = false\n{feeds}"
    )


@pytest.fixture(autouse=True)
def _no_env_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ENV_VAR, raising=False)


# -- check-config --------------------------------------------------------------------------------


def test_check_config_summarises_a_good_config(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "good.toml"
    path.write_text(
        feed_config(
            tmp_path / "data" / "x.db",
            '[[feeds]]\nurl = "https://example.org/a.xml"\nname = "A"\n'
            '[[feeds]]\nurl = "https://example.org/b.xml"\nenabled = false\n',
            interval="15m",
        )
    )
    text = cli("--config", str(path), "check-config")
    assert text.code == 0, text.stderr
    assert f"{path} is valid" in text.stdout
    assert str(tmp_path / "data" / "x.db") in text.stdout
    assert "2 (1 enabled)" in text.stdout
    assert "every 15m" in text.stdout
    assert "private network addresses are allowed" in text.stdout

    as_json = cli("--config", str(path), "check-config", "--json")
    assert as_json.code == 0
    summary = json.loads(as_json.stdout)
    assert summary["config"] == str(path)
    assert (summary["feeds"], summary["enabled"], summary["interval_seconds"]) == (2, 1, 900)
    assert not (tmp_path / "data" / "x.db").exists()  # checking touches no database


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[fetch]\nallow_private_networks = true\ntimeout_secs = "5s"\n', "fetch.timeout_secs",
         "unknown key"),
        ('[[feeds]]\nurl = "https://example.org/ok"\n[[feeds]]\nurl = "ftp://example.org/f"\n',
         "feeds[1].url", "not an http:// or https:// URL"),
        ('[schedule]\ninterval = "fortnight"\n', "schedule.interval", "not a duration"),
        ('opml = ["missing.opml"]\n', "opml[0]", "cannot read OPML file"),
        ("[schedule\ninterval = 3\n", "", "not valid TOML"),
    ],
    ids=["unknown-key", "bad-url", "bad-duration", "missing-opml", "bad-toml"],
)  # fmt: skip
def test_check_config_rejects_bad_configs(
    tmp_path: Path, cli: Cli, text: str, key: str, problem: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    result = cli("--config", str(path), "check-config")
    assert result.code == 78
    assert str(path) in result.stderr
    assert key in result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_config_file(tmp_path: Path, cli: Cli) -> None:
    result = cli("--config", str(tmp_path / "nowhere.toml"), "check-config")
    assert result.code == 78
    assert f"{tmp_path / 'nowhere.toml'}: file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_a_bad_config_before_starting(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(feed_config(tmp_path / "x.db", "", extra="[alerts]\nemail = 1\n"))
    result = cli("--config", str(path), "run", "--once")
    assert result.code == 78
    assert "alerts" in result.stderr and "unknown key" in result.stderr
    assert not (tmp_path / "x.db").exists()


# -- config location -----------------------------------------------------------------------------


def test_config_flag_wins_over_environment(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "env.toml").write_text(feed_config(tmp_path / "env.db", ""))
    (tmp_path / "flag.toml").write_text(feed_config(tmp_path / "flag.db", ""))
    env = {config.ENV_VAR: str(tmp_path / "env.toml")}

    both = cli("--config", str(tmp_path / "flag.toml"), "check-config", "--json", env=env)
    assert json.loads(both.stdout)["config"] == str(tmp_path / "flag.toml")
    only_env = cli("check-config", "--json", env=env)
    assert json.loads(only_env.stdout)["config"] == str(tmp_path / "env.toml")


def test_default_config_path_is_config_ingester_toml(tmp_path: Path, cli: Cli) -> None:
    missing = cli("check-config")
    assert missing.code == 78
    assert "config/ingester.toml: file not found" in missing.stderr
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "ingester.toml").write_text(feed_config(tmp_path / "x.db", ""))
    found = cli("check-config", "--json")
    assert json.loads(found.stdout)["config"] == str(tmp_path / "config" / "ingester.toml")


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"ingester, version {ingester.__version__}"


# -- run --once and what it leaves behind --------------------------------------------------------

STORIES = [
    Item("Kazatomprom raises uranium output", "https://wire.example.com/n/1", "wire-1",
         "The miner expects higher production in the steppe."),
    Item("Wheat exports", "https://wire.example.com/n/2", "wire-2", "Grain from Kostanay."),
    Item("Tenge steady", "https://wire.example.com/n/3", "wire-3", "The currency held."),
    Item("Oil flows", "https://wire.example.com/n/4", "wire-4",
         "[Reuters] Pipeline flows to China rose [update 2]"),
]  # fmt: skip


@dataclass(frozen=True)
class Populated:
    config: Path
    db: Path
    good: str
    broken: str
    idle: str
    run: CliResult


@pytest.fixture(scope="module")
def populated(
    tmp_path_factory: pytest.TempPathFactory, make_httpserver_ipv4: HTTPServer
) -> Populated:
    """One `run --once` over a good feed, a failing one and a disabled one; read-only after."""
    server = make_httpserver_ipv4
    server.clear()
    server.expect_request("/wire.xml").respond_with_data(
        rss(STORIES, title="Wire"), content_type="application/rss+xml"
    )
    server.expect_request("/broken.xml").respond_with_data("oops", status=500)
    good, broken = server.url_for("/wire.xml"), server.url_for("/broken.xml")
    idle = server.url_for("/idle.xml")
    tmp = tmp_path_factory.mktemp("populated")
    path = tmp / "ingester.toml"
    path.write_text(
        feed_config(
            tmp / "ingester.db",
            f'[[feeds]]\nurl = "{good}"\nname = "Steppe Wire"\ntags = ["news", "kz"]\n'
            f'[[feeds]]\nurl = "{broken}"\nname = "Broken"\n'
            f'[[feeds]]\nurl = "{idle}"\nenabled = false\n',
        )
    )
    result = run_cli(tmp, "--config", str(path), "run", "--once", "--json")
    server.clear()
    return Populated(path, tmp / "ingester.db", good, broken, idle, result)


def test_run_once_stores_entries(populated: Populated) -> None:
    assert populated.run.code == 0, populated.run.stderr
    assert f"{len(STORIES)} new articles" in populated.run.stderr
    assert "1 failed" in populated.run.stderr
    assert "Traceback" not in populated.run.stderr
    report = json.loads(populated.run.stdout)
    assert (report["feeds"], report["new"], report["errors"]) == (2, len(STORIES), 1)
    assert report["error_urls"] == [populated.broken]
    with sqlite3.connect(populated.db) as conn:
        rows = conn.execute("SELECT url, title FROM articles ORDER BY url").fetchall()
    assert rows == [(s.link, s.title) for s in STORIES]


def test_feeds_list_json(populated: Populated, cli: Cli) -> None:
    result = cli("--config", str(populated.config), "feeds", "list", "--json")
    assert result.code == 0, result.stderr
    feeds = {f["url"]: f for f in json.loads(result.stdout)}
    assert set(feeds) == {populated.good, populated.broken, populated.idle}
    for feed in feeds.values():
        assert {"url", "name", "status", "error_count", "last_error", "next_fetch_at", "items"} <= (
            set(feed)
        )
    good, broken, idle = feeds[populated.good], feeds[populated.broken], feeds[populated.idle]
    assert (good["name"], good["status"], good["error_count"], good["last_error"]) == (
        "Steppe Wire",
        "ok",
        0,
        None,
    )
    assert good["items"] == len(STORIES)
    assert good["tags"] == ["news", "kz"]
    assert when(good["next_fetch_at"]) > when(good["last_success_at"])
    assert (broken["name"], broken["status"], broken["error_count"], broken["items"]) == (
        "Broken",
        "error",
        1,
        0,
    )
    assert broken["last_error"].startswith("HTTP 500")
    assert broken["last_success_at"] is None
    assert when(broken["next_fetch_at"]) > when(broken["last_fetch_at"])
    assert (idle["status"], idle["items"], idle["last_fetch_at"]) == ("disabled", 0, None)


def test_feeds_list_table_shows_health(populated: Populated, cli: Cli) -> None:
    result = cli("--config", str(populated.config), "feeds", "list")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 of 3 feeds healthy, 1 failing"
    assert any("Steppe Wire" in line and f" {len(STORIES)} " in line for line in lines)
    assert any("error ×1" in line and "Broken" in line and "HTTP 500" in line for line in lines)


def test_search_json_finds_an_article(populated: Populated, cli: Cli) -> None:
    result = cli("--config", str(populated.config), "search", "kostanay", "--json")
    assert result.code == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [h["url"] for h in hits] == ["https://wire.example.com/n/2"]
    assert "[Kostanay]" in hits[0]["snippet"]
    assert hits[0]["feeds"] == ["Steppe Wire"]


def test_search_table_and_no_matches(populated: Populated, cli: Cli) -> None:
    found = cli("--config", str(populated.config), "search", "uranium")
    assert found.code == 0
    assert "Kazatomprom raises uranium output" in found.stdout
    assert "https://wire.example.com/n/1" in found.stdout
    none = cli("--config", str(populated.config), "search", "bitcoin")
    assert (none.code, none.stdout, none.stderr.strip()) == (0, "", "no matches")


def test_search_keeps_brackets_in_the_text_and_highlights_matches(
    populated: Populated, cli: Cli
) -> None:
    plain = cli("--config", str(populated.config), "search", "pipeline")
    assert plain.code == 0, plain.stderr
    assert "[Reuters] Pipeline flows to China rose [update 2]" in plain.stdout
    assert "\x02" not in plain.stdout and "\x03" not in plain.stdout
    colour = {"NO_COLOR": "", "FORCE_COLOR": "1", "TERM": "xterm"}
    coloured = cli("--config", str(populated.config), "search", "pipeline", env=colour)
    assert coloured.code == 0, coloured.stderr
    assert "\x1b[1;33mPipeline\x1b[0m" in coloured.stdout


def test_bad_search_query_fails_with_a_message(populated: Populated, cli: Cli) -> None:
    result = cli("--config", str(populated.config), "search", '"uranium')
    assert result.code != 0
    assert "bad query" in result.stderr
    assert "Traceback" not in result.stderr


def test_feeds_export_round_trips_through_read_opml(
    populated: Populated, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "feeds.opml"
    result = cli("--config", str(populated.config), "feeds", "export", "-o", str(out))
    assert result.code == 0, result.stderr
    assert "wrote 3 feeds" in result.stderr
    root = etree.fromstring(out.read_bytes())  # well-formed XML
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    specs = config.read_opml(out, key="opml[0]", shown=str(out))
    assert sorted(s.url for s in specs) == sorted(
        [populated.good, populated.broken, populated.idle]
    )
    assert {s.url: s.name for s in specs}[populated.good] == "Steppe Wire"
    assert {s.url: s.tags for s in specs} == {
        populated.good: ("news", "kz"),
        populated.broken: (),
        populated.idle: (),
    }
    stdout = cli("--config", str(populated.config), "feeds", "export")
    assert stdout.stdout == out.read_text()


def test_exported_opml_works_as_a_config(populated: Populated, cli: Cli, tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    cli("--config", str(populated.config), "feeds", "export", "-o", str(opml))
    path = tmp_path / "from-opml.toml"
    path.write_text(feed_config(tmp_path / "x.db", "", extra='opml = ["feeds.opml"]'))
    summary = json.loads(cli("--config", str(path), "check-config", "--json").stdout)
    assert summary["feeds"] == 3
