"""The document a query is matched against, prepared once for all watches, and the hits
that explain a match.

Preparing reads each field once: Unicode compatibility forms folded (NFKC), links blanked out,
the text folded for case (``forms.fold``), its set of distinct words and of their keys. No
query is looked at here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..models import Keyword
from .forms import KEY_LENGTH, WORD, fold

TEXT_FIELDS = ("title", "body")  # where a term without a field scope looks
CODES = {"title": "T", "body": "B", "feed": "F", "tag": "G", "keyword": "K", "lang": "L"}
# Feed names, tags and keywords are several values in one text; this keeps a phrase from
# running from one value into the next, since no term's gap matches "|".
JOIN = " | "
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Document:
    """What a query is matched against: an article with its feeds, tags, language and keywords.

    ``keywords`` holds keyword texts and their aliases as plain strings (``keyword_texts``
    makes them from ``Keyword`` values).
    """

    title: str = ""
    body: str = ""
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lang: str | None = None
    keywords: tuple[str, ...] = ()


def keyword_texts(keywords: Iterable[Keyword]) -> tuple[str, ...]:
    """Every text and alias of the keywords, for ``Document.keywords``."""
    return tuple(text for keyword in keywords for text in (keyword.text, *keyword.aliases))


class Text:
    """One field of a document: normalised, folded, its set of words and of their keys."""

    __slots__ = ("_by_key", "keys", "low", "raw", "values", "words")

    def __init__(self, raw: str, values: tuple[str, ...] | None = None) -> None:
        self.raw = raw
        self.low = fold(raw)
        self.words = _words(self.low)
        self.keys = frozenset({word[:KEY_LENGTH] for word in self.words})
        self.values = values
        self._by_key: dict[str, list[str]] | None = None

    def words_by_key(self) -> dict[str, list[str]]:
        """The words under their keys, made when first asked for."""
        if self._by_key is None:
            self._by_key = {}
            for word in self.words:
                self._by_key.setdefault(word[:KEY_LENGTH], []).append(word)
        return self._by_key


def _words(low: str) -> frozenset[str]:
    r"""The distinct words (``\w+`` runs) of a text. Most space-separated chunks are one
    word already; only the others go through the regular expression, which is the slow
    part on a long article."""
    chunks = set(low.split())
    words = set(filter(str.isalnum, chunks))
    words.update(WORD.findall(" ".join(chunks - words)))
    return frozenset(words)


class Prepared:
    """A document ready for matching: one pass over each field, whatever the watches."""

    def __init__(self, doc: Document) -> None:
        self.texts = {
            "title": Text(_mask_urls(_normal(doc.title))),
            "body": Text(_mask_urls(_normal(doc.body))),
            "feed": _multi(doc.feeds),
            "tag": _multi(doc.tags),
            "keyword": _multi(doc.keywords),
        }
        lang = fold(doc.lang or "").strip()
        self.lang = lang
        self.lang_keys = frozenset({lang, lang.split("-")[0]} - {""})


def _normal(text: str) -> str:
    # NFKC folds compatibility forms (ligatures, full-width letters, the long s) so that the
    # folded text and the case-insensitive expressions agree on what a letter is.
    return unicodedata.normalize("NFKC", text)


def _mask_urls(text: str) -> str:
    """Blank out links: a slug such as /kazakhstan-csto-withdrawal is not a mention."""
    if "://" not in text and "www." not in text and "WWW." not in text:
        return text
    return _URL.sub(lambda found: " " * len(found.group()), text)


def _multi(values: tuple[str, ...]) -> Text:
    values = tuple(" ".join(_normal(value).split()) for value in values)
    return Text(JOIN.join(values), values)


@lru_cache(maxsize=32)
def prepare(doc: Document) -> Prepared:
    """The document prepared once, however many queries ask about it in a row."""
    return Prepared(doc)
