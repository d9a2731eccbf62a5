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
(Committee, Bank, Airport, Prize), the small gazetteer at the end of this module, a title or
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
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

from .models import Keyword

PERSON, ORGANISATION, PLACE, OTHER = "person", "organisation", "place", "other"
_Weights = defaultdict[str, float]  # kind -> evidence, role -> score

# Languages py3langid may answer: the post-Soviet space and the languages a news feed there meets.
LANGUAGES = (
    *("en", "ru", "kk", "uk", "be", "ky", "uz", "tg", "tk", "az", "hy", "ka", "mn", "tt"),
    *("de", "fr", "es", "it", "pt", "nl", "pl", "cs", "ro", "bg", "sr", "tr", "lt", "lv"),
    *("et", "fi", "sv", "zh", "ja", "ko", "ar", "fa", "he", "hi", "ur"),
)
MIN_LETTERS = 20  # shorter text has no reliable language
_SAMPLE = 2500  # characters given to the language model; more does not change the answer
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_CYRILLIC_LANGS = frozenset(
    ("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "uz", "mn", "tt")
)
_KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_KAZAKH_ONLY = frozenset("әғқұӘҒҚҰ")  # not in Kyrgyz; ғ/қ also Tajik and Uzbek, told apart below
_NOT_KAZAKH = frozenset("ҳҷӣӯўїєґҲҶӢӮЎЇЄҐ")  # Tajik, Uzbek, Ukrainian


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or ``None`` if it is too short to tell."""
    sample = text[:_SAMPLE]
    letters = len(_LETTER.findall(sample))
    if letters < MIN_LETTERS:
        return None
    cyrillic = len(_CYRILLIC.findall(sample))
    kazakh = sum(map(sample.count, _KAZAKH_LETTERS))
    kazakh_only = sum(map(sample.count, _KAZAKH_ONLY))
    not_kazakh = sum(map(sample.count, _NOT_KAZAKH))
    ranked = [str(lang) for lang, _ in _langid().rank(sample)]
    best = ranked[0]
    if cyrillic * 2 >= letters and not not_kazakh:
        # py3langid often calls Kazakh Russian (and short Russian Kazakh); the letters decide.
        if kazakh_only >= 2 and kazakh >= 0.015 * cyrillic and best in _CYRILLIC_LANGS:
            return "kk"
        if best == "kk" and kazakh == 0 and cyrillic >= 100:
            return next((lang for lang in ranked if lang in _CYRILLIC_LANGS - {"kk"}), "ru")
    return best


@cache
def _langid() -> Any:
    import py3langid  # loads its model on first use

    py3langid.set_languages(list(LANGUAGES))
    return py3langid


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


# -- the public entry point -------------------------------------------------------------------


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
    doc = _Doc(title, body, lang or "")
    mentions = _find_mentions(doc)
    entities = _entities(doc, mentions)
    used = {pos for m in mentions for pos in range(m.first, m.last + 1)}
    phrases = _phrases(doc, used, max(2, limit // 5))
    return _rank(doc, entities, phrases, limit)


# -- tokens -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<dotted>\b(?:[A-Z]\.){2,})"  # U.S., U.K.
    r"|(?P<word>[^\W_]+(?:[-‐‑'’/][^\W_]+)*)"
    r"|(?P<nl>\n)"
    r"|(?P<punct>[^\w\s])"
)
_SENTENCE_END = frozenset(".!?…:")
_OPENERS = frozenset("\"'«“„‘([")
_POSSESSIVE = ("'s", "’s")
# "NUR-SULTAN --", "МОСКВА, 13 января —": a dateline opening the body names a place.
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_DATELINE = re.compile(
    rf"\s*([{_UPPER}][{_UPPER}'’. -]{{1,30}}[{_UPPER}])\s*(?:\([^)\n]{{1,40}}\))?"
    r"(?:,[^\n—–]{1,30}?)?\s*(?:--|—|–)\s"
)


@dataclass(slots=True)
class _Tok:
    text: str  # the word without a possessive 's
    lower: str
    pos: int  # index in the document's token list
    start: int  # character offset in the document
    line: int  # 0: the title, 1...: lines of the body
    kind: str  # "w" word, "n" number, "p" punctuation, "nl" line break
    initial: bool = False  # first word of a sentence or line: its capital says nothing
    cap: bool = False  # starts with a capital letter that may mark a name
    acro: bool = False  # CSTO, ОДКБ, RFE/RL
    cyr: bool = False
    poss: bool = False
    cut: bool = False  # "Russia-led" became "Russia": a name ends here
    skip: bool = False  # consumed by the dateline


class _Doc:
    """The article as tokens, with the facts about it that the rules consult."""

    def __init__(self, title: str, body: str, lang: str) -> None:
        self.lang = lang
        self.title_end = len(title)
        self.text = f"{title}\n{body}" if title else f"\n{body}"
        self.dateline: tuple[str, int] | None = None  # the place and where it stands
        self.tokens = self._tokenise()
        # Cyrillic words in an article of another script (Russian quotes and names in English
        # text) are read as Russian; Ukrainian, Kyrgyz and the rest are taken as they stand.
        self.mode = "kk" if lang == "kk" else "plain" if lang in _CYRILLIC_LANGS - {"ru"} else "ru"
        self.lead_end = self._lead_end()
        self.consumed: set[int] = set()  # tokens already inside a name
        self.length = max(len(self.text), 1)
        headlines = self._headline_lines()
        body_words = [
            t
            for t in self.tokens
            if t.kind == "w" and t.line > 0 and not t.skip and t.line not in headlines
        ]
        self.lower_words = frozenset(t.text for t in body_words if t.text[0].islower())
        self.mid_caps = frozenset(t.text for t in body_words if t.cap and not t.initial)
        self.cap_forms = frozenset(t.text for t in body_words if t.cap)
        self._title_case(headlines)

    def _tokenise(self) -> list[_Tok]:
        tokens: list[_Tok] = []
        line, initial = 0, True
        dateline = self._find_dateline()
        dateline_from, dateline_to = (dateline.start(1), dateline.end()) if dateline else (-1, -1)
        for match in _TOKEN.finditer(self.text):
            group, text, start = match.lastgroup, match.group(), match.start()
            if group == "nl":
                line, initial = line + 1, True
                tokens.append(_Tok(text, text, len(tokens), start, line, "nl"))
                continue
            if group == "punct":
                tokens.append(_Tok(text, text, len(tokens), start, line, "p"))
                if text in _SENTENCE_END:
                    initial = True
                continue
            if group == "dotted":
                text = text.replace(".", "")
            tok = _Tok(text, text, len(tokens), start, line, "w")
            in_dateline = dateline_from <= start < dateline_to
            if not text[0].isalpha() and not any(char.isalpha() for char in text):
                tok.kind = "n"
                tokens.append(tok)
                initial = in_dateline
                continue
            _shape(tok)
            tok.initial = initial
            tok.skip = in_dateline
            initial = in_dateline
            tokens.append(tok)
        if dateline:
            place = "-".join(part.capitalize() for part in dateline.group(1).split("-"))
            self.dateline = (place, dateline.start(1))
        return tokens

    def _find_dateline(self) -> re.Match[str] | None:
        """A dateline opens one of the first lines of the body (after any page chrome)."""
        at = self.title_end + 1
        for _ in range(12):
            found = _DATELINE.match(self.text, at)
            if found:
                return found
            at = self.text.find("\n", at) + 1
            if at == 0:
                break
        return None

    def _lead_end(self) -> int:
        """Where the lead ends: the end of the first body line of twelve words or more."""
        words_in_line: Counter[int] = Counter(t.line for t in self.tokens if t.kind == "w")
        lead_line = next((n for n in sorted(words_in_line) if n > 0 and words_in_line[n] >= 12), 1)
        ends = [t.start for t in self.tokens if t.kind == "nl" and t.line == lead_line + 1]
        return ends[0] if ends else len(self.text)

    def _headline_lines(self) -> set[int]:
        """Lines in Title Case: the title, or the page's own copy of it in the body."""
        lines: dict[int, list[_Tok]] = {}
        for tok in self.tokens:
            if tok.kind in ("w", "n") or (tok.kind == "p" and tok.text in ".!?"):
                lines.setdefault(tok.line, []).append(tok)
        found = set()
        for line, words in lines.items():
            if len(words) > 16 or words[-1].kind == "p":
                continue
            content = [t for t in words if len(t.text) > 3 and t.lower not in _STOP_EN]
            if len(content) >= 3 and sum(t.cap for t in content) >= 0.7 * len(content):
                found.add(line)
        return found

    def _title_case(self, headlines: set[int]) -> None:
        """In a Title Case Headline capitals mean nothing: keep only those the body confirms."""
        for tok in self.tokens:
            if tok.line not in headlines or tok.kind != "w" or not tok.cap or tok.acro:
                continue
            parts = tok.text.split("-")
            while parts and not self._confirmed("-".join(parts)):
                parts.pop()
            tok.cut = tok.cut or 0 < len(parts) < tok.text.count("-") + 1
            tok.cap = bool(parts)
            tok.text = "-".join(parts) or tok.text
            tok.lower = tok.text.lower()
            tok.initial = True

    def _confirmed(self, text: str) -> bool:
        return text in self.mid_caps or _known_name(text)

    def word_before(self, pos: int) -> _Tok | None:
        if pos > 0 and self.tokens[pos - 1].kind == "w":
            return self.tokens[pos - 1]
        return None

    def word_after(self, pos: int) -> _Tok | None:
        if pos + 1 < len(self.tokens) and self.tokens[pos + 1].kind == "w":
            return self.tokens[pos + 1]
        return None


def _shape(tok: _Tok) -> None:
    """Set a word token's capital, acronym, script and possessive flags."""
    text = tok.text
    if text.endswith(_POSSESSIVE) and len(text) > 3:
        text = text[:-2]
        tok.poss = True
    tok.cyr = "\u0400" <= text[0] <= "\u04ff"
    if text[0].islower():  # most words: nothing more to find out
        tok.text, tok.lower = text, text.lower()
        return
    parts = text.split("-")
    if len(parts) > 1 and parts[0][:1].isupper() and any(p[:1].islower() for p in parts[1:]):
        # "Russia-led", "Kremlin-backed": the name is the capitalised head.
        keep = []
        for part in parts:
            if not part[:1].isupper():
                break
            keep.append(part)
        text = "-".join(keep)
        tok.cut = True
    letters = [char for char in text if char.isalpha()]
    upper = sum(char.isupper() for char in letters)
    tok.acro = upper >= 2 and (
        (upper == len(letters) and len(letters) <= 6)
        or (text[0].isupper() and upper * 2 >= len(letters) and "-" not in text)
    )
    if upper == len(letters) and not tok.acro and len(letters) > 1:
        text = "-".join(part.capitalize() for part in text.split("-"))  # NUR-SULTAN
    tok.cap = text[0].isupper()
    tok.text, tok.lower = text, text.lower()


# -- mentions ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Mention:
    """One occurrence of a name, already in its canonical form."""

    text: str
    surface: str
    first: int  # token positions covered
    last: int
    start: int  # character offset
    line: int
    words: tuple[str, ...]  # canonical words, for matching a surname to a full name
    evidence: _Weights = field(default_factory=lambda: defaultdict(float))
    weight: float = 1.0
    acro: bool = False
    candidates: tuple[tuple[str, float], ...] = ()  # Russian single words: lemma choices


def _find_mentions(doc: _Doc) -> list[_Mention]:
    mentions: list[_Mention] = []
    if doc.dateline:
        place, start = doc.dateline
        first = next(t.pos for t in doc.tokens if t.start >= start)
        mention = _Mention(place, place, first, first, start, doc.tokens[first].line, (place,))
        mention.evidence[PLACE] += 3
        mentions.append(mention)
    for run in _runs(doc):
        if run[0].cyr and doc.mode == "ru":
            mentions.extend(_ru_mentions(run, doc))
        elif run[0].cyr and doc.mode == "kk":
            mentions.extend(_kk_mentions(run, doc))
        elif run[0].cyr:
            mentions.extend(_plain_mentions(run, doc))
        else:
            mentions.extend(_en_mentions(run, doc))
    if doc.mode == "ru":
        _ru_resolve_single_words(mentions)
    return mentions


def _runs(doc: _Doc) -> Iterator[list[_Tok]]:
    """Maximal runs of capitalised words, with name-internal connectors ("of", "bin")."""
    tokens, run = doc.tokens, list[_Tok]()
    for i, tok in enumerate(tokens):
        if tok.kind == "w" and (tok.cap or tok.acro) and not tok.skip:
            if run and (run[-1].cyr != tok.cyr or run[-1].cut or _ends_name(run[-1])):
                yield run
                run = []
            run.append(tok)
            continue
        if (
            run
            and tok.kind == "w"
            and tok.lower in _CONNECTORS
            and not tok.cyr
            and not run[-1].poss
            and i + 1 < len(tokens)
            and tokens[i + 1].kind == "w"
            and tokens[i + 1].cap
        ):
            run.append(tok)
            continue
        if run:
            yield run
            run = []
    if run:
        yield run


def _ends_name(tok: _Tok) -> bool:
    return tok.poss and tok.text not in _POSSESSIVE_INSIDE


def _mention(
    doc: _Doc, toks: Sequence[_Tok], text: str, words: Sequence[str] | None = None
) -> _Mention:
    first = toks[0]
    surface = doc.text[first.start : toks[-1].start + len(toks[-1].text)]
    return _Mention(
        text, surface, first.pos, toks[-1].pos, first.start, first.line, tuple(words or (text,))
    )


def _context_evidence(doc: _Doc, mention: _Mention) -> None:
    """What the words around a name say about its type."""
    before, after = doc.word_before(mention.first), doc.word_after(mention.last)
    ev = mention.evidence
    if before is None and mention.first > 1 and doc.tokens[mention.first - 1].text == ",":
        appositive = doc.word_before(mention.first - 1)
        if appositive is not None and appositive.lower in _TITLE_HEADS:
            before = appositive
    if before is not None:
        if before.lower in _PLACE_PREPS_STRONG:
            ev[PLACE] += 1.0
        elif before.lower in _PLACE_PREPS_WEAK:
            ev[PLACE] += 0.5
        elif _is_title_head(before.lower) or before.lower in _RU_TITLES:
            if not mention.acro and max(ev[ORGANISATION], ev[PLACE]) < 3:
                ev[PERSON] += 3.0
                mention.weight = _TITLED
        elif before.lower in _SAID:
            ev[PERSON] += 0.5  # "said Karim Masimov", but also "says Viasna"
        elif before.lower == "the":
            ev[ORGANISATION] += 0.3
    if after is not None and after.lower in _SAID and not mention.acro:
        ev[PERSON] += 1.0


# -- English (and any Latin-script) names -------------------------------------------------------


def _en_mentions(run: list[_Tok], doc: _Doc) -> Iterator[_Mention]:
    for piece in _split_connectors(run):
        yield from _en_piece(piece, doc)


def _split_connectors(run: list[_Tok]) -> Iterator[list[_Tok]]:
    """Keep "of"/"for" only after a head that takes them (Ministry of Defense, Bank of Russia)."""
    piece: list[_Tok] = []
    for tok in run:
        inside = piece and (piece[-1].lower in _OF_HEADS or tok.lower in _NAME_PARTICLES)
        if tok.cap or tok.acro or inside:
            piece.append(tok)
        else:
            if piece:
                yield piece
            piece = []
    if piece:
        yield piece


def _en_piece(toks: list[_Tok], doc: _Doc, title_evidence: bool = False) -> Iterator[_Mention]:
    was_initial = bool(toks) and toks[0].initial
    while toks and _drop_leading(toks[0], doc):
        toks = toks[1:]
    while toks and not (toks[-1].cap or toks[-1].acro):
        toks = toks[:-1]
    if not toks:
        return
    breaks = [i for i, t in enumerate(toks) if t.text in _MONTHS_DAYS]
    if breaks:
        i = breaks[0]
        yield from _en_piece(toks[:i], doc, title_evidence)
        yield from _en_piece(toks[i + 1 :], doc)
        return
    title_at = max((i for i, t in enumerate(toks[:-1]) if _is_title_head(t.lower)), default=-1)
    if title_at >= 0 and toks[-1].lower not in _ORG_SUFFIXES | _PLACE_SUFFIXES:
        rest = [t for t in toks[:title_at] if not _is_title_word(t)]
        if any(t.text not in _DEMONYMS for t in rest):
            yield from _en_piece(rest, doc)
        name_at = title_at + 1  # past "of State", "of Foreign Affairs"
        while name_at < len(toks) and (
            toks[name_at].lower in _CONNECTORS or toks[name_at].lower in _TITLE_WORDS
        ):
            name_at += 1
        yield from _en_piece(toks[name_at:], doc, title_evidence=True)
        return
    if all(_is_demonym(t) or t.lower in _STOP_EN or t.text in _DIRECTIONS for t in toks):
        return
    if _is_demonym(toks[0]) and all(t.initial for t in toks):
        toks = toks[1:]  # in a Title Case headline: "Belarusian Nobel (Laureate)" -> "Nobel"
    if toks[0].lower in _TITLE_WORDS and len(toks) == 1:
        return
    if len(toks) == 1 and was_initial and toks[0].initial and not _has_name_evidence(toks[0], doc):
        return
    if len(toks) == 1 and toks[0].text in _ACRONYM_DROP:
        return
    text = " ".join(t.text for t in toks)
    mention = _mention(doc, toks, text, [t.text for t in toks])
    mention.acro = len(toks) == 1 and toks[0].acro
    _en_evidence(mention, toks, doc.lower_words)
    if title_evidence:
        mention.evidence[PERSON] += 3.0
        mention.weight = _TITLED
    _context_evidence(doc, mention)
    yield mention


def _drop_leading(tok: _Tok, doc: _Doc) -> bool:
    """Whether a run's first word is a common word that the sentence capitalised."""
    if tok.acro or not tok.cap:
        return not (tok.acro or tok.cap)
    if tok.lower in _STOP_EN or tok.text in _MONTHS_DAYS:
        return True
    if not tok.initial or tok.text in doc.mid_caps or _known_name(tok.text):
        return False
    return (
        tok.lower in doc.lower_words
        or tok.text in doc.lower_words
        or tok.lower in _COMMON_INITIAL
        or tok.lower.endswith(("ing", "ly", "ed"))
    )


def _has_name_evidence(tok: _Tok, doc: _Doc) -> bool:
    """Whether a lone sentence-initial capitalised word is a name after all."""
    if tok.acro or tok.text in doc.mid_caps or _known_name(tok.text):
        return True
    if tok.lower.endswith(_SURNAME_ENDINGS_STRONG) or tok.lower.endswith(_SURNAME_ENDINGS_RU):
        return True
    after = doc.word_after(tok.pos)
    return after is not None and after.lower in _SAID


def _known_name(text: str) -> bool:
    return _gazetteer_kind(text) is not None or text in _FIRST_NAMES


def _is_title_word(tok: _Tok) -> bool:
    return tok.lower in _TITLE_WORDS or _is_title_head(tok.lower) or tok.text in _DEMONYMS


def _is_title_head(lower: str) -> bool:
    """President, Chair; also hyphenated: Secretary-General, Vice-President."""
    return lower in _TITLE_HEADS or (
        "-" in lower and any(part in _TITLE_HEADS for part in lower.split("-"))
    )


def _is_demonym(tok: _Tok) -> bool:
    return tok.text in _DEMONYMS or (tok.text.endswith("s") and tok.text[:-1] in _DEMONYMS)


def _en_evidence(mention: _Mention, toks: Sequence[_Tok], lower_words: frozenset[str]) -> None:
    ev, last, first = mention.evidence, toks[-1].lower, toks[0]
    known = _gazetteer_kind(mention.text)
    if known:
        ev[known] += 4.0
    if last in _ORG_SUFFIXES:
        ev[ORGANISATION] += 3.0
    elif last in _OTHER_SUFFIXES:
        ev[OTHER] += 3.0
    if last in _PLACE_SUFFIXES or (first.lower in _PLACE_PREFIXES and len(toks) > 1):
        ev[PLACE] += 3.0
    if mention.acro:
        ev[OTHER if mention.text in _ACRONYM_TERMS else ORGANISATION] += 1.5
    names = [t for t in toks if t.lower not in _NAME_PARTICLES]
    if len(names) >= 2:
        if first.text in _FIRST_NAMES:
            ev[PERSON] += 2.5
        if last.endswith(_SURNAME_ENDINGS) or last.endswith(_SURNAME_ENDINGS_RU):
            ev[PERSON] += 2.0
        if "-" in first.text and all(p[:1].isupper() for p in first.text.split("-")):
            ev[PERSON] += 1.0  # Qasym-Zhomart, Kassym-Jomart
        if not any(t.lower in lower_words for t in names):
            ev[PERSON] += 0.3  # no word of it is an ordinary word of the article
    elif not known and not mention.acro:
        if last.endswith(_SURNAME_ENDINGS_STRONG) or last.endswith(_SURNAME_ENDINGS_RU):
            ev[PERSON] += 1.5
        ev[OTHER] += 0.3


# -- Russian names --------------------------------------------------------------------------------


class _Parse(NamedTuple):
    lemma: str  # normal form, lower case; for a surname, in the parse's own gender
    role: str  # "name", "surn", "patr", "geox", "orgn", "adj", "noun", "" (anything else)
    gender: str  # "masc", "femn", "neut", "ms-f" or ""
    case: str  # "nomn", "gent", ... or "" for indeclinable words
    score: float


class _RuWord(NamedTuple):
    parses: tuple[_Parse, ...]
    known: bool  # in the dictionary, not guessed from its ending
    roles: dict[str, float]  # role -> summed parse score


@lru_cache(maxsize=65536)
def _ru_word(word: str) -> _RuWord:
    """What pymorphy3 says about a capitalised word; hyphenated unknown names by their last
    part ("Касым-Жомарта" is read as "Касым-" + "Жомарта")."""
    from pymorphy3.units import DictionaryAnalyzer

    raw = _morph().parse(word)
    known = bool(raw) and isinstance(raw[0].methods_stack[0][0], DictionaryAnalyzer)
    if "-" in word and not known:
        head, _, tail = word.rpartition("-")
        inner = _ru_word(tail[:1].upper() + tail[1:])
        prefix = head.lower() + "-"
        renamed = tuple(p._replace(lemma=prefix + p.lemma) for p in inner.parses)
        return _RuWord(renamed, inner.known, inner.roles)
    parses = []
    roles: _Weights = defaultdict(float)
    for p in raw:
        tag = p.tag
        role = (
            "name"
            if "Name" in tag
            else "surn"
            if "Surn" in tag
            else "patr"
            if "Patr" in tag
            else "geox"
            if "Geox" in tag
            else "orgn"
            if "Orgn" in tag
            else "adj"
            if tag.POS == "ADJF"
            else "noun"
            if tag.POS == "NOUN"
            else ""
        )
        lemma = str(p.normal_form)
        if role == "surn" and tag.gender == "femn":
            lemma = _ru_feminine(lemma)
        parses.append(
            _Parse(lemma, role, str(tag.gender or ""), str(tag.case or ""), float(p.score))
        )
        roles[role] += float(p.score)
    return _RuWord(tuple(parses), known, dict(roles))


def _ru_feminine(lemma: str) -> str:
    """pymorphy3's lemma of a woman's surname is the man's: "иванов" -> "иванова"."""
    if lemma.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return lemma + "а"
    if lemma.endswith(("ский", "цкий")):
        return lemma[:-2] + "ая"
    return lemma


@lru_cache(maxsize=65536)
def _ru_surname_forms(word: str) -> tuple[_Parse, ...]:
    """Readings of a word as an inflected Slavic surname, from its ending alone."""
    low = word.lower()
    found: list[_Parse] = []
    for ending, replace, gender, cases in _RU_SURNAME_RULES:
        if low.endswith(ending) and len(low) - len(ending) >= 2:
            lemma = low[: len(low) - len(ending)] + replace
            found.extend(_Parse(lemma, "surn", gender, case, 0.4) for case in cases)
    if not found and low.endswith(_RU_INDECLINABLE):
        found.append(_Parse(low, "surn", "ms-f", "", 0.3))
    return tuple(found)


def _ru_role(tok: _Tok, doc: _Doc) -> str:
    """The role a capitalised Russian word plays in a name. A capital inside a sentence makes
    a common-noun reading unlikely ("Песков" is not "of sands"), and a surname ending likely."""
    if tok.acro:
        return "abbr"
    info = _ru_word(tok.text)
    lemma = info.parses[0].lemma if info.parses else tok.lower
    if lemma in _RU_TITLES or tok.lower in _RU_TITLES:
        return "title"
    if lemma in _RU_ORG_HEADS and (info.roles.get("noun", 0) > 0.3):
        return "orghead"
    person = info.roles.get("name", 0) + info.roles.get("surn", 0) + info.roles.get("patr", 0)
    if _ru_surname_forms(tok.text):
        person += 0.6
    place, org = info.roles.get("geox", 0), info.roles.get("orgn", 0)
    common = info.roles.get("noun", 0) + info.roles.get("", 0)
    if not tok.initial or tok.text in doc.mid_caps:
        common *= 0.5
    adjective = info.roles.get("adj", 0)
    best = max(person, place, org, adjective, common)
    if best == 0:
        return "unk"
    if best == person:
        return "per"
    if best == place:
        return "geo"
    if best == org:
        return "org"
    return "adj" if best == adjective else "common"


def _ru_mentions(run: list[_Tok], doc: _Doc) -> Iterator[_Mention]:
    run = [t for t in run if t.pos not in doc.consumed]
    if not run:
        return
    if _quoted(doc, run):
        yield from _ru_quoted(doc, run)
        return
    roles = [_ru_role(t, doc) for t in run]
    i = 0
    while i < len(run):
        tok, role = run[i], roles[i]
        j = i + 1
        if role == "title" or tok.lower in _STOP_RU:
            i = j
            continue
        if role == "common" and tok.initial and tok.text not in doc.mid_caps:
            i = j
            continue
        found: list[_Mention] = []
        if j == len(run) and (region := _ru_region(doc, tok)) is not None:
            found.append(region)
        elif role == "per":
            while (
                j < len(run)
                and j - i < 3
                and roles[j] in ("per", "common", "adj")
                and _ru_could_be_person(run[j])
            ):
                j += 1
            person = _ru_person(doc, run[i:j])
            if _ru_titled(doc, person.first):
                person.evidence[PERSON] += 3.0
                person.weight = _TITLED
            found.append(person)
        elif role == "adj" and j < len(run) and roles[j] in ("geo", "orghead", "common"):
            j += 1
            found.append(_ru_phrase_mention(doc, run[i:j], roles[j - 1]))
        elif role == "orghead":
            found.extend(_ru_org_phrase(doc, tok))
            while j < len(run) and run[j].pos in doc.consumed:
                j += 1
        else:
            found.append(_ru_single(doc, tok, role))
        for mention in found:
            _context_evidence(doc, mention)
            yield mention
        i = j


def _ru_titled(doc: _Doc, pos: int) -> bool:
    """Whether a title stands shortly before a name in the same clause: "председатель
    Комитета национальной безопасности (КНБ) Карим Масимов", "премьер-министра назначен"."""
    for tok in reversed(doc.tokens[max(0, pos - 8) : pos]):
        if tok.kind == "nl" or tok.text in ".!?;,":
            return False
        if tok.kind == "w" and (
            tok.lower in _RU_TITLES or tok.lower[:-1] in _RU_TITLES or tok.lower[:-2] in _RU_TITLES
        ):
            return True
    return False


def _quoted(doc: _Doc, run: Sequence[_Tok]) -> bool:
    tokens = doc.tokens
    first, last = run[0].pos, run[-1].pos
    return (
        first > 0
        and tokens[first - 1].text in '«"“'
        and last + 1 < len(tokens)
        and tokens[last + 1].text in '»"”'
    )


def _ru_quoted(doc: _Doc, run: Sequence[_Tok]) -> Iterator[_Mention]:
    """A name in quotes is a company, party or brand: «Кумтор Голд Компани», «Роснефти»."""
    if len(run) == 1 and not run[0].acro:
        info = _ru_word(run[0].text)
        nouns = [p for p in info.parses if p.role in ("noun", "orgn")]
        lemma = max(nouns, key=lambda p: p.score).lemma if nouns else run[0].lower
        text = _restore_case(lemma, run[0].text)
    else:
        text = " ".join(t.text for t in run)
    mention = _mention(doc, run, text, text.split())
    mention.evidence[_gazetteer_kind(text) or ORGANISATION] += 3.0
    _context_evidence(doc, mention)
    yield mention


def _ru_region(doc: _Doc, tok: _Tok) -> _Mention | None:
    """ "Хатлонской области" -> "Хатлонская область": a capitalised adjective before a region
    word is a place, put in the nominative by its ending (these names are rarely in the
    dictionary)."""
    after = doc.word_after(tok.pos)
    found = _RU_ADJ_END.search(tok.text)
    if after is None or after.cap or found is None:
        return None
    noun = next((p for p in _ru_word(after.text).parses if p.role == "noun"), None)
    if noun is None or noun.lemma not in _RU_REGION_NOUNS:
        return None
    stem = tok.text[: found.start()]
    ending = (
        "ая"
        if noun.gender == "femn"
        else "ое"
        if noun.gender == "neut"
        else "ий"
        if stem.endswith(("ск", "цк", "к", "г", "х"))
        else "ый"
    )
    words = [stem + ending, noun.lemma]
    mention = _mention(doc, [tok, after], " ".join(words), words)
    mention.evidence[PLACE] += 4.0
    return mention


def _ru_could_be_person(tok: _Tok) -> bool:
    info = _ru_word(tok.text)
    return bool(
        info.roles.get("name")
        or info.roles.get("surn")
        or info.roles.get("patr")
        or _ru_surname_forms(tok.text)
    )


def _ru_person(doc: _Doc, toks: Sequence[_Tok]) -> _Mention:
    """A Russian personal name in the nominative, each word agreeing in gender and case."""
    options = [_ru_person_parses(t, i, len(toks)) for i, t in enumerate(toks)]
    gender = _ru_gender(options)
    best_case, best_total = "nomn", -1.0
    for case in _CASES:
        total = sum(
            max((p.score for p in opts if _agrees(p, gender, case)), default=0.0)
            for opts in options
        ) + (0.01 if case == "nomn" else 0.0)
        if total > best_total:
            best_case, best_total = case, total
    words = []
    for tok, opts in zip(toks, options, strict=True):
        fitting = [p for p in opts if _agrees(p, gender, best_case)]
        lemma = max(fitting, key=lambda p: p.score).lemma if fitting else tok.lower
        words.append(_restore_case(lemma, tok.text))
    text = " ".join(words)
    mention = _mention(doc, toks, text, words)
    mention.evidence[PERSON] += 3.0 if len(toks) > 1 else 2.0
    if len(toks) == 1:
        mention.candidates = _ru_candidates(toks[0], options[0])
    return mention


def _ru_person_parses(tok: _Tok, index: int, count: int) -> list[_Parse]:
    parses = [p for p in _ru_word(tok.text).parses if p.role in ("name", "surn", "patr")]
    if index == count - 1:
        parses += list(_ru_surname_forms(tok.text))
        if count > 1:  # the last word of a full name is the surname
            parses = [p._replace(score=p.score * 1.5) if p.role == "surn" else p for p in parses]
    elif index == 0:
        parses = [p._replace(score=p.score * 1.5) if p.role == "name" else p for p in parses]
    return parses


def _ru_gender(options: Sequence[Sequence[_Parse]]) -> str:
    """A man unless the given name, or else the surname's ending, says a woman."""
    first = options[0] if len(options) > 1 else ()
    masc = sum(p.score for p in first if p.role == "name" and p.gender == "masc")
    femn = sum(p.score for p in first if p.role == "name" and p.gender == "femn")
    if masc or femn:
        return "femn" if femn > 2 * masc else "masc"
    last = options[-1]
    if any(p.gender == "femn" for p in last) and not any(p.gender == "masc" for p in last):
        return "femn"
    return "masc"


def _agrees(p: _Parse, gender: str, case: str) -> bool:
    return (p.gender in (gender, "ms-f") or not p.gender) and (p.case in (case, ""))


def _ru_candidates(tok: _Tok, parses: Sequence[_Parse]) -> tuple[tuple[str, float], ...]:
    scores: _Weights = defaultdict(float)
    for p in parses:
        bonus = 1.5 if p.role == "surn" and p.gender != "femn" else 1.0
        scores[p.lemma] += p.score * bonus
    scores[tok.lower] += 0.05
    return tuple(sorted(scores.items(), key=lambda item: -item[1]))


def _ru_single(doc: _Doc, tok: _Tok, role: str) -> _Mention:
    if role == "abbr":
        mention = _mention(doc, [tok], tok.text)
        mention.acro = True
        kind = _gazetteer_kind(tok.text)
        mention.evidence[kind or ORGANISATION] += 4.0 if kind else 1.5
        return mention
    info = _ru_word(tok.text)
    wanted = {"geo": ("geox",), "org": ("orgn",)}.get(role, ("noun", "geox", "orgn", ""))
    fitting = [p for p in info.parses if p.role in wanted]
    lemma = max(fitting, key=lambda p: p.score).lemma if fitting else tok.lower
    text = _restore_case(lemma, tok.text)
    mention = _mention(doc, [tok], text)
    known = _gazetteer_kind(text)
    if known:
        mention.evidence[known] += 4.0
    elif role == "geo":
        mention.evidence[PLACE] += 3.0
    elif role == "org":
        mention.evidence[ORGANISATION] += 3.0
    else:
        mention.evidence[OTHER] += 0.5
        parses = [p for p in info.parses if p.role in ("noun", "name", "surn")]
        mention.candidates = _ru_candidates(tok, parses + list(_ru_surname_forms(tok.text)))
    return mention


def _ru_phrase_mention(doc: _Doc, toks: Sequence[_Tok], head_role: str) -> _Mention:
    """An adjective and its noun: "Центральной Азии" -> "Центральная Азия"."""
    words = _ru_nominative([t.text for t in toks])
    text = " ".join(words)
    mention = _mention(doc, toks, text, words)
    kind = _gazetteer_kind(text) or (
        PLACE if head_role == "geo" else ORGANISATION if head_role == "orghead" else OTHER
    )
    mention.evidence[kind] += 3.0
    return mention


def _ru_org_phrase(doc: _Doc, head: _Tok) -> Iterator[_Mention]:
    """An organisation named by a head noun and its genitive tail, which Russian writes in
    lower case: "Комитета национальной безопасности" -> "Комитет национальной безопасности".
    A country closing the name is also a mention of the country ("Банк России")."""
    toks = [head]
    tokens = doc.tokens
    pos = head.pos + 1
    place: _Tok | None = None
    while pos < len(tokens) and len(toks) < 6 and place is None:
        tok = tokens[pos]
        if tok.kind != "w" or (tok.lower in _STOP_RU and tok.lower not in _RU_NAME_PREPS):
            break
        if tok.lower in _RU_NAME_PREPS:
            after = tokens[pos + 1] if pos + 1 < len(tokens) else None
            if after is None or after.kind != "w" or after.cap:
                break
        else:
            info = _ru_word(tok.text)
            if not any(
                p.role in ("noun", "adj", "geox", "orgn") and p.case in ("gent", "datv", "loct")
                for p in info.parses
            ):
                break
            if tok.cap:
                if info.roles.get("geox"):
                    place = tok
                elif not info.roles.get("noun") or _ru_could_be_person(tok):
                    break
        toks.append(tok)
        pos += 1
    while toks[-1].lower in _RU_NAME_PREPS:
        toks.pop()
    doc.consumed.update(t.pos for t in toks)
    words = _ru_nominative([t.text for t in toks])
    mention = _mention(doc, toks, " ".join(words), words)
    mention.evidence[ORGANISATION] += 3.0
    yield mention
    if place is not None:
        country = _ru_single(doc, place, "geo")
        country.weight = 0.5
        yield country


def _ru_nominative(words: Sequence[str]) -> list[str]:
    """Put a phrase's head noun, and the adjectives before it, in the nominative."""
    return list(_ru_nominative_cached(tuple(words)))


@lru_cache(maxsize=16384)
def _ru_nominative_cached(words: tuple[str, ...]) -> tuple[str, ...]:
    morph = _morph()
    parsed = [morph.parse(w)[0] for w in words]
    head = next((k for k, p in enumerate(parsed) if p.tag.POS == "NOUN"), None)
    if head is None:
        return words
    noun = parsed[head]
    number = str(noun.tag.number or "sing")
    out = list(words)
    noun_nom = noun.inflect({"nomn", number})
    if noun_nom is not None:
        out[head] = _restore_case(str(noun_nom.word), words[head])
    for k in range(head):
        p = parsed[k]
        if p.tag.POS not in ("ADJF", "PRTF"):
            continue
        grams = {"nomn", number} | ({str(noun.tag.gender)} if number == "sing" else set())
        adj = p.inflect(grams)
        if adj is not None:
            out[k] = _restore_case(str(adj.word), words[k])
    return tuple(out)


def _ru_resolve_single_words(mentions: list[_Mention]) -> None:
    """Give each lone inflected word the lemma its other forms in the article agree on:
    "Токаева" next to "Токаевым" and "Токаев" is Токаев, not the woman's name Токаева."""
    singles = [m for m in mentions if m.candidates]
    if not singles:
        return
    support: dict[str, float] = {}
    forms: dict[str, set[str]] = {}
    for m in singles:
        for lemma, _ in m.candidates:
            forms.setdefault(lemma, set()).add(m.surface.lower())
    for lemma, seen in forms.items():
        support[lemma] = len(seen) + 0.5 * (lemma in seen)
    surnames = {m.words[-1].lower() for m in mentions if len(m.words) > 1}
    for m in singles:
        lemma = max(m.candidates, key=lambda c: (c[0] in surnames, support[c[0]], c[1]))[0]
        m.text = _restore_case(lemma, m.surface)
        m.words = (m.text,)


def _restore_case(lemma: str, surface: str) -> str:
    """Give a lower-case lemma the capitals of the word it came from."""
    if surface.isupper() and len(surface) > 1:
        return lemma.upper()
    lparts, sparts = lemma.split("-"), surface.split("-")
    if len(lparts) != len(sparts):
        return lemma[:1].upper() + lemma[1:] if surface[:1].isupper() else lemma
    return "-".join(
        lp[:1].upper() + lp[1:] if sp[:1].isupper() else lp
        for lp, sp in zip(lparts, sparts, strict=True)
    )


# -- Kazakh and other Cyrillic names --------------------------------------------------------------


def _kk_mentions(run: list[_Tok], doc: _Doc) -> Iterator[_Mention]:
    """Kazakh: no morphology to lean on. A case suffix ends a noun phrase, and so does a
    surname ("Олжас Бектенов | Атырауда"); the suffix is stripped from the name's last word."""
    piece: list[_Tok] = []
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
            or (tok.lower.endswith(_KK_PHRASE_ENDS) and not _known_name(tok.text))
            or _kk_stem(tok.text, doc) != tok.text
            or tok.lower.endswith(_SURNAME_ENDINGS_RU)
        ):
            yield from _kk_piece(piece, doc, titled)
            piece, titled = [], False
    if piece:
        yield from _kk_piece(piece, doc, titled)


