"""The schema, as a list of migrations; ``PRAGMA user_version`` counts those applied.

A migration is never edited once released: a change to the schema is a new migration.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            config_url TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            name TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            interval REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            title TEXT,
            link TEXT,
            format TEXT,
            ttl REAL,
            next_fetch_at TEXT,
            last_fetch_at TEXT,
            last_success_at TEXT,
            last_status INTEGER,
            error_count INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX feeds_due ON feeds (status, next_fetch_at);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT UNIQUE,
            title TEXT,
            summary TEXT,
            content TEXT,
            author TEXT,
            published TEXT,
            updated TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            first_seen TEXT NOT NULL,
            updated_at TEXT,
            revision INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX articles_first_seen ON articles (first_seen);
        CREATE INDEX articles_published ON articles (published);

        CREATE TABLE article_sources (
            feed_id INTEGER NOT NULL REFERENCES feeds (id),
            entry_key TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            link TEXT,
            content_hash TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (feed_id, entry_key)
        ) WITHOUT ROWID;
        CREATE INDEX article_sources_article ON article_sources (article_id);
        """
    )
    # An external-content FTS5 index (Datasette recognises it). Updates and deletes keep it in
    # step through triggers; inserts are indexed in bulk by ``save`` in the same transaction,
    # which costs a third less than a trigger per row.
    db.executescript(
        """
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, summary, content = 'articles', content_rowid = 'id', tokenize = 'unicode61'
        );
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary)
            VALUES ('delete', old.id, old.title, old.summary);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary)
            VALUES ('delete', old.id, old.title, old.summary);
            INSERT INTO articles_fts (rowid, title, summary)
            VALUES (new.id, new.title, new.summary);
        END;
        """
    )


def _m2_article_bodies(db: sqlite_utils.Database) -> None:
    """Article pages: body, page metadata, language, keywords; FTS over the body too."""
    db.executescript(
        """
        ALTER TABLE feeds ADD COLUMN extract INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE articles ADD COLUMN body TEXT;
        ALTER TABLE articles ADD COLUMN page_title TEXT;
        ALTER TABLE articles ADD COLUMN page_author TEXT;
        ALTER TABLE articles ADD COLUMN page_published TEXT;
        ALTER TABLE articles ADD COLUMN lang TEXT;
        ALTER TABLE articles ADD COLUMN keywords TEXT;
        ALTER TABLE articles ADD COLUMN extract_status TEXT NOT NULL DEFAULT 'skipped';
        ALTER TABLE articles ADD COLUMN extract_method TEXT;
        ALTER TABLE articles ADD COLUMN extract_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE articles ADD COLUMN extract_error TEXT;
        ALTER TABLE articles ADD COLUMN extract_next_at TEXT;
        ALTER TABLE articles ADD COLUMN extracted_at TEXT;
        CREATE INDEX articles_extract_due ON articles (extract_status, extract_next_at);
        CREATE INDEX articles_lang ON articles (lang);

        CREATE TABLE article_keywords (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            text TEXT NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            aliases TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (article_id, text)
        ) WITHOUT ROWID;
        CREATE INDEX article_keywords_text ON article_keywords (text);

        DROP TRIGGER articles_ad;
        DROP TRIGGER articles_au;
        DROP TABLE articles_fts;
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, summary, body, keywords,
            content = 'articles', content_rowid = 'id', tokenize = 'unicode61'
        );
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, keywords)
            VALUES ('delete', old.id, old.title, old.summary, old.body, old.keywords);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, summary, body, keywords ON articles
        BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, keywords)
            VALUES ('delete', old.id, old.title, old.summary, old.body, old.keywords);
            INSERT INTO articles_fts (rowid, title, summary, body, keywords)
            VALUES (new.id, new.title, new.summary, new.body, new.keywords);
        END;
        INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
        """
    )


