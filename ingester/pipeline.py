"""The one place that knows the order of the stages.

    store.due_feeds           -> fetch -> parse -> dedupe -> store.save
    store.pending_extractions -> fetch -> extract -> keywords -> store.save_extraction
    store.pending_matches     -> story -> match -> store.save_matches (stories, matches, outbox)
    store.queued_watches      -> store.make_digest (digest watches, rate-limited excess)

(The outbox's rows are sent by ``deliver``.)

Entries are stored as soon as their feed is parsed; their article pages are fetched and
extracted after, from a queue kept in the database (``extract_status``), so a slow page never
holds back a feed, a restart resumes where it stopped, and failed pages are retried a bounded
number of times. New articles are then placed in stories (near-identical copies across feeds
are one story; a re-issue in the same feed is an update of the article it repeats), and new
and updated articles are matched against the watches, once their page has been tried; each
match's alerts are written in the transaction that records it.
Feeds and pages are fetched concurrently on the event loop; parse, dedupe, extract and
keywords, the CPU-heavy part, run in a process pool so that they use the other cores and never
block fetching.
Store calls run on one dedicated thread: SQLite does its work without the GIL there, beside
the event loop, and the connection is only ever used from that thread. Writes that arrive
while a commit is in progress are grouped into the next one (each feed's writes still all or
nothing). Each feed's outcome, good or bad, is written before the feed is done, and no feed's
failure stops another.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from . import dedupe, parse, schedule
from .errors import FeedError, FetchError, StorageError
from .match import Document, Matcher
from .models import (
    Candidate,
    DueFeed,
    Extraction,
    FeedMeta,
    FetchResult,
    Keyword,
    Match,
    MatchReport,
    MatchTarget,
    PendingArticle,
    SaveReport,
    StoryLink,
)

if TYPE_CHECKING:
    # Types only. A worker process imports this module to run ``digest`` and ``analyse``, and
    # should not carry the config (pydantic), the fetcher (aiohttp, httpx) or the store
    # (sqlite-utils): about 40 MB a worker. story brings numpy: only where stories are placed.
    from .config import Settings, WatchSettings
    from .fetch import Fetcher
    from .store import Store
    from .story import StoryIndex
    from .workers import WorkerPool

log = logging.getLogger(__name__)

P = ParamSpec("P")
PERMANENT_PAGE_ERRORS = frozenset({401, 404, 410, 451})  # no point asking for these again
# Below this many distinct word 3-grams (a headline with a line of summary) an item is a
# story of its own: too little text to tell a copy from another story on the same topic.
MIN_STORY_SHINGLES = 12
WRITE_BATCH = 64  # writes per shared commit at most: big enough to help, small enough to be quick
# While other polls are in flight, a write waits this long (seconds) for theirs to share its
# commit. A commit has a fixed cost (the index pages it touches go to the WAL again): on a
# fast cold bench cycle the store used to commit 378 times, 2.8 feeds each; gathering made it
# 110-125 commits of about 9, and the main process used about 0.6 CPU-s less.
WRITE_GATHER = 0.02
# ... unless this many are queued already: when writes come quickly (a warm cycle of 304s),
# waiting would only leave the store idle.
WRITE_ENOUGH = 16
# New articles are indexed for search in bulk: after each poll cycle (see ``run_matches``) and,
# during a long cycle, at least this often (seconds). See ``store.schema._m5_search_pending``.
SEARCH_INDEX_EVERY = 10.0
T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Digest:
    """What the worker process sends back: feed-level facts and the keyed entries."""

    format: str
    title: str | None
    link: str | None
    ttl: float | None
    parser: str
    candidates: tuple[Candidate, ...]


def digest(body: bytes, base_url: str) -> Digest:
    """parse -> dedupe for one document. Runs in a worker process: pure, picklable."""
    feed = parse.parse(body, base_url=base_url)
    candidates = dedupe.prepare(feed.entries)
    return Digest(feed.format, feed.title, feed.link, feed.ttl, feed.parser, candidates)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the worker process makes of an article page."""

    extraction: Extraction
    lang: str | None
    keywords: tuple[Keyword, ...]