def _kk_title(lower: str) -> bool:
    return lower in _KK_TITLES or any(
        lower.startswith(t) and len(lower) - len(t) <= 3
        for t in ("президент", "министр", "әкім", "төраға")
    )


def _kk_piece(run: list[_Tok], doc: _Doc, titled: bool) -> Iterator[_Mention]:
    toks = list(run)
    while toks and toks[0].lower in _STOP_KK:
        toks = toks[1:]
    if not toks:
        return
    last = toks[-1]
    stem = last.text if last.acro else _kk_stem(last.text, doc)
    if stem == last.text and len(toks) > 1:
        stem = _kk_head(stem)  # "Қазақстан Республикасының" -> "... Республикасы"
    words = [t.text for t in toks[:-1]] + [stem]
    text = " ".join(words)
    if (
        len(toks) == 1
        and toks[0].initial
        and not (
            last.acro
            or stem in doc.mid_caps
            or _known_name(stem)
            or stem != last.text
            or stem.lower().endswith(_SURNAME_ENDINGS_RU)
        )
    ):
        return
    if text.lower() in _KK_TITLES:
        return
    mention = _mention(doc, toks, text, words)
    mention.acro = last.acro and len(toks) == 1
    known = _gazetteer_kind(text)
    head = stem.lower()
    if known:
        mention.evidence[known] += 4.0
    elif mention.acro:
        mention.evidence[ORGANISATION] += 1.5
    elif len(words) > 1 and head.startswith(_KK_PLACE_HEADS):
        mention.evidence[PLACE] += 3.0
    elif len(words) > 1 and head.startswith(_KK_ORG_HEADS):
        mention.evidence[ORGANISATION] += 3.0
    elif len(words) > 1 and any(_gazetteer_kind(w) == PLACE for w in words):
        mention.evidence[PLACE] += 2.0  # "Батыс Қазақстан" (West Kazakhstan)
    elif stem.lower().endswith(_SURNAME_ENDINGS_RU) or words[0] in _FIRST_NAMES:
        mention.evidence[PERSON] += 2.0 + (len(words) > 1)
    elif len(words) > 1:
        mention.evidence[PERSON] += 0.3
    else:
        mention.evidence[OTHER] += 0.3
    before = doc.word_before(mention.first)
    if titled or (before is not None and _kk_title(before.lower)):
        mention.evidence[PERSON] += 3.0
        mention.weight = _TITLED
    _context_evidence(doc, mention)
    yield mention


