"""Tests of ``ingester.fetch`` against real HTTP servers on 127.0.0.1.

pytest-httpserver serves ordinary exchanges. ``RawServer`` below, a plain socket server with a
thread per connection, scripts the ones a framework would tidy up: dripping bytes, never
answering, endless chunked bodies, exact header bytes. A few unit tests of the status mapping
run on ``httpx.MockTransport`` (or a respx router behind one). Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

import httpx
import pytest
import respx
from pytest_httpserver import HTTPServer

from ingester import fetch as fetch_module
from ingester.config import DEFAULT_USER_AGENT, FetchSettings
from ingester.errors import FetchError
from ingester.fetch import Fetcher, embedded_ipv4, is_public_address
from ingester.models import FetchResult

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
MIB = 1 << 20


# --- helpers -------------------------------------------------------------------------------------


def settings(**overrides: Any) -> FetchSettings:
    values: dict[str, Any] = {"allow_private_networks": True, "timeout": 5.0, "max_bytes": MIB}
    return FetchSettings(**(values | overrides))


def fetch(
    url: str,
    fetch_settings: FetchSettings | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    **fetcher_args: Any,
) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(fetch_settings or settings(), **fetcher_args) as fetcher:
            return await fetcher.fetch(url, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


def fetch_error(url: str, fetch_settings: FetchSettings | None = None, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, fetch_settings, **kwargs)
    assert caught.value.url == url
    return caught.value


def response(status: int, body: bytes = b"", headers: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """A complete HTTP/1.1 response with Content-Length, closing the connection."""
    head = [b"HTTP/1.1 %d %s" % (status, HTTPStatus(status).phrase.encode())]
    head += [b"%s: %s" % pair for pair in headers]
    head += [b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def header(head: bytes, name: bytes) -> bytes | None:
    """The raw value of header ``name`` in a request head, exactly as it went over the wire."""
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name.lower():
            return value.strip(b" \t")
    return None


Respond = Callable[[socket.socket, bytes, threading.Event], None]


class RawServer:
    """A TCP server on a loopback address. For each connection it reads the request head, records
    it, and calls ``respond(conn, head, stop)`` on that connection's own thread. ``stop`` is set
    at teardown, so handlers wait on it instead of sleeping."""

    def __init__(self, respond: Respond, host: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, 0), family=family)
        self._respond = respond
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # shut down
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            self.requests.append(head)
            # OSError: the client hung up, as the fetcher does when it gives up on a response.
            with contextlib.suppress(OSError):
                self._respond(conn, head, self.stop)

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


def reply(data: bytes) -> Respond:
    def respond(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(data)

    return respond


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(respond: Respond, host: str = "127.0.0.1") -> RawServer:
        server = RawServer(respond, host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MiB of zeros.

    Compressing 200 MiB takes a second or so; instead one MiB of zeros is compressed once, ending
    in a full flush (byte-aligned, history reset), so the same bytes encode every further MiB.
    """
    zeros = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(200):
        crc = zlib.crc32(zeros, crc)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = crc.to_bytes(4, "little") + (200 * MIB % 2**32).to_bytes(4, "little")
    return gzip_header + segment * 200 + compressor.flush() + trailer


def test_the_gzip_bomb_is_what_it_claims(gzip_bomb: bytes) -> None:
    """Guards the fixture the cap tests rely on: small on the wire, 200 MiB inflated."""
    assert len(gzip_bomb) < 300_000
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inflated = 0
    data = gzip_bomb
    while data:
        inflated += len(inflater.decompress(data, 16 * MIB))
        data = inflater.unconsumed_tail
    assert inflater.eof
    assert inflated == 200 * MIB


