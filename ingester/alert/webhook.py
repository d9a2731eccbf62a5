"""Webhook delivery: JSON signed per Standard Webhooks, or Slack and Discord incoming webhooks.

One POST per alert within a total deadline; redirects are not followed. The answer decides what
the caller should do: 2xx delivered; 410 gone (disable the notifier); any other 3xx or 4xx but 408
and 429 permanent, since sending the same request again will not help; 408, 429, 5xx, timeouts and
connection failures temporary.

Signing (https://www.standardwebhooks.com): ``webhook-id`` is the alert id, the same on every
retry, so the receiver can drop duplicates; ``webhook-signature`` is ``v1,`` and the base64
HMAC-SHA256 of ``id.timestamp.body`` keyed with the base64-decoded part of the ``whsec_`` secret.

Requests go straight to the httpx transport, not through ``httpx.AsyncClient``, whose INFO log
line prints the URL: Slack and Discord webhook URLs carry their secret token in the path. Errors
and logs name the scheme and host only. This module must not store, schedule or retry.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, Self, get_args

import httpx

from .. import __version__
from ..errors import AlertError
from ..fetch import retry_after_seconds
from . import Alert
from .render import discord_payload, json_payload, one_line, shorten, slack_payload

log = logging.getLogger(__name__)

WebhookFormat = Literal["json", "slack", "discord"]
FORMATS: dict[str, Callable[[Alert], dict[str, Any]]] = {
    "json": json_payload,
    "slack": slack_payload,
    "discord": discord_payload,
}
SECRET_PREFIX = "whsec_"
TEMPORARY = frozenset({408, 429})
DETAIL_BYTES = 1024  # of a refusal's body, for the error message


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret ``whsec_<base64>`` (the prefix is optional).

    Raises ValueError, without repeating the secret, if it is not base64 or decodes to nothing.
    """
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the webhook secret is not {SECRET_PREFIX!r} and base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class WebhookNotifier:
    """Posts alerts to one webhook: ``async with WebhookNotifier(...) as n: await n.send(alert)``.

    ``secret`` (``whsec_...``) signs every request, whatever the format; without it the
    ``webhook-id`` and ``webhook-timestamp`` headers are still sent. ``transport`` and ``clock``
    are for tests; ``ssl_context`` replaces the system's trust store (a private CA, or a test's).
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        format: WebhookFormat = "json",
        secret: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._url = url  # not shown anywhere: chat webhook URLs carry a token
        self.format = format
        self.timeout = timeout
        self._clock = clock
        if format not in get_args(WebhookFormat):
            raise AlertError(name, f"unknown webhook format {format!r}", permanent=True)
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = httpx.URL()
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise AlertError(name, "the webhook URL is not an absolute http(s) URL", permanent=True)
        port = f":{parsed.port}" if parsed.port is not None else ""
        self.where = f"{parsed.scheme}://{parsed.host}{port}"  # safe to show: no path, no token
        try:
            self._key = signing_key(secret) if secret is not None else None
        except ValueError as exc:
            raise AlertError(name, str(exc), permanent=True) from None
        self._transport = transport or httpx.AsyncHTTPTransport(
            verify=ssl_context if ssl_context is not None else True, trust_env=False
        )

    def __repr__(self) -> str:
        signed = "signed" if self._key else "unsigned"
        return f"<WebhookNotifier {self.name!r} {self.format} {signed} {self.where}>"

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

    def request(self, alert: Alert) -> httpx.Request:
        """The signed POST for ``alert``, timestamped now."""
        if not (alert.id and alert.id.isascii() and alert.id.isprintable()):
            problem = f"alert id {alert.id!r} is not printable ASCII"
            raise AlertError(self.name, problem, permanent=True)
        payload = FORMATS[self.format](alert)
        # ASCII JSON: the signed bytes are the sent bytes, whatever a receiver does with charsets.
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"feed-ingester/{__version__}",
            "webhook-id": alert.id,
            "webhook-timestamp": str(timestamp),
        }
        if self._key is not None:
            headers["webhook-signature"] = signature(self._key, alert.id, timestamp, body)
        timeouts = httpx.Timeout(self.timeout).as_dict()
        return httpx.Request(
            "POST", self._url, content=body, headers=headers, extensions={"timeout": timeouts}
        )

    async def send(self, alert: Alert) -> None:
        """Deliver ``alert`` or raise ``AlertError`` (``permanent`` when a retry cannot help)."""
        request = self.request(alert)
        try:
            async with asyncio.timeout(self.timeout):
                status, problem, retry_after = await self._post(request)
        except (TimeoutError, httpx.TimeoutException):
            raise AlertError(
                self.name, f"no answer from {self.where} within {self.timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            reason = self._scrub(str(exc)) or type(exc).__name__
            raise AlertError(self.name, f"cannot reach {self.where}: {reason}") from None
        if problem is not None:
            permanent = status not in TEMPORARY and status < 500
            raise AlertError(
                self.name, problem, permanent=permanent, gone=status == 410,
                retry_after=retry_after,
            )  # fmt: skip
        log.debug("webhook %s: alert %s delivered to %s", self.name, alert.id, self.where)

    async def _post(self, request: httpx.Request) -> tuple[int, str | None, float | None]:
        """The status and, unless it is 2xx, a description of the refusal and Retry-After."""
        wait = None
        response = await self._transport.handle_async_request(request)
        try:
            status = response.status_code
            if 200 <= status < 300:
                return status, None, None
            detail = await _start_of(response)
        finally:
            await response.aclose()
        problem = f"{self.where} answered HTTP {status} {response.reason_phrase}".rstrip()
        if status == 410:
            problem += " (the webhook is gone: disable or replace this notifier)"
        elif 300 <= status < 400:
            problem += " (redirects are not followed: configure the final URL)"
        retry_after = response.headers.get("retry-after")
        if retry_after:
            problem += f" (Retry-After {shorten(one_line(retry_after), 40)})"
            wait = retry_after_seconds(retry_after, self._clock())
        if detail:
            problem += f": {detail}"
        return status, problem, wait

    def _scrub(self, text: str) -> str:
        return text.replace(self._url, self.where)


async def _start_of(response: httpx.Response) -> str:
    """The first bytes of a refusal's body as one short line (Slack explains its 400s there)."""
    received = b""
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) >= DETAIL_BYTES:
            break
    return shorten(one_line(received[:DETAIL_BYTES].decode("utf-8", "replace")), 200)
