"""A topic's query in X's search syntax, for the X connector's recent search per topic
(`cxm.channels.topics`).

X's operators (docs.x.com, "Search Operators") cover words and "exact phrases", implicit AND,
`OR`, `-` and parentheses, `from:`, `lang:` (in X's own codes: `in` for Indonesian, `iw` for
Hebrew) and `is:reply`. X has no prefix match and knows nothing of our sentiment, media type or
the country an account is filed under. What X cannot say is widened, never narrowed: the search
may find more than the topic, never less, and the topic's own matcher decides at ingest which
posts belong to it. Under a NOT the direction turns, so a negated part X cannot say is left out
rather than excluded. A part that never matches on X (`platform:bluesky`, `kind:dm`) makes its
conjunction match nothing.

A query that ends up matching everything or nothing is not searched, nor one X would refuse:
`lang:` and `is:` need a word, a phrase or a `from:` beside them ("conjunction required").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listening.query.syntax import And, Field, Node, Not, Or, Phrase, Term, render

# The languages X's `lang:` takes, under our (BCP 47, lower-case) names.
_SAME_CODE = (
    "am ar bg bn ca cs da de el en es et eu fa fi fr gu hi hr hu hy it ja ka kn ko lt lv ml mr nl no pl "
    "pt ro ru sk sl sr sv ta te th tr uk ur vi"
)
X_LANGUAGES = {code: code for code in _SAME_CODE.split(" ")} | {
    "id": "in",
    "he": "iw",
    "nb": "no",
    "zh-cn": "zh-CN",
    "zh-tw": "zh-TW",
}
_USERNAME = re.compile(r"[a-z0-9_]{1,15}")


class _Bound:
    """Matches every post (EVERYTHING) or none (NOTHING) as far as X can tell."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


EVERYTHING = _Bound("EVERYTHING")
NOTHING = _Bound("NOTHING")


@dataclass(frozen=True)
class _Query:
    text: str
    standalone: bool  # holds a word, a phrase or a from: that X lets stand on its own
    compound: bool = False  # several parts joined, parenthesised inside another


_Result = _Query | _Bound


def x_query(node: Node) -> str | None:
    """The query in X's syntax, or None when X cannot search for it."""
    result = _x(node, widen=True)
    if not isinstance(result, _Query) or not result.standalone:
        return None
    return result.text


def _x(node: Node, *, widen: bool) -> _Result:
    """The node in X's syntax: with `widen`, matching at least what it matches; without (under a
    NOT), at most."""
    if isinstance(node, Term):
        if node.prefix:
            return EVERYTHING if widen else NOTHING
        return _Query(render(node), standalone=True)
    if isinstance(node, Phrase):
        return _Query(render(node), standalone=True)
    if isinstance(node, Field):
        return _field(node, widen=widen)
    if isinstance(node, Not):
        inner = _x(node.child, widen=not widen)
        if inner is EVERYTHING:
            return NOTHING
        if inner is NOTHING:
            return EVERYTHING
        if not inner.compound and inner.text.startswith("-"):
            return _Query(inner.text[1:], standalone=False)  # -(-is:reply) is is:reply
        return _Query("-" + _grouped(inner), standalone=False)
    parts = [_x(child, widen=widen) for child in node.children]
    if isinstance(node, And):
        # One part matching nothing empties the conjunction; parts matching anything drop out.
        return _joined(parts, " ", absorbing=NOTHING, neutral=EVERYTHING, standalone=any)
    assert isinstance(node, Or)
    return _joined(parts, " OR ", absorbing=EVERYTHING, neutral=NOTHING, standalone=all)


def _joined(parts: list[_Result], joiner: str, *, absorbing: _Bound, neutral: _Bound, standalone) -> _Result:
    """Parts joined by AND (" ") or OR: X lets a conjunction stand on any standalone part, a
    disjunction only when every alternative can stand alone."""
    if absorbing in parts:
        return absorbing
    queries = [part for part in parts if isinstance(part, _Query)]
    if not queries:
        return neutral
    if len(queries) == 1:
        return queries[0]
    return _Query(
        joiner.join(_grouped(q) for q in queries),
        standalone=standalone(q.standalone for q in queries),
        compound=True,
    )


def _field(node: Field, *, widen: bool) -> _Result:
    unknown = EVERYTHING if widen else NOTHING
    if node.name == "platform":
        return EVERYTHING if node.value == "x" else NOTHING
    if node.name == "author":
        # No X account has a name outside letters, digits and "_", up to 15 long.
        return _Query(f"from:{node.value}", standalone=True) if _USERNAME.fullmatch(node.value) else NOTHING
    if node.name == "lang":
        code = X_LANGUAGES.get(node.value)
        return _Query(f"lang:{code}", standalone=False) if code else unknown
    if node.name == "kind":
        # On X a comment is a reply to one of the account's posts; other replies are posts.
        if node.value == "comment":
            return _Query("is:reply", standalone=False) if widen else NOTHING
        if node.value == "post":
            return EVERYTHING if widen else _Query("-is:reply", standalone=False)
        return NOTHING  # direct messages, emails and reviews are never found by a search
    return unknown  # sentiment, media, country: ours, not X's


def _grouped(query: _Query) -> str:
    return f"({query.text})" if query.compound else query.text