# --- conditional GET -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "etag",
    [b'"5e1c-61a0"', b'W/"5e1c-61a0"', '"caf\u00e9-\u043b\u0435\u043d\u0442\u0430"'.encode()],
    ids=["strong", "weak", "utf8"],
)
def test_conditional_get_sends_validators_back_byte_for_byte(
    raw_server: Callable[..., RawServer], etag: bytes
) -> None:
    modified = b"Sat, 31 Oct 2026 22:15:00 GMT"

    def respond(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        validators = [(b"ETag", etag), (b"Last-Modified", modified)]
        if header(head, b"If-None-Match") is None:
            conn.sendall(response(200, FEED, validators))
        else:
            conn.sendall(response(304, b"", validators))

    server = raw_server(respond)
    first = fetch(server.url())
    assert first.status == 200
    assert first.body == FEED
    assert first.etag is not None and first.etag.encode("latin-1") == etag
    assert first.last_modified == modified.decode()

    second = fetch(server.url(), etag=first.etag, last_modified=first.last_modified)

    plain, conditional = server.requests
    assert header(plain, b"If-None-Match") is None
    assert header(plain, b"If-Modified-Since") is None
    assert header(conditional, b"If-None-Match") == etag
    assert header(conditional, b"If-Modified-Since") == modified
    assert second.status == 304
    assert second.body is None
    assert second.not_modified
    assert second.etag == first.etag
    assert second.last_modified == first.last_modified


def test_304_carries_the_new_etag(httpserver: HTTPServer) -> None:
    # (werkzeug drops Last-Modified from a 304; the raw-server test above covers that header.)
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v2"'}
    )
    result = fetch(httpserver.url_for("/feed"), etag='"v1"')
    assert (result.status, result.body) == (304, None)
    assert result.etag == '"v2"'


def test_cache_control_max_age_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        FEED, headers={"Cache-Control": "public, max-age=1800"}, content_type="application/rss+xml"
    )
    result = fetch(httpserver.url_for("/feed"))
    assert result.max_age == 1800.0
    assert result.content_type == "application/rss+xml"


# --- redirects -----------------------------------------------------------------------------------


def serve_chain(httpserver: HTTPServer, codes: Sequence[int]) -> tuple[str, str]:
    """/hop0 -> /hop1 -> ... -> /hopN (the feed), each hop answering with the given status."""
    for index, code in enumerate(codes):
        # Every other hop uses a relative Location, which is what many servers send.
        target = f"/hop{index + 1}" if index % 2 else httpserver.url_for(f"/hop{index + 1}")
        httpserver.expect_request(f"/hop{index}").respond_with_data(
            "moved", status=code, headers={"Location": target}
        )
    httpserver.expect_request(f"/hop{len(codes)}").respond_with_data(FEED)
    return httpserver.url_for("/hop0"), httpserver.url_for(f"/hop{len(codes)}")


@pytest.mark.parametrize(
    ("codes", "permanent"),
    [
        ((301,), True),
        ((308,), True),
        ((301, 308, 301), True),
        ((302,), False),
        ((307,), False),
        ((301, 302), False),
        ((307, 301), False),
        ((308, 301, 307, 308), False),
    ],
)
def test_redirect_chain(httpserver: HTTPServer, codes: tuple[int, ...], permanent: bool) -> None:
    start, end = serve_chain(httpserver, codes)
    result = fetch(start, settings(max_redirects=5))
    assert result.url == start
    assert result.final_url == end
    assert result.permanent_url == (end if permanent else None)
    assert result.body == FEED
    assert len(httpserver.log) == len(codes) + 1


