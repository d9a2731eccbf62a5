"""Frozen values that pass between pipeline stages.

Each stage takes and returns these and nothing else; no stage imports another stage.
Times are timezone-aware UTC ``datetime`` values; ``None`` means unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple


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


class Candidate(NamedTuple):
    """An entry ready to be stored: keyed, canonicalised and fingerprinted by dedupe.

    A named tuple, not a dataclass: a cold cycle sends every entry from a parser process to
    the main one, and 30,000 of them unpickle in 0.24 s instead of 0.50 as slotted dataclasses.
    """

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
class FeedMeta:
    """Feed-level facts from a successful poll, for the store to record."""

    etag: str | None
    last_modified: str | None
    body_hash: str
    new_url: str | None
    title: str | None
    link: str | None
    format: str
    ttl: float | None


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


# -- watches and alerts ----------------------------------------------------------------------


class Hit(NamedTuple):
    """Why a query matched: ``term`` (as the query wrote it) found in ``field`` as ``text``.

    ``entity`` is the entity the term named, if any; ``snippet`` the words around the match
    (for feed, tag and keyword: the value that matched). A named tuple rather than a frozen
    dataclass: a matcher makes a hundred per article, at a quarter of the cost.
    """

    term: str
    field: str
    text: str
    snippet: str
    entity: str | None = None

    def __str__(self) -> str:
        return f"{self.term} in {self.field}"


@dataclass(frozen=True, slots=True)
class MatchTarget:
    """A new or updated article as the match stage sees it, with its feeds' names and tags."""

    id: int
    title: str
    body: str
    feeds: tuple[str, ...]  # names (else URLs) of the feeds that carried it
    feed_urls: tuple[str, ...]
    tags: tuple[str, ...]  # the feeds' tags and the entry's own
    lang: str | None
    keywords: tuple[str, ...]  # keyword texts and their aliases
    first_seen: datetime | None = None
    url: str | None = None
    summary: str = ""
    story_id: int | None = None  # None until story detection has placed the article


@dataclass(frozen=True, slots=True)
class Match:
    """A watch matched an article, and why."""

    watch: str
    article_id: int
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Where story detection placed a new article: ``repeats`` is the earlier article of the
    window that tells the same story (None: a story of its own); ``fingerprint`` is kept so
    that the window can be rebuilt after a restart without the texts."""

    article_id: int
    repeats: int | None
    fingerprint: bytes | None


WatchMode = Literal["instant", "digest"]
StoryUpdates = Literal["silent", "notify"]


@dataclass(frozen=True, slots=True)
class WatchPolicy:
    """What becomes of a watch's matches: where they go, when, and how many an hour at most.

    ``rate_limit`` is (alerts, seconds): instant alerts beyond it in any such window wait for
    the watch's next digest instead of being dropped.
    """

    name: str
    notify: tuple[str, ...]
    mode: WatchMode = "instant"
    rate_limit: tuple[int, float] | None = None
    story_updates: StoryUpdates = "silent"  # later copies of an alerted story: silent, or notify


AlertEvent = Literal["alert.created", "story.updated"]


@dataclass(frozen=True, slots=True)
class AlertArticle:
    """One matched article as an alert shows it.

    ``matched`` holds (term, field) pairs, such as ("CSTO", "title"), in the order found;
    ``source_feeds`` names the feeds that carried the article.
    """

    title: str
    url: str
    source_feeds: tuple[str, ...] = ()
    published: datetime | None = None
    keywords: tuple[str, ...] = ()
    matched: tuple[tuple[str, str], ...] = ()
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """What a watch has to say: one article (instant mode) or several (a digest).

    ``id`` is stable across retries: it is the webhook-id (the receiver's idempotency key) and
    the seed of the e-mail Message-ID, so a resend is recognisable as the same alert.
    ``thread_of`` names an earlier alert (its id, or a Message-ID in angle brackets) that this
    one follows up, as "story.updated" does.
    """

    id: str
    watch: str
    event: AlertEvent
    articles: tuple[AlertArticle, ...]
    created: datetime
    thread_of: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An alert row that is due to be sent through one notifier."""

    row: int  # alerts.id
    notifier: str
    attempts: int  # made so far
    alert: Alert


@dataclass(frozen=True, slots=True)
class MatchReport:
    """What the store did with one batch of matching: matches, alerts, stories."""

    articles: int = 0  # articles looked at
    matches: int = 0  # new (watch, article) matches
    alerts: int = 0  # outbox rows written (one per notifier)
    queued: int = 0  # matches waiting for a digest (digest mode, or over the rate limit)
    stories: int = 0  # new stories
    copies: int = 0  # articles that joined an earlier article's story
    # (re-issue, original): re-issues merged into the article they repeat (their rows gone)
    merged: tuple[tuple[int, int], ...] = ()
