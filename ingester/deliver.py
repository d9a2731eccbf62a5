"""The sender: delivers the outbox's pending alerts through the configured notifiers.

    store.due_alerts -> alert (webhook | email).send -> store.alert_sent
                                                   └-> store.alert_failed (retry at, or failed)

Retries wait longer each time (doubling from ``[alerts] retry`` up to ``max_retry``, with
jitter, or what a receiver's Retry-After asks if that is longer) for at most
``max_attempts`` attempts; then the alert is 'failed' with its last error, visible in
``ingester alerts list`` and sent again by ``ingester alerts retry``. Permanent refusals
(4xx, SMTP 5xx, bad credentials, TLS not offered) fail at once. A webhook that answers 410
Gone disables its notifier: its alerts fail without being tried until its config changes
or they are retried by hand.

An alert is marked sent only after the notifier accepted it; a crash in between sends it
again after the restart with the same id (webhook-id, Message-ID), which receivers use to
drop the copy. This module owns no state: the outbox is in the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import config, schedule
from .alert import Notifier
from .alert.email import EmailNotifier
from .alert.webhook import WebhookNotifier
from .config import EmailSettings, Settings, WebhookSettings
from .errors import AlertError, ConfigError
from .models import Alert, AlertArticle, OutboxEntry
from .pipeline import Pipeline

log = logging.getLogger(__name__)

BATCH = 200  # alerts read from the outbox at a time
EVERYTHING = 1_000_000


def fingerprint(settings: WebhookSettings | EmailSettings) -> str:
    """Identifies a notifier's configuration, so that a changed URL re-enables a gone one."""
    return hashlib.blake2b(settings.model_dump_json().encode(), digest_size=8).hexdigest()


def build_notifier(name: str, settings: Settings) -> Notifier:
    """The notifier ``name`` of the config, with its secrets read. Raises ``ConfigError``."""
    spec = settings.notifiers[name]
    key = f"notifiers.{name}"
    try:
        if isinstance(spec, WebhookSettings):
            secret = config.secret(spec.secret_env, spec.secret_file, settings, f"{key}.secret")
            return WebhookNotifier(
                name, spec.url, format=spec.format, secret=secret, timeout=spec.timeout
            )
        return EmailNotifier(
            name,
            spec.host,
            spec.smtp_port,
            tls=spec.tls,
            username=config.secret(
                spec.username_env, spec.username_file, settings, f"{key}.username"
            ),
            password=config.secret(
                spec.password_env, spec.password_file, settings, f"{key}.password"
            ),
            sender=spec.sender,
            recipients=spec.to,
            timeout=spec.timeout,
        )
    except AlertError as exc:
        raise ConfigError(str(settings.source), exc.problem, key=key) from None


def build_notifiers(settings: Settings) -> dict[str, Notifier]:
    return {name: build_notifier(name, settings) for name in settings.notifiers}


def sample_alert(now: datetime) -> Alert:
    """What ``ingester alerts test`` sends: clearly a test, with a unique id."""
    article = AlertArticle(
        title="feed-ingester test alert: this notifier works",
        url=config.PROJECT_URL,
        source_feeds=("feed-ingester",),
        published=now,
        matched=(("test", "title"),),
        snippet="Sent by `ingester alerts test`; no watch matched anything.",
    )
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    return Alert(f"msg_test_{stamp}", "test", "alert.created", (article,), now)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0  # failed without an attempt: notifier gone or no longer configured
    errors: list[str] = field(default_factory=list)


