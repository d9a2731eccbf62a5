"""Russian names, through pymorphy3: each name in the nominative, typed by its tags.

The only module that imports pymorphy3 (its dictionaries load once per process, on first
use). A full name goes to the nominative word by word in one gender and case, a lone word to
the lemma its other forms in the article share, an organisation by its head and lower-case
genitive tail; rules on surname endings back pymorphy3 up where it guesses a common noun.
Mentions only, plus the nominative of a phrase for ``acronyms`` and ``phrases``: it does not
merge or score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache
from typing import Any, NamedTuple

from .lexicon import (
    ORGANISATION,
    OTHER,
    PERSON,
    PLACE,
    RU_ADJ_END,
    RU_INDECLINABLE,
    RU_NAME_PREPS,
    RU_ORG_HEADS,
    RU_REGION_NOUNS,
    RU_SURNAME_RULES,
    RU_TITLES,
    STOP_RU,
    gazetteer_kind,
)
from .mentions import TITLED, Mention, Weights, context_evidence, new_mention
from .tokens import Doc, Tok

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


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
    roles: Weights = defaultdict(float)
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
    for ending, replace, gender, cases in RU_SURNAME_RULES:
        if low.endswith(ending) and len(low) - len(ending) >= 2:
            lemma = low[: len(low) - len(ending)] + replace
            found.extend(_Parse(lemma, "surn", gender, case, 0.4) for case in cases)
    if not found and low.endswith(RU_INDECLINABLE):
        found.append(_Parse(low, "surn", "ms-f", "", 0.3))
    return tuple(found)


def _ru_role(tok: Tok, doc: Doc) -> str:
    """The role a capitalised Russian word plays in a name. A capital inside a sentence makes
    a common-noun reading unlikely ("Песков" is not "of sands"), and a surname ending likely."""
    if tok.acro:
        return "abbr"
    info = _ru_word(tok.text)
    lemma = info.parses[0].lemma if info.parses else tok.lower
    if lemma in RU_TITLES or tok.lower in RU_TITLES:
        return "title"
    if lemma in RU_ORG_HEADS and (info.roles.get("noun", 0) > 0.3):
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


def ru_mentions(run: list[Tok], doc: Doc) -> Iterator[Mention]:
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
        if role == "title" or tok.lower in STOP_RU:
            i = j
            continue
        if role == "common" and tok.initial and tok.text not in doc.mid_caps:
            i = j
            continue
        found: list[Mention] = []
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
                person.weight = TITLED
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
            context_evidence(doc, mention)
            yield mention
        i = j


def _ru_titled(doc: Doc, pos: int) -> bool:
    """Whether a title stands shortly before a name in the same clause: "председатель
    Комитета национальной безопасности (КНБ) Карим Масимов", "премьер-министра назначен"."""
    for tok in reversed(doc.tokens[max(0, pos - 8) : pos]):
        if tok.kind == "nl" or tok.text in ".!?;,":
            return False
        if tok.kind == "w" and (
            tok.lower in RU_TITLES or tok.lower[:-1] in RU_TITLES or tok.lower[:-2] in RU_TITLES
        ):
            return True
    return False


def _quoted(doc: Doc, run: Sequence[Tok]) -> bool:
    tokens = doc.tokens
    first, last = run[0].pos, run[-1].pos
    return (
        first > 0
        and tokens[first - 1].text in '«"“'
        and last + 1 < len(tokens)
        and tokens[last + 1].text in '»"”'
    )


def _ru_quoted(doc: Doc, run: Sequence[Tok]) -> Iterator[Mention]:
    """A name in quotes is a company, party or brand: «Кумтор Голд Компани», «Роснефти»."""
    if len(run) == 1 and not run[0].acro:
        info = _ru_word(run[0].text)
        nouns = [p for p in info.parses if p.role in ("noun", "orgn")]
        lemma = max(nouns, key=lambda p: p.score).lemma if nouns else run[0].lower
        text = _restore_case(lemma, run[0].text)
    else:
        text = " ".join(t.text for t in run)
    mention = new_mention(doc, run, text, text.split())
    mention.evidence[gazetteer_kind(text) or ORGANISATION] += 3.0
    context_evidence(doc, mention)
    yield mention


