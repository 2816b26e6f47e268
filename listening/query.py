"""The boolean query language of listening topics and the Explorer search box.

    kopi OR "es kopi" -spam lang:id (platform:mastodon OR author:@tokokopi) deliv*

Words, "quoted phrases" and `prefix*` terms; `AND`, `OR`, `NOT` (upper case; lower-case `and`
is a word), implicit AND between adjacent terms, `-term` for NOT term, parentheses; precedence
NOT > AND > OR. Fields: lang, platform, author, sentiment, country, kind, media.

A query is parsed once into an immutable AST, which then becomes either a Python predicate
(`matcher`, used at ingest and by back-fills) or a SQL condition over the mention table's
`search_vector` (`to_sql`, used by the Explorer). Both see a document as the lexemes that
PostgreSQL's `simple` configuration produces, in the same order, so they agree: a word matches a
lexeme exactly, a prefix matches the start of one, a phrase matches consecutive lexemes.

Where they can still differ: the stored vector also holds the text's language-configuration
lexemes, so SQL may find more (a word equal to a stem, a phrase across the two halves);
tokenize_text does not reproduce the parser's rarer path and tag forms ("a/./b", "~/x",
"<script>"); PostgreSQL keeps no positions past 16,383 nor more than 256 per lexeme; and a
NULL column is never equal in SQL, while the matcher negates it like any other value.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

__all__ = [
    "And",
    "Field",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QuerySyntaxError",
    "Term",
    "matcher",
    "parse",
    "query_fields",
    "render",
    "to_sql",
    "tokenize_text",
]


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
    """Consecutive lexemes, as `tokenize_text` yields them for the quoted text."""

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


# --- document tokens -----------------------------------------------------------------------------
#
# PostgreSQL's default text-search parser is a state machine; the expression below reproduces
# what it does for words (letters, digits and the zero-width marks that continue a word),
# hyphenated words (the whole word, then its parts, each taking a position), signed and
# scientific numbers, and the common non-word tokens whose lexeme keeps its punctuation (host
# names, URLs, e-mail addresses, paths such as "and/or", decimals and versions), and drops what
# it drops (XML entities and tags, "http://"). Agreeing on those matters for phrases: every
# lexeme takes a position.


def _letter_kind(char: str) -> str:
    """What the parser makes of a non-ASCII character: a letter (its iswalpha: letters, digits
    of other scripts, spacing marks), a mark that continues a word but cannot start one
    (zero-width marks and format characters), or neither."""
    category = unicodedata.category(char)
    if category[0] == "L" or category in ("Nd", "Nl", "Mc"):
        return _LETTER
    return _MARK if category in ("Mn", "Me", "Cf") else _OTHER


# Non-ASCII characters are replaced by one stand-in per kind before matching (lengths are kept,
# so spans still cut the real text): the expression then needs no large character classes.
_LETTER, _MARK, _OTHER = "\u00aa", "\u0300", "\u00b6"


def _bmp_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Character classes of the non-ASCII letters and marks of the BMP (a few thousand ranges)."""
    spans: dict[str, list[list[int]]] = {_LETTER: [], _MARK: [], _OTHER: []}
    for code in range(0x80, 0x10000):
        kind = spans[_letter_kind(chr(code))]
        if kind and kind[-1][1] == code - 1:
            kind[-1][1] = code
        else:
            kind.append([code, code])

    def compiled(kind: str) -> re.Pattern[str]:
        ranges = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in spans[kind])
        return re.compile(f"[{''.join(ranges)}]")

    return compiled(_LETTER), compiled(_MARK)


_BMP_LETTER, _BMP_MARK = _bmp_classes()
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NO_BREAK_SPACE = re.compile("[\u00a0\u2007\u202f]")  # \s matches these; the parser's isspace does not
_L = "a-z" + _LETTER  # the text is lower-cased before matching
_ALNUM = _L + "0-9"
_CONT = _ALNUM + _MARK
_WORD = rf"(?:[{_L}][{_CONT}]*+|[0-9]++[{_L}{_MARK}][{_CONT}]*+)"  # a number followed by letters is a word
_LABEL = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,}}(?![a-z0-9])(?::[0-9]+)?"
_PATH_TAIL = r"(?:(?:/\.?|\.)[a-z0-9_][a-z0-9_\-]*)"