def _kk_head(word: str) -> str:
    """The head of a Kazakh compound name without its case ending, which follows the
    possessive: "министрлігінің" -> "министрлігі", "Республикасының" -> "Республикасы"."""
    for suffix in _KK_SUFFIXES:
        stem = word[: len(word) - len(suffix)]
        if word.endswith(suffix) and stem.endswith(("і", "ы")) and len(stem) > 4:
            return stem
    return word


def _kk_stem(word: str, doc: _Doc) -> str:
    """Strip a Kazakh case (and possessive) suffix when the bare stem is attested: in the
    article, in the gazetteer, or as a surname ("Тоқаевтың" -> "Тоқаев")."""
    low = word.lower()
    for suffix in _KK_SUFFIXES:
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)]
            if (
                stem in doc.cap_forms
                or _known_name(stem)
                or stem.lower().endswith(_SURNAME_ENDINGS_RU)
            ):
                return stem
    return word


def _plain_mentions(run: list[_Tok], doc: _Doc) -> Iterator[_Mention]:
    """Ukrainian, Kyrgyz and the rest: capitalised runs as they stand."""
    toks = [t for t in run if t.lower not in _STOP_RU]
    if not toks:
        return
    if len(toks) == 1 and toks[0].initial and not _has_name_evidence(toks[0], doc):
        return
    text = " ".join(t.text for t in toks)
    mention = _mention(doc, toks, text, [t.text for t in toks])
    mention.acro = len(toks) == 1 and toks[0].acro
    known = _gazetteer_kind(text)
    mention.evidence[known or (ORGANISATION if mention.acro else OTHER)] += 1.0
    _context_evidence(doc, mention)
    yield mention


