"""The watch query language: a hand-written tokenizer and recursive-descent parser to an AST.

    query   := or EOF
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          adjacent terms are joined by AND
    unary   := "NOT" unary | primary
    primary := [FIELD ":"] (WORD | PHRASE | "(" or ")")

NOT binds tighter than AND, AND tighter than OR. A field scope applies to the term or the
parenthesised group right after it, and is stored on every term it covers. Operators are
written in capitals; a lower-case "and", "or" or "not" is refused rather than searched for.

Syntax only: what a term means (entities, inflections, case) is decided when the query is
compiled, so a query parses the same whatever alias set it meets later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as attribute

from ..errors import QueryError

FIELDS = ("title", "body", "feed", "tag", "lang", "keyword")
OPERATORS = ("AND", "OR", "NOT")

# A quoted phrase may open with any of these and close with its partner or a plain '"'.
_QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“"}
_BREAK = frozenset('()"“”«»„') | frozenset(" \t\n\r\f\v")
_FIELD = re.compile(r"([A-Za-z]+):")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a quoted phrase, with the field its scope names (None: title and body).

    ``text`` is the term without quotes and without punctuation at its ends; ``start`` and
    ``end`` locate it in the query (quotes included) for error messages and for joining
    adjacent words into a multi-word entity name.
    """

    text: str
    quoted: bool = False
    field: str | None = None
    start: int = attribute(default=0, compare=False)
    end: int = attribute(default=0, compare=False)

    def __str__(self) -> str:
        scope = f"{self.field}:" if self.field else ""
        return f'{scope}"{self.text}"' if self.quoted else f"{scope}{self.text}"


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def __str__(self) -> str:
        return f"NOT {self.item}"


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.items)) + ")"


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.items)) + ")"


