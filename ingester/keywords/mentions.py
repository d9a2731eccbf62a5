"""What every language's name rules share: a ``Mention`` (one occurrence of a name, in its
canonical form, with evidence for its kind), runs of capitalised words, the evidence of the
words around a name, and how much a mention weighs by where it stands.

Knows no language's morphology and merges nothing; the language modules and ``merge`` build
on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .lexicon import (
    CONNECTORS,
    ORGANISATION,
    PERSON,
    PLACE,
    PLACE_PREPS_STRONG,
    PLACE_PREPS_WEAK,
    POSSESSIVE_INSIDE,
    RU_TITLES,
    SAID,
    SURNAME_ENDINGS_RU,
    SURNAME_ENDINGS_STRONG,
    TITLE_HEADS,
    is_title_head,
    known_name,
)
from .tokens import Doc, Tok

Weights = defaultdict[str, float]  # kind -> evidence, role -> score
TITLED = 1.5  # a mention with a title ("President X") weighs more: it names an actor


@dataclass(slots=True)
class Mention:
    """One occurrence of a name, already in its canonical form."""

    text: str
    surface: str
    first: int  # token positions covered
    last: int
    start: int  # character offset
    line: int
    words: tuple[str, ...]  # canonical words, for matching a surname to a full name
    evidence: Weights = field(default_factory=lambda: defaultdict(float))
    weight: float = 1.0
    acro: bool = False
    candidates: tuple[tuple[str, float], ...] = ()  # Russian single words: lemma choices


def runs(doc: Doc) -> Iterator[list[Tok]]:
    """Maximal runs of capitalised words, with name-internal connectors ("of", "bin")."""
    tokens, run = doc.tokens, list[Tok]()
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
            and tok.lower in CONNECTORS
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


def _ends_name(tok: Tok) -> bool:
    return tok.poss and tok.text not in POSSESSIVE_INSIDE


def new_mention(
    doc: Doc, toks: Sequence[Tok], text: str, words: Sequence[str] | None = None
) -> Mention:
    first = toks[0]
    surface = doc.text[first.start : toks[-1].start + len(toks[-1].text)]
    return Mention(
        text, surface, first.pos, toks[-1].pos, first.start, first.line, tuple(words or (text,))
    )


def context_evidence(doc: Doc, mention: Mention) -> None:
    """What the words around a name say about its type."""
    before, after = doc.word_before(mention.first), doc.word_after(mention.last)
    ev = mention.evidence
    if before is None and mention.first > 1 and doc.tokens[mention.first - 1].text == ",":
        appositive = doc.word_before(mention.first - 1)
        if appositive is not None and appositive.lower in TITLE_HEADS:
            before = appositive
    if before is not None:
        if before.lower in PLACE_PREPS_STRONG:
            ev[PLACE] += 1.0
        elif before.lower in PLACE_PREPS_WEAK:
            ev[PLACE] += 0.5
        elif is_title_head(before.lower) or before.lower in RU_TITLES:
            if not mention.acro and max(ev[ORGANISATION], ev[PLACE]) < 3:
                ev[PERSON] += 3.0
                mention.weight = TITLED
        elif before.lower in SAID:
            ev[PERSON] += 0.5  # "said Karim Masimov", but also "says Viasna"
        elif before.lower == "the":
            ev[ORGANISATION] += 0.3
    if after is not None and after.lower in SAID and not mention.acro:
        ev[PERSON] += 1.0


def has_name_evidence(tok: Tok, doc: Doc) -> bool:
    """Whether a lone sentence-initial capitalised word is a name after all."""
    if tok.acro or tok.text in doc.mid_caps or known_name(tok.text):
        return True
    if tok.lower.endswith(SURNAME_ENDINGS_STRONG) or tok.lower.endswith(SURNAME_ENDINGS_RU):
        return True
    after = doc.word_after(tok.pos)
    return after is not None and after.lower in SAID


def position_weight(doc: Doc, start: int, line: int) -> float:
    if line == 0:
        return 3.0
    return 1.5 if start < doc.lead_end else 1.0
