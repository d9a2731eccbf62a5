"""The window of recent articles that a new article may repeat: a MinHash LSH index.

``StoryIndex`` holds each article's fingerprint as bytes and the time it was first seen,
forgets articles older than the window (seven days unless told otherwise) or beyond a
capacity, and is rebuilt after a restart from the stored bytes alone, without any text.
Candidates come from LSH bands of the MinHash signatures (datasketch's MinHash scheme, see
``sketch``) and are confirmed with ``compare``.

The bands are the ones ``datasketch.MinHashLSH`` picks for a Jaccard threshold of 0.2 with
128 permutations (28 bands of 2 rows), but the buckets are kept here, as sorted numpy arrays:
12 bytes per article and band. MinHashLSH's in-memory storage keeps a Python set per bucket
(960 MB for 100,000 articles), and even with a compact storage plugged in its dictionaries
cost about 2.5 KB per article; the arrays cost 340 bytes.

No clock and no I/O: the caller says what time it is and where the bytes live.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from .sketch import (
    NUM_PERM,
    THRESHOLDS,
    Fingerprint,
    Thresholds,
    Verdict,
    compare,
    containment,
    peek,
)

WINDOW = timedelta(days=7)
# The Jaccard similarity the bands are tuned for. A copy trimmed to half its source has a
# Jaccard similarity near 0.3 (containment 1.0), so the bar sits well below that: with 128
# permutations datasketch's MinHashLSH picks 28 bands of 2 rows for it, which makes a pair at
# J=0.3 a candidate with probability 0.93, at J=0.4 0.99, and a pair of unrelated articles
# (J<0.01) rarely.
LSH_THRESHOLD = 0.2
BANDS, ROWS = 28, 2
# Band entries waiting in the dictionary before they go into the arrays: a dictionary entry
# costs about 150 bytes, an array entry 12, so the dictionary is kept small (about 5 MB) and
# merged often; a merge inserts into the sorted arrays without sorting them again.
MERGE_AT = 32_768

ArticleId = int


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """An earlier article in the window that tells the same story."""

    article_id: ArticleId
    verdict: Verdict


class Relation(StrEnum):
    NEW = "new"  # no article in the window tells this story
    COPY = "copy"  # another feed's article of the same story
    UPDATE = "update"  # a re-issue in the same feed (new GUID, title or URL): an update


def relation(match: StoryMatch | None, *, same_feed: bool) -> Relation:
    """What a new article is to the one it matched: nothing, a copy, or an update of it."""
    if match is None:
        return Relation.NEW
    return Relation.UPDATE if same_feed else Relation.COPY


class StoryIndex:
    """Recent articles' fingerprints, searchable for the same story."""

    def __init__(
        self,
        *,
        window: timedelta = WINDOW,
        num_perm: int = NUM_PERM,
        capacity: int | None = None,
    ) -> None:
        self.window = window
        self.capacity = capacity
        self.num_perm = num_perm
        if num_perm < BANDS * ROWS:
            raise ValueError(f"{BANDS} bands of {ROWS} rows need {BANDS * ROWS} permutations")
        self._buckets = _Buckets(BANDS, ROWS)
        self._entries: dict[ArticleId, tuple[bytes, float]] = {}  # fingerprint, first seen
        self._by_age: list[tuple[float, ArticleId]] = []  # a heap; stale rows skipped on pop

    @property
    def bands(self) -> tuple[int, int]:
        """(bands, rows per band)."""
        return BANDS, ROWS

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._entries

    def __iter__(self) -> Iterator[tuple[ArticleId, bytes, datetime]]:
        """(article id, fingerprint bytes, first seen) of every article, for a store to keep."""
        for article_id, (data, seen) in self._entries.items():
            yield article_id, data, _from_timestamp(seen)

    def add(self, article_id: ArticleId, fp: Fingerprint | bytes, first_seen: datetime) -> None:
        """Index an article; an article already indexed is replaced (an edited text)."""
        data = fp.to_bytes() if isinstance(fp, Fingerprint) else fp
        signature, _ = peek(data)
        if len(signature) != self.num_perm:
            raise ValueError(f"a signature of {len(signature)} values, not {self.num_perm}")
        if article_id in self._entries:
            self.remove(article_id)
        seen = _timestamp(first_seen)
        self._buckets.add(article_id, self._buckets.keys(signature))
        self._entries[article_id] = (data, seen)
        heapq.heappush(self._by_age, (seen, article_id))
        if self.capacity is not None:
            while len(self._entries) > self.capacity:
                self._drop_oldest()

    def remove(self, article_id: ArticleId) -> None:
        """Forget an article; nothing happens if it is not indexed."""
        if self._entries.pop(article_id, None) is not None:
            self._buckets.remove(article_id)

    def replace(self, original: ArticleId, reissue: ArticleId) -> None:
        """``reissue`` was merged into ``original``: the original takes the re-issue's
        fingerprint (its text now) and keeps its own first-seen time; the re-issue goes."""
        entry, old = self._entries.get(reissue), self._entries.get(original)
        self.remove(reissue)
        if entry is not None:
            seen = old[1] if old is not None else entry[1]
            self.add(original, entry[0], _from_timestamp(seen))

    def fingerprint(self, article_id: ArticleId) -> Fingerprint:
        return Fingerprint.from_bytes(self._entries[article_id][0])

    def candidates(self, fp: Fingerprint) -> list[ArticleId]:
        """Articles sharing at least one LSH band with ``fp``: likely similar, unconfirmed."""
        return sorted(self._buckets.query(self._buckets.keys(fp.hashvalues)))

    def find(
        self,
        fp: Fingerprint,
        *,
        exclude: ArticleId | None = None,
        thresholds: Thresholds = THRESHOLDS,
    ) -> StoryMatch | None:
        """The indexed article that tells the same story as ``fp``, if any: of the confirmed
        candidates the one that shares most, the earliest of equals."""
        best: tuple[float, float, ArticleId, Verdict] | None = None
        bar = min(thresholds.short, thresholds.body)
        signature = fp.hashvalues
        for article_id in self.candidates(fp):
            if article_id == exclude:
                continue
            data, seen = self._entries[article_id]
            # Most candidates of a band collision share little: a look at the signature and
            # size settles them without reading the rest of the bytes.
            other, size = peek(data)
            jaccard = float(np.count_nonzero(signature == other)) / len(signature)
            if size and fp.size and containment(jaccard, fp.size, size) < bar:
                continue
            verdict = compare(fp, Fingerprint.from_bytes(data), thresholds)
            if not verdict.same:
                continue
            key = (-verdict.containment, seen, article_id, verdict)
            if best is None or key[:3] < best[:3]:
                best = key
        return None if best is None else StoryMatch(best[2], best[3])

    def expire(self, now: datetime) -> list[ArticleId]:
        """Forget articles first seen before ``now`` minus the window; returns their ids."""
        cutoff = _timestamp(now - self.window)
        gone = []
        while self._by_age and self._by_age[0][0] < cutoff:
            seen, article_id = heapq.heappop(self._by_age)
            entry = self._entries.get(article_id)
            if entry is not None and entry[1] == seen:
                self.remove(article_id)
                gone.append(article_id)
        return gone

    def _drop_oldest(self) -> None:
        while self._by_age:
            seen, article_id = heapq.heappop(self._by_age)
            entry = self._entries.get(article_id)
            if entry is not None and entry[1] == seen:
                self.remove(article_id)
                return

    @classmethod
    def rebuild(
        cls,
        rows: Iterable[tuple[ArticleId, bytes, datetime]],
        *,
        now: datetime,
        window: timedelta = WINDOW,
        num_perm: int = NUM_PERM,
        capacity: int | None = None,
    ) -> StoryIndex:
        """An index of the stored (id, fingerprint bytes, first seen) rows still in the window.

        Bytes of another ``FORMAT_VERSION`` raise ``ValueError``; a caller that would rather
        go on leaves them out first (``readable``), and their articles start stories of their
        own.
        """
        index = cls(window=window, num_perm=num_perm, capacity=capacity)
        cutoff = now - window
        for article_id, data, first_seen in rows:
            if first_seen >= cutoff:
                index.add(article_id, data, first_seen)
        return index


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.timestamp()