Node = Term | Not | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its text as written and the tree. ``str()`` gives the tree fully
    parenthesised, which shows how precedence was read."""

    text: str
    root: Node

    def __str__(self) -> str:
        return str(self.root)

    def terms(self) -> tuple[Term, ...]:
        """Every term, in the order written."""
        found: list[Term] = []

        def walk(node: Node) -> None:
            if isinstance(node, Term):
                found.append(node)
            elif isinstance(node, Not):
                walk(node.item)
            else:
                for item in node.items:
                    walk(item)

        walk(self.root)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "phrase", "field", "(", ")", "AND", "OR", "NOT"
    text: str
    start: int
    end: int


def parse_query(text: str) -> Query:
    """Parse a watch query; raise ``QueryError`` with the position and a caret line if it is
    not valid."""
    tokens = _tokenise(text)
    _check_parentheses(text, tokens)
    if not tokens:
        raise _error(text, "empty query", 0)
    return Query(text, _Parser(text, tokens).parse())


def _error(query: str, problem: str, at: int) -> QueryError:
    line = query.replace("\n", " ").replace("\t", " ")
    return QueryError(query, f"{problem}\n    {line}\n    {' ' * at}^")


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char.isspace():
            at += 1
        elif char in "()":
            tokens.append(_Token(char, char, at, at + 1))
            at += 1
        elif char in _QUOTES:
            at = _phrase(text, at, tokens)
        elif char in _BREAK:  # a closing quote with no opening one
            raise _error(text, f"unexpected {char} at {at}", at)
        else:
            at = _word(text, at, tokens)
    return tokens


def _phrase(text: str, at: int, tokens: list[_Token]) -> int:
    closers = {_QUOTES[text[at]], '"'}
    end = next((i for i in range(at + 1, len(text)) if text[i] in closers), -1)
    if end == -1:
        raise _error(text, f"unclosed quote at {at}", at)
    inner = " ".join(text[at + 1 : end].split())
    if not inner:
        raise _error(text, f"empty quotes at {at}", at)
    tokens.append(_Token("phrase", inner, at, end + 1))
    return end + 1


def _word(text: str, at: int, tokens: list[_Token]) -> int:
    field_name = _FIELD.match(text, at)
    if field_name:
        name = field_name.group(1).lower()
        if name not in FIELDS:
            raise _error(
                text,
                f"unknown field {field_name.group(1)}: at {at} (fields: {', '.join(FIELDS)})",
                at,
            )
        tokens.append(_Token("field", name, at, field_name.end()))
        return field_name.end()
    end = at
    while end < len(text) and text[end] not in _BREAK:
        end += 1
    word = text[at:end]
    if word in OPERATORS:
        tokens.append(_Token(word, word, at, end))
    elif word in ("and", "or", "not"):
        raise _error(
            text,
            f"lower-case {word!r} at {at}: write {word.upper()} for the operator, "
            f'or "{word}" to search for the word',
            at,
        )
    else:
        tokens.append(_Token("word", word, at, end))
    return end


def _check_parentheses(text: str, tokens: list[_Token]) -> None:
    """Unbalanced parentheses are reported before anything else: a missing ')' explains the
    dangling operator that usually comes with it ("title:(CSTO AND")."""
    opened: list[int] = []
    for token in tokens:
        if token.kind == "(":
            opened.append(token.start)
        elif token.kind == ")":
            if not opened:
                raise _error(text, f"unmatched ')' at {token.start}", token.start)
            opened.pop()
    if opened:
        raise _error(text, f"unclosed parenthesis at {opened[-1]}", opened[-1])


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.at = 0

    def parse(self) -> Node:
        # The parentheses are balanced, so only the end of the tokens stops the top level.
        return self._or(None)

    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _or(self, scope: _Token | None) -> Node:
        items = [self._and(scope)]
        while (token := self._peek()) and token.kind == "OR":
            self.at += 1
            items.append(self._and(scope, after=token))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _and(self, scope: _Token | None, after: _Token | None = None) -> Node:
        items = [self._unary(scope, after)]
        while (token := self._peek()) and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.at += 1
                items.append(self._unary(scope, after=token))
            else:
                items.append(self._unary(scope, None))
        return items[0] if len(items) == 1 else And(tuple(items))

    def _unary(self, scope: _Token | None, after: _Token | None) -> Node:
        token = self._expect_term(after)
        if token.kind == "NOT":
            self.at += 1
            return Not(self._unary(scope, after=token))
        return self._primary(scope, after)

    def _primary(self, scope: _Token | None, after: _Token | None) -> Node:
        token = self._expect_term(after)
        if token.kind == "field":
            if scope is not None and scope.text != token.text:
                raise _error(
                    self.text,
                    f"{token.text}: at {token.start} inside {scope.text}: at {scope.start}",
                    token.start,
                )
            self.at += 1
            following = self._expect_term(token)
            if following.kind not in ("word", "phrase", "("):
                raise _error(
                    self.text,
                    f"expected a term or '(' after {token.text}: at {token.start}, "
                    f"found {following.text}",
                    following.start,
                )
            return self._primary(token, token)
        self.at += 1
        if token.kind == "(":
            node = self._or(scope)
            self.at += 1  # the ')': balance was checked before parsing
            return node
        return self._term(token, scope)

    def _expect_term(self, after: _Token | None) -> _Token:
        token = self._peek()
        if token is None:
            if after is None:
                raise _error(self.text, "empty query", 0)
            name = f"{after.text}:" if after.kind == "field" else after.text
            raise _error(self.text, f"expected a term after {name} at {after.start}", after.start)
        if token.kind in ("AND", "OR", ")"):
            what = "')'" if token.kind == ")" else token.text
            raise _error(
                self.text, f"unexpected {what} at {token.start}: expected a term", token.start
            )
        return token

    def _term(self, token: _Token, scope: _Token | None) -> Term:
        text = _EDGE_PUNCTUATION.sub("", token.text)
        if not text:
            raise _error(
                self.text, f"{token.text!r} at {token.start} has no letters or digits", token.start
            )
        field_name = scope.text if scope else None
        if field_name == "lang" and not _LANGUAGE_CODE.fullmatch(text):
            raise _error(
                self.text,
                f"lang: takes a language code such as en or ru, not {text!r} (at {token.start})",
                token.start,
            )
        return Term(text, token.kind == "phrase", field_name, token.start, token.end)
