"""Many watches against one document at a time, through an index of the keys they need.

Each watch is filed under the keys of one clause it needs (the most selective one), so a
document's keys pick the few watches worth evaluating. Their terms are decided once per
document however many watches share them, and mostly all at once: a one-word term by looking
the document's words up in an index of its forms, a term none of whose keys the document has
as absent; any other when a watch first asks, by running its expression only where one of its
keys starts a word.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Hit
from .aliases import AliasSet
from .compiler import CompiledQuery, Pattern, PatternTable, most_selective
from .document import CODES, Document, Prepared, prepare
from .finder import Finder
from .query import Query, parse_query


class Matcher:
    """Named watches compiled once; ``match(doc)`` gives the hits of each watch that matches.

    A query that does not parse raises ``QueryError`` here, so a bad watch stops the daemon
    from starting rather than failing per article.
    """

    def __init__(self, watches: Mapping[str, Query | str], aliases: AliasSet | None = None) -> None:
        table = PatternTable(aliases or AliasSet.starter())
        self._names: list[str] = []
        self._queries: list[CompiledQuery] = []
        # field -> key -> the watches filed under it. A watch is filed under the keys of one
        # clause it needs, so that a document without any of them never evaluates it.
        self._index: dict[str, dict[str, list[int]]] = {}
        self._always: list[int] = []  # watches that need no key at all (NOT sport)
        # Places (a term in a field) are decided for all watches at once where that is cheap:
        # a one-word term whose forms are listed is true when the document has one of them
        # (field -> word -> places), any other is false unless the document has one of its
        # keys (field -> key -> places), and is looked for if a watch asks.
        self._places_by_word: dict[str, dict[str, set[int]]] = {}
        self._places_by_key: dict[str, dict[str, set[int]]] = {}
        self._absent: dict[int, bool] = {}  # every place, False
        fields = {code: name for name, code in CODES.items()}
        for number, (name, query) in enumerate(watches.items()):
            compiled = table.compile(parse_query(query) if isinstance(query, str) else query)
            self._names.append(name)
            self._queries.append(compiled)
            for pattern in compiled.patterns:
                self._file_places(pattern)
            if not compiled.clauses:
                self._always.append(number)
                continue
            for key in most_selective(compiled.clauses):
                by_key = self._index.setdefault(fields[key[0]], {})
                by_key.setdefault(key[1:], []).append(number)
        self._keys = {field: frozenset(by_key) for field, by_key in self._index.items()}
        self._words = {field: frozenset(by_word) for field, by_word in self._places_by_word.items()}
        self._place_keys = {f: frozenset(by_key) for f, by_key in self._places_by_key.items()}

    def _file_places(self, pattern: Pattern) -> None:
        search = pattern.search
        listed, index = (
            (search.words, self._places_by_word)
            if search.words is not None
            else (search.keys, self._places_by_key)
        )
        for place, field in pattern.places:
            self._absent[place] = False
            by_entry = index.setdefault(field, {})
            for entry in listed:
                by_entry.setdefault(entry, set()).add(place)

    def _decided(self, prepared: Prepared) -> dict[int, bool]:
        """Every place the document decides by its words and keys alone; the rest are left
        for the finder to look for."""
        decided = self._absent.copy()
        for field, words in self._words.items():
            by_word = self._places_by_word[field]
            for word in words & prepared.texts[field].words:
                for place in by_word[word]:
                    decided[place] = True
        for field, keys in self._place_keys.items():
            present = prepared.lang_keys if field == "lang" else prepared.texts[field].keys
            by_key = self._places_by_key[field]
            for key in keys & present:
                for place in by_key[key]:
                    decided.pop(place, None)
        return decided

    def __len__(self) -> int:
        return len(self._names)

    def match(self, doc: Document) -> dict[str, list[Hit]]:
        """Watch name -> hits, for the watches that match ``doc``, in the order given."""
        prepared = prepare(doc)
        candidates = set(self._always)
        for field, keys in self._keys.items():
            present = prepared.lang_keys if field == "lang" else prepared.texts[field].keys
            by_key = self._index[field]
            for key in keys & present:
                candidates.update(by_key[key])
        finder = Finder(prepared, keyed=True, decided=self._decided(prepared))
        matched: dict[str, list[Hit]] = {}
        for number in sorted(candidates):
            hits = self._queries[number].evaluate(finder)
            if hits is not None:
                matched[self._names[number]] = hits
        return matched
