"""A topic's query reduced to what platform keyword searches take, never narrower than the query,
and handed to the connectors that search per topic."""

from __future__ import annotations

import pytest

from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_config
from cxm.channels.topics import TopicSearch
from listening.models import Topic
from listening.query.syntax import parse
from listening.query.topic_search import topic_search


def search(query: str) -> TopicSearch:
    return topic_search(topic_id=1, name="t", node=parse(query))


@pytest.mark.parametrize(
    ("query", "all_of"),
    [
        ("kopi", (("kopi",),)),
        ('"oat latte" kopi', (("oat latte",), ("kopi",))),
        ("kopi OR coffee", (("coffee", "kopi"),)),
        ("(kopi OR coffee) latte", (("coffee", "kopi"), ("latte",))),
        # An OR of ANDs multiplies out: (a AND b) OR c == (a OR c) AND (b OR c).
        ("(kopi latte) OR teh", (("kopi", "teh"), ("latte", "teh"))),
        ("deliv*", (("deliv",),)),
        # Words of unspaced scripts as a mention writes them, not as the pieces they are matched by.
        ("咖啡 OR ไก่ทอด", (("ไก่ทอด", "咖啡"),)),
        ('"iPhone手机" 커피', (("iphone 手机",), ("커피",))),
    ],
)
def test_words_become_clauses_of_alternatives(query, all_of):
    assert set(search(query).all_of) == set(all_of)


def test_a_top_level_not_excludes_and_fields_become_the_searchs_language_and_platforms():
    found = search('kopi -"cold brew" NOT decaf lang:id platform:youtube sentiment:negative')
    assert found.all_of == (("kopi",),)
    assert found.none_of == ("cold brew", "decaf")
    assert found.languages == ("id",) and found.platforms == ("youtube",)
    assert found.searches("youtube") and not found.searches("mastodon")


def test_what_a_search_cannot_say_widens_it():
    # A NOT inside an OR, a field in an OR: the search finds more, never less.
    assert search("kopi OR NOT teh").all_of == ()
    assert search("kopi OR sentiment:negative").all_of == ()
    assert search("sentiment:negative").searches("youtube") is False


def test_a_large_or_of_ands_becomes_one_clause_of_all_its_words():
    found = search("(a1 b1) OR (a2 b2) OR (a3 b3) OR (a4 b4)")  # 16 clauses multiplied out
    assert found.all_of == (("a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"),)


@pytest.mark.django_db
def test_a_youtube_connector_gets_the_workspaces_topics_and_others_none(workspace_a, workspace_b):
    Topic.objects.create(workspace=workspace_a, name="Oat", query='"oat latte" OR oatmilk')
    Topic.objects.create(workspace=workspace_b, name="Elsewhere", query="teh")
    youtube = ChannelAccount.objects.create(workspace=workspace_a, platform="youtube", handle="UC" + "x" * 22)
    mastodon = ChannelAccount.objects.create(
        workspace=workspace_a, platform="mastodon", handle="@k@example.social"
    )

    (topic,) = account_config(youtube).topics

    assert topic.name == "Oat" and topic.all_of == (("oat latte", "oatmilk"),)
    assert account_config(mastodon).topics == ()
