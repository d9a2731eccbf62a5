"""Acronyms and their expansions given in brackets: "Long Name (ACR)", "ACR (Long Name)", and a
name translated in front of its acronym ("National Security Committee (KNB)").

Finds the links only, the expansion in its dictionary form; ``merge`` joins the entities they
name, and links an acronym to a name the article never put in brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .kazakh import kk_head
from .lexicon import CONNECTORS, MINOR, PERSON
from .mentions import Mention
from .russian import ru_nominative
from .tokens import Doc, Tok


def acronym_links(doc: Doc, mentions: Sequence[Mention]) -> list[tuple[str, str, int, int]]:
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
            words: list[Tok] = []
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
                or (len(words) > 1 and all(w.cap or w.lower in CONNECTORS for w in words))
            ):
                links.append((acronym, _expansion_text(doc, words), words[0].pos, words[-1].pos))
    return links


def _words_before(tokens: Sequence[Tok], i: int, acronym: str) -> list[Tok]:
    letters = sum(char.isalpha() for char in acronym)
    window = max(letters + 5, 2 * letters)
    words: list[Tok] = []
    for tok in reversed(tokens[max(0, i - window) : i]):
        if tok.kind != "w":
            break
        words.append(tok)
    words.reverse()
    return words


def _match_expansion(acronym: str, words: Sequence[Tok]) -> list[Tok] | None:
    """The shortest tail of ``words`` whose initials spell ``acronym`` (Schwartz-Hearst style:
    minor words and later parts of hyphenated words may be skipped; a word may give more than
    its first letter, in order)."""
    letters = "".join(char for char in acronym.lower() if char.isalpha())
    if len(letters) < 2:
        return None
    for start in range(len(words) - 1, -1, -1):
        first = words[start]
        if first.lower in MINOR or first.lower[:1] != letters[0]:
            continue
        parts: list[tuple[str, bool]] = []
        for tok in words[start:]:
            for k, part in enumerate(tok.lower.split("-")):
                parts.append((part, k > 0 or tok.lower in MINOR))
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


def _expansion_text(doc: Doc, words: Sequence[Tok]) -> str:
    if words[0].cyr and doc.mode == "ru":
        return " ".join(ru_nominative([t.text for t in words]))
    if words[0].cyr and doc.mode == "kk":
        return " ".join([t.text for t in words[:-1]] + [kk_head(words[-1].text)])
    return doc.text[words[0].start : words[-1].start + len(words[-1].text)]
