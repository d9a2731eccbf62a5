"""Matches and the outbox: the tables behind watches and alerts.

    articles.match_status = 'pending' -> pending_matches -> (story, match) -> save_matches
        -> stories, matches + alerts (one row per notifier) in the same transaction
    due_alerts -> (send) -> alert_sent | alert_failed (retry later, or 'failed')

A match is unique per (watch, article): an article alerts a watch once, ever, however often
it is updated or re-matched. An alert row is written in the transaction that records its
match, so a crash can lose neither; it is marked sent only after the notifier accepted it, so
after a crash between the two the same alert (same key: webhook-id, Message-ID) is sent again
rather than lost. Instant matches beyond a watch's rate limit, and every match of a digest
watch, wait as 'queued' until ``make_digest`` gathers them into one alert.

Stories: each new article joins the story of the earlier article it repeats, or starts one
(a story's id is its first article's). A repeat from the same feed (a re-issue with a new
GUID, title or URL) is merged into the article it repeats, as an update of it. A watch alerts
once per story: a later copy that matches joins silently, or, for a watch that asks for
updates, sends a "story.updated" alert threaded under the first.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from ..models import (
    Alert,
    AlertArticle,
    Hit,
    Match,
    MatchReport,
    MatchTarget,
    OutboxEntry,
    StoryLink,
    WatchPolicy,
)

DIGEST_LIMIT = 200  # articles per digest message; a bigger backlog goes out in several
ALERT_KEYWORDS = 8  # keywords shown per article, best first
_READY = "match_status = 'pending' AND (extract_status != 'pending' OR extract_attempts > 0)"


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An outbox row as ``alerts list`` shows it."""

    id: int
    key: str
    watch: str
    notifier: str
    kind: str
    event: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    sent_at: str | None
    articles: int
    title: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class WatchStats:
    matches: int = 0
    last_match: str | None = None
    queued: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0


def alert_key() -> str:
    """A new alert id: the webhook-id and the Message-ID's seed. Random, because it must be
    unique across databases (a receiver drops a repeated id as a duplicate, and a Message-ID
    must be globally unique); stable, because it is stored with the alert and every resend
    reads it from there."""
    return f"msg_{secrets.token_hex(12)}"


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    m = moment.astimezone(UTC) if moment.utcoffset() else moment
    return m.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _hits_json(hits: Sequence[Hit]) -> str:
    return json.dumps([list(hit) for hit in hits], ensure_ascii=False)


def _hits_of(text: str) -> list[Hit]:
    return [Hit(*values) for values in json.loads(text)]


