"""An article's fingerprint, and the judgement whether two fingerprints are one story.

A fingerprint is computed once per article from its text and is all the judgement needs: a
MinHash signature of the text's word shingles, the number of distinct shingles, the numbers
and names the text states (as 32-bit hashes), its language and script. It serialises to a
few hundred bytes (``to_bytes``), what a BLOB column holds, so that a restart rebuilds the
index without reading or shingling any text again.

The MinHash is datasketch's scheme, computed here with numpy (see ``_signature``); the LSH
index is in ``index``. No I/O; no text is kept.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import numpy as np
import numpy.typing as npt

from .text import hash32, names, numbers, script, shingles, strip_furniture, words

# Three-word shingles. A changed word breaks k shingles, so longer shingles lose more of a
# lightly edited copy and most of a title-and-summary item: over the labelled pairs
# (tests/data/stories) and 8 permutation seeds, mean recall at the same bars was 0.985 for
# k=3, 0.961 for k=4 and 0.92 for k=5, mean precision 0.998-1.000 for all three. The price
# of k=3 is more phrases shared by unrelated reports in one house style ("the ministry said
# on"): judging by the set's unrelated pairs, about 110 LSH candidates per lookup in a window
# of 100,000 articles instead of 60, each settled in microseconds.
SHINGLE_WORDS = 3
# 128 permutations: the standard error of an estimated Jaccard similarity near the bars
# (0.3-0.5) is about 0.045. 256 narrowed the spread of the verdicts over permutation seeds a
# little (worst-seed precision 0.983 -> 1.0 on the pairs) at twice the signature time and
# storage, and datasketch would pick more LSH bands, each a dict entry per article.
NUM_PERM = 128
SEED = 1  # fixes the permutations: signatures must agree across processes and restarts
# A body shorter than this does not stand alone: the title and summary join it, and the
# stricter rules for short items apply.
MIN_BODY_WORDS = 50
MAX_KEPT = 64  # numbers and names kept per fingerprint: the smallest hashes, a fixed sample

FORMAT_VERSION = 1  # bump when anything above or the normalisation changes: old bytes are void
_HEADER = struct.Struct("<BBHHHI4s12s")
_SHORT = 1


@dataclass(frozen=True, slots=True)
class StoryText:
    """The text of an article as story detection reads it. ``lang`` is an ISO 639-1 code
    if known; without it, the script of the text stands in for the language."""

    title: str = ""
    summary: str = ""
    body: str = ""
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where "same story" begins. Containment is the share of the smaller text's shingles
    found in the other, as estimated from the signatures and the two sizes.

    ``body``: two articles with bodies are one story from here. Copies carried by other
    outlets (trimmed, with a local intro, reordered) mostly sit at 0.6-1.0, a few at 0.5;
    separate stories in one agency template (next day's exchange rate, next month's
    inflation) reach 0.6, and the numbers check stops those.
    ``update``: from here a body is the same story even if its numbers disagree: corrected or
    updated figures ("evacuated 7,200" after "5,600") rather than a new day's template.
    ``short``: when either side has only a title and summary. Few shingles make the estimate
    coarse, so besides the bar the names and numbers of the two must not contradict.
    ``numbers``: the share of the smaller set of numbers the other text must also state.
    """

    body: float = 0.55
    update: float = 0.80
    short: float = 0.50
    numbers: float = 0.5


THRESHOLDS = Thresholds()


