r"""Watches: which articles a query matches, and why.

    query text -> parse_query -> Query -> compile (aliases, inflected forms) -> CompiledQuery
    Document -> prepare (one pass per field) -> Matcher: index -> candidates -> {watch: [Hit]}

A pure stage: strings in, ``Hit`` values out. Its only I/O is reading the starter alias set
shipped in the package (``ingester/aliases.toml``); it imports no other stage.

The modules follow the flow: ``query`` (syntax: tokenizer, parser, AST), ``aliases`` (entities
and their names), ``forms`` (a term's expression with its inflections, and its keys),
``compiler`` (a query as a tree of patterns), ``document`` (``Document``, ``Hit``, preparing
an article), ``finder`` (whether and where a term occurs), ``matcher`` (many watches at once).

The query language, by example::

    Kazakhstan                       a word; an entity's name matches the whole entity
    CSTO Kazakhstan                  both (adjacent terms are joined by AND)
    CSTO AND (Kazakhstan OR Russia)  AND, OR, NOT in capitals; NOT > AND > OR; parentheses
    Tokayev NOT Nazarbayev           one without the other
    "fuel prices"                    a phrase, matched literally (no aliases, no inflection)
    "CSTO"                           a quoted word in capitals matches only in capitals
    title:CSTO                       field scopes: title, body, feed, tag, lang, keyword
    title:(CSTO OR ОДКБ) lang:ru     a scope applies to the term or group right after it
    feed:azattyq tag:politics        feed names and tags
    keyword:Masimov                  the article's keywords and their aliases

What a term matches:

- Words match whole words, never inside a longer word, and regardless of case; a phrase's
  words are separated by any spaces or hyphens. Links (http://..., www....) in the title and
  body are not searched: a slug is not a mention.
- A bare word takes the English plural and possessive (Kazakhstan's, Kazakhstans), and a
  Cyrillic word its Russian case endings and Kazakh suffixes (Казахстана, Токаевым,
  Қазақстанның); in a phrase, English and Kazakh endings go on the last word, Russian ones on
  every word (Комитета национальной безопасности). The inflections are compiled into the
  patterns; articles are not stemmed.
- A bare word, or run of adjacent bare words, that is a name of an entity in the alias set
  (case-insensitive) matches every name of the entity, in every script and transliteration,
  each with its inflections: Tokayev finds Тоқаевтың, Kassym-Jomart Tokayev finds Toqaev.
  Names the alias set writes in capitals (CSTO, ОДКБ) are acronyms and match in capitals only,
  taking only lower-case endings (CSTO's, CSTOs).
- A quoted term is literal: no aliases, no inflection, and each word written in capitals
  (two letters or more) matches in exactly that case, as a whole word: "CSTO" matches
  "CSTO" and "CSTO-led" and "CSTO's" but not "csto", "Csto" or "CSTOs".
- A term without a scope looks in the title and the body. ``lang:`` compares language codes
  ("ru" also matches "ru-RU"). Operators are capitals; "and", "or" and "not" in lower case are
  refused with a hint to quote them.

A bad query raises ``QueryError`` with the position and a caret under it. ``match(query,
doc)`` evaluates one query; a ``Matcher`` compiles many named watches once and matches a
document against all of them through an index of the word prefixes they need. Either gives,
for a match, a ``Hit`` per term outside a NOT that occurs: the term as written, the first
field it occurs in (the title before the body), the form found there first and a snippet
around it ("CSTO in title; Kazakhstan in body", Kazakhstan found as "Казахстана").
"""

from __future__ import annotations

from ..models import Hit
from .aliases import AliasSet, Entity
from .compiler import CompiledQuery, compile_query, match
from .document import Document, keyword_texts
from .matcher import Matcher
from .query import And, Node, Not, Or, Query, Term, parse_query

__all__ = [
    "AliasSet",
    "And",
    "CompiledQuery",
    "Document",
    "Entity",
    "Hit",
    "Matcher",
    "Node",
    "Not",
    "Or",
    "Query",
    "Term",
    "compile_query",
    "keyword_texts",
    "match",
    "parse_query",
]
