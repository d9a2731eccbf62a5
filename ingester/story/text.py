"""From an article's text to what near-duplicate detection compares: normalised words, word
shingles, the numbers and names it states, and the script it is written in.

Pure functions of strings. Nothing here knows MinHash, the index or any other stage.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

# An agency dateline opens the first paragraph: "MOSCOW, Aug 12 —", "BISHKEK, Aug 13 (Kabar) —",
# "BAIKONUR, Kazakhstan —", "АСТАНА, 17 ноября.". Outlets that carry a story rewrite or drop it,
# and its date would read as a number the two texts disagree on.
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІЎҲҶӢӮ"
_DATELINE = re.compile(
    rf"^[{_UPPER}][{_UPPER}'’\-]{{2,}}(?: [{_UPPER}][{_UPPER}'’\-]+)*"  # city in capitals
    r"(?:,[^—–\n.]{1,40})?"  # ", Aug 12", ", Kazakhstan"
    r"(?: \([^)\n]{1,30}\))?"  # " (Reuters)"
    r"(?:\s*[—–]\s+|\.\s+)"  # a dash, or the full stop of Russian agency style
)
# Last paragraphs that belong to the wire, not the story: credits and correction notes.
_FURNITURE = re.compile(
    r"^[(\[]?\s*(?:with (?:additional )?reporting by|additional reporting by|reporting by"
    r"|writing by|editing by|compiled by|corrects|updates|adds|refiles|repeats"
    r"|при подготовке|использованы материалы|по материалам)\b",
    re.IGNORECASE,
)
_FURNITURE_WORDS = 40  # a longer last paragraph is text, whatever its first words
_PARAGRAPHS = re.compile(r"\n\s*")

# Thousands groups ("2,500", "1 240", "7 200") become one number, decimal commas
# ("16,5") decimal points: the house styles of English and Russian outlets differ here.
_THOUSANDS = re.compile(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?![\d,.]?\d)")
_DECIMAL_COMMA = re.compile(r",(?<=\d,)(?=\d)")
_PER_CENT = re.compile(r"%|per cent\b")
_POSSESSIVE = re.compile(r"['’]s\b")
# A full stop or apostrophe inside a word is spelling, not punctuation: "U.S." is "us".
# (Each pattern opens with a literal, not a lookbehind, so the scan skips ahead quickly.)
_INNER_MARK = re.compile(r"[.'’](?<=[^\W\d_][.'’])(?=[^\W\d_])")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")

# A word after a space, an opening quote or a dash ("Astana–Karaganda") that does not
# follow a sentence's end.
_MID_SENTENCE_WORD = re.compile(r"(?<=[^.!?…\s][ «\"“(‘–—/])[^\W\d_][\w'’\-]*")


def strip_furniture(body: str) -> str:
    """The body without the dateline of its first paragraph and without closing credit or
    correction lines ("With reporting by AFP and TASS", "(Corrects trading volume ...)")."""
    paragraphs = [p for p in _PARAGRAPHS.split(body.strip()) if p]
    if not paragraphs:
        return ""
    paragraphs[0] = _DATELINE.sub("", paragraphs[0], count=1)
    while len(paragraphs) > 1 and _is_furniture(paragraphs[-1]):
        paragraphs.pop()
    return "\n".join(paragraphs)


def _is_furniture(paragraph: str) -> bool:
    return bool(_FURNITURE.match(paragraph)) and len(paragraph.split()) <= _FURNITURE_WORDS


def words(text: str) -> list[str]:
    """The words and numbers of ``text``, normalised: NFKC, case-folded, "ё" read as "е",
    punctuation dropped, numbers written one way ("2,500" and "2 500" are "2500", "16,5" is
    "16.5"), "%" and "per cent" written "percent"."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = _THOUSANDS.sub(_join_thousands, text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _PER_CENT.sub(" percent ", text)
    text = _POSSESSIVE.sub("", text)
    text = _INNER_MARK.sub("", text)
    return _TOKEN.findall(text)


