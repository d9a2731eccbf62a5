"""The service: lifecycle, the scheduler tick, signals and systemd notifications.

A short APScheduler tick starts, each unless it is still running, a feed cycle (the feeds
that are due), a page cycle (article pages to extract), a match cycle (articles to match
against the watches, digests that are due) and a send cycle (the outbox). They never overlap
themselves and a restart loses nothing: the schedule, the queues and the outbox live in the
database. SIGTERM/SIGINT stop gracefully (in-flight polls get ``stop_grace`` seconds to
commit, unstarted ones stay due), a second signal exits at once, SIGHUP reloads the config.
The daemon never forks into the background; systemd supervises it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from . import config
from .config import Settings
from .deliver import DeliveryReport, Sender, build_notifiers
from .errors import ConfigError
from .fetch import Fetcher
from .notify import Notifier, watchdog_interval
from .pipeline import CycleReport, ExtractReport, FeedOutcome, Pipeline, utc_now
from .store import MatchReport, SQLiteStore
from .workers import WorkerPool

log = logging.getLogger(__name__)

STOP_GRACE = 5.0
T = TypeVar("T")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (a faster event loop), else asyncio's."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def worker_count(settings: Settings) -> int:
    # One per core: page extraction and keywords (about 17 ms a page) keep them all busy. For
    # feeds alone one process fewer does as well (the main process fetches and stores), but
    # costs the page queue half its speed.
    return settings.schedule.workers or os.cpu_count() or 1


def make_workers(settings: Settings) -> WorkerPool:
    # The forkserver imports the pipeline once; workers forked from it share those pages.
    return WorkerPool(
        worker_count(settings), niceness=WORKER_NICENESS, preload=("ingester.pipeline",)
    )


# The main process fetches, stores and sends alerts, each stage one at a time; the workers
# parse and extract whatever is queued, and with extraction on they keep every core busy.
# When the cores are all busy the main process should get one first, so that an alert never
# waits behind a queue of pages. (On the cold bench cycle the store thread was off-CPU for
# about a third of its batches; the cycle time with and without this differed by less than
# the machine's noise.)
WORKER_NICENESS = 5


@dataclass(slots=True)
class OnceReport:
    """What ``run --once`` did."""

    cycle: CycleReport = field(default_factory=CycleReport)
    pages: ExtractReport = field(default_factory=ExtractReport)
    matches: MatchReport = field(default_factory=MatchReport)
    digested: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


async def check_notifiers(settings: Settings) -> None:
    """Build every notifier once (secrets read, URLs and formats checked); ``ConfigError``."""
    for notifier in build_notifiers(settings).values():
        await notifier.aclose()


class Daemon:
    def __init__(self, config_path: Path, settings: Settings, *, stop_grace: float = STOP_GRACE):
        self.config_path = config_path
        self.settings = settings
        self.stop_grace = stop_grace
        self.notifier = Notifier()
        self._stopping = asyncio.Event()
        self._cycle: asyncio.Task[CycleReport] | None = None
        self._pages: asyncio.Task[ExtractReport] | None = None
        self._matching: asyncio.Task[None] | None = None
        self._sending: asyncio.Task[DeliveryReport] | None = None
        self._signals = 0
        self._closing: asyncio.Task[None] | None = None

    # -- one cycle, for `run --once` ---------------------------------------------------------

    async def run_once(
        self,
        on_start: Callable[[int], None] | None = None,
        on_done: Callable[[FeedOutcome], None] | None = None,
        *,
        every_feed: bool = False,
        extract_pages: bool = True,
        on_stage: Callable[[str, int], None] | None = None,
    ) -> OnceReport:
        """Poll what is due, extract the pages that became due, match, and send every pending
        alert once (whatever its retry time); then return. After the poll, ``on_stage`` hears
        of the work done: ("pages", 1) for each page, ("articles", n) for each batch placed in
        stories and matched."""
        await check_notifiers(self.settings)
        store = SQLiteStore(self.settings.storage_path)
        self._install_signals()
        result = OnceReport()
        try:
            now = utc_now()
            store.sync_feeds(self.settings.feeds, self.settings.schedule.interval, now)
            if every_feed:
                store.make_all_due(now)
            workers = make_workers(self.settings)
            try:
                await workers.start()
                async with Fetcher(self.settings.fetch) as fetcher:
                    pipeline = Pipeline(self.settings, store, fetcher, workers)
                    sender = Sender(pipeline)
                    try:
                        self._cycle = asyncio.create_task(
                            pipeline.run_due(
                                stopping=self._stopping, on_start=on_start, on_done=on_done
                            )
                        )
                        result.cycle = await self._cycle
                        pages = result.pages
                        while extract_pages and not self._stopping.is_set():
                            batch = await pipeline.run_extractions(
                                stopping=self._stopping,
                                on_done=(lambda: on_stage("pages", 1)) if on_stage else None,
                            )
                            if not batch.pages:
                                break
                            pages.pages += batch.pages
                            pages.from_page += batch.from_page
                            pages.from_feed += batch.from_feed
                            pages.retrying += batch.retrying
                            pages.elapsed += batch.elapsed
                        result.matches = await pipeline.run_matches(
                            on_batch=(lambda n: on_stage("articles", n)) if on_stage else None
                        )
                        result.digested = await pipeline.run_digests()
                        result.delivery = await sender.deliver_due(
                            everything=True, stopping=self._stopping
                        )
                        return result
                    finally:
                        await sender.aclose()
                        pipeline.close()
            finally:
                workers.close()
        finally:
            store.close()

    # -- the service -------------------------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        await check_notifiers(self.settings)
        store = SQLiteStore(self.settings.storage_path)
        store.sync_feeds(self.settings.feeds, self.settings.schedule.interval, utc_now())
        counts = store.counts()
        workers = make_workers(self.settings)
        try:
            await workers.start()
        except BaseException:
            workers.close()
            store.close()
            raise
        pipeline = Pipeline(self.settings, store, Fetcher(self.settings.fetch), workers)
        sender = Sender(pipeline)
        self._install_signals()
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self._reload(pipeline)))

        def start_pages() -> None:
            if not self.settings.extract.enabled:
                start_matching()
            elif not self._stopping.is_set() and (self._pages is None or self._pages.done()):
                # Pages have their own cycle, so that a slow page never delays a feed poll.
                self._pages = loop.create_task(pipeline.run_extractions(stopping=self._stopping))
                self._pages.add_done_callback(self._pages_done)
                self._pages.add_done_callback(lambda _: start_matching())

        def start_matching() -> None:
            if not self._stopping.is_set() and (self._matching is None or self._matching.done()):
                self._matching = loop.create_task(self._match(pipeline))
                self._matching.add_done_callback(lambda _: start_sending())

        def start_sending() -> None:
            if not self._stopping.is_set() and (self._sending is None or self._sending.done()):
                self._sending = loop.create_task(sender.deliver_due(stopping=self._stopping))
                self._sending.add_done_callback(self._sending_done)

        def tick() -> None:
            # Each cycle also starts the next stage's when it ends (pages -> matching ->
            # sending), so a new article does not wait a tick between stages.
            if self._stopping.is_set():
                return
            pipeline.settings = self.settings
            start_pages()
            start_matching()
            start_sending()
            if self._cycle is not None and not self._cycle.done():
                return  # cycles never overlap; what is due now is picked up next tick
            if pipeline.fetcher.settings != self.settings.fetch:  # changed by a reload
                old, pipeline.fetcher = pipeline.fetcher, Fetcher(self.settings.fetch)
                self._closing = loop.create_task(old.aclose())
            self._cycle = loop.create_task(pipeline.run_due(stopping=self._stopping))
            self._cycle.add_done_callback(self._cycle_done)
            self._cycle.add_done_callback(lambda _: start_pages())

        scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        scheduler.add_job(
            tick, "interval", seconds=self.settings.schedule.tick, id="tick",
            next_run_time=utc_now(), max_instances=1, coalesce=True, misfire_grace_time=None,
        )  # fmt: skip
        scheduler.start()
        watchdog = loop.create_task(self._watchdog())
        log.info(
            "started: %d feeds, %d articles in %s",
            counts["feeds"], counts["articles"], self.settings.storage_path,
        )  # fmt: skip
        self.notifier.ready(f"polling {counts['feeds']} feeds")
        try:
            await self._stopping.wait()
            self.notifier.stopping()
            log.info("stopping: letting in-flight polls finish (up to %gs)", self.stop_grace)
            scheduler.shutdown(wait=False)
            await self._finish_cycle()
        finally:
            watchdog.cancel()
            await sender.aclose()
            await pipeline.fetcher.aclose()
            pipeline.close()
            workers.close()
            store.close()
        log.info("stopped")

    async def _finish_cycle(self) -> None:
        tasks = (self._cycle, self._pages, self._matching, self._sending)
        running = {t for t in tasks if t is not None and not t.done()}
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=self.stop_grace)
        if late:
            log.warning("in-flight work did not finish in %gs; it will run again", self.stop_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _match(self, pipeline: Pipeline) -> None:
        try:
            report = await pipeline.run_matches()
            if report.matches:
                log.info(
                    "matches: %d articles, %d new matches, %d alerts to send, %d for digests",
                    report.articles, report.matches, report.alerts, report.queued,
                )  # fmt: skip
            if report.copies or report.merged:
                log.info(
                    "stories: %d new, %d copies joined an earlier story, %d re-issues merged",
                    report.stories, report.copies, len(report.merged),
                )  # fmt: skip
            await pipeline.run_digests()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("matching ended by an unexpected error; it runs again next tick")

    def _sending_done(self, task: asyncio.Task[DeliveryReport]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("sending ended by an unexpected error", exc_info=error)

    def _pages_done(self, task: asyncio.Task[ExtractReport]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("page extraction ended by an unexpected error", exc_info=error)
            return
        report = task.result()
        if report.pages:
            log.info(
                "pages: %d in %.1fs: %d extracted, %d from the feed's text (%d to retry)",
                report.pages, report.elapsed, report.from_page, report.from_feed,
                report.retrying,
            )  # fmt: skip

    def _cycle_done(self, task: asyncio.Task[CycleReport]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("cycle ended by an unexpected error", exc_info=error)
            return
        report = task.result()
        if report.feeds:
            log.info(
                "cycle: %d feeds in %.1fs: %d with content, %d not modified, %d unchanged,"
                " %d failed; %d new articles, %d updated",
                report.feeds, report.elapsed, report.with_content, report.not_modified,
                report.unchanged, report.errors, report.new, report.updated,
            )  # fmt: skip

    async def _watchdog(self) -> None:
        interval = watchdog_interval()
        if interval is None:
            return
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    # -- signals -----------------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_stop_signal, signum)

    def _on_stop_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(128 + signum)
        log.info("%s received: stopping", signal.Signals(signum).name)
        self._stopping.set()

    async def _reload(self, pipeline: Pipeline) -> None:
        self.notifier.reloading()
        try:
            new = config.load(self.config_path)
        except ConfigError as exc:
            log.error("reload rejected, keeping the running config: %s", exc)
            self.notifier.ready("reload rejected; running on the previous config")
            return
        try:
            await check_notifiers(new)
        except ConfigError as exc:
            log.error("reload rejected, keeping the running config: %s", exc)
            self.notifier.ready("reload rejected; running on the previous config")
            return
        if new.storage_path != self.settings.storage_path:
            log.warning("[storage] path changed; that takes a restart, still using the old one")
        await pipeline.db(pipeline.store.sync_feeds, new.feeds, new.schedule.interval, utc_now())
        self.settings = new
        for warning in new.warnings:
            log.warning("config: %s", warning)
        log.info(
            "config reloaded from %s: %d feeds, %d watches, %d notifiers",
            self.config_path, len(new.feeds), len(new.watches), len(new.notifiers),
        )  # fmt: skip
        self.notifier.ready(f"reloaded; polling {len(new.feeds)} feeds")