_DOCUMENT_TOKEN = re.compile(
    rf"""
    (?=[a-z0-9{_LETTER}&<+\-./])  # skips the gaps between tokens without trying every branch
    (?:(?P<plain>[{_L}][{_CONT}]*+)(?![-./@:_])
    |(?P<drop>&(?:\#[0-9]+|\#x[0-9a-f]+|[a-z:_][{_ALNUM}:_.\-]*);|[a-z]+://
        |</?[a-z_:][{_ALNUM}_:.\-]*(?:\s(?:[a-z0-9=\-_\#/:.&?%~\s]|"[^"]*"|'[^']*')*)?/?>)
    |(?P<scientific>[+-]?[0-9]+e[+-]?[0-9]+)
    |(?P<url>(?P<url_host>{_HOST})(?P<url_path>/[^\s"']+))
    |(?P<email>{_LABEL}(?:\.{_LABEL})*@{_HOST})
    |(?P<hostname>{_HOST})
    |[+-]?(?P<version>[0-9]+(?:\.[0-9]+){{2,}})  # a version loses its sign
    |(?P<decimal>[+-]?[0-9]+\.[0-9]+(?:e[+-]?[0-9]+)?)
    |(?P<file>(?:[a-z]++|[{_L}][{_L}{_MARK}]*+[0-9][{_CONT}]*+|[0-9]++[{_L}{_MARK}][{_CONT}]*+){_PATH_TAIL}+
        |[0-9]+/\.?[a-z0-9_][a-z0-9_\-]*{_PATH_TAIL}*
        |\.{{0,2}}/\.?[a-z0-9_][a-z0-9_\-]*{_PATH_TAIL}*
        |\.\.(?=\s|$))
    |(?P<signed>[+-][0-9]+)
    |(?P<hyphenated>{_WORD}(?:-{_WORD})+)(?:-(?=[0-9]))?
    |(?P<word>{_WORD}|[0-9]+))
    """,
    re.VERBOSE,
)
# Most texts hold only words, numbers, spaces and sentence punctuation. In those, every token the
# expression above can find is a plain word or a number (`plain` or `word`): each other branch
# needs one of the characters in `_BEYOND_WORDS_CHARS`, a dot before a letter, digit, dot or
# slash (e-mail addresses and host names have one), or a digit, "e" and a digit. Such a token is a whole run
# of letters, digits and marks, less the marks it starts with (no token starts with one), so
# those texts are read with one character class, several times faster, to the same lexemes.
_BEYOND_WORDS_CHARS = "&<+-/:_"
_DOT_BEFORE_NAME = re.compile(r"\.[a-z0-9_./]")
_EXPONENT = re.compile(r"[0-9]e[0-9]")
_WORDS_ONLY = re.compile(rf"[{_ALNUM}][{_CONT}]*")
_HYPHENATED = re.compile(rf"{_WORD}(?:-{_WORD})+")
_URL = re.compile(rf"{_HOST}/[^\s\"']+")
_SPECIAL_LOWER = {0x130: "i", 0x3A3: "\u03c3"}  # as PostgreSQL lower-cases: no "i̇", no final sigma
_MAX_LEXEME_BYTES = 2046  # longer words are not indexed ("word is too long to be indexed")


def _lower(text: str) -> str:
    if "\u0130" in text or "\u03a3" in text:
        text = text.translate(_SPECIAL_LOWER)
    return text.lower()


def _stand_ins(text: str) -> str:
    """The text as the expression reads it: lower-case ASCII, stand-ins for the rest. Taken from
    the original text, because lower-casing turns "İ" into an ASCII "i", which the parser never
    sees (a host name like "a.i" must not appear)."""
    if text.isascii():
        return text.lower()
    scanned = _BMP_MARK.sub(_MARK, _BMP_LETTER.sub(_LETTER, text))
    if _ASTRAL.search(scanned):
        scanned = _ASTRAL.sub(lambda match: _letter_kind(match.group()), scanned)
    return _NO_BREAK_SPACE.sub(_OTHER, scanned).lower()


