"""The query language's syntax: the immutable AST, `parse` (text to AST, with errors that say
what was expected and where) and `render` (AST to canonical text; parse(render(n)) == n)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from listening.query.lexemes import HYPHENATED, URL, pg_lower, stand_ins, tokenize_text
from listening.query.segments import phrase_pieces, query_tokens


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# --- the AST -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One lexeme; with `prefix`, any lexeme that starts with it."""

    word: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive lexemes, as `query_tokens` yields them for the quoted text (or for a word of
    Chinese, Japanese, Korean or Thai, which it breaks into several)."""

    words: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(self.words))


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | Phrase | Field | And | Or | Not


# --- query syntax --------------------------------------------------------------------------------

FIELDS = ("author", "country", "kind", "lang", "media", "platform", "sentiment")
# The values the ingest pipeline stores; a query for anything else could never match.
SENTIMENTS = ("negative", "neutral", "positive", "unknown")
KINDS = ("post", "comment", "dm", "email", "review")
MEDIA_TYPES = ("owned", "earned", "paid")
_ENUM_VALUES = {"sentiment": SENTIMENTS, "kind": KINDS, "media": MEDIA_TYPES}
_KEYWORDS = ("AND", "OR", "NOT")
_MAX_DEPTH = 50  # parentheses and NOTs nest this deep; deeper is a mistake, not a query

_QUERY_TOKEN = re.compile(r'\s+|[()]|"[^"]*"?|[^\s()"]+')
_FIELD_RUN = re.compile(r"([A-Za-z_]+):")
_BARE_VALUE = re.compile(r'[^\s()"]+')


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "term"
    position: int
    node: Node | None = None


def _field(name: str, raw: str, position: int, value_position: int) -> Field:
    lowered = name.lower()
    if lowered not in FIELDS:
        close = difflib.get_close_matches(lowered, FIELDS, n=1)
        hint = f'did you mean "{close[0]}"?' if close else f"fields are {', '.join(FIELDS)}"
        raise QuerySyntaxError(f'Unknown field "{name}" ({hint})', position)
    value = raw.strip()
    if lowered == "author":
        value = pg_lower(value).lstrip("@")
    elif lowered == "country":
        value = value.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise QuerySyntaxError(
                'Expected a two-letter country code after "country:", e.g. country:ID', value_position
            )
    else:
        value = pg_lower(value)
    if not value:
        raise QuerySyntaxError(f'Expected a value after "{lowered}:"', value_position)
    allowed = _ENUM_VALUES.get(lowered)
    if allowed and value not in allowed:
        choices = ", ".join(allowed[:-1]) + f" or {allowed[-1]}"
        raise QuerySyntaxError(f'Unknown {lowered} "{raw.strip()}": expected {choices}', value_position)
    return Field(lowered, value)


def _text_node(text: str, position: int, quoted: bool = False) -> Node:
    tokens = query_tokens(text)
    if not tokens:
        if quoted:
            raise QuerySyntaxError("Expected words between the quotes", position)
        raise QuerySyntaxError(f'Expected letters or digits, found "{text}"', position)
    return Term(tokens[0]) if len(tokens) == 1 else Phrase(tuple(tokens))


def _word(run: str, position: int) -> Node:
    star = run.find("*")
    if star == -1:
        return _text_node(run, position)
    if star != len(run) - 1:
        raise QuerySyntaxError('"*" can only end a word, as in deliv*', position + star)
    tokens = tokenize_text(run[:-1])
    if not tokens:
        raise QuerySyntaxError('Expected letters or digits before "*"', position + star)
    # Not broken like other words: "東京*" is any lexeme starting 東京, which the whole run
    # "東京の配達" is, and so is the pair 東京 wherever the two characters stand together.
    if len(tokens) > 1 or not _bare(tokens[0], tokenize_text):
        raise QuerySyntaxError(f'A prefix needs a single plain word before "*", found "{run[:-1]}"', position)
    return Term(tokens[0], prefix=True)


def _quoted(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 1 or not text.endswith('"'):
        raise QuerySyntaxError("Unclosed quote", match.start())
    return text[1:-1]


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    matches = list(_QUERY_TOKEN.finditer(query))
    index = 0
    while index < len(matches):
        match = matches[index]
        index += 1
        text, position = match.group(), match.start()
        if text.isspace():
            continue
        if text in "()":
            tokens.append(_Token(text, position))
        elif text.startswith('"'):
            tokens.append(_Token("term", position, _text_node(_quoted(match), position, quoted=True)))
        elif text in _KEYWORDS:
            tokens.append(_Token(text, position))
        else:
            # A leading "-" negates; it may stand before a word, a field, a quote or a "(".
            while text.startswith("-"):
                tokens.append(_Token("-", position))
                text, position = text[1:], position + 1
            if not text:
                continue
            field = _FIELD_RUN.match(text)
            if field is None:
                tokens.append(_Token("term", position, _word(text, position)))
                continue
            value, value_position = text[field.end() :], position + field.end()
            following = matches[index] if index < len(matches) else None
            if not value and following and following.start() == match.end() and following.group()[0] == '"':
                value, value_position = _quoted(following), following.start()
                index += 1
            tokens.append(_Token("term", position, _field(field.group(1), value, position, value_position)))
    return tokens


class _Parser:
    """Recursive descent over the lexed tokens; `depth` counts open "(" and NOTs, so that a
    pathological query is a syntax error rather than a RecursionError."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def next_or_none(self) -> _Token | None:
        return self.next() if self.index < len(self.tokens) else None

    def starts_term(self) -> bool:
        token = self.peek()
        return token is not None and token.kind in ("term", "(", "NOT", "-")

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("Empty query", 0)
        node = self.parse_or(0)
        if (token := self.peek()) is not None:  # only a ")" stops parse_or early
            raise QuerySyntaxError('Unexpected ")" with no "(" to close', token.position)
        return node

    def parse_or(self, depth: int) -> Node:
        children = [self.parse_and(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.next()
            if not self.starts_term():
                raise QuerySyntaxError("OR needs a term after it", token.position)
            children.append(self.parse_and(depth))
        return _combine(Or, children)

    def parse_and(self, depth: int) -> Node:
        children = [self.parse_unary(depth)]
        while (token := self.peek()) is not None:
            if token.kind == "AND":
                self.next()
                if not self.starts_term():
                    raise QuerySyntaxError("AND needs a term after it", token.position)
            elif not self.starts_term():
                break
            children.append(self.parse_unary(depth))
        return _combine(And, children)

    def parse_unary(self, depth: int) -> Node:
        token = self.next()  # callers have checked that a term starts here
        if token.kind == "term":
            assert token.node is not None
            return token.node
        if token.kind in ("AND", "OR"):
            raise QuerySyntaxError(f"{token.kind} needs a term before it", token.position)
        if token.kind == ")":
            raise QuerySyntaxError('Unexpected ")" with no "(" to close', token.position)
        if depth >= _MAX_DEPTH:
            raise QuerySyntaxError(f"Nested too deeply (at most {_MAX_DEPTH} levels)", token.position)
        if token.kind in ("NOT", "-"):
            if not self.starts_term():
                name = "NOT" if token.kind == "NOT" else '"-"'
                raise QuerySyntaxError(f"{name} needs a term after it", token.position)
            return Not(self.parse_unary(depth + 1))
        unclosed = QuerySyntaxError(f'Expected ")" to close "(" opened at {token.position}', len(self.query))
        if (closing := self.peek()) is None:
            raise unclosed
        if closing.kind == ")":
            raise QuerySyntaxError('Expected a term inside "(" … ")"', token.position)
        node = self.parse_or(depth + 1)
        if self.next_or_none() is None:  # parse_or stops only at ")" or the end
            raise unclosed
        return node


def _combine(kind: type[And] | type[Or], children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def parse(query: str) -> Node:
    """Parse a query into its AST; raises QuerySyntaxError naming what was expected, and where."""
    return _Parser(query).parse()


# --- rendering -----------------------------------------------------------------------------------


def phrase_text(words: tuple[str, ...]) -> str:
    """Text whose tokens are `words`: characters and pairs of an unspaced script join back into
    their run, a hyphenated word or URL stands for the parts after it, and "./x" or ".." tokens
    follow the previous word directly, as they must to be tokens."""
    words = tuple(phrase_pieces(words))
    pieces: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        repeated: tuple[str, ...] = ()
        if HYPHENATED.fullmatch(stand_ins(word)):
            repeated = tuple(word.split("-"))
        elif URL.fullmatch(word):
            repeated = words[index + 1 : index + 3]  # its host and path
            repeated = repeated if "".join(repeated) == word else ()
        if repeated and words[index + 1 : index + 1 + len(repeated)] == repeated:
            index += len(repeated)
        if word.startswith(".") and pieces:
            pieces[-1] += word
        else:
            pieces.append(word)
        index += 1
    return " ".join(pieces)


def _bare(text: str, tokens: Callable[[str], list[str]] = query_tokens) -> bool:
    """Whether a term can be written without quotes and read back as itself (as a prefix, with
    `tokenize_text`)."""
    return (
        _BARE_VALUE.fullmatch(text) is not None
        and not text.startswith("-")
        and "*" not in text
        and text not in _KEYWORDS
        and _FIELD_RUN.match(text) is None
        and tokens(text) == [text]
    )


def _render(node: Node, parent: int) -> str:
    # parent: binding strength of the context (0 top/OR, 1 AND, 2 NOT); weaker children get ().
    if isinstance(node, Term):
        text = node.word if node.prefix or _bare(node.word) else f'"{node.word}"'
        return text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return f'"{phrase_text(node.words)}"'
    if isinstance(node, Field):
        value = node.value if _BARE_VALUE.fullmatch(node.value) else f'"{node.value}"'
        return f"{node.name}:{value}"
    if isinstance(node, Not):
        return "NOT " + _render(node.child, 2)
    strength, joiner = (1, " AND ") if isinstance(node, And) else (0, " OR ")
    text = joiner.join(_render(child, strength) for child in node.children)
    return f"({text})" if parent > strength else text


def render(node: Node) -> str:
    """Canonical query text: explicit AND, minimal parentheses; parse(render(n)) == n."""
    return _render(node, 0)


def query_fields(node: Node) -> set[str]:
    """The field names a query uses, e.g. {"lang", "author"}."""
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, And | Or):
        return set().union(*(query_fields(child) for child in node.children))
    if isinstance(node, Not):
        return query_fields(node.child)
    return set()
