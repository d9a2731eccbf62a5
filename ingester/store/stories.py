"""Reading stories: the copies of one story across feeds, for ``ingester stories``.

Placing articles in stories happens with matching, in ``outbox.save_matches``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: int
    title: str | None
    first_seen: str
    last_seen: str
    articles: int
    feeds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryArticle:
    id: int
    title: str | None
    url: str | None
    first_seen: str
    published: str | None
    lang: str | None
    feeds: tuple[str, ...]
    revision: int


class StoryTables:
    """The SQLite side of ``stories``; mixed into ``SQLiteStore``."""

    db: sqlite_utils.Database

    _FEEDS = (
        "(SELECT json_group_array(DISTINCT COALESCE(f.name, f.url)) FROM articles a"
        " JOIN article_sources s ON s.article_id = a.id JOIN feeds f ON f.id = s.feed_id"
        " WHERE a.story_id = st.id)"
    )

    def stories(
        self, limit: int = 50, since: datetime | None = None, *, several: bool = False
    ) -> list[StoryRow]:
        """Stories, the most recently active first; ``several``: only those with copies."""
        clauses, params = [], []
        if since is not None:
            clauses.append("st.last_seen >= ?")
            params.append(since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if several:
            clauses.append("st.articles > 1")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(
            f"SELECT st.id, st.title, st.first_seen, st.last_seen, st.articles, {self._FEEDS}"
            f" FROM stories st {where} ORDER BY st.last_seen DESC, st.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [_story(row) for row in rows]

    def story(self, story_id: int) -> tuple[StoryRow, list[StoryArticle]] | None:
        """A story and its articles, first seen first; None if there is no such story."""
        row = self.db.execute(
            f"SELECT st.id, st.title, st.first_seen, st.last_seen, st.articles, {self._FEEDS}"
            " FROM stories st WHERE st.id = ?",
            [story_id],
        ).fetchone()
        if row is None:
            return None
        articles = self.db.execute(
            "SELECT a.id, a.title, a.url, a.first_seen, a.published, a.lang,"
            " (SELECT json_group_array(DISTINCT COALESCE(f.name, f.url)) FROM article_sources s"
            "  JOIN feeds f ON f.id = s.feed_id WHERE s.article_id = a.id), a.revision"
            " FROM articles a WHERE a.story_id = ? ORDER BY a.first_seen, a.id",
            [story_id],
        ).fetchall()
        return _story(row), [
            StoryArticle(
                id=a[0],
                title=a[1],
                url=a[2],
                first_seen=a[3],
                published=a[4],
                lang=a[5],
                feeds=tuple(json.loads(a[6] or "[]")),
                revision=a[7],
            )
            for a in articles
        ]


def _story(row: Any) -> StoryRow:
    return StoryRow(
        id=row[0], title=row[1], first_seen=row[2], last_seen=row[3], articles=row[4],
        feeds=tuple(json.loads(row[5] or "[]")),
    )  # fmt: skip
