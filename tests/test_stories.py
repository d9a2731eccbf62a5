"""Stories end to end: one wire story carried by several feeds is one story, and one alert.

Feeds are served by pytest-httpserver on 127.0.0.1 and polled by a ``Pipeline`` in this process,
kept from poll to poll as the daemon keeps it (the story window lives in its memory), over a real
SQLite file; ``Desk.restart`` drops pipeline, sender and connection and opens the database
again, as a new process would. Extraction is off, so an item's description is its body; the
texts are those of the labelled pairs in ``tests/data/stories/pairs.jsonl``. Alerts go through
the notifiers the config names: a webhook receiver that verifies every request with the
``standardwebhooks`` package, and an aiosmtpd server. The clock is fixed and moved by hand.
Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from conftest import DATA, CliResult, FixedClock, Item, rss
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Request, Response

import ingester.store as store_module
from ingester import config
from ingester.alert.email import message_id
from ingester.deliver import DeliveryReport, Sender
from ingester.fetch import Fetcher
from ingester.pipeline import Pipeline
from ingester.store import MatchReport, SQLiteStore
from ingester.story import StoryIndex

T = TypeVar("T")
Cli = Callable[..., CliResult]

SECRET = "whsec_c3Rvcmllcy10ZXN0LXNlY3JldC0wMDQy"  # base64 of "stories-test-secret-0042"
SENDER = "Feed Ingester <alerts@ingester.example.org>"
RSS = "application/rss+xml"
PUBLISHED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
PAIRS: dict[str, dict[str, Any]] = {
    row["id"]: row
    for row in map(json.loads, (DATA / "stories" / "pairs.jsonl").read_text("utf-8").splitlines())
}


def text(pair: str, side: str) -> dict[str, str]:
    """One side ("a" or "b") of a labelled pair: title, summary, body, lang."""
    found: dict[str, str] = PAIRS[pair][side]
    return found


def item(pair: str, side: str, link: str) -> Item:
    """A feed item carrying one text of the pairs as its description; its GUID is its link."""
    found = text(pair, side)
    return Item(found["title"], link, link, found["body"], PUBLISHED)


# The drills story of the pairs: the wire's report, two outlets' edited copies of it, the same
# report re-issued under a new headline, a rival statement of the same day, a translation.
ORIGINAL = ("csto-drills/copy", "a")  # 216 words
LOCAL_INTRO = ("csto-drills/copy", "b")  # new headline, a local intro, one paragraph dropped
CREDITED = ("csto-drills/copy-credit-and-dateline", "b")  # new headline, dateline and credit
REISSUE = ("csto-drills/reissue-title", "b")  # "UPDATE 1-CSTO drills in Kyrgyzstan to ..."
OTHER_STATEMENT = ("csto-drills/other-statement", "b")  # ministers on the Tajik-Afghan border
RUSSIAN = ("csto-drills/en-ru", "b")  # "ОДКБ проведёт учения в Киргизии в сентябре"
UNRELATED = ("harvest/revised-figures", "a")  # a grain harvest report


# --- receivers -----------------------------------------------------------------------------------


@dataclass
class Post:
    id: str
    payload: Any  # the verified JSON; None if the signature did not verify
    problem: str | None


class Hook:
    """A webhook receiver on 127.0.0.1 that verifies each request with ``standardwebhooks``."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/stories"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                webhook_id = self.headers.get("webhook-id", "")
                try:
                    payload = Webhook(SECRET).verify(body, dict(self.headers.items()))
                    post = Post(webhook_id, payload, None)
                except WebhookVerificationError as exc:
                    post = Post(webhook_id, None, str(exc))
                with hook._lock:
                    hook.posts.append(post)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200 if post.problem is None else 401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def payloads(self) -> list[Any]:
        assert all(post.problem is None for post in self.posts), self.posts
        return [post.payload for post in self.posts]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Mailbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class LocalController(Controller):
    """aiosmtpd's controller on a free port: it learns the port once it listens."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield mailbox, controller.port
    controller.stop()


# --- feeds and config ----------------------------------------------------------------------------


class Feed:
    """A feed on the local HTTP server; its items may change between polls."""

    def __init__(self, server: HTTPServer, name: str) -> None:
        self.name = name
        self.items: list[Item] = []
        path = f"/{name.lower()}.xml"
        server.expect_request(path).respond_with_handler(self)
        self.url = server.url_for(path)

    def __call__(self, request: Request) -> Response:
        return Response(rss(self.items, title=self.name), content_type=RSS)

    def link(self, slug: str) -> str:
        return f"https://{self.name.lower()}.example.org/news/{slug}"

    @property
    def config(self) -> str:
        return f'[[feeds]]\nurl = "{self.url}"\nname = "{self.name}"\n'


@pytest.fixture
def feeds(httpserver_ipv4: HTTPServer) -> tuple[Feed, Feed, Feed]:
    """A wire agency and two outlets that carry its stories."""
    return (
        Feed(httpserver_ipv4, "Wire"),
        Feed(httpserver_ipv4, "Daily"),
        Feed(httpserver_ipv4, "Regional"),
    )


def feeds_config(feeds: tuple[Feed, ...]) -> str:
    return "".join(feed.config for feed in feeds)


def webhook_config(hook: Hook) -> str:
    return f'[notifiers.hook]\ntype = "webhook"\nurl = "{hook.url}"\nsecret_file = "hook.secret"\n'


def mail_config(port: int) -> str:
    return (
        f'[notifiers.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
        f'from = "{SENDER}"\nto = ["desk@example.org"]\n'
    )


def watch_config(
    notify: tuple[str, ...] = ("hook",), *, name: str = "csto", query: str = "CSTO", **more: str
) -> str:
    values = {"name": name, "query": query, "notify": list(notify), **more}
    return "[[watches]]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in values.items()
    )


# --- the daemon's parts, in this process --------------------------------------------------------


class Desk:
    """Config, database, pipeline and sender as the daemon holds them: one ``Pipeline`` kept
    from poll to poll on one event loop. ``restart`` starts them all afresh on the same files."""

    def __init__(self, path: Path, clock: FixedClock) -> None:
        self.path = path
        self.clock = clock
        self.loop = asyncio.new_event_loop()
        self._start()

    def _start(self) -> None:
        self.settings = config.load(self.path)
        self.store = SQLiteStore(self.settings.storage_path)
        self.store.sync_feeds(self.settings.feeds, self.settings.schedule.interval, self.clock())
        self.fetcher = self._run(self._fetcher())
        self.pipeline = Pipeline(
            self.settings, self.store, self.fetcher, clock=self.clock, rng=random.Random(0)
        )
        self.sender = Sender(self.pipeline, rng=random.Random(0))

    async def _fetcher(self) -> Fetcher:
        return Fetcher(self.settings.fetch)  # its HTTP client belongs to the running loop

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def poll(self) -> MatchReport:
        """One daemon cycle a little later: poll the feeds, then match what came in."""
        self.fetch()
        return self.match()

    def fetch(self) -> None:
        """Poll every feed (their interval is 1 s: all are due again two seconds on)."""
        self.clock.advance(2)
        self._run(self.pipeline.run_due())

    def match(self) -> MatchReport:
        return self._run(self.pipeline.run_matches())

    def window(self) -> StoryIndex:
        """The pipeline's story window (built from the database on first use)."""
        index = self._run(self.pipeline.story_index())
        assert index is not None
        return index

    def deliver(self) -> DeliveryReport:
        report = self._run(self.sender.deliver_due(everything=True))
        assert not report.errors, report
        return report

    def restart(self) -> None:
        self._stop()
        self._start()

    def _stop(self) -> None:
        async def stop() -> None:
            await self.sender.aclose()
            await self.fetcher.aclose()

        self._run(stop())
        self.pipeline.close()
        self.store.close()

    def close(self) -> None:
        self._stop()
        self.loop.close()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.store.rows(sql, params)

    def article_id(self, title: str) -> int:
        [(found,)] = self.rows("SELECT id FROM articles WHERE title = ?", title)
        return int(found)

    def matches(self) -> list[tuple[str, str]]:
        """(article title, state) of each match, in order."""
        return [
            (title, state)
            for title, state in self.rows(
                "SELECT a.title, m.state FROM matches m JOIN articles a ON a.id = m.article_id"
                " ORDER BY m.id"
            )
        ]

    def stories(self) -> dict[str, tuple[int, set[str]]]:
        """Each story's title -> (article count, feeds)."""
        return {row.title or "": (row.articles, set(row.feeds)) for row in self.store.stories()}