def _from_timestamp(seen: float) -> datetime:
    return datetime.fromtimestamp(seen, UTC)


class _Buckets:
    """LSH buckets: for each (article, band) a 64-bit key of the band's rows and the article.

    Most entries sit in two arrays sorted by key (12 bytes an entry); new ones wait in a
    dictionary until there are enough to merge. Removed articles are remembered and filtered
    out until a compaction drops their entries.
    """

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        # A different salt per band, so equal rows in two bands are not one bucket.
        self._salt = np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        self._keys: npt.NDArray[np.uint64] = np.empty(0, np.uint64)
        self._ids: npt.NDArray[np.int64] = np.empty(0, np.int64)
        self._waiting: dict[int, list[ArticleId]] = {}
        self._waiting_count = 0
        self._removed: set[ArticleId] = set()
        self._live = 0

    def keys(self, signature: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
        rows = signature[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        key = np.zeros(self.bands, np.uint64)
        for row in range(self.rows):  # FNV-style mixing; uint64 arithmetic wraps around
            key = (key * np.uint64(0x100000001B3)) ^ rows[:, row]
        return key ^ self._salt

    def add(self, article_id: ArticleId, keys: npt.NDArray[np.uint64]) -> None:
        if article_id in self._removed:  # its old entries must go before new ones come
            self._compact()
        for key in keys.tolist():
            self._waiting.setdefault(key, []).append(article_id)
        self._waiting_count += len(keys)
        self._live += 1
        if self._waiting_count >= MERGE_AT:
            self._merge()

    def remove(self, article_id: ArticleId) -> None:
        self._removed.add(article_id)
        self._live -= 1
        if len(self._removed) * 4 > max(self._live, 1024):
            self._compact()

    def query(self, keys: npt.NDArray[np.uint64]) -> set[ArticleId]:
        found: set[ArticleId] = set()
        if len(self._keys):
            left = np.searchsorted(self._keys, keys, side="left")
            right = np.searchsorted(self._keys, keys, side="right")
            for start, end in zip(left.tolist(), right.tolist(), strict=True):
                if end > start:
                    found.update(self._ids[start:end].tolist())
        for key in keys.tolist():
            waiting = self._waiting.get(key)
            if waiting:
                found.update(waiting)
        return found - self._removed

    def _merge(self) -> None:
        if not self._waiting:
            return
        keys = np.array([key for key, ids in self._waiting.items() for _ in ids], dtype=np.uint64)
        ids = np.array(
            [article_id for waiting in self._waiting.values() for article_id in waiting],
            dtype=np.int64,
        )
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        # After the entries already there with the same key: a bucket keeps insertion order.
        at = np.searchsorted(self._keys, keys, side="right")
        self._keys = np.insert(self._keys, at, keys)
        self._ids = np.insert(self._ids, at, ids)
        self._waiting, self._waiting_count = {}, 0

    def _compact(self) -> None:
        self._merge()
        if self._removed:
            removed = np.fromiter(self._removed, dtype=np.int64, count=len(self._removed))
            keep = ~np.isin(self._ids, removed)
            self._keys, self._ids = self._keys[keep], self._ids[keep]
            self._removed = set()
