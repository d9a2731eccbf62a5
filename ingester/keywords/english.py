"""English (and any Latin-script) names: capitalised runs cleaned by rules and typed by
weighted evidence.

A sentence-initial common word is dropped, an honorific title cut off and taken as evidence
of a person, "of" kept only after a head that takes it; suffix words, the gazetteer, given
names and surname endings give the kind. Mentions only: it does not merge or score them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .lexicon import (
    ACRONYM_DROP,
    ACRONYM_TERMS,
    COMMON_INITIAL,
    CONNECTORS,
    DEMONYMS,
    DIRECTIONS,
    FIRST_NAMES,
    MONTHS_DAYS,
    NAME_PARTICLES,
    OF_HEADS,
    ORG_SUFFIXES,
    ORGANISATION,
    OTHER,
    OTHER_SUFFIXES,
    PERSON,
    PLACE,
    PLACE_PREFIXES,
    PLACE_SUFFIXES,
    STOP_EN,
    SURNAME_ENDINGS,
    SURNAME_ENDINGS_RU,
    SURNAME_ENDINGS_STRONG,
    TITLE_WORDS,
    gazetteer_kind,
    is_title_head,
    known_name,
)
from .mentions import TITLED, Mention, context_evidence, has_name_evidence, new_mention
from .tokens import Doc, Tok


def en_mentions(run: list[Tok], doc: Doc) -> Iterator[Mention]:
    for piece in _split_connectors(run):
        yield from _en_piece(piece, doc)


def _split_connectors(run: list[Tok]) -> Iterator[list[Tok]]:
    """Keep "of"/"for" only after a head that takes them (Ministry of Defense, Bank of Russia)."""
    piece: list[Tok] = []
    for tok in run:
        inside = piece and (piece[-1].lower in OF_HEADS or tok.lower in NAME_PARTICLES)
        if tok.cap or tok.acro or inside:
            piece.append(tok)
        else:
            if piece:
                yield piece
            piece = []
    if piece:
        yield piece


def _en_piece(toks: list[Tok], doc: Doc, title_evidence: bool = False) -> Iterator[Mention]:
    was_initial = bool(toks) and toks[0].initial
    while toks and _drop_leading(toks[0], doc):
        toks = toks[1:]
    while toks and not (toks[-1].cap or toks[-1].acro):
        toks = toks[:-1]
    if not toks:
        return
    breaks = [i for i, t in enumerate(toks) if t.text in MONTHS_DAYS]
    if breaks:
        i = breaks[0]
        yield from _en_piece(toks[:i], doc, title_evidence)
        yield from _en_piece(toks[i + 1 :], doc)
        return
    title_at = max((i for i, t in enumerate(toks[:-1]) if is_title_head(t.lower)), default=-1)
    if title_at >= 0 and toks[-1].lower not in ORG_SUFFIXES | PLACE_SUFFIXES:
        rest = [t for t in toks[:title_at] if not _is_title_word(t)]
        if any(t.text not in DEMONYMS for t in rest):
            yield from _en_piece(rest, doc)
        name_at = title_at + 1  # past "of State", "of Foreign Affairs"
        while name_at < len(toks) and (
            toks[name_at].lower in CONNECTORS or toks[name_at].lower in TITLE_WORDS
        ):
            name_at += 1
        yield from _en_piece(toks[name_at:], doc, title_evidence=True)
        return
    if all(_is_demonym(t) or t.lower in STOP_EN or t.text in DIRECTIONS for t in toks):
        return
    if _is_demonym(toks[0]) and all(t.initial for t in toks):
        toks = toks[1:]  # in a Title Case headline: "Belarusian Nobel (Laureate)" -> "Nobel"
    if toks[0].lower in TITLE_WORDS and len(toks) == 1:
        return
    if len(toks) == 1 and was_initial and toks[0].initial and not has_name_evidence(toks[0], doc):
        return
    if len(toks) == 1 and toks[0].text in ACRONYM_DROP:
        return
    text = " ".join(t.text for t in toks)
    mention = new_mention(doc, toks, text, [t.text for t in toks])
    mention.acro = len(toks) == 1 and toks[0].acro
    _en_evidence(mention, toks, doc.lower_words)
    if title_evidence:
        mention.evidence[PERSON] += 3.0
        mention.weight = TITLED
    context_evidence(doc, mention)
    yield mention


def _drop_leading(tok: Tok, doc: Doc) -> bool:
    """Whether a run's first word is a common word that the sentence capitalised."""
    if tok.acro or not tok.cap:
        return not (tok.acro or tok.cap)
    if tok.lower in STOP_EN or tok.text in MONTHS_DAYS:
        return True
    if not tok.initial or tok.text in doc.mid_caps or known_name(tok.text):
        return False
    return (
        tok.lower in doc.lower_words
        or tok.text in doc.lower_words
        or tok.lower in COMMON_INITIAL
        or tok.lower.endswith(("ing", "ly", "ed"))
    )


def _is_title_word(tok: Tok) -> bool:
    return tok.lower in TITLE_WORDS or is_title_head(tok.lower) or tok.text in DEMONYMS


def _is_demonym(tok: Tok) -> bool:
    return tok.text in DEMONYMS or (tok.text.endswith("s") and tok.text[:-1] in DEMONYMS)


def _en_evidence(mention: Mention, toks: Sequence[Tok], lower_words: frozenset[str]) -> None:
    ev, last, first = mention.evidence, toks[-1].lower, toks[0]
    known = gazetteer_kind(mention.text)
    if known:
        ev[known] += 4.0
    if last in ORG_SUFFIXES:
        ev[ORGANISATION] += 3.0
    elif last in OTHER_SUFFIXES:
        ev[OTHER] += 3.0
    if last in PLACE_SUFFIXES or (first.lower in PLACE_PREFIXES and len(toks) > 1):
        ev[PLACE] += 3.0
    if mention.acro:
        ev[OTHER if mention.text in ACRONYM_TERMS else ORGANISATION] += 1.5
    names = [t for t in toks if t.lower not in NAME_PARTICLES]
    if len(names) >= 2:
        if first.text in FIRST_NAMES:
            ev[PERSON] += 2.5
        if last.endswith(SURNAME_ENDINGS) or last.endswith(SURNAME_ENDINGS_RU):
            ev[PERSON] += 2.0
        if "-" in first.text and all(p[:1].isupper() for p in first.text.split("-")):
            ev[PERSON] += 1.0  # Qasym-Zhomart, Kassym-Jomart
        if not any(t.lower in lower_words for t in names):
            ev[PERSON] += 0.3  # no word of it is an ordinary word of the article
    elif not known and not mention.acro:
        if last.endswith(SURNAME_ENDINGS_STRONG) or last.endswith(SURNAME_ENDINGS_RU):
            ev[PERSON] += 1.5
        ev[OTHER] += 0.3
