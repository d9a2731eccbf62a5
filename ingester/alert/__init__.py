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

from typing import Protocol

from ..models import Alert, AlertArticle, AlertEvent


class Notifier(Protocol):
    """A configured delivery route: ``send`` delivers one alert or raises ``AlertError``."""

    name: str

    async def send(self, alert: Alert) -> None: ...

    async def aclose(self) -> None: ...


__all__ = ["Alert", "AlertArticle", "AlertEvent", "Notifier"]
