"""Article pages end to end: feed -> stored entries -> page fetch -> extract -> keywords -> store.

A local HTTP server serves a feed and the pages it links to; the database is a real file and
the clock is fixed. Each step runs as after a restart: everything that carries over lives in
the database (``extract_status``, ``extract_attempts``, ``extract_next_at``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any

import pytest
from conftest import FixedClock, Item, rss
from pytest_httpserver import HTTPServer

from ingester import config
from ingester.fetch import Fetcher
from ingester.pipeline import ExtractReport, Pipeline
from ingester.store import SearchFilter, SQLiteStore

STORY = [
    "ALMATY -- The Collective Security Treaty Organization (CSTO) said on Friday that the last "
    "of its peacekeepers would leave Kazakhstan within a week, ending a mission that began "
    "after violent unrest in the country's largest city.",
    "President Qasym-Zhomart Toqaev thanked the allies in a televised address and said the "
    "security services had regained control of every regional centre.",
    "The CSTO deployment, the first in the alliance's history, was requested by Toqaev after "
    "protests over fuel prices turned into clashes with the police in Almaty and other cities.",
    "Analysts in Astana said the quick withdrawal was meant to show that Kazakhstan remained "
    "in charge of its own security and did not depend on Moscow.",
]


def page(title: str, paragraphs: list[str], lang: str = "en") -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}'
        "</title></head><body><header><a href='#main'>Accessibility links</a><nav><ul>"
        "<li><a href='/news'>News</a></li><li><a href='/world'>World</a></li></ul></nav>"
        "<div class='breaking'>Breaking News</div></header>"
        f"<main id='main'><article><h1>{escape(title)}</h1>{body}</article></main>"
        "<footer><p>Legal notice: sharing this content may be restricted. To find out more, "
        "click here.</p></footer></body></html>"
    )


@dataclass
class Site:
    settings: config.Settings
    store: SQLiteStore
    clock: FixedClock
    server: HTTPServer

    def run(self, *, feeds: bool = True, pages: bool = True) -> ExtractReport:
        async def go() -> ExtractReport:
            fetcher = Fetcher(self.settings.fetch)
            pipeline = Pipeline(
                self.settings, self.store, fetcher, None, clock=self.clock, rng=random.Random(0)
            )
            try:
                if feeds:
                    await pipeline.run_due()
                return await pipeline.run_extractions() if pages else ExtractReport()
            finally:
                pipeline.close()
                await fetcher.aclose()

        return asyncio.run(go())

    def article(self, url_part: str) -> dict[str, Any]:
        cursor = self.store.db.execute("SELECT * FROM articles WHERE url LIKE ?", [f"%{url_part}%"])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        assert row is not None, url_part
        return dict(zip(names, row, strict=True))


@pytest.fixture
def site(httpserver: HTTPServer, make_config: Callable[..., Path], clock: FixedClock) -> Site:
    settings = config.load(
        make_config(
            [httpserver.url_for("/feed.xml")],
            schedule='interval = "1h"\njitter = "0s"',
            extract=True,
        )
    )
    store = SQLiteStore(settings.storage_path)
    store.sync_feeds(settings.feeds, settings.schedule.interval, clock())
    return Site(settings, store, clock, httpserver)


def serve_feed(server: HTTPServer, paths: list[str], teaser: str = STORY[0]) -> None:
    items = [
        Item(f"Story {n}", server.url_for(path) + "?utm_source=rss", f"g{n}", teaser)
        for n, path in enumerate(paths)
    ]
    server.expect_request("/feed.xml").respond_with_data(
        rss(items), content_type="application/rss+xml"
    )


def test_new_articles_get_their_page_body_keywords_and_language(site: Site) -> None:
    serve_feed(site.server, ["/news/csto-leaves"])
    site.server.expect_request("/news/csto-leaves").respond_with_data(
        page("CSTO troops leave Kazakhstan", STORY), content_type="text/html; charset=utf-8"
    )
    report = site.run()
    assert (report.pages, report.from_page, report.from_feed) == (1, 1, 0)
    article = site.article("csto-leaves")
    assert article["extract_status"] == "done"
    assert article["extract_method"].startswith("trafilatura")
    assert article["lang"] == "en"
    body = article["body"]
    for paragraph in STORY:
        assert paragraph[:60] in body
    for chrome in ("Accessibility links", "Breaking News", "To find out more"):
        assert chrome not in body
    words = {row[0] for row in site.store.rows(
        "SELECT text FROM article_keywords WHERE article_id = ?", [article["id"]]
    )}  # fmt: skip
    assert "CSTO" in words or "Collective Security Treaty Organization" in words
    assert "Kazakhstan" in words
    # The body and the keywords are searchable.
    assert site.store.search('"regional centre"', 5)
    assert site.store.search("Toqaev", 5, where=SearchFilter(lang="en"))
    assert not site.store.search("Toqaev", 5, where=SearchFilter(lang="ru"))


def test_a_page_is_fetched_once_per_canonical_url(site: Site) -> None:
    serve_feed(site.server, ["/news/one"])
    site.server.expect_request("/news/one").respond_with_data(
        page("One", STORY), content_type="text/html"
    )
    site.run()
    site.clock.advance(7200)
    site.run()  # the feed again (200, same body): no second page fetch
    page_hits = [r for r, _ in site.server.log if r.path == "/news/one"]
    assert len(page_hits) == 1


def test_a_failing_page_keeps_the_feed_text_and_is_retried_a_bounded_number_of_times(
    site: Site,
) -> None:
    serve_feed(site.server, ["/news/blocked"], teaser=STORY[1])
    site.server.expect_request("/news/blocked").respond_with_data("no", status=403)
    attempts = site.settings.extract.max_attempts
    site.run()
    article = site.article("blocked")
    assert article["extract_status"] == "pending"  # will be tried again
    assert article["extract_attempts"] == 1
    assert article["extract_method"] == "feed"
    assert "403" in article["extract_error"]
    assert STORY[1][:50] in article["body"]
    assert article["extract_next_at"] > article["extracted_at"]
    for _ in range(attempts - 1):
        assert site.run(feeds=False).pages == 0  # not due yet
        site.clock.advance(site.settings.extract.retry * 2**attempts)
        assert site.run(feeds=False).pages == 1
    article = site.article("blocked")
    assert article["extract_attempts"] == attempts
    assert article["extract_status"] == "failed"
    assert article["extract_next_at"] is None
    site.clock.advance(30 * 86400)
    assert site.run(feeds=False).pages == 0  # given up: no more tries
    assert STORY[1][:50] in article["body"]


def test_feeds_with_extract_off_are_never_fetched_for_pages(
    httpserver: HTTPServer, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "db.sqlite"}"\n[fetch]\nallow_private_networks = true\n'
        f'[schedule]\ninterval = "1h"\njitter = "0s"\n'
        f'[[feeds]]\nurl = "{httpserver.url_for("/feed.xml")}"\nextract = false\n'
    )
    settings = config.load(path)
    store = SQLiteStore(settings.storage_path)
    store.sync_feeds(settings.feeds, settings.schedule.interval, clock())
    serve_feed(httpserver, ["/news/x"])
    site = Site(settings, store, clock, httpserver)
    assert site.run().pages == 0
    assert site.article("/news/x")["extract_status"] == "skipped"
    assert not [r for r, _ in httpserver.log if r.path == "/news/x"]


def test_extract_cli_prints_what_would_be_stored(cli: Callable[..., Any], tmp_path: Path) -> None:
    html = tmp_path / "story.html"
    html.write_text(page("CSTO troops leave Kazakhstan", STORY), encoding="utf-8")
    result = cli("extract", str(html), "--json")
    assert result.code == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    assert {"source", "title", "body", "lang", "keywords"} <= record.keys()
    assert record["source"] == str(html)
    assert record["lang"] == "en"
    assert STORY[1][:40] in record["body"]
    assert all({"text", "type", "score"} <= k.keys() for k in record["keywords"])
    assert "Breaking News" not in record["body"]
    missing = cli("extract", str(tmp_path / "nope.html"))
    assert missing.code != 0 and "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_search_filters_by_feed_tag_language_and_date(site: Site) -> None:
    serve_feed(site.server, ["/news/csto-leaves"])
    site.server.expect_request("/news/csto-leaves").respond_with_data(
        page("CSTO troops leave Kazakhstan", STORY), content_type="text/html"
    )
    site.run()
    url = site.settings.feeds[0].url
    assert site.store.search("Toqaev", 5, where=SearchFilter(feed=url))
    assert not site.store.search("Toqaev", 5, where=SearchFilter(feed="other"))
    assert not site.store.search("Toqaev", 5, where=SearchFilter(tag="sport"))
    now = site.clock()
    assert site.store.search("Toqaev", 5, where=SearchFilter(since=now - timedelta(days=1)))
    assert not site.store.search("Toqaev", 5, where=SearchFilter(since=now + timedelta(days=1)))
    hits = site.store.search("Toqaev", 5, mark=("<", ">"))
    assert "<Toqaev>" in hits[0].snippet


def test_a_page_that_is_gone_or_a_paywall_is_not_tried_again(site: Site) -> None:
    serve_feed(site.server, ["/news/gone", "/news/paywall"], teaser=STORY[2])
    site.server.expect_request("/news/gone").respond_with_data("gone", status=404)
    site.server.expect_request("/news/paywall").respond_with_data(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "isAccessibleForFree": false}</script></head><body><article><p>Subscribe to read'
        " the rest of this story.</p></article></body></html>",
        content_type="text/html",
    )
    report = site.run()
    assert (report.pages, report.from_feed, report.retrying) == (2, 2, 0)
    for part in ("gone", "paywall"):
        article = site.article(part)
        assert article["extract_status"] == "failed"
        assert article["extract_method"] == "feed"
        assert STORY[2][:50] in article["body"]
        assert article["extract_next_at"] is None


def test_run_once_tells_the_terminal_what_it_does_after_the_poll(site: Site) -> None:
    """`run --once` shows progress for the pages and for stories and watches, not only for
    the poll: on a first run those take longer than the poll."""
    from ingester.daemon import Daemon, run_async

    paths = ["/news/one", "/news/two", "/news/three"]
    serve_feed(site.server, paths)
    for n, path in enumerate(paths):
        site.server.expect_request(path).respond_with_data(
            page(f"Story {n}", STORY), content_type="text/html; charset=utf-8"
        )
    stages: list[tuple[str, int]] = []
    daemon = Daemon(site.settings.source, site.settings)
    result = run_async(daemon.run_once(on_stage=lambda name, n: stages.append((name, n))))
    assert result.cycle.new == 3
    assert [n for name, n in stages if name == "pages"] == [1, 1, 1]
    assert sum(n for name, n in stages if name == "articles") == 3
    assert [name for name, _ in stages] == ["pages"] * 3 + ["articles"]
