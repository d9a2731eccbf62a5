"""Entities and their aliases: the starter set shipped in ``ingester/aliases.toml``, extended by
the user's config.

An alias is looked up regardless of case, ё/е and of spaces against hyphens ("nur sultan"
finds Nur-Sultan). Reading the packaged file is the only I/O of the match stage.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .forms import WORD, fold


@dataclass(frozen=True, slots=True)
class Entity:
    """One thing under all its names; ``variants`` starts with ``name``."""

    name: str
    variants: tuple[str, ...]


def alias_key(text: str) -> str:
    """How an alias is looked up: folded words, whatever separates them."""
    return " ".join(WORD.findall(fold(text)))


class AliasSet:
    """Entities by any of their names.

    ``AliasSet(entries)`` builds a set from a mapping of name -> variants; ``starter()`` is the
    shipped set and ``extend(entries)`` adds the user's. An entry whose name or variants name
    an entity already known adds its variants to it; one that names two different entities is
    refused with ``ValueError`` (the config turns it into a ``ConfigError``).
    """

    def __init__(self, entries: Mapping[str, Sequence[str]] | None = None) -> None:
        self._entities: list[Entity] = []
        self._by_key: dict[str, int] = {}
        for name, variants in (entries or {}).items():
            self._add(name, variants)

    @classmethod
    def starter(cls) -> AliasSet:
        """The starter set for the seed story's entities (shared; do not mutate)."""
        return _starter()

    def extend(self, entries: Mapping[str, Sequence[str]]) -> AliasSet:
        """A new set: this one plus ``entries``."""
        extended = AliasSet()
        for entity in self._entities:
            extended._add(entity.name, entity.variants)
        for name, variants in entries.items():
            extended._add(name, variants)
        return extended

    def entity(self, text: str) -> Entity | None:
        """The entity that ``text`` names, if any."""
        index = self._by_key.get(alias_key(text))
        return None if index is None else self._entities[index]

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._entities)

    def __len__(self) -> int:
        return len(self._entities)

    def _add(self, name: str, variants: Sequence[str]) -> None:
        if isinstance(variants, str):
            raise ValueError(f"aliases of {name!r} must be a list of strings, not a string")
        names = [name, *variants]
        for variant in names:
            if not isinstance(variant, str) or not alias_key(variant):
                raise ValueError(f"alias {variant!r} of {name!r} has no letters or digits")
        known = {self._by_key[key] for key in map(alias_key, names) if key in self._by_key}
        if len(known) > 1:
            found = " and ".join(sorted(self._entities[i].name for i in known))
            raise ValueError(f"the aliases of {name!r} name two entities: {found}")
        if known:
            index = known.pop()
            entity = self._entities[index]
            new = tuple(v for v in names if alias_key(v) not in self._keys_of(entity))
            self._entities[index] = Entity(entity.name, entity.variants + _unique(new))
        else:
            index = len(self._entities)
            self._entities.append(Entity(name, _unique(names)))
        for variant in self._entities[index].variants:
            self._by_key[alias_key(variant)] = index

    @staticmethod
    def _keys_of(entity: Entity) -> set[str]:
        return {alias_key(v) for v in entity.variants}


def _unique(variants: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for variant in variants:
        seen.setdefault(alias_key(variant), variant.strip())
    return tuple(seen.values())


@cache
def _starter() -> AliasSet:
    text = resources.files("ingester").joinpath("aliases.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return AliasSet({name: list(variants) for name, variants in data.items()})
