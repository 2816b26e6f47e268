"""The boolean query language of listening topics and the Explorer search box.

    kopi OR "es kopi" -spam lang:id (platform:mastodon OR author:@tokokopi) deliv*

Words, "quoted phrases" and `prefix*` terms; `AND`, `OR`, `NOT` (upper case; lower-case `and`
is a word), implicit AND between adjacent terms, `-term` for NOT term, parentheses; precedence
NOT > AND > OR. Fields: lang, platform, author, sentiment, country, kind, media.

A query is parsed once into an immutable AST, which then becomes either a Python predicate
(`matcher`, used at ingest and by back-fills) or a SQL condition over the mention table's
`search_vector` (`to_sql`, used by the Explorer). Both see a document as the lexemes that
PostgreSQL's `simple` configuration produces from its text and then from its `search_text` (the
text with runs of Chinese, Japanese, Korean and Thai broken into tokens; `segments`), in the same
order, so they agree: a word matches a lexeme exactly, a prefix matches the start of one, a
phrase matches consecutive lexemes. Query words are broken the way documents are, so "咖啡" is
the phrase 咖 咖啡 啡 and finds 咖啡店.

Where they can still differ: the stored vector also holds the text's language-configuration
lexemes, so SQL may find more (a word equal to a stem, a phrase across the two halves);
tokenize_text does not reproduce the parser's rarer path and tag forms ("a/./b", "~/x",
"<script>"); PostgreSQL keeps no positions past 16,383 nor more than 256 per lexeme (a text of
Chinese, Japanese or Korean gets there past about 8,000 characters, its search_text taking two
positions per character); and a NULL column is never equal in SQL, while the matcher negates it
like any other value.

The language's callers import it from here; its parts are:

lexemes   tokenize_text: a text's lexemes as PostgreSQL's `simple` configuration produces them
segments  search_text, query_tokens, document_tokens: words inside text written without spaces
syntax    the AST, parse and render
backends  matcher (Python) and to_sql (SQL), side by side because they must agree
"""

from listening.query.backends import matcher, to_sql
from listening.query.lexemes import tokenize_text
from listening.query.segments import (
    UNSPACED_CHAR,
    document_parts,
    document_tokens,
    query_tokens,
    search_text,
    stored_tokens,
)
from listening.query.syntax import (
    And,
    Field,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    parse,
    phrase_text,
    query_fields,
    render,
)

__all__ = [
    "UNSPACED_CHAR",
    "And",
    "Field",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QuerySyntaxError",
    "Term",
    "document_parts",
    "document_tokens",
    "matcher",
    "parse",
    "phrase_text",
    "query_fields",
    "query_tokens",
    "render",
    "search_text",
    "stored_tokens",
    "to_sql",
    "tokenize_text",
]