def tokenize_text(text: str) -> list[str]:
    """The lexemes of `to_tsvector('simple', text)`, in position order.

    Lower-cased words of letters and digits; apostrophes and punctuation separate words; a
    hyphenated word yields itself and then its parts ("e-commerce", "e", "commerce"), and a URL
    its whole, host and path, because PostgreSQL gives each of those a position.
    """
    scanned = _stand_ins(text)
    if _words_only(scanned):
        if text.isascii():
            tokens = _WORDS_ONLY.findall(scanned)  # ASCII: the scanned text is the lowered text
        else:
            lowered = _lower(text)
            tokens = [lowered[match.start() : match.end()] for match in _WORDS_ONLY.finditer(scanned)]
    else:
        tokens = _document_tokens(text, scanned)
    if any(len(token) > _MAX_LEXEME_BYTES // 4 for token in tokens):
        tokens = [token for token in tokens if len(token.encode()) <= _MAX_LEXEME_BYTES]
    return tokens


def _words_only(scanned: str) -> bool:
    """True when the text's tokens are all plain words and numbers (see `_WORDS_ONLY`)."""
    # Substring tests are C loops; the expressions run only when their first character occurs.
    return (
        not any(char in scanned for char in _BEYOND_WORDS_CHARS)
        and ("." not in scanned or not _DOT_BEFORE_NAME.search(scanned))
        and ("e" not in scanned or not _EXPONENT.search(scanned))
    )


def _document_tokens(text: str, scanned: str) -> list[str]:
    """Every token of the expression, for texts with more than words in them."""
    lowered = _lower(text)
    tokens: list[str] = []
    previous_end = 0
    for match in _DOCUMENT_TOKEN.finditer(scanned):
        kind, start, end = match.lastgroup, match.start(), match.end()
        if kind == "hyphenated":
            whole = lowered[start : match.end("hyphenated")]
            tokens.append(whole)
            tokens.extend(whole.split("-"))
        elif kind == "url":
            tokens.append(lowered[start:end])
            tokens.append(lowered[start : match.end("url_host")])
            tokens.append(lowered[match.start("url_path") : end])
        elif kind == "version":
            tokens.append(lowered[match.start("version") : end])
        elif kind == "file" and lowered[start] == "." and start != previous_end:
            # The parser reads "./x" and ".." as paths only straight after a token; elsewhere the
            # dots are punctuation.
            path = lowered[start:end].lstrip(".")
            if path:
                tokens.append(path)
        elif kind != "drop":
            tokens.append(lowered[start:end])
        previous_end = end
    return tokens


# --- query syntax --------------------------------------------------------------------------------

FIELDS = ("author", "country", "kind", "lang", "media", "platform", "sentiment")
# The values the ingest pipeline stores; a query for anything else could never match.
SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("post", "comment", "dm", "email", "review")
MEDIA_TYPES = ("owned", "earned", "paid")
_ENUM_VALUES = {"sentiment": SENTIMENTS, "kind": KINDS, "media": MEDIA_TYPES}
_FIELD_COLUMNS = {
    "lang": "language",
    "platform": "platform",
    "author": "author_handle",
    "sentiment": "sentiment",
    "country": "country",
    "kind": "kind",
    "media": "media_type",
}
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
        value = _lower(value).lstrip("@")
    elif lowered == "country":
        value = value.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise QuerySyntaxError(
                'Expected a two-letter country code after "country:", e.g. country:ID', value_position
            )
    else:
        value = _lower(value)
    if not value:
        raise QuerySyntaxError(f'Expected a value after "{lowered}:"', value_position)
    allowed = _ENUM_VALUES.get(lowered)
    if allowed and value not in allowed:
        choices = ", ".join(allowed[:-1]) + f" or {allowed[-1]}"
        raise QuerySyntaxError(f'Unknown {lowered} "{raw.strip()}": expected {choices}', value_position)
    return Field(lowered, value)


def _text_node(text: str, position: int, quoted: bool = False) -> Node:
    tokens = tokenize_text(text)
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
    if len(tokens) > 1 or not _bare(tokens[0]):
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


def _phrase_text(words: tuple[str, ...]) -> str:
    """Text whose tokens are `words`: a hyphenated word or URL stands for the parts after it,
    and "./x" or ".." tokens follow the previous word directly, as they must to be tokens."""
    pieces: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        repeated: tuple[str, ...] = ()
        if _HYPHENATED.fullmatch(_stand_ins(word)):
            repeated = tuple(word.split("-"))
        elif _URL.fullmatch(word):
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


def _bare(text: str) -> bool:
    """Whether a term can be written without quotes and read back as itself."""
    return (
        _BARE_VALUE.fullmatch(text) is not None
        and not text.startswith("-")
        and "*" not in text
        and text not in _KEYWORDS
        and _FIELD_RUN.match(text) is None
        and tokenize_text(text) == [text]
    )


def _render(node: Node, parent: int) -> str:
    # parent: binding strength of the context (0 top/OR, 1 AND, 2 NOT); weaker children get ().
    if isinstance(node, Term):
        text = node.word if node.prefix or _bare(node.word) else f'"{node.word}"'
        return text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return f'"{_phrase_text(node.words)}"'
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


# --- matching in Python --------------------------------------------------------------------------

_Test = Callable[[Mapping[str, Any], AbstractSet[str], str], bool]
_SEP = "\n"  # never inside a token, so "\nw1\nw2\n" in the joined tokens means consecutive


def _handle(value: object) -> str:
    return _lower(str(value or "")).lstrip("@")


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
    "author_handle", "sentiment", "country", "kind", "media_type"; "tokens" from tokenize_text,
    when present, saves tokenising the text again for each topic)."""
    test = _compile(node)
    needs_set, needs_joined = _needs(node)
    empty: frozenset[str] = frozenset()

    def predicate(mention: Mapping[str, Any]) -> bool:
        if needs_set or needs_joined:
            tokens = mention.get("tokens")
            if tokens is None:
                tokens = tokenize_text(mention.get("text") or "")
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