# -- acronyms ---------------------------------------------------------------------------------


def _acronym_links(doc: _Doc, mentions: Sequence[_Mention]) -> list[tuple[str, str, int, int]]:
    """(acronym, expansion, first, last token of the expansion) for "Long Name (ACR)" and
    "ACR (Long Name)". The letters must match the words' initials; failing that, a capitalised
    name of two or more words right before the bracket is taken as a translation (KNB)."""
    tokens, links = doc.tokens, []
    by_last = {m.last: m for m in mentions}
    for i, tok in enumerate(tokens[:-2]):
        if tok.text != "(":
            continue
        inner, close = tokens[i + 1], tokens[i + 2]
        if inner.kind == "w" and inner.acro and close.text == ")":
            before = _words_before(tokens, i, inner.text)
            found = _match_expansion(inner.text, before)
            if found:
                links.append((inner.text, _expansion_text(doc, found), found[0].pos, found[-1].pos))
            elif (
                (m := by_last.get(i - 1)) is not None
                and len(m.words) > 1
                and not m.acro
                and m.evidence[PERSON] < 2  # "Karim Masimov (KNB)" names his agency
            ):
                links.append((inner.text, m.text, m.first, m.last))
        elif i > 0 and tokens[i - 1].kind == "w" and tokens[i - 1].acro:
            words: list[_Tok] = []
            for tok2 in tokens[i + 1 : i + 14]:
                if tok2.text == ")":
                    break
                if tok2.kind != "w":
                    words = []
                    break
                words.append(tok2)
            acronym = tokens[i - 1].text
            if words and (
                _match_expansion(acronym, words) == words
                or (len(words) > 1 and all(w.cap or w.lower in _CONNECTORS for w in words))
            ):
                links.append((acronym, _expansion_text(doc, words), words[0].pos, words[-1].pos))
    return links


