"""Tests of ``ingester.alert.email`` against a real SMTP server (aiosmtpd) on 127.0.0.1.

The server offers STARTTLS or implicit TLS with a certificate made here by trustme, asks for
credentials when a test says so, and answers MAIL, RCPT or DATA with the code a test sets. Every
command it takes is recorded, so a test can show that nothing went out in plaintext. The received
messages are parsed with the ``email`` package and checked. Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ingester.alert import Alert, AlertArticle
from ingester.alert.email import EmailNotifier, message_id, sender_domain
from ingester.errors import AlertError

USER = "alerts"
PASSWORD = "pa55-w0rd-Zq"
SENDER = "Feed Ingester <alerts@ingester.example.org>"
TO = ("ops@example.org",)
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <b>bold</b> <a href="javascript:evil()">x</a>'

# Some servers here take credentials without TLS on purpose, to show that none are offered.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --- values --------------------------------------------------------------------------------------


def article(**overrides: Any) -> AlertArticle:
    values: dict[str, Any] = {
        "title": "CSTO exercise opens near Almaty",
        "url": "https://news.example.org/2026/11/csto-almaty?ref=feed&lang=en",
        "source_feeds": ("Tengri News", "Kazinform"),
        "published": datetime(2026, 11, 1, 11, 30, tzinfo=UTC),
        "keywords": ("CSTO", "Kazakhstan"),
        "matched": (("CSTO", "title"), ("Kazakhstan", "body")),
        "snippet": "Troops of the CSTO arrived in Kazakhstan on Sunday.",
    }
    return AlertArticle(**(values | overrides))


def alert(*articles: AlertArticle, **overrides: Any) -> Alert:
    values: dict[str, Any] = {
        "id": "alert-7f3c",
        "watch": "csto-kazakhstan",
        "event": "alert.created",
        "articles": articles or (article(),),
        "created": CREATED,
    }
    return Alert(**(values | overrides))


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class Mailbox:
    """An aiosmtpd handler that records what it was told and answers as configured."""

    answers: dict[str, str] = field(default_factory=dict)  # "MAIL" | "RCPT" | "DATA" -> reply
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> reply
    commands: list[str] = field(default_factory=list)
    logins: list[LoginPassword] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.commands.append("MAIL")
        if "MAIL" in self.answers:
            return self.answers["MAIL"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.commands.append("RCPT")
        answer = self.refuse.get(address) or self.answers.get("RCPT")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.commands.append("DATA")
        if "DATA" in self.answers:
            return self.answers["DATA"]
        assert server.transport is not None and isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append(data)
        ok = data == LoginPassword(USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


class LocalController(Controller):
    """aiosmtpd's controller on a free port: it learns the port once it listens."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class Server:
    mailbox: Mailbox
    port: int


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start an SMTP server: ``starttls``/``implicit`` take the server's TLS context, ``auth``
    asks for credentials (only over TLS, unless ``auth_require_tls=False``)."""
    controllers: list[Controller] = []

    def start(
        *,
        starttls: ssl.SSLContext | None = None,
        implicit: ssl.SSLContext | None = None,
        auth: bool = False,
        **settings: Any,
    ) -> Server:
        mailbox = Mailbox()
        if auth:
            settings |= {"authenticator": mailbox.authenticate, "auth_required": True}
        controller = LocalController(
            mailbox,
            hostname="127.0.0.1",
            port=0,
            tls_context=starttls,
            require_starttls=starttls is not None,
            ssl_context=implicit,
            **settings,
        )
        controller.start()
        controllers.append(controller)
        return Server(mailbox, controller.port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 with nobody listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def notifier(port: int, **settings: Any) -> EmailNotifier:
    values: dict[str, Any] = {
        "tls": "starttls",
        "username": USER,
        "password": PASSWORD,
        "sender": SENDER,
        "recipients": TO,
        "timeout": 5.0,
    }
    return EmailNotifier("ops-mail", "127.0.0.1", port, **(values | settings))


def send(email: EmailNotifier, first: Alert, *more: Alert) -> None:
    async def run() -> None:
        for one in (first, *more):
            await email.send(one)

    asyncio.run(run())


def send_error(email: EmailNotifier, one: Alert | None = None) -> AlertError:
    with pytest.raises(AlertError) as caught:
        send(email, one or alert())
    assert caught.value.channel == "ops-mail"
    assert PASSWORD not in str(caught.value)
    return caught.value


def parts(message: EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        found[part.get_content_type()] = part.get_content()
    return found


@pytest.fixture
def secure(start_server: Callable[..., Server], server_tls: ssl.SSLContext) -> Server:
    """The usual setup: STARTTLS required, then credentials required."""
    return start_server(starttls=server_tls, auth=True)


# --- delivery ------------------------------------------------------------------------------------


def test_an_alert_arrives_over_starttls_as_text_and_escaped_html(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    digest = alert(article(), article(title=HOSTILE, snippet=HOSTILE, url="javascript:evil()"))
    send(notifier(secure.port, ssl_context=client_tls), digest)
    [got] = secure.mailbox.received
    assert got.tls and got.authenticated
    assert got.mail_from == "alerts@ingester.example.org"
    assert got.rcpt_tos == list(TO)
    message = got.message
    assert message["Subject"] == "[csto-kazakhstan] CSTO exercise opens near Almaty and 1 more"
    assert message["From"] == SENDER and message["To"] == "ops@example.org"
    assert message["Message-ID"] == message_id("alert-7f3c", "ingester.example.org")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Sun, 01 Nov 2026 12:00:00 +0000"
    assert message.get_content_type() == "multipart/alternative"
    bodies = parts(message)
    assert list(bodies) == ["text/plain", "text/html"]

    text = bodies["text/plain"]
    assert '2 new matches for watch "csto-kazakhstan"' in text
    assert "Matched: CSTO in title; Kazakhstan in body" in text
    assert "https://news.example.org/2026/11/csto-almaty?ref=feed&lang=en" in text
    assert HOSTILE in text  # plain text needs no escaping

    html = bodies["text/html"]
    assert "Matched: CSTO in title; Kazakhstan in body" in html
    assert '<a href="https://news.example.org/2026/11/csto-almaty?ref=feed&amp;lang=en">' in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    for live in ("<script", "<b>", 'javascript:evil()">', 'href="javascript'):
        assert live not in html


def test_a_resend_has_the_same_message_id_and_a_follow_up_threads(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    first = alert()
    follow_up = alert(
        article(snippet="Toqaev spoke at the CSTO summit."),
        id="alert-8a01",
        event="story.updated",
        thread_of="alert-7f3c",
    )
    send(notifier(secure.port, ssl_context=client_tls), first, first, follow_up)
    one, again, update = (got.message for got in secure.mailbox.received)
    assert one["Message-ID"] == again["Message-ID"]
    assert update["Message-ID"] != one["Message-ID"]
    assert update["In-Reply-To"] == one["Message-ID"]
    assert update["References"] == one["Message-ID"]
    assert one["In-Reply-To"] is None
    assert update["Subject"] == one["Subject"]  # same subject: clients thread by both
    assert parts(update)["text/plain"].startswith('Story updated for watch "csto-kazakhstan"')


def test_thread_of_may_name_a_message_id() -> None:
    email = notifier(25)
    message = email.message(alert(thread_of="<original@mail.example.org>"))
    assert message["In-Reply-To"] == "<original@mail.example.org>"


def test_a_subject_with_line_breaks_stays_one_header(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    sneaky = alert(
        article(title="Hi\r\nBcc: x@y\r\n\r\nbody?\x00\x1b[2J"),
        watch="ops\nTo: victim@example.org",
    )
    send(notifier(secure.port, ssl_context=client_tls), sneaky)
    [got] = secure.mailbox.received
    assert got.rcpt_tos == list(TO)
    message = got.message
    assert message.get_all("Subject") == ["[ops To: victim@example.org] Hi Bcc: x@y body?[2J"]
    assert message["Bcc"] is None
    assert message.get_all("To") == ["ops@example.org"]
    assert not message.defects
    assert message.get_content_type() == "multipart/alternative"


def test_a_subject_in_another_script_survives_the_trip(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    title = "Казахстан: учения ОДКБ — Токаев " + "очень " * 30
    send(notifier(secure.port, ssl_context=client_tls), alert(article(title=title)))
    [got] = secure.mailbox.received
    subject = got.message["Subject"]
    assert subject.startswith("[csto-kazakhstan] Казахстан: учения ОДКБ — Токаев очень")
    assert subject.endswith("…") and len(subject) <= 170
    assert "Казахстан: учения ОДКБ" in parts(got.message)["text/html"]


def test_implicit_tls_delivers(
    start_server: Callable[..., Server], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    # aiosmtpd cannot tell that an implicit-TLS connection is encrypted: let it offer AUTH.
    server = start_server(implicit=server_tls, auth=True, auth_require_tls=False)
    send(notifier(server.port, tls="implicit", ssl_context=client_tls), alert())
    [got] = server.mailbox.received
    assert got.tls and got.authenticated


def test_without_tls_only_when_configured_so(start_server: Callable[..., Server]) -> None:
    server = start_server()
    send(notifier(server.port, tls="none", username=None, password=None), alert())
    [got] = server.mailbox.received
    assert not got.tls and not got.authenticated


def test_the_message_id_domain_comes_from_the_sender_or_is_fixed() -> None:
    assert sender_domain("Alerts <a@news.example.org>") == "news.example.org"
    assert sender_domain("not an address") == "feed-ingester.invalid"
    email = notifier(25, message_id_domain="alerts.example.net")
    assert email.message(alert())["Message-ID"] == message_id("alert-7f3c", "alerts.example.net")
    assert message_id("alert-7f3c", "d") == message_id("alert-7f3c", "d")
    assert message_id("alert-7f3c", "d") != message_id("alert-7f3d", "d")


# --- TLS is never given up ---------------------------------------------------------------------


def test_starttls_asked_but_not_offered_sends_nothing(
    start_server: Callable[..., Server], client_tls: ssl.SSLContext
) -> None:
    # This server would even take credentials in plaintext: they must not be offered.
    plain = start_server(auth=True, auth_require_tls=False)
    error = send_error(notifier(plain.port, ssl_context=client_tls))
    assert error.permanent
    assert "does not offer STARTTLS" in str(error)
    assert plain.mailbox.commands == []
    assert plain.mailbox.logins == []
    assert plain.mailbox.received == []


def test_an_untrusted_certificate_stops_the_session(
    secure: Server, start_server: Callable[..., Server], server_tls: ssl.SSLContext
) -> None:
    implicit = start_server(implicit=server_tls, auth=True, auth_require_tls=False)
    for email in (notifier(secure.port), notifier(implicit.port, tls="implicit")):
        error = send_error(email)  # the system's trust store does not know the test's CA
        assert not error.permanent
        assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    for server in (secure, implicit):
        assert server.mailbox.commands == [] and server.mailbox.logins == []


def test_a_certificate_for_another_host_is_refused(
    start_server: Callable[..., Server], ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.example.org").configure_cert(elsewhere)
    server = start_server(starttls=elsewhere, auth=True)
    error = send_error(notifier(server.port, ssl_context=client_tls))
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert server.mailbox.logins == [] and server.mailbox.commands == []


# --- faults --------------------------------------------------------------------------------------


def test_bad_credentials_are_permanent(secure: Server, client_tls: ssl.SSLContext) -> None:
    error = send_error(notifier(secure.port, ssl_context=client_tls, password="wrong"))
    assert error.permanent
    assert "login refused" in str(error) and "535" in str(error)
    # smtplib tries each mechanism the server offers (LOGIN, PLAIN) before it gives up.
    assert {login.password for login in secure.mailbox.logins} == {b"wrong"}
    assert secure.mailbox.commands == []


def test_credentials_required_but_not_configured_are_permanent(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    error = send_error(notifier(secure.port, ssl_context=client_tls, username=None))
    assert error.permanent
    assert "530" in str(error)
    assert secure.mailbox.received == []


def test_a_refused_connection_is_temporary(closed_port: int) -> None:
    error = send_error(notifier(closed_port))
    assert not error.permanent
    assert f"cannot deliver via 127.0.0.1:{closed_port}" in str(error)


def test_a_server_that_never_greets_times_out(client_tls: ssl.SSLContext) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog, and nothing is ever said
        email = notifier(silent.getsockname()[1], timeout=0.3, ssl_context=client_tls)
        error = send_error(email)
    assert not error.permanent
    assert "timed out" in str(error)


@pytest.mark.parametrize(
    ("command", "answer", "permanent"),
    [
        ("MAIL", "451 4.3.0 Mail system busy, try later", False),
        ("RCPT", "451 4.7.1 Greylisted, try again in 5 minutes", False),
        ("DATA", "452 4.3.1 Insufficient system storage", False),
        ("MAIL", "550 5.7.1 Sender rejected", True),
        ("RCPT", "550 5.1.1 No such user", True),
        ("DATA", "554 5.7.1 Message refused as spam", True),
    ],
)
def test_smtp_answers_map_to_temporary_or_permanent(
    secure: Server, client_tls: ssl.SSLContext, command: str, answer: str, permanent: bool
) -> None:
    secure.mailbox.answers[command] = answer
    error = send_error(notifier(secure.port, ssl_context=client_tls))
    assert error.permanent is permanent
    assert answer in str(error)
    assert secure.mailbox.received == []


def test_one_refused_recipient_of_two_is_reported(
    secure: Server, client_tls: ssl.SSLContext
) -> None:
    secure.mailbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    two = ("ops@example.org", "gone@example.org")
    error = send_error(notifier(secure.port, ssl_context=client_tls, recipients=two))
    assert error.permanent
    assert "gone@example.org (550 5.1.1 No such user)" in str(error)
    assert "delivered to 1 of 2" in str(error)
    [got] = secure.mailbox.received
    assert got.rcpt_tos == ["ops@example.org"]


def test_the_password_never_shows(
    secure: Server, client_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email = notifier(secure.port, ssl_context=client_tls)
    send(email, alert())
    send_error(notifier(secure.port, ssl_context=client_tls, password=PASSWORD + "x"))
    assert "delivered via 127.0.0.1" in caplog.text  # the log did run
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(email)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [({"tls": "ssl"}, "unknown tls mode"), ({"recipients": ()}, "no recipients")],
)
def test_a_bad_setting_is_refused(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(AlertError, match=problem) as caught:
        notifier(25, **settings)
    assert caught.value.permanent


def test_a_bad_address_in_the_config_is_a_permanent_error() -> None:
    email = notifier(25, sender="a@example.org\r\nBcc: x@y")
    with pytest.raises(AlertError, match="cannot build the message") as caught:
        email.message(alert())
    assert caught.value.permanent
