"""The outbox end to end: matches and their alerts in a real SQLite file, delivered by ``Sender``
to real receivers on 127.0.0.1.

Articles come in as the pipeline brings them: through ``store.save`` (several feeds with names
and tags, for the scope tests) or by polling a feed served by pytest-httpserver. Each step runs
with a fresh ``Pipeline``, ``Sender`` and notifiers, as after a restart: everything that carries
over lives in the database. Webhooks go to ``Receiver``, a threaded HTTP server that verifies
every request with the ``standardwebhooks`` package and answers with the status a test sets (or
late, or not at all); mail goes to aiosmtpd with STARTTLS on a trustme certificate. The clock is
fixed; retries and digests become due by moving it. Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from conftest import FixedClock, Item, rss
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Request, Response

from ingester import config, dedupe, schedule
from ingester.alert import Notifier
from ingester.alert.email import EmailNotifier, message_id
from ingester.alert.webhook import WebhookNotifier
from ingester.deliver import DeliveryReport, Sender, fingerprint
from ingester.errors import StorageError
from ingester.fetch import Fetcher
from ingester.models import ParsedEntry
from ingester.pipeline import Pipeline
from ingester.store import AlertRow, FeedMeta, MatchReport, SQLiteStore

T = TypeVar("T")

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
USER = "alerts"
PASSWORD = "pa55-w0rd-Zq"
SENDER = "Feed Ingester <alerts@ingester.example.org>"
TO = ["ops@example.org"]
ALPHA = "https://alpha.example.org/rss"
BETA = "https://beta.example.org/rss"
GAMMA = "https://gamma.example.org/rss"
RSS = "application/rss+xml"
RETRY_FIRST, RETRY_CAP, MAX_ATTEMPTS = 10, 60, 3
ALERTS = (
    f'[alerts]\nmax_attempts = {MAX_ATTEMPTS}\nretry = "{RETRY_FIRST}s"\n'
    f'max_retry = "{RETRY_CAP}s"\n'
)


# --- config text ---------------------------------------------------------------------------------


def counts(report: MatchReport) -> MatchReport:
    """The matching counts of a report; story placement is tested in test_stories.py."""
    return MatchReport(report.articles, report.matches, report.alerts, report.queued)


def table(header: str, **values: Any) -> str:
    """A TOML table; JSON strings, lists, numbers and booleans are valid TOML values."""
    lines = [header] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def feeds_text(*feeds: tuple[str, str, list[str]]) -> str:
    return "".join(table("[[feeds]]", url=url, name=name, tags=tags) for url, name, tags in feeds)


def watch(name: str, query: str, notify: tuple[str, ...] = ("hook",), **more: Any) -> str:
    return table("[[watches]]", name=name, query=query, notify=list(notify), **more)


def hook_config(name: str, url: str) -> str:
    return table(f"[notifiers.{name}]", type="webhook", url=url)


def mail_config(port: int) -> str:
    return table(
        "[notifiers.mail]", type="email", host="127.0.0.1", port=port, **{"from": SENDER}, to=TO
    )


def entry(n: int, title: str, body: str = "", tags: tuple[str, ...] = ()) -> ParsedEntry:
    return ParsedEntry(
        id=f"entry-{n}",
        link=f"https://news.example.org/story/{n}",
        title=title,
        summary=body,
        content=None,
        author=None,
        published=datetime(2026, 11, 1, 11, 30, tzinfo=UTC),
        updated=None,
        tags=tags,
    )


def moment(stamp: str | None) -> datetime:
    assert stamp is not None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the world: config, store, pipeline, sender -------------------------------------------------


@dataclass
class World:
    """A config file, its database and the notifiers a ``Sender`` gets (made fresh per pass)."""

    make_config: Callable[..., Path]
    clock: FixedClock
    settings: config.Settings
    store: SQLiteStore
    notifiers: dict[str, Callable[[], Notifier]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def reconfigure(self, extra: str) -> None:
        """Write a new config (as a reload would read it) and bring the feed table in step."""
        self.settings = config.load(self.make_config(extra=extra))
        self.store.sync_feeds(self.settings.feeds, self.settings.schedule.interval, self.clock())

    def run(self, work: Callable[[Pipeline], Awaitable[T]]) -> T:
        async def go() -> T:
            fetcher = Fetcher(self.settings.fetch)
            pipeline = Pipeline(
                self.settings, self.store, fetcher, None, clock=self.clock, rng=random.Random(0)
            )
            try:
                return await work(pipeline)
            finally:
                pipeline.close()
                await fetcher.aclose()

        return asyncio.run(go())

    def poll(self) -> MatchReport:
        """One cycle as the daemon runs it: poll due feeds, then match what came in."""

        async def work(pipeline: Pipeline) -> MatchReport:
            await pipeline.run_due()
            return await pipeline.run_matches()

        return self.run(work)

    def match(self) -> MatchReport:
        return self.run(lambda pipeline: pipeline.run_matches())

    def digests(self) -> int:
        return self.run(lambda pipeline: pipeline.run_digests())

    def deliver(self, *, everything: bool = False) -> DeliveryReport:
        async def work(pipeline: Pipeline) -> DeliveryReport:
            built = {name: make() for name, make in self.notifiers.items()}
            sender = Sender(pipeline, notifiers=built, rng=self.rng)
            try:
                return await sender.deliver_due(everything=everything)
            finally:
                for notifier in built.values():
                    await notifier.aclose()

        return self.run(work)

    def save(self, feed_url: str, *entries: ParsedEntry) -> None:
        """Store entries as the pipeline does after parsing one feed."""
        feed_id = {feed.config_url: feed.id for feed in self.store.feeds()}[feed_url]
        now = self.clock()
        meta = FeedMeta(None, None, f"body-{now.timestamp()}", None, None, None, "rss20", None)
        candidates = dedupe.prepare(entries)
        self.store.save(feed_id, now, now + timedelta(hours=1), candidates, meta)

    def alerts(self) -> list[AlertRow]:
        return sorted(self.store.alerts(limit=10_000), key=lambda row: row.id)

    def matches(self) -> list[tuple[str, str, str]]:
        """(watch, article title, state) of every match, in order."""
        rows = self.store.rows(
            "SELECT m.watch, a.title, m.state FROM matches m"
            " JOIN articles a ON a.id = m.article_id ORDER BY m.id"
        )
        return [(watch, title, state) for watch, title, state in rows]

    def match_status(self) -> dict[str, str]:
        rows = self.store.rows("SELECT title, match_status FROM articles")
        return {title: status for title, status in rows}

    def settled(self) -> None:
        """Nothing is lost: every alert ended sent, or failed with the reason."""
        for row in self.alerts():
            assert row.status in ("sent", "failed"), row
            if row.status == "failed":
                assert row.last_error, row


@pytest.fixture
def make_world(
    make_config: Callable[..., Path], clock: FixedClock
) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(extra: str, **notifiers: Callable[[], Notifier]) -> World:
        settings = config.load(make_config(extra=extra))
        store = SQLiteStore(settings.storage_path)
        store.sync_feeds(settings.feeds, settings.schedule.interval, clock())
        made.append(World(make_config, clock, settings, store, dict(notifiers)))
        return made[-1]

    yield make
    for world in made:
        world.store.close()


# --- the webhook receiver ------------------------------------------------------------------------


@dataclass
class Delivery:
    headers: dict[str, str]
    payload: Any  # the verified JSON, or None if it did not verify
    problem: str | None


@dataclass
class Receiver:
    """Verifies every request against ``SECRET``; answers ``status`` (401 to a bad signature),
    after ``delay`` seconds. It listens only once ``up()`` is called: until then connections to
    ``url`` are refused."""

    sock: socket.socket
    status: int = 200
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks/feed-ingester"

    @property
    def payloads(self) -> list[Any]:
        assert all(d.problem is None for d in self.deliveries), self.deliveries
        return [d.payload for d in self.deliveries]

    def up(self) -> None:
        self.sock.listen()
        server = ThreadingHTTPServer(
            self.sock.getsockname(), handler_for(self), bind_and_activate=False
        )
        server.socket.close()
        server.socket = self.sock
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self.server = server

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        else:
            self.sock.close()


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            try:
                payload = Webhook(SECRET).verify(body, headers)
                receiver.deliveries.append(Delivery(headers, payload, None))
                status = receiver.status
            except WebhookVerificationError as exc:
                receiver.deliveries.append(Delivery(headers, None, str(exc)))
                status = 401
            if receiver.delay:
                receiver.release.wait(receiver.delay)
            try:
                self.send_response(status)
                for name, value in receiver.answer_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first: the slow case

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(*, listening: bool = True) -> Receiver:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        receiver = Receiver(sock)
        if listening:
            receiver.up()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def hook(url: str, timeout: float = 5.0) -> Callable[[], Notifier]:
    return lambda: WebhookNotifier("hook", url, secret=SECRET, timeout=timeout)


def named_hook(name: str, url: str) -> Callable[[], Notifier]:
    return lambda: WebhookNotifier(name, url, secret=SECRET, timeout=5.0)


# --- the SMTP server -----------------------------------------------------------------------------


@dataclass
class Received:
    message: EmailMessage
    accepted: bool
    tls: bool
    authenticated: bool


@dataclass
class Mailbox:
    """Records every message it is given, even one it then refuses, and answers as told."""

    answers: dict[str, str] = field(default_factory=dict)  # "MAIL" | "DATA" -> reply
    received: list[Received] = field(default_factory=list)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "MAIL" in self.answers:
            return self.answers["MAIL"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "RCPT" in self.answers:
            return self.answers["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None and isinstance(envelope.content, bytes)
        answer = self.answers.get("DATA", "250 Message accepted for delivery")
        self.received.append(
            Received(
                message=message_from_bytes(envelope.content, policy=default_policy),
                accepted=answer.startswith("250"),
                tls=server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return answer

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = data == LoginPassword(USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)


class LocalController(Controller):
    """aiosmtpd's controller on a free port: it learns the port once it listens."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def smtp(ca: trustme.CA) -> Iterator[tuple[Mailbox, int]]:
    """STARTTLS required, then credentials required."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    mailbox = Mailbox()
    controller = LocalController(
        mailbox,
        hostname="127.0.0.1",
        port=0,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_required=True,
    )
    controller.start()
    yield mailbox, controller.port
    controller.stop()


def mail(port: int, client_tls: ssl.SSLContext, password: str = PASSWORD) -> Callable[[], Notifier]:
    return lambda: EmailNotifier(
        "mail",
        "127.0.0.1",
        port,
        tls="starttls",
        username=USER,
        password=password,
        sender=SENDER,
        recipients=TO,
        timeout=5.0,
        ssl_context=client_tls,
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 with nobody listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --- a feed served over HTTP ---------------------------------------------------------------------


class ServedFeed:
    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def __call__(self, request: Request) -> Response:
        return Response(rss(self.items, title="Steppe News"), content_type=RSS)


def serve_feed(server: HTTPServer, items: list[Item]) -> tuple[str, ServedFeed]:
    feed = ServedFeed(items)
    server.expect_request("/feed.xml").respond_with_handler(feed)
    return server.url_for("/feed.xml"), feed


CSTO_ITEM = Item(
    "CSTO exercise opens near Almaty",
    "https://news.example.org/csto-almaty",
    "csto-1",
    "Troops of the alliance arrived on Sunday.",
)
OTHER_ITEM = Item("Wheat harvest sets a record", "https://news.example.org/wheat", "wheat-1")


# === matching and the outbox ======================================================================


def test_a_new_match_writes_one_alert_per_notifier_with_it(
    httpserver_ipv4: HTTPServer, make_world: Callable[..., World]
) -> None:
    url, _ = serve_feed(httpserver_ipv4, [CSTO_ITEM, OTHER_ITEM])
    world = make_world(
        feeds_text((url, "Steppe News", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + hook_config("backup", "http://127.0.0.1:9/backup")
        + watch("csto", "CSTO", notify=("hook", "backup"))
    )
    report = world.poll()
    assert counts(report) == MatchReport(articles=2, matches=1, alerts=2, queued=0)
    assert world.matches() == [("csto", "CSTO exercise opens near Almaty", "alerted")]
    alerts = world.alerts()
    assert [(a.watch, a.notifier, a.kind, a.status, a.attempts) for a in alerts] == [
        ("csto", "hook", "instant", "pending", 0),
        ("csto", "backup", "instant", "pending", 0),
    ]
    assert {a.title for a in alerts} == {"CSTO exercise opens near Almaty"}
    assert len({a.key for a in alerts}) == 2
    assert all(a.key.isascii() and a.key.isprintable() for a in alerts)
    (match_id,) = world.store.rows("SELECT id FROM matches")[0]
    assert world.store.rows("SELECT match_id FROM alert_matches") == [(match_id,), (match_id,)]
    assert set(world.match_status().values()) == {"done"}
    # Matched articles are not matched again: another pass finds nothing to do.
    assert counts(world.match()) == MatchReport()
    assert len(world.alerts()) == 2


def test_a_failure_writing_the_outbox_leaves_no_match_behind(
    make_world: Callable[..., World],
) -> None:
    world = make_world(
        feeds_text((ALPHA, "Alpha", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + watch("csto", "CSTO")
    )
    world.save(ALPHA, entry(1, "CSTO exercise opens near Almaty"))
    # A TEMP trigger lives on this connection only: the outbox insert fails after the match
    # row of the same transaction has been written.
    conn = world.store.db.conn
    conn.execute(
        "CREATE TEMP TRIGGER outbox_fails BEFORE INSERT ON main.alerts"
        " BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END"
    )
    with pytest.raises(StorageError, match="disk full"):
        world.match()
    assert world.matches() == []
    assert world.alerts() == []
    assert world.match_status() == {"CSTO exercise opens near Almaty": "pending"}

    conn.execute("DROP TRIGGER outbox_fails")
    assert counts(world.match()) == MatchReport(articles=1, matches=1, alerts=1, queued=0)
    assert world.matches() == [("csto", "CSTO exercise opens near Almaty", "alerted")]
    assert len(world.alerts()) == 1
    assert world.match_status() == {"CSTO exercise opens near Almaty": "done"}


def test_an_updated_article_alerts_a_watch_once_and_a_new_watch_once(
    httpserver_ipv4: HTTPServer, make_world: Callable[..., World], clock: FixedClock
) -> None:
    url, feed = serve_feed(httpserver_ipv4, [CSTO_ITEM])
    base = feeds_text((url, "Steppe News", [])) + hook_config("hook", "http://127.0.0.1:9/hook")
    world = make_world(base + watch("csto", "CSTO"))
    assert world.poll().alerts == 1

    def edit(description: str) -> None:
        feed.items = [Item(CSTO_ITEM.title, CSTO_ITEM.link, CSTO_ITEM.guid, description)]
        clock.advance(2)  # the feed's interval is 1s

    edit("Troops of the CSTO arrived in Kazakhstan on Sunday.")
    report = world.poll()
    assert (report.articles, report.matches, report.alerts) == (1, 0, 0)
    assert world.match_status() == {CSTO_ITEM.title: "done"}

    world.reconfigure(base + watch("csto", "CSTO") + watch("kazakhstan", "Kazakhstan"))
    edit("Troops arrived in Kazakhstan on Monday, not Sunday.")
    report = world.poll()
    assert (report.articles, report.matches, report.alerts) == (1, 1, 1)

    edit("Troops arrived in Kazakhstan on Monday; more are expected.")
    assert world.poll().alerts == 0
    assert [(a.watch, a.title) for a in world.alerts()] == [
        ("csto", CSTO_ITEM.title),
        ("kazakhstan", CSTO_ITEM.title),
    ]
    assert [m[0] for m in world.matches()] == ["csto", "kazakhstan"]


def test_the_same_story_from_another_feed_alerts_only_a_watch_it_brings_into_scope(
    make_world: Callable[..., World],
) -> None:
    world = make_world(
        feeds_text((ALPHA, "Alpha", []), (BETA, "Beta", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + watch("csto", "CSTO")
        + watch("csto-in-beta", "CSTO", feeds=["Beta"])
    )
    world.save(ALPHA, entry(1, "CSTO exercise opens near Almaty"))
    assert world.match().alerts == 1
    world.save(BETA, entry(1, "CSTO exercise opens near Almaty"))  # same link: a new source
    assert world.match_status() == {"CSTO exercise opens near Almaty": "pending"}
    assert counts(world.match()) == MatchReport(articles=1, matches=1, alerts=1, queued=0)
    assert [a.watch for a in world.alerts()] == ["csto", "csto-in-beta"]
    world.save(BETA, entry(1, "CSTO exercise opens near Almaty, updated"))
    assert counts(world.match()) == MatchReport(articles=1, matches=0, alerts=0, queued=0)
    assert len(world.alerts()) == 2


def test_a_watch_scoped_to_feeds_or_tags_sees_only_their_articles(
    make_world: Callable[..., World],
) -> None:
    world = make_world(
        feeds_text((ALPHA, "Alpha", []), (BETA, "Beta", ["Politics"]), (GAMMA, "Gamma", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + watch("everywhere", "CSTO")
        + watch("alpha-only", "CSTO", feeds=["Alpha"])
        + watch("gamma-by-url", "CSTO", feeds=[GAMMA])
        + watch("politics", "CSTO", tags=["politics"])
        + watch("alpha-or-beta-politics", "CSTO", feeds=["Alpha", "Beta"], tags=["POLITICS"])
    )
    world.save(ALPHA, entry(1, "CSTO in Alpha"), entry(2, "Nothing to see in Alpha"))
    world.save(BETA, entry(3, "CSTO in Beta"))
    world.save(
        GAMMA, entry(4, "CSTO in Gamma"), entry(5, "CSTO in Gamma, tagged", tags=("Politics",))
    )
    world.match()
    found: dict[str, set[str]] = {}
    for name, title, _ in world.matches():
        found.setdefault(name, set()).add(title)
    assert found == {
        "everywhere": {"CSTO in Alpha", "CSTO in Beta", "CSTO in Gamma", "CSTO in Gamma, tagged"},
        "alpha-only": {"CSTO in Alpha"},
        "gamma-by-url": {"CSTO in Gamma", "CSTO in Gamma, tagged"},
        "politics": {"CSTO in Beta", "CSTO in Gamma, tagged"},  # the feed's tag, the entry's tag
        "alpha-or-beta-politics": {"CSTO in Beta"},
    }
    assert len(world.alerts()) == 10


# A watch names a feed as the config does (feeds.config_url), also after a 301/308 moved it.
def test_a_watch_scoped_by_url_still_sees_a_feed_that_moved_permanently(
    httpserver_ipv4: HTTPServer, make_world: Callable[..., World]
) -> None:
    old, new = httpserver_ipv4.url_for("/old.xml"), httpserver_ipv4.url_for("/new.xml")
    httpserver_ipv4.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": new})
    )
    httpserver_ipv4.expect_request("/new.xml").respond_with_response(
        Response(rss([CSTO_ITEM]), content_type=RSS)
    )
    world = make_world(
        feeds_text((old, "Moved", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + watch("by-name", "CSTO", feeds=["Moved"])
        + watch("by-url", "CSTO", feeds=[old])
    )
    world.poll()
    assert world.store.rows("SELECT config_url, url FROM feeds") == [(old, new)]
    assert sorted(name for name, _, _ in world.matches()) == ["by-name", "by-url"]


# === webhook delivery =============================================================================


def csto_world(make_world: Callable[..., World], receiver: Receiver, **more: Any) -> World:
    config_text = feeds_text((ALPHA, "Alpha", [])) + ALERTS + hook_config("hook", receiver.url)
    world = make_world(config_text + watch("csto", "CSTO"), hook=hook(receiver.url, **more))
    world.save(ALPHA, entry(1, "CSTO exercise opens near Almaty", "Troops arrived in Kazakhstan."))
    assert world.match().alerts == 1
    return world


def test_a_webhook_alert_is_signed_and_carries_the_article(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    receiver = start_receiver()
    world = csto_world(make_world, receiver)
    clock.advance(5)
    report = world.deliver()
    assert (report.sent, report.retrying, report.failed, report.held) == (1, 0, 0, 0)
    [row] = world.alerts()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at == stamp(clock())
    [delivery] = receiver.deliveries
    assert delivery.problem is None  # verified by standardwebhooks
    assert delivery.headers["webhook-id"] == row.key
    payload = delivery.payload
    assert payload["type"] == "alert.created"
    assert payload["data"]["watch"] == "csto"
    assert payload["data"]["alert_id"] == row.key
    [article] = payload["data"]["articles"]
    assert article["title"] == "CSTO exercise opens near Almaty"
    assert article["url"] == "https://news.example.org/story/1"
    assert article["source_feeds"] == ["Alpha"]
    assert article["published"] == "2026-11-01T11:30:00Z"
    assert {"term": "CSTO", "field": "title"} in article["matched"]
    assert "CSTO" in article["snippet"]
    # Sent is sent: later passes send nothing again.
    clock.advance(3600)
    assert world.deliver() == DeliveryReport()
    assert len(receiver.deliveries) == 1


FAULTS = ["refused", "500", "slow", "429"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_temporary_fault_is_retried_with_backoff_until_max_attempts(
    make_world: Callable[..., World],
    start_receiver: Callable[..., Receiver],
    clock: FixedClock,
    fault: str,
) -> None:
    receiver = start_receiver(listening=fault != "refused")
    if fault == "500":
        receiver.status = 500
    elif fault == "slow":
        receiver.delay = 5.0
    elif fault == "429":
        receiver.status = 429
        receiver.answer_headers = {"Retry-After": "45"}
    world = csto_world(make_world, receiver, timeout=0.5)
    where = f"http://127.0.0.1:{receiver.sock.getsockname()[1]}"
    expected_error = {
        "refused": f"cannot reach {where}",
        "500": f"{where} answered HTTP 500",
        "slow": f"no answer from {where} within 0.5s",
        "429": "HTTP 429 Too Many Requests (Retry-After 45)",
    }[fault]

    for attempt in range(1, MAX_ATTEMPTS):
        requests = len(receiver.deliveries)
        assert world.deliver().retrying == 1
        [row] = world.alerts()
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_error is not None and expected_error in row.last_error
        wait = (moment(row.next_attempt_at) - clock()).total_seconds()
        if fault == "429":
            assert wait == 45  # Retry-After asks for longer than the backoff
        else:
            backoff = min(RETRY_CAP, RETRY_FIRST * 2 ** (attempt - 1))
            assert backoff // 2 <= wait <= backoff
        assert len(receiver.deliveries) == requests + (fault != "refused")
        # Not due yet: nothing is sent, nothing changes.
        clock.advance(wait - 1)
        assert world.deliver() == DeliveryReport()
        assert world.alerts() == [row]
        clock.advance(1)

    assert world.deliver().failed == 1
    [row] = world.alerts()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert row.last_error is not None and expected_error in row.last_error
    clock.advance(7 * 86400)
    assert world.deliver() == DeliveryReport()  # failed stays failed

    # The receiver works again; `alerts retry --failed` sends the alert after all.
    if fault == "refused":
        receiver.up()
    receiver.status, receiver.delay, receiver.answer_headers = 200, 0.0, {}
    assert world.store.retry_alerts(None, clock()) == 1
    [row] = world.alerts()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert world.deliver().sent == 1
    [row] = world.alerts()
    assert row.status == "sent"
    # Every request that reached the receiver carried the same id, for it to drop the copies.
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {row.key}
    assert receiver.payloads[-1]["data"]["alert_id"] == row.key
    world.settled()


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_4xx_fails_at_once(
    make_world: Callable[..., World],
    start_receiver: Callable[..., Receiver],
    clock: FixedClock,
    status: int,
) -> None:
    receiver = start_receiver()
    receiver.status, receiver.answer_body = status, b"invalid payload: no such channel"
    world = csto_world(make_world, receiver)
    report = world.deliver()
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    [row] = world.alerts()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert row.last_error is not None
    assert f"answered HTTP {status}" in row.last_error
    assert "invalid payload: no such channel" in row.last_error
    assert world.store.gone_notifiers() == {}  # only 410 disables the notifier
    clock.advance(86400)
    world.deliver()
    assert len(receiver.deliveries) == 1
    world.settled()


def test_410_disables_the_notifier_until_its_url_changes(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    gone, backup = start_receiver(), start_receiver()
    gone.status = 410
    feeds = feeds_text((ALPHA, "Alpha", [])) + ALERTS
    watches = watch("csto", "CSTO", notify=("hook", "backup"))
    world = make_world(
        feeds + hook_config("hook", gone.url) + hook_config("backup", backup.url) + watches,
        hook=named_hook("hook", gone.url),
        backup=named_hook("backup", backup.url),
    )
    world.save(ALPHA, entry(1, "CSTO story one"))
    world.match()
    report = world.deliver()
    assert (report.sent, report.failed) == (1, 1)
    first_hook, first_backup = world.alerts()
    assert (first_hook.notifier, first_hook.status, first_hook.attempts) == ("hook", "failed", 1)
    assert first_hook.last_error is not None and "HTTP 410" in first_hook.last_error
    assert first_backup.status == "sent"
    [(name, (print_, problem))] = world.store.gone_notifiers().items()
    assert name == "hook" and print_ == fingerprint(world.settings.notifiers["hook"])
    assert problem is not None and "410" in problem

    # Later alerts for it are held as failed, without a request; the other notifier goes on.
    clock.advance(60)
    world.save(ALPHA, entry(2, "CSTO story two"))
    world.match()
    report = world.deliver()
    assert (report.sent, report.held, report.failed) == (1, 1, 0)
    assert len(gone.deliveries) == 1
    held = next(a for a in world.alerts() if a.notifier == "hook" and a.title == "CSTO story two")
    assert (held.status, held.attempts) == ("failed", 0)
    assert held.last_error is not None and "disabled" in held.last_error
    assert "alerts retry" in held.last_error

    # A new URL in the config brings the notifier back.
    moved = start_receiver()
    world.reconfigure(
        feeds + hook_config("hook", moved.url) + hook_config("backup", backup.url) + watches
    )
    world.notifiers["hook"] = named_hook("hook", moved.url)
    assert world.deliver() == DeliveryReport()
    assert world.store.gone_notifiers() == {}
    world.save(ALPHA, entry(3, "CSTO story three"))
    world.match()
    assert world.deliver().sent == 2
    assert [p["data"]["articles"][0]["title"] for p in moved.payloads] == ["CSTO story three"]

    # The alerts that failed meanwhile go out when retried.
    assert world.store.retry_alerts(None, clock()) == 2
    assert world.deliver().sent == 2
    assert sorted(p["data"]["articles"][0]["title"] for p in moved.payloads) == [
        "CSTO story one",
        "CSTO story three",
        "CSTO story two",
    ]
    assert {a.status for a in world.alerts()} == {"sent"}
    assert len(gone.deliveries) == 1
    assert len(backup.payloads) == 3


def test_retrying_by_hand_re_enables_a_gone_notifier(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    receiver = start_receiver()
    receiver.status = 410
    world = csto_world(make_world, receiver)
    assert world.deliver().failed == 1
    assert list(world.store.gone_notifiers()) == ["hook"]
    receiver.status = 200  # the route was fixed on the receiver's side
    assert world.store.retry_alerts(None, clock()) == 1
    assert world.store.gone_notifiers() == {}
    assert world.deliver().sent == 1
    assert len(receiver.payloads) == 2
    world.settled()


# === e-mail =======================================================================================


def mail_world(make_world: Callable[..., World], port: int, make: Callable[[], Notifier]) -> World:
    config_text = feeds_text((ALPHA, "Alpha", [])) + ALERTS + mail_config(port)
    world = make_world(config_text + watch("csto-watch", "CSTO", notify=("mail",)), mail=make)
    world.save(ALPHA, entry(1, "CSTO exercise opens near Almaty", "Troops in Kazakhstan."))
    assert world.match().alerts == 1
    return world


def test_an_email_alert_arrives_over_starttls(
    make_world: Callable[..., World],
    smtp: tuple[Mailbox, int],
    client_tls: ssl.SSLContext,
) -> None:
    mailbox, port = smtp
    world = mail_world(make_world, port, mail(port, client_tls))
    assert world.deliver().sent == 1
    [row] = world.alerts()
    assert row.status == "sent"
    [got] = mailbox.received
    assert got.tls and got.authenticated and got.accepted
    message = got.message
    assert message["Subject"] == "[csto-watch] CSTO exercise opens near Almaty"
    assert message["To"] == "ops@example.org"
    assert message["Message-ID"] == message_id(row.key, "ingester.example.org")
    assert message.get_content_type() == "multipart/alternative"
    parts = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        parts[part.get_content_type()] = part.get_content()
    assert list(parts) == ["text/plain", "text/html"]
    assert 'New match for watch "csto-watch"' in parts["text/plain"]
    assert "https://news.example.org/story/1" in parts["text/plain"]
    assert "Matched: CSTO in title" in parts["text/plain"]
    assert '<a href="https://news.example.org/story/1">' in parts["text/html"]
    assert "Source: Alpha" in parts["text/html"]


def test_a_resent_email_keeps_its_message_id(
    make_world: Callable[..., World],
    smtp: tuple[Mailbox, int],
    client_tls: ssl.SSLContext,
    clock: FixedClock,
) -> None:
    mailbox, port = smtp
    # The server takes the message, then answers 451: to us it failed, so it is sent again.
    mailbox.answers["DATA"] = "451 4.3.0 Temporary failure, try again"
    world = mail_world(make_world, port, mail(port, client_tls))
    assert world.deliver().retrying == 1
    [row] = world.alerts()
    assert (row.status, row.attempts) == ("pending", 1)
    del mailbox.answers["DATA"]
    clock.advance(RETRY_FIRST)
    assert world.deliver().sent == 1
    first, again = (got.message for got in mailbox.received)
    assert first["Message-ID"] == again["Message-ID"] == message_id(row.key, "ingester.example.org")
    assert first["Subject"] == again["Subject"]
    world.settled()


@pytest.mark.parametrize(
    ("fault", "permanent", "problem"),
    [
        ("refused", False, "cannot deliver via 127.0.0.1"),
        ("MAIL 451", False, "451 4.3.0 Mail system busy"),
        ("RCPT 550", True, "550 5.1.1 No such user"),
        ("bad password", True, "login refused"),
    ],
)
def test_email_faults_are_temporary_or_permanent(
    make_world: Callable[..., World],
    smtp: tuple[Mailbox, int],
    client_tls: ssl.SSLContext,
    closed_port: int,
    clock: FixedClock,
    fault: str,
    permanent: bool,
    problem: str,
) -> None:
    mailbox, port = smtp
    make = mail(port, client_tls)
    if fault == "refused":
        make = mail(closed_port, client_tls)
    elif fault == "MAIL 451":
        mailbox.answers["MAIL"] = "451 4.3.0 Mail system busy, try later"
    elif fault == "RCPT 550":
        mailbox.answers["RCPT"] = "550 5.1.1 No such user"
    else:
        make = mail(port, client_tls, password="wrong-password")
    world = mail_world(make_world, port, make)
    report = world.deliver()
    assert (report.failed, report.retrying) == ((1, 0) if permanent else (0, 1))
    [row] = world.alerts()
    assert row.last_error is not None and problem in row.last_error
    assert PASSWORD not in row.last_error and "wrong-password" not in row.last_error
    assert row.attempts == 1
    if permanent:
        assert (row.status, row.next_attempt_at) == ("failed", None)
    else:
        assert row.status == "pending"
        assert moment(row.next_attempt_at) > clock()
    assert mailbox.received == []


# === digests and rate limits ======================================================================


def test_a_digest_watch_queues_its_matches_until_the_digest_time(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    hook_receiver, backup_receiver = start_receiver(), start_receiver()
    world = make_world(
        feeds_text((ALPHA, "Alpha", []))
        + hook_config("hook", hook_receiver.url)
        + hook_config("backup", backup_receiver.url)
        + watch("daily", "CSTO", notify=("hook", "backup"), mode="digest", digest_every="1h"),
        hook=named_hook("hook", hook_receiver.url),
        backup=named_hook("backup", backup_receiver.url),
    )
    clock.advance(10 * 60)  # 12:10
    world.save(ALPHA, *(entry(n, f"CSTO story {n}") for n in range(1, 4)))
    assert counts(world.match()) == MatchReport(articles=3, matches=3, alerts=0, queued=3)
    assert {state for _, _, state in world.matches()} == {"queued"}
    due = schedule.next_digest(clock(), 3600)
    assert due == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)

    assert world.digests() == 0
    clock.moment = due - timedelta(seconds=1)
    assert world.digests() == 0
    assert world.alerts() == []
    assert world.deliver() == DeliveryReport()

    clock.moment = due
    assert world.digests() == 3
    alerts = world.alerts()
    assert [(a.notifier, a.kind, a.articles, a.title) for a in alerts] == [
        ("hook", "digest", 3, "CSTO story 1"),
        ("backup", "digest", 3, "CSTO story 1"),
    ]
    assert {state for _, _, state in world.matches()} == {"digested"}
    assert world.digests() == 0  # nothing queued any more
    assert world.deliver().sent == 2
    for receiver in (hook_receiver, backup_receiver):
        [payload] = receiver.payloads
        titles = [article["title"] for article in payload["data"]["articles"]]
        assert titles == ["CSTO story 1", "CSTO story 2", "CSTO story 3"]

    # A match after the digest waits for the next one.
    clock.advance(5 * 60)
    world.save(ALPHA, entry(4, "CSTO story 4"))
    assert world.match().queued == 1
    assert world.digests() == 0
    clock.moment = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert world.digests() == 1
    world.deliver()
    assert [len(p["data"]["articles"]) for p in hook_receiver.payloads] == [3, 1]
    world.settled()


def test_a_digest_at_a_time_of_day(make_world: Callable[..., World], clock: FixedClock) -> None:
    world = make_world(
        feeds_text((ALPHA, "Alpha", []))
        + hook_config("hook", "http://127.0.0.1:9/hook")
        + watch("morning", "CSTO", mode="digest", digest_at=["20:00", "08:00"])
    )
    clock.moment = datetime(2026, 11, 1, 21, 0, tzinfo=UTC)
    world.save(ALPHA, entry(1, "CSTO story"))
    assert world.match().queued == 1
    clock.moment = datetime(2026, 11, 2, 7, 59, 59, tzinfo=UTC)
    assert world.digests() == 0
    clock.moment = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert world.digests() == 1
    [row] = world.alerts()
    assert (row.kind, row.articles, row.created_at) == ("digest", 1, "2026-11-02T08:00:00Z")


def test_matches_over_the_rate_limit_wait_for_the_next_digest(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    receiver = start_receiver()
    world = make_world(
        feeds_text((ALPHA, "Alpha", []))
        + hook_config("hook", receiver.url)
        + watch("limited", "CSTO", rate_limit="2/1h"),
        hook=hook(receiver.url),
    )
    assert world.settings.watches[0].policy.rate_limit == (2, 3600.0)
    for n, minute in ((1, 0), (2, 10), (3, 20)):  # 12:00, 12:10, 12:20
        clock.moment = datetime(2026, 11, 1, 12, minute, tzinfo=UTC)
        world.save(ALPHA, entry(n, f"CSTO story {n}"))
        world.match()
    assert [state for _, _, state in world.matches()] == ["alerted", "alerted", "queued"]
    assert world.deliver().sent == 2
    assert world.digests() == 0  # the queue goes out at the next digest time, 13:00

    clock.moment = datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert world.digests() == 1
    # 13:05: within the last hour only the 12:10 alert counts, so this one alerts at once.
    clock.moment = datetime(2026, 11, 1, 13, 5, tzinfo=UTC)
    world.save(ALPHA, entry(4, "CSTO story 4"))
    assert world.match().alerts == 1
    assert world.deliver().sent == 2
    # Each article went out exactly once (alerts of one pass are sent concurrently: any order).
    sent = sorted(
        (payload["data"]["alert_id"], [article["title"] for article in payload["data"]["articles"]])
        for payload in receiver.payloads
    )
    assert sent == sorted(
        (row.key, [f"CSTO story {n}"]) for n, row in enumerate(world.alerts(), start=1)
    )
    assert [a.kind for a in world.alerts()] == ["instant", "instant", "digest", "instant"]
    world.settled()


# === run --once ===================================================================================


def test_everything_sends_each_pending_alert_once_per_call(
    make_world: Callable[..., World], start_receiver: Callable[..., Receiver], clock: FixedClock
) -> None:
    receiver = start_receiver()
    receiver.status = 503
    world = csto_world(make_world, receiver)
    assert world.deliver(everything=True).retrying == 1
    assert len(receiver.deliveries) == 1
    [row] = world.alerts()
    assert moment(row.next_attempt_at) > clock()
    # Not due, but `run --once` sends it anyway: once per call.
    assert world.deliver(everything=True).retrying == 1
    assert len(receiver.deliveries) == 2
    assert world.deliver() == DeliveryReport()  # the daemon's pass waits for its time
    assert len(receiver.deliveries) == 2
    receiver.status = 200
    assert world.deliver(everything=True).sent == 1
    assert world.deliver(everything=True) == DeliveryReport()
    assert len(receiver.deliveries) == 3
    [row] = world.alerts()
    assert (row.status, row.attempts) == ("sent", 3)


# === schedule ====================================================================================


class Edge(random.Random):
    """A random source that always draws the lowest (or highest) value it may."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


