"""How a term is found in text: a regular expression that allows its inflected forms, and its
keys, the prefixes that the first word of every occurrence must start with.

All of this runs when a watch is compiled, never per article: inflection is a set of suffix
alternations in the pattern, not stemming of the article's text. A word may take

- in Latin script, the English plural and possessive, on the last word of a term
  (Kazakhstan's, Kazakhstans, parties);
- in Cyrillic, the Russian case endings that its final letters call for, on every word that
  does not stand before a hyphen (Казахстана, Токаевым, России, Комитета национальной
  безопасности), and on the last word up to two Kazakh suffixes in any of their
  vowel-harmony forms (Қазақстанның, Тоқаевтың, Қазақстандағы, Алматыда);
- nothing, for a quoted term, a word shorter than three letters, or a word in another script.

These are lists of endings, not a morphology: they allow some forms that are no words
("Казахстанами"), which costs nothing, and miss irregular ones (English "children",
Russian "Римского-Корсакова", Kazakh chains of three suffixes).

A word written in capitals (at least two letters) may be exact: it then matches only in that
case (CSTO, ОДКБ), with lower-case endings only ("CSTO's", "МИДа"). Words match whole: never
inside a longer word. A gap of spaces or hyphens in a term matches any run of spaces and
hyphens ("Nur-Sultan", "Nur Sultan"); "е" and "ё" match each other.

Keys: an article is reduced to the set of its words' first ``KEY_LENGTH`` letters, folded
(lower case, ё as е, ς as σ). A term's keys are the prefixes its first word can have in any
of its forms, so that a term none of whose keys is in that set cannot occur, and the places
where it can occur are found with ``str.find``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

KEY_LENGTH = 5

WORD = re.compile(r"\w+")
_PIECES = re.compile(r"(\w+)")
_GAP_CHARS = frozenset(" \t\n\r\f\v-\u2010\u2011\u2012\u2013")
GAP = r"[\s\-\u2010-\u2013]+"
# Characters that stand for a class: apostrophes, and е/ё, which Russian print often merges.
_CLASSES = {"'": "['’]", "’": "['’]", "е": "[её]", "ё": "[её]", "Е": "[ЕЁ]", "Ё": "[ЕЁ]"}

# Russian endings by paradigm: the stem is the word less the letters named in ``_ru_forms``.
_RU_HARD = (  # Казахстан(а|у|ом|е), Токаев(а|ым|ой|ых)
    "", "а", "у", "е", "ом", "ем", "ым", "ой", "ы", "и", "ов", "ев", "ей", "ам", "ами",
    "ах", "ых", "ыми", "я", "ю", "ям", "ями", "ях",
)  # fmt: skip
_RU_A = ("", "а", "ы", "и", "е", "у", "ой", "ою", "ей", "ам", "ами", "ах")  # Астана, Москва
_RU_YA = ("", "я", "и", "е", "ю", "ей", "ею", "ям", "ями", "ях")  # Россия, Армения
_RU_SOFT = ("ь", "я", "ю", "е", "и", "ем", "ей", "ью", "ям", "ями", "ях")  # Беларусь
_RU_J = ("й", "я", "ю", "е", "и", "ем", "ев", "ей", "ям", "ями", "ях")  # Китай, Георгий
_RU_O = ("о", "а", "у", "ом", "е")
_RU_E = ("е", "я", "ю", "ем", "и", "ей", "ям", "ями", "ях")  # море, собрание
_RU_ADJ = (
    "ый", "ий", "ой", "ая", "яя", "ое", "ее", "ого", "его", "ому", "ему", "ым", "им",
    "ом", "ем", "ую", "юю", "ые", "ие", "ых", "их", "ыми", "ими", "ей", "ою", "ею",
)  # fmt: skip
_RU_ACRONYM = ("", "а", "у", "ом", "е")  # МИДа, МИДом; ОДКБ takes none, which costs nothing
# Kazakh case, plural and possessive suffixes in all their harmony forms; at most two follow
# a word (Қазақстан-да-ғы, облыс-ы-на).
_KK = (
    "лар", "лер", "дар", "дер", "тар", "тер",
    "ның", "нің", "дың", "дің", "тың", "тің",
    "ға", "ге", "қа", "ке", "на", "не", "а", "е",
    "ны", "ні", "ды", "ді", "ты", "ті", "н",
    "да", "де", "та", "те", "нда", "нде",
    "дан", "ден", "тан", "тен", "нан", "нен", "ндан", "нден",
    "мен", "бен", "пен",
    "ы", "і", "сы", "сі", "ғы", "гі", "қы", "кі",
)  # fmt: skip
_EN_SIBILANT = ("s", "x", "z", "ch", "sh")


@dataclass(frozen=True, slots=True)
class Form:
    """A stem and the endings it may take; ``chain``: up to two endings in a row."""

    stem: str
    endings: tuple[str, ...] = ("",)
    chain: bool = False


def fold(text: str) -> str:
    """Lower case with ё as е, keeping every character at its offset: what the expressions,
    which ignore case, treat as the same letter."""
    low = text.lower()
    if len(low) != len(text):  # "İ" lowers to two characters; keep the first
        low = "".join(char.lower()[0] for char in text)
    # A final sigma depends on what follows; the expressions take ς, σ and Σ as one letter.
    return low.replace("ё", "е").replace("ς", "σ")


def is_acronym(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _script(word: str) -> str:
    if any("\u0400" <= char <= "\u052f" for char in word):
        return "cyrillic"
    if all(char < "\u0250" for char in word):
        return "latin"
    return "other"


def word_forms(word: str, *, inflect: bool, last: bool, exact: bool) -> tuple[Form, ...]:
    """The forms one word of a term may take. ``last``: it ends the term, where English and
    Kazakh put their endings (a Russian phrase inflects word by word: Комитета национальной
    безопасности); ``exact``: an acronym that keeps its case."""
    script = _script(word)
    if not inflect or not word[-1].isalpha() or len(word) < 3:  # "us" is not the stem of "uses"
        return (Form(word),)
    if exact:
        if script == "cyrillic":
            return (Form(word, _RU_ACRONYM),)
        return (Form(word, ("", "s", "'s", "’s")),) if last else (Form(word),)
    if script == "cyrillic":
        russian = _ru_forms(word)
        return (*russian, Form(word, _KK, chain=True)) if last else russian
    if script == "latin" and last:
        return (_en_form(word),)
    return (Form(word),)


def _en_form(word: str) -> Form:
    low = word.lower()
    if low.endswith(_EN_SIBILANT):
        return Form(word, ("", "'s", "'", "es", "es'"))
    if len(low) > 2 and low[-1] == "y" and low[-2] not in "aeiou":
        return Form(word[:-1], ("y", "y's", "ies", "ies'"))
    return Form(word, ("", "'s", "s", "s'"))


def _ru_forms(word: str) -> tuple[Form, ...]:
    low = fold(word)
    last = low[-1]
    if low.endswith(("ая", "яя", "ое", "ее", "ые")) and len(low) > 4:
        return (Form(word[:-2], _RU_ADJ),)
    if low.endswith(("ый", "ий", "ой")) and len(low) > 4:  # adjectives, and Георгий, Толстой
        return (Form(word[:-2], _RU_ADJ), Form(word[:-1], _RU_J))
    if low.endswith("ие") and len(low) > 4:  # собрание: a noun, or an adjective's plural
        return (Form(word[:-2], _RU_ADJ), Form(word[:-1], _RU_E))
    if last == "а":
        return (Form(word[:-1], _RU_A),)
    if last == "я":
        return (Form(word[:-1], _RU_YA),)
    if last == "ь":
        return (Form(word[:-1], _RU_SOFT),)
    if last == "й":
        return (Form(word[:-1], _RU_J),)
    if last == "о":
        return (Form(word[:-1], _RU_O),)
    if last == "е":
        return (Form(word[:-1], _RU_E),)
    if last in "ыиуюэі":  # Алматы, Шойгу: indeclinable in Russian
        return (Form(word),)
    return (Form(word, _RU_HARD),)


def _escape(text: str) -> str:
    return "".join(_CLASSES.get(char) or re.escape(char) for char in text)


def _form_pattern(form: Form, exact: bool) -> str:
    stem = _escape(form.stem)
    tails = sorted({_escape(e) for e in form.endings if e}, key=lambda t: (-len(t), t))
    if not tails:
        pattern = stem
    elif form.chain:
        pattern = f"{stem}(?:{'|'.join(tails)}){{0,2}}"
    else:
        optional = "?" if "" in form.endings else ""
        pattern = f"{stem}(?:{'|'.join(tails)}){optional}"
    return f"(?-i:{pattern})" if exact else pattern


def _separator_pattern(separator: str) -> str:
    if set(separator) <= _GAP_CHARS:
        return GAP
    return "".join(r"\s+" if part.isspace() else _escape(part) for part in _split_spaces(separator))


def _split_spaces(text: str) -> list[str]:
    return [part for part in re.split(r"(\s+)", text) if part]


@lru_cache(maxsize=1024)
def _ending_heads(endings: tuple[str, ...], chain: bool, room: int) -> frozenset[str]:
    """The first ``room`` letters of every ending (or pair of endings), folded."""
    options = {fold(e) for e in endings} | ({""} if chain else set())
    if chain:
        options = {a + b for a in options for b in options}
    return frozenset(option[:room] for option in options)


def _form_keys(form: Form) -> set[str]:
    stem = fold(form.stem)
    if len(stem) >= KEY_LENGTH:
        return {stem[:KEY_LENGTH]}
    heads = _ending_heads(form.endings, form.chain, KEY_LENGTH - len(stem))
    keys = set()
    for head in heads:
        first = WORD.match(stem + head)
        keys.add(first.group() if first else stem)
    return keys


def _token_forms(form: Form) -> frozenset[str] | None:
    """Every whole word ``form`` can be, folded, if a word's presence decides the match:
    no chained endings, and an ending with an apostrophe only where the word before the
    apostrophe is a form too ("Kazakhstan's" beside "Kazakhstan")."""
    if form.chain:
        return None
    words = {fold(form.stem + ending) for ending in form.endings}
    plain = {word for word in words if WORD.fullmatch(word)}
    for word in words - plain:
        first = WORD.match(word)
        if first is None or first.group() not in plain:
            return None
    return frozenset(plain)


@dataclass(frozen=True, slots=True)
class TermPattern:
    """A term as a regular expression body (no word boundaries yet) and its keys.

    ``words``, for a one-word term whose case does not matter and whose forms can be listed,
    is the set of those forms, folded: the term occurs in a text exactly when one of the
    text's words is in it. None otherwise (phrases, acronyms kept in capitals, Cyrillic words
    with their open-ended Kazakh suffixes), and the expression has to be run.
    """

    body: str
    keys: frozenset[str]
    words: frozenset[str] | None
    single: bool  # one word, in any case, with endings of letters only
    required: frozenset[str]  # words that must all be in a text, folded: a literal phrase's


def term_pattern(text: str, *, inflect: bool, exact_acronyms: bool) -> TermPattern:
    """The pattern of a word or phrase. ``text`` starts and ends with a word character.

    A word inflects only where it stands free, after a gap or at the start and before a space
    or at the end: in "U.S." or "RFE/RL" nothing does, in "Nur-Sultan" and "Алма-Ата" only
    the last part (Алма-Аты, Нұр-Сұлтанда).
    """
    pieces = _PIECES.split(text)
    words, separators = pieces[1::2], pieces[2:-1:2]
    gaps = [set(separator) <= _GAP_CHARS for separator in separators]
    spaces = [separator.isspace() for separator in separators]
    parts: list[str] = []
    keys: set[str] = set()
    forms: tuple[Form, ...] = ()
    exact = False
    for i, word in enumerate(words):
        free = (i == 0 or gaps[i - 1]) and (i == len(words) - 1 or spaces[i])
        exact = exact_acronyms and is_acronym(word)
        forms = word_forms(word, inflect=inflect and free, last=i == len(words) - 1, exact=exact)
        alternatives = [_form_pattern(form, exact) for form in forms]
        parts.append(alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})")
        if i == 0:
            keys = set().union(*(_form_keys(form) for form in forms))
        if i < len(separators):
            parts.append(_separator_pattern(separators[i]))
    single = len(words) == 1 and not exact
    listed = _listed(forms) if single else None
    single = single and all(WORD.fullmatch(e) for form in forms for e in form.endings if e)
    required = frozenset(fold(word) for word in words) if not inflect else frozenset()
    return TermPattern("".join(parts), frozenset(keys), listed, single, required)


def _listed(forms: tuple[Form, ...]) -> frozenset[str] | None:
    listed: set[str] = set()
    for form in forms:
        words = _token_forms(form)
        if words is None:
            return None
        listed |= words
    return frozenset(listed)


def whole_words(bodies: list[str]) -> str:
    """One pattern for several term bodies (the caller puts the longest first), matching only
    whole words."""
    inner = bodies[0] if len(bodies) == 1 else f"(?:{'|'.join(bodies)})"
    return rf"(?<!\w){inner}(?!\w)"
