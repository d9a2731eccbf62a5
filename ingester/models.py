"""Frozen values that pass between pipeline stages.

Each stage takes and returns these and nothing else; no stage imports another stage.
Times are timezone-aware UTC ``datetime`` values; ``None`` means unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FeedStatus(StrEnum):
    NEW = "new"  # never fetched
    OK = "ok"
    ERROR = "error"  # last attempt failed; retried with backoff
    GONE = "gone"  # 410 Gone: not polled until reset
    DISABLED = "disabled"  # enabled = false in config
    REMOVED = "removed"  # no longer in the config; kept for its articles


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed as the config describes it."""

    url: str
    name: str | None = None
    interval: float | None = None  # seconds; None: the global [schedule] interval
    tags: tuple[str, ...] = ()
    enabled: bool = True
    extract: bool = True  # fetch and extract article pages (and [extract] enabled)


@dataclass(frozen=True, slots=True)
class DueFeed:
    """A feed the store says is due, with what the fetcher needs to be polite."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval: float
    error_count: int
    ttl: float | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the fetcher got. ``body`` is None for 304 Not Modified."""

    url: str  # the URL requested
    final_url: str  # where the redirects ended
    permanent_url: str | None  # new address if every redirect hop was 301/308
    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    max_age: float | None  # Cache-Control max-age, seconds
    elapsed: float

    @property
    def not_modified(self) -> bool:
        return self.body is None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item of a feed, format-independent, text fields without markup."""

    id: str | None
    link: str | None
    title: str | None
    summary: str | None
    content: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    format: str  # rss20, rss10, rss09x, atom10, atom03, json11, ...
    title: str | None
    link: str | None
    ttl: float | None  # seconds, from RSS <ttl> or the like
    entries: tuple[ParsedEntry, ...]
    parser: str = "fast"  # "fast" or "feedparser"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry ready to be stored: keyed, canonicalised and fingerprinted by dedupe."""

    entry_key: str  # stable per feed: GUID, else canonical link, else hash of title+date
    url: str | None  # canonical URL (tracking parameters removed)
    link: str | None  # the link as the feed gave it
    title: str | None
    summary: str | None
    content: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    tags: tuple[str, ...]
    content_hash: str


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What store.save did with one feed's candidates."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_sources: int = 0  # known article seen through another feed
    article_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """An article whose page is due to be fetched and extracted."""

    id: int
    url: str
    feed_text: str | None  # the feed's content, else its summary: fallback and evidence
    attempts: int


@dataclass(frozen=True, slots=True)
class Extraction:
    """What ``extract`` made of an article page (or of the feed's own text, as a fallback).

    ``method`` says which text became the body: "trafilatura" (the page), "trafilatura+feed"
    (the page, checked or completed with the feed's text), "feed" (the feed's content or
    summary, because the page failed), or "none" (nothing usable).
    """

    body: str | None
    title: str | None
    author: str | None
    published: datetime | None
    lang: str | None  # ISO 639-1 code the page declares (the pipeline detects its own too)
    method: str
    problem: str | None = None  # why the page itself could not be used, if it could not


@dataclass(frozen=True, slots=True)
class Keyword:
    """A keyword or named entity of an article.

    ``text`` is the canonical form (acronyms in capitals, Russian names in the nominative),
    ``kind`` one of "person", "organisation", "place", "other", ``score`` in (0, 1], higher
    is more important. ``aliases`` holds the other forms seen (inflections, an acronym's
    expansion or the acronym of an expansion).
    """

    text: str
    kind: str
    score: float
    aliases: tuple[str, ...] = ()