@pytest.fixture
def make_desk(
    make_config: Callable[..., Path], clock: FixedClock, tmp_path: Path
) -> Iterator[Callable[[str], Desk]]:
    (tmp_path / "hook.secret").write_text(SECRET + "\n", encoding="utf-8")
    made: list[Desk] = []

    def make(extra: str) -> Desk:
        made.append(Desk(make_config(extra=extra), clock))
        return made[-1]

    yield make
    for desk in made:
        desk.close()


def run_cli(cli: Cli, path: Path, *args: str) -> Any:
    """``ingester --config PATH ARGS --json`` in a subprocess; its parsed output."""
    done = cli("--config", str(path), *args, "--json")
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


# === one story across feeds =======================================================================


def test_three_feeds_carrying_one_wire_story_make_one_story_and_one_alert(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook, cli: Cli
) -> None:
    wire, daily, regional = feeds
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + watch_config())
    wire.items = [item(*ORIGINAL, wire.link("csto-drills")), item(*UNRELATED, wire.link("rate"))]
    report = desk.poll()
    assert (report.articles, report.stories, report.copies, report.alerts) == (2, 2, 0, 1)
    assert desk.deliver().sent == 1

    # Later, two outlets carry the wire's report, edited, under their own headlines and links:
    # matched in one batch, the two find the wire's article and each other in the window.
    daily.items = [item(*LOCAL_INTRO, daily.link("edelweiss-drills"))]
    regional.items = [item(*CREDITED, regional.link("issyk-kul-drills"))]
    report = desk.poll()
    assert (report.articles, report.stories, report.copies) == (2, 0, 2)
    assert (report.matches, report.alerts, report.merged) == (2, 0, ())
    assert desk.deliver() == DeliveryReport()

    original, local, credited = (text(*t)["title"] for t in (ORIGINAL, LOCAL_INTRO, CREDITED))
    assert desk.matches()[0] == (original, "alerted")
    assert sorted(desk.matches()[1:]) == sorted([(local, "joined"), (credited, "joined")])
    [post] = hook.payloads()
    assert post["type"] == "alert.created"
    assert [a["title"] for a in post["data"]["articles"]] == [original]
    story_id = desk.article_id(original)
    harvest = desk.article_id(text(*UNRELATED)["title"])
    assert desk.rows("SELECT DISTINCT story_id FROM articles WHERE id != ?", harvest) == [
        (story_id,)
    ]
    assert desk.rows("SELECT DISTINCT story_id FROM matches") == [(story_id,)]

    listed = run_cli(cli, desk.path, "stories", "list")
    assert {row["title"]: (row["articles"], sorted(row["feeds"])) for row in listed} == {
        original: (3, ["Daily", "Regional", "Wire"]),
        text(*UNRELATED)["title"]: (1, ["Wire"]),
    }
    [copied] = run_cli(cli, desk.path, "stories", "list", "--copies")
    assert copied["id"] == story_id
    shown = run_cli(cli, desk.path, "stories", "show", str(story_id))
    assert (shown["id"], shown["title"], shown["articles"]) == (story_id, original, 3)
    items = shown["items"]
    assert items[0]["title"] == original  # first seen first
    assert {(a["title"], tuple(a["feeds"]), a["url"], a["revision"]) for a in items} == {
        (original, ("Wire",), wire.link("csto-drills"), 1),
        (local, ("Daily",), daily.link("edelweiss-drills"), 1),
        (credited, ("Regional",), regional.link("issyk-kul-drills"), 1),
    }


