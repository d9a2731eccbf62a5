"""Key phrases of kind "other" ("fuel prices", "state of emergency"): n-grams of up to three
words between stop words that recur in the body, weighed like names at a discount.

English and Russian only. Reads only the words the names left over, and leaves the names'
entities alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import PHRASE_STOP_EN, PHRASE_STOP_RU, RU_ENDINGS
from .mentions import position_weight
from .merge import Entity
from .russian import ru_nominative, ru_pos
from .tokens import Doc, Tok

_PHRASE_DISCOUNT = 0.4  # a key phrase counts less than a name mentioned as often
_RU_NOT_IN_PHRASES = frozenset(("VERB", "INFN", "GRND", "PRTS", "ADVB", "ADJS", "PRED", "NUMR"))


def key_phrases(doc: Doc, used: set[int], cap: int) -> list[Entity]:
    """Salient phrases of up to three words between stop words, best first: each occurrence
    weighs like a name's mention, longer phrases more; a phrase must recur in the body, and
    the title only adds weight to phrases the body uses (a Title Case headline's verbs
    would otherwise come out as "troops begin withdrawal")."""
    if doc.lang not in ("en", "ru", ""):
        return []  # no stop words or stemmer for the language: phrases would be noise
    grams: dict[tuple[str, ...], _Gram] = {}
    run: list[Tok] = []
    for tok in doc.tokens:
        if _phrase_word(tok, doc, used) or (len(run) == 1 and tok.lower == "of"):
            run.append(tok)
        elif run:
            _count_ngrams(doc, run, grams)
            run = []
    if run:
        _count_ngrams(doc, run, grams)
    inside: Counter[tuple[str, ...]] = Counter()  # sub-phrase -> most uses of a longer one
    for key, gram in grams.items():
        if len(key) > 1 and gram.body >= 2:
            for sub in _sub_phrases(key):
                inside[sub] = max(inside[sub], gram.body)
    ranked = []
    for key, gram in grams.items():
        if gram.body < 2 or gram.body <= inside[key]:
            continue  # rare, or only ever seen inside a longer phrase
        ranked.append((gram.weight * (1 + 0.5 * (len(key) - 1)), gram))
    ranked.sort(key=lambda item: (-item[0], item[1].first))
    found = []
    for weight, gram in ranked:
        surface = max(gram.surfaces, key=gram.surfaces.__getitem__)
        text = _phrase_text(surface, doc)
        if text is None:
            continue
        entity = Entity(text, tuple(text.split()))
        entity.weight = weight * _PHRASE_DISCOUNT
        entity.first = gram.first
        entity.forms[surface] += gram.body
        found.append(entity)
        if len(found) == cap:
            break
    return found


@dataclass(slots=True)
class _Gram:
    first: int
    body: int = 0  # occurrences in the body
    weight: float = 0.0
    surfaces: dict[str, int] = field(default_factory=dict)


def _phrase_word(tok: Tok, doc: Doc, used: set[int]) -> bool:
    if tok.kind != "w" or tok.pos in used or len(tok.lower) < 3 or tok.acro:
        return False
    if tok.cap and not (tok.initial and (tok.lower in doc.lower_words or tok.line == 0)):
        return False
    if not tok.cyr and tok.lower.endswith("ed"):
        return False  # a past tense, mostly: "sentenced", "said"
    stop = PHRASE_STOP_RU if tok.cyr else PHRASE_STOP_EN
    return tok.lower not in stop and tok.lower.isalpha()


def _count_ngrams(doc: Doc, run: list[Tok], grams: dict[tuple[str, ...], _Gram]) -> None:
    lowers = [t.lower for t in run]
    stems = [_stem(t.lower, t.cyr) for t in run]
    size = len(run)
    for i, tok in enumerate(run):
        if lowers[i] == "of":
            continue
        weight = position_weight(doc, tok.start, tok.line)
        for end in range(i + 1, min(i + 3, size) + 1):
            if lowers[end - 1] == "of":
                continue
            key = tuple(stems[i:end])
            gram = grams.get(key)
            if gram is None:
                gram = grams[key] = _Gram(tok.start)
            gram.weight += weight
            if tok.line > 0:
                gram.body += 1
                surface = " ".join(lowers[i:end])
                gram.surfaces[surface] = gram.surfaces.get(surface, 0) + 1


def _sub_phrases(key: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for n in range(1, len(key)):
        for i in range(len(key) - n + 1):
            yield key[i : i + n]


@lru_cache(maxsize=65536)
def _stem(word: str, cyrillic: bool) -> str:
    """A crude stem, only to count "price" and "prices", "цены" and "цен" together."""
    if cyrillic:
        for ending in RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                return word[: -len(ending)]
        return word
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _phrase_text(surface: str, doc: Doc) -> str | None:
    """The phrase as shown; Russian in the nominative. ``None`` for a Russian phrase with a verb
    or adverb in it (English verbs are mostly kept out by the stop list and the "-ed" rule)."""
    if not ("\u0400" <= surface[0] <= "\u04ff"):
        return surface
    if any(ru_pos(word) in _RU_NOT_IN_PHRASES for word in surface.split()):
        return None
    return " ".join(ru_nominative(surface.split()))
