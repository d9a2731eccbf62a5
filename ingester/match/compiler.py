"""Queries compiled against an alias set: a tree of patterns under AND, OR and NOT, and the
keys a document needs for the query to have a chance.

Terms are compiled once per table and shared: watches that use the same term share its
``Pattern``, and terms found the same way (Tokayev, title:Токаев) share a ``Search``. Runs of
adjacent bare words that name an entity are joined into one term here, since only the alias
set knows that "National Security Committee" is one name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..models import Hit
from .aliases import AliasSet, Entity
from .document import CODES, TEXT_FIELDS, Document, prepare
from .finder import Finder, Search
from .forms import KEY_LENGTH, fold, term_pattern, whole_words
from .query import Node, Not, Or, Query, Term, parse_query


@dataclass(eq=False, slots=True)
class Pattern:
    """A compiled term: its label as written, the entity it named, where it looks and how it
    is found. Terms that differ only in label or scope (Tokayev, title:Токаев) share a
    ``Search``, and a document is searched once for all of them."""

    label: str
    entity: str | None
    fields: tuple[str, ...]
    search: Search
    places: tuple[tuple[int, str], ...]  # (number of this search in this field, field)

    @property
    def index_keys(self) -> frozenset[str]:
        """The keys with their field's code, as the matcher's index files them."""
        return frozenset(CODES[f] + key for f in self.fields for key in self.search.keys)

    def holds(self, finder: Finder) -> bool:
        """Whether the term occurs in the finder's document (a leaf of the compiled tree)."""
        found = finder.found
        for place, name in self.places:
            occurs = found.get(place)
            if occurs is None:
                occurs = found[place] = finder.occurs(self.search, name)
            if occurs:
                return True
        return False


# The compiled tree. Loops rather than all()/any() over generators: the matcher evaluates
# hundreds of these per article, and a generator costs three times the loop (0.6 against 0.2
# microseconds for three items).


class _Not:
    __slots__ = ("item",)

    def __init__(self, item: Compiled) -> None:
        self.item = item

    def holds(self, finder: Finder) -> bool:
        return not self.item.holds(finder)


class _All:
    __slots__ = ("items",)

    def __init__(self, items: list[Compiled]) -> None:
        self.items = tuple(items)

    def holds(self, finder: Finder) -> bool:
        for item in self.items:  # noqa: SIM110 (see above)
            if not item.holds(finder):
                return False
        return True


class _Any:
    __slots__ = ("items",)

    def __init__(self, items: list[Compiled]) -> None:
        self.items = tuple(items)

    def holds(self, finder: Finder) -> bool:
        for item in self.items:  # noqa: SIM110 (see above)
            if item.holds(finder):
                return True
        return False


Compiled = Pattern | _Not | _All | _Any


class CompiledQuery:
    """A query ready to run: the tree of patterns, and the keys a document needs for it.

    ``clauses`` is a conjunction of key sets (with field codes): a document can match only if
    it has at least one key of every clause. Empty when nothing is required (``NOT sport``).
    """

    def __init__(self, query: Query, root: Compiled, clauses: list[frozenset[str]]) -> None:
        self.query = query
        self.root = root
        self.clauses = clauses
        self.positive = tuple({id(p): p for p in _leaves(root, negated=False)}.values())
        self.patterns = tuple({id(p): p for p in _leaves(root)}.values())

    def evaluate(self, finder: Finder) -> list[Hit] | None:
        """None if the query does not match; else a hit for every term outside a NOT that
        occurs in the document, in the order written (see ``Finder.hit``)."""
        if not self.root.holds(finder):
            return None
        hits = []
        for pattern in self.positive:
            hit = finder.hit(pattern)
            if hit is not None:
                hits.append(hit)
        return hits

    def match(self, doc: Document) -> list[Hit] | None:
        """Match one document by searching each field (no index)."""
        return self.evaluate(Finder(prepare(doc), keyed=False))


def _leaves(node: Compiled, *, negated: bool | None = None) -> list[Pattern]:
    """The patterns of a tree, in order: all of them, or those under an odd (``negated``) or
    even number of NOTs."""
    if isinstance(node, Pattern):
        return [node] if not negated else []
    if isinstance(node, _Not):
        return _leaves(node.item, negated=None if negated is None else not negated)
    return [pattern for item in node.items for pattern in _leaves(item, negated=negated)]


