"""Words inside text written without spaces: a Chinese, Japanese or Thai mention is found by a
word it contains, and a Korean one by a word with a particle attached, in the Explorer, the
mentions API, topics matched at ingest and back-fills; the Explorer marks the word found."""

from __future__ import annotations

import pytest
from django.db import connection

from cxm.privacy.subject import ERASED
from cxm.tenancy.models import Role
from listening.models import Mention, Topic
from listening.query import search_text
from listening.selectors import ExplorerFilters, mentions_search
from listening.services import (
    mentions_ingest_payload,
    mentions_search_text_refresh,
    topic_backfill,
    topic_create,
)
from tests.listening.conftest import item

TEXTS = {
    "zh": "我每天早上都喝一杯咖啡，这家咖啡店的拿铁很好喝。",  # noqa: RUF001 (Chinese punctuation)
    "ja": "東京の配達員さんがとても親切でした。",
    "th": "ไก่ทอดร้านนี้อร่อยมาก แต่ส่งช้า",
    "ko": "커피가 맛있어요. 배송은 빨랐어요!",
    "en": "Coffee and fried chicken, delivered late.",
}


@pytest.fixture
def mentions(workspace_a):
    items = [item(n, text=text, language=language) for n, (language, text) in enumerate(TEXTS.items())]
    result = mentions_ingest_payload(workspace_id=workspace_a.pk, items=items)
    assert result.accepted == len(TEXTS)


def _found(workspace, query: str) -> set[str]:
    page = mentions_search(workspace=workspace, filters=ExplorerFilters(q=query))
    return {row["language"] for row in page.results}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "languages"),
    [
        ("咖啡", {"zh"}),  # inside a sentence, and inside 咖啡店
        ("拿铁 OR 配達", {"zh", "ja"}),
        ("配達員", {"ja"}),
        ("ไก่", {"th"}),
        ('"ไก่ทอด"', {"th"}),
        ("อร่อย -ไก่", set()),
        ("커피", {"ko"}),  # 커피가: the particle 가 attached
        ("배송", {"ko"}),  # 배송은
        ("커피 OR coffee", {"ko", "en"}),
        ("京都", set()),
        ("lang:zh 咖啡*", {"zh"}),
    ],
)
def test_the_explorer_finds_a_word_inside_unspaced_text(mentions, workspace_a, query, languages):
    assert _found(workspace_a, query) == languages


@pytest.mark.django_db
def test_the_mentions_api_finds_a_word_inside_unspaced_text(mentions, api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    for query, language in (("咖啡", "zh"), ("配達", "ja"), ("ไก่", "th"), ("커피", "ko")):
        response = client.get("/api/v1/mentions/", {"q": query})
        assert response.status_code == 200
        assert [row["language"] for row in response.json()["results"]] == [language], query


@pytest.mark.django_db
def test_the_explorer_marks_the_word_found(mentions, client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    for query, marked in (
        ("咖啡", ["咖啡", "咖啡"]),
        ("配達", ["配達"]),
        ("ไก่", ["ไก่"]),
        ('"ไก่ทอด"', ["ไก่ทอด"]),
        ("커피", ["커피"]),
        ("coffee", ["Coffee"]),
    ):
        page = client.get("/listening/", {"q": query}).content.decode()
        assert [part.split("</mark>")[0] for part in page.split("<mark>")[1:]] == marked, query


@pytest.mark.django_db
def test_topics_match_words_inside_unspaced_text_at_ingest(workspace_a):
    coffee = topic_create(
        workspace=workspace_a, name="Coffee", query="咖啡 OR 커피 OR coffee", backfill=False
    )
    chicken = topic_create(workspace=workspace_a, name="Chicken", query="ไก่ OR 配達", backfill=False)
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[item(n, text=text) for n, text in enumerate(TEXTS.values())],
    )
    topics = dict(Mention.objects.filter(workspace_id=workspace_a.pk).values_list("text", "topic_ids"))
    assert topics == {
        TEXTS["zh"]: [coffee.pk],
        TEXTS["ja"]: [chicken.pk],
        TEXTS["th"]: [chicken.pk],
        TEXTS["ko"]: [coffee.pk],
        TEXTS["en"]: [coffee.pk],
    }


@pytest.mark.django_db
def test_a_topic_back_fill_finds_words_inside_unspaced_text(mentions, workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Delivery", query="配達 OR 배송 OR ส่ง")
    done = topic_backfill(topic_id=topic.pk, workspace_id=workspace_a.pk)
    assert done.backfill_matched == 3


@pytest.mark.django_db
def test_mentions_stored_without_search_text_are_found_after_the_back_fill(mentions, workspace_a):
    # As mentions stored before migration 0008 were.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE listening_mention SET search_text = NULL")
    assert _found(workspace_a, "咖啡") == set()

    read, changed = mentions_search_text_refresh()

    assert (read, changed) == (4, 4)  # the English mention has no search_text
    assert _found(workspace_a, "咖啡") == {"zh"}
    assert mentions_search_text_refresh() == (4, 0)


@pytest.mark.django_db
def test_only_texts_of_unspaced_scripts_store_a_search_text(mentions, workspace_a):
    stored = dict(Mention.objects.filter(workspace_id=workspace_a.pk).values_list("language", "search_text"))
    assert stored["en"] is None
    assert stored["ko"] == search_text(TEXTS["ko"])
    assert search_text(ERASED) is None  # an erased text leaves nothing searchable behind