def test_later_copies_send_story_updates_threaded_under_the_first_alert(
    feeds: tuple[Feed, Feed, Feed],
    make_desk: Callable[[str], Desk],
    hook: Hook,
    smtp: tuple[Mailbox, int],
) -> None:
    wire, daily, regional = feeds
    mailbox, port = smtp
    notify = watch_config(("hook", "mail"), story_updates="notify")
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + mail_config(port) + notify)
    wire.items = [item(*ORIGINAL, wire.link("csto-drills"))]
    assert desk.poll().alerts == 2
    assert desk.deliver().sent == 2
    daily.items = [item(*LOCAL_INTRO, daily.link("edelweiss-drills"))]
    report = desk.poll()
    assert (report.copies, report.matches, report.alerts) == (1, 1, 2)
    assert desk.deliver().sent == 2
    regional.items = [item(*CREDITED, regional.link("issyk-kul-drills"))]
    assert desk.poll().alerts == 2
    assert desk.deliver().sent == 2

    original, local, credited = (text(*t)["title"] for t in (ORIGINAL, LOCAL_INTRO, CREDITED))
    assert desk.matches() == [(original, "alerted"), (local, "updated"), (credited, "updated")]
    first, *updates = hook.posts
    assert first.payload["type"] == "alert.created"
    assert first.payload["data"]["thread_of"] is None
    assert [post.payload["type"] for post in updates] == ["story.updated"] * 2
    assert [post.payload["data"]["thread_of"] for post in updates] == [first.id] * 2
    assert [post.payload["data"]["articles"][0]["title"] for post in updates] == [local, credited]
    assert [post.payload["data"]["articles"][0]["source_feeds"] for post in updates] == [
        ["Daily"],
        ["Regional"],
    ]
    assert len({post.id for post in hook.posts}) == 3

    opening, *replies = mailbox.messages
    assert opening["In-Reply-To"] is None
    first_mail = [row.key for row in desk.store.alerts() if row.notifier == "mail"][-1]  # oldest
    assert opening["Message-ID"] == message_id(first_mail, "ingester.example.org")
    assert len(replies) == 2
    for reply in replies:
        assert reply["In-Reply-To"] == reply["References"] == opening["Message-ID"]
        assert reply["Message-ID"] != opening["Message-ID"]
    body = replies[0].get_body(("plain",))
    assert body is not None
    assert 'Story updated for watch "csto"' in body.get_content()