def test_no_redirect_means_no_new_address(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    result = fetch(httpserver.url_for("/feed"))
    assert result.final_url == httpserver.url_for("/feed")
    assert result.permanent_url is None


def test_exactly_max_redirects_is_followed(httpserver: HTTPServer) -> None:
    start, end = serve_chain(httpserver, (301, 301, 301))
    assert fetch(start, settings(max_redirects=3)).final_url == end


def test_more_than_max_redirects_is_an_error(httpserver: HTTPServer) -> None:
    start, _ = serve_chain(httpserver, (301, 301, 301))
    error = fetch_error(start, settings(max_redirects=2))
    assert error.problem.startswith("more than 2 redirects")
    assert error.status is None
    assert len(httpserver.log) == 3  # the third redirect is not followed


def test_a_redirect_loop_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    error = fetch_error(httpserver.url_for("/loop"), settings(max_redirects=4))
    assert "more than 4 redirects" in error.problem


def test_a_redirect_body_is_never_read(
    raw_server: Callable[..., RawServer], gzip_bomb: bytes
) -> None:
    """httpx reads (and inflates) the body of every redirect it follows, outside the size cap."""

    def respond(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        if head.startswith(b"GET /feed "):
            conn.sendall(response(200, FEED))
        else:
            moved = [(b"Location", b"/feed"), (b"Content-Encoding", b"gzip")]
            conn.sendall(response(301, gzip_bomb, moved))

    server = raw_server(respond)
    tracemalloc.start()
    try:
        result = fetch(server.url("/old"), settings(max_bytes=MIB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.body == FEED
    assert result.permanent_url == server.url("/feed")
    assert peak < 3 * MIB + 4 * MIB


# --- status codes --------------------------------------------------------------------------------


def test_410_means_gone(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("bye", status=410)
    error = fetch_error(httpserver.url_for("/feed"))
    assert error.gone
    assert error.status == 410
    assert error.retry_after is None
    assert "410" in error.problem and "gone" in error.problem


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=status, headers={"Retry-After": "120"}
    )
    error = fetch_error(httpserver.url_for("/feed"))
    assert error.status == status
    assert error.retry_after == 120.0
    assert not error.gone
    assert "Retry-After 120s" in error.problem


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(("offset", "expected"), [(90, 90.0), (3600, 3600.0), (-600, 0.0)])
def test_retry_after_as_http_date(
    httpserver: HTTPServer, status: int, offset: int, expected: float
) -> None:
    when = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    httpserver.expect_request("/feed").respond_with_data(
        "", status=status, headers={"Retry-After": when}
    )
    error = fetch_error(httpserver.url_for("/feed"), clock=NOW.timestamp)
    assert error.status == status
    assert error.retry_after == expected


@pytest.mark.parametrize("status", [400, 401, 403, 404, 451, 500, 502, 504])
def test_other_error_statuses(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "no", status=status, headers={"Retry-After": "60"}
    )
    error = fetch_error(httpserver.url_for("/feed"))
    assert error.status == status
    assert not error.gone
    assert error.retry_after is None  # only 429 and 503 carry a meaningful Retry-After
    assert error.problem.startswith(f"HTTP {status}")


# --- deadline and broken servers -----------------------------------------------------------------


def test_a_dripping_body_is_cut_off_at_the_deadline(raw_server: Callable[..., RawServer]) -> None:
    def drip(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n")
        for _ in range(30):
            conn.sendall(b"x")
            if stop.wait(1):
                return

    server = raw_server(drip)
    started = time.monotonic()
    error = fetch_error(server.url(), settings(timeout=1.0))
    elapsed = time.monotonic() - started
    assert error.problem == "no complete response within 1s"
    assert 0.9 <= elapsed < 10
    assert error.status is None


def test_a_server_that_never_answers_is_cut_off_at_the_deadline(
    raw_server: Callable[..., RawServer],
) -> None:
    def silent(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        stop.wait(30)

    server = raw_server(silent)
    started = time.monotonic()
    error = fetch_error(server.url(), settings(timeout=1.0))
    elapsed = time.monotonic() - started
    assert "within 1s" in error.problem
    assert 0.9 <= elapsed < 10
    assert len(server.requests) == 1


def test_a_truncated_body_is_a_fetch_error(raw_server: Callable[..., RawServer]) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
    server = raw_server(reply(head + FEED[:20]))
    error = fetch_error(server.url())
    assert error.status is None
    assert "payload is not completed" in error.problem


def test_a_server_that_hangs_up_without_answering(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(reply(b""))
    error = fetch_error(server.url())
    assert error.status is None
    assert "disconnected" in error.problem


def test_nothing_listening(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(reply(b""))
    url = server.url()
    server.close()
    error = fetch_error(url)
    assert error.problem.startswith("cannot connect to 127.0.0.1:")


# --- size cap and content encodings --------------------------------------------------------------


def test_a_content_length_over_the_cap_is_refused_before_reading(
    raw_server: Callable[..., RawServer],
) -> None:
    def headers_only(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n")
        stop.wait(30)  # a fetcher that tried to read the body would wait for the deadline

    server = raw_server(headers_only)
    started = time.monotonic()
    error = fetch_error(server.url(), settings(max_bytes=MIB, timeout=10.0))
    assert time.monotonic() - started < 5
    assert error.problem == f"body is 50000000 bytes, over max_bytes ({MIB})"


def test_an_endless_chunked_body_is_stopped_at_the_cap(
    raw_server: Callable[..., RawServer],
) -> None:
    sent = [0]

    def endless(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (16384, b"x" * 16384)
        while not stop.is_set():
            conn.sendall(chunk)
            sent[0] += 16384

    server = raw_server(endless)
    error = fetch_error(server.url(), settings(max_bytes=256 * 1024, timeout=10.0))
    assert error.problem == "body is larger than max_bytes (262144 bytes)"
    assert sent[0] < 64 * MIB  # the server was cut off, not drained


def test_a_gzip_bomb_stops_at_the_cap_without_inflating(
    raw_server: Callable[..., RawServer], gzip_bomb: bytes
) -> None:
    encoded = [(b"Content-Encoding", b"gzip"), (b"Content-Type", b"application/rss+xml")]
    server = raw_server(reply(response(200, gzip_bomb, encoded)))
    tracemalloc.start()
    try:
        error = fetch_error(server.url(), settings(max_bytes=MIB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.problem == f"body is larger than max_bytes ({MIB} bytes)"
    assert peak < 3 * MIB + 4 * MIB  # 200 MiB if it had been inflated


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # RFC 9110: "deflate" is the zlib format
        ("identity", bytes),
    ],
)
def test_content_encodings_are_decoded(
    httpserver: HTTPServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = FEED * 100
    httpserver.expect_request("/feed").respond_with_data(
        encode(body), headers={"Content-Encoding": encoding}
    )
    assert fetch(httpserver.url_for("/feed")).body == body


def test_the_cap_counts_decoded_bytes(httpserver: HTTPServer) -> None:
    body = b"<rss>" + b" " * 300_000 + b"</rss>"
    httpserver.expect_request("/feed").respond_with_data(
        gzip.compress(body), headers={"Content-Encoding": "gzip"}
    )
    error = fetch_error(httpserver.url_for("/feed"), settings(max_bytes=100_000))
    assert "max_bytes" in error.problem
    assert fetch(httpserver.url_for("/feed"), settings(max_bytes=len(body))).body == body


def test_the_cap_also_counts_bytes_on_the_wire(raw_server: Callable[..., RawServer]) -> None:
    """A gzip member followed by endless bytes: they inflate to nothing (zlib piles them up as
    unused data), so only the count of received bytes can stop them before the deadline."""

    def trailing_junk(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        member = gzip.compress(FEED)
        conn.sendall(b"%x\r\n%s\r\n" % (len(member), member))
        junk = b"%x\r\n%s\r\n" % (16384, bytes(16384))
        while not stop.is_set():
            conn.sendall(junk)

    server = raw_server(trailing_junk)
    error = fetch_error(server.url(), settings(max_bytes=256 * 1024, timeout=10.0))
    assert error.problem == "body is larger than max_bytes (262144 bytes)"


def test_a_corrupt_gzip_body_is_a_fetch_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"\x1f\x8b\x08\x00not really gzip", headers={"Content-Encoding": "gzip"}
    )
    error = fetch_error(httpserver.url_for("/feed"))
    assert "corrupt compressed body" in error.problem


# --- polite requests -----------------------------------------------------------------------------


def test_user_agent_and_accept_encoding(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    fetch(httpserver.url_for("/feed"))
    (request, _), *_ = httpserver.log
    agent = request.headers["User-Agent"]
    assert agent == DEFAULT_USER_AGENT
    assert re.fullmatch(r"feed-ingester/\S+ \(\+https://\S+\)", agent)
    codings = {part.strip() for part in request.headers["Accept-Encoding"].split(",")}
    assert codings == {"gzip", "deflate"}
    assert "rss+xml" in request.headers["Accept"]
    assert "Cookie" not in request.headers


def test_the_configured_user_agent_is_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    fetch(httpserver.url_for("/feed"), settings(user_agent="me (+https://me.example/)"))
    (request, _), *_ = httpserver.log
    assert request.headers["User-Agent"] == "me (+https://me.example/)"


def test_per_host_connection_limit(raw_server: Callable[..., RawServer]) -> None:
    lock = threading.Lock()
    active = 0
    peak = 0

    def slow(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        stop.wait(0.3)
        with lock:
            active -= 1  # before answering: the client frees its slot only after the answer
        conn.sendall(response(200, FEED))

    server = raw_server(slow)

    async def run() -> list[FetchResult]:
        async with Fetcher(settings(per_host_connections=2)) as fetcher:
            urls = [server.url(f"/feed{i}") for i in range(6)]
            return await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    results = asyncio.run(run())
    assert [r.body for r in results] == [FEED] * 6
    assert len(server.requests) == 6
    assert peak == 2


# --- address guard -------------------------------------------------------------------------------


def assert_refused(error: FetchError, shown: str) -> None:
    assert error.problem.startswith("refused:")
    assert shown in error.problem
    assert "allow_private_networks = true" in error.problem
    assert error.status is None


@pytest.mark.parametrize(
    ("host", "url_host"),
    [("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost"), ("::1", "[::1]")],
    ids=["ipv4-literal", "resolved-name", "ipv6-literal"],
)
def test_private_addresses_are_refused(
    raw_server: Callable[..., RawServer], host: str, url_host: str
) -> None:
    server = raw_server(reply(response(200, FEED)), host=host)
    url = f"http://{url_host}:{server.port}/feed"
    assert_refused(fetch_error(url, settings(allow_private_networks=False)), url_host.strip("[]"))
    assert server.connections == 0
    # The same fetch with the guard off reaches the server: the refusal was the guard's doing.
    assert fetch(url, settings(allow_private_networks=True)).body == FEED


def test_a_redirect_to_a_private_address_is_refused(
    raw_server: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux routes all of 127/8 to loopback. Let 127.0.0.1 pass as public, so the first hop is
    # allowed, while 127.0.0.2 (another loopback address) stays private.
    target = raw_server(reply(response(200, b"internal")), host="127.0.0.2")
    entry = raw_server(reply(response(302, b"", [(b"Location", target.url().encode())])))
    real = is_public_address
    allowed = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(
        fetch_module, "is_public_address", lambda address: address == allowed or real(address)
    )
    error = fetch_error(entry.url(), settings(allow_private_networks=False))
    assert_refused(error, "127.0.0.2")
    assert len(entry.requests) == 1
    assert target.connections == 0


def test_a_guarded_fetch_of_an_allowed_address_works(
    raw_server: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: the patched guard does let the first hop through."""
    server = raw_server(reply(response(200, FEED)))
    allowed = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(fetch_module, "is_public_address", lambda address: address == allowed)
    assert fetch(server.url(), settings(allow_private_networks=False)).body == FEED


TEREDO_PRIVATE = "2001:0:4136:e378:8000:63bf:f5ff:fffe"  # server 65.54.227.120, client 10.0.0.1
TEREDO_PUBLIC = "2001:0:4136:e378:8000:63bf:f7f7:f7f7"  # client 8.8.8.8


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.0.0.1", False),
        ("10.255.255.255", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("172.32.0.1", True),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("100.64.0.1", False),  # CGNAT
        ("100.127.255.255", False),
        ("100.128.0.1", True),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),  # documentation
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("febf:ffff::1", False),
        ("fc00::1", False),
        ("fd12:3456:789a::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),  # global-scope multicast is still multicast
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),  # deprecated IPv4-compatible form
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::a00:1", False),
        ("2002:7f00:1::", False),
        ("2002:c0a8:101::1", False),
        (TEREDO_PRIVATE, False),
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        (TEREDO_PUBLIC, True),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("64:ff9b:1::a00:1", "10.0.0.1"),
        ("2002:7f00:1::", "127.0.0.1"),
        ("2002:c0a8:101:5::1", "192.168.1.1"),
        (TEREDO_PRIVATE, "10.0.0.1"),
        ("::10.0.0.1", "10.0.0.1"),
        ("::1", None),
        ("::", None),
        ("fe80::1", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_embedded_ipv4(address: str, inner: str | None) -> None:
    expected = ipaddress.IPv4Address(inner) if inner else None
    assert embedded_ipv4(ipaddress.IPv6Address(address)) == expected


# --- status mapping on a mock transport ----------------------------------------------------------

URL = "https://feeds.example/feed.xml"


def mocked(respond: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> Any:
    """Fetcher arguments for a MockTransport answering every request with ``respond``."""
    handler = respond if callable(respond) else (lambda request: respond)
    return {"transport": httpx.MockTransport(handler)}


def test_mock_404_message() -> None:
    error = fetch_error(URL, **mocked(httpx.Response(404)))
    assert error.problem == "HTTP 404 Not Found"
    assert (error.status, error.retry_after, error.gone) == (404, None, False)


def test_mock_410_message() -> None:
    error = fetch_error(URL, **mocked(httpx.Response(410)))
    assert error.problem == "HTTP 410 Gone: the feed is gone"
    assert error.gone


def test_mock_503_without_retry_after() -> None:
    error = fetch_error(URL, **mocked(httpx.Response(503)))
    assert error.problem == "HTTP 503 Service Unavailable"
    assert error.status == 503
    assert error.retry_after is None


@pytest.mark.parametrize(
    "value", ["soon", "-5", "1.5", "Sun, 01 Nov 2026 12:00:00", "", "\u00b2".encode("latin-1")]
)
def test_mock_unusable_retry_after_is_ignored(value: str | bytes) -> None:
    raw = value if isinstance(value, bytes) else value.encode()
    error = fetch_error(URL, **mocked(httpx.Response(429, headers=[(b"Retry-After", raw)])))
    assert error.status == 429
    assert error.retry_after is None
    assert error.problem == "HTTP 429 Too Many Requests"


def test_mock_retry_after_message() -> None:
    error = fetch_error(URL, **mocked(httpx.Response(503, headers={"Retry-After": "3600"})))
    assert error.problem == "HTTP 503 Service Unavailable (Retry-After 3600s)"
    assert error.retry_after == 3600.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"max-age=600", 600.0),
        (b"no-transform, MAX-AGE=60", 60.0),
        (b"public, max-age=86400, must-revalidate", 86400.0),
        (b"no-cache", None),
        (b"max-age=-1", None),
        (b"max-age=\xb2", None),
    ],
)
def test_mock_max_age(value: bytes, expected: float | None) -> None:
    # stream=, not content=: httpx.Response(content=...) is read at once, and the fetcher streams.
    respond = httpx.Response(
        200, stream=httpx.ByteStream(FEED), headers=[(b"Cache-Control", value)]
    )
    assert fetch(URL, **mocked(respond)).max_age == expected


def test_mock_respx_router_redirect_and_validators() -> None:
    router = respx.MockRouter(assert_all_called=True)
    router.get(URL).respond(301, headers={"Location": "https://new.example/feed"})
    router.get("https://new.example/feed", headers={"If-None-Match": '"abc"'}).respond(
        304, headers={"ETag": '"abc"'}
    )
    result = fetch(URL, etag='"abc"', transport=httpx.MockTransport(router.async_handler))
    assert result.not_modified
    assert result.permanent_url == "https://new.example/feed"
    router.assert_all_called()


class RecordingStream(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield b"<rss/>"


def test_mock_content_length_over_the_cap_is_refused_unread() -> None:
    stream = RecordingStream()
    respond = httpx.Response(200, headers={"Content-Length": "2000001"}, stream=stream)
    error = fetch_error(URL, settings(max_bytes=2_000_000), **mocked(respond))
    assert error.problem == "body is 2000001 bytes, over max_bytes (2000000)"
    assert not stream.read


def test_mock_unsupported_content_encoding() -> None:
    respond = httpx.Response(
        200, stream=httpx.ByteStream(b"..."), headers={"Content-Encoding": "br"}
    )
    error = fetch_error(URL, **mocked(respond))
    assert error.problem == "unsupported Content-Encoding 'br'"


def test_a_multi_member_gzip_body_is_decoded_whole(httpserver: HTTPServer) -> None:
    half = len(FEED) // 2
    body = gzip.compress(FEED[:half]) + gzip.compress(FEED[half:])
    httpserver.expect_request("/feed").respond_with_data(body, headers={"Content-Encoding": "gzip"})
    assert fetch(httpserver.url_for("/feed")).body == FEED


def test_raw_deflate_sent_as_deflate_is_decoded(httpserver: HTTPServer) -> None:
    squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = squeeze.compress(FEED) + squeeze.flush()
    httpserver.expect_request("/feed").respond_with_data(
        body, headers={"Content-Encoding": "deflate"}
    )
    assert fetch(httpserver.url_for("/feed")).body == FEED
