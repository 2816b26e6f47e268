"""The lexemes of a text as PostgreSQL's `to_tsvector('simple', ...)` produces them, in position
order, computed in Python so that the query matcher at ingest sees a document exactly as the
Explorer's SQL does.

PostgreSQL's default text-search parser is a state machine; the expression below reproduces
what it does for words (letters, digits and the zero-width marks that continue a word),
hyphenated words (the whole word, then its parts, each taking a position), signed and
scientific numbers, and the common non-word tokens whose lexeme keeps its punctuation (host
names, URLs, e-mail addresses, paths such as "and/or", decimals and versions), and drops what
it drops (XML entities and tags, "http://"). Agreeing on those matters for phrases: every
lexeme takes a position.
"""

from __future__ import annotations

import re
import unicodedata


def _letter_kind(char: str) -> str:
    """What the parser makes of a non-ASCII character: a letter (its iswalpha: letters, digits
    of other scripts, spacing marks), a mark that continues a word but cannot start one
    (zero-width marks and format characters), or neither."""
    category = unicodedata.category(char)
    if category[0] == "L" or category in ("Nd", "Nl", "Mc") or char in _ALPHABETIC_THAI_MARKS:
        return _LETTER
    return _MARK if category in ("Mn", "Me", "Cf") else _OTHER


# Thai vowel signs written above or below a consonant are marks (Mn), but glibc's iswalpha, which
# the parser asks, counts them as letters (Unicode's Alphabetic property does): a word may start
# with one. (Other scripts' such marks are not reproduced; Thai is broken into words, see segments.)
_ALPHABETIC_THAI_MARKS = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e4d")

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
HYPHENATED = re.compile(rf"{_WORD}(?:-{_WORD})+")
URL = re.compile(rf"{_HOST}/[^\s\"']+")
_SPECIAL_LOWER = {0x130: "i", 0x3A3: "\u03c3"}  # as PostgreSQL lower-cases: no "i̇", no final sigma
_MAX_LEXEME_BYTES = 2046  # longer words are not indexed ("word is too long to be indexed")


def pg_lower(text: str) -> str:
    if "\u0130" in text or "\u03a3" in text:
        text = text.translate(_SPECIAL_LOWER)
    return text.lower()


def stand_ins(text: str) -> str:
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
    return tokenize_words(text)[0]


def tokenize_words(text: str) -> tuple[list[str], bool]:
    """`tokenize_text`, and whether its lexemes are exactly the text's runs of letters, digits and
    marks, lower-cased (the text holds only words, numbers and sentence punctuation, and no word
    was too long to index): then a lexeme cut in pieces gives the lexemes of the text spaced
    out at those cuts."""
    scanned = stand_ins(text)
    plain = _words_only(scanned)
    if plain:
        if text.isascii():
            tokens = _WORDS_ONLY.findall(scanned)  # ASCII: the scanned text is the lowered text
        else:
            lowered = pg_lower(text)
            tokens = [lowered[match.start() : match.end()] for match in _WORDS_ONLY.finditer(scanned)]
    else:
        tokens = _document_tokens(text, scanned)
    if any(len(token) > _MAX_LEXEME_BYTES // 4 for token in tokens):
        kept = [token for token in tokens if len(token.encode()) <= _MAX_LEXEME_BYTES]
        plain, tokens = plain and len(kept) == len(tokens), kept
    return tokens, plain


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
    lowered = pg_lower(text)
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