class PatternTable:
    """Compiles terms, once each: watches that share a term share its ``Pattern``, and terms
    that are found the same way share a ``Search``."""

    def __init__(self, aliases: AliasSet) -> None:
        self.aliases = aliases
        self._patterns: dict[tuple[str, str | None, tuple[str, ...]], Pattern] = {}
        self._searches: dict[tuple[str, str], Search] = {}
        self._places: dict[tuple[int, str], int] = {}

    def compile(self, query: Query) -> CompiledQuery:
        root, clauses = self._node(query.root, query.text)
        return CompiledQuery(query, root, clauses)

    def _node(self, node: Node, text: str) -> tuple[Compiled, list[frozenset[str]]]:
        if isinstance(node, Term):
            return self._leaf(node, self.aliases.entity(node.text) if _bare(node) else None)
        if isinstance(node, Not):
            return _Not(self._node(node.item, text)[0]), []
        if isinstance(node, Or):
            parts = [self._node(item, text) for item in node.items]
            if any(not clauses for _, clauses in parts):
                return _Any([c for c, _ in parts]), []
            either = frozenset[str]().union(*(most_selective(c) for _, c in parts))
            return _Any([c for c, _ in parts]), [either]
        items: list[Compiled] = []
        clauses: list[frozenset[str]] = []
        for group in self._entity_runs(node.items, text):
            if isinstance(group, tuple):
                compiled, needs = self._leaf(*group)
            else:
                compiled, needs = self._node(group, text)
            items.append(compiled)
            clauses.extend(needs)
        return (items[0] if len(items) == 1 else _All(items)), clauses

    def _entity_runs(
        self, items: tuple[Node, ...], text: str
    ) -> Iterable[Node | tuple[Term, Entity | None]]:
        """The items of an AND, with runs of adjacent bare words that together are an
        entity's name joined into one term: Kassym-Jomart Tokayev, National Security
        Committee."""
        at = 0
        while at < len(items):
            run = _adjacent_run(items, at, text)
            for end in range(len(run), 1, -1):
                name = text[run[0].start : run[end - 1].end]
                entity = self.aliases.entity(name)
                if entity is not None:
                    joined = Term(
                        " ".join(name.split()), False, run[0].field, run[0].start, run[end - 1].end
                    )
                    yield (joined, entity)
                    at += end
                    break
            else:
                yield items[at]
                at += 1

    def _leaf(self, term: Term, entity: Entity | None) -> tuple[Compiled, list[frozenset[str]]]:
        label = f'"{term.text}"' if term.quoted else term.text
        fields = (term.field,) if term.field else TEXT_FIELDS
        key = (label, entity.name if entity else None, fields)
        pattern = self._patterns.get(key)
        if pattern is None:
            search = self._search(term, entity)
            places = tuple(
                (self._places.setdefault((id(search), name), len(self._places)), name)
                for name in fields
            )
            entity_name = entity.name if entity else None
            pattern = self._patterns[key] = Pattern(label, entity_name, fields, search, places)
        return pattern, [pattern.index_keys]

    def _search(self, term: Term, entity: Entity | None) -> Search:
        if term.field == "lang":
            key = ("lang", fold(term.text))
        elif entity is not None:
            key = ("entity", entity.name)
        else:
            key = ("quoted" if term.quoted else "word", term.text)
        search = self._searches.get(key)
        if search is None:
            search = self._searches[key] = _new_search(term, entity)
        return search


def _bare(term: Term) -> bool:
    return not term.quoted and term.field != "lang"


def _adjacent_run(items: tuple[Node, ...], at: int, text: str) -> list[Term]:
    """The bare words from ``items[at]`` on that stand next to each other in the query, in one
    scope, separated by spaces only."""
    run: list[Term] = []
    for item in items[at:]:
        if not isinstance(item, Term) or not _bare(item):
            break
        if text[item.start : item.end] != item.text:  # punctuation was cut: "Tokayev,"
            break
        if run and (item.field != run[-1].field or text[run[-1].end : item.start].strip()):
            break
        run.append(item)
    return run


def most_selective(clauses: list[frozenset[str]]) -> frozenset[str]:
    """The clause most likely to rule a document out: fewest keys, then the longest."""
    return min(clauses, key=lambda keys: (len(keys), -min(map(len, keys))))


def _new_search(term: Term, entity: Entity | None) -> Search:
    if term.field == "lang":
        return Search(None, frozenset({fold(term.text)}))
    if entity is not None:
        parts = [
            term_pattern(variant, inflect=True, exact_acronyms=True)
            for variant in sorted(entity.variants, key=len, reverse=True)
        ]
    else:
        parts = [term_pattern(term.text, inflect=not term.quoted, exact_acronyms=term.quoted)]
    regex = re.compile(whole_words([p.body for p in parts]), re.IGNORECASE)
    keys = frozenset[str]().union(*(p.keys for p in parts))
    words: frozenset[str] | None = frozenset()
    for part in parts:
        words = None if words is None or part.words is None else words | part.words
    word = None
    if words is None and all(part.single for part in parts):
        word = re.compile("|".join(part.body for part in parts), re.IGNORECASE)
    required = parts[0].required if len(parts) == 1 else frozenset()
    scan = None
    if words is None and word is None and min(map(len, keys)) < KEY_LENGTH:
        scan = _scan_pattern(term, entity)
    return Search(regex, keys, words, word, required, scan)


def _scan_pattern(term: Term, entity: Entity | None) -> re.Pattern[str] | None:
    """The expression of a term for folded text (see ``Search``); None if it keeps a case."""
    variants = sorted(entity.variants, key=len, reverse=True) if entity else [term.text]
    inflect = entity is not None or not term.quoted
    bodies = []
    for variant in variants:
        exact = term_pattern(
            variant, inflect=inflect, exact_acronyms=entity is not None or term.quoted
        )
        if "(?-i:" in exact.body:
            return None
        bodies.append(term_pattern(fold(variant), inflect=inflect, exact_acronyms=False).body)
    return re.compile(f"(?:{'|'.join(bodies)})" + r"(?!\w)")


def compile_query(query: Query | str, aliases: AliasSet | None = None) -> CompiledQuery:
    """Compile a query (parsing it if given as text) against an alias set (the starter set
    by default). Raises ``QueryError`` for a query that does not parse."""
    parsed = parse_query(query) if isinstance(query, str) else query
    return PatternTable(aliases or AliasSet.starter()).compile(parsed)


@lru_cache(maxsize=256)
def _cached(query: Query | str, aliases: AliasSet | None) -> CompiledQuery:
    return compile_query(query, aliases)


def match(query: Query | str, doc: Document, aliases: AliasSet | None = None) -> list[Hit] | None:
    """The hits of ``query`` in ``doc``, or None if it does not match.

    An empty list means a match with nothing to show (``NOT sport`` on an article without
    sport). Compiled queries are cached; for many watches use a ``Matcher``.
    """
    return _cached(query, aliases).match(doc)