def _words_before(tokens: Sequence[_Tok], i: int, acronym: str) -> list[_Tok]:
    letters = sum(char.isalpha() for char in acronym)
    window = max(letters + 5, 2 * letters)
    words: list[_Tok] = []
    for tok in reversed(tokens[max(0, i - window) : i]):
        if tok.kind != "w":
            break
        words.append(tok)
    words.reverse()
    return words


def _match_expansion(acronym: str, words: Sequence[_Tok]) -> list[_Tok] | None:
    """The shortest tail of ``words`` whose initials spell ``acronym`` (Schwartz-Hearst style:
    minor words and later parts of hyphenated words may be skipped; a word may give more than
    its first letter, in order)."""
    letters = "".join(char for char in acronym.lower() if char.isalpha())
    if len(letters) < 2:
        return None
    for start in range(len(words) - 1, -1, -1):
        first = words[start]
        if first.lower in _MINOR or first.lower[:1] != letters[0]:
            continue
        parts: list[tuple[str, bool]] = []
        for tok in words[start:]:
            for k, part in enumerate(tok.lower.split("-")):
                parts.append((part, k > 0 or tok.lower in _MINOR))
        if _initials(letters, tuple(parts)):
            return list(words[start:])
    return None


@lru_cache(maxsize=4096)
def _initials(letters: str, parts: tuple[tuple[str, bool], ...]) -> bool:
    if not parts:
        return not letters
    (word, optional), rest = parts[0], parts[1:]
    if optional and _initials(letters, rest):
        return True
    if not letters or not word or word[0] != letters[0]:
        return False
    if _initials(letters[1:], rest):
        return True
    at, k = 1, 1
    while k < len(letters):
        at = word.find(letters[k], at)
        if at < 0:
            return False
        at, k = at + 1, k + 1
        if _initials(letters[k:], rest):
            return True
    return False


def _expansion_text(doc: _Doc, words: Sequence[_Tok]) -> str:
    if words[0].cyr and doc.mode == "ru":
        return " ".join(_ru_nominative([t.text for t in words]))
    if words[0].cyr and doc.mode == "kk":
        return " ".join([t.text for t in words[:-1]] + [_kk_head(words[-1].text)])
    return doc.text[words[0].start : words[-1].start + len(words[-1].text)]


# -- entities -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    text: str
    words: tuple[str, ...]
    forms: Counter[str] = field(default_factory=Counter)
    evidence: _Weights = field(default_factory=lambda: defaultdict(float))
    weight: float = 0.0
    first: int = 1 << 30
    acro: bool = False
    expansion: str | None = None

    def add(self, mention: _Mention, weight: float) -> None:
        self.forms[mention.surface] += 1
        self.forms[mention.text] += 0  # canonical forms of merged mentions stay aliases
        _add(self.evidence, mention.evidence)
        self.weight += weight
        self.first = min(self.first, mention.start)

    def absorb(self, other: _Entity) -> None:
        self.forms.update(other.forms)
        self.forms[other.text] += 0
        _add(self.evidence, other.evidence)
        self.weight += other.weight
        self.first = min(self.first, other.first)
        self.expansion = self.expansion or other.expansion

    @property
    def kind(self) -> str:
        ranked = sorted(self.evidence.items(), key=lambda kv: (-kv[1], _KIND_ORDER[kv[0]]))
        return ranked[0][0] if ranked and ranked[0][1] > 0 else OTHER


_KIND_ORDER = {PERSON: 0, ORGANISATION: 1, PLACE: 2, OTHER: 3}


def _add(into: _Weights, other: _Weights) -> None:
    for key, value in other.items():
        into[key] += value


def _entities(doc: _Doc, mentions: list[_Mention]) -> list[_Entity]:
    links = _acronym_links(doc, mentions)
    inside = [(first, last) for _, _, first, last in links]
    entities: dict[str, _Entity] = {}
    for mention in mentions:
        if any(
            first <= mention.first
            and mention.last <= last
            and (first, last) != (mention.first, mention.last)
            for first, last in inside
        ):
            continue  # a piece of a spelled-out acronym ("Security" in "Organization for ...")
        entity = entities.get(mention.text)
        if entity is None:
            entity = entities[mention.text] = _Entity(mention.text, mention.words)
        entity.acro = entity.acro or mention.acro
        entity.add(mention, _mention_weight(doc, mention))
        _credit_places(doc, entities, mention)
    _merge_acronyms(doc, entities, links)
    _merge_spelled_out(entities)
    _merge_surnames(entities)
    _merge_translations(entities)
    return list(entities.values())


def _mention_weight(doc: _Doc, mention: _Mention) -> float:
    return _position_weight(doc, mention.start, mention.line) * mention.weight


def _position_weight(doc: _Doc, start: int, line: int) -> float:
    if line == 0:
        return 3.0
    return 1.5 if start < doc.lead_end else 1.0


def _credit_places(doc: _Doc, entities: dict[str, _Entity], mention: _Mention) -> None:
    """Half a mention for a known place inside a longer name ("Almaty International Airport")."""
    if len(mention.words) < 2 or _gazetteer_kind(mention.text):
        return
    for word in mention.words:
        if word != mention.text and _gazetteer_kind(word) == PLACE:
            entity = entities.get(word)
            if entity is None:
                entity = entities[word] = _Entity(word, (word,))
                entity.evidence[PLACE] += 4.0
                entity.forms[word] += 0
            entity.weight += 0.5 * _mention_weight(doc, mention)
            entity.first = min(entity.first, mention.start)


def _merge_acronyms(
    doc: _Doc, entities: dict[str, _Entity], links: Sequence[tuple[str, str, int, int]]
) -> None:
    for acronym, expansion, first, _ in links:
        target = entities.get(acronym)
        if target is None:
            continue
        other = entities.pop(expansion, None)
        if other is not None and other is not target:
            target.absorb(other)
        elif other is None:
            target.weight += _mention_weight(
                doc,
                _Mention("", "", first, first, doc.tokens[first].start, doc.tokens[first].line, ()),
            )
            target.evidence[_expansion_kind(expansion)] += 3.0
        target.expansion = target.expansion or expansion
        target.forms[expansion] += 0


def _merge_spelled_out(entities: dict[str, _Entity]) -> None:
    """Link an acronym to a name with its initials that the article never put in brackets
    ("UN" and "United Nations"), and a clipped name to the full one ("Fed", "Federal Reserve")."""
    long_names = [e for e in entities.values() if len(e.words) > 1 and not e.acro]
    for key, entity in list(entities.items()):
        if entity.acro and entity.expansion is None:
            letters = "".join(char for char in key.lower() if char.isalpha())
            for other in long_names:
                initials = "".join(w[0] for w in other.text.lower().split() if w not in _MINOR)
                if initials == letters and other.text in entities:
                    entity.absorb(entities.pop(other.text))
                    entity.expansion = other.text
                    break
        elif len(entity.words) == 1 and len(key) >= 3 and entity.kind in (ORGANISATION, OTHER):
            # "Fed" in "Federal Reserve", "Centerra" in "Centerra Gold", "Nobel" in "Nobel Prize"
            owners = [
                e
                for e in long_names
                if e.text in entities
                and (
                    (e.kind == ORGANISATION and e.words[0].startswith(key))
                    or (e.kind == OTHER and e.words[0] == key)
                )
            ]
            if owners:
                owners[0].absorb(entities.pop(key))


def _merge_translations(entities: dict[str, _Entity]) -> None:
    """One place named in two scripts in one article ("Kazakhstan" and a Russian quote's
    "Казахстана") is one entity, under the form the article uses most."""
    groups: dict[int, list[_Entity]] = {}
    for entity in entities.values():
        group = _SAME_PLACE.get(entity.text)
        if group is not None:
            groups.setdefault(group, []).append(entity)
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda e: -e.weight)
            for other in members[1:]:
                members[0].absorb(entities.pop(other.text))


def _expansion_kind(expansion: str) -> str:
    last = expansion.split()[-1].lower()
    if last in _PLACE_SUFFIXES:
        return PLACE
    return ORGANISATION


