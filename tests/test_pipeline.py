"""End-to-end cycles of the pipeline against feeds on a local HTTP server and a real database.

Each ``cycle()`` is one ``Pipeline.run_due`` with a fresh ``Fetcher``, as after a restart: all
state that carries over lives in the database. The clock is fixed; feeds become due again by
moving it past their ``next_fetch_at``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, FixedClock, Item, rss
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ingester import config
from ingester import pipeline as pipeline_module
from ingester.fetch import Fetcher
from ingester.models import FeedSpec
from ingester.pipeline import CycleReport, Pipeline
from ingester.store import SQLiteStore

RSS = "application/rss+xml"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Poller:
    """A store and settings for some feed URLs; ``cycle()`` runs one pipeline cycle."""

    settings: config.Settings
    store: SQLiteStore
    clock: FixedClock
    reports: list[CycleReport] = field(default_factory=list)

    def cycle(self) -> CycleReport:
        async def one() -> CycleReport:
            fetcher = Fetcher(self.settings.fetch)
            pipeline = Pipeline(
                self.settings, self.store, fetcher, None, clock=self.clock, rng=random.Random(0)
            )
            try:
                return await pipeline.run_due()
            finally:
                pipeline.close()
                await fetcher.aclose()

        report = asyncio.run(one())
        self.reports.append(report)
        return report

    def feed(self, config_url: str) -> dict[str, Any]:
        cursor = self.store.db.execute("SELECT * FROM feeds WHERE config_url = ?", [config_url])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        assert row is not None, config_url
        return dict(zip(names, row, strict=True))

    def articles(self) -> list[tuple[Any, ...]]:
        return self.store.rows("SELECT * FROM articles ORDER BY id")

    def sources(self) -> list[tuple[Any, ...]]:
        return self.store.rows("SELECT * FROM article_sources ORDER BY feed_id, entry_key")

    def due(self) -> list[str]:
        return [f.url for f in self.store.due_feeds(self.clock(), 1000)]

    def start_audit(self) -> Callable[[], list[tuple[str, str]]]:
        """Log every write to articles and article_sources made on the store's connection.

        TEMP triggers live on this connection only and leave the database file as it is.
        """
        conn = self.store.db.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS audit (tbl TEXT, op TEXT)")
        for table in ("articles", "article_sources"):
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS audit_{table}_{op} AFTER {op}"
                    f" ON main.{table} BEGIN INSERT INTO audit VALUES ('{table}', '{op}'); END"
                )
        conn.execute("DELETE FROM audit")
        return lambda: [tuple(r) for r in conn.execute("SELECT tbl, op FROM audit")]


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> HTTPServer:
    return httpserver_ipv4


@pytest.fixture
def poller(make_config: Callable[..., Path], clock: FixedClock) -> Iterator[Callable[..., Poller]]:
    made: list[Poller] = []

    def make(urls: list[str], **kwargs: Any) -> Poller:
        settings = config.load(make_config(urls, **kwargs))
        store = SQLiteStore(settings.storage_path)
        store.sync_feeds(settings.feeds, settings.schedule.interval, clock())
        made.append(Poller(settings, store, clock))
        return made[-1]

    yield make
    for p in made:
        p.store.close()


def items(n: int, prefix: str = "story", **fields: Any) -> list[Item]:
    return [
        Item(
            title=f"{prefix.title()} number {i}",
            link=f"https://news.example.com/{prefix}/{i}",
            guid=f"{prefix}-{i}",
            description=f"Summary of {prefix} {i}.",
            **fields,
        )
        for i in range(n)
    ]


class Served:
    """A feed body that a test can change between polls."""

    def __init__(self, body: str, etag: str | None = None, honour_validators: bool = True):
        self.body = body
        self.etag = etag
        self.honour_validators = honour_validators
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        headers = {"ETag": self.etag} if self.etag else {}
        if (
            self.honour_validators
            and self.etag
            and request.headers.get("If-None-Match") == self.etag
        ):
            return Response(status=304, headers=headers)
        return Response(self.body, content_type=RSS, headers=headers)


def serve(server: HTTPServer, path: str, handler: Callable[[Request], Response]) -> str:
    server.expect_request(path).respond_with_handler(handler)
    return server.url_for(path)


# -- first poll, 304, unchanged, edited ----------------------------------------------------------


def test_first_poll_stores_every_entry(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    url = serve(server, "/feed.xml", Served(rss(items(5), title="Steppe News")))
    p = poller([url])
    report = p.cycle()
    assert (report.feeds, report.with_content, report.entries, report.new) == (1, 1, 5, 5)
    assert [(a[1], a[2]) for a in p.articles()] == [
        (f"https://news.example.com/story/{i}", f"Story number {i}") for i in range(5)
    ]
    assert len(p.sources()) == 5
    feed = p.feed(url)
    assert (feed["status"], feed["title"], feed["error_count"], feed["last_status"]) == (
        "ok",
        "Steppe News",
        0,
        200,
    )
    assert feed["last_success_at"] == stamp(p.clock())
    assert feed["next_fetch_at"] == stamp(p.clock() + timedelta(seconds=1))


def test_304_writes_no_articles(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    served = Served(rss(items(3)), etag='"v1"')
    url = serve(server, "/feed.xml", served)
    p = poller([url])
    p.cycle()
    writes = p.start_audit()
    before = p.articles(), p.sources()
    p.clock.advance(1)
    report = p.cycle()
    assert served.requests[-1].get("If-None-Match") == '"v1"'
    assert (report.feeds, report.not_modified, report.new, report.with_content) == (1, 1, 0, 0)
    assert writes() == []
    assert (p.articles(), p.sources()) == before
    feed = p.feed(url)
    assert (feed["status"], feed["last_status"], feed["etag"]) == ("ok", 304, '"v1"')
    assert feed["last_success_at"] == stamp(p.clock())


def test_last_modified_is_sent_back(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    date = "Sun, 01 Nov 2026 11:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == date:
            return Response(status=304)
        return Response(rss(items(2)), content_type=RSS, headers={"Last-Modified": date})

    url = serve(server, "/feed.xml", handler)
    p = poller([url])
    assert p.cycle().new == 2
    p.clock.advance(1)
    assert p.cycle().not_modified == 1


def test_identical_200_body_writes_nothing(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    served = Served(rss(items(3)), etag='"v1"', honour_validators=False)
    url = serve(server, "/feed.xml", served)
    p = poller([url])
    p.cycle()
    writes = p.start_audit()
    before = p.articles(), p.sources()
    p.clock.advance(1)
    report = p.cycle()
    assert len(served.requests) == 2
    assert (report.feeds, report.unchanged, report.not_modified, report.new) == (1, 1, 0, 0)
    assert writes() == []
    assert (p.articles(), p.sources()) == before
    assert p.feed(url)["last_success_at"] == stamp(p.clock())


def test_new_body_with_the_same_entries_writes_no_articles(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    served = Served(rss(items(3), title="Monday"))
    url = serve(server, "/feed.xml", served)
    p = poller([url])
    p.cycle()
    writes = p.start_audit()
    served.body = rss(items(3), title="Tuesday")  # only the channel changed
    p.clock.advance(1)
    report = p.cycle()
    assert (report.with_content, report.new, report.updated) == (1, 0, 0)
    assert writes() == []
    assert p.feed(url)["title"] == "Tuesday"


def test_edited_entry_is_updated_in_place(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    first = items(3)
    served = Served(rss(first))
    url = serve(server, "/feed.xml", served)
    p = poller([url])
    p.cycle()
    (old,) = p.store.rows("SELECT id, first_seen FROM articles WHERE title = 'Story number 1'")

    edited = list(first)
    edited[1] = Item(first[1].title + " (updated)", first[1].link, first[1].guid, "New facts.")
    served.body = rss(edited)
    p.clock.advance(60)
    report = p.cycle()
    assert (report.new, report.updated) == (0, 1)
    assert p.store.rows(
        "SELECT id, title, summary, revision, first_seen, updated_at FROM articles"
        " WHERE url = 'https://news.example.com/story/1'"
    ) == [(old[0], "Story number 1 (updated)", "New facts.", 2, old[1], stamp(p.clock()))]
    assert p.store.counts()["articles"] == 3
    assert p.store.rows("SELECT revision FROM articles WHERE id != ?", [old[0]]) == [(1,), (1,)]
    assert [h.article_id for h in p.store.search("facts", 10)] == [old[0]]


# -- duplicates ----------------------------------------------------------------------------------


def test_same_guid_twice_in_one_feed_is_one_article(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    twice = [
        Item("Original", "https://news.example.com/a", "same-guid"),
        Item("Repeat", "https://news.example.com/a-copy", "same-guid"),
        Item("Other", "https://news.example.com/b", "other-guid"),
    ]
    url = serve(server, "/feed.xml", Served(rss(twice)))
    p = poller([url])
    report = p.cycle()
    assert report.new == 2
    assert sorted(a[2] for a in p.articles()) == ["Original", "Other"]
    assert len(p.sources()) == 2
    p.clock.advance(1)
    assert p.cycle().new == 0
    assert p.store.counts()["articles"] == 2


def test_same_story_in_two_feeds_is_one_article_with_two_sources(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    clean = "https://news.example.com/economy/tenge?id=7"
    tracked = "https://news.example.com/economy/tenge?utm_source=rss&id=7&utm_medium=feed"
    one = serve(server, "/one.xml", Served(rss([Item("Tenge falls", clean, "one-1")])))
    two = serve(server, "/two.xml", Served(rss([Item("Tenge falls", tracked, "two-77")])))
    p = poller([one, two])
    report = p.cycle()
    assert (report.new, report.new_sources) == (1, 1)
    assert [(a[1], a[2]) for a in p.articles()] == [(clean, "Tenge falls")]
    article_id = p.articles()[0][0]
    ids = {p.feed(one)["id"]: "id:one-1", p.feed(two)["id"]: "id:two-77"}
    assert sorted((s[0], s[1], s[2]) for s in p.sources()) == sorted(
        (fid, key, article_id) for fid, key in ids.items()
    )
    assert p.feed(one)["status"] == p.feed(two)["status"] == "ok"
    p.clock.advance(1)
    p.cycle()
    assert len(p.articles()) == 1
    assert len(p.sources()) == 2


# -- the search index ----------------------------------------------------------------------------


def indexed(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:  # as another process would see it
        return int(conn.execute("SELECT COUNT(*) FROM articles_fts_docsize").fetchone()[0])


@pytest.mark.parametrize("every, seen_by_second, after_cycle", [(0.0, 3, 5), (3600.0, 0, 0)])
def test_search_index_keeps_up_during_a_long_cycle(
    server: HTTPServer,
    poller: Callable[..., Poller],
    monkeypatch: pytest.MonkeyPatch,
    every: float,
    seen_by_second: int,
    after_cycle: int,
) -> None:
    """New articles are indexed in bulk after the cycle (run_matches, tested through
    `run --once` in test_daemon), and during a cycle once SEARCH_INDEX_EVERY has passed."""
    monkeypatch.setattr(pipeline_module, "SEARCH_INDEX_EVERY", every)
    seen: list[int] = []
    first = serve(server, "/first.xml", Served(rss(items(3, "first"))))
    second_feed = Served(rss(items(2, "second")))

    def second(request: Request) -> Response:
        seen.append(indexed(p.settings.storage_path))  # the first feed is stored by now
        return second_feed(request)

    p = poller([first, serve(server, "/second.xml", second)], fetch="concurrency = 1")
    assert p.cycle().new == 5
    assert seen == [seen_by_second]
    assert indexed(p.settings.storage_path) == after_cycle
    assert len(p.store.search("first OR second", 10)) == 5  # a search indexes the rest first
    assert indexed(p.settings.storage_path) == 5


# -- shared commits ------------------------------------------------------------------------------


def test_concurrent_polls_share_a_commit_and_lone_writes_do_not_wait(
    server: HTTPServer, poller: Callable[..., Poller], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_module, "WRITE_GATHER", 0.5)  # long, so timing cannot split
    urls = [serve(server, f"/f{i}.xml", Served(rss(items(2, f"feed{i}x")))) for i in range(8)]
    p = poller(urls)
    commits: list[int] = []
    batch = p.store.batch

    def counted() -> Any:
        commits.append(1)
        return batch()

    monkeypatch.setattr(p.store, "batch", counted)
    assert p.cycle().new == 16
    assert len(commits) == 1  # the eight polls' writes went into one commit

    async def lone_write() -> float:  # as run_matches writes: no poll in flight
        pipeline = Pipeline(p.settings, p.store, Fetcher(p.settings.fetch), None)
        try:
            started = asyncio.get_running_loop().time()
            await pipeline.write(p.store.counts)
            return asyncio.get_running_loop().time() - started
        finally:
            pipeline.close()
            await pipeline.fetcher.aclose()

    assert asyncio.run(lone_write()) < 0.4


# -- redirects and HTTP statuses -----------------------------------------------------------------


def test_301_moves_the_feed_and_302_does_not(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    new_home = serve(server, "/new.xml", Served(rss(items(1, "moved"))))
    other = serve(server, "/other.xml", Served(rss(items(1, "temp"))))
    server.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": new_home})
    )
    server.expect_request("/temp.xml").respond_with_response(
        Response(status=302, headers={"Location": other})
    )
    old, temp = server.url_for("/old.xml"), server.url_for("/temp.xml")
    p = poller([old, temp])
    assert p.cycle().new == 2
    assert (p.feed(old)["url"], p.feed(temp)["url"]) == (new_home, temp)
    assert p.feed(old)["config_url"] == old

    server.clear_log()
    p.clock.advance(1)
    p.cycle()
    paths = sorted(request.path for request, _ in server.log)
    assert paths == ["/new.xml", "/other.xml", "/temp.xml"]


def test_410_marks_the_feed_gone(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    server.expect_request("/gone.xml").respond_with_data("gone", status=410)
    url = server.url_for("/gone.xml")
    p = poller([url])
    report = p.cycle()
    assert (report.errors, report.error_urls) == (1, [url])
    feed = p.feed(url)
    assert (feed["status"], feed["last_status"], feed["error_count"]) == ("gone", 410, 1)
    assert "410" in feed["last_error"]
    p.clock.advance(86400 * 30)
    assert p.due() == []
    assert p.cycle().feeds == 0
    assert len(server.log) == 1


def test_429_retry_after_is_honoured(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    server.expect_request("/busy.xml").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "120"})
    )
    url = server.url_for("/busy.xml")
    p = poller([url])
    start = p.clock()
    assert p.cycle().errors == 1
    feed = p.feed(url)
    assert feed["next_fetch_at"] >= stamp(start + timedelta(seconds=120))
    assert (feed["status"], feed["last_status"]) == ("error", 429)
    p.clock.advance(119)
    assert p.due() == []
    p.clock.advance(1)
    assert p.due() == [url]


def test_failing_feeds_are_recorded_while_others_are_stored(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    good = serve(server, "/good.xml", Served(rss(items(4))))
    server.expect_request("/500.xml").respond_with_data("oops", status=500)
    server.expect_request("/page.html").respond_with_data(
        (DATA / "shapes" / "not_a_feed.html").read_bytes(), content_type="text/html"
    )
    server.expect_request("/cut.xml").respond_with_data(
        (DATA / "shapes" / "broken_truncated.xml").read_bytes(), content_type=RSS
    )
    broken = {
        server.url_for("/500.xml"): "HTTP 500",
        server.url_for("/page.html"): "HTML",
        server.url_for("/cut.xml"): "truncated",
    }
    p = poller([*broken, good])
    report = p.cycle()
    assert (report.feeds, report.errors, report.new) == (4, 3, 4)
    assert sorted(report.error_urls) == sorted(broken)
    for url, problem in broken.items():
        feed = p.feed(url)
        assert (feed["status"], feed["error_count"]) == ("error", 1), url
        assert problem in feed["last_error"], feed["last_error"]
        assert "internal error" not in feed["last_error"]
        assert feed["last_success_at"] is None
    assert p.feed(good)["status"] == "ok"
    assert len(p.articles()) == 4


def truncated_transfer(request: Request) -> Response:
    """Promises more bytes than it sends, as when a connection drops mid-download."""
    body = rss(items(20)).encode()
    return Response(
        iter([body[: len(body) // 2]]), content_type=RSS, headers={"Content-Length": str(len(body))}
    )


def test_truncated_transfer_is_a_feed_error(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    url = serve(server, "/dropped.xml", truncated_transfer)
    p = poller([url])
    report = p.cycle()
    assert (report.errors, report.new) == (1, 0)
    feed = p.feed(url)
    assert (feed["status"], feed["error_count"]) == ("error", 1)
    assert "internal error" not in feed["last_error"]  # a fetch problem, not a bug
    assert p.articles() == []


@pytest.mark.parametrize("cut", ["<gui", "<guid isP", "</ti", "</item>"])
def test_document_cut_off_is_a_parse_error(
    server: HTTPServer, poller: Callable[..., Poller], cut: str
) -> None:
    """A body cut anywhere (inside a tag or between tags) must not be stored as a short feed."""
    body = rss(items(3))
    second_item = body.index("<item>", body.index("<item>") + 1)
    end = body.index(cut, second_item) + len(cut)
    url = serve(server, "/cut.xml", Served(body[:end]))
    p = poller([url])
    assert p.cycle().errors == 1
    feed = p.feed(url)
    assert (feed["status"], p.articles()) == ("error", [])
    assert "truncated" in feed["last_error"]


# -- config changes while a poll is in flight ----------------------------------------------------


@pytest.mark.parametrize("change", ["removed", "disabled"])
def test_feed_removed_during_its_poll_stays_removed(
    server: HTTPServer, poller: Callable[..., Poller], change: str
) -> None:
    body = rss(items(2))
    holder: list[Poller] = []

    def handler(request: Request) -> Response:
        # As `ingester feeds list` or a SIGHUP would, on its own connection, mid-fetch.
        p = holder[0]
        other = SQLiteStore(p.settings.storage_path)
        kept = [] if change == "removed" else [FeedSpec(url, enabled=False)]
        other.sync_feeds(kept, p.settings.schedule.interval, p.clock())
        other.close()
        return Response(body, content_type=RSS)

    url = serve(server, "/feed.xml", handler)
    holder.append(p := poller([url]))
    assert p.cycle().new == 2  # what was fetched is kept
    assert p.feed(url)["status"] == change
    p.clock.advance(3600)
    assert p.due() == []


# -- schedule ------------------------------------------------------------------------------------


def test_error_backoff_grows_and_resets_on_success(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    failing = {"yes": True}

    def handler(request: Request) -> Response:
        if failing["yes"]:
            return Response("down", status=503)
        return Response(rss(items(1)), content_type=RSS)

    url = serve(server, "/flaky.xml", handler)
    p = poller([url], schedule='interval = "10s"\njitter = "0s"\nmax_backoff = "60s"')
    waits = []
    for _ in range(5):
        now = p.clock()
        assert p.cycle().errors == 1
        feed = p.feed(url)
        next_at = datetime.fromisoformat(feed["next_fetch_at"].replace("Z", "+00:00"))
        waits.append((next_at - now).total_seconds())
        p.clock.moment = next_at - timedelta(seconds=1)
        assert p.due() == []
        p.clock.moment = next_at
    assert waits == [10, 20, 40, 60, 60]
    assert p.feed(url)["error_count"] == 5

    failing["yes"] = False
    now = p.clock()
    assert p.cycle().new == 1
    feed = p.feed(url)
    assert (feed["status"], feed["error_count"], feed["last_error"]) == ("ok", 0, None)
    assert feed["next_fetch_at"] == stamp(now + timedelta(seconds=10))


def test_feed_ttl_lengthens_the_interval(server: HTTPServer, poller: Callable[..., Poller]) -> None:
    served = Served(rss(items(2), ttl=10), etag='"t"')  # <ttl> is in minutes
    url = serve(server, "/ttl.xml", served)
    p = poller([url])
    p.cycle()
    assert p.feed(url)["next_fetch_at"] == stamp(p.clock() + timedelta(minutes=10))
    p.clock.advance(599)
    assert p.due() == []
    p.clock.advance(1)
    assert p.cycle().not_modified == 1  # a 304 keeps the feed's ttl
    assert p.feed(url)["next_fetch_at"] == stamp(p.clock() + timedelta(minutes=10))


def test_cache_control_max_age_lengthens_the_interval(
    server: HTTPServer, poller: Callable[..., Poller]
) -> None:
    server.expect_request("/cached.xml").respond_with_data(
        rss(items(1)), content_type=RSS, headers={"Cache-Control": "public, max-age=300"}
    )
    url = server.url_for("/cached.xml")
    p = poller([url])
    p.cycle()
    assert p.feed(url)["next_fetch_at"] == stamp(p.clock() + timedelta(seconds=300))
