"""Story detection: articles from any feed whose texts are near-identical are one story.

    StoryText -> fingerprint -> StoryIndex.find -> StoryMatch | None -> relation (new, copy, update)

``text`` normalises and shingles, ``sketch`` turns a text into a MinHash fingerprint and
judges two fingerprints (``compare``, ``same_story``), ``index`` keeps the recent window
searchable. A pure stage: no I/O, no clock, no logging of text. The thresholds, and the
labelled pairs that chose them, are described in ``tests/data/stories/README.md``.
"""

from .index import LSH_THRESHOLD, WINDOW, Relation, StoryIndex, StoryMatch, relation
from .sketch import (
    FORMAT_VERSION,
    MIN_BODY_WORDS,
    NUM_PERM,
    SHINGLE_WORDS,
    THRESHOLDS,
    Fingerprint,
    Reason,
    StoryText,
    Thresholds,
    Verdict,
    compare,
    containment,
    fingerprint,
    readable,
    same_language,
    same_story,
)

__all__ = [
    "FORMAT_VERSION",
    "LSH_THRESHOLD",
    "MIN_BODY_WORDS",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "THRESHOLDS",
    "WINDOW",
    "Fingerprint",
    "Reason",
    "Relation",
    "StoryIndex",
    "StoryMatch",
    "StoryText",
    "Thresholds",
    "Verdict",
    "compare",
    "containment",
    "fingerprint",
    "readable",
    "relation",
    "same_language",
    "same_story",
]