@pytest.mark.parametrize(
    ("attempts", "full"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (9, 300), (10_000, 300)],
)
def test_retry_waits_double_up_to_the_cap_with_jitter_in_the_upper_half(
    attempts: int, full: float
) -> None:
    assert schedule.retry_wait(attempts, 30, 300, Edge(high=True)) == full
    assert schedule.retry_wait(attempts, 30, 300, Edge(high=False)) == full / 2
    rng = random.Random(attempts)
    draws = [schedule.retry_wait(attempts, 30, 300, rng) for _ in range(200)]
    assert all(full / 2 <= wait <= full for wait in draws)
    assert len(set(draws)) > 100  # spread out, not all at one time


def at(hour: int, minute: int = 0, second: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "every", "times", "expected"),
    [
        (at(12, 10), 3600, (), at(13)),
        (at(13), 3600, (), at(14)),  # strictly after
        (at(5, 59, 59), 6 * 3600, (), at(6)),
        (at(6), 6 * 3600, (), at(12)),
        (at(23, 30), 6 * 3600, (), at(0, day=2)),
        (at(12, 1), 15 * 60, (), at(12, 15)),
        (at(7), 3600, ("08:00", "20:00"), at(8)),
        (at(8), 3600, ("08:00", "20:00"), at(20)),
        (at(21), 3600, ("20:00", "08:00"), at(8, day=2)),
        (at(23, 59, 59), 3600, ("00:00",), at(0, day=2)),
        (at(9, 29), 3600, ("09:30",), at(9, 30)),
    ],
)
def test_next_digest(
    after: datetime, every: float, times: tuple[str, ...], expected: datetime
) -> None:
    assert schedule.next_digest(after, every, times) == expected
