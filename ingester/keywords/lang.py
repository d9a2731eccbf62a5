"""The language an article is written in: py3langid's answer, corrected by Kazakh letters.

The only module that imports py3langid; its model loads once per process, on first use. It
looks at letters only: it knows nothing of names, tokens or keywords, and imports no other
module of the package.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

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
CYRILLIC_LANGS = frozenset(("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "uz", "mn", "tt"))
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
        if kazakh_only >= 2 and kazakh >= 0.015 * cyrillic and best in CYRILLIC_LANGS:
            return "kk"
        if best == "kk" and kazakh == 0 and cyrillic >= 100:
            return next((lang for lang in ranked if lang in CYRILLIC_LANGS - {"kk"}), "ru")
    return best


@cache
def _langid() -> Any:
    import py3langid  # loads its model on first use

    py3langid.set_languages(list(LANGUAGES))
    return py3langid