def _join_thousands(match: re.Match[str]) -> str:
    number = match.group(0)
    start = match.start()
    if start and (match.string[start - 1].isdigit() or match.string[start - 1] in ".,"):
        return number  # the tail of a longer number or of a decimal: not a thousands group
    return _NOT_DIGIT.sub("", number)


_NOT_DIGIT = re.compile(r"\D")


def shingles(tokens: Sequence[str], k: int) -> set[str]:
    """The distinct runs of ``k`` consecutive words; a text shorter than that is one shingle."""
    if not tokens:
        return set()
    if len(tokens) <= k:
        return {" ".join(tokens)}
    # The k-th run starts at each token; zip stops when the shortest (the last) runs out.
    return set(map(" ".join, zip(*(tokens[i:] for i in range(k)), strict=False)))


def numbers(tokens: Iterable[str]) -> set[str]:
    """The numbers among normalised words."""
    return {token for token in tokens if token[0].isdigit()}


def names(text: str) -> set[str]:
    """Capitalised words that do not open a sentence: the names a text mentions, roughly.

    Good enough to tell "Astana–Karaganda highway closed" from "Astana–Pavlodar highway
    closed"; a language without capitals has no names here, and then nothing is vetoed.
    """
    text = _POSSESSIVE.sub("", unicodedata.normalize("NFKC", text))
    return {word.casefold() for word in _MID_SENTENCE_WORD.findall(text) if word[0].isupper()}


def script(text: str) -> str:
    """The writing system most letters of ``text`` belong to ("latin", "cyrillic", "arabic",
    ...), with "cyrillic-ext" for Cyrillic that uses letters Russian lacks (Kazakh,
    Ukrainian, Tajik, ...); "" without letters."""
    sample = text[:_SCRIPT_SAMPLE]
    latin = len(_LATIN.findall(sample))
    cyrillic = len(_CYRILLIC.findall(sample))
    if (latin + cyrillic) * 3 < len(sample):  # mostly another script, or hardly any letters
        return _commonest_script(sample)
    if latin >= cyrillic:
        return "latin"
    beyond = len(_BEYOND_RUSSIAN.findall(sample))
    # One such letter in a hundred is far above what a Russian text quoting a Kazakh name
    # has, and far below what any Kazakh sentence has.
    return "cyrillic-ext" if beyond >= max(2, cyrillic // 100) else "cyrillic"


def _commonest_script(sample: str) -> str:
    counts = Counter(_script_of(char) for char in sample if char.isalpha())
    return counts.most_common(1)[0][0] if counts else ""


def _script_of(char: str) -> str:
    point = ord(char)
    for end, name in _SCRIPT_BLOCKS:
        if point <= end:
            return name
    return "other"


_SCRIPT_SAMPLE = 600  # characters, some 90 words: a story does not change script halfway
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u052f]")
# Cyrillic letters the Russian alphabet lacks: Kazakh has several, Ukrainian its "і".
_BEYOND_RUSSIAN = re.compile("[әғқңөұүһіїєґўҳҷӣӯӘҒҚҢӨҰҮҺІЇЄҐЎҲҶӢӮ]")
_SCRIPT_BLOCKS = (  # (last code point, script), in order; enough to tell the scripts news uses
    (0x024F, "latin"),
    (0x03FF, "greek"),
    (0x052F, "cyrillic"),
    (0x058F, "armenian"),
    (0x05FF, "hebrew"),
    (0x077F, "arabic"),
    (0x097F, "devanagari"),
    (0x0E7F, "indic"),
    (0x10FF, "georgian"),
    (0x1EFF, "latin"),  # Latin Extended Additional (Vietnamese)
    (0x2FFF, "other"),
    (0x30FF, "japanese"),
    (0x9FFF, "han"),
    (0xD7AF, "hangul"),
)


def hash32(value: str) -> int:
    """A 32-bit hash of ``value`` that is the same in every process (``hash()`` is not)."""
    return zlib.crc32(value.encode("utf-8"))