def analyse(
    page: bytes | None,
    url: str,
    feed_text: str | None,
    content_type: str | None,
    fetch_problem: str | None,
) -> Analysis:
    """extract -> keywords for one article. Runs in a worker process: pure, picklable."""
    # Imported here, not at the top: trafilatura and the language models cost a worker about
    # 60 MB, which a worker that only ever parses feeds (extraction off) should not carry.
    from . import extract, keywords

    found = extract.extract(page, url=url, feed_text=feed_text, content_type=content_type)
    if fetch_problem is not None:
        found = replace(found, problem=f"page not fetched: {fetch_problem}")
    lang = keywords.detect_language(found.body or feed_text or "") or found.lang
    terms = keywords.keywords(found.title, found.body or feed_text, lang)
    return Analysis(found, lang, terms)


def document(target: MatchTarget) -> Document:
    return Document(
        title=target.title,
        body=target.body,
        feeds=target.feeds,
        tags=target.tags,
        lang=target.lang,
        keywords=target.keywords,
    )


def in_scope(watch: WatchSettings, target: MatchTarget) -> bool:
    """A watch limited to some feeds (names or URLs) or tags sees only their articles."""
    if watch.feeds and not set(watch.feeds) & {*target.feeds, *target.feed_urls}:
        return False
    if watch.tags:
        wanted = {tag.casefold() for tag in watch.tags}
        return any(tag.casefold() in wanted for tag in target.tags)
    return True


def find_matches(
    matcher: Matcher, watches: Sequence[WatchSettings], targets: Sequence[MatchTarget]
) -> list[Match]:
    """Every (watch, article) that matches, with its hits. Pure: runs off the event loop."""
    if not watches:  # nothing to prepare the articles for
        return []
    by_name = {watch.name: watch for watch in watches}
    found = []
    for target in targets:
        for name, hits in matcher.match(document(target)).items():
            if in_scope(by_name[name], target):
                found.append(Match(name, target.id, tuple(hits)))
    return found


def rebuild_stories(
    rows: Sequence[tuple[int, bytes, datetime]], now: datetime, window: timedelta
) -> tuple[StoryIndex, int]:
    """The window's index from stored fingerprints; those of another format are left out."""
    from .story import StoryIndex, readable

    kept = [row for row in rows if readable(row[1])]
    return StoryIndex.rebuild(kept, now=now, window=window), len(rows) - len(kept)


def place_stories(
    index: StoryIndex | None, targets: Sequence[MatchTarget], now: datetime
) -> list[StoryLink]:
    """For each article not yet in a story, the earlier article of the window that tells the
    same story, if any; each is indexed at once, so copies in one batch find each other."""
    if index is None:  # story detection is off: each article is a story of its own
        return [StoryLink(t.id, None, None) for t in targets if t.story_id is None]
    from . import story

    links = []
    index.expire(now)
    for target in targets:
        if target.story_id is not None:
            continue
        text = story.StoryText(target.title, target.summary, target.body, target.lang)
        fingerprint = story.fingerprint(text)
        if fingerprint.size < MIN_STORY_SHINGLES:  # a headline alone says too little
            links.append(StoryLink(target.id, None, None))
            continue
        found = index.find(fingerprint, exclude=target.id)
        links.append(
            StoryLink(target.id, found.article_id if found else None, fingerprint.to_bytes())
        )
        index.add(target.id, fingerprint, target.first_seen or now)
    return links


@dataclass(slots=True)
class ExtractReport:
    pages: int = 0
    from_page: int = 0  # the body came from the article page
    from_feed: int = 0  # the page failed; the feed's text stands in
    retrying: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed_id: int
    url: str
    result: str  # "new", "not_modified", "unchanged", "error", "gone"
    entries: int = 0
    report: SaveReport = field(default_factory=SaveReport)
    error: str | None = None


@dataclass(slots=True)
class CycleReport:
    feeds: int = 0
    with_content: int = 0
    not_modified: int = 0
    unchanged: int = 0
    errors: int = 0
    entries: int = 0
    new: int = 0
    updated: int = 0
    new_sources: int = 0
    elapsed: float = 0.0
    error_urls: list[str] = field(default_factory=list)

    def add(self, outcome: FeedOutcome) -> None:
        self.feeds += 1
        if outcome.result in ("error", "gone"):
            self.errors += 1
            self.error_urls.append(outcome.url)
        elif outcome.result == "not_modified":
            self.not_modified += 1
        elif outcome.result == "unchanged":
            self.unchanged += 1
        else:
            self.with_content += 1
        self.entries += outcome.entries
        self.new += outcome.report.new
        self.updated += outcome.report.updated
        self.new_sources += outcome.report.new_sources


