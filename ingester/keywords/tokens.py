"""The article as tokens: words with their capital, acronym, script and possessive flags, a
dateline, the lead, and the facts about the whole text that the name rules consult.

Finds no names and gives no kinds: that is the language modules' work. It consults the
lexicon only to tell a Title Case headline's capitals from those of real names.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .lang import CYRILLIC_LANGS
from .lexicon import STOP_EN, known_name

_TOKEN = re.compile(
    r"(?P<dotted>\b(?:[A-Z]\.){2,})"  # U.S., U.K.
    r"|(?P<word>[^\W_]+(?:[-‐‑'’/][^\W_]+)*)"
    r"|(?P<nl>\n)"
    r"|(?P<punct>[^\w\s])"
)
_SENTENCE_END = frozenset(".!?…:")

_POSSESSIVE = ("'s", "’s")
# "NUR-SULTAN --", "МОСКВА, 13 января —": a dateline opening the body names a place.
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_DATELINE = re.compile(
    rf"\s*([{_UPPER}][{_UPPER}'’. -]{{1,30}}[{_UPPER}])\s*(?:\([^)\n]{{1,40}}\))?"
    r"(?:,[^\n—–]{1,30}?)?\s*(?:--|—|–)\s"
)


@dataclass(slots=True)
class Tok:
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


class Doc:
    """The article as tokens, with the facts about it that the rules consult."""

    def __init__(self, title: str, body: str, lang: str) -> None:
        self.lang = lang
        self.title_end = len(title)
        self.text = f"{title}\n{body}" if title else f"\n{body}"
        self.dateline: tuple[str, int] | None = None  # the place and where it stands
        self.tokens = self._tokenise()
        # Cyrillic words in an article of another script (Russian quotes and names in English
        # text) are read as Russian; Ukrainian, Kyrgyz and the rest are taken as they stand.
        self.mode = "kk" if lang == "kk" else "plain" if lang in CYRILLIC_LANGS - {"ru"} else "ru"
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

    def _tokenise(self) -> list[Tok]:
        tokens: list[Tok] = []
        line, initial = 0, True
        dateline = self._find_dateline()
        dateline_from, dateline_to = (dateline.start(1), dateline.end()) if dateline else (-1, -1)
        for match in _TOKEN.finditer(self.text):
            group, text, start = match.lastgroup, match.group(), match.start()
            if group == "nl":
                line, initial = line + 1, True
                tokens.append(Tok(text, text, len(tokens), start, line, "nl"))
                continue
            if group == "punct":
                tokens.append(Tok(text, text, len(tokens), start, line, "p"))
                if text in _SENTENCE_END:
                    initial = True
                continue
            if group == "dotted":
                text = text.replace(".", "")
            tok = Tok(text, text, len(tokens), start, line, "w")
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
        lines: dict[int, list[Tok]] = {}
        for tok in self.tokens:
            if tok.kind in ("w", "n") or (tok.kind == "p" and tok.text in ".!?"):
                lines.setdefault(tok.line, []).append(tok)
        found = set()
        for line, words in lines.items():
            if len(words) > 16 or words[-1].kind == "p":
                continue
            content = [t for t in words if len(t.text) > 3 and t.lower not in STOP_EN]
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
        return text in self.mid_caps or known_name(text)

    def word_before(self, pos: int) -> Tok | None:
        if pos > 0 and self.tokens[pos - 1].kind == "w":
            return self.tokens[pos - 1]
        return None

    def word_after(self, pos: int) -> Tok | None:
        if pos + 1 < len(self.tokens) and self.tokens[pos + 1].kind == "w":
            return self.tokens[pos + 1]
        return None


def _shape(tok: Tok) -> None:
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
