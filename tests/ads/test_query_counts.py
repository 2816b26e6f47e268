"""The ads lists (the campaigns page, the comments page, a campaign's variant grid and the API
lists of campaigns, ads and variants) read in a fixed number of queries, whether they show 3
rows or 10."""

from __future__ import annotations

import pytest

from ads.comments import ad_comments_pull
from ads.models import Ad
from ads.services import (
    ad_account_sync,
    feed_upload_csv,
    insights_pull,
    template_save,
    variants_generate,
)
from tests.ads.stubs.graph_server import days_ago
from tests.query_counts import queries_of

pytestmark = pytest.mark.django_db


def _same_for_3_and_10(grow, get, count, django_assert_num_queries) -> None:
    grow(0, 3)
    get()  # per-workspace caches filled, as they are after the first request of a session
    with_3 = queries_of(get)
    assert count(get()) == 3
    grow(3, 7)
    with django_assert_num_queries(with_3):
        assert count(get()) == 10


@pytest.fixture
def running_campaigns(ad_account, graph):
    """grow(start, count): that many more running campaigns, each with an ad, two days of
    insights and a comment under the ad, read in from the Graph stub."""

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            campaign = graph.add_campaign(f"Campaign {n}", status="ACTIVE", daily_budget=100_000)
            ad_set = graph.add_adset(campaign, f"Jakarta {n}")
            creative = graph.add_creative(f"Creative {n}", message=f"Kopi {n}, fresh")
            remote = graph.add_ad(ad_set, creative, f"Ad {n}")
            for day in (1, 2):
                graph.add_insight(remote["id"], days_ago(day), spend="10", purchases=1, purchase_value="25")
        assert ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome == "ok"
        insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
        for ad in Ad.objects.filter(name__in=[f"Ad {n}" for n in range(start, start + count)]):
            graph.add_comment(ad.effective_object_story_id, "Too expensive, a scam", author="Budi")
            ad_comments_pull(ad_id=ad.pk)

    return grow


def test_the_campaigns_page_takes_the_same_queries_for_3_and_10_campaigns(
    browsing, running_campaigns, django_assert_num_queries
):
    _same_for_3_and_10(
        running_campaigns,
        lambda: browsing.get("/ads/"),
        lambda response: len(response.context["rows"]),
        django_assert_num_queries,
    )


def test_the_comments_page_takes_the_same_queries_for_3_and_10_comments(
    browsing, running_campaigns, django_assert_num_queries
):
    _same_for_3_and_10(
        running_campaigns,
        lambda: browsing.get("/ads/comments/"),
        lambda response: response.content.decode().count("Too expensive, a scam"),
        django_assert_num_queries,
    )


@pytest.mark.parametrize("resource", ["campaigns", "ads", "adsets", "insights", "comments"])
def test_the_api_lists_take_the_same_queries_for_3_and_10_campaigns(
    api, marketer, running_campaigns, django_assert_num_queries, resource
):
    client = api(marketer)
    per_campaign = 2 if resource == "insights" else 1
    _same_for_3_and_10(
        running_campaigns,
        lambda: client.get(f"/api/v1/ads/{resource}/"),
        lambda response: len(response.json()["results"]) // per_campaign,
        django_assert_num_queries,
    )


@pytest.fixture
def variants_for(campaign, workspace_a):
    """grow(start, count): the campaign's variants generated again from a feed of start + count
    products (regenerating replaces the variants not launched yet)."""
    template = template_save(
        workspace=workspace_a,
        name="Beer promo",
        primary_text="Sponsored. {{product}} for {{price}}. Please drink responsibly.",
        headline="{{product}}",
        link="https://shop.example.com/{{id}}",
        image="https://img.example.com/{{id}}.jpg",
        call_to_action="SHOP_NOW",
        image_width=1080,
        image_height=1080,
        country="US",
        categories=["alcohol"],
        formats=["feed_square"],
    )

    def grow(start: int, count: int) -> None:
        rows = "".join(f"{n},Lager {n},4.{n:02d},USD\n" for n in range(start + count))
        feed = feed_upload_csv(
            workspace=workspace_a, name=f"Beers {start + count}", content="id,product,price,currency\n" + rows
        )
        variants_generate(template=template, feed=feed, languages=["en"], campaign=campaign)

    return grow


def test_the_variant_grid_takes_the_same_queries_for_3_and_10_variants(
    browsing, campaign, variants_for, django_assert_num_queries
):
    _same_for_3_and_10(
        variants_for,
        lambda: browsing.get(f"/ads/campaigns/{campaign.pk}/variants/"),
        lambda response: len(response.context["page"].object_list),
        django_assert_num_queries,
    )


def test_the_variants_api_takes_the_same_queries_for_3_and_10_variants(
    api, marketer, campaign, variants_for, django_assert_num_queries
):
    client = api(marketer)
    _same_for_3_and_10(
        variants_for,
        lambda: client.get("/api/v1/ads/variants/", {"campaign": campaign.pk}),
        lambda response: len(response.json()["results"]),
        django_assert_num_queries,
    )