# === a re-issue in the same feed ==================================================================


def test_a_re_issue_in_the_same_feed_is_merged_into_the_article_it_repeats(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook, cli: Cli
) -> None:
    wire, _, _ = feeds
    desk = make_desk(wire.config + webhook_config(hook) + watch_config())
    first = item(*ORIGINAL, wire.link("csto-drills"))
    wire.items = [first]
    assert desk.poll().alerts == 1
    article = desk.article_id(first.title)
    assert desk.deliver().sent == 1

    # The wire re-issues the item: the same text under a new headline, GUID and link.
    again = item(*REISSUE, wire.link("csto-drills-update-1"))
    assert again.title != first.title and again.link != first.link
    wire.items = [again, first]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (0, 0, 0)
    assert len(report.merged) == 1 and report.merged[0] != article
    assert desk.rows("SELECT id, title, url, revision, story_id FROM articles") == [
        (article, again.title, first.link, 2, article)
    ]
    assert desk.rows(
        "SELECT entry_key, link FROM article_sources WHERE article_id = ? ORDER BY first_seen",
        article,
    ) == [(f"id:{first.guid}", first.link), (f"id:{again.guid}", again.link)]
    assert desk.matches() == [(again.title, "alerted")]
    assert desk.deliver() == DeliveryReport()
    assert len(hook.posts) == 1

    # Nothing more happens on later polls.
    report = desk.poll()
    assert (report.articles, report.alerts, report.merged) == (0, 0, ())
    shown = run_cli(cli, desk.path, "stories", "show", str(article))
    assert (shown["title"], shown["articles"]) == (again.title, 1)
    assert [(a["id"], a["revision"], a["url"]) for a in shown["items"]] == [
        (article, 2, first.link)
    ]


