r"""Keywords and named entities of an article, and the language it is written in.

    title + body -> tokens -> capitalised runs -> mentions -> entities (merged, typed) -+-> ranked
                       \-> "Long Name (ACR)", "ACR (Long Name)" -> links ------------/   |
                       \-> n-grams between stop words -> key phrases (kind "other") ----/

A pure stage: strings in, ``Keyword`` values out. The only I/O is loading the models that ship
inside their PyPI packages, once per process and on first use: py3langid's (about 1 s) and
pymorphy3's Russian dictionaries (0.2 s). It imports no other stage and fetches nothing.

Names are runs of capitalised words. In English a run is cleaned by rules: a sentence-initial
common word is dropped ("The", "But", "According": stop words, and words the article also
writes in lower case), an honorific title is cut off and taken as evidence of a person
("Russian Defense Minister | Sergei Shoigu"), "of" stays inside only after a head that takes it
("Bank of Russia"), possessives are cut ("Kazakhstan's"), and a Title Case headline keeps only
the capitals the body confirms. The type comes from weighted evidence: suffix words
(Committee, Bank, Airport, Prize), the small gazetteer in ``lexicon``, a title or
"said" around the name, given names and post-Soviet surname endings, "in" or "from" before it.

Russian runs go through pymorphy3: its Name/Surn/Patr, Geox and Orgn tags give the type, and
every name goes to the nominative: a full name word by word with one gender and case for all
("Касым-Жомарта Токаева" -> "Касым-Жомарт Токаев"), a lone word by the lemma that the other
forms in the article share ("Токаевым", "Токаева" -> "Токаев"), an organisation by its head
and lower-case genitive tail ("Комитета национальной безопасности" -> "Комитет ..."). Rules
on surname endings back pymorphy3 up where it guesses a common noun ("Песков", "of sands").
Kazakh names lose their case suffixes ("Тоқаевтың" -> "Тоқаев") when the bare stem is
attested; other Cyrillic languages keep their capitalised runs as they are.

One entity may have several forms, kept in ``aliases``: a surname alone joins the full name it
ends ("Toqaev"), an acronym its expansion, given in brackets or just used in the same article
("UN", "United Nations"), a clipped name the full one ("Fed"), and one place written in two
scripts ("Казахстан" in an English article's quote). An acronym and its expansion are listed
under the acronym: it is the form the rest of the story uses, it does not inflect (ОДКБ), and
it is what people put in watchlists.

Scores add up mentions (one in the title counts 3, in the lead 1.5, with a title before the
name 1.5 times more), plus an early first mention and the name's length, relative to the best
entity of the article. A few key phrases of kind "other" ("fuel prices", "state of emergency")
are n-grams of up to three words between stop words that recur in the body, scored the same
way at a discount so that they rank below the main names; English and Russian only.

The modules follow the flow: ``lang`` (which language), ``tokens`` (the article as tokens),
``mentions`` (what the name rules share), ``english``, ``russian`` and ``kazakh`` (names by
language and script), ``acronyms`` and ``merge`` (mentions into entities), ``phrases`` (key
phrases), ``scoring`` (the ranked keywords); ``lexicon`` holds the word lists and the
gazetteer. Only this module is the stage's interface: ``detect_language`` and ``keywords``.
"""

from __future__ import annotations

from ..models import Keyword
from .english import en_mentions
from .kazakh import kk_mentions, plain_mentions
from .lang import detect_language
from .lexicon import PLACE
from .mentions import Mention, runs
from .merge import merge_mentions
from .phrases import key_phrases
from .russian import ru_mentions, ru_resolve_single_words
from .scoring import rank
from .tokens import Doc

__all__ = ["detect_language", "keywords"]


def keywords(
    title: str | None, body: str | None, lang: str | None, *, limit: int = 20
) -> tuple[Keyword, ...]:
    """Keywords and named entities of an article, best first, at most ``limit``.

    ``lang`` is the article's ISO 639-1 code; ``None`` detects it. English and Russian get the
    full treatment, Kazakh its case suffixes stripped, other languages capitalised runs as they
    stand.
    """
    title, body = (title or "").strip(), (body or "").strip()
    if limit <= 0 or not (title or body):
        return ()
    if lang is None:
        lang = detect_language(f"{title}\n{body}")
    doc = Doc(title, body, lang or "")
    mentions = _find_mentions(doc)
    entities = merge_mentions(doc, mentions)
    used = {pos for m in mentions for pos in range(m.first, m.last + 1)}
    phrases = key_phrases(doc, used, max(2, limit // 5))
    return rank(doc, entities, phrases, limit)


def _find_mentions(doc: Doc) -> list[Mention]:
    """Every name in the article, each run read by the rules of its script and language."""
    mentions: list[Mention] = []
    if doc.dateline:
        place, start = doc.dateline
        first = next(t.pos for t in doc.tokens if t.start >= start)
        mention = Mention(place, place, first, first, start, doc.tokens[first].line, (place,))
        mention.evidence[PLACE] += 3
        mentions.append(mention)
    for run in runs(doc):
        if run[0].cyr and doc.mode == "ru":
            mentions.extend(ru_mentions(run, doc))
        elif run[0].cyr and doc.mode == "kk":
            mentions.extend(kk_mentions(run, doc))
        elif run[0].cyr:
            mentions.extend(plain_mentions(run, doc))
        else:
            mentions.extend(en_mentions(run, doc))
    if doc.mode == "ru":
        ru_resolve_single_words(mentions)
    return mentions
