"""The database: feed state, articles, their sources, and full-text search.

``Store`` is the narrow, typed interface the rest of the program uses; ``SQLiteStore`` is its
SQLite implementation on sqlite-utils (WAL mode). A PostgreSQL store can stand beside it by
implementing the same Protocol. Nothing outside this module knows SQL or table names.

Every feed's results are written in one transaction, so a kill at any moment leaves either
all of a feed's poll or none of it, and the feed stays due until its poll is committed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from ..errors import QueryError, StorageError
from ..models import (
    Candidate,
    DueFeed,
    Extraction,
    FeedMeta,
    FeedSpec,
    FeedStatus,
    Keyword,
    Match,
    MatchTarget,
    OutboxEntry,
    PendingArticle,
    SaveReport,
    StoryLink,
    WatchPolicy,
)
from ..models import MatchReport as MatchReport
from .outbox import AlertRow as AlertRow
from .outbox import OutboxTables
from .outbox import WatchStats as WatchStats
from .schema import MIGRATIONS
from .stories import StoryArticle as StoryArticle
from .stories import StoryRow as StoryRow
from .stories import StoryTables

log = logging.getLogger(__name__)

PAUSED = (FeedStatus.GONE, FeedStatus.DISABLED, FeedStatus.REMOVED)
# A poll's outcome never overrides a config change made while it was in flight.
_UNLESS_PAUSED = "CASE WHEN status IN ('disabled', 'removed') THEN status ELSE {} END"
_OK_UNLESS_PAUSED = _UNLESS_PAUSED.format("'ok'")
_GIVEN_UNLESS_PAUSED = _UNLESS_PAUSED.format("?")


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A feed as ``feeds list`` shows it."""

    id: int
    url: str
    config_url: str
    name: str | None
    tags: tuple[str, ...]
    status: str
    error_count: int
    last_error: str | None
    last_fetch_at: str | None
    last_success_at: str | None
    next_fetch_at: str | None
    items: int


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Narrows a search: by feed (name or URL), feed tag, language, and date range (UTC)."""

    feed: str | None = None
    tag: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: int
    url: str | None
    title: str | None
    published: str | None
    first_seen: str
    feeds: tuple[str, ...]
    snippet: str
    rank: float
    lang: str | None = None


class Store(Protocol):
    """What the pipeline, daemon and CLI need from a database."""

    def sync_feeds(self, feeds: Sequence[FeedSpec], default_interval: float, now: datetime) -> None:
        """Make the feed table match the config: add, update, mark removed."""

    def due_feeds(self, now: datetime, limit: int) -> list[DueFeed]:
        """Enabled feeds whose ``next_fetch_at`` has come, oldest first."""

    def record_unchanged(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        *,
        status: int,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None,
    ) -> None:
        """A 304, or a 200 with the same body as last time."""

    def record_error(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        problem: str,
        *,
        status: int | None,
        gone: bool,
    ) -> None:
        """A failed poll: count it, keep the message, schedule the retry."""

    def save(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        candidates: Sequence[Candidate],
        meta: FeedMeta,
    ) -> SaveReport:
        """Store one feed's entries and its new state in one transaction."""

    def batch(self) -> AbstractContextManager[None]:
        """Group the writes made inside into one commit; each still all-or-nothing."""

    def index_pending(self) -> int:
        """Add the articles saved since the last call to the search index; how many."""

    def pending_extractions(self, now: datetime, limit: int) -> list[PendingArticle]:
        """Articles whose page is due to be fetched and extracted."""

    def save_extraction(
        self,
        article_id: int,
        now: datetime,
        extraction: Extraction,
        keywords: Sequence[Keyword],
        *,
        lang: str | None,
        retry_at: datetime | None,
    ) -> None:
        """Store an article's body, metadata and keywords (or its failure)."""

    def pending_matches(self, limit: int) -> list[MatchTarget]:
        """New and updated articles that are ready to be matched against the watches."""

    def save_matches(
        self,
        now: datetime,
        article_ids: Sequence[int],
        matches: Sequence[Match],
        policies: Mapping[str, WatchPolicy],
        stories: Sequence[StoryLink] = (),
    ) -> MatchReport:
        """Place articles in stories, record matches with their outbox rows, and mark the
        articles matched, at once."""

    def story_fingerprints(self, since: datetime) -> list[tuple[int, bytes, datetime]]:
        """(article id, fingerprint, first seen) of the articles first seen since ``since``."""

    def queued_watches(self) -> dict[str, datetime]:
        """Watches with matches waiting for a digest, and the oldest such match's time."""

    def make_digest(self, policy: WatchPolicy, now: datetime) -> int:
        """Turn a watch's queued matches into one alert per notifier."""

    def due_alerts(self, now: datetime | None, limit: int) -> list[OutboxEntry]:
        """Pending alerts due to be sent (all pending ones if ``now`` is None)."""

    def alert_sent(self, row: int, now: datetime) -> None: ...

    def alert_failed(
        self, row: int, now: datetime, problem: str, retry_at: datetime | None
    ) -> None: ...

    def hold_alert(self, row: int, problem: str) -> None: ...

    def gone_notifiers(self) -> dict[str, tuple[str, str | None]]: ...

    def notifier_gone(self, name: str, fingerprint: str, problem: str, now: datetime) -> None: ...

    def notifier_back(self, name: str) -> None: ...

    def feeds(self) -> list[FeedRow]: ...

    def search(
        self,
        query: str,
        limit: int,
        mark: tuple[str, str] = ("[", "]"),
        where: SearchFilter = SearchFilter(),
    ) -> list[SearchHit]: ...

    def counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, to the second: sorts as text, reads as a date in any tool."""
    if moment is None:
        return None
    m = moment.astimezone(UTC) if moment.utcoffset() else moment
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


# json.dumps with any option builds a new encoder on every call (about half of its cost).
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _json_list(values: Sequence[str]) -> str:
    return _encode_json(list(values)) if values else "[]"


PAGE_SIZE = 16_384  # for new databases; an existing file keeps its own
CACHE_KIB = 8_192  # page cache per connection (SQLite's default is 2 MB; 16 MB was 5 % quicker)


class SQLiteStore(OutboxTables, StoryTables):
    """``Store`` on a SQLite file in WAL mode."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                # A new file: 16 KB pages. An article row is a few KB, so at SQLite's default
                # 4 KB most pages hold one row, and a cold cycle of 30,000 articles spent a
                # quarter more of its store time writing four times as many pages to the WAL.
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self.db = sqlite_utils.Database(conn)
            self.db.enable_wal()
            # WAL + NORMAL: a commit survives a process kill; only a power loss may drop the
            # last commits, and never corrupts the file (https://sqlite.org/wal.html).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._transaction():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction around several writes; each write inside still stands alone.

        Writes made inside run in savepoints: one that fails is rolled back by itself and the
        others commit together. Fewer, larger commits write each index page to the WAL once
        per batch instead of once per feed.
        """
        with self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction, or a savepoint inside an open one; failures as StorageError."""
        conn = self.db.conn
        nested = conn.in_transaction
        begin, commit, rollback = (
            ("SAVEPOINT write", "RELEASE write", "ROLLBACK TO write")
            if nested
            else ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        )
        try:
            conn.execute(begin)
            try:
                yield
            except BaseException:
                conn.execute(rollback)
                if nested:
                    conn.execute(commit)  # a rolled-back savepoint still has to be released
                raise
            conn.execute(commit)
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from exc

    # -- feeds -------------------------------------------------------------------------------

    def sync_feeds(self, feeds: Sequence[FeedSpec], default_interval: float, now: datetime) -> None:
        stamp = iso(now)
        wanted = {spec.url: spec for spec in feeds}
        with self._transaction():
            rows = self.db.execute(
                "SELECT id, config_url, status, interval, next_fetch_at FROM feeds"
            )
            existing = {r[1]: r for r in rows.fetchall()}
            for url, spec in wanted.items():
                interval = spec.interval if spec.interval is not None else default_interval
                tags = json.dumps(list(spec.tags), ensure_ascii=False)
                row = existing.get(url)
                if row is None:
                    self.db.execute(
                        "INSERT INTO feeds (config_url, url, name, tags, interval, status,"
                        " next_fetch_at, created_at, extract) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            url,
                            url,
                            spec.name,
                            tags,
                            interval,
                            FeedStatus.NEW if spec.enabled else FeedStatus.DISABLED,
                            stamp,
                            stamp,
                            spec.extract,
                        ],
                    )
                    continue
                feed_id, _, status, old_interval, next_at = row
                if not spec.enabled:
                    status = FeedStatus.DISABLED
                elif status in (FeedStatus.DISABLED, FeedStatus.REMOVED):
                    status, next_at = FeedStatus.NEW, stamp
                if next_at and interval < old_interval:
                    # A shorter interval takes effect now, not after the old, longer wait.
                    soonest = iso(datetime.fromtimestamp(now.timestamp() + interval, UTC))
                    next_at = min(next_at, soonest or next_at)
                self.db.execute(
                    "UPDATE feeds SET name = ?, tags = ?, interval = ?, status = ?,"
                    " next_fetch_at = ?, extract = ? WHERE id = ?",
                    [spec.name, tags, interval, status, next_at, spec.extract, feed_id],
                )
            for url, row in existing.items():
                if url not in wanted and row[2] != FeedStatus.REMOVED:
                    self.db.execute(
                        "UPDATE feeds SET status = ? WHERE id = ?", [FeedStatus.REMOVED, row[0]]
                    )

    def due_feeds(self, now: datetime, limit: int) -> list[DueFeed]:
        rows = self.db.execute(
            "SELECT id, url, etag, last_modified, body_hash, interval, error_count, ttl FROM feeds"
            " WHERE status NOT IN (?, ?, ?) AND (next_fetch_at IS NULL OR next_fetch_at <= ?)"
            " ORDER BY next_fetch_at LIMIT ?",
            [*PAUSED, iso(now), limit],
        ).fetchall()
        return [DueFeed(*row) for row in rows]

    def make_all_due(self, now: datetime) -> None:
        """Make every enabled feed due now (``run --once --all``)."""
        with self._transaction():
            self.db.execute(
                "UPDATE feeds SET next_fetch_at = ? WHERE status NOT IN (?, ?, ?)",
                [iso(now), *PAUSED],
            )

    def reset_feed(self, ident: str, now: datetime) -> int:
        """Clear a feed's errors and make it due now (also brings back a 410 Gone feed)."""
        with self._transaction():
            cursor = self.db.execute(
                "UPDATE feeds SET status = CASE WHEN status = 'removed' THEN status ELSE 'new' END,"
                " error_count = 0, last_error = NULL, next_fetch_at = ?, etag = NULL,"
                " last_modified = NULL, body_hash = NULL"
                " WHERE config_url = ? OR url = ? OR name = ? OR CAST(id AS TEXT) = ?",
                [iso(now), ident, ident, ident, ident],
            )
            return int(cursor.rowcount)

    def record_unchanged(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        *,
        status: int,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None,
    ) -> None:
        stamp = iso(now)
        with self._transaction():
            self.db.execute(
                f"UPDATE feeds SET status = {_OK_UNLESS_PAUSED}, error_count = 0,"
                " last_error = NULL, last_fetch_at = ?, last_success_at = ?, next_fetch_at = ?,"
                " last_status = ?, etag = COALESCE(?, etag),"
                " last_modified = COALESCE(?, last_modified), url = COALESCE(?, url) WHERE id = ?",
                [stamp, stamp, iso(next_at), status, etag, last_modified, new_url, feed_id],
            )

    def record_error(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        problem: str,
        *,
        status: int | None,
        gone: bool,
    ) -> None:
        with self._transaction():
            self.db.execute(
                f"UPDATE feeds SET status = {_GIVEN_UNLESS_PAUSED},"
                " error_count = error_count + 1, last_error = ?,"
                " last_status = ?, last_fetch_at = ?, next_fetch_at = ? WHERE id = ?",
                [
                    FeedStatus.GONE if gone else FeedStatus.ERROR,
                    problem[:1000],
                    status,
                    iso(now),
                    iso(next_at),
                    feed_id,
                ],
            )

    # -- articles ----------------------------------------------------------------------------

    def save(
        self,
        feed_id: int,
        now: datetime,
        next_at: datetime,
        candidates: Sequence[Candidate],
        meta: FeedMeta,
    ) -> SaveReport:
        stamp = iso(now)
        updated = unchanged = new_sources = 0
        touched: list[int] = []
        new_rows: list[tuple[object, ...]] = []
        source_rows: list[tuple[object, ...]] = []
        execute = self.db.conn.execute
        with self._transaction():
            known = {
                key: (article_id, old_hash, old_link)
                for key, article_id, old_hash, old_link in execute(
                    "SELECT entry_key, article_id, content_hash, link FROM article_sources"
                    " WHERE feed_id = ?",
                    (feed_id,),
                )
            }
            extract = bool(
                execute("SELECT extract FROM feeds WHERE id = ?", (feed_id,)).fetchone()[0]
            )
            page_state = "pending" if extract else "skipped"
            by_url = self._articles_by_url([c.url for c in candidates if c.url])
            # The write lock makes this the only writer, so ids from here on are ours to give;
            # that lets new rows go in with one executemany instead of a statement each.
            first_new = next_id = execute(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM articles"
            ).fetchone()[0]
            for c in candidates:
                seen = known.get(c.entry_key)
                if seen is not None:
                    article_id, old_hash, old_link = seen
                    if old_hash == c.content_hash:
                        unchanged += 1
                        continue
                    self._update_article(article_id, c, stamp)
                    if extract and c.url and c.link != old_link:
                        self._requeue_extraction(article_id)
                    execute(
                        "UPDATE article_sources SET content_hash = ?, link = ?, last_seen = ?"
                        " WHERE feed_id = ? AND entry_key = ?",
                        (c.content_hash, c.link, stamp, feed_id, c.entry_key),
                    )
                    updated += 1
                    touched.append(article_id)
                    continue
                existing = by_url.get(c.url) if c.url else None
                if existing is not None:
                    article_id = existing
                    new_sources += 1
                    # A new source can bring the article into a watch's feed or tag scope.
                    execute(
                        "UPDATE articles SET match_status = 'pending' WHERE id = ?", (article_id,)
                    )
                else:
                    article_id, next_id = next_id, next_id + 1
                    state = page_state if c.url else "skipped"
                    new_rows.append((*self._article_row(article_id, c, stamp), state, stamp))
                    if c.url:
                        by_url[c.url] = article_id
                    touched.append(article_id)
                source_rows.append(
                    (feed_id, c.entry_key, article_id, c.link, c.content_hash, stamp, stamp)
                )
            if new_rows:
                self.db.conn.executemany(
                    "INSERT INTO articles (id, url, title, summary, content, author, published,"
                    " updated, tags, first_seen, extract_status, extract_next_at, match_status)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                    new_rows,
                )
                # Searchable from the next index_pending(), in bulk with the other feeds'.
                execute(
                    "INSERT INTO search_pending (article_id) SELECT id FROM articles WHERE id >= ?",
                    (first_new,),
                )
            if source_rows:
                self.db.conn.executemany(
                    "INSERT INTO article_sources (feed_id, entry_key, article_id, link,"
                    " content_hash, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    source_rows,
                )
            execute(
                f"UPDATE feeds SET status = {_OK_UNLESS_PAUSED}, error_count = 0,"
                " last_error = NULL,"
                " last_fetch_at = ?, last_success_at = ?, next_fetch_at = ?, last_status = 200,"
                " etag = ?, last_modified = ?, body_hash = ?, url = COALESCE(?, url),"
                " title = COALESCE(?, title), link = COALESCE(?, link), format = ?, ttl = ?"
                " WHERE id = ?",
                (
                    stamp, stamp, iso(next_at), meta.etag, meta.last_modified, meta.body_hash,
                    meta.new_url, meta.title, meta.link, meta.format, meta.ttl, feed_id,
                ),
            )  # fmt: skip
        return SaveReport(len(new_rows), updated, unchanged, new_sources, tuple(touched))

    def index_pending(self) -> int:
        """Put the articles saved since the last call into the search index, in one go."""
        execute = self.db.conn.execute
        with self._transaction():
            added: int = execute(
                "INSERT INTO articles_fts (rowid, title, summary, body, keywords)"
                " SELECT a.id, a.title, a.summary, a.body, a.keywords"
                " FROM search_pending p JOIN articles a ON a.id = p.article_id"
            ).rowcount
            execute("DELETE FROM search_pending")
        return added

    def _articles_by_url(self, urls: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(urls), 500):  # stay under SQLite's bound-parameter limit
            chunk = urls[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, url in self.db.conn.execute(
                f"SELECT id, url FROM articles WHERE url IN ({marks})", chunk
            ):
                found[url] = article_id
        return found

    @staticmethod
    def _article_row(article_id: int, c: Candidate, stamp: str | None) -> tuple[object, ...]:
        return (
            article_id, c.url, c.title, c.summary, c.content, c.author, iso(c.published),
            iso(c.updated), _json_list(c.tags), stamp,
        )  # fmt: skip

    def _requeue_extraction(self, article_id: int) -> None:
        """The link changed: the page is fetched again (from scratch, attempts reset)."""
        self.db.conn.execute(
            "UPDATE articles SET extract_status = 'pending', extract_attempts = 0,"
            " extract_next_at = NULL, extract_error = NULL WHERE id = ?",
            (article_id,),
        )

    # -- article pages -----------------------------------------------------------------------

    def pending_extractions(self, now: datetime, limit: int) -> list[PendingArticle]:
        """Articles whose page is due to be fetched and extracted, oldest first."""
        rows = self.db.execute(
            "SELECT id, url, COALESCE(content, summary), extract_attempts FROM articles"
            " WHERE extract_status = 'pending' AND url IS NOT NULL"
            " AND (extract_next_at IS NULL OR extract_next_at <= ?)"
            " ORDER BY extract_next_at, id LIMIT ?",
            [iso(now), limit],
        ).fetchall()
        return [PendingArticle(*row) for row in rows]

    def save_extraction(
        self,
        article_id: int,
        now: datetime,
        extraction: Extraction,
        keywords: Sequence[Keyword],
        *,
        lang: str | None,
        retry_at: datetime | None,
    ) -> None:
        """Store what an article's page gave; ``retry_at`` keeps it pending for another try."""
        words = [k.text for k in keywords] + [a for k in keywords for a in k.aliases]
        status = "pending" if retry_at is not None else (
            "done" if extraction.problem is None else "failed"
        )  # fmt: skip
        with self._transaction():
            self.db.conn.execute(
                "UPDATE articles SET body = ?, page_title = ?, page_author = ?,"
                " page_published = ?, lang = ?, keywords = ?, extract_method = ?,"
                " extract_status = ?, extract_error = ?, extract_next_at = ?,"
                " extract_attempts = extract_attempts + 1, extracted_at = ?,"
                " match_status = 'pending' WHERE id = ?",
                (
                    extraction.body, extraction.title, extraction.author,
                    iso(extraction.published), lang, " ".join(words) or None,
                    extraction.method, status, extraction.problem, iso(retry_at), iso(now),
                    article_id,
                ),
            )  # fmt: skip
            self.db.conn.execute("DELETE FROM article_keywords WHERE article_id = ?", (article_id,))
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO article_keywords (article_id, text, kind, score, aliases)"
                " VALUES (?, ?, ?, ?, ?)",
                [(article_id, k.text, k.kind, k.score, _json_list(k.aliases)) for k in keywords],
            )

    def _update_article(self, article_id: int, c: Candidate, stamp: str | None) -> None:
        self.db.conn.execute(
            "UPDATE articles SET title = ?, summary = ?, content = ?, author = ?, published = ?,"
            " updated = ?, tags = ?, updated_at = ?, revision = revision + 1,"
            " match_status = 'pending' WHERE id = ?",
            (
                c.title,
                c.summary,
                c.content,
                c.author,
                iso(c.published),
                iso(c.updated),
                _json_list(c.tags),
                stamp,
                article_id,
            ),
        )

    # -- reading -----------------------------------------------------------------------------

    def feeds(self) -> list[FeedRow]:
        rows = self.db.execute(
            "SELECT f.id, f.url, f.config_url, f.name, f.tags, f.status, f.error_count,"
            " f.last_error, f.last_fetch_at, f.last_success_at, f.next_fetch_at,"
            " (SELECT COUNT(*) FROM article_sources s WHERE s.feed_id = f.id)"
            " FROM feeds f ORDER BY f.status = 'removed', COALESCE(f.name, f.url)"
        ).fetchall()
        return [FeedRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:]) for r in rows]

    def search(
        self,
        query: str,
        limit: int,
        mark: tuple[str, str] = ("[", "]"),
        where: SearchFilter = SearchFilter(),
    ) -> list[SearchHit]:
        """FTS5 search, best first; ``mark`` brackets the matched words in the snippet.

        Articles saved since the daemon last indexed are indexed first, so that a search
        finds everything stored; if that cannot be written now, the search still runs.
        """
        try:
            self.index_pending()
        except StorageError as exc:
            log.warning("searching without the newest articles: %s", exc)
        clauses, params = ["articles_fts MATCH ?"], [query]
        source = (
            "EXISTS (SELECT 1 FROM article_sources s JOIN feeds f ON f.id = s.feed_id"
            " WHERE s.article_id = a.id AND {})"
        )
        if where.feed:
            clauses.append(source.format("(f.name = ? OR f.url = ? OR f.config_url = ?)"))
            params += [where.feed] * 3
        if where.tag:
            clauses.append(
                source.format("EXISTS (SELECT 1 FROM json_each(f.tags) WHERE lower(value) = ?)")
            )
            params.append(where.tag.lower())
        if where.lang:
            clauses.append("a.lang = ?")
            params.append(where.lang.lower())
        if where.since:
            clauses.append("COALESCE(a.published, a.first_seen) >= ?")
            params.append(iso(where.since) or "")
        if where.until:
            clauses.append("COALESCE(a.published, a.first_seen) <= ?")
            params.append(iso(where.until) or "")
        sql = (
            "SELECT a.id, a.url, a.title, a.published, a.first_seen,"
            " (SELECT group_concat(COALESCE(f.name, f.url), '\x1f') FROM article_sources s"
            "  JOIN feeds f ON f.id = s.feed_id WHERE s.article_id = a.id),"
            " snippet(articles_fts, -1, ?, ?, '…', 16), articles_fts.rank, a.lang"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE {' AND '.join(clauses)} ORDER BY articles_fts.rank LIMIT ?"
        )
        try:
            rows = self.db.execute(sql, [mark[0], mark[1], *params, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            raise QueryError(query, str(exc)) from None
        return [
            SearchHit(
                r[0], r[1], r[2], r[3], r[4], tuple((r[5] or "").split("\x1f")), r[6], r[7], r[8]
            )
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        def one(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return {
            "feeds": one("SELECT COUNT(*) FROM feeds WHERE status != 'removed'"),
            "articles": one("SELECT COUNT(*) FROM articles"),
            "sources": one("SELECT COUNT(*) FROM article_sources"),
        }

    def integrity(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only query for tests and tools."""
        return [tuple(r) for r in self.db.execute(sql, list(params)).fetchall()]

    def close(self) -> None:
        self.db.conn.close()
