"""Topics searched on X: each topic's query in X's operators, widened where X cannot say what the
topic says (the topic's own matcher decides at ingest), and handed to the workspace's X accounts."""

from __future__ import annotations

import pytest

from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_config
from listening.models import Topic
from listening.query import parse
from listening.query.x_search import x_query


@pytest.mark.parametrize(
    ("query", "on_x"),
    [
        ("kopi", "kopi"),
        ('"es kopi" OR teh', '"es kopi" OR teh'),
        ('kopi OR "es kopi" -spam lang:id', 'kopi OR ("es kopi" -spam lang:in)'),
        ("kopi author:@tokokopi", "kopi from:tokokopi"),
        ("NOT (kopi OR teh) susu", "-(kopi OR teh) susu"),
        ("kopi lang:he", "kopi lang:iw"),
        ("kopi kind:comment", "kopi is:reply"),
        ("kopi NOT kind:post", "kopi is:reply"),
        # X has no prefix match, sentiment, media type or account country: those parts widen...
        ("kopi deliv*", "kopi"),
        ("kopi sentiment:negative media:earned country:ID", "kopi"),
        # ...and under a NOT they are left out rather than excluded.
        ("kopi -deliv*", "kopi"),
        ("kopi -sentiment:positive", "kopi"),
        # A part that never matches on X drops out of an OR.
        ("kopi OR kind:dm OR platform:mastodon", "kopi"),
        ("(platform:mastodon OR platform:x) kopi", "kopi"),
    ],
)
def test_a_topic_reads_in_x_operators(query, on_x):
    assert x_query(parse(query)) == on_x


@pytest.mark.parametrize(
    "query",
    [
        "deliv*",  # everything, as far as X can tell
        "sentiment:negative",
        "kopi platform:bluesky",  # nothing on X
        "kopi kind:review",
        "author:ana@mastodon.social",  # no X account is called that
        "lang:id",  # X needs a word, a phrase or from: beside lang: and is:
        "kind:comment",
        "-kopi",
    ],
)
def test_a_topic_x_cannot_search_for_is_left_out(query):
    assert x_query(parse(query)) is None


@pytest.mark.django_db
def test_the_workspaces_x_accounts_search_for_its_topics(workspace_a, workspace_b):
    kopi = Topic.objects.create(workspace=workspace_a, name="Kopi", query='kopi OR "es kopi"')
    Topic.objects.create(workspace=workspace_a, name="Everything negative", query="sentiment:negative")
    Topic.objects.create(workspace=workspace_b, name="Theirs", query="teh")
    account = ChannelAccount.objects.create(workspace=workspace_a, platform="x", handle="@brand")
    mastodon = ChannelAccount.objects.create(
        workspace=workspace_a, platform="mastodon", handle="@brand@social"
    )

    assert account_config(account).options["topic_queries"] == {str(kopi.pk): 'kopi OR "es kopi"'}
    assert "topic_queries" not in account_config(mastodon).options
