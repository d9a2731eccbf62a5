"""Polite HTTP fetching of feeds (and, later, article pages).

Conditional GET with the stored validators, a total deadline per request, a size cap that also
holds for compressed bodies, a per-host connection limit, and a guard that refuses addresses that
are not globally routable, checked after DNS resolution and again on every redirect.

httpx is the client API. Underneath it runs ``AiohttpTransport``, an httpx transport on aiohttp's
connection pool: on 1000 feeds over loopback httpx's own pool spends most of a warm cycle in its
connection bookkeeping (see the README's benchmark section), while aiohttp's pool keeps up.
This module must not parse, store or know about feeds beyond their URL and validators.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self

import aiohttp
import httpx

from .config import FetchSettings
from .errors import FetchError
from .models import FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
CHUNK = 64 * 1024
PERMANENT = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
Clock = Callable[[], float]

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class AddressNotAllowed(OSError):
    """The host resolves only to addresses that are not globally routable."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def is_public_address(address: _IPAddress) -> bool:
    """True only for globally routable unicast addresses, also through embedded IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public_address(inner)
        if address in _NAT64 or address in _NAT64_LOCAL:
            return False
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    # 100.64.0.0/10 (CGNAT) is neither private nor global in ipaddress: is_global covers it.
    return address.is_global


def check_address(host: str) -> None:
    """Raise ``AddressNotAllowed`` if ``host`` is an IP literal that is not public."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not is_public_address(address):
        raise AddressNotAllowed(f"{address} is not a globally routable address")


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """Resolves with aiohttp's resolver, then keeps only public addresses.

    aiohttp connects to exactly the addresses a resolver returns, so a name cannot resolve to a
    public address for the check and a private one for the connection.
    """

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if is_public_address(ipaddress.ip_address(r["host"]))]
        if not public:
            shown = ", ".join(sorted({r["host"] for r in results}))
            raise AddressNotAllowed(f"{host} resolves to {shown}, which is not globally routable")
        return public

    async def close(self) -> None:
        await self._inner.close()


class _AiohttpStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except aiohttp.ClientError as exc:  # e.g. the body ends before its Content-Length
            raise httpx.ReadError(str(exc)) from exc

    async def aclose(self) -> None:
        self._response.release()


