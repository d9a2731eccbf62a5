"""Watches and alerts end to end: the daemon as systemd runs it, against real receivers.

The daemon is ``python -m ingester --config X run`` in a subprocess. Feeds come from a threaded
HTTP server on 127.0.0.1; alerts go to webhook receivers on 127.0.0.1 that verify every request
with the ``standardwebhooks`` package, and to an aiosmtpd SMTP server on 127.0.0.1. The tests
read the daemon's SQLite file (read-only) and its stderr, with deadlines, never fixed sleeps.
Nothing reaches the internet.

``test_alerts_cli`` uses the webhook receiver (``Hook``), the stories and the watches too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from conftest import Item, rss
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from test_daemon import query, wait_until
from werkzeug import Request, Response

from ingester.alert.email import message_id

pytestmark = pytest.mark.slow

STARTUP = 20.0  # generous: interpreter start, imports, forkserver
SECRET = "whsec_c2VjcmV0LWZvci10aGUtYWxlcnRzLXRlc3Rz"  # base64 of "secret-for-the-alerts-tests"
SECRET_ENV = "FI_TEST_HOOK_SECRET"
TOKEN = "T0042/B0042/tokenInTheHookPath"  # chat webhook URLs carry a token in the path
USER = "alerts"
PASSWORD = "pa55-Zq-never-logged"
PASSWORD_ENV = "FI_TEST_SMTP_PASSWORD"
MAIL_DOMAIN = "ingester.example.org"
SENDER = f"Feed Ingester <alerts@{MAIL_DOMAIN}>"
RSS = "application/rss+xml"
SCHEDULE = 'interval = "1s"\njitter = "0s"\ntick = "0.2s"'
RETRY_SOON = '[alerts]\nretry = "1s"\nmax_retry = "2s"\n'

STORIES = [
    Item("CSTO exercise opens near Almaty", "https://news.example.com/csto-almaty", "s1",
         "Troops arrived on Sunday."),
    Item("CSTO summit moves to Kazakhstan", "https://news.example.com/csto-summit", "s2",
         "Leaders meet next month."),
    Item("Kazakhstan raises its key rate", "https://news.example.com/key-rate", "s3",
         "The central bank acted."),
    Item("Grain harvest in Kazakhstan ends early", "https://news.example.com/grain", "s4",
         "Farmers are pleased."),
    Item("Kairat wins the cup final", "https://news.example.com/football", "s5",
         "Two goals in extra time."),
]  # fmt: skip
WATCHES = {"csto": "CSTO", "kz": "Kazakhstan"}
MATCHED = {  # (watch, article URL): what the two watches must alert on, and nothing else
    ("csto", "https://news.example.com/csto-almaty"),
    ("csto", "https://news.example.com/csto-summit"),
    ("kz", "https://news.example.com/csto-summit"),
    ("kz", "https://news.example.com/key-rate"),
    ("kz", "https://news.example.com/grain"),
}


# -- the webhook receiver ------------------------------------------------------------------------


@dataclass
class Post:
    id: str
    payload: Any  # the verified JSON, or None if the signature did not verify
    problem: str | None
    status: int = 0  # what the receiver answered; 0 while it holds the request

    @property
    def subject(self) -> tuple[str, str]:
        """(watch, article URL) of an instant alert."""
        data = self.payload["data"]
        [article] = data["articles"]
        return data["watch"], article["url"]


class Hook:
    """A webhook receiver on 127.0.0.1: verifies each request with ``standardwebhooks``
    (answering 401 if it does not verify), records it, and answers ``status``. With ``hold``
    set it keeps each request open until ``released`` is set."""

    def __init__(self, status: int = 200, secret: str = SECRET) -> None:
        self.status = status
        self.secret = secret
        self.hold = False
        self.released = threading.Event()
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/{TOKEN}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    payload = Webhook(hook.secret).verify(body, dict(self.headers.items()))
                    post = Post(self.headers.get("webhook-id", ""), payload, None)
                except WebhookVerificationError as exc:
                    post = Post(self.headers.get("webhook-id", ""), None, str(exc))
                with hook._lock:
                    hook.posts.append(post)
                if hook.hold:
                    hook.released.wait(60)
                post.status = hook.status if post.problem is None else 401
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(post.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def accepted(self) -> list[Post]:
        return [p for p in self.posts if 200 <= p.status < 300]

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hooks() -> Iterator[Callable[..., Hook]]:
    started: list[Hook] = []

    def start(status: int = 200) -> Hook:
        started.append(Hook(status))
        return started[-1]

    yield start
    for hook in started:
        hook.close()


def webhook_table(name: str, hook: Hook) -> str:
    return (
        f'[notifiers.{name}]\ntype = "webhook"\nurl = "{hook.url}"\nsecret_env = "{SECRET_ENV}"\n'
    )


# -- the SMTP server -----------------------------------------------------------------------------


@dataclass
class Mail:
    message_id: str
    message: EmailMessage
    accepted: bool


@dataclass
class Mailbox:
    """An aiosmtpd handler: records each message; answers DATA with ``answer`` if set."""

    answer: str | None = None
    mails: list[Mail] = field(default_factory=list)
    logins: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        answer = self.answer or "250 Message accepted for delivery"
        self.mails.append(Mail(str(message["Message-ID"]), message, answer.startswith("250")))
        return answer

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append(data)
        return AuthResult(success=data == LoginPassword(USER.encode(), PASSWORD.encode()))

    def accepted_ids(self) -> list[str]:
        return [m.message_id for m in self.mails if m.accepted]


class LocalController(Controller):
    """aiosmtpd's controller on a free port: it learns the port once it listens."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox, *, auth: bool = False) -> Iterator[int]:
    """A plaintext SMTP server on 127.0.0.1 (``tls = "none"``); yields its port."""
    settings: dict[str, Any] = {}
    if auth:
        settings = {
            "authenticator": mailbox.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0, **settings)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with smtp_server(box) as port:
        yield box, port