# An update that rewrites the lead and the ending (containment 0.65 to the first version), and
# another outlet's copy of the update: it tells the same story, but shares more with the update
# than with the first version (with a trimmed copy, too little to match the first version).
UPDATED = "rare-earths/update-new-lead-and-ending"


def copy_of_update(feed: Feed, *paragraphs: int) -> Item:
    """Another outlet's copy of the update's text, of the given paragraphs only if any."""
    body = text(UPDATED, "b")["body"]
    if paragraphs:
        body = "\n\n".join(body.split("\n\n")[n] for n in paragraphs)
    title = "Kazakhstan's rare earth find may rank among the world's largest"
    return Item(title, feed.link("rare-earths"), feed.link("rare-earths"), body, PUBLISHED)


# A copy linked to a re-issue merged earlier in the same batch joins the story it became.
def test_a_copy_of_a_re_issue_matched_in_the_same_batch_joins_the_story(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook
) -> None:
    wire, daily, _ = feeds
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + watch_config(query="Karaganda"))
    first = item(UPDATED, "a", wire.link("rare-earths"))
    wire.items = [first]
    assert desk.poll().alerts == 1
    # The wire's update, then an outlet's copy of it, reach matching together: the matching
    # cycle runs after the feed cycles (with extraction on, after their pages), so one batch
    # often holds articles of several polls.
    update = item(UPDATED, "b", wire.link("rare-earths-update-2"))
    wire.items = [update, first]
    desk.fetch()
    daily.items = [copy_of_update(daily)]
    desk.fetch()
    report = desk.match()
    assert len(report.merged) == 1
    article = desk.article_id(update.title)
    assert desk.rows("SELECT title, story_id FROM articles ORDER BY id") == [
        (update.title, article),
        (daily.items[0].title, article),
    ]
    assert desk.stories() == {update.title: (2, {"Wire", "Daily"})}
    assert report.alerts == 0


# After a merge the original reads as the re-issue: later copies are compared with that.
def test_a_later_copy_of_a_re_issued_text_joins_the_story(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook
) -> None:
    wire, daily, _ = feeds
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + watch_config(query="Karaganda"))
    first = item(UPDATED, "a", wire.link("rare-earths"))
    wire.items = [first]
    assert desk.poll().alerts == 1
    update = item(UPDATED, "b", wire.link("rare-earths-update-2"))
    wire.items = [update, first]
    assert len(desk.poll().merged) == 1
    article = desk.article_id(update.title)
    # An outlet carries the update's new lead, a paragraph of the wire's and its new ending.
    daily.items = [copy_of_update(daily, 0, 1, 4)]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (0, 1, 0)
    assert desk.rows("SELECT DISTINCT story_id FROM articles") == [(article,)]


# === different stories stay apart ================================================================


