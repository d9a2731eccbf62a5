"""Finding terms in a prepared document: whether each occurs, where first, and the hits.

A ``Finder`` serves one document. It decides each place (a term in a field) once, however
many watches ask, either by searching the field with the term's expression (``match``, the
reference) or, for the matcher, by the document's words and keys: a one-word term by the set
of words, any other by running its expression only where one of its keys starts a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import Hit
from .document import JOIN, Prepared, Text

if TYPE_CHECKING:
    from .compiler import Pattern

_SNIPPET_CONTEXT = 60
_UNKNOWN = Hit("", "", "", "")  # not looked for yet (None: looked for, not found)


@dataclass(eq=False, slots=True)
class Search:
    """How to find a term: its expression and keys, and the shortcuts for one-word terms.

    ``words`` (see ``forms.TermPattern``) decides a one-word term by the set of the document's
    words, without running the expression. ``word`` decides a one-word term whose forms are
    too many to list (Kazakh suffixes) by trying it on the few words of the document that
    start with one of its keys. A quoted phrase is looked for only in a text that has all
    of its ``required`` words. A phrase that starts with a short word ("in the", "a year")
    has keys that occur everywhere; its ``scan`` is the expression for the folded text, with
    no look-behind and no ignored case, which the regex engine itself scans for quickly.
    ``regex`` is None for ``lang:``, which compares codes.
    """

    regex: re.Pattern[str] | None
    keys: frozenset[str]
    words: frozenset[str] | None = None
    word: re.Pattern[str] | None = None
    required: frozenset[str] = frozenset()  # every word of a quoted phrase, folded
    scan: re.Pattern[str] | None = None


class Finder:
    """Which terms occur in one document, where, and their hits; each found once.

    ``keyed``: decide a term by its words or keys and run its expression only where a key
    occurs (the matcher); otherwise search each field with the expression (``match``, and
    the reference that the matcher is tested against).
    """

    def __init__(
        self, doc: Prepared, *, keyed: bool, decided: dict[int, bool] | None = None
    ) -> None:
        self.doc = doc
        self.keyed = keyed
        # By place number (see ``Pattern.holds``); the matcher decides some beforehand.
        self.found: dict[int, bool] = decided if decided is not None else {}
        self._hits: dict[int, Hit | None] = {}  # by pattern; None: it does not occur
        # By search and field: watches that share a term share its search, and where it
        # first occurs in a field (and the snippet there) is the same for all of them.
        self._spans: dict[tuple[int, str], tuple[int, int] | None] = {}
        self._located: dict[tuple[int, str], tuple[str, str]] = {}  # matched text, snippet

    def occurs(self, search: Search, name: str) -> bool:
        if search.regex is None:
            return not search.keys.isdisjoint(self.doc.lang_keys)
        text = self.doc.texts[name]
        if not self.keyed:
            return search.regex.search(text.raw) is not None
        if search.keys.isdisjoint(text.keys):
            return False
        if search.words is not None:
            return not search.words.isdisjoint(text.words)
        if search.word is not None:
            return _has_word(search.word, search.keys, text)
        if not search.required <= text.words:
            return False
        return self._span(search, name, text) is not None

    def _span(self, search: Search, name: str, text: Text) -> tuple[int, int] | None:
        key = (id(search), name)
        if key in self._spans:
            return self._spans[key]
        found = self._spans[key] = _span(search, text)
        return found

    def hit(self, pattern: Pattern) -> Hit | None:
        """The term's hit: in the first of its fields where it occurs (the title before the
        body), at its first occurrence there; None if it does not occur."""
        made = self._hits.get(id(pattern), _UNKNOWN)
        if made is _UNKNOWN:
            made = None
            if pattern.holds(self):  # which stops at that first field
                for place, name in pattern.places:
                    if self.found.get(place):
                        text, snippet = self._locate(pattern.search, name)
                        made = Hit(pattern.label, name, text, snippet, pattern.entity)
                        break
            self._hits[id(pattern)] = made
        return made

    def _locate(self, search: Search, name: str) -> tuple[str, str]:
        """The text of the first occurrence in a field and the snippet around it."""
        located = self._located.get((id(search), name))
        if located is None:
            if search.regex is None:
                located = (self.doc.lang, self.doc.lang)
            else:
                text = self.doc.texts[name]
                if self.keyed:
                    span = self._span(search, name, text)
                else:
                    found = search.regex.search(text.raw)
                    span = found.span() if found else None
                assert span is not None  # the term was found in this field a moment ago
                located = (text.raw[span[0] : span[1]], _snippet(text, *span))
            self._located[(id(search), name)] = located
        return located


def _has_word(word: re.Pattern[str], keys: frozenset[str], text: Text) -> bool:
    """Whether one of the text's words is a form of a one-word term: the expression is tried
    on the words that start with one of its keys (folded words; the expression ignores case
    and reads е and ё alike, so folding changes nothing for it)."""
    present = keys & text.keys
    if not present:
        return False
    by_key = text.words_by_key()
    for key in present:
        for candidate in by_key[key]:
            if word.fullmatch(candidate):
                return True
    return False


def _span(search: Search, text: Text) -> tuple[int, int] | None:
    """Where the term first occurs in the text, found by its keys or its scan."""
    assert search.regex is not None
    if search.scan is not None:
        return _scan_search(search.scan, text.low)
    return _keyed_search(search.regex, search.keys, text)


def _keyed_search(
    regex: re.Pattern[str], keys: frozenset[str], text: Text
) -> tuple[int, int] | None:
    """The leftmost match, trying the expression only where a word starts with a key.

    Every match starts a word whose folded prefix is one of the keys, and ``fold`` keeps
    offsets, so this finds exactly what ``regex.search`` would.
    """
    present = keys & text.keys
    if not present:
        return None
    low, raw = text.low, text.raw
    best: tuple[int, int] | None = None
    for key in present:
        at = low.find(key)
        while at != -1 and (best is None or at < best[0]):
            if at == 0 or not _is_word(low[at - 1]):
                found = regex.match(raw, at)
                if found is not None:
                    best = found.span()
                    break
            at = low.find(key, at + 1)
    return best


def _scan_search(scan: re.Pattern[str], low: str) -> tuple[int, int] | None:
    """The leftmost match of a scan expression on folded text that starts a word."""
    at = 0
    while (found := scan.search(low, at)) is not None:
        start = found.start()
        if start == 0 or not _is_word(low[start - 1]):
            return found.span()
        at = start + 1
    return None


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches


def _snippet(text: Text, start: int, end: int) -> str:
    if text.values is not None:  # the value of a feed, tag or keyword that matched
        before = text.raw.rfind(JOIN, 0, start)
        after = text.raw.find(JOIN, end)
        return text.raw[before + len(JOIN) if before != -1 else 0 : None if after == -1 else after]
    raw = text.raw
    left, right = max(0, start - _SNIPPET_CONTEXT), min(len(raw), end + _SNIPPET_CONTEXT)
    if left > 0:  # start at a word
        space = raw.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(raw):
        space = raw.rfind(" ", end, right)
        right = space if space != -1 else right
    inner = " ".join(raw[left:right].split())
    return ("…" if left > 0 else "") + inner + ("…" if right < len(raw) else "")