class OutboxTables:
    """The SQLite side of matches and alerts; mixed into ``SQLiteStore``."""

    db: sqlite_utils.Database
    _transaction: Callable[[], AbstractContextManager[None]]  # SQLiteStore's

    # -- matching ----------------------------------------------------------------------------

    def pending_matches(self, limit: int) -> list[MatchTarget]:
        """New and updated articles to match, oldest first: once their page has been tried
        (a page still to be retried does not hold an alert back; its body re-matches later)."""
        return self._targets(f"WHERE {_READY} ORDER BY a.id LIMIT ?", [limit])

    def match_targets(self, since: datetime | None, limit: int) -> list[MatchTarget]:
        """Stored articles first seen since ``since``, newest first, for ``watches test``."""
        if since is None:
            return self._targets("ORDER BY a.id DESC LIMIT ?", [limit])
        return self._targets("WHERE a.first_seen >= ? ORDER BY a.id DESC LIMIT ?", [
            _stamp(since), limit,
        ])  # fmt: skip

    def _targets(self, where: str, params: list[Any]) -> list[MatchTarget]:
        rows = self.db.execute(
            "SELECT a.id, COALESCE(a.title, a.page_title, ''),"
            " COALESCE(a.body, a.content, a.summary, ''), a.lang, a.tags, a.first_seen, a.url,"
            " COALESCE(a.summary, ''), a.story_id"
            f" FROM articles a {where}",
            params,
        ).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        feeds: dict[int, list[tuple[str, str, str]]] = {}
        words: dict[int, list[str]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for article_id, name, url, config_url, tags in self.db.execute(
                "SELECT s.article_id, f.name, f.url, f.config_url, f.tags FROM article_sources s"
                f" JOIN feeds f ON f.id = s.feed_id WHERE s.article_id IN ({marks})"
                " ORDER BY s.first_seen, s.feed_id",
                chunk,
            ):
                # The config names a feed by the URL written there, even after a 301 moved it.
                entry = feeds.setdefault(article_id, [])
                entry.append((name or config_url, config_url, tags))
                if url != config_url:
                    entry.append((name or config_url, url, tags))
            for article_id, text, aliases in self.db.execute(
                "SELECT article_id, text, aliases FROM article_keywords"
                f" WHERE article_id IN ({marks}) ORDER BY score DESC",
                chunk,
            ):
                words.setdefault(article_id, []).extend([text, *json.loads(aliases)])
        targets = []
        for article_id, title, body, lang, tags, first_seen, url, summary, story in rows:
            sources = feeds.get(article_id, [])
            all_tags = [t for _, _, feed_tags in sources for t in json.loads(feed_tags)]
            all_tags += json.loads(tags or "[]")
            targets.append(
                MatchTarget(
                    id=article_id,
                    title=title,
                    body=body,
                    feeds=tuple(dict.fromkeys(name for name, _, _ in sources)),
                    feed_urls=tuple(dict.fromkeys(url for _, url, _ in sources)),
                    tags=tuple(dict.fromkeys(all_tags)),
                    lang=lang,
                    keywords=tuple(words.get(article_id, ())),
                    first_seen=_moment(first_seen),
                    url=url,
                    summary=summary,
                    story_id=story,
                )
            )
        return targets

    def save_matches(
        self,
        now: datetime,
        article_ids: Sequence[int],
        matches: Sequence[Match],
        policies: Mapping[str, WatchPolicy],
        stories: Sequence[StoryLink] = (),
    ) -> MatchReport:
        """Place new articles in stories, record matches and write their alerts, and mark the
        articles matched: all in one transaction. A watch alerts once per story: a (watch,
        article) pair already matched is left alone, and a later article of a story the watch
        has matched joins it (silently, or as a "story.updated" alert)."""
        stamp = _stamp(now)
        made = alerts = queued = 0
        execute = self.db.conn.execute
        with self._transaction():
            new_stories, copies, merged = self._place(stories, stamp)
            for match in matches:
                policy = policies.get(match.watch)
                if policy is None or match.article_id in merged:  # the original re-matches
                    continue
                row = execute(
                    "SELECT COALESCE(story_id, id) FROM articles WHERE id = ?", (match.article_id,)
                ).fetchone()
                if row is None:
                    continue
                story = row[0]
                cursor = execute(
                    "INSERT OR IGNORE INTO matches"
                    " (watch, article_id, story_id, matched_at, hits, state)"
                    " VALUES (?, ?, ?, ?, ?, 'new')",
                    (match.watch, match.article_id, story, stamp, _hits_json(match.hits)),
                )
                if not cursor.rowcount:
                    continue  # one alert per article per watch, ever
                made += 1
                match_id = int(cursor.lastrowid or 0)
                first = execute(
                    "SELECT id FROM matches WHERE watch = ? AND story_id = ? AND id != ?"
                    " ORDER BY id LIMIT 1",
                    (match.watch, story, match_id),
                ).fetchone()
                if first is not None:  # the watch has matched this story before
                    state, sent = self._story_update(policy, first[0], match_id, stamp)
                    alerts += sent
                elif policy.mode == "digest" or self._over_limit(policy, now):
                    state = "queued"
                    queued += 1
                else:
                    state = "alerted" if policy.notify else "silent"
                    for notifier in policy.notify:
                        key = alert_key()
                        self._add_alert(key, match.watch, notifier, "instant", stamp, [match_id])
                        alerts += 1
                execute("UPDATE matches SET state = ? WHERE id = ?", (state, match_id))
            for chunk in _chunks(list(article_ids)):
                execute(
                    "UPDATE articles SET match_status = 'done'"
                    f" WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
        return MatchReport(
            len(article_ids),
            made,
            alerts,
            queued,
            new_stories,
            copies,
            tuple(sorted(merged.items())),
        )

    def _story_update(
        self, policy: WatchPolicy, first_match: int, match_id: int, stamp: str | None
    ) -> tuple[str, int]:
        """A later article of a story the watch already matched: silent, or an update
        threaded under the first alert through each notifier. Returns (state, alerts)."""
        if policy.story_updates != "notify" or policy.mode != "instant" or not policy.notify:
            return "joined", 0
        for notifier in policy.notify:
            thread = self.db.conn.execute(
                "SELECT al.key FROM alerts al JOIN alert_matches am ON am.alert_id = al.id"
                " WHERE am.match_id = ? AND al.notifier = ? ORDER BY al.id LIMIT 1",
                (first_match, notifier),
            ).fetchone()
            self._add_alert(
                alert_key(), policy.name, notifier, "instant", stamp, [match_id],
                event="story.updated", thread_of=thread[0] if thread else None,
            )  # fmt: skip
        return "updated", len(policy.notify)

    def _place(
        self, links: Sequence[StoryLink], stamp: str | None
    ) -> tuple[int, int, dict[int, int]]:
        """Put each new article in its story; merge re-issues.
        Returns (new stories, copies, {re-issue: the original it was merged into})."""
        execute = self.db.conn.execute
        new = copies = 0
        merged: dict[int, int] = {}
        for link in links:
            repeats = None
            # A link to a re-issue merged a moment ago leads to the article it became.
            target = merged.get(link.repeats, link.repeats) if link.repeats is not None else None
            if target is not None and target != link.article_id:
                repeats = execute(
                    "SELECT id, COALESCE(story_id, id) FROM articles WHERE id = ?", (target,)
                ).fetchone()
            if repeats is not None and self._same_feed(link.article_id, repeats[0]):
                self._merge(link.article_id, repeats[0], link.fingerprint, stamp)
                merged[link.article_id] = repeats[0]
                continue
            if repeats is not None:
                story = repeats[1]
                execute(
                    "UPDATE stories SET articles = articles + 1, last_seen = ? WHERE id = ?",
                    (stamp, story),
                )
                copies += 1
            else:
                story = link.article_id
                execute(
                    "INSERT OR IGNORE INTO stories (id, title, first_seen, last_seen)"
                    " SELECT id, COALESCE(title, page_title), first_seen, ? FROM articles"
                    " WHERE id = ?",
                    (stamp, link.article_id),
                )
                new += 1
            execute(
                "UPDATE articles SET story_id = ?, fingerprint = ? WHERE id = ?",
                (story, link.fingerprint, link.article_id),
            )
        return new, copies, merged

    def _same_feed(self, one: int, other: int) -> bool:
        return (
            self.db.conn.execute(
                "SELECT 1 FROM article_sources a JOIN article_sources b ON a.feed_id = b.feed_id"
                " WHERE a.article_id = ? AND b.article_id = ? LIMIT 1",
                (one, other),
            ).fetchone()
            is not None
        )

    def _merge(
        self, reissue: int, original: int, fingerprint: bytes | None, stamp: str | None
    ) -> None:
        """A re-issue (new GUID, title or URL, same story, same feed) becomes an update of
        the article it repeats: its entry points there, its text replaces the old one, and
        its own row goes. The original keeps its id, URL, story and alerts."""
        execute = self.db.conn.execute
        row = execute(
            "SELECT title, summary, content, author, published, updated, tags, body,"
            " page_title, lang, keywords FROM articles WHERE id = ?",
            (reissue,),
        ).fetchone()
        if row is None:
            return
        execute("UPDATE article_sources SET article_id = ? WHERE article_id = ?",
                (original, reissue))  # fmt: skip
        if execute("SELECT 1 FROM article_keywords WHERE article_id = ?", (reissue,)).fetchone():
            execute("DELETE FROM article_keywords WHERE article_id = ?", (original,))
            execute("UPDATE article_keywords SET article_id = ? WHERE article_id = ?",
                    (original, reissue))  # fmt: skip
        execute("DELETE FROM matches WHERE article_id = ?", (reissue,))
        execute("DELETE FROM articles WHERE id = ?", (reissue,))
        execute(
            "UPDATE articles SET title = ?, summary = ?, content = ?,"
            " author = COALESCE(?, author), published = COALESCE(?, published), updated = ?,"
            " tags = ?, body = COALESCE(?, body), page_title = COALESCE(?, page_title),"
            " lang = COALESCE(?, lang), keywords = COALESCE(?, keywords), updated_at = ?,"
            " revision = revision + 1, match_status = 'pending',"
            " fingerprint = COALESCE(?, fingerprint) WHERE id = ?",
            (*row, stamp, fingerprint, original),
        )
        # A story is titled after its first article, as that article reads now.
        execute(
            "UPDATE stories SET last_seen = ?, title = CASE WHEN id = ? THEN ? ELSE title END"
            " WHERE id = (SELECT story_id FROM articles WHERE id = ?)",
            (stamp, original, row[0], original),
        )

    def story_fingerprints(self, since: datetime) -> list[tuple[int, bytes, datetime]]:
        """(article id, fingerprint, first seen) of the articles of the window."""
        rows = self.db.execute(
            "SELECT id, fingerprint, first_seen FROM articles"
            " WHERE fingerprint IS NOT NULL AND first_seen >= ?",
            [_stamp(since)],
        ).fetchall()
        return [(i, bytes(data), moment) for i, data, seen in rows if (moment := _moment(seen))]

    def _over_limit(self, policy: WatchPolicy, now: datetime) -> bool:
        if policy.rate_limit is None:
            return False
        count, seconds = policy.rate_limit
        since = _stamp(now - timedelta(seconds=seconds))
        (alerted,) = self.db.conn.execute(
            "SELECT COUNT(*) FROM matches WHERE watch = ? AND state = 'alerted' AND matched_at > ?",
            (policy.name, since),
        ).fetchone()
        return bool(alerted >= count)

    def _add_alert(
        self,
        key: str,
        watch: str,
        notifier: str,
        kind: str,
        stamp: str | None,
        matches: list[int],
        *,
        event: str = "alert.created",
        thread_of: str | None = None,
    ) -> None:
        cursor = self.db.conn.execute(
            "INSERT INTO alerts (key, watch, notifier, kind, created_at, event, thread_of)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, watch, notifier, kind, stamp, event, thread_of),
        )
        self.db.conn.executemany(
            "INSERT INTO alert_matches (alert_id, match_id) VALUES (?, ?)",
            [(cursor.lastrowid, match_id) for match_id in matches],
        )

    # -- digests -----------------------------------------------------------------------------

    def queued_watches(self) -> dict[str, datetime]:
        """Watches with matches waiting for a digest, and when the oldest of them matched."""
        rows = self.db.execute(
            "SELECT watch, MIN(matched_at) FROM matches WHERE state = 'queued' GROUP BY watch"
        ).fetchall()
        return {watch: moment for watch, oldest in rows if (moment := _moment(oldest))}

    def make_digest(self, policy: WatchPolicy, now: datetime) -> int:
        """Gather a watch's queued matches (up to ``DIGEST_LIMIT``) into one alert per
        notifier; return how many matches it took."""
        stamp = _stamp(now)
        with self._transaction():
            ids = [
                row[0]
                for row in self.db.conn.execute(
                    "SELECT id FROM matches WHERE watch = ? AND state = 'queued'"
                    " ORDER BY id LIMIT ?",
                    (policy.name, DIGEST_LIMIT),
                )
            ]
            if not ids:
                return 0
            for notifier in policy.notify:
                key = alert_key()
                self._add_alert(key, policy.name, notifier, "digest", stamp, ids)
            for chunk in _chunks(ids):
                self.db.conn.execute(
                    "UPDATE matches SET state = 'digested'"
                    f" WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
        return len(ids)

    # -- the outbox --------------------------------------------------------------------------

    def due_alerts(self, now: datetime | None, limit: int) -> list[OutboxEntry]:
        """Pending alerts whose next attempt has come (all pending ones if ``now`` is None),
        oldest first, with the articles they carry."""
        sql = (
            "SELECT id, key, watch, notifier, event, attempts, created_at, thread_of"
            " FROM alerts WHERE status = 'pending'"
        )
        params: list[Any] = []
        if now is not None:
            sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            params.append(_stamp(now))
        rows = self.db.execute(sql + " ORDER BY id LIMIT ?", [*params, limit]).fetchall()
        entries = []
        for row, key, watch, notifier, event, attempts, created, thread_of in rows:
            alert = Alert(
                id=key,
                watch=watch,
                event=event,
                articles=tuple(self._alert_articles(row)),
                created=_moment(created) or datetime.now(UTC),
                thread_of=thread_of,
            )
            entries.append(OutboxEntry(row, notifier, attempts, alert))
        return entries

    def _alert_articles(self, alert_row: int) -> Iterator[AlertArticle]:
        rows = self.db.execute(
            "SELECT a.id, COALESCE(a.title, a.page_title, a.url, ''), COALESCE(a.url, ''),"
            " a.published, m.hits,"
            " (SELECT group_concat(COALESCE(f.name, f.url), char(31)) FROM article_sources s"
            "  JOIN feeds f ON f.id = s.feed_id WHERE s.article_id = a.id)"
            " FROM alert_matches am JOIN matches m ON m.id = am.match_id"
            " JOIN articles a ON a.id = m.article_id WHERE am.alert_id = ? ORDER BY m.id",
            [alert_row],
        ).fetchall()
        for article_id, title, url, published, hits_text, feeds in rows:
            hits = _hits_of(hits_text)
            keywords = [
                text
                for (text,) in self.db.execute(
                    "SELECT text FROM article_keywords WHERE article_id = ?"
                    " ORDER BY score DESC LIMIT ?",
                    [article_id, ALERT_KEYWORDS],
                )
            ]
            yield AlertArticle(
                title=title,
                url=url,
                source_feeds=tuple((feeds or "").split("\x1f")) if feeds else (),
                published=_moment(published),
                keywords=tuple(keywords),
                matched=tuple((_label(hit), hit.field) for hit in hits),
                snippet=next((hit.snippet for hit in hits if hit.field in ("title", "body")), ""),
            )

    def alert_sent(self, row: int, now: datetime) -> None:
        with self._transaction():
            self.db.conn.execute(
                "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_error = NULL, next_attempt_at = NULL WHERE id = ?",
                (_stamp(now), row),
            )

    def alert_failed(
        self, row: int, now: datetime, problem: str, retry_at: datetime | None
    ) -> None:
        """An attempt failed: try again at ``retry_at``, or never (status 'failed')."""
        status = "pending" if retry_at is not None else "failed"
        with self._transaction():
            self.db.conn.execute(
                "UPDATE alerts SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ? WHERE id = ?",
                (status, problem, _stamp(retry_at), row),
            )

    def hold_alert(self, row: int, problem: str) -> None:
        """Fail an alert without an attempt (its notifier is gone or no longer configured)."""
        with self._transaction():
            self.db.conn.execute(
                "UPDATE alerts SET status = 'failed', last_error = ? WHERE id = ?", (problem, row)
            )

    def retry_alerts(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Make failed (or the given) alerts pending again, attempts reset; re-enable their
        notifiers if they were disabled as gone. Sent alerts are left alone."""
        with self._transaction():
            if ids is None:
                where, params = "status = 'failed'", []
            else:
                where = f"status != 'sent' AND id IN ({','.join('?' * len(ids))})"
                params = list(ids)
            notifiers = [
                name
                for (name,) in self.db.conn.execute(
                    f"SELECT DISTINCT notifier FROM alerts WHERE {where}", params
                )
            ]
            cursor = self.db.conn.execute(
                "UPDATE alerts SET status = 'pending', attempts = 0, next_attempt_at = ?,"
                f" last_error = NULL WHERE {where}",
                [_stamp(now), *params],
            )
            for name in notifiers:
                self.db.conn.execute("DELETE FROM notifiers WHERE name = ?", (name,))
        return int(cursor.rowcount)

    # -- notifiers ---------------------------------------------------------------------------

    def gone_notifiers(self) -> dict[str, tuple[str, str | None]]:
        """Notifiers disabled as gone: name -> (fingerprint of their config, last error)."""
        rows = self.db.execute(
            "SELECT name, fingerprint, last_error FROM notifiers WHERE status = 'gone'"
        ).fetchall()
        return {name: (fingerprint, error) for name, fingerprint, error in rows}

    def notifier_gone(self, name: str, fingerprint: str, problem: str, now: datetime) -> None:
        with self._transaction():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO notifiers (name, status, fingerprint, last_error,"
                " changed_at) VALUES (?, 'gone', ?, ?, ?)",
                (name, fingerprint, problem, _stamp(now)),
            )

    def notifier_back(self, name: str) -> None:
        with self._transaction():
            self.db.conn.execute("DELETE FROM notifiers WHERE name = ?", (name,))

    # -- reading -----------------------------------------------------------------------------

    def alerts(
        self, status: str | None = None, watch: str | None = None, limit: int = 100
    ) -> list[AlertRow]:
        clauses, params = [], []
        if status:
            clauses.append("al.status = ?")
            params.append(status)
        if watch:
            clauses.append("al.watch = ?")
            params.append(watch)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(
            "SELECT al.id, al.key, al.watch, al.notifier, al.kind, al.event, al.status,"
            " al.attempts, al.next_attempt_at, al.last_error, al.created_at, al.sent_at,"
            " (SELECT COUNT(*) FROM alert_matches am WHERE am.alert_id = al.id),"
            " a.title, a.url"
            " FROM alerts al"
            " LEFT JOIN articles a ON a.id = (SELECT m.article_id FROM alert_matches am"
            "  JOIN matches m ON m.id = am.match_id WHERE am.alert_id = al.id"
            "  ORDER BY m.id LIMIT 1)"
            f" {where} ORDER BY al.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [AlertRow(*row) for row in rows]

    def alert_ids(self, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` are alerts."""
        found: set[int] = set()
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0] for row in self.db.execute(f"SELECT id FROM alerts WHERE id IN ({marks})",
                                                  chunk)
            )  # fmt: skip
        return found

    def watch_stats(self) -> dict[str, WatchStats]:
        stats: dict[str, dict[str, Any]] = {}
        for watch, matches, last, queued in self.db.execute(
            "SELECT watch, COUNT(*), MAX(matched_at), SUM(state = 'queued') FROM matches"
            " GROUP BY watch"
        ):
            stats[watch] = {"matches": matches, "last_match": last, "queued": queued or 0}
        for watch, status, count in self.db.execute(
            "SELECT watch, status, COUNT(*) FROM alerts GROUP BY watch, status"
        ):
            stats.setdefault(watch, {})[status] = count
        return {watch: WatchStats(**values) for watch, values in stats.items()}


def _label(hit: Hit) -> str:
    """The term as the watch wrote it, and the form found when that differs in more than
    case: "Kazakhstan (Казахстана)", so an alert shows why a name in another script matched."""
    same = hit.text.casefold() == hit.term.strip('"').casefold()
    return hit.term if same or hit.field not in ("title", "body") else f"{hit.term} ({hit.text})"


def _chunks(values: list[int], size: int = 500) -> Iterator[list[int]]:
    """Stay under SQLite's bound-parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


__all__ = ["AlertRow", "MatchReport", "OutboxTables", "WatchStats", "alert_key"]