def _m3_watches(db: sqlite_utils.Database) -> None:
    """Watches and alerts: matches, the outbox, and the state of notifiers.

    Articles stored before this migration count as matched already: a new install of
    watches alerts on what arrives from now on, not on the archive (``watches test`` shows
    what the archive would have given).
    """
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN match_status TEXT NOT NULL DEFAULT 'done';
        CREATE INDEX articles_match_due ON articles (id) WHERE match_status = 'pending';

        CREATE TABLE matches (
            id INTEGER PRIMARY KEY,
            watch TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            matched_at TEXT NOT NULL,
            hits TEXT NOT NULL,
            state TEXT NOT NULL,
            UNIQUE (watch, article_id)
        );
        CREATE INDEX matches_watch ON matches (watch, state, matched_at);

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            watch TEXT NOT NULL,
            notifier TEXT NOT NULL,
            kind TEXT NOT NULL,
            event TEXT NOT NULL DEFAULT 'alert.created',
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            thread_of TEXT
        );
        CREATE INDEX alerts_due ON alerts (status, next_attempt_at);
        CREATE INDEX alerts_watch ON alerts (watch, created_at);

        CREATE TABLE alert_matches (
            alert_id INTEGER NOT NULL REFERENCES alerts (id),
            match_id INTEGER NOT NULL REFERENCES matches (id),
            PRIMARY KEY (alert_id, match_id)
        ) WITHOUT ROWID;
        CREATE INDEX alert_matches_match ON alert_matches (match_id);

        CREATE TABLE notifiers (
            name TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            last_error TEXT,
            changed_at TEXT NOT NULL
        );
        """
    )


def _m4_stories(db: sqlite_utils.Database) -> None:
    """Stories: copies of one story across feeds share a story; the fingerprint of each
    article of the recent window is kept so the window's index is rebuilt without texts.

    A story's id is the id of its first article. Every article stored before this migration
    is a story of its own.
    """
    db.executescript(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            articles INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX stories_first_seen ON stories (first_seen);
        ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories (id);
        ALTER TABLE articles ADD COLUMN fingerprint BLOB;
        INSERT INTO stories (id, title, first_seen, last_seen)
            SELECT id, COALESCE(title, page_title), first_seen, first_seen FROM articles;
        UPDATE articles SET story_id = id;
        CREATE INDEX articles_story ON articles (story_id);
        CREATE INDEX articles_fingerprinted ON articles (first_seen) WHERE fingerprint IS NOT NULL;

        ALTER TABLE matches ADD COLUMN story_id INTEGER;
        UPDATE matches SET story_id = article_id;
        CREATE INDEX matches_story ON matches (watch, story_id);
        """
    )


def _m5_search_pending(db: sqlite_utils.Database) -> None:
    """New articles reach the search index in bulk, not one feed's commit at a time.

    ``search_pending`` lists the articles saved but not yet in ``articles_fts``; the store
    indexes them together (``SQLiteStore.index_pending``) after every poll cycle, at least
    every 10 s during a long one, and before a search. Indexing a cycle's articles at once
    costs less than half as much as indexing each feed's in its own commit, because FTS5 writes
    and later merges one index segment per commit. A pending article is not in the index, so
    the triggers leave the index alone for it: the bulk insert reads its latest text.

    The update trigger's body repeats migration 2's on purpose: a migration keeps its own SQL,
    so that no later change can alter what an old one did.
    """
    db.executescript(
        """
        CREATE TABLE search_pending (article_id INTEGER PRIMARY KEY);
        DROP TRIGGER articles_ad;
        DROP TRIGGER articles_au;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, keywords)
            SELECT 'delete', old.id, old.title, old.summary, old.body, old.keywords
            WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE article_id = old.id);
            DELETE FROM search_pending WHERE article_id = old.id;
        END;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, summary, body, keywords ON articles
        WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE article_id = old.id)
        BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, summary, body, keywords)
            VALUES ('delete', old.id, old.title, old.summary, old.body, old.keywords);
            INSERT INTO articles_fts (rowid, title, summary, body, keywords)
            VALUES (new.id, new.title, new.summary, new.body, new.keywords);
        END;
        """
    )


def _m6_partial_indexes(db: sqlite_utils.Database) -> None:
    """The page queue and language indexes hold only the rows they are asked for.

    Most articles are never waiting for a page (extraction off, done or failed) and have no
    language until their page is read; indexing every row cost each new article two index
    inserts for nothing. (Without these two and the story index, storing a cold cycle's
    30,000 articles took about 1.9 CPU-s instead of 2.1; these two were not timed alone.)
    """
    db.executescript(
        """
        DROP INDEX articles_extract_due;
        CREATE INDEX articles_extract_due ON articles (extract_next_at)
            WHERE extract_status = 'pending';
        DROP INDEX articles_lang;
        CREATE INDEX articles_lang ON articles (lang) WHERE lang IS NOT NULL;
        """
    )


MIGRATIONS: tuple[Migration, ...] = (
    _m1_initial,
    _m2_article_bodies,
    _m3_watches,
    _m4_stories,
    _m5_search_pending,
    _m6_partial_indexes,
)
