import pytest
from django.db import connection

from listening.ingest.context import forget_workspace_context


@pytest.fixture(autouse=True)
def fresh_listening_context():
    """Topics and dictionaries are cached per workspace for a few seconds; tests start clean."""
    forget_workspace_context()
    yield
    forget_workspace_context()


def item(n, **overrides):
    base = {
        "platform": "mastodon",
        "external_id": str(1000 + n),
        "text": f"Kopi Nusantara is great, cup number {n}",
        "created_at": "2026-11-20T10:00:00Z",
        "author": {"handle": "@ana@example.social", "name": "Ana"},
        "url": f"https://example.social/@ana/{1000 + n}",
        "in_reply_to": None,
        "language": None,
        "country": None,
        "brand": None,
    }
    base.update(overrides)
    return base


def daily_total(workspace) -> int:
    """Mentions counted in the daily roll-up (all topics) for a workspace."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(mentions), 0) FROM listening_mention_daily WHERE workspace_id = %s "
            "AND topic_id = 0",
            [workspace.pk],
        )
        return cursor.fetchone()[0]