class Sender:
    """Sends due alerts; ``deliver_due`` is one pass over the outbox."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        notifiers: Mapping[str, Notifier] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.rng = rng or random.Random()
        self._given = dict(notifiers) if notifiers is not None else None
        self._built: tuple[Settings, dict[str, Notifier]] | None = None
        self._stale: list[Notifier] = []

    @property
    def settings(self) -> Settings:
        return self.pipeline.settings

    def notifiers(self) -> dict[str, Notifier]:
        """The configured notifiers, rebuilt when the config was reloaded."""
        if self._given is not None:
            return self._given
        if self._built is None or self._built[0] is not self.settings:
            old = self._built
            built = build_notifiers(self.settings)
            if old is not None:
                self._stale.extend(old[1].values())
            self._built = (self.settings, built)
        return self._built[1]

    async def aclose(self) -> None:
        everything = [*self._stale, *(self._built[1].values() if self._built else ())]
        self._stale, self._built = [], None
        for notifier in everything:
            await notifier.aclose()

    async def deliver_due(
        self, *, everything: bool = False, stopping: asyncio.Event | None = None
    ) -> DeliveryReport:
        """Send what is due (``everything``: every pending alert, once, as ``run --once``
        does, whatever its retry time)."""
        report = DeliveryReport()
        db, write, store = self.pipeline.db, self.pipeline.write, self.pipeline.store
        notifiers = self.notifiers()
        stale, self._stale = self._stale, []  # replaced by a reload; the last pass is over
        for notifier in stale:
            await notifier.aclose()
        gone = await db(store.gone_notifiers)
        for name, (print_, _) in list(gone.items()):
            spec = self.settings.notifiers.get(name)
            if spec is not None and fingerprint(spec) != print_:
                log.info("notifier %s: its config changed; trying it again", name)
                await write(store.notifier_back, name)
                del gone[name]
        gates: dict[str, asyncio.Semaphore] = {}  # per notifier: concurrent sends at most

        async def one(entry: OutboxEntry) -> None:
            gate = gates.setdefault(
                entry.notifier, asyncio.Semaphore(self.settings.alerts.concurrency)
            )
            async with gate:
                if stopping is not None and stopping.is_set():
                    return
                await self._send(entry, notifiers.get(entry.notifier), gone, report)

        while stopping is None or not stopping.is_set():
            now = None if everything else self.pipeline.clock()
            entries = await db(store.due_alerts, now, EVERYTHING if everything else BATCH)
            if not entries:
                break
            await asyncio.gather(*(one(entry) for entry in entries))
            if everything or len(entries) < BATCH:
                break
        return report

    async def _send(
        self,
        entry: OutboxEntry,
        notifier: Notifier | None,
        gone: dict[str, tuple[str, str | None]],
        report: DeliveryReport,
    ) -> None:
        store, write = self.pipeline.store, self.pipeline.write
        if notifier is None:
            problem = f"notifier {entry.notifier!r} is not in the config any more"
            await write(store.hold_alert, entry.row, problem)
            report.held += 1
            log.error("alert %s failed without a try: %s", entry.alert.id, problem)
            return
        if entry.notifier in gone:
            problem = (
                f"notifier {entry.notifier!r} is disabled: {gone[entry.notifier][1]}; fix it,"
                " then `ingester alerts retry --failed`"
            )
            await write(store.hold_alert, entry.row, problem)
            report.held += 1
            log.error("alert %s failed without a try: %s", entry.alert.id, problem)
            return
        try:
            await notifier.send(entry.alert)
        except AlertError as exc:
            await self._failed(entry, exc, gone, report)
        except Exception as exc:  # a bug: keep the traceback, try again later
            log.exception("internal error while sending alert %s", entry.alert.id)
            await self._failed(entry, AlertError(entry.notifier, f"internal error: {exc!r}"),
                               gone, report)  # fmt: skip
        else:
            await write(store.alert_sent, entry.row, self.pipeline.clock())
            report.sent += 1
            log.info(
                "alert %s (watch %s, %d article%s) sent via %s",
                entry.alert.id, entry.alert.watch, len(entry.alert.articles),
                "" if len(entry.alert.articles) == 1 else "s", entry.notifier,
            )  # fmt: skip

    async def _failed(
        self,
        entry: OutboxEntry,
        exc: AlertError,
        gone: dict[str, tuple[str, str | None]],
        report: DeliveryReport,
    ) -> None:
        store, write = self.pipeline.store, self.pipeline.write
        now = self.pipeline.clock()
        attempts = entry.attempts + 1
        limits = self.settings.alerts
        report.errors.append(str(exc))
        if exc.gone:
            spec = self.settings.notifiers.get(entry.notifier)
            if spec is not None:
                await write(
                    store.notifier_gone, entry.notifier, fingerprint(spec), exc.problem, now
                )
            gone[entry.notifier] = ("", exc.problem)
            log.error("notifier %s is gone, disabled until its config changes: %s",
                      entry.notifier, exc.problem)  # fmt: skip
        if exc.permanent or attempts >= limits.max_attempts:
            await write(store.alert_failed, entry.row, now, exc.problem, None)
            report.failed += 1
            why = "permanent error" if exc.permanent else f"gave up after {attempts} attempts"
            log.error("alert %s via %s failed (%s): %s", entry.alert.id, entry.notifier, why,
                      exc.problem)  # fmt: skip
            return
        wait = schedule.retry_wait(attempts, limits.retry, limits.max_retry, self.rng)
        if exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, limits.max_retry))
        await write(store.alert_failed, entry.row, now, exc.problem, now + timedelta(seconds=wait))
        report.retrying += 1
        log.warning("alert %s via %s: attempt %d of %d failed, next in %.0fs: %s",
                    entry.alert.id, entry.notifier, attempts, limits.max_attempts, wait,
                    exc.problem)  # fmt: skip
