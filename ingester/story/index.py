"""The window of recent articles that a new article may repeat: a MinHash LSH index.

``StoryIndex`` wraps ``datasketch.MinHashLSH``. It holds each article's fingerprint as bytes
and the time it was first seen, forgets articles older than the window (seven days unless
told otherwise) or beyond a capacity, and is rebuilt after a restart from the stored bytes
alone, without any text. Candidates from the LSH bands are confirmed with ``compare``.

No clock and no I/O: the caller says what time it is and where the bytes live.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from datasketch import MinHashLSH  # type: ignore[import-untyped]
from datasketch.storage import (  # type: ignore[import-untyped]
    OrderedStorage,
    UnorderedStorage,
)

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
# The Jaccard similarity datasketch tunes its bands for. A copy trimmed to half its source has
# a Jaccard similarity near 0.3 (containment 1.0), so the bar sits well below that: with 128
# permutations datasketch picks 28 bands of 2 rows, which makes a pair at J=0.3 a candidate
# with probability 0.93, at J=0.4 0.99, and a pair of unrelated articles (J<0.01) rarely.
LSH_THRESHOLD = 0.2

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
        threshold: float = LSH_THRESHOLD,
        num_perm: int = NUM_PERM,
        capacity: int | None = None,
    ) -> None:
        self.window = window
        self.capacity = capacity
        self.num_perm = num_perm
        self._lsh: Any = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # datasketch's in-memory storage keeps a set per bucket, even for the one key that most
        # buckets hold: 960 MB for 100,000 articles in 28 bands. These keep a lone key bare.
        # (Storage is datasketch's pluggable layer; MinHashLSH only calls the Storage API.)
        self._lsh.hashtables = [_Buckets() for _ in range(self._lsh.b)]
        self._lsh.keys = _Keys()
        self._entries: dict[ArticleId, tuple[bytes, float]] = {}  # fingerprint, first seen
        self._by_age: list[tuple[float, ArticleId]] = []  # a heap; stale rows skipped on pop

    @property
    def bands(self) -> tuple[int, int]:
        """The (bands, rows per band) datasketch chose for the threshold."""
        return self._lsh.b, self._lsh.r

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
        self._lsh.insert(article_id, _Signature(signature), check_duplication=False)
        self._entries[article_id] = (data, seen)
        heapq.heappush(self._by_age, (seen, article_id))
        if self.capacity is not None:
            while len(self._entries) > self.capacity:
                self._drop_oldest()

    def remove(self, article_id: ArticleId) -> None:
        """Forget an article; nothing happens if it is not indexed."""
        if self._entries.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def fingerprint(self, article_id: ArticleId) -> Fingerprint:
        return Fingerprint.from_bytes(self._entries[article_id][0])

    def candidates(self, fp: Fingerprint) -> list[ArticleId]:
        """Articles sharing at least one LSH band with ``fp``: likely similar, unconfirmed."""
        found: list[ArticleId] = self._lsh.query(_Signature(fp.hashvalues))
        return found

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
        threshold: float = LSH_THRESHOLD,
        num_perm: int = NUM_PERM,
        capacity: int | None = None,
    ) -> StoryIndex:
        """An index of the stored (id, fingerprint bytes, first seen) rows still in the window.

        Bytes of another ``FORMAT_VERSION`` raise ``ValueError``: the store recomputes those
        fingerprints from the text (once, after an upgrade) before it rebuilds.
        """
        index = cls(window=window, threshold=threshold, num_perm=num_perm, capacity=capacity)
        cutoff = now - window
        for article_id, data, first_seen in rows:
            if first_seen >= cutoff:
                index.add(article_id, data, first_seen)
        return index


class _Signature:
    """What ``MinHashLSH`` reads of a MinHash: its length and ``hashvalues``. Fed the uint32
    values as stored, the band keys are half the bytes of a ``LeanMinHash``'s uint64 ones."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray[Any, np.dtype[np.uint32]]) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.timestamp()


def _from_timestamp(seen: float) -> datetime:
    return datetime.fromtimestamp(seen, UTC)


class _Buckets(UnorderedStorage):  # type: ignore[misc]
    """One band's buckets: band hash -> the key, or a set of keys when several share it."""

    def __init__(self) -> None:
        self._buckets: dict[Hashable, Any] = {}

    def keys(self) -> Iterable[Hashable]:
        return self._buckets.keys()

    def get(self, key: Hashable) -> Iterable[Hashable]:
        found = self._buckets.get(key)
        if found is None:
            return ()
        return found if type(found) is set else (found,)

    def insert(self, key: Hashable, *vals: Hashable, **kwargs: Any) -> None:
        for val in vals:
            found = self._buckets.get(key)
            if found is None:
                self._buckets[key] = val
            elif type(found) is set:
                found.add(val)
            elif found != val:
                self._buckets[key] = {found, val}

    def remove(self, *keys: Hashable, **kwargs: Any) -> None:
        for key in keys:
            self._buckets.pop(key, None)

    def remove_val(self, key: Hashable, val: Hashable, **kwargs: Any) -> None:
        found = self._buckets[key]
        if type(found) is set:
            found.discard(val)
            if len(found) == 1:
                self._buckets[key] = next(iter(found))
        elif found == val:
            del self._buckets[key]

    def size(self) -> int:
        return len(self._buckets)

    def itemcounts(self, **kwargs: Any) -> dict[Hashable, int]:
        return {k: len(v) if type(v) is set else 1 for k, v in self._buckets.items()}

    def has_key(self, key: Hashable) -> bool:
        return key in self._buckets


class _Keys(OrderedStorage):  # type: ignore[misc]
    """Key -> its band hashes, as a tuple rather than datasketch's growing list."""

    def __init__(self) -> None:
        self._bands: dict[Hashable, tuple[Hashable, ...]] = {}

    def keys(self) -> Iterable[Hashable]:
        return self._bands.keys()

    def get(self, key: Hashable) -> tuple[Hashable, ...]:
        return self._bands.get(key, ())

    def insert(self, key: Hashable, *vals: Hashable, **kwargs: Any) -> None:
        self._bands[key] = vals

    def remove(self, *keys: Hashable, **kwargs: Any) -> None:
        for key in keys:
            del self._bands[key]

    def remove_val(self, key: Hashable, val: Hashable, **kwargs: Any) -> None:
        raise NotImplementedError("band hashes are replaced whole")

    def size(self) -> int:
        return len(self._bands)

    def itemcounts(self, **kwargs: Any) -> dict[Hashable, int]:
        return {k: len(v) for k, v in self._bands.items()}

    def has_key(self, key: Hashable) -> bool:
        return key in self._bands
