"""The topics pages: a workspace's topics, their names, and how many mentions each matches."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection

from cxm.channels.topics import TopicSearch
from listening.models import Topic
from listening.query.syntax import QuerySyntaxError, parse
from listening.query.topic_search import topic_search
from listening.query.x_search import x_query

# The platforms whose search syntax a topic's query can be written in, and how.
PLATFORM_SEARCH = {"x": x_query}


def topics(*, workspace, using: str = DEFAULT_DB_ALIAS):
    return Topic.objects.using(using).for_workspace(workspace).order_by("name")


def topic_mention_counts(*, workspace, topic_ids: list[int]) -> dict[int, int]:
    """How many mentions each topic matches today, new ones and back-filled ones alike, from the
    daily roll-up that ingest and the back-fill keep current."""
    if not topic_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT topic_id, sum(mentions) FROM listening_mention_daily "
            "WHERE workspace_id = %s AND topic_id = ANY(%s) GROUP BY topic_id",
            [workspace.pk, topic_ids],
        )
        return {topic_id: int(count) for topic_id, count in cursor.fetchall()}


def topic_get(*, workspace, topic_id: int) -> Topic | None:
    return Topic.objects.for_workspace(workspace).filter(pk=topic_id).first()


def topic_names(*, workspace, using: str = DEFAULT_DB_ALIAS) -> dict[int, str]:
    return dict(Topic.objects.using(using).for_workspace(workspace).values_list("pk", "name"))


def topic_keyword_searches(workspace_id: int) -> list[TopicSearch]:
    """The workspace's topics as keyword searches, for connectors that search per topic; a topic
    whose stored query no longer parses is left out."""
    found = []
    for topic_id, name, query in (
        Topic.objects.for_workspace(workspace_id).order_by("name").values_list("pk", "name", "query")
    ):
        try:
            node = parse(query)
        except QuerySyntaxError:
            continue
        found.append(topic_search(topic_id=topic_id, name=name, node=node))
    return found


def topic_platform_queries(*, workspace_id: int, platform: str) -> dict[str, str]:
    """Each topic's query in the platform's search syntax, by topic id; a topic the platform
    cannot search for (or whose stored query no longer parses) is left out."""
    render = PLATFORM_SEARCH.get(platform)
    if render is None:
        return {}
    queries: dict[str, str] = {}
    for topic_id, query in Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "query"):
        try:
            rendered = render(parse(query))
        except QuerySyntaxError:
            continue
        if rendered:
            queries[str(topic_id)] = rendered
    return queries
