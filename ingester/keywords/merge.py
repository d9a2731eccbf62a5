"""Mentions merged into entities: one entity per canonical text, then an acronym with its
expansion, a clipped name with the full one, a surname with the full name it ends, and one
place written in two scripts.

Decides which forms belong together and sums their weight and evidence; it finds no new
names and does not rank.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .acronyms import acronym_links
from .lexicon import (
    MINOR,
    ORGANISATION,
    OTHER,
    PERSON,
    PLACE,
    PLACE_SUFFIXES,
    SAME_PLACE,
    gazetteer_kind,
)
from .mentions import Mention, Weights, position_weight
from .tokens import Doc


@dataclass(slots=True)
class Entity:
    text: str
    words: tuple[str, ...]
    forms: Counter[str] = field(default_factory=Counter)
    evidence: Weights = field(default_factory=lambda: defaultdict(float))
    weight: float = 0.0
    first: int = 1 << 30
    acro: bool = False
    expansion: str | None = None

    def add(self, mention: Mention, weight: float) -> None:
        self.forms[mention.surface] += 1
        self.forms[mention.text] += 0  # canonical forms of merged mentions stay aliases
        _add(self.evidence, mention.evidence)
        self.weight += weight
        self.first = min(self.first, mention.start)

    def absorb(self, other: Entity) -> None:
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


def _add(into: Weights, other: Weights) -> None:
    for key, value in other.items():
        into[key] += value


def merge_mentions(doc: Doc, mentions: list[Mention]) -> list[Entity]:
    links = acronym_links(doc, mentions)
    inside = [(first, last) for _, _, first, last in links]
    entities: dict[str, Entity] = {}
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
            entity = entities[mention.text] = Entity(mention.text, mention.words)
        entity.acro = entity.acro or mention.acro
        entity.add(mention, _mention_weight(doc, mention))
        _credit_places(doc, entities, mention)
    _merge_acronyms(doc, entities, links)
    _merge_spelled_out(entities)
    _merge_surnames(entities)
    _merge_translations(entities)
    return list(entities.values())


def _mention_weight(doc: Doc, mention: Mention) -> float:
    return position_weight(doc, mention.start, mention.line) * mention.weight


def _credit_places(doc: Doc, entities: dict[str, Entity], mention: Mention) -> None:
    """Half a mention for a known place inside a longer name ("Almaty International Airport")."""
    if len(mention.words) < 2 or gazetteer_kind(mention.text):
        return
    for word in mention.words:
        if word != mention.text and gazetteer_kind(word) == PLACE:
            entity = entities.get(word)
            if entity is None:
                entity = entities[word] = Entity(word, (word,))
                entity.evidence[PLACE] += 4.0
                entity.forms[word] += 0
            entity.weight += 0.5 * _mention_weight(doc, mention)
            entity.first = min(entity.first, mention.start)


def _merge_acronyms(
    doc: Doc, entities: dict[str, Entity], links: Sequence[tuple[str, str, int, int]]
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
                Mention("", "", first, first, doc.tokens[first].start, doc.tokens[first].line, ()),
            )
            target.evidence[_expansion_kind(expansion)] += 3.0
        target.expansion = target.expansion or expansion
        target.forms[expansion] += 0


def _merge_spelled_out(entities: dict[str, Entity]) -> None:
    """Link an acronym to a name with its initials that the article never put in brackets
    ("UN" and "United Nations"), and a clipped name to the full one ("Fed", "Federal Reserve")."""
    long_names = [e for e in entities.values() if len(e.words) > 1 and not e.acro]
    for key, entity in list(entities.items()):
        if entity.acro and entity.expansion is None:
            letters = "".join(char for char in key.lower() if char.isalpha())
            for other in long_names:
                initials = "".join(w[0] for w in other.text.lower().split() if w not in MINOR)
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


def _merge_translations(entities: dict[str, Entity]) -> None:
    """One place named in two scripts in one article ("Kazakhstan" and a Russian quote's
    "Казахстана") is one entity, under the form the article uses most."""
    groups: dict[int, list[Entity]] = {}
    for entity in entities.values():
        group = SAME_PLACE.get(entity.text)
        if group is not None:
            groups.setdefault(group, []).append(entity)
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda e: -e.weight)
            for other in members[1:]:
                members[0].absorb(entities.pop(other.text))


def _expansion_kind(expansion: str) -> str:
    last = expansion.split()[-1].lower()
    if last in PLACE_SUFFIXES:
        return PLACE
    return ORGANISATION


def _merge_surnames(entities: dict[str, Entity]) -> None:
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