class Pipeline:
    """Polls due feeds: fetch, parse and dedupe them, and save what is new."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        workers: WorkerPool | None = None,
        *,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.workers = workers
        self.clock = clock
        self.rng = rng or random.Random()
        self._matcher: tuple[Settings, Matcher] | None = None
        self._stories: StoryIndex | None = None  # the window, built on first use
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        self._writes: list[tuple[Callable[[], object], asyncio.Future[object]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._indexed_at = time.monotonic()
        self._polls = 0  # polls in flight

    async def compute(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run CPU work (parse, extract) in a worker process; on a thread if there are none."""
        if self.workers is not None:
            return await self.workers.run(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: fn(*args, **kwargs))

    async def db(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store call on the store thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: call(*args, **kwargs))

    async def write(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store write on the store thread, in a commit shared with concurrent writes."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[object] = loop.create_future()
        self._writes.append((lambda: call(*args, **kwargs), done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_queued())
        return await done  # type: ignore[return-value]

    async def _write_queued(self) -> None:
        loop = asyncio.get_running_loop()
        while self._writes:
            if len(self._writes) < min(WRITE_ENOUGH, self._polls):
                await asyncio.sleep(WRITE_GATHER)  # polls in flight may join this commit
            batch, self._writes = self._writes[:WRITE_BATCH], self._writes[WRITE_BATCH:]
            try:
                outcomes = await loop.run_in_executor(self._db, self._write_batch, batch)
            except BaseException as exc:  # the commit itself failed: nobody's write stands
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, done), (ok, value) in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(value)  # type: ignore[arg-type]

    def _write_batch(
        self, batch: list[tuple[Callable[[], object], asyncio.Future[object]]]
    ) -> list[tuple[bool, object]]:
        outcomes: list[tuple[bool, object]] = []
        with self.store.batch():
            for call, _ in batch:
                try:
                    outcomes.append((True, call()))
                except Exception as exc:
                    outcomes.append((False, exc))
        if time.monotonic() - self._indexed_at >= SEARCH_INDEX_EVERY:
            self.index_for_search()
        return outcomes

    def index_for_search(self) -> None:
        """Make the articles saved so far searchable (on the store thread)."""
        self._indexed_at = time.monotonic()
        try:
            self.store.index_pending()
        except StorageError as exc:  # they stay pending: the next call indexes them
            log.warning("search index not updated: %s", exc)

    def close(self) -> None:
        """Wait for pending store calls; the store itself belongs to the caller."""
        self._db.shutdown(wait=True)

    async def run_due(
        self,
        *,
        stopping: asyncio.Event | None = None,
        on_start: Callable[[int], None] | None = None,
        on_done: Callable[[FeedOutcome], None] | None = None,
        limit: int = 100_000,
    ) -> CycleReport:
        """Poll every feed that is due now; return what happened."""
        started = time.monotonic()
        feeds = await self.db(self.store.due_feeds, self.clock(), limit)
        if on_start:
            on_start(len(feeds))
        report = CycleReport()

        async def one(feed: DueFeed) -> None:
            outcome = await self.poll(feed)
            report.add(outcome)
            if on_done:
                on_done(outcome)

        await self._each(feeds, one, stopping)
        report.elapsed = time.monotonic() - started
        return report

    async def run_extractions(
        self,
        *,
        stopping: asyncio.Event | None = None,
        limit: int | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> ExtractReport:
        """Fetch and extract the article pages that are due; return what happened.
        ``on_done`` is called as each page is done."""
        started = time.monotonic()
        size = limit if limit is not None else self.settings.extract.batch
        pending = await self.db(self.store.pending_extractions, self.clock(), size)
        report = ExtractReport()

        async def one(article: PendingArticle) -> None:
            await self.extract_article(article, report)
            if on_done:
                on_done()

        await self._each(pending, one, stopping)
        report.elapsed = time.monotonic() - started
        return report

    def _find(
        self,
        settings: Settings,
        targets: Sequence[MatchTarget],
        index: StoryIndex | None,
    ) -> tuple[list[StoryLink], list[Match]]:
        links = place_stories(index, targets, self.clock())
        return links, find_matches(self.matcher(settings), settings.watches, targets)

    async def story_index(self) -> StoryIndex | None:
        """The window of recent articles' fingerprints: rebuilt from the database on first
        use (about 0.1 ms an article), then kept up to date as articles are placed."""
        if not self.settings.stories.enabled:
            return None
        window = timedelta(seconds=self.settings.stories.window)
        if self._stories is None or self._stories.window != window:
            now = self.clock()
            rows = await self.db(self.store.story_fingerprints, now - window)
            started = time.monotonic()
            built, skipped = await asyncio.to_thread(rebuild_stories, rows, now, window)
            self._stories = built
            log.info("story window: %d articles indexed in %.1fs%s", len(built),
                     time.monotonic() - started,
                     f" ({skipped} fingerprints of an older format left out)" if skipped else "",
                     )  # fmt: skip
        return self._stories

    def matcher(self, settings: Settings) -> Matcher:
        """The watches compiled once per config (a reload compiles them again)."""
        if self._matcher is None or self._matcher[0] is not settings:
            watches = {watch.name: watch.query for watch in settings.watches}
            self._matcher = (settings, Matcher(watches, settings.aliases))
        return self._matcher[1]

    async def run_matches(
        self, *, limit: int = 500, on_batch: Callable[[int], None] | None = None
    ) -> MatchReport:
        """Place the articles that are ready in stories and match them against every watch;
        write stories, matches and alerts. ``on_batch`` gets the size of each batch done.

        First the articles stored since the last time go into the search index, together:
        the poll leaves that to this stage (as reader's update_search is separate from its
        update_feeds), since one bulk insert costs less than one per commit.
        """
        await self.db(self.index_for_search)
        total = MatchReport()
        while True:
            targets = await self.db(self.store.pending_matches, limit)
            if not targets:
                return total
            settings = self.settings
            index = await self.story_index()
            # Off the event loop: 1,000 watches cost about a millisecond an article, and
            # compiling them again after a reload about a second; a fingerprint 1-2 ms.
            links, found = await asyncio.to_thread(self._find, settings, targets, index)
            policies = {watch.name: watch.policy for watch in settings.watches}
            ids = [target.id for target in targets]
            report = await self.write(
                self.store.save_matches, self.clock(), ids, found, policies, links
            )
            if index is not None:
                for reissue, original in report.merged:
                    index.replace(original, reissue)  # the original now reads as the re-issue
            if report.merged:
                log.info("%d re-issued items merged into the articles they repeat",
                         len(report.merged))  # fmt: skip
            for match in found:
                log.debug("watch %s matched article %d", match.watch, match.article_id)
            total = MatchReport(
                total.articles + report.articles, total.matches + report.matches,
                total.alerts + report.alerts, total.queued + report.queued,
                total.stories + report.stories, total.copies + report.copies,
                total.merged + report.merged,
            )  # fmt: skip
            if on_batch:
                on_batch(len(targets))
            if len(targets) < limit and not report.merged:  # merged: the original re-matches
                return total

    async def run_digests(self) -> int:
        """Send each watch's queued matches as one digest once its digest time has come;
        return how many matches went into digests."""
        queued = await self.db(self.store.queued_watches)
        taken = 0
        for watch in self.settings.watches:
            oldest = queued.get(watch.name)
            if oldest is None:
                continue
            due = schedule.next_digest(oldest, watch.digest_every, watch.digest_at)
            if due > self.clock():
                continue
            while took := await self.write(self.store.make_digest, watch.policy, self.clock()):
                taken += took
                log.info("watch %s: a digest of %d matches is ready to send", watch.name, took)
        return taken

    async def _each(
        self,
        items: Sequence[T],
        work: Callable[[T], Awaitable[None]],
        stopping: asyncio.Event | None,
    ) -> None:
        """Run ``work`` on every item, ``fetch.concurrency`` at a time.

        Once ``stopping`` is set, items not yet started are left alone: their state in the
        database says they are still due, so they run after the restart.
        """
        gate = asyncio.Semaphore(self.settings.fetch.concurrency)

        async def one(item: T) -> None:
            async with gate:
                if stopping is None or not stopping.is_set():
                    await work(item)

        tasks = [asyncio.create_task(one(item)) for item in items]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def extract_article(self, article: PendingArticle, report: ExtractReport) -> None:
        """fetch -> extract -> keywords -> save_extraction for one article page."""
        page = content_type = fetch_problem = None
        transient = False
        try:
            result = await self.fetcher.fetch(article.url)
            page, content_type = result.body, result.content_type
        except FetchError as exc:
            fetch_problem = exc.problem
            transient = exc.status not in PERMANENT_PAGE_ERRORS
        try:
            found = await self.compute(
                analyse, page, article.url, article.feed_text, content_type, fetch_problem
            )
        except Exception as exc:
            log.exception("internal error while extracting %s", article.url)
            problem = f"internal error: {exc!r}"
            found = Analysis(Extraction(None, None, None, None, None, "none", problem), None, ())
        now = self.clock()
        retry_at = None
        attempts = article.attempts + 1
        # A page that could not be fetched is tried again later; one that was fetched but is a
        # paywall, a consent page or not HTML would only give the same answer again.
        if transient and attempts < self.settings.extract.max_attempts:
            wait = self.settings.extract.retry * 2 ** (attempts - 1)
            retry_at = now + timedelta(seconds=wait)
        await self.write(
            self.store.save_extraction, article.id, now, found.extraction, found.keywords,
            lang=found.lang, retry_at=retry_at,
        )  # fmt: skip
        report.pages += 1
        if found.extraction.problem is None:
            report.from_page += 1
        else:
            report.from_feed += 1
            report.retrying += retry_at is not None
            log.info("page %s: %s", article.url, found.extraction.problem)

    async def poll(self, feed: DueFeed) -> FeedOutcome:
        """fetch -> parse -> dedupe -> save for one feed; failures are recorded on the feed."""
        self._polls += 1
        try:
            return await self._poll(feed)
        except (asyncio.CancelledError, StorageError):
            raise
        except FeedError as exc:
            return await self._failed(feed, exc)
        except Exception as exc:
            # A bug, not the feed's fault: keep the traceback, back the feed off, go on.
            log.exception("internal error while polling %s", feed.url)
            return await self._failed(feed, FeedError(feed.url, f"internal error: {exc!r}"))
        finally:
            self._polls -= 1

    async def _poll(self, feed: DueFeed) -> FeedOutcome:
        result = await self.fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )
        now = self.clock()
        if result.body is None:  # 304 Not Modified
            await self._unchanged(feed, result, now)
            log.debug("304 not modified: %s", feed.url)
            return FeedOutcome(feed.id, feed.url, "not_modified")
        body_hash = hashlib.blake2b(result.body, digest_size=16).hexdigest()
        if body_hash == feed.body_hash:
            await self._unchanged(feed, result, now)
            log.debug("unchanged body: %s", feed.url)
            return FeedOutcome(feed.id, feed.url, "unchanged")
        parsed = await self.compute(digest, result.body, result.final_url)
        next_at = schedule.after_success(
            now, feed.interval, self.settings.schedule, self.rng,
            ttl=parsed.ttl, max_age=result.max_age,
        )  # fmt: skip
        meta = FeedMeta(
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=body_hash,
            new_url=result.permanent_url,
            title=parsed.title,
            link=parsed.link,
            format=parsed.format,
            ttl=parsed.ttl,
        )
        saved = await self.write(self.store.save, feed.id, now, next_at, parsed.candidates, meta)
        if saved.new or saved.updated or saved.new_sources:
            log.info(
                "feed %s: %d entries, %d new, %d updated, %d also seen elsewhere",
                feed.url, len(parsed.candidates), saved.new, saved.updated, saved.new_sources,
            )  # fmt: skip
        if result.permanent_url:
            log.info("feed %s moved permanently to %s", feed.url, result.permanent_url)
        return FeedOutcome(feed.id, feed.url, "new", len(parsed.candidates), saved)

    async def _unchanged(self, feed: DueFeed, result: FetchResult, now: datetime) -> None:
        next_at = schedule.after_success(
            now, feed.interval, self.settings.schedule, self.rng,
            ttl=feed.ttl, max_age=result.max_age,
        )  # fmt: skip
        await self.write(
            self.store.record_unchanged, feed.id, now, next_at, status=result.status,
            etag=result.etag, last_modified=result.last_modified, new_url=result.permanent_url,
        )  # fmt: skip

    async def _failed(self, feed: DueFeed, exc: FeedError) -> FeedOutcome:
        now = self.clock()
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        gone = isinstance(exc, FetchError) and exc.gone
        status = exc.status if isinstance(exc, FetchError) else None
        next_at = schedule.after_error(
            now, feed.interval, feed.error_count + 1, self.settings.schedule, self.rng,
            retry_after=retry_after,
        )  # fmt: skip
        await self.write(
            self.store.record_error, feed.id, now, next_at, exc.problem, status=status, gone=gone
        )
        if gone:
            log.warning("feed %s is gone (410): disabled until `ingester feeds reset`", feed.url)
        else:
            log.warning(
                "feed %s failed (%d in a row): %s", feed.url, feed.error_count + 1, exc.problem
            )
        return FeedOutcome(feed.id, feed.url, "gone" if gone else "error", error=exc.problem)
