"""The SQLite store on a real database file: schema, feed sync, due feeds, save, search."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ingester import store as store_module
from ingester.errors import QueryError, StorageError
from ingester.models import Candidate, FeedSpec, FeedStatus
from ingester.store import FeedMeta, SQLiteStore

FEEDS_COLUMNS = {
    "id", "config_url", "url", "name", "tags", "interval", "status", "etag", "last_modified",
    "body_hash", "title", "link", "format", "ttl", "next_fetch_at", "last_fetch_at",
    "last_success_at", "last_status", "error_count", "last_error", "created_at", "extract",
}  # fmt: skip
ARTICLES_COLUMNS = {
    "id", "url", "title", "summary", "content", "author", "published", "updated", "tags",
    "first_seen", "updated_at", "revision",
    # migration 2: article pages
    "body", "page_title", "page_author", "page_published", "lang", "keywords",
    "extract_status", "extract_method", "extract_attempts", "extract_error", "extract_next_at",
    "extracted_at",
    # migration 3: watches
    "match_status",
    # migration 4: stories
    "story_id", "fingerprint",
}  # fmt: skip
MATCHES_COLUMNS = {"id", "watch", "article_id", "matched_at", "hits", "state", "story_id"}
STORIES_COLUMNS = {"id", "title", "first_seen", "last_seen", "articles"}
ALERTS_COLUMNS = {
    "id", "key", "watch", "notifier", "kind", "event", "status", "attempts", "next_attempt_at",
    "last_error", "created_at", "sent_at", "thread_of",
}  # fmt: skip
KEYWORDS_COLUMNS = {"article_id", "text", "kind", "score", "aliases"}
SOURCES_COLUMNS = {
    "feed_id", "entry_key", "article_id", "link", "content_hash", "first_seen", "last_seen",
}  # fmt: skip

A = "https://feeds.example.org/a.xml"
B = "https://feeds.example.org/b.xml"
C = "https://feeds.example.org/c.xml"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(db_path)
    yield opened
    opened.close()


def candidate(
    key: str,
    url: str | None,
    title: str = "A title",
    summary: str = "",
    *,
    content_hash: str | None = "",
) -> Candidate:
    if content_hash == "":
        content_hash = hashlib.sha1(f"{url}{title}{summary}".encode()).hexdigest()
    return Candidate(
        entry_key=key,
        url=url,
        link=url,
        title=title,
        summary=summary,
        content=None,
        author=None,
        published=None,
        updated=None,
        tags=(),
        content_hash=content_hash,  # type: ignore[arg-type]
    )


def meta(body: str = "body") -> FeedMeta:
    return FeedMeta(
        etag='"v1"',
        last_modified=None,
        body_hash=hashlib.sha1(body.encode()).hexdigest(),
        new_url=None,
        title="Feed",
        link="https://example.org/",
        format="rss20",
        ttl=None,
    )


def feed_ids(store: SQLiteStore) -> dict[str, int]:
    return {url: fid for fid, url in store.rows("SELECT id, config_url FROM feeds")}


def feed_row(store: SQLiteStore, url: str) -> dict[str, object]:
    rows = store.db.execute("SELECT * FROM feeds WHERE config_url = ?", [url])
    names = [d[0] for d in rows.description]
    return dict(zip(names, rows.fetchone(), strict=True))


# -- schema --------------------------------------------------------------------------------------


def columns(db_path: Path, table: str) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_migrations_create_the_documented_schema(store: SQLiteStore, db_path: Path) -> None:
    assert columns(db_path, "feeds") == FEEDS_COLUMNS
    assert columns(db_path, "articles") == ARTICLES_COLUMNS
    assert columns(db_path, "article_sources") == SOURCES_COLUMNS
    assert columns(db_path, "article_keywords") == KEYWORDS_COLUMNS
    assert columns(db_path, "matches") == MATCHES_COLUMNS
    assert columns(db_path, "alerts") == ALERTS_COLUMNS
    assert columns(db_path, "alert_matches") == {"alert_id", "match_id"}
    assert columns(db_path, "stories") == STORIES_COLUMNS
    assert columns(db_path, "notifiers") == {
        "name", "status", "fingerprint", "last_error", "changed_at",
    }  # fmt: skip
    conn = sqlite3.connect(db_path)
    try:
        fts_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")
        assert "fts5" in fts_sql.fetchone()[0].lower()
        assert columns(db_path, "articles_fts") == {"title", "summary", "body", "keywords"}
        assert columns(db_path, "search_pending") == {"article_id"}
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert store.schema_version == 6


OLD_ARTICLE = (
    "INSERT INTO articles (id, url, title, first_seen) VALUES (1, ?, ?, ?)",
    ["https://news.example.org/1", "Toqaev speaks", "2026-11-01T12:00:00Z"],
)


def write_at_version(
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    *statements: tuple[str, list[str]],
) -> None:
    """Rows written as schema version ``version`` wrote them, in one commit."""
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:version])
        old = SQLiteStore(db_path)
        assert old.schema_version == version
        with old.batch():
            for sql, params in statements:
                old.db.execute(sql, params)
        old.close()


def test_migration_2_keeps_version_1_data_searchable(
    db_path: Path, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_at_version(
        db_path, monkeypatch, 1,
        ("INSERT INTO feeds (config_url, url, interval, created_at) VALUES (?, ?, 900, ?)",
         [A, A, "2026-11-01T12:00:00Z"]),
        OLD_ARTICLE,
        ("INSERT INTO articles_fts (rowid, title, summary) VALUES (1, 'Toqaev speaks', '')", []),
    )  # fmt: skip
    new = SQLiteStore(db_path)
    try:
        assert new.schema_version == len(store_module.MIGRATIONS)
        assert [h.title for h in new.search("Toqaev", 5)] == ["Toqaev speaks"]
        # Articles stored before pages existed are not queued for a page fetch, and those
        # stored before watches existed do not alert on the whole archive.
        assert new.rows("SELECT extract_status, match_status FROM articles") == [
            ("skipped", "done")
        ]
    finally:
        new.close()


def test_reopening_does_not_rerun_migrations(
    db_path: Path, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SQLiteStore(db_path)
    first.sync_feeds([FeedSpec(A)], 900, clock())
    first.close()

    def must_not_run(db: object) -> None:
        raise AssertionError("migration 1 ran again on an up-to-date database")

    runs: list[int] = []
    monkeypatch.setattr(
        store_module,
        "MIGRATIONS",
        (*[must_not_run] * 6, lambda db: runs.append(7)),
    )
    second = SQLiteStore(db_path)  # runs only the new migration 7
    second.close()
    third = SQLiteStore(db_path)  # runs nothing
    try:
        assert runs == [7]
        assert third.schema_version == 7
        assert third.rows("SELECT config_url FROM feeds") == [(A,)]
    finally:
        third.close()


def test_failed_migration_leaves_the_version_alone(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SQLiteStore(db_path).close()

    def broken(db: object) -> None:
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, broken))
    with pytest.raises(StorageError, match="boom"):
        SQLiteStore(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS) - 1


# -- sync_feeds ----------------------------------------------------------------------------------


def test_sync_adds_feeds_due_now(store: SQLiteStore, clock) -> None:
    store.sync_feeds(
        [FeedSpec(A, name="Alpha", tags=("news", "kz")), FeedSpec(B, interval=60)], 900, clock()
    )
    a, b = feed_row(store, A), feed_row(store, B)
    assert (a["url"], a["name"], a["tags"], a["interval"]) == (A, "Alpha", '["news", "kz"]', 900)
    assert (b["name"], b["tags"], b["interval"]) == (None, "[]", 60)
    for row in (a, b):
        assert row["status"] == FeedStatus.NEW
        assert row["next_fetch_at"] == "2026-11-01T12:00:00Z"
        assert row["error_count"] == 0
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A, B]


def test_sync_updates_name_tags_and_interval(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A, name="Old", tags=("x",))], 900, clock())
    store.sync_feeds([FeedSpec(A, name="New", tags=("y", "z"), interval=1800)], 900, clock())
    row = feed_row(store, A)
    assert (row["name"], row["tags"], row["interval"]) == ("New", '["y", "z"]', 1800)
    assert store.rows("SELECT COUNT(*) FROM feeds") == [(1,)]


def test_sync_marks_missing_feeds_removed_and_keeps_their_articles(
    store: SQLiteStore, clock
) -> None:
    store.sync_feeds([FeedSpec(A), FeedSpec(B)], 900, clock())
    ids = feed_ids(store)
    store.save(ids[B], clock(), clock(), [candidate("id:1", "https://x.org/1")], meta())

    store.sync_feeds([FeedSpec(A)], 900, clock())
    assert feed_row(store, B)["status"] == FeedStatus.REMOVED
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A]
    assert store.counts() == {"feeds": 1, "articles": 1, "sources": 1}


def test_sync_brings_back_a_removed_feed_due_now(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    store.sync_feeds([], 900, clock())
    clock.advance(3600)
    store.sync_feeds([FeedSpec(A)], 900, clock())
    row = feed_row(store, A)
    assert row["status"] == FeedStatus.NEW
    assert row["next_fetch_at"] == "2026-11-01T13:00:00Z"
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A]


def test_sync_disables_and_reenables(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A), FeedSpec(B, enabled=False)], 900, clock())
    assert feed_row(store, B)["status"] == FeedStatus.DISABLED
    store.sync_feeds([FeedSpec(A, enabled=False), FeedSpec(B)], 900, clock())
    assert feed_row(store, A)["status"] == FeedStatus.DISABLED
    assert feed_row(store, B)["status"] == FeedStatus.NEW
    assert [f.url for f in store.due_feeds(clock(), 10)] == [B]


def test_shorter_interval_takes_effect_now(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A), FeedSpec(B)], 3600, clock())
    ids = feed_ids(store)
    for url in (A, B):  # both polled: next poll in an hour
        store.record_unchanged(
            ids[url], clock(), clock() + timedelta(hours=1), status=304, etag=None,
            last_modified=None,
            new_url=None,
        )  # fmt: skip
    clock.advance(60)
    store.sync_feeds([FeedSpec(A, interval=300), FeedSpec(B, interval=7200)], 3600, clock())
    assert feed_row(store, A)["next_fetch_at"] == "2026-11-01T12:06:00Z"  # now + 5 min
    assert feed_row(store, B)["next_fetch_at"] == "2026-11-01T13:00:00Z"  # longer: unchanged
    clock.advance(300)
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A]


# -- due_feeds -----------------------------------------------------------------------------------


def test_due_feeds_oldest_first_with_limit(store: SQLiteStore, clock) -> None:
    urls = [f"https://feeds.example.org/{n}.xml" for n in range(4)]
    store.sync_feeds([FeedSpec(u) for u in urls], 900, clock())
    ids = feed_ids(store)
    start = clock()
    # Schedule them in an order unlike their ids: 2, 0, 3 due; 1 in the future.
    for url, offset in zip(urls, (20, 500, 10, 30), strict=True):
        store.record_unchanged(
            ids[url], start, start + timedelta(seconds=offset), status=304, etag=None,
            last_modified=None,
            new_url=None,
        )  # fmt: skip
    clock.advance(30)
    assert [f.url for f in store.due_feeds(clock(), 10)] == [urls[2], urls[0], urls[3]]
    assert [f.url for f in store.due_feeds(clock(), 2)] == [urls[2], urls[0]]
    clock.advance(-20)
    assert [f.url for f in store.due_feeds(clock(), 10)] == [urls[2]]


def test_due_feeds_skip_gone_disabled_and_removed_but_retry_errors(
    store: SQLiteStore, clock
) -> None:
    store.sync_feeds([FeedSpec(A), FeedSpec(B), FeedSpec(C), FeedSpec(D := A + "?d")], 900, clock())
    ids = feed_ids(store)
    now = clock()
    store.record_error(ids[A], now, now, "HTTP 410 Gone", status=410, gone=True)
    store.record_error(ids[B], now, now, "HTTP 500", status=500, gone=False)
    store.sync_feeds([FeedSpec(A), FeedSpec(B), FeedSpec(C, enabled=False)], 900, now)  # D removed
    due = store.due_feeds(clock(), 10)
    assert [f.url for f in due] == [B]
    assert due[0].error_count == 1
    assert {feed_row(store, u)["status"] for u in (A, C, D)} == {"gone", "disabled", "removed"}


# -- save ----------------------------------------------------------------------------------------


def test_save_stores_articles_sources_and_feed_state(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    next_at = clock() + timedelta(minutes=15)
    report = store.save(
        fid, clock(), next_at,
        [candidate("id:1", "https://x.org/1"), candidate("id:2", "https://x.org/2")], meta(),
    )  # fmt: skip
    assert (report.new, report.updated, report.unchanged) == (2, 0, 0)
    row = feed_row(store, A)
    assert row["status"] == "ok"
    assert row["etag"] == '"v1"'
    assert row["last_success_at"] == "2026-11-01T12:00:00Z"
    assert row["next_fetch_at"] == "2026-11-01T12:15:00Z"
    assert store.counts() == {"feeds": 1, "articles": 2, "sources": 2}
    assert store.due_feeds(clock(), 10) == []


def test_save_is_all_or_nothing(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    good = [candidate("id:1", "https://x.org/1", "Uranium prices"), candidate("id:2", None)]
    # The third candidate inserts its article, then its source row breaks NOT NULL.
    bad = candidate("id:3", "https://x.org/3", "Steppe", content_hash=None)
    with pytest.raises((sqlite3.IntegrityError, StorageError)):
        store.save(fid, clock(), clock() + timedelta(hours=1), [*good, bad], meta())
    assert store.counts()["articles"] == 0
    assert store.counts()["sources"] == 0
    assert store.search("uranium OR steppe", 10) == []
    row = feed_row(store, A)
    assert (row["status"], row["etag"], row["body_hash"], row["last_success_at"]) == (
        "new",
        None,
        None,
        None,
    )
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A]
    # The connection is usable afterwards: no transaction was left open.
    report = store.save(fid, clock(), clock() + timedelta(hours=1), good, meta())
    assert report.new == 2


def test_save_rolls_back_a_failure_after_the_last_article(
    store: SQLiteStore, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "one")], meta("v1"))
    before = store.rows("SELECT * FROM articles"), store.rows("SELECT * FROM article_sources")
    feed_before = feed_row(store, A)

    # Two candidates with the same key break article_sources' primary key on the second.
    twins = [
        candidate("id:1", "https://x.org/1", "one, edited"),
        candidate("id:2", "https://x.org/2"),
        candidate("id:2", "https://x.org/2b"),
    ]
    with pytest.raises((sqlite3.IntegrityError, StorageError)):
        store.save(fid, clock(), clock() + timedelta(hours=1), twins, meta("v2"))
    after = store.rows("SELECT * FROM articles"), store.rows("SELECT * FROM article_sources")
    assert after == before
    assert feed_row(store, A) == feed_before
    assert [f.url for f in store.due_feeds(clock(), 10)] == [A]


def test_save_updates_changed_entries_in_place(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    first = store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Old")], meta())
    clock.advance(600)
    again = store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Old")], meta())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    edited = store.save(
        fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "New")], meta()
    )
    assert (edited.new, edited.updated, edited.article_ids) == (0, 1, first.article_ids)
    assert store.rows("SELECT id, title, revision, first_seen, updated_at FROM articles") == [
        (first.article_ids[0], "New", 2, "2026-11-01T12:00:00Z", "2026-11-01T12:10:00Z")
    ]
    assert [h.title for h in store.search("new", 10)] == ["New"]
    assert store.search("old", 10) == []


def test_save_joins_the_same_url_from_two_feeds(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A, name="Alpha"), FeedSpec(B, name="Beta")], 900, clock())
    ids = feed_ids(store)
    url = "https://x.org/story"
    first = store.save(ids[A], clock(), clock(), [candidate("id:a-1", url, "Story")], meta())
    second = store.save(ids[B], clock(), clock(), [candidate("id:b-9", url, "Story")], meta())
    assert (first.new, second.new, second.new_sources) == (1, 0, 1)
    assert store.counts()["articles"] == 1
    assert sorted(store.rows("SELECT feed_id, entry_key FROM article_sources")) == [
        (ids[A], "id:a-1"),
        (ids[B], "id:b-9"),
    ]
    assert sorted(store.search("story", 10)[0].feeds) == ["Alpha", "Beta"]


# -- the search index ----------------------------------------------------------------------------


def fts_rows(store: SQLiteStore) -> int:
    """Articles in the index (counting articles_fts itself would read the articles table)."""
    return int(store.rows("SELECT COUNT(*) FROM articles_fts_docsize")[0][0])


def pending(store: SQLiteStore) -> list[int]:
    return [r[0] for r in store.rows("SELECT article_id FROM search_pending ORDER BY 1")]


def index_matches_articles(store: SQLiteStore) -> None:
    """FTS5's own check, rank 1: the index holds exactly the articles' current text."""
    store.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


def test_new_articles_are_indexed_in_bulk(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A), FeedSpec(B)], 900, clock())
    ids = feed_ids(store)
    first = store.save(ids[A], clock(), clock(), [candidate("id:1", "https://x.org/1")], meta())
    second = store.save(
        ids[B], clock(), clock(),
        [candidate("id:2", "https://x.org/2"), candidate("id:3", "https://x.org/3")], meta(),
    )  # fmt: skip
    assert fts_rows(store) == 0
    assert pending(store) == sorted(first.article_ids + second.article_ids)
    with pytest.raises(sqlite3.DatabaseError):  # not yet: the index lags the articles
        index_matches_articles(store)
    assert store.index_pending() == 3
    assert (fts_rows(store), pending(store)) == (3, [])
    index_matches_articles(store)
    assert store.index_pending() == 0


def test_search_indexes_what_is_pending_first(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    store.save(feed_ids(store)[A], clock(), clock(), [candidate("id:1", "https://x.org/1",
               "Toqaev meets CSTO envoys")], meta())  # fmt: skip
    assert [h.url for h in store.search("csto", 10)] == ["https://x.org/1"]
    assert pending(store) == []


def test_an_article_edited_while_pending_is_indexed_with_its_latest_text(
    store: SQLiteStore, clock
) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Draft")], meta())
    store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Final")], meta())
    assert fts_rows(store) == 0  # the update left the index alone: nothing to delete there
    store.index_pending()
    index_matches_articles(store)
    assert [h.title for h in store.search("final", 10)] == ["Final"]
    assert store.search("draft", 10) == []


def test_an_indexed_article_edited_is_reindexed_at_once(store: SQLiteStore, clock) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Draft")], meta())
    store.index_pending()
    store.save(fid, clock(), clock(), [candidate("id:1", "https://x.org/1", "Final")], meta())
    assert pending(store) == []
    index_matches_articles(store)  # the trigger replaced the row without an index_pending()
    assert [h.title for h in store.search("final", 10)] == ["Final"]


def test_deleting_indexed_and_pending_articles_keeps_the_index_whole(
    store: SQLiteStore, clock
) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    kept, gone = candidate("id:1", "https://x.org/1", "Kept"), candidate("id:2", "https://x.org/2")
    old = store.save(fid, clock(), clock(), [kept, gone._replace(title="Gone")], meta())
    store.index_pending()
    new = store.save(fid, clock(), clock(), [candidate("id:3", "https://x.org/3", "Fresh")], meta())
    with store.batch():  # as a merged re-issue goes: an indexed row and a pending one
        for article_id in (old.article_ids[1], new.article_ids[0]):
            store.db.execute("DELETE FROM article_sources WHERE article_id = ?", [article_id])
            store.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
    assert pending(store) == []
    index_matches_articles(store)
    assert [h.title for h in store.search("kept OR gone OR fresh", 10)] == ["Kept"]


def test_migration_5_keeps_an_indexed_archive_in_step(
    db_path: Path, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An article as version 4 stored it: indexed in its own commit.
    write_at_version(
        db_path, monkeypatch, 4,
        OLD_ARTICLE, ("INSERT INTO articles_fts (rowid, title) VALUES (1, 'Toqaev speaks')", []),
    )  # fmt: skip
    new = SQLiteStore(db_path)
    try:
        assert new.schema_version == len(store_module.MIGRATIONS)
        assert pending(new) == []
        new.db.execute("UPDATE articles SET title = 'Toqaev replies' WHERE id = 1")
        index_matches_articles(new)
        assert [h.title for h in new.search("replies", 5)] == ["Toqaev replies"]
    finally:
        new.close()


def test_page_queue_and_language_indexes_hold_only_the_rows_asked_for(
    store: SQLiteStore, clock
) -> None:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    store.save(feed_ids(store)[A], clock(), clock(), [candidate("id:1", "https://x.org/1")],
               meta())  # fmt: skip
    store.db.execute("UPDATE feeds SET extract = 0")
    store.save(feed_ids(store)[A], clock(), clock(), [candidate("id:2", "https://x.org/2")],
               meta())  # fmt: skip
    # One article waits for its page, one never will; neither has a language yet.
    assert store.rows("SELECT COUNT(*) FROM articles INDEXED BY articles_extract_due"
                      " WHERE extract_status = 'pending'") == [(1,)]  # fmt: skip
    assert store.rows("SELECT COUNT(*) FROM articles INDEXED BY articles_lang"
                      " WHERE lang IS NOT NULL") == [(0,)]  # fmt: skip
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        assert [a.url for a in store.pending_extractions(clock(), 10)] == ["https://x.org/1"]
    finally:
        store.db.conn.set_trace_callback(None)
    plan = store.rows(f"EXPLAIN QUERY PLAN {statements[-1]}")
    assert "USING INDEX articles_extract_due" in " ".join(str(step[-1]) for step in plan)


# -- search --------------------------------------------------------------------------------------


@pytest.fixture
def searchable(store: SQLiteStore, clock) -> SQLiteStore:
    store.sync_feeds([FeedSpec(A)], 900, clock())
    fid = feed_ids(store)[A]
    store.save(
        fid, clock(), clock(),
        [
            candidate("id:1", "https://x.org/1", "Uranium output rises in Kazakhstan",
                      "Kazatomprom reported higher production."),
            candidate("id:2", "https://x.org/2", "Wheat harvest",
                      "Farmers near Kostanay expect a record grain harvest this autumn."),
        ],
        meta(),
    )  # fmt: skip
    return store


def test_search_finds_words_in_title(searchable: SQLiteStore) -> None:
    hits = searchable.search("uranium", 10)
    assert [h.url for h in hits] == ["https://x.org/1"]
    assert hits[0].feeds == (A,)


def test_search_finds_words_in_summary_and_marks_them(searchable: SQLiteStore) -> None:
    hits = searchable.search("kostanay", 10, mark=("<<", ">>"))
    assert [h.title for h in hits] == ["Wheat harvest"]
    assert "<<Kostanay>>" in hits[0].snippet
    assert searchable.search("kostanay", 10)[0].snippet.count("[Kostanay]") == 1


def test_search_without_matches_is_empty(searchable: SQLiteStore) -> None:
    assert searchable.search("bitcoin", 10) == []


@pytest.mark.parametrize("query", ['"unbalanced', "AND", "title:", "(wheat"])
def test_bad_search_query_raises_query_error(searchable: SQLiteStore, query: str) -> None:
    with pytest.raises(QueryError) as caught:
        searchable.search(query, 10)
    assert caught.value.query == query