def _ru_region(doc: Doc, tok: Tok) -> Mention | None:
    """ "Хатлонской области" -> "Хатлонская область": a capitalised adjective before a region
    word is a place, put in the nominative by its ending (these names are rarely in the
    dictionary)."""
    after = doc.word_after(tok.pos)
    found = RU_ADJ_END.search(tok.text)
    if after is None or after.cap or found is None:
        return None
    noun = next((p for p in _ru_word(after.text).parses if p.role == "noun"), None)
    if noun is None or noun.lemma not in RU_REGION_NOUNS:
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
    mention = new_mention(doc, [tok, after], " ".join(words), words)
    mention.evidence[PLACE] += 4.0
    return mention


def _ru_could_be_person(tok: Tok) -> bool:
    info = _ru_word(tok.text)
    return bool(
        info.roles.get("name")
        or info.roles.get("surn")
        or info.roles.get("patr")
        or _ru_surname_forms(tok.text)
    )


def _ru_person(doc: Doc, toks: Sequence[Tok]) -> Mention:
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
    mention = new_mention(doc, toks, text, words)
    mention.evidence[PERSON] += 3.0 if len(toks) > 1 else 2.0
    if len(toks) == 1:
        mention.candidates = _ru_candidates(toks[0], options[0])
    return mention


def _ru_person_parses(tok: Tok, index: int, count: int) -> list[_Parse]:
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


def _ru_candidates(tok: Tok, parses: Sequence[_Parse]) -> tuple[tuple[str, float], ...]:
    scores: Weights = defaultdict(float)
    for p in parses:
        bonus = 1.5 if p.role == "surn" and p.gender != "femn" else 1.0
        scores[p.lemma] += p.score * bonus
    scores[tok.lower] += 0.05
    return tuple(sorted(scores.items(), key=lambda item: -item[1]))


def _ru_single(doc: Doc, tok: Tok, role: str) -> Mention:
    if role == "abbr":
        mention = new_mention(doc, [tok], tok.text)
        mention.acro = True
        kind = gazetteer_kind(tok.text)
        mention.evidence[kind or ORGANISATION] += 4.0 if kind else 1.5
        return mention
    info = _ru_word(tok.text)
    wanted = {"geo": ("geox",), "org": ("orgn",)}.get(role, ("noun", "geox", "orgn", ""))
    fitting = [p for p in info.parses if p.role in wanted]
    lemma = max(fitting, key=lambda p: p.score).lemma if fitting else tok.lower
    text = _restore_case(lemma, tok.text)
    mention = new_mention(doc, [tok], text)
    known = gazetteer_kind(text)
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


def _ru_phrase_mention(doc: Doc, toks: Sequence[Tok], head_role: str) -> Mention:
    """An adjective and its noun: "Центральной Азии" -> "Центральная Азия"."""
    words = ru_nominative([t.text for t in toks])
    text = " ".join(words)
    mention = new_mention(doc, toks, text, words)
    kind = gazetteer_kind(text) or (
        PLACE if head_role == "geo" else ORGANISATION if head_role == "orghead" else OTHER
    )
    mention.evidence[kind] += 3.0
    return mention


def _ru_org_phrase(doc: Doc, head: Tok) -> Iterator[Mention]:
    """An organisation named by a head noun and its genitive tail, which Russian writes in
    lower case: "Комитета национальной безопасности" -> "Комитет национальной безопасности".
    A country closing the name is also a mention of the country ("Банк России")."""
    toks = [head]
    tokens = doc.tokens
    pos = head.pos + 1
    place: Tok | None = None
    while pos < len(tokens) and len(toks) < 6 and place is None:
        tok = tokens[pos]
        if tok.kind != "w" or (tok.lower in STOP_RU and tok.lower not in RU_NAME_PREPS):
            break
        if tok.lower in RU_NAME_PREPS:
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
    while toks[-1].lower in RU_NAME_PREPS:
        toks.pop()
    doc.consumed.update(t.pos for t in toks)
    words = ru_nominative([t.text for t in toks])
    mention = new_mention(doc, toks, " ".join(words), words)
    mention.evidence[ORGANISATION] += 3.0
    yield mention
    if place is not None:
        country = _ru_single(doc, place, "geo")
        country.weight = 0.5
        yield country


def ru_nominative(words: Sequence[str]) -> list[str]:
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


def ru_resolve_single_words(mentions: list[Mention]) -> None:
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


@lru_cache(maxsize=65536)
def ru_pos(word: str) -> str:
    parses = _morph().parse(word)
    return str(parses[0].tag.POS or "") if parses else ""