def _merge_surnames(entities: dict[str, _Entity]) -> None:
    """A name that ends a longer person's name is that person: "Toqaev", "Masimov's"."""
    people = [e for e in entities.values() if len(e.words) > 1 and e.kind == PERSON]
    for key, entity in list(entities.items()):
        if entity.acro or (entity.kind in (PLACE, ORGANISATION) and entity.evidence[PERSON] < 1):
            continue
        n = len(entity.words)
        owners = [
            p
            for p in people
            if p is not entity and len(p.words) > n and p.words[-n:] == entity.words
        ]
        if owners:
            owner = max(owners, key=lambda p: p.weight)
            owner.absorb(entity)
            del entities[key]


# -- key phrases ------------------------------------------------------------------------------


def _phrases(doc: _Doc, used: set[int], cap: int) -> list[_Entity]:
    """Salient phrases of up to three words between stop words, best first: each occurrence
    weighs like a name's mention, longer phrases more; a phrase must recur in the body, and
    the title only adds weight to phrases the body uses (a Title Case headline's verbs
    would otherwise come out as "troops begin withdrawal")."""
    if doc.lang not in ("en", "ru", ""):
        return []  # no stop words or stemmer for the language: phrases would be noise
    grams: dict[tuple[str, ...], _Gram] = {}
    run: list[_Tok] = []
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
        entity = _Entity(text, tuple(text.split()))
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


def _phrase_word(tok: _Tok, doc: _Doc, used: set[int]) -> bool:
    if tok.kind != "w" or tok.pos in used or len(tok.lower) < 3 or tok.acro:
        return False
    if tok.cap and not (tok.initial and (tok.lower in doc.lower_words or tok.line == 0)):
        return False
    if not tok.cyr and tok.lower.endswith("ed"):
        return False  # a past tense, mostly: "sentenced", "said"
    stop = _PHRASE_STOP_RU if tok.cyr else _PHRASE_STOP_EN
    return tok.lower not in stop and tok.lower.isalpha()


def _count_ngrams(doc: _Doc, run: list[_Tok], grams: dict[tuple[str, ...], _Gram]) -> None:
    lowers = [t.lower for t in run]
    stems = [_stem(t.lower, t.cyr) for t in run]
    size = len(run)
    for i, tok in enumerate(run):
        if lowers[i] == "of":
            continue
        weight = _position_weight(doc, tok.start, tok.line)
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
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                return word[: -len(ending)]
        return word
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _phrase_text(surface: str, doc: _Doc) -> str | None:
    """The phrase as shown; Russian in the nominative. ``None`` for a Russian phrase with a verb
    or adverb in it (English verbs are mostly kept out by the stop list and the "-ed" rule)."""
    if not ("\u0400" <= surface[0] <= "\u04ff"):
        return surface
    if any(_ru_pos(word) in _RU_NOT_IN_PHRASES for word in surface.split()):
        return None
    return " ".join(_ru_nominative(surface.split()))


@lru_cache(maxsize=65536)
def _ru_pos(word: str) -> str:
    parses = _morph().parse(word)
    return str(parses[0].tag.POS or "") if parses else ""


# -- ranking ----------------------------------------------------------------------------------


def _rank(
    doc: _Doc, entities: list[_Entity], phrases: list[_Entity], limit: int
) -> tuple[Keyword, ...]:
    scored = []
    for entity in entities:
        early = 1.0 - min(entity.first, doc.length) / doc.length
        length = 1.0 + 0.1 * (min(len(entity.words), 4) - 1)
        scored.append((entity.weight * length + 0.5 * early, entity, entity.kind))
    for entity in phrases:
        early = 1.0 - min(entity.first, doc.length) / doc.length
        scored.append((entity.weight + 0.25 * early, entity, OTHER))
    scored.sort(key=lambda s: (-s[0], s[1].first))
    taken: set[str] = set()
    out = []
    top = scored[0][0] if scored else 1.0
    for raw, entity, kind in scored:
        if entity.text in taken or not entity.text:
            continue
        taken.add(entity.text)
        out.append(Keyword(entity.text, kind, max(round(raw / top, 4), 0.0001), _aliases(entity)))
        if len(out) == limit:
            break
    return tuple(out)


def _aliases(entity: _Entity) -> tuple[str, ...]:
    names = [entity.expansion] if entity.expansion else []
    names += [form for form, _ in entity.forms.most_common()]
    seen, out = {entity.text.lower()}, []
    for name in names:
        if name and name.lower() not in seen:  # not the canonical text in capitals (NUR-SULTAN)
            seen.add(name.lower())
            out.append(name)
    return tuple(out[:_MAX_ALIASES])


# -- word lists -----------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _entries(text: str) -> frozenset[str]:
    return frozenset(entry.strip() for entry in text.split(",") if entry.strip())


def _groups(text: str) -> dict[str, int]:
    """ "A = B = C" lines: names of one place in English, Russian and Kazakh."""
    return {
        name.strip(): n
        for n, line in enumerate(text.strip().splitlines())
        for name in line.split("=")
        if name.strip()
    }


def _gazetteer_kind(text: str) -> str | None:
    if text in _PLACES:
        return PLACE
    if text in _ORGS:
        return ORGANISATION
    return None


_MAX_ALIASES = 8
_TITLED = 1.5  # a mention with a title ("President X") weighs more: it names an actor
_PHRASE_DISCOUNT = 0.4  # a key phrase counts less than a name mentioned as often
_RU_NOT_IN_PHRASES = frozenset(("VERB", "INFN", "GRND", "PRTS", "ADVB", "ADJS", "PRED", "NUMR"))
_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")

