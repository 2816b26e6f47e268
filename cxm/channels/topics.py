"""The workspace's listening topics as words a platform's search can take, for connectors that
search per topic (YouTube's `search.list`).

Listening owns the topics and their query language; it registers a source here when it loads
(listening/apps.py) that hands each topic over as a `TopicSearch`: the query reduced to what
keyword searches understand. The reduction keeps recall: what a platform's search cannot say
(a prefix, a sentiment, an author, a NOT inside an OR) is left out, so the search finds at least
what the topic matches and ingest still matches each found item against the exact query.

Some platforms take a topic in their own search operators instead (X's recent search): for them
listening registers a second kind of source that renders each topic's query in the platform's
syntax (or leaves out a topic the platform cannot search for), and `account_config` hands the
result to the connector as `options["topic_queries"]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSearch:
    """One topic as a keyword search.

    `all_of` is a conjunction of clauses, each clause a set of alternatives (a word, or a phrase
    of several words) any one of which must appear; `none_of` are words or phrases that must not
    appear. `languages` and `platforms` are what the topic's `lang:` and `platform:` fields ask for
    (empty: any).
    """

    topic_id: int
    name: str
    all_of: tuple[tuple[str, ...], ...]
    none_of: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    def searches(self, platform: str) -> bool:
        """Whether this topic has words to search for on `platform`."""
        return bool(self.all_of) and (not self.platforms or platform in self.platforms)


TopicSource = Callable[[int], list[TopicSearch]]

_SOURCES: dict[str, TopicSource] = {}


def register_topic_source(name: str, source: TopicSource) -> None:
    """Listening registers one: `source(workspace_id)` answers the workspace's topics."""
    _SOURCES[name] = source


def unregister_topic_source(name: str) -> None:
    _SOURCES.pop(name, None)


def topic_searches(*, workspace_id: int) -> tuple[TopicSearch, ...]:
    """Every registered source's topics of the workspace, in their order."""
    found: list[TopicSearch] = []
    for source in list(_SOURCES.values()):
        found.extend(source(workspace_id))
    return tuple(found)


# (workspace id, platform) -> {stable key of the topic: query in the platform's syntax}
PlatformQuerySource = Callable[[int, str], dict[str, str]]

# Platforms whose connector runs a search for each topic of the workspace.
TOPIC_SEARCH_PLATFORMS = frozenset({"x"})

_PLATFORM_QUERY_SOURCES: dict[str, PlatformQuerySource] = {}


def register_topic_search(name: str, source: PlatformQuerySource) -> None:
    _PLATFORM_QUERY_SOURCES[name] = source


def unregister_topic_search(name: str) -> None:
    _PLATFORM_QUERY_SOURCES.pop(name, None)


def topic_queries(*, workspace_id: int, platform: str) -> dict[str, str]:
    """Every registered source's queries for the workspace's topics on `platform`."""
    if platform not in TOPIC_SEARCH_PLATFORMS:
        return {}
    queries: dict[str, str] = {}
    for source in list(_PLATFORM_QUERY_SOURCES.values()):
        queries.update(source(workspace_id, platform))
    return queries