def test_a_rival_statement_and_a_translation_are_stories_of_their_own(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook
) -> None:
    wire, daily, _ = feeds
    desk = make_desk(wire.config + daily.config + webhook_config(hook) + watch_config())
    wire.items = [item(*ORIGINAL, wire.link("csto-drills"))]
    assert desk.poll().alerts == 1
    # The same day, the same feed: the bloc's ministers on another matter, in the same
    # boilerplate; and a Russian outlet's version of the drills report.
    wire.items = [item(*OTHER_STATEMENT, wire.link("csto-border")), *wire.items]
    daily.items = [item(*RUSSIAN, daily.link("odkb-ucheniya"))]
    report = desk.poll()
    assert (report.articles, report.stories, report.copies, report.merged) == (2, 2, 0, ())
    assert (report.matches, report.alerts) == (2, 2)
    assert desk.deliver().sent == 3

    titles = [text(*t)["title"] for t in (ORIGINAL, OTHER_STATEMENT, RUSSIAN)]
    assert desk.stories() == {
        titles[0]: (1, {"Wire"}),
        titles[1]: (1, {"Wire"}),
        titles[2]: (1, {"Daily"}),
    }
    assert sorted(desk.matches()) == sorted((title, "alerted") for title in titles)
    assert sorted(p["data"]["articles"][0]["title"] for p in hook.payloads()) == sorted(titles)
    assert desk.rows("SELECT COUNT(*) FROM articles WHERE story_id = id") == [(3,)]


# === restart and window ===========================================================================


def test_after_a_restart_a_copy_finds_the_story_placed_before(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook
) -> None:
    wire, daily, _ = feeds
    desk = make_desk(wire.config + daily.config + webhook_config(hook) + watch_config())
    wire.items = [item(*ORIGINAL, wire.link("csto-drills"))]
    assert desk.poll().alerts == 1
    story_id = desk.article_id(text(*ORIGINAL)["title"])
    [(stored,)] = desk.rows("SELECT fingerprint FROM articles WHERE id = ?", story_id)
    assert 500 < len(stored) < 1000  # a MinHash signature of 128 values, numbers and names

    desk.restart()  # nothing of the first pipeline survives but the database
    assert story_id in desk.window()
    daily.items = [item(*LOCAL_INTRO, daily.link("edelweiss-drills"))]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (0, 1, 0)
    assert desk.rows("SELECT story_id FROM articles ORDER BY id") == [(story_id,), (story_id,)]
    assert desk.stories() == {text(*ORIGINAL)["title"]: (2, {"Wire", "Daily"})}
    assert [state for _, state in desk.matches()] == ["alerted", "joined"]


def test_articles_older_than_the_window_are_not_matched(
    feeds: tuple[Feed, Feed, Feed],
    make_desk: Callable[[str], Desk],
    hook: Hook,
    clock: FixedClock,
) -> None:
    wire, daily, regional = feeds
    window = '[stories]\nwindow = "1h"\n'
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + watch_config() + window)
    wire.items = [item(*ORIGINAL, wire.link("csto-drills"))]
    assert desk.poll().alerts == 1
    wire_article = desk.article_id(text(*ORIGINAL)["title"])

    # Two hours on, in the same pipeline: the wire's article has left the window.
    clock.advance(2 * 3600)
    daily.items = [item(*LOCAL_INTRO, daily.link("edelweiss-drills"))]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (1, 0, 1)
    daily_article = desk.article_id(text(*LOCAL_INTRO)["title"])

    # After a restart the window is rebuilt from what is recent only.
    desk.restart()
    assert daily_article in desk.window() and wire_article not in desk.window()
    regional.items = [item(*CREDITED, regional.link("issyk-kul-drills"))]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (0, 1, 0)
    assert desk.rows("SELECT id, story_id FROM articles ORDER BY id") == [
        (wire_article, wire_article),
        (daily_article, daily_article),
        (desk.article_id(text(*CREDITED)["title"]), daily_article),
    ]
    assert [state for _, state in desk.matches()] == ["alerted", "alerted", "joined"]


# === stories turned off ===========================================================================