def email_table(name: str, port: int, *, auth: bool = False) -> str:
    login = f'username_env = "FI_TEST_SMTP_USER"\npassword_env = "{PASSWORD_ENV}"\n' if auth else ""
    return (
        f'[notifiers.{name}]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
        f'from = "{SENDER}"\nto = ["ops@example.org"]\ntimeout = "5s"\n{login}'
    )


def watch_tables(notify: list[str], watches: dict[str, str] = WATCHES) -> str:
    names = ", ".join(f'"{n}"' for n in notify)
    return "".join(
        f'[[watches]]\nname = "{name}"\nquery = "{query}"\nnotify = [{names}]\n'
        for name, query in watches.items()
    )


# -- the feed and the daemon ---------------------------------------------------------------------


@pytest.fixture
def server(threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    threaded_server.clear()
    yield threaded_server
    threaded_server.clear()


class Feed:
    """A feed body that can change while the daemon runs."""

    def __init__(self, items: list[Item]) -> None:
        self.body = rss(items)

    def __call__(self, request: Request) -> Response:
        return Response(self.body, content_type=RSS)


def serve_feed(server: HTTPServer, items: list[Item] = STORIES) -> tuple[str, Feed]:
    feed = Feed(items)
    server.expect_request("/news.xml").respond_with_handler(feed)
    return server.url_for("/news.xml"), feed


def hook_and_mail_config(
    make_config: Callable[..., Path], server: HTTPServer, hook: Hook, port: int
) -> tuple[Path, set[tuple[str, str, str]]]:
    """The feed served, a config whose watches notify the webhook "hook" and the mailbox
    "mail" with quick retries, and the (watch, url, notifier) alerts it must give."""
    url, _ = serve_feed(server)
    extra = (
        RETRY_SOON + webhook_table("hook", hook) + email_table("mail", port)
        + watch_tables(["hook", "mail"])
    )  # fmt: skip
    config = make_config([url], extra=extra, schedule=SCHEDULE)
    return config, {(w, u, n) for w, u in MATCHED for n in ("hook", "mail")}


class Running:
    """One daemon process; its stderr goes to a file the test can read at any time."""

    def __init__(self, config: Path, args: tuple[str, ...], env: dict[str, str], n: int) -> None:
        self.db = config.parent / "ingester.db"
        self.log = config.parent / f"daemon-{n}.stderr"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ingester", "--config", str(config), *args, "run"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=config.parent,
                env={**os.environ, "NO_COLOR": "1", SECRET_ENV: SECRET, **env},
                start_new_session=True,  # its own process group: the parser workers too
            )

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill_9(self) -> None:
        """SIGKILL the daemon, then the rest of its process group (forkserver, workers)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL
        self.kill_group()

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def daemon() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(config: Path, *args: str, env: dict[str, str] | None = None) -> Running:
        started.append(Running(config, args, env or {}, len(started)))
        return started[-1]

    yield start
    for running in started:
        running.kill_group()


@dataclass(frozen=True)
class Outbox:
    key: str
    watch: str
    notifier: str
    url: str
    status: str
    attempts: int
    last_error: str | None


def outbox(db: Path) -> list[Outbox]:
    """Every alert row with the article it carries (instant alerts carry one)."""
    rows = query(
        db,
        "SELECT al.key, al.watch, al.notifier, a.url, al.status, al.attempts, al.last_error"
        " FROM alerts al JOIN alert_matches am ON am.alert_id = al.id"
        " JOIN matches m ON m.id = am.match_id JOIN articles a ON a.id = m.article_id"
        " ORDER BY al.id",
    )
    return [Outbox(*row) for row in rows]


def statuses(db: Path) -> Counter[str]:
    return Counter(row.status for row in outbox(db))


def check_one_id_per_alert(
    rows: list[Outbox], hook: Hook, hook_name: str, mails: list[Mail], mail_name: str
) -> None:
    """Each (watch, article, notifier) has one alert row; every request that reached a
    receiver, accepted or not, carries the id of the one row its content belongs to."""
    assert len({(r.watch, r.url, r.notifier) for r in rows}) == len(rows)
    by_key = {r.key: (r.watch, r.url) for r in rows if r.notifier == hook_name}
    for post in hook.posts:
        assert post.problem is None, post.problem  # every request verified
        assert post.id in by_key
        assert post.subject == by_key[post.id]
    by_message_id = {
        message_id(r.key, MAIL_DOMAIN): (r.watch, r.url) for r in rows if r.notifier == mail_name
    }
    for mail in mails:
        watch, url = by_message_id[mail.message_id]
        assert mail.message["Subject"].startswith(f"[{watch}] ")
        text = mail.message.get_body(("plain",))
        assert text is not None and url in text.get_content()


# -- kill -9 between storing a match and sending it ----------------------------------------------


def test_kill_9_before_delivery_then_restart_delivers_each_alert_once(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
    mailbox: tuple[Mailbox, int],
) -> None:
    box, port = mailbox
    hook = hooks(status=503)
    box.answer = "451 4.3.0 Try again later"
    config, expected = hook_and_mail_config(make_config, server, hook, port)

    # Phase A: the matches and their alerts are stored, every attempt is refused.
    first = daemon(config)

    def all_tried_none_sent() -> bool:
        rows = outbox(first.db)
        return len(rows) == len(expected) and all(
            r.status == "pending" and r.attempts >= 1 for r in rows
        )

    wait_until(all_tried_none_sent, STARTUP, "every alert tried once and pending", first)
    first.kill_9()
    before_kill = outbox(first.db)
    assert {(r.watch, r.url, r.notifier) for r in before_kill} == expected
    assert {r.status for r in before_kill} == {"pending"}
    assert hook.accepted() == [] and box.accepted_ids() == []
    assert {p.id for p in hook.posts} == {r.key for r in before_kill if r.notifier == "hook"}

    # Phase B: the receivers accept; the restarted daemon sends what is pending.
    hook.status = 200
    box.answer = None
    second = daemon(config)
    wait_until(
        lambda: statuses(second.db) == {"sent": len(expected)}, STARTUP, "every alert sent", second
    )
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(timeout=10) == 0

    rows = outbox(second.db)
    assert {(r.watch, r.url, r.notifier) for r in rows} == expected
    check_one_id_per_alert(rows, hook, "hook", box.mails, "mail")
    # Nothing was accepted before the kill, so each alert was accepted exactly once after it.
    hook_keys = {r.key for r in rows if r.notifier == "hook"}
    mail_ids = {message_id(r.key, MAIL_DOMAIN) for r in rows if r.notifier == "mail"}
    assert Counter(p.id for p in hook.accepted()) == dict.fromkeys(hook_keys, 1)
    assert Counter(box.accepted_ids()) == dict.fromkeys(mail_ids, 1)
    assert "Traceback" not in first.stderr() + second.stderr()


def test_kill_9_during_a_request_resends_it_with_the_same_webhook_id(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
    mailbox: tuple[Mailbox, int],
) -> None:
    box, port = mailbox
    hook = hooks()
    hook.hold = True  # requests reach the receiver, which does not answer yet
    config, expected = hook_and_mail_config(make_config, server, hook, port)

    first = daemon(config)

    def requests_in_flight_and_mail_sent() -> bool:
        mail_sent = [r for r in outbox(first.db) if r.notifier == "mail" and r.status == "sent"]
        return len(hook.posts) >= 1 and len(mail_sent) == len(MATCHED)

    wait_until(requests_in_flight_and_mail_sent, STARTUP, "webhook requests in flight", first)
    first.kill_9()
    in_flight = {p.id for p in hook.posts}
    assert all(p.status == 0 for p in hook.posts)  # none answered before the kill
    before_kill = {r.key: r.status for r in outbox(first.db)}
    assert all(before_kill[key] == "pending" for key in in_flight)
    assert len(box.mails) == len(MATCHED)

    held = len(hook.posts)
    hook.hold = False
    hook.released.set()  # the held handlers now answer a daemon that is gone
    second = daemon(config)
    wait_until(
        lambda: statuses(second.db) == {"sent": len(expected)}, STARTUP, "every alert sent", second
    )
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(timeout=10) == 0

    rows = outbox(second.db)
    assert {(r.watch, r.url, r.notifier) for r in rows} == expected
    check_one_id_per_alert(rows, hook, "hook", box.mails, "mail")
    hook_keys = {r.key for r in rows if r.notifier == "hook"}
    after_restart = Counter(p.id for p in hook.posts[held:])
    assert after_restart == dict.fromkeys(hook_keys, 1)  # each once after the restart ...
    assert in_flight <= set(after_restart)  # ... the interrupted ones again, with the same id
    # Mail marked sent before the kill is not sent again.
    assert Counter(box.accepted_ids()) == {
        message_id(r.key, MAIL_DOMAIN): 1 for r in rows if r.notifier == "mail"
    }


# -- SIGTERM -------------------------------------------------------------------------------------


def test_sigterm_lets_sends_in_flight_finish_and_leaves_the_rest_pending(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
) -> None:
    hook = hooks()
    hook.hold = True
    url, _ = serve_feed(server)
    extra = (
        "[alerts]\nconcurrency = 3\n" + webhook_table("hook", hook)
        + watch_tables(["hook"], {"any": "CSTO OR Kazakhstan"})
    )  # fmt: skip
    config = make_config([url], extra=extra, schedule=SCHEDULE)
    running = daemon(config)
    # 4 articles match; 3 sends are in flight at most, the 4th waits for one of them.
    wait_until(lambda: len(hook.posts) == 3, STARTUP, "3 requests in flight", running)
    assert statuses(running.db) == {"pending": 4}

    signalled = time.monotonic()
    running.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: "SIGTERM received" in running.stderr(), 5, "the signal", running)
    hook.released.set()  # the receiver answers 200 now: the stopping daemon records it
    assert running.proc.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 6
    assert "Traceback" not in running.stderr()
    in_flight = {p.id for p in hook.posts}
    rows = outbox(running.db)
    assert {r.key for r in rows if r.status == "sent"} == in_flight
    [waiting] = [r for r in rows if r.status == "pending"]
    assert waiting.attempts == 0  # not started once the signal came

    hook.hold = False
    again = daemon(config)
    wait_until(lambda: statuses(again.db) == {"sent": 4}, STARTUP, "the 4th alert sent", again)
    assert Counter(p.id for p in hook.accepted()) == {r.key: 1 for r in rows}


def test_sigterm_leaves_refused_alerts_pending(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
) -> None:
    hook = hooks(status=503)
    url, _ = serve_feed(server)
    extra = RETRY_SOON + webhook_table("hook", hook) + watch_tables(["hook"], {"kz": "Kazakhstan"})
    config = make_config([url], extra=extra, schedule=SCHEDULE)
    running = daemon(config)
    wait_until(
        lambda: [r.attempts >= 1 for r in outbox(running.db)] == [True] * 3,
        STARTUP,
        "3 refused alerts",
        running,
    )
    signalled = time.monotonic()
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 6
    rows = outbox(running.db)
    assert [(r.status, r.attempts >= 1) for r in rows] == [("pending", True)] * 3
    assert "Traceback" not in running.stderr()


# -- a webhook that is gone ----------------------------------------------------------------------


def test_a_410_fails_that_notifiers_alerts_and_the_daemon_goes_on(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
) -> None:
    gone, ok = hooks(status=410), hooks()
    url, feed = serve_feed(server, STORIES[:2])
    extra = (
        RETRY_SOON + webhook_table("gone", gone) + webhook_table("ok", ok)
        + watch_tables(["gone", "ok"], {"csto": "CSTO"})
    )  # fmt: skip
    config = make_config([url], extra=extra, schedule=SCHEDULE)
    running = daemon(config)

    def by_notifier() -> dict[str, list[Outbox]]:
        rows = outbox(running.db)
        return {name: [r for r in rows if r.notifier == name] for name in ("gone", "ok")}

    wait_until(
        lambda: (
            [r.status for r in by_notifier()["gone"]] == ["failed"] * 2
            and [r.status for r in by_notifier()["ok"]] == ["sent"] * 2
        ),
        STARTUP,
        "2 alerts failed via gone, 2 sent via ok",
        running,
    )
    for row in by_notifier()["gone"]:
        assert "HTTP 410 Gone" in (row.last_error or "")
    assert "notifier gone is gone, disabled" in running.stderr()
    tried = len(gone.posts)  # 2, or 1 if the second alert was held after the first's 410
    assert tried in (1, 2)

    # The feed is still polled; a new match still reaches `ok`, and `gone` is not tried.
    feed.body = rss(
        [*STORIES[:2], Item("CSTO drills end", "https://news.example.com/csto-end", "s9")]
    )
    wait_until(lambda: len(ok.accepted()) == 3, 15, "the new article's alert via ok", running)
    wait_until(
        lambda: [r.status for r in by_notifier()["gone"]] == ["failed"] * 3,
        10,
        "the new article's alert via gone to fail",
        running,
    )
    newest = by_notifier()["gone"][-1]
    assert newest.url == "https://news.example.com/csto-end"
    assert "disabled" in (newest.last_error or "") and "410" in (newest.last_error or "")
    assert len(gone.posts) == tried
    assert ok.accepted()[-1].subject == ("csto", "https://news.example.com/csto-end")
    assert running.running()
    check_one_id_per_alert(outbox(running.db), ok, "ok", [], "mail")
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=10) == 0


# -- secrets -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_secrets_never_reach_the_log(
    make_config: Callable[..., Path],
    server: HTTPServer,
    daemon: Callable[..., Running],
    hooks: Callable[..., Hook],
) -> None:
    hook = hooks(status=503)  # refusals are logged too, with what the receiver said
    box = Mailbox(answer="451 4.3.0 Try again later")
    with smtp_server(box, auth=True) as port:
        url, _ = serve_feed(server)
        extra = (
            RETRY_SOON + webhook_table("hook", hook) + email_table("mail", port, auth=True)
            + watch_tables(["hook", "mail"], {"csto": "CSTO"})
        )  # fmt: skip
        config = make_config([url], extra=extra, schedule=SCHEDULE)
        env = {"FI_TEST_SMTP_USER": USER, PASSWORD_ENV: PASSWORD}
        running = daemon(config, "-v", env=env)
        wait_until(lambda: len(hook.posts) >= 2 and len(box.mails) >= 2, STARTUP, "refusals",
                   running)  # fmt: skip
        hook.status, box.answer = 200, None
        wait_until(lambda: statuses(running.db) == {"sent": 4}, 15, "4 alerts sent", running)
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=10) == 0

    log = running.stderr()
    assert "attempt 1 of 10 failed" in log and "sent via mail" in log  # the log did run
    assert box.logins and all(login.password == PASSWORD.encode() for login in box.logins)
    for secret in (SECRET, SECRET.removeprefix("whsec_"), PASSWORD, TOKEN, "tokenInTheHookPath"):
        assert secret not in log
