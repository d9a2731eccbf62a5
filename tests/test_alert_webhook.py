"""Tests of ``ingester.alert.webhook`` (and the renderings it posts) against a real receiver.

``Receiver`` is a small threaded HTTP server on 127.0.0.1 that checks every request with the
``standardwebhooks`` package, answers 401 to one that does not verify, and otherwise answers with
the status a test sets (after a delay, for the slow case). The pure renderings of
``ingester.alert.render`` are tested with plain values at the end. Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ingester.alert import Alert, AlertArticle, render
from ingester.alert.webhook import WebhookFormat, WebhookNotifier, signature, signing_key
from ingester.errors import AlertError

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCB3ZSBzaWdu"
TOKEN = "T0001/B0002/XyZsecretTOKEN"  # chat webhook URLs carry a token in the path
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> @everyone <@U123> <script>alert(1)</script> *bold* [x](https://evil.example)"


# --- values --------------------------------------------------------------------------------------


def article(**overrides: Any) -> AlertArticle:
    values: dict[str, Any] = {
        "title": "CSTO exercise opens near Almaty",
        "url": "https://news.example.org/2026/11/csto-almaty?ref=feed&lang=en",
        "source_feeds": ("Tengri News", "Kazinform"),
        "published": datetime(2026, 11, 1, 11, 30, tzinfo=UTC),
        "keywords": ("CSTO", "Kazakhstan", "Almaty"),
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


def send(notifier: WebhookNotifier, first: Alert, *more: Alert) -> None:
    async def run() -> None:
        async with notifier:
            for one in (first, *more):
                await notifier.send(one)

    asyncio.run(run())


def send_error(notifier: WebhookNotifier, one: Alert | None = None) -> AlertError:
    with pytest.raises(AlertError) as caught:
        send(notifier, one or alert())
    assert caught.value.channel == notifier.name
    return caught.value


def strings(value: Any) -> Iterable[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


# --- the receiver --------------------------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any  # the verified JSON, or None if the signature did not verify
    problem: str | None = None


@dataclass
class Receiver:
    """What the receiver got and how it answers. ``url`` is set once it listens."""

    secret: str = SECRET
    status: int = 200
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    delay: float = 0.0  # before answering
    drip: float = 0.0  # between the bytes of the answer
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def verified(self) -> list[Any]:
        return [d.payload for d in self.deliveries if d.problem is None]


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            try:
                payload = Webhook(receiver.secret).verify(body, headers)
                delivery = Delivery(self.path, headers, body, payload)
            except WebhookVerificationError as exc:
                delivery = Delivery(self.path, headers, body, None, str(exc))
            receiver.deliveries.append(delivery)
            if receiver.delay:
                receiver.release.wait(receiver.delay)
            try:
                if receiver.drip:
                    self.drip(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: %s\r\n\r\n" % (b"." * 99)
                    )
                else:
                    self.answer(receiver.status if delivery.problem is None else 401)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first: the timeout cases

        def answer(self, status: int) -> None:
            self.send_response(status)
            for name, value in receiver.answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        def drip(self, answer: bytes) -> None:
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                receiver.release.wait(receiver.drip)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def start_receiver() -> Iterator[Any]:
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def start(tls: ssl.SSLContext | None = None, **settings: Any) -> Receiver:
        receiver = Receiver(**settings)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        scheme = "https" if tls else "http"
        receiver.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"
        servers.append((server, receiver))
        return receiver

    yield start
    for server, receiver in servers:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(start_receiver: Any) -> Receiver:
    started: Receiver = start_receiver()
    return started


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 with nobody listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def notifier(url: str, **settings: Any) -> WebhookNotifier:
    values: dict[str, Any] = {"secret": SECRET, "timeout": 5.0}
    return WebhookNotifier("ops-hook", url, **(values | settings))


# --- the JSON format ---------------------------------------------------------------------------


def test_a_json_alert_arrives_signed_and_says_what_matched(receiver: Receiver) -> None:
    send(notifier(receiver.url), alert())
    [delivery] = receiver.deliveries
    assert delivery.problem is None, delivery.problem
    assert delivery.path == f"/hooks/{TOKEN}"
    assert delivery.headers["webhook-id"] == "alert-7f3c"
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.payload == {
        "type": "alert.created",
        "timestamp": "2026-11-01T12:00:00Z",
        "data": {
            "watch": "csto-kazakhstan",
            "alert_id": "alert-7f3c",
            "thread_of": None,
            "articles": [
                {
                    "title": "CSTO exercise opens near Almaty",
                    "url": "https://news.example.org/2026/11/csto-almaty?ref=feed&lang=en",
                    "source_feeds": ["Tengri News", "Kazinform"],
                    "published": "2026-11-01T11:30:00Z",
                    "keywords": ["CSTO", "Kazakhstan", "Almaty"],
                    "matched": [
                        {"term": "CSTO", "field": "title"},
                        {"term": "Kazakhstan", "field": "body"},
                    ],
                    "snippet": "Troops of the CSTO arrived in Kazakhstan on Sunday.",
                }
            ],
        },
    }


def test_a_resend_carries_the_same_webhook_id_and_both_verify(receiver: Receiver) -> None:
    first = alert()
    update = alert(
        article(title="Казахстан: учения ОДКБ"),
        id="alert-8a01",
        event="story.updated",
        thread_of="alert-7f3c",
    )
    send(notifier(receiver.url), first, first, update)
    assert [d.headers["webhook-id"] for d in receiver.deliveries] == [
        "alert-7f3c",
        "alert-7f3c",
        "alert-8a01",
    ]
    assert len(receiver.verified) == 3
    last = receiver.verified[2]
    assert last["type"] == "story.updated"
    assert last["data"]["thread_of"] == "alert-7f3c"
    assert last["data"]["articles"][0]["title"] == "Казахстан: учения ОДКБ"


def test_a_receiver_with_another_secret_refuses_and_the_error_is_permanent(
    start_receiver: Any,
) -> None:
    other: Receiver = start_receiver(secret=OTHER_SECRET)
    error = send_error(notifier(other.url))
    assert error.permanent
    assert "HTTP 401" in str(error)
    [delivery] = other.deliveries
    assert delivery.problem == "No matching signature found"


def test_without_a_secret_the_id_and_timestamp_are_sent_but_no_signature(
    receiver: Receiver,
) -> None:
    with pytest.raises(AlertError):
        send(notifier(receiver.url, secret=None), alert())
    [delivery] = receiver.deliveries
    assert delivery.headers["webhook-id"] == "alert-7f3c"
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 60
    assert "webhook-signature" not in {name.lower() for name in delivery.headers}


def test_the_signature_is_the_standard_one() -> None:
    body = b'{"type":"alert.created"}'
    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    expected = Webhook(SECRET).sign("msg_1", when, body.decode())
    assert signature(signing_key(SECRET), "msg_1", int(when.timestamp()), body) == expected
    assert signing_key(SECRET) == signing_key(SECRET.removeprefix("whsec_"))


def test_the_request_is_timestamped_by_the_clock_and_the_body_is_ascii() -> None:
    hook = notifier("https://hooks.example.org/x", clock=lambda: 1_790_000_000.7)
    request = hook.request(alert(article(title="Токаев и ОДКБ")))
    assert request.headers["webhook-timestamp"] == "1790000000"
    assert request.content.isascii()
    assert json.loads(request.content)["data"]["articles"][0]["title"] == "Токаев и ОДКБ"


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_@@@@", "whsec_====", "whsec_"])
def test_a_bad_secret_is_refused_without_being_repeated(secret: str) -> None:
    with pytest.raises(AlertError) as caught:
        notifier("https://hooks.example.org/x", secret=secret)
    assert caught.value.permanent
    if secret.removeprefix("whsec_"):
        assert secret.removeprefix("whsec_") not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "/relative/hook", "https://"])
def test_a_url_that_is_not_absolute_http_is_refused(url: str) -> None:
    with pytest.raises(AlertError, match="absolute http"):
        notifier(url)


# --- Slack and Discord -------------------------------------------------------------------------


def hostile_alert() -> Alert:
    return alert(
        article(title=HOSTILE, snippet=f"quote: {HOSTILE}\r\nsecond line"),
        article(title="Second", url="javascript:alert(1)", snippet="@here look"),
        watch="ops @channel",
    )


def test_slack_gets_escaped_text_and_no_mass_mention(receiver: Receiver) -> None:
    send(notifier(receiver.url, format="slack"), hostile_alert())
    [payload] = receiver.verified
    assert set(payload) == {"text", "blocks", "unfurl_links", "unfurl_media"}
    for text in strings(payload):
        for danger in ("<!channel>", "<@U123>", "<script>", "@everyone", "@here", "@channel"):
            assert danger not in text
    first = payload["blocks"][1]["text"]["text"]
    # The feed's text is all there, escaped; the real link is the only "<...|...>".
    assert "&lt;!channel&gt; @\u200beveryone &lt;@U123&gt; &lt;script&gt;" in first
    assert re.findall(r"<([^<>|]*)\|", first) == [
        "https://news.example.org/2026/11/csto-almaty?ref=feed&amp;lang=en"
    ]
    assert "\n> quote: &lt;!channel&gt;" in first
    assert "second line" in first  # line breaks in feed text cannot start new mrkdwn lines
    second = payload["blocks"][2]["text"]["text"]
    assert second.startswith("*Second*")  # a javascript: URL is not linked
    assert "javascript" not in second


def test_discord_gets_escaped_markdown_and_no_mentions(receiver: Receiver) -> None:
    send(notifier(receiver.url, format="discord"), hostile_alert())
    [payload] = receiver.verified
    assert payload["allowed_mentions"] == {"parse": []}
    for text in strings(payload):
        assert "@everyone" not in text and "@here" not in text
        assert not re.search(r"(?<!\\)<[@#!]", text), text  # no live <@id>, <#id>, <!...>
        assert "<script>" not in text
    first, second = payload["embeds"]
    assert first["url"] == "https://news.example.org/2026/11/csto-almaty?ref=feed&lang=en"
    assert "url" not in second  # a javascript: URL is not linked
    # Every markdown character of the feed's title is escaped, and nothing else is lost.
    assert re.sub(r"\\(.)", r"\1", first["title"]).replace("\u200b", "") == HOSTILE
    assert not re.search(r"(?<!\\)[*_~`|\[\]()<>]", first["title"])
    assert "\\[x\\]\\(https://evil.example\\)" in first["description"]


def test_chat_payloads_stay_within_the_platforms_limits() -> None:
    huge = article(title="&<>*" * 2000, snippet="&" * 10_000, source_feeds=("@here",) * 300)
    digest = alert(*[huge] * 60)
    slack = render.slack_payload(digest)
    assert len(slack["blocks"]) <= 50
    assert all(len(block["text"]["text"]) <= 3000 for block in slack["blocks"] if "text" in block)
    assert slack["blocks"][-1]["elements"][0]["text"] == "…and 40 more"
    assert len(slack["text"]) <= 500
    discord = render.discord_payload(digest)
    assert len(discord["embeds"]) == 10
    assert all(len(embed["title"]) <= 256 for embed in discord["embeds"])
    total = sum(len(embed["title"]) + len(embed["description"]) for embed in discord["embeds"])
    assert total <= 6000
    assert discord["content"].endswith("…and 50 more")
    assert len(discord["content"]) <= 2000


def test_escaping_never_cuts_an_entity_or_an_escape() -> None:
    text = render.slack_text("&" * 100, 13)
    assert text == "&amp;&amp;…"
    assert render.discord_text("*" * 100, 6) == "\\*\\*…"


# --- faults ------------------------------------------------------------------------------------


def test_receiver_down_is_temporary(closed_port: int) -> None:
    started = time.monotonic()
    error = send_error(notifier(f"http://127.0.0.1:{closed_port}/hooks/{TOKEN}"))
    assert not error.permanent
    assert f"cannot reach http://127.0.0.1:{closed_port}" in str(error)
    assert time.monotonic() - started < 3


def test_a_500_is_temporary_and_says_what_the_receiver_said(start_receiver: Any) -> None:
    failing: Receiver = start_receiver(status=500, answer_body=b"database\r\nunavailable")
    error = send_error(notifier(failing.url))
    assert not error.permanent
    assert str(error) == (
        f"ops-hook: {failing.url.split('/hooks')[0]} answered HTTP 500 Internal Server Error: "
        "database unavailable"
    )
    assert len(failing.verified) == 1


def test_a_slow_receiver_times_out_as_a_temporary_failure(start_receiver: Any) -> None:
    slow: Receiver = start_receiver(delay=10.0)
    started = time.monotonic()
    error = send_error(notifier(slow.url, timeout=0.3))
    assert not error.permanent
    assert "within 0.3s" in str(error)
    assert time.monotonic() - started < 3


def test_a_receiver_that_drips_its_answer_hits_the_total_deadline(start_receiver: Any) -> None:
    # Every byte comes well within the read timeout; only a deadline for the whole exchange helps.
    dripping: Receiver = start_receiver(drip=0.05)
    started = time.monotonic()
    error = send_error(notifier(dripping.url, timeout=0.5))
    assert not error.permanent
    assert "within 0.5s" in str(error)
    assert time.monotonic() - started < 2


def test_410_is_permanent_and_says_the_webhook_is_gone(start_receiver: Any) -> None:
    gone: Receiver = start_receiver(status=410)
    error = send_error(notifier(gone.url))
    assert error.permanent
    assert "HTTP 410 Gone (the webhook is gone" in str(error)


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (404, True), (413, True), (408, False), (429, False), (502, False), (503, False)],
)
def test_statuses_map_to_permanent_or_temporary(
    start_receiver: Any, status: int, permanent: bool
) -> None:
    answering: Receiver = start_receiver(status=status)
    assert send_error(notifier(answering.url)).permanent is permanent


def test_retry_after_is_reported(start_receiver: Any) -> None:
    busy: Receiver = start_receiver(status=429, answer_headers={"Retry-After": "30"})
    assert "(Retry-After 30)" in str(send_error(notifier(busy.url)))


def test_a_redirect_is_not_followed_and_is_permanent(start_receiver: Any) -> None:
    target: Receiver = start_receiver()
    moving: Receiver = start_receiver(status=308, answer_headers={"Location": target.url})
    error = send_error(notifier(moving.url))
    assert error.permanent
    assert "redirects are not followed" in str(error)
    assert target.deliveries == []


def test_the_secret_and_the_url_token_never_show(
    closed_port: int, start_receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ok: Receiver = start_receiver()
    failing: Receiver = start_receiver(status=503)
    shown = [repr(notifier(ok.url))]
    send(notifier(ok.url), alert())
    for url in (failing.url, f"http://127.0.0.1:{closed_port}/hooks/{TOKEN}"):
        shown.append(str(send_error(notifier(url))))
    shown.append(caplog.text)
    assert "delivered to http://127.0.0.1" in caplog.text  # the log did run
    for text in shown:
        assert TOKEN not in text and "XyZsecret" not in text
        assert SECRET.removeprefix("whsec_") not in text


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_https_receivers_are_checked_against_the_trust_store(
    ca: trustme.CA, start_receiver: Any
) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    secure: Receiver = start_receiver(tls=server_context)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    send(notifier(secure.url, ssl_context=trusting), alert())
    assert len(secure.verified) == 1

    error = send_error(notifier(secure.url))  # the system's trust store does not know the CA
    assert not error.permanent
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert len(secure.deliveries) == 1


def test_an_alert_id_that_cannot_be_a_header_is_refused() -> None:
    hook = notifier("https://hooks.example.org/x")
    with pytest.raises(AlertError, match="not printable ASCII") as caught:
        hook.request(replace(alert(), id="bad\r\nid"))
    assert caught.value.permanent


# --- what the alert says -----------------------------------------------------------------------


def test_the_reason_names_each_term_and_its_fields_once() -> None:
    matched = (
        ("CSTO", "title"),
        ("Kazakhstan", "body"),
        ("Kazakhstan", "title"),
        ("CSTO", "title"),
    )
    assert render.reason(article(matched=matched)) == "CSTO in title; Kazakhstan in body and title"
    assert render.reason(article(matched=(("CSTO", "title"),))) == "CSTO in title"
    assert render.reason(article(matched=())) == ""


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=c", True),
        ("HTTP://example.org/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("https://exa mple.org/", False),
        ("https://example.org/\u202eevil", False),
        ("//example.org/a", False),
        ("", False),
    ],
)
def test_only_absolute_http_urls_become_links(url: str, linked: bool) -> None:
    assert (render.link_target(url) is not None) is linked


def test_control_characters_and_bidi_overrides_are_removed() -> None:
    assert render.one_line("a\x00b\r\n\tc\u202ed\x1b[31m") == "ab cd[31m"
    assert render.clean("one\r\ntwo\u2028three") == "one\ntwo\nthree"


@pytest.mark.parametrize("fmt", ["json", "slack", "discord"])
def test_every_format_renders_a_digest_and_an_update(fmt: WebhookFormat) -> None:
    hook = notifier("https://hooks.example.org/x", format=fmt)
    digest = alert(article(), article(title="Second", published=None, source_feeds=()))
    update = alert(article(), event="story.updated", thread_of="alert-1")
    for one in (digest, update):
        payload = json.loads(hook.request(one).content)
        assert payload
    assert render.intro(digest) == '2 new matches for watch "csto-kazakhstan"'
    assert render.intro(update) == 'Story updated for watch "csto-kazakhstan"'