def test_with_stories_off_every_article_is_a_story_and_alerts_on_its_own(
    feeds: tuple[Feed, Feed, Feed], make_desk: Callable[[str], Desk], hook: Hook, cli: Cli
) -> None:
    wire, daily, regional = feeds
    off = "[stories]\nenabled = false\n"
    desk = make_desk(feeds_config(feeds) + webhook_config(hook) + watch_config() + off)
    wire.items = [item(*ORIGINAL, wire.link("csto-drills"))]
    assert desk.poll().alerts == 1
    daily.items = [item(*LOCAL_INTRO, daily.link("edelweiss-drills"))]
    regional.items = [item(*CREDITED, regional.link("issyk-kul-drills"))]
    report = desk.poll()
    assert (report.stories, report.copies, report.alerts) == (2, 0, 2)
    assert desk.deliver().sent == 3
    assert len(hook.payloads()) == 3
    assert {p["type"] for p in hook.payloads()} == {"alert.created"}
    assert [state for _, state in desk.matches()] == ["alerted"] * 3
    assert desk.rows("SELECT COUNT(*) FROM articles WHERE story_id = id") == [(3,)]
    assert desk.rows("SELECT COUNT(*) FROM articles WHERE fingerprint IS NOT NULL") == [(0,)]
    assert {articles for articles, _ in desk.stories().values()} == {1}
    assert run_cli(cli, desk.path, "stories", "list", "--copies") == []


# === migration 4 ==================================================================================


def test_migration_4_makes_each_stored_article_a_story_of_its_own(
    make_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    path = make_config(extra=watch_config(()))
    db_path = config.load(path).storage_path
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:3])
        old = SQLiteStore(db_path)
        assert old.schema_version == 3
        with old.batch():  # rows as version 3 wrote them
            old.db.execute(
                "INSERT INTO feeds (id, config_url, url, name, interval, created_at)"
                " VALUES (1, ?, ?, 'Wire', 900, '2026-10-30T08:00:00Z')",
                ["https://wire.example.org/rss", "https://wire.example.org/rss"],
            )
            for n, (pair, side) in enumerate((ORIGINAL, OTHER_STATEMENT), start=1):
                found = text(pair, side)
                seen = f"2026-10-2{n}T08:00:00Z"
                link = f"https://wire.example.org/news/{n}"
                old.db.execute(
                    "INSERT INTO articles (id, url, title, summary, first_seen)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [n, link, found["title"], found["body"], seen],
                )
                old.db.execute(
                    "INSERT INTO article_sources (feed_id, entry_key, article_id, link,"
                    " content_hash, first_seen, last_seen) VALUES (1, ?, ?, ?, 'h', ?, ?)",
                    [f"id:{link}", n, link, seen, seen],
                )
                old.db.execute(
                    "INSERT INTO matches (id, watch, article_id, matched_at, hits, state)"
                    " VALUES (?, 'csto', ?, ?, '[]', 'alerted')",
                    [n, n, seen],
                )
        old.close()

    new = SQLiteStore(db_path)
    try:
        assert new.schema_version == len(store_module.MIGRATIONS)
        assert new.rows("SELECT id, title, first_seen, last_seen, articles FROM stories") == [
            (1, text(*ORIGINAL)["title"], "2026-10-21T08:00:00Z", "2026-10-21T08:00:00Z", 1),
            (2, text(*OTHER_STATEMENT)["title"], "2026-10-22T08:00:00Z", "2026-10-22T08:00:00Z", 1),
        ]
        assert new.rows("SELECT id, story_id, fingerprint FROM articles") == [
            (1, 1, None),
            (2, 2, None),
        ]
        assert new.rows("SELECT id, article_id, story_id FROM matches") == [(1, 1, 1), (2, 2, 2)]
    finally:
        new.close()
    shown = run_cli(cli, path, "stories", "show", "1")
    assert [(a["id"], a["feeds"]) for a in shown["items"]] == [(1, ["Wire"])]
