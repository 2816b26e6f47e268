"""Topics matched at ingest and back-filled over history; connector items become mentions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cxm.channels.connectors.base import Author, FetchPage, Item
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from listening.models import Mention, Topic
from listening.services import mention_mark_answered, mentions_ingest_payload, topic_backfill, topic_create
from tests.factories import BrandFactory
from tests.listening.conftest import item


@pytest.mark.django_db
def test_new_mentions_are_matched_to_topics_at_ingest(workspace_a):
    topic = topic_create(
        workspace=workspace_a, name="Delivery", query="delivery OR pengiriman", backfill=False
    )
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            item(1, text="Delivery was late"),
            item(2, text="Pengiriman cepat"),
            item(3, text="Nice cup"),
        ],
    )
    tagged = set(
        Mention.objects.filter(workspace_id=workspace_a.pk, topic_ids__contains=[topic.pk]).values_list(
            "external_id", flat=True
        )
    )
    assert tagged == {"1001", "1002"}


@pytest.mark.django_db
def test_a_new_topic_back_fills_over_history_once(workspace_a):
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[item(n, text=f"refund please #{n}") for n in range(7)] + [item(10, text="all good")],
    )
    topic = Topic.objects.create(workspace=workspace_a, name="Refunds", query="refund*")
    done = topic_backfill(topic_id=topic.pk, workspace_id=workspace_a.pk)
    assert (done.backfill_status, done.backfill_matched, done.backfill_scanned) == ("done", 7, 8)
    again = topic_backfill(topic_id=topic.pk, workspace_id=workspace_a.pk)
    assert (again.backfill_matched, again.backfill_scanned) == (7, 8)
    assert Mention.objects.filter(workspace_id=workspace_a.pk, topic_ids__contains=[topic.pk]).count() == 7


@pytest.mark.django_db
def test_a_topic_with_a_bad_query_is_refused_with_the_position(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    response = client.post("/api/v1/topics/", {"name": "Broken", "query": 'kopi AND "teh'}, format="json")
    assert response.status_code == 400
    assert "character" in response.json()["fields"]["query"][0]


@pytest.mark.django_db
def test_answering_a_mention_counts_toward_response_coverage(api, workspace_a, member):
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            item(1, kind="comment", text="Where is my order?"),
            item(2, kind="comment", text="Still waiting"),
        ],
    )
    mention = Mention.objects.get(workspace_id=workspace_a.pk, external_id="1001")
    assert mention_mark_answered(workspace_id=workspace_a.pk, mention_id=mention.pk) is True
    assert mention_mark_answered(workspace_id=workspace_a.pk, mention_id=mention.pk) is False
    client = api(member(workspace_a, Role.ANALYST))
    coverage = client.get("/api/v1/listening/dashboard/", {"since": "2026-11-01"}).json()["response_coverage"]
    assert coverage == {"needs_answer": 2, "answered": 1, "share": 0.5}
    unanswered = client.get("/api/v1/mentions/", {"answered": "false"}).json()["results"]
    assert [r["external_id"] for r in unanswered] == ["1002"]


class OneShotConnector:
    def __init__(self, items):
        self.items = items

    def fetch(self, cursor):
        if cursor.get("done"):
            return FetchPage([], cursor)
        return FetchPage(self.items, {"done": True})


@pytest.mark.django_db
def test_connector_items_become_mentions_with_owned_and_earned_media(workspace_a):
    brand = BrandFactory(workspace=workspace_a, name="Kopi Nusantara")
    account = ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="mastodon",
        handle="@kopi@example.social",
        brand=brand,
        business_unit=brand.business_unit,
        country="ID",
        base_url="https://example.social",
        credentials={"access_token": "t"},
        next_sync_at=timezone.now(),
    )
    now = timezone.now()
    items = [
        Item(
            platform="mastodon",
            external_id="9001",
            author=Author("1", "@kopi@example.social", "Kopi"),
            text="Promo minggu ini!",
            created_at=now,
        ),
        Item(
            platform="mastodon",
            external_id="9002",
            author=Author("2", "@budi@example.social", "Budi"),
            text="@kopi@example.social kapan promo berakhir?",
            created_at=now,
            kind="comment",
            in_reply_to="9001",
        ),
    ]
    account_sync(account_id=account.pk, workspace_id=workspace_a.pk, connector=OneShotConnector(items))
    mentions = {m.external_id: m for m in Mention.objects.filter(workspace_id=workspace_a.pk)}
    assert mentions["9001"].media_type == "owned" and not mentions["9001"].needs_answer
    assert mentions["9002"].media_type == "earned" and mentions["9002"].needs_answer
    assert mentions["9002"].brand_id == brand.pk and mentions["9002"].country == "ID"
    assert mentions["9002"].account_id == account.pk
    assert mentions["9002"].customer_id is not None
    account.refresh_from_db()
    assert account.items_received == 2


@pytest.mark.django_db
def test_the_same_author_on_two_batches_is_one_customer(workspace_a):
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(1)])
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(2)])
    customers = set(Mention.objects.filter(workspace_id=workspace_a.pk).values_list("customer_id", flat=True))
    assert len(customers) == 1 and None not in customers
