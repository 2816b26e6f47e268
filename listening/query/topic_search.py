"""A topic's query as a keyword search a platform can run (`cxm.channels.topics.TopicSearch`).

Platform searches take words, quoted phrases, alternatives and exclusions, not our fields,
prefixes or nested NOTs. The reduction below keeps every match of the query (it may find more,
never less): the words become a conjunction of clauses of alternatives (an AND of ORs), a NOT of
a word or phrase at the top becomes an exclusion, `lang:` and `platform:` at the top become the
search's language and platforms, and whatever else cannot be said is dropped, which widens the
search. An OR of ANDs is multiplied out while that stays small, else it becomes one clause of
all its words. Ingest matches each found item against the exact query again.
"""

from __future__ import annotations

from itertools import product

from cxm.channels.topics import TopicSearch
from listening.query.segments import written
from listening.query.syntax import And, Field, Node, Not, Or, Phrase, Term

# An OR of ANDs multiplies out into this many clauses at most before it is widened to one.
MAX_CLAUSES = 8

Clauses = list[frozenset[str]] | None  # None: no condition a search can state


def topic_search(*, topic_id: int, name: str, node: Node) -> TopicSearch:
    """The topic's query `node` as a keyword search."""
    tops = node.children if isinstance(node, And) else (node,)
    exclude: list[str] = []
    languages: list[str] = []
    platforms: list[str] = []
    rest: list[Node] = []
    for child in tops:
        if isinstance(child, Not) and isinstance(child.child, Term | Phrase):
            exclude.append(_literal(child.child))
        elif isinstance(child, Field) and child.name == "lang":
            languages.append(child.value)
        elif isinstance(child, Field) and child.name == "platform":
            platforms.append(child.value)
        else:
            rest.append(child)
    clauses = _clauses(And(tuple(rest))) if rest else None
    return TopicSearch(
        topic_id=topic_id,
        name=name,
        all_of=tuple(tuple(sorted(clause)) for clause in dict.fromkeys(clauses or [])),
        none_of=tuple(dict.fromkeys(exclude)),
        languages=tuple(dict.fromkeys(languages)),
        platforms=tuple(dict.fromkeys(platforms)),
    )


def _literal(node: Term | Phrase) -> str:
    # A prefix (deliv*) is searched as the word before the star: platforms have no prefixes. A
    # word of Chinese, Japanese, Korean or Thai is searched as written, not as its pieces.
    return node.word if isinstance(node, Term) else written(node.words)


def _clauses(node: Node) -> Clauses:
    if isinstance(node, Term | Phrase):
        return [frozenset({_literal(node)})]
    if isinstance(node, Field | Not):
        return None
    parts = [_clauses(child) for child in node.children]
    if isinstance(node, And):
        stated = [clause for part in parts if part is not None for clause in part]
        return stated or None
    assert isinstance(node, Or)
    if any(part is None for part in parts):
        return None  # one alternative has no words: any item may match
    known = [part for part in parts if part is not None]
    count = 1
    for part in known:
        count *= len(part)
    if count > MAX_CLAUSES:
        return [frozenset(word for part in known for clause in part for word in clause)]
    return [frozenset().union(*combination) for combination in product(*known)]
