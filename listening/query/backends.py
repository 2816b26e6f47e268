"""The two back ends of a parsed query, side by side because they must select the same mentions:
`matcher`, a Python predicate used at ingest and by back-fills, and `to_sql`, a condition over
the mention table's `search_vector` used by the Explorer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from listening.query.lexemes import pg_lower
from listening.query.segments import document_tokens
from listening.query.syntax import And, Field, Node, Not, Or, Phrase, Term

_FIELD_COLUMNS = {
    "lang": "language",
    "platform": "platform",
    "author": "author_handle",
    "sentiment": "sentiment",
    "country": "country",
    "kind": "kind",
    "media": "media_type",
}


# --- matching in Python --------------------------------------------------------------------------

_Test = Callable[[Mapping[str, Any], AbstractSet[str], str], bool]
_SEP = "\n"  # never inside a token, so "\nw1\nw2\n" in the joined tokens means consecutive


def _handle(value: object) -> str:
    return pg_lower(str(value or "")).lstrip("@")


def _field_test(node: Field) -> _Test:
    value = node.value
    if node.name == "author":
        return lambda mention, words, joined: _handle(mention.get("author_handle")) == value
    if node.name == "country":
        return lambda mention, words, joined: str(mention.get("country") or "").upper() == value
    key = _FIELD_COLUMNS[node.name]
    return lambda mention, words, joined: mention.get(key) == value


def _cost(node: Node) -> int:
    if isinstance(node, Field):
        return 0
    if isinstance(node, Term):
        return 2 if node.prefix else 1
    return 3 if isinstance(node, Phrase) else 4


def _compile(node: Node) -> _Test:
    if isinstance(node, Term):
        word = node.word
        if node.prefix:
            needle = _SEP + word
            return lambda mention, words, joined: needle in joined
        return lambda mention, words, joined: word in words
    if isinstance(node, Phrase):
        needle = _SEP + _SEP.join(node.words) + _SEP
        return lambda mention, words, joined: needle in joined
    if isinstance(node, Field):
        return _field_test(node)
    if isinstance(node, Not):
        inner = _compile(node.child)
        return lambda mention, words, joined: not inner(mention, words, joined)
    # Plain words collapse into one set operation; the rest run cheapest first.
    plain = frozenset(c.word for c in node.children if isinstance(c, Term) and not c.prefix)
    others = sorted((c for c in node.children if not (isinstance(c, Term) and not c.prefix)), key=_cost)
    tests = tuple(_compile(child) for child in others)
    if isinstance(node, And):

        def all_of(mention: Mapping[str, Any], words: AbstractSet[str], joined: str) -> bool:
            if plain and not plain <= words:
                return False
            return all(test(mention, words, joined) for test in tests)

        return all_of

    def any_of(mention: Mapping[str, Any], words: AbstractSet[str], joined: str) -> bool:
        if plain and not plain.isdisjoint(words):
            return True
        return any(test(mention, words, joined) for test in tests)

    return any_of


def _needs(node: Node) -> tuple[bool, bool]:
    """(needs the set of tokens, needs the joined tokens) for this query."""
    if isinstance(node, Term):
        return (not node.prefix, node.prefix)
    if isinstance(node, Phrase):
        return (False, True)
    if isinstance(node, Not):
        return _needs(node.child)
    if isinstance(node, And | Or):
        needs = [_needs(child) for child in node.children]
        return (any(n[0] for n in needs), any(n[1] for n in needs))
    return (False, False)


def matcher(node: Node) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a query into a predicate over a mention dict ("text", "language", "platform",
    "author_handle", "sentiment", "country", "kind", "media_type"; "tokens" from
    document_tokens, when present, saves tokenising the text again for each topic)."""
    test = _compile(node)
    needs_set, needs_joined = _needs(node)
    empty: frozenset[str] = frozenset()

    def predicate(mention: Mapping[str, Any]) -> bool:
        if needs_set or needs_joined:
            tokens = mention.get("tokens")
            if tokens is None:
                tokens = document_tokens(mention.get("text") or "")
            words = set(tokens) if needs_set else empty
            joined = _SEP + _SEP.join(tokens) + _SEP if needs_joined else ""
            return test(mention, words, joined)
        return test(mention, empty, "")

    return predicate


# --- SQL -----------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tsquery_lexeme(word: str) -> str:
    """A lexeme quoted for tsquery input: quotes and backslashes doubled."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _sql(node: Node, alias: str, params: list[Any]) -> str:
    if isinstance(node, Term):
        params.append(_tsquery_lexeme(node.word) + (":*" if node.prefix else ""))
        return f"{alias}.search_vector @@ to_tsquery('simple', %s)"
    if isinstance(node, Phrase):
        # The words are lexemes already: a tsquery literal keeps them exactly, where
        # phraseto_tsquery() would parse them again (and split "e-commerce" a second time).
        params.append(" <-> ".join(_tsquery_lexeme(word) for word in node.words))
        return f"{alias}.search_vector @@ %s::tsquery"
    if isinstance(node, Field):
        params.append(node.value)
        column = f"{alias}.{_FIELD_COLUMNS[node.name]}"
        if node.name == "author":
            return f"lower(ltrim({column}, '@')) = %s"
        if node.name == "country":
            return f"upper({column}) = %s"
        return f"{column} = %s"
    if isinstance(node, Not):
        return f"NOT ({_sql(node.child, alias, params)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(_sql(child, alias, params) for child in node.children) + ")"


def to_sql(node: Node, *, alias: str = "m") -> tuple[str, list[Any]]:
    """A SQL condition over the mention columns of `alias`, with %s placeholders and their
    parameters. Text terms use `search_vector`, so its GIN index applies."""
    if not _IDENTIFIER.fullmatch(alias):
        raise ValueError(f"Not an SQL alias: {alias!r}")
    params: list[Any] = []
    return _sql(node, alias, params), params