_CONNECTORS = _words("of for de da del der van von bin ibn al el la le du dos")
_NAME_PARTICLES = _words("de da del der van von bin ibn al el la le du dos")
_MINOR = _words("of for and the on in at to de a an и о по при на в для")
_POSSESSIVE_INSIDE = _words("People Prosecutor Women Workers Children Veterans Defenders")
_OF_HEADS = _words(
    """ministry bank republic university committee council organization organisation union
    office court federation commission department institute academy agency party house chamber
    museum church kingdom emirate association league board center centre school college service
    army navy corps assembly parliament fund foundation minister secretary prosecutor sea gulf
    bay isle lake cape port city state states district region province oblast"""
)
_ORG_SUFFIXES = _words(
    """organization organisation ministry committee council agency bank party union service
    commission court office department assembly parliament senate duma mazhilis majilis
    administration authority bureau fund foundation institute university academy company
    corporation corp inc ltd group holding holdings association alliance front movement
    coalition forces army navy guard police network exchange board centre center media news
    nations sachs stanley morgan chase gold gas oil energy mining resources capital motors
    telecom petroleum metals steel pharma technologies systems partners investments
    times post watch international airlines airways railways reserve treasury government
    cabinet kremlin federation league cooperation club team police akimat prosecutor's
    gazette channel tv radio agency's bloc"""
)
_PLACE_SUFFIXES = _words(
    """airport square street avenue region province oblast district valley river lake sea ocean
    mountains mountain island islands bay gulf strait peninsula corridor pass city town village
    steppe desert plateau canal port bridge dam station field highway border crossing oblys
    raion territory"""
)
_OTHER_SUFFIXES = _words(
    """prize award initiative agreement accord treaty deal act law summit games cup olympics
    war plan strategy programme program conference forum festival election elections
    referendum protocol pact"""
)
_PLACE_PREFIXES = _words(
    "republic kingdom emirate lake mount cape gulf bay isle port fort saint st"
)
_PLACE_PREPS_STRONG = _words("in at near across throughout inside outside into within в во")
_PLACE_PREPS_WEAK = _words("from to toward towards via из")
_SAID = _words(
    """said says told added noted stated claimed wrote warned argued insisted explained
    replied recalled admitted stressed заявил заявила сообщил сообщила отметил отметила
    сказал сказала подчеркнул подчеркнула"""
)
_TITLE_HEADS = _words(
    """president minister premier chancellor chairman chairwoman chairperson chair speaker secretary
    ambassador governor mayor akim spokesman spokeswoman spokesperson general gen colonel col
    lieutenant lt captain capt admiral marshal sergeant sgt judge senator sen rep king queen
    prince princess emir sheikh pope patriarch mr mrs ms dr prof professor sir dame lord lady
    commissioner prosecutor envoy ombudsman ceo director chief head deputy leader founder
    lawyer analyst journalist activist blogger economist expert counterpart ally aide adviser
    advisor successor predecessor rival son daughter wife husband brother sister nephew"""
)
_TITLE_WORDS = _TITLE_HEADS | _words(
    """prime foreign defense defence interior finance economy economic energy health education
    justice emergency emergencies agriculture trade digital security first acting former vice
    state attorney opposition presidential press executive national affairs"""
)
_COMMON_INITIAL = _words(
    """according although meanwhile however several last earlier later many some officials
    analysts critics protesters police troops authorities residents experts people observers
    eventually finally instead despite during while since because after before once unlike
    like asked speaking following amid under elsewhere separately still yet even now today
    yesterday tomorrow here there"""
)
_MONTHS_DAYS = _words(
    """January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday"""
)
_DIRECTIONS = _words(
    """Central North South East West Northern Southern Eastern Western Middle Upper Lower Greater
    Far Near"""
)
_DEMONYMS = _words(
    """Russian Kazakh Kazakhstani Kyrgyz Uzbek Tajik Turkmen Armenian Azerbaijani Azeri Georgian
    Ukrainian Belarusian Moldovan Latvian Lithuanian Estonian Chinese American British English
    French German Italian Spanish Turkish Iranian Afghan Pakistani Indian Japanese Korean
    European Asian African Arab Western Eastern Soviet Mongolian Polish Czech Israeli
    Palestinian Syrian Iraqi Saudi Emirati Qatari Egyptian Canadian Australian Swiss Swedish
    Finnish Norwegian Danish Dutch Belgian Austrian Hungarian Romanian Bulgarian Serbian Greek
    Uyghur Uighur Tatar Chechen Dagestani Karakalpak Pamiri Slavic Muslim Christian Orthodox
    Catholic Jewish Islamic"""
)
_ACRONYM_DROP = _words("TV AM PM OK CEO ID VIP FM GMT UTC PR PS AD BC")
_ACRONYM_TERMS = _words("GDP VAT LNG HIV AIDS COVID AI IT CPI GPS SMS")
# Endings of post-Soviet surnames in Latin script; the short ones only count inside a full name.
_SURNAME_ENDINGS_STRONG = (
    *("ov", "ova", "ev", "eva", "yev", "yeva", "enko", "shvili", "dze", "yan", "uly", "kyzy"),
    *("vich", "ovich", "evich", "sky", "ski", "skiy", "skaya", "bekov", "bayev", "zade"),
)
_SURNAME_ENDINGS = (*_SURNAME_ENDINGS_STRONG, "in", "ina", "yn", "ian", "uk", "yuk", "oglu", "yev")
_SURNAME_ENDINGS_RU = (
    *("ов", "ова", "ев", "ева", "ёв", "ин", "ина", "ын", "ына", "енко", "швили", "дзе", "ян"),
    *("ұлы", "қызы", "улы", "кызы", "ский", "ская", "цкий", "цкая", "вич"),
)
_RU_SURNAME_RULES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    tuple(
        rule
        for stem in ("ов", "ев", "ёв", "ин", "ын")
        for rule in (
            (stem, stem, "masc", ("nomn",)),
            (stem + "а", stem, "masc", ("gent", "accs")),
            (stem + "а", stem + "а", "femn", ("nomn",)),
            (stem + "у", stem, "masc", ("datv",)),
            (stem + "у", stem + "а", "femn", ("accs",)),
            (stem + "ым", stem, "masc", ("ablt",)),
            (stem + "е", stem, "masc", ("loct",)),
            (stem + "ой", stem + "а", "femn", ("gent", "datv", "ablt", "loct")),
        )
    )
    + tuple(
        rule
        for stem in ("ск", "цк")
        for rule in (
            (stem + "ий", stem + "ий", "masc", ("nomn",)),
            (stem + "ого", stem + "ий", "masc", ("gent", "accs")),
            (stem + "ому", stem + "ий", "masc", ("datv",)),
            (stem + "им", stem + "ий", "masc", ("ablt",)),
            (stem + "ом", stem + "ий", "masc", ("loct",)),
            (stem + "ая", stem + "ая", "femn", ("nomn",)),
            (stem + "ой", stem + "ая", "femn", ("gent", "datv", "ablt", "loct")),
            (stem + "ую", stem + "ая", "femn", ("accs",)),
        )
    )
    + (
        ("ян", "ян", "masc", ("nomn",)),
        ("яна", "ян", "masc", ("gent", "accs")),
        ("яну", "ян", "masc", ("datv",)),
        ("яном", "ян", "masc", ("ablt",)),
        ("яне", "ян", "masc", ("loct",)),
    )
)
_RU_NAME_PREPS = frozenset(("о", "по", "при"))  # "Договора о коллективной безопасности"
_RU_ADJ_END = re.compile(r"(?:ая|ой|ую|ий|ый|ого|ому|им|ым|ом|ое)$")
_RU_REGION_NOUNS = _words("область район край округ республика провинция штат уезд")
_RU_INDECLINABLE = ("енко", "швили", "дзе", "ых", "их", "ко")
_RU_TITLES = _words(
    """президент президента президентом президенту премьер премьер-министр министр глава
    председатель спикер генсек секретарь посол губернатор мэр аким генерал полковник депутат
    сенатор представитель пресс-секретарь директор руководитель вице-премьер вице-президент
    экс-президент лидер король патриарх господин замглавы замминистра начальник командующий
    экс-глава""".replace("\n", " ")
)
_RU_ORG_HEADS = _words(
    """министерство комитет совет служба агентство банк партия союз организация фонд управление
    прокуратура суд дума ассамблея академия университет корпорация администрация палата
    комиссия парламент правительство сенат федерация движение альянс департамент институт
    инспекция бюро центр"""
)
_RU_ENDINGS = (
    *("иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "ия", "ие", "ии"),
    *("ой", "ей", "ий", "ый", "ая", "яя", "ое", "ее", "ые", "ие", "ых", "их", "ую", "юю", "ом"),
    *("ем", "ах", "ях", "ов", "ев", "ам", "ям", "ью", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь"),
)
_KK_SUFFIXES = tuple(
    sorted(
        _words(
            """ның нің дың дің тың тің ға ге қа ке на не ны ні ды ді ты ті да де та те нда нде
            дан ден тан тен нан нен мен бен пен дағы дегі тағы тегі ндағы ндегі ндағы сы сі
            ның нан ына іне ында інде ынан інен ымен імен лар лер дар дер тар тер ларының
            лерінің ларына леріне ларында лерінде ларынан лерінен тың ке қа ға ге н"""
        ),
        key=len,
        reverse=True,
    )
)
# Case endings after which a Kazakh noun phrase is over: genitive, locative, ablative, dative.
_KK_PHRASE_ENDS = (
    *("ның", "нің", "дың", "дің", "тың", "тің", "да", "де", "та", "те", "дан", "ден", "тан"),
    *("тен", "нан", "нен", "ға", "ге", "қа", "ке", "мен", "бен", "пен"),
)
_KK_PLACE_HEADS = ("республика", "облыс", "аудан", "қала", "өзен", "көл")
_KK_ORG_HEADS = (
    *("министрлі", "комитет", "агенттігі", "партия", "кеңес", "банк", "сот", "әкімдігі"),
    *("қоры", "мәжіліс", "сенат", "үкімет", "ұйым", "қызмет"),
)
_KK_TITLES = _words(
    """президент президенті премьер-министр министр министрі әкім әкімі төраға төрағасы
    басшысы депутат депутаты елші елшісі мемлекет"""
)
_STOP_KK = _words(
    """және мен бен пен да де та те бұл осы сол ол олар біз сіз мен ал бірақ себебі үшін
    туралы бойынша дейін кейін соң бар жоқ емес еді деп деді болды болып болған болады
    жылы жылғы қазір енді тағы тек әр барлық кез кейбір бір екі үш көп аз сондай мұндай
    осындай оның олардың біздің бүгін кеше ертең қатысты арқылы қарай бері шейін жөнінде
    жатыр отыр тұр алды берді айтты мәлімдеді атап өтті сондай-ақ сонымен қатар"""
)
_STOP_EN = _words(
    """a about above after again against all almost also although always am among an and
    another any anyone anything are around as at away back be became because become been
    before being below between both but by can cannot could did do does doing done down during
    each either else enough even ever every few first for former from further get gets got had
    has have having he her here hers herself him himself his how however i if in including
    instead into is it its itself just last later least less like made make many may me might
    more most much must my myself near nearly neither never new next no nor not now of off on
    once one only onto or other others our ours ourselves out over own per perhaps rather
    same she should since so some such than that the their theirs them themselves then there
    these they this those though through thus to too toward towards under until up upon us
    very via was we well were what whatever when where whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves
    said says say told tell according added also ago already another around asked back
    called came come comes despite due early earlier eight either etc every five four going
    gone half hundred including its later least made make makes meanwhile mr mrs ms nine
    now often one onto part put seven several six still take taken ten three took two us
    way week weeks year years month months day days time times today yesterday tomorrow
    people percent per cent news report reported reports statement official officials
    country countries political issue issues situation side sides level end place area areas
    according saying amid following across behind beyond set sets use used using many
    whose within would whom could likely number remains remain remained since around
    however although though thing things lot lots want wants wanted know known knew
    new old big small large high low long short good bad great recent recently
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december"""
)
_STOP_RU = _words(
    """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
    даже для до его ее её если есть еще ещё же за здесь и из или им их к как ко когда кто ли
    либо мне может мы на над надо наш не него нее неё нет ни них но ну о об однако он она
    они оно от очень по под при с со так также такой там те тем то того тоже той только том
    ты у уже хотя чего чей чем что чтобы чье чья эта эти это этого этой этом этот я
    который которая которое которые которых котором которой которому которым
    свой своя свое своё свои своих своего своей своим также тут туда потом после перед
    через между около против среди вокруг ради кроме вместо вследствие согласно благодаря
    заявил заявила заявили сообщил сообщила сообщили отметил отметила отметили сказал
    сказала сказали подчеркнул подчеркнула добавил добавила пояснил пояснила говорится
    является являются стал стала стали станет будет будут был было быть может могут
    мог могла могли год года году лет годы неделе недели день дня дней время раз
    сегодня вчера завтра сейчас теперь уже ранее ещё пока всё все весь вся всю
    человек человека людей страны страна стране свою своей один одна одно два две три
    первый первая новый новая новые также кроме того, более менее около почти
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    понедельник вторник среду четверг пятницу субботу воскресенье
    данным словам мнению слова сообщает сообщается говорит ряд случае итогам рамках
    время области"""
)
_PLACES = _entries(
    """Afghanistan, Albania, Algeria, Argentina, Armenia, Australia, Austria, Azerbaijan, Bahrain,
    Bangladesh, Belarus, Belgium, Bosnia, Brazil, Bulgaria, Cambodia, Canada, Chile, China,
    Colombia, Croatia, Cuba, Cyprus, Czechia, Czech Republic, Denmark, Egypt, Estonia, Ethiopia,
    Finland, France, Georgia, Germany, Greece, Hungary, Iceland, India, Indonesia, Iran, Iraq,
    Ireland, Israel, Italy, Japan, Jordan, Kazakhstan, Kenya, Kosovo, Kuwait, Kyrgyzstan,
    Kyrgyz Republic, Laos, Latvia, Lebanon, Libya, Lithuania, Luxembourg, Malaysia, Mexico,
    Moldova, Mongolia, Montenegro, Morocco, Myanmar, Nepal, Netherlands, New Zealand, Nigeria,
    North Korea, North Macedonia, Norway, Oman, Pakistan, Palestine, Poland, Portugal, Qatar,
    Romania, Russia, Russian Federation, Saudi Arabia, Serbia, Singapore, Slovakia, Slovenia,
    South Africa, South Korea, Spain, Sri Lanka, Sudan, Sweden, Switzerland, Syria, Taiwan,
    Tajikistan, Thailand, Turkey, Türkiye, Turkmenistan, Ukraine, United Arab Emirates, UAE,
    United Kingdom, UK, Britain, Great Britain, United States, US, USA, America, Uzbekistan,
    Venezuela, Vietnam, Yemen, USSR, Soviet Union, Crimea, Chechnya, Abkhazia, South Ossetia,
    Transnistria, Nagorno-Karabakh, Karabakh, Donbas, Donbass, Donetsk, Luhansk, Kabul, Tirana,
    Algiers, Yerevan, Canberra, Vienna, Baku, Manama, Dhaka, Minsk, Brussels, Sofia, Ottawa,
    Beijing, Zagreb, Havana, Nicosia, Prague, Copenhagen, Cairo, Tallinn, Helsinki, Paris,
    Tbilisi, Berlin, Athens, Budapest, New Delhi, Delhi, Jakarta, Tehran, Baghdad, Dublin,
    Jerusalem, Tel Aviv, Rome, Tokyo, Amman, Astana, Nur-Sultan, Akmola, Nairobi, Pristina,
    Bishkek, Riga, Beirut, Tripoli, Vilnius, Kuala Lumpur, Chisinau, Ulaanbaatar, Ulan Bator,
    Podgorica, Rabat, Kathmandu, Amsterdam, The Hague, Wellington, Abuja, Pyongyang, Skopje, Oslo,
    Muscat, Islamabad, Warsaw, Lisbon, Doha, Bucharest, Moscow, Riyadh, Belgrade, Bratislava,
    Ljubljana, Pretoria, Seoul, Madrid, Colombo, Khartoum, Stockholm, Bern, Geneva, Damascus,
    Taipei, Dushanbe, Bangkok, Ankara, Istanbul, Ashgabat, Kyiv, Kiev, Abu Dhabi, Dubai, London,
    Washington, New York, Tashkent, Caracas, Hanoi, Sanaa, Almaty, Alma-Ata, Shymkent,
    Karaganda, Qaraghandy, Aqtobe, Aktobe, Atyrau, Aqtau, Aktau, Zhanaozen, Taraz, Oral, Uralsk,
    Pavlodar, Semey, Oskemen, Ust-Kamenogorsk, Kostanay, Qostanai, Kyzylorda, Qyzylorda,
    Turkistan, Mangystau, Mangghystau, Baikonur, Zhetisu, Abai, Osh, Jalal-Abad, Batken, Naryn,
    Talas, Issyk-Kul, Karakol, Chui, Kumtor, Khujand, Kulob, Khatlon, Gorno-Badakhshan, Khorog,
    Samarkand, Bukhara, Khiva, Ferghana, Fergana, Andijan, Namangan, Karakalpakstan, Nukus,
    Termez, Turkmenabat, Dashoguz, Gyumri, Ganja, Stepanakert, Khankendi, Lachin, Batumi,
    Kutaisi, Sukhumi, Tskhinvali, Odesa, Odessa, Kharkiv, Lviv, Dnipro, Zaporizhzhia, Kherson,
    Mariupol, Mykolaiv, Gomel, Homel, Grodno, Hrodna, Brest, Vitebsk, Mogilev, Saint Petersburg,
    St. Petersburg, Kazan, Novosibirsk, Yekaterinburg, Vladivostok, Sochi, Grozny, Siberia,
    Kaliningrad, Murmansk, Rostov, Belgorod, Kursk, Dagestan, Tatarstan, Bashkortostan, Caucasus,
    North Caucasus, South Caucasus, Central Asia, Eurasia, Europe, Asia, Africa, Middle East,
    Balkans, Baltic, Arctic, Caspian, Caspian Sea, Black Sea, Aral Sea, Ferghana Valley, Pamir,
    Pamirs, Xinjiang, Hong Kong, Gaza, West Bank, Latin America, Scandinavia, Kurdistan,
    Россия, Российская Федерация, РФ, Казахстан, Кыргызстан, Киргизия, Узбекистан, Таджикистан,
    Туркмения, Туркменистан, Армения, Азербайджан, Грузия, Белоруссия, Беларусь, Украина,
    Молдавия, Молдова, Латвия, Литва, Эстония, Китай, КНР, США, Америка, Германия, Франция,
    Великобритания, Британия, Турция, Иран, Афганистан, Монголия, Пакистан, Индия, Япония,
    Польша, Израиль, Сирия, Крым, Донбасс, Москва, Астана, Нур-Султан, Алматы, Алма-Ата,
    Бишкек, Ташкент, Душанбе, Ашхабад, Баку, Ереван, Тбилиси, Минск, Киев, Кишинев, Кишинёв,
    Пекин, Вашингтон, Лондон, Берлин, Париж, Анкара, Стамбул, Брюссель, Женева, Вена, Шымкент,
    Караганда, Актобе, Атырау, Актау, Жанаозен, Тараз, Павлодар, Семей, Усть-Каменогорск,
    Костанай, Кызылорда, Туркестан, Мангистау, Байконур, Ош, Джалал-Абад, Баткен, Нарын, Талас,
    Иссык-Куль, Каракол, Кумтор, Худжанд, Куляб, Хатлон, Самарканд, Бухара, Фергана, Андижан,
    Наманган, Каракалпакстан, Нукус, Санкт-Петербург, Петербург, Казань, Новосибирск, Сибирь,
    Кавказ, Европа, Азия, Центральная Азия, Средняя Азия, Евразия, Ближний Восток,
    Қазақстан, Ресей, Қырғызстан, Өзбекстан, Тәжікстан, Түрікменстан, Қытай, Әзербайжан,
    Армения, Грузия, Украина, Беларусь, Астана, Алматы, Шымкент, Қарағанды, Ақтөбе, Атырау,
    Ақтау, Жаңаөзен, Тараз, Павлодар, Семей, Өскемен, Қостанай, Қызылорда, Түркістан,
    Маңғыстау, Жетісу, Абай, Мәскеу, Бішкек, Ташкент, Еуропа, Америка, Орталық Азия, Талдықорған,
    Петропавл, Көкшетау, Орал, Жезқазған, Екібастұз, Теміртау"""
)
_ORGS = _entries(
    """Kremlin, White House, Pentagon, Akorda, Ak Orda, Mazhilis, Majilis, Senate, Duma,
    State Duma, Jogorku Kenesh, Verkhovna Rada, Rada, European Union, EU, NATO, UN, OSCE, CSTO,
    SCO, CIS, EAEU, IMF, World Bank, WHO, WTO, OPEC, Gazprom, Rosneft, Lukoil, Rosatom,
    KazMunayGas, Samruk-Kazyna, Kazatomprom, Reuters, AFP, AP, TASS, RIA Novosti, Interfax,
    RFE/RL, Amanat, Nur Otan, Georgian Dream, Кремль, Белый дом, Пентагон, Акорда, Мажилис,
    Сенат, Госдума, Государственная дума, Жогорку Кенеш, Верховная рада, Рада, Евросоюз,
    ЕС, НАТО, ООН, ОБСЕ, ОДКБ, ШОС, СНГ, ЕАЭС, МВФ, Всемирный банк, Газпром, Роснефть,
    Лукойл, Росатом, КазМунайГаз, Самрук-Казына, Казатомпром, ТАСС, РИА Новости, Интерфакс,
    Аманат, Нур Отан, Ақорда, Мәжіліс, Сенат, Аманат, ҰҚК, ІІМ, ТЖМ"""
)
_FIRST_NAMES = _words(
    """Aleksandr Alexander Alexandr Alexei Aleksei Alexey Andrei Andrey Anton Arkady Boris
    Dmitry Dmitri Evgeny Yevgeny Fyodor Gennady Igor Ilya Ivan Konstantin Maksim Maxim Mikhail
    Nikolai Nikolay Oleg Pavel Pyotr Roman Ruslan Sergei Sergey Stanislav Vadim Valery Vasily
    Viktor Vitaly Vladimir Vladislav Vyacheslav Yury Yuri Anna Maria Maria Elena Yelena Olga
    Natalia Natalya Tatiana Tatyana Irina Svetlana Ekaterina Yekaterina Marina Elvira Valentina
    Lyudmila Yulia Ksenia Nursultan Qasym-Zhomart Kassym-Jomart Kasym-Zhomart Karim Daulet Anuar
    Askar Alikhan Aibek Aidos Almas Arman Asset Bakhyt Bolat Dariga Erlan Yerlan Marat Nurlan
    Rakhat Samat Serik Timur Yerzhan Zhanar Aigerim Aliya Dinara Gulnara Olzhas Kairat Berik
    Dauren Nurzhan Murat Azamat Beibut Saule Sadyr Kamchybek Almazbek Sooronbay Kurmanbek
    Akylbek Adylbek Roza Emomali Rustam Shavkat Islam Abdulaziz Serdar Gurbanguly Ilham
    Mehriban Nikol Serzh Robert Levon Ararat Salome Irakli Mikheil Bidzina Giorgi Alyaksandr
    Svyatlana Sviatlana Ales Volodymyr Petro Dmytro Oleksandr Oleksiy Andriy Maia Ursula
    Charles Josep Kaja Emmanuel Olaf Joe Donald Antony Jake Kamala Jerome Janet Xi Recep
    António Antonio Angela Rishi Keir John James Michael David William Richard Thomas Mark
    Paul Peter George Mary Elizabeth Jennifer Sarah Susan Laura Emily Sophie Kristalina
    Ajay Narendra Shehbaz Imran Ebrahim Masoud Ali Mohammed Muhammad Ahmed Hassan
    Қасым-Жомарт Нұрсұлтан Әлихан Олжас Қайрат Дәурен Бақытжан Ерлан Асқар Айгерім Дариға
    Касым-Жомарт Нурсултан Алихан Олжас Кайрат Карим Даулет Ануар Садыр Камчыбек Эмомали
    Шавкат Ильхам Никол Сергей Владимир Дмитрий Мария Эльвира Алексей Михаил Александр"""
)
_PHRASE_STOP_EN = _STOP_EN | _TITLE_HEADS
_PHRASE_STOP_RU = _STOP_RU | _RU_TITLES
_SAME_PLACE = _groups(
    """Kazakhstan = Казахстан = Қазақстан
    Russia = Россия = Ресей = Russian Federation = Российская Федерация = РФ
    Kyrgyzstan = Кыргызстан = Киргизия = Қырғызстан = Kyrgyz Republic
    Uzbekistan = Узбекистан = Өзбекстан
    Tajikistan = Таджикистан = Тәжікстан
    Turkmenistan = Туркменистан = Туркмения = Түрікменстан
    Armenia = Армения
    Azerbaijan = Азербайджан = Әзербайжан
    Georgia = Грузия
    Belarus = Беларусь = Белоруссия
    Ukraine = Украина
    Moldova = Молдова = Молдавия
    China = Китай = Қытай = КНР
    United States = US = USA = США = America = Америка
    Germany = Германия
    France = Франция
    Britain = United Kingdom = UK = Великобритания = Британия
    Turkey = Türkiye = Турция
    Iran = Иран
    Afghanistan = Афганистан
    Mongolia = Монголия
    Moscow = Москва = Мәскеу
    Astana = Астана = Nur-Sultan = Нур-Султан
    Almaty = Алматы = Alma-Ata = Алма-Ата
    Bishkek = Бишкек = Бішкек
    Tashkent = Ташкент
    Dushanbe = Душанбе
    Ashgabat = Ашхабад
    Baku = Баку
    Yerevan = Ереван
    Tbilisi = Тбилиси
    Minsk = Минск
    Kyiv = Kiev = Киев
    Beijing = Пекин
    Washington = Вашингтон
    London = Лондон
    Brussels = Брюссель
    Shymkent = Шымкент
    Karaganda = Qaraghandy = Караганда = Қарағанды
    Aqtobe = Aktobe = Актобе = Ақтөбе
    Atyrau = Атырау
    Aqtau = Aktau = Актау = Ақтау
    Zhanaozen = Жанаозен = Жаңаөзен
    Central Asia = Центральная Азия = Средняя Азия = Орталық Азия
    Europe = Европа = Еуропа
    Crimea = Крым
    Donbas = Donbass = Донбасс"""
)
_PLACES = _PLACES | frozenset(_SAME_PLACE)