def _header_text(value: bytes) -> str:
    """The str that aiohttp, which encodes header values as UTF-8, writes as these bytes.

    Only bytes that are not UTF-8 (rare even in ETags) cannot go out unchanged this way.
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _connect_problem(exc: aiohttp.ClientConnectorError) -> str:
    """A short, human description of why a connection failed."""
    where = f"{exc.host}:{exc.port}"
    reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve host {exc.host} ({reason})"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate of {exc.host} not accepted ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return f"TLS handshake with {where} failed ({reason})"
    return f"cannot connect to {where} ({reason})"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport on an aiohttp connection pool. Bodies are passed on undecoded."""

    def __init__(self, *, per_host: int, total: int, guard: bool) -> None:
        self._guard = guard
        self._connector = aiohttp.TCPConnector(
            limit=total,
            limit_per_host=per_host,
            ttl_dns_cache=60,
            resolver=GuardedResolver() if guard else None,
        )
        self._session = aiohttp.ClientSession(
            connector=self._connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._guard:
            check_address(request.url.host)
        headers = [
            (k.decode("latin-1"), _header_text(v))
            for k, v in request.headers.raw
            if k.lower() not in (b"connection", b"host")
        ]
        body = await request.aread()
        try:
            response = await self._session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
            )
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressNotAllowed):
                raise exc.os_error from None
            raise httpx.ConnectError(_connect_problem(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(f"{exc or type(exc).__name__}", request=request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_AiohttpStream(response),
            request=request,
            extensions={"reason_phrase": (response.reason or "").encode("latin-1", "replace")},
        )

    async def aclose(self) -> None:
        await self._session.close()


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if _is_digits(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _is_digits(text: str) -> bool:
    # str.isdigit() is also true of digits such as "²" that float() and int() reject.
    return text.isascii() and text.isdigit()


def max_age_seconds(cache_control: str | None) -> float | None:
    if not cache_control:
        return None
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age" and _is_digits(value.strip()):
            return float(value)
    return None


class _Decoder:
    """Content-Encoding decoding that stops at ``limit`` output bytes, whatever the ratio."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self._url = url
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._wbits: int | None = None
        elif encoding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif encoding == "deflate":
            self._wbits = zlib.MAX_WBITS | 32  # zlib or gzip header; raw deflate on failure
        else:
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
        self._z = zlib.decompressobj(self._wbits) if self._wbits is not None else None
        self._started = False

    def feed(self, data: bytes) -> None:
        if self._z is None:
            self._add(data)
            return
        try:
            self._inflate(data)
        except zlib.error as exc:
            if self._wbits == zlib.MAX_WBITS | 32 and not self._started:
                # Some servers send raw deflate (no zlib header) as "deflate"; browsers accept it.
                self._wbits = -zlib.MAX_WBITS
                self._z = zlib.decompressobj(self._wbits)
                self.feed(data)
                return
            raise FetchError(self._url, f"corrupt compressed body: {exc}") from exc

    def _inflate(self, data: bytes) -> None:
        assert self._z is not None and self._wbits is not None
        while data:
            # max_length bounds the memory one compressed chunk can expand to.
            out = self._z.decompress(data, self._limit - self._size + 1)
            self._started = self._started or bool(out)
            self._add(out)
            data = self._z.unconsumed_tail
            if self._z.eof and self._z.unused_data:
                rest = self._z.unused_data
                if not rest.startswith(b"\x1f\x8b"):
                    return  # trailing bytes after the stream are ignored, as browsers do
                # Another gzip member follows (RFC 1952, 2.2): decode it too.
                data = rest
                self._z = zlib.decompressobj(self._wbits)

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchError(self._url, f"body is larger than max_bytes ({self._limit} bytes)")
        self._parts.append(data)

    def finish(self) -> bytes:
        if self._z is not None:
            self._add(self._z.flush())
        return b"".join(self._parts)


class Fetcher:
    """Fetches URLs politely. Use as ``async with Fetcher(settings) as f: await f.fetch(url)``.

    Requests go straight to the transport and redirects are followed here, not by
    ``httpx.AsyncClient``: its per-request machinery (cookies, auth, event hooks, reading
    redirect bodies) was a third of the cost of a 304 and does nothing for feed polling.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._transport = transport or AiohttpTransport(
            per_host=settings.per_host_connections,
            total=settings.concurrency,
            guard=not settings.allow_private_networks,
        )
        self._headers: list[tuple[bytes, bytes]] = [
            (b"User-Agent", settings.user_agent.encode()),
            (b"Accept", ACCEPT.encode()),
            (b"Accept-Encoding", b"gzip, deflate"),
        ]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` within the deadline; raise ``FetchError`` for anything but 200 and 304."""
        started = time.monotonic()
        timeout = self.settings.timeout
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(url, etag, last_modified, started)
        except TimeoutError:
            raise FetchError(url, f"no complete response within {timeout:g}s") from None
        except AddressNotAllowed as exc:
            raise FetchError(
                url, f"refused: {exc} (set [fetch] allow_private_networks = true to allow it)"
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(url, str(exc) or type(exc).__name__) from exc

    async def _exchange(
        self, url: str, etag: str | None, last_modified: str | None, started: float
    ) -> FetchResult:
        headers = list(self._headers)
        # Validators are sent back exactly as received (stored as latin-1, i.e. byte for byte).
        if etag:
            headers.append((b"If-None-Match", etag.encode("latin-1")))
        if last_modified:
            headers.append((b"If-Modified-Since", last_modified.encode("latin-1")))
        hops: list[int] = []
        current = url
        while True:
            request = httpx.Request("GET", current, headers=headers)
            response = await self._transport.handle_async_request(request)
            status = response.status_code
            location = response.headers.get("location") if status in REDIRECTS else None
            if location:
                await response.aclose()  # a redirect's body is never read
                if len(hops) >= self.settings.max_redirects:
                    limit = self.settings.max_redirects
                    raise FetchError(url, f"more than {limit} redirects (last to {location})")
                hops.append(status)
                current = self._redirect_target(url, current, location)
                continue
            try:
                if status == 304:
                    return self._result(url, current, hops, response, None, started)
                if status != 200:
                    raise self._status_error(url, response)
                body = await self._read_capped(url, response)
                return self._result(url, current, hops, response, body, started)
            finally:
                await response.aclose()

    @staticmethod
    def _redirect_target(url: str, current: str, location: str) -> str:
        try:
            target = httpx.URL(current).join(location.strip())
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"redirect to an invalid URL {location!r}: {exc}") from None
        if target.scheme not in ("http", "https"):
            raise FetchError(url, f"redirect to a non-HTTP URL {location!r}")
        return str(target)

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        limit = self.settings.max_bytes
        length = response.headers.get("content-length", "")
        if _is_digits(length) and int(length) > limit:
            raise FetchError(url, f"body is {int(length)} bytes, over max_bytes ({limit})")
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit, url)
        received = 0
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > limit:
                raise FetchError(url, f"body is larger than max_bytes ({limit} bytes)")
            decoder.feed(chunk)
        return decoder.finish()

    def _status_error(self, url: str, response: httpx.Response) -> FetchError:
        status = response.status_code
        reason = response.reason_phrase or ""
        problem = f"HTTP {status} {reason}".strip()
        if status == 410:
            return FetchError(url, f"{problem}: the feed is gone", status=status, gone=True)
        retry = None
        if status in (429, 503):
            retry = retry_after_seconds(response.headers.get("retry-after"), self._clock())
            if retry is not None:
                problem += f" (Retry-After {retry:.0f}s)"
        return FetchError(url, problem, status=status, retry_after=retry)

    def _result(
        self,
        url: str,
        final_url: str,
        hops: list[int],
        response: httpx.Response,
        body: bytes | None,
        started: float,
    ) -> FetchResult:
        moved = bool(hops) and all(status in PERMANENT for status in hops)
        raw = {k.lower(): v for k, v in response.headers.raw}
        etag = raw.get(b"etag")
        modified = raw.get(b"last-modified")
        return FetchResult(
            url=url,
            final_url=final_url,
            permanent_url=final_url if moved else None,
            status=response.status_code,
            body=body,
            etag=etag.decode("latin-1") if etag is not None else None,
            last_modified=modified.decode("latin-1") if modified is not None else None,
            content_type=response.headers.get("content-type"),
            max_age=max_age_seconds(response.headers.get("cache-control")),
            elapsed=time.monotonic() - started,
        )
