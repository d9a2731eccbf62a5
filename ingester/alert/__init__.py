"""Delivery of alerts: what an alert carries, and the senders that deliver it.

    Alert ──> render (text, HTML, JSON, Slack, Discord) ──> webhook.WebhookNotifier (httpx)
                                                       └──> email.EmailNotifier (smtplib)

A sender delivers one alert per call and raises ``AlertError`` when it cannot, with
``permanent=True`` when trying again will not help (410, 4xx, SMTP 5xx, bad credentials, TLS asked
for but not offered). The senders keep no state between calls: the outbox, retries and their
schedule belong to the caller. They never log secrets, passwords or webhook URLs (chat webhook URLs
carry their token in the path); errors name the host only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

AlertEvent = Literal["alert.created", "story.updated"]


@dataclass(frozen=True, slots=True)
class AlertArticle:
    """One matched article as an alert shows it.

    ``matched`` holds (term, field) pairs, such as ("CSTO", "title"), in the order found;
    ``source_feeds`` names the feeds that carried the article.
    """

    title: str
    url: str
    source_feeds: tuple[str, ...] = ()
    published: datetime | None = None
    keywords: tuple[str, ...] = ()
    matched: tuple[tuple[str, str], ...] = ()
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """What a watch has to say: one article (instant mode) or several (a digest).

    ``id`` is stable across retries: it is the webhook-id (the receiver's idempotency key) and
    the seed of the e-mail Message-ID, so a resend is recognisable as the same alert.
    ``thread_of`` names an earlier alert (its id, or a Message-ID in angle brackets) that this
    one follows up, as "story.updated" does.
    """

    id: str
    watch: str
    event: AlertEvent
    articles: tuple[AlertArticle, ...]
    created: datetime
    thread_of: str | None = None


class Notifier(Protocol):
    """A configured delivery route: ``send`` delivers one alert or raises ``AlertError``."""

    name: str

    async def send(self, alert: Alert) -> None: ...

    async def aclose(self) -> None: ...


__all__ = ["Alert", "AlertArticle", "AlertEvent", "Notifier"]
