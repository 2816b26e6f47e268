"""Listening topics searched on the platforms that can search for them.

A connector that searches per topic (X's recent search) finds each of the workspace's topics
through the platform's own search syntax. The topics and their query language belong to
listening, which the kernel never imports, so listening registers a source here when its app
loads; the source renders each topic's query in the platform's operators (or leaves out a topic
the platform cannot search for) and `account_config` hands the result to the connector as
`options["topic_queries"]`.
"""

from __future__ import annotations

from collections.abc import Callable

# (workspace id, platform) -> {stable key of the topic: query in the platform's syntax}
TopicSearchSource = Callable[[int, str], dict[str, str]]

# Platforms whose connector runs a search for each topic of the workspace.
TOPIC_SEARCH_PLATFORMS = frozenset({"x"})

_SOURCES: dict[str, TopicSearchSource] = {}


def register_topic_search(name: str, source: TopicSearchSource) -> None:
    _SOURCES[name] = source


def unregister_topic_search(name: str) -> None:
    _SOURCES.pop(name, None)


def topic_queries(*, workspace_id: int, platform: str) -> dict[str, str]:
    """Every registered source's queries for the workspace's topics on `platform`."""
    if platform not in TOPIC_SEARCH_PLATFORMS:
        return {}
    queries: dict[str, str] = {}
    for source in list(_SOURCES.values()):
        queries.update(source(workspace_id, platform))
    return queries
