"""Entities and key phrases ranked into ``Keyword`` values: weight, an early first mention and
the name's length, relative to the best of the article; with the aliases to show.

Scores and orders only: which forms make one entity is decided before, in ``merge``.
"""

from __future__ import annotations

from ..models import Keyword
from .lexicon import OTHER
from .merge import Entity
from .tokens import Doc

_MAX_ALIASES = 8


def rank(
    doc: Doc, entities: list[Entity], phrases: list[Entity], limit: int
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


def _aliases(entity: Entity) -> tuple[str, ...]:
    names = [entity.expansion] if entity.expansion else []
    names += [form for form, _ in entity.forms.most_common()]
    seen, out = {entity.text.lower()}, []
    for name in names:
        if name and name.lower() not in seen:  # not the canonical text in capitals (NUR-SULTAN)
            seen.add(name.lower())
            out.append(name)
    return tuple(out[:_MAX_ALIASES])