class Reason(StrEnum):
    SAME = "same"
    LANGUAGE = "language"  # different languages or scripts: translations never merge
    EMPTY = "empty"  # no text to compare
    BELOW = "below"  # too little text in common
    NUMBERS = "numbers"  # the two state different figures or dates
    NAMES = "names"  # short items naming different people or places


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether two fingerprints are one story, with the estimates behind the answer."""

    same: bool
    jaccard: float
    containment: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What story detection keeps of an article. ``signature`` holds the ``num_perm``
    MinHash values as little-endian uint32 (datasketch's values are all below 2**32)."""

    signature: bytes
    size: int  # distinct shingles
    short: bool  # built from title and summary, not a body
    lang: str  # primary language subtag, "" if unknown
    script: str
    numbers: frozenset[int]
    names: frozenset[int]

    @property
    def hashvalues(self) -> npt.NDArray[np.uint32]:
        """The signature as a read-only array, without copying."""
        return np.frombuffer(self.signature, dtype="<u4")

    @property
    def num_perm(self) -> int:
        return len(self.signature) // 4

    def to_bytes(self) -> bytes:
        """The fingerprint as bytes: a 28-byte header, the signature (512 bytes with 128
        permutations), then 4 bytes per number and name kept; 600-800 bytes in all."""
        numbers_, names_ = sorted(self.numbers), sorted(self.names)
        header = _HEADER.pack(
            FORMAT_VERSION,
            _SHORT if self.short else 0,
            self.num_perm,
            len(numbers_),
            len(names_),
            self.size,
            self.lang.encode("ascii"),
            self.script.encode("ascii"),
        )
        hashes = np.array(numbers_ + names_, dtype="<u4").tobytes()
        return header + self.signature + hashes

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Read what ``to_bytes`` wrote; ``ValueError`` for bytes of another format version
        (recompute the fingerprint from the text) or for damaged bytes."""
        flags, num_perm, n_numbers, size, lang, script_ = _read_header(data)
        end = _HEADER.size + 4 * num_perm
        hashes = np.frombuffer(data, dtype="<u4", offset=end).tolist()
        return cls(
            signature=bytes(data[_HEADER.size : end]),
            size=size,
            short=bool(flags & _SHORT),
            lang=lang.rstrip(b"\0").decode("ascii"),
            script=script_.rstrip(b"\0").decode("ascii"),
            numbers=frozenset(hashes[:n_numbers]),
            names=frozenset(hashes[n_numbers:]),
        )


def readable(data: bytes) -> bool:
    """Whether fingerprint bytes are of this ``FORMAT_VERSION`` and whole."""
    try:
        _read_header(data)
    except ValueError:
        return False
    return True


def peek(data: bytes) -> tuple[npt.NDArray[np.uint32], int]:
    """The signature and shingle count of fingerprint bytes, without reading the rest: what
    indexing and a first look at a candidate need. Checked as ``from_bytes`` checks."""
    _, num_perm, _, size, _, _ = _read_header(data)
    return np.frombuffer(data, dtype="<u4", count=num_perm, offset=_HEADER.size), size


def _read_header(data: bytes) -> tuple[int, int, int, int, bytes, bytes]:
    """(flags, num_perm, numbers, shingles, lang, script) of checked fingerprint bytes."""
    if len(data) < _HEADER.size:
        raise ValueError("fingerprint bytes too short")
    version, flags, num_perm, n_numbers, n_names, size, lang, script_ = _HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise ValueError(f"fingerprint format {version}, expected {FORMAT_VERSION}")
    if len(data) != _HEADER.size + 4 * (num_perm + n_numbers + n_names):
        raise ValueError("fingerprint bytes of the wrong length")
    return flags, num_perm, n_numbers, size, lang, script_


def fingerprint(text: StoryText) -> Fingerprint:
    """The fingerprint of an article: of its body, or, if the body is missing or shorter
    than ``MIN_BODY_WORDS``, of its title, summary and what body there is."""
    body = strip_furniture(text.body)
    tokens = words(body)
    short = len(tokens) < MIN_BODY_WORDS
    if short:
        summary = strip_furniture(text.summary)
        # Titles are rewritten by every outlet and capitalised throughout by some: they count
        # for the shingles of a short item, never for its names.
        name_source = "\n".join(part for part in (summary, body) if part)
        tokens = words("\n".join(part for part in (text.title, name_source) if part))
    else:
        name_source = body
    units = shingles(tokens, SHINGLE_WORDS)
    return Fingerprint(
        signature=_signature(units),
        size=len(units),
        short=short,
        lang=_primary_subtag(text.lang),
        script=script(name_source or text.title),
        numbers=_sample(numbers(tokens)),
        names=_sample(names(name_source)),
    )


def _signature(units: set[str]) -> bytes:
    """The MinHash signature of ``units``, as little-endian uint32.

    The values are the ones ``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED,
    hashfunc=zlib.crc32)`` gives after ``update_batch`` (tests/test_story.py holds the two
    side by side): each shingle's crc32 goes through NUM_PERM universal hashes
    ``(a * h + b) mod (2**61 - 1)``, cut to 32 bits, and each keeps its minimum. It is
    computed here because importing datasketch imports scipy for its LSH, which we do not use
    (``index`` has its own): about 55 MB in every process that places stories.
    """
    a, b = _permutations()
    if not units:
        return np.full(NUM_PERM, _MAX_HASH, dtype="<u4").tobytes()
    hashes = np.fromiter(map(zlib.crc32, map(str.encode, units)), dtype=np.uint64, count=len(units))
    # (a * h + b) wraps at 2**64 as datasketch's uint64 arithmetic does. Then "mod 2**61 - 1"
    # without a division: for a Mersenne prime p = 2**61 - 1, x = hi * 2**61 + lo is
    # congruent to hi + lo, which is below 2 * p, so one subtraction finishes it. This is
    # 2.5 times quicker than numpy's %, for the same values.
    values: npt.NDArray[np.uint64] = hashes[:, np.newaxis] * a
    values += b
    high = values >> np.uint64(61)
    values &= _MERSENNE_PRIME
    values += high
    values[values >= _MERSENNE_PRIME] -= _MERSENNE_PRIME
    values &= _MAX_HASH
    signature: bytes = values.min(axis=0).astype("<u4").tobytes()
    return signature


_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


@cache
def _permutations() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The NUM_PERM (a, b) pairs, drawn as datasketch draws them from ``SEED``."""
    gen = np.random.RandomState(SEED)
    pairs = [
        (
            gen.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
            gen.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
        )
        for _ in range(NUM_PERM)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


def _primary_subtag(lang: str | None) -> str:
    subtag = (lang or "").replace("_", "-").split("-")[0].strip().lower()
    return subtag if subtag.isascii() and subtag.isalpha() and len(subtag) <= 4 else ""


def _sample(values: set[str]) -> frozenset[int]:
    return frozenset(sorted(hash32(value) for value in values)[:MAX_KEPT])


def same_language(a: Fingerprint, b: Fingerprint) -> bool:
    """False for a translation: declared languages differ or, where either is unknown, the
    scripts do (Kazakh and Ukrainian Cyrillic differ from Russian)."""
    if a.lang and b.lang:
        return a.lang == b.lang
    return not a.script or not b.script or a.script == b.script


def compare(a: Fingerprint, b: Fingerprint, thresholds: Thresholds = THRESHOLDS) -> Verdict:
    """Whether ``a`` and ``b`` are one story, and why.

    Same language first; then the estimated containment must reach the bar (``body``, or
    ``short`` if either is a title-and-summary item). Different stories in one template are
    kept apart by what they state: disagreeing numbers veto a match below ``update``, and for
    short items so do names that each side has and the other lacks.
    """
    if a.num_perm != b.num_perm:
        raise ValueError(f"signatures of {a.num_perm} and {b.num_perm} permutations")
    if not a.size or not b.size:
        return Verdict(False, 0.0, 0.0, Reason.EMPTY)
    if not same_language(a, b):
        return Verdict(False, 0.0, 0.0, Reason.LANGUAGE)
    jaccard = float(np.count_nonzero(a.hashvalues == b.hashvalues)) / a.num_perm
    contained = containment(jaccard, a.size, b.size)
    short = a.short or b.short
    if contained < (thresholds.short if short else thresholds.body):
        return Verdict(False, jaccard, contained, Reason.BELOW)
    disagree = _numbers_disagree(*_comparable(a.numbers, b.numbers), thresholds.numbers)
    if short:
        names_a, names_b = _comparable(a.names, b.names)
        if names_a - names_b and names_b - names_a:
            return Verdict(False, jaccard, contained, Reason.NAMES)
        if disagree:
            return Verdict(False, jaccard, contained, Reason.NUMBERS)
    elif disagree and contained < thresholds.update:
        return Verdict(False, jaccard, contained, Reason.NUMBERS)
    return Verdict(True, jaccard, contained, Reason.SAME)


def same_story(a: Fingerprint, b: Fingerprint, thresholds: Thresholds = THRESHOLDS) -> bool:
    return compare(a, b, thresholds).same


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the smaller set found in the larger, from their Jaccard similarity and
    sizes: |A∩B| = J·(|A|+|B|)/(1+J). A trimmed copy has a low Jaccard similarity to the
    full text but a containment near 1."""
    common = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, common / min(size_a, size_b))


def _comparable(a: frozenset[int], b: frozenset[int]) -> tuple[frozenset[int], frozenset[int]]:
    """Two samples of at most ``MAX_KEPT`` smallest hashes, cut to the range both cover: a
    name missing from a full sample is absent, one beyond its last hash merely unsampled."""
    limit = min(_sampled_up_to(a), _sampled_up_to(b))
    if limit == _ALL:
        return a, b
    return frozenset(h for h in a if h <= limit), frozenset(h for h in b if h <= limit)


def _sampled_up_to(sample: frozenset[int]) -> int:
    return max(sample) if len(sample) >= MAX_KEPT else _ALL


_ALL = 2**32


def _numbers_disagree(a: frozenset[int], b: frozenset[int], share: float) -> bool:
    # One or two numbers prove nothing (a date, a single figure updated); more that mostly
    # differ are a different day's report in the same words.
    if len(a) < 2 or len(b) < 2:
        return False
    return len(a & b) < share * min(len(a), len(b))
