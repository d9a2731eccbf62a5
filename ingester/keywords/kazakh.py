"""Kazakh names, which lose their case suffixes when the bare stem is attested, and the
capitalised runs of other Cyrillic languages (Ukrainian, Kyrgyz, ...), taken as they stand.

No morphology library: suffix lists and the article itself decide. Mentions only: it does not
merge or score them.
"""

from __future__ import annotations

from collections.abc import Iterator

from .lexicon import (
    FIRST_NAMES,
    KK_ORG_HEADS,
    KK_PHRASE_ENDS,
    KK_PLACE_HEADS,
    KK_SUFFIXES,
    KK_TITLES,
    ORGANISATION,
    OTHER,
    PERSON,
    PLACE,
    STOP_KK,
    STOP_RU,
    SURNAME_ENDINGS_RU,
    gazetteer_kind,
    known_name,
)
from .mentions import TITLED, Mention, context_evidence, has_name_evidence, new_mention
from .tokens import Doc, Tok


def kk_mentions(run: list[Tok], doc: Doc) -> Iterator[Mention]:
    """Kazakh: no morphology to lean on. A case suffix ends a noun phrase, and so does a
    surname ("Олжас Бектенов | Атырауда"); the suffix is stripped from the name's last word."""
    piece: list[Tok] = []
    titled = False
    for tok in run:
        if _kk_title(tok.lower):
            if piece:
                yield from _kk_piece(piece, doc, titled)
            piece, titled = [], True
            continue
        piece.append(tok)
        if (
            tok.acro
            or (tok.lower.endswith(KK_PHRASE_ENDS) and not known_name(tok.text))
            or _kk_stem(tok.text, doc) != tok.text
            or tok.lower.endswith(SURNAME_ENDINGS_RU)
        ):
            yield from _kk_piece(piece, doc, titled)
            piece, titled = [], False
    if piece:
        yield from _kk_piece(piece, doc, titled)


def _kk_title(lower: str) -> bool:
    return lower in KK_TITLES or any(
        lower.startswith(t) and len(lower) - len(t) <= 3
        for t in ("президент", "министр", "әкім", "төраға")
    )


def _kk_piece(run: list[Tok], doc: Doc, titled: bool) -> Iterator[Mention]:
    toks = list(run)
    while toks and toks[0].lower in STOP_KK:
        toks = toks[1:]
    if not toks:
        return
    last = toks[-1]
    stem = last.text if last.acro else _kk_stem(last.text, doc)
    if stem == last.text and len(toks) > 1:
        stem = kk_head(stem)  # "Қазақстан Республикасының" -> "... Республикасы"
    words = [t.text for t in toks[:-1]] + [stem]
    text = " ".join(words)
    if (
        len(toks) == 1
        and toks[0].initial
        and not (
            last.acro
            or stem in doc.mid_caps
            or known_name(stem)
            or stem != last.text
            or stem.lower().endswith(SURNAME_ENDINGS_RU)
        )
    ):
        return
    if text.lower() in KK_TITLES:
        return
    mention = new_mention(doc, toks, text, words)
    mention.acro = last.acro and len(toks) == 1
    known = gazetteer_kind(text)
    head = stem.lower()
    if known:
        mention.evidence[known] += 4.0
    elif mention.acro:
        mention.evidence[ORGANISATION] += 1.5
    elif len(words) > 1 and head.startswith(KK_PLACE_HEADS):
        mention.evidence[PLACE] += 3.0
    elif len(words) > 1 and head.startswith(KK_ORG_HEADS):
        mention.evidence[ORGANISATION] += 3.0
    elif len(words) > 1 and any(gazetteer_kind(w) == PLACE for w in words):
        mention.evidence[PLACE] += 2.0  # "Батыс Қазақстан" (West Kazakhstan)
    elif stem.lower().endswith(SURNAME_ENDINGS_RU) or words[0] in FIRST_NAMES:
        mention.evidence[PERSON] += 2.0 + (len(words) > 1)
    elif len(words) > 1:
        mention.evidence[PERSON] += 0.3
    else:
        mention.evidence[OTHER] += 0.3
    before = doc.word_before(mention.first)
    if titled or (before is not None and _kk_title(before.lower)):
        mention.evidence[PERSON] += 3.0
        mention.weight = TITLED
    context_evidence(doc, mention)
    yield mention


def kk_head(word: str) -> str:
    """The head of a Kazakh compound name without its case ending, which follows the
    possessive: "министрлігінің" -> "министрлігі", "Республикасының" -> "Республикасы"."""
    for suffix in KK_SUFFIXES:
        stem = word[: len(word) - len(suffix)]
        if word.endswith(suffix) and stem.endswith(("і", "ы")) and len(stem) > 4:
            return stem
    return word


def _kk_stem(word: str, doc: Doc) -> str:
    """Strip a Kazakh case (and possessive) suffix when the bare stem is attested: in the
    article, in the gazetteer, or as a surname ("Тоқаевтың" -> "Тоқаев")."""
    low = word.lower()
    for suffix in KK_SUFFIXES:
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)]
            if (
                stem in doc.cap_forms
                or known_name(stem)
                or stem.lower().endswith(SURNAME_ENDINGS_RU)
            ):
                return stem
    return word


def plain_mentions(run: list[Tok], doc: Doc) -> Iterator[Mention]:
    """Ukrainian, Kyrgyz and the rest: capitalised runs as they stand."""
    toks = [t for t in run if t.lower not in STOP_RU]
    if not toks:
        return
    if len(toks) == 1 and toks[0].initial and not has_name_evidence(toks[0], doc):
        return
    text = " ".join(t.text for t in toks)
    mention = new_mention(doc, toks, text, [t.text for t in toks])
    mention.acro = len(toks) == 1 and toks[0].acro
    known = gazetteer_kind(text)
    mention.evidence[known or (ORGANISATION if mention.acro else OTHER)] += 1.0
    context_evidence(doc, mention)
    yield mention
