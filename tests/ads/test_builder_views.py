"""The campaign builder and the variant grid, through the client: a feed with a bad row, a
template, generation, a blocked variant fixed by find/replace, the launch gate and waivers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ads.models import Feed, Variant, VariantStatus
from cxm.tenancy.models import Role
from tests.ads.test_variants import FEED

pytestmark = pytest.mark.django_db

BLOCKING_RULE = "US-TTB-ALC-02"  # "Healthy" on an alcohol ad, in the US pack

TEMPLATE = {
    "name": "Beer promo",
    "primary_text": "Sponsored. {{product}} for {{price}}. Please drink responsibly.",
    "headline": "{{product}}",
    "description": "",
    "call_to_action": "SHOP_NOW",
    "link": "https://shop.example.com/{{id}}",
    "image": "https://img.example.com/{{id}}.jpg",
    "image_width": "1080",
    "image_height": "1080",
    "country": "US",
    "categories": ["alcohol"],
    "segments": "",
    "languages": "en",
    "formats": ["feed_square"],
}


def upload(client, campaign, content=FEED):
    return client.post(
        f"/ads/campaigns/{campaign.pk}/builder/feed/",
        {"name": "Beers", "file": SimpleUploadedFile("beers.csv", content.encode(), "text/csv")},
        follow=True,
    )


@pytest.fixture
def generated(browsing, campaign):
    upload(browsing, campaign)
    feed = Feed.objects.get()
    answer = browsing.post(f"/ads/campaigns/{campaign.pk}/builder/", {**TEMPLATE, "feed": feed.pk})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    return browsing


def test_a_feed_with_bad_rows_shows_each_error_and_keeps_the_good_rows(browsing, campaign):
    page = upload(browsing, campaign)

    html = page.content.decode()
    assert page.status_code == 200 and 'id="feed-errors"' in html
    assert "3 rows kept, 2 rows with errors" in html
    assert "not-a-price" in html or "price" in html
    feed = Feed.objects.get()
    assert feed.row_count == 3 and page.context["feed"] == feed


def test_generate_creates_the_variants_and_opens_the_grid(browsing, campaign):
    upload(browsing, campaign)
    feed = Feed.objects.get()

    answer = browsing.post(
        f"/ads/campaigns/{campaign.pk}/builder/", {**TEMPLATE, "feed": feed.pk}, follow=True
    )

    assert answer.redirect_chain[-1][0] == f"/ads/campaigns/{campaign.pk}/variants/"
    assert Variant.objects.filter(campaign=campaign).count() == 3
    assert answer.context["page"].paginator.count == 3


def test_a_bad_placeholder_is_shown_on_the_template_form(browsing, campaign):
    upload(browsing, campaign)
    body = {**TEMPLATE, "feed": Feed.objects.get().pk, "headline": "{{product"}

    answer = browsing.post(f"/ads/campaigns/{campaign.pk}/builder/", body)

    assert answer.status_code == 400 and answer.context["form"].errors
    assert not Variant.objects.exists()


def test_a_blocked_variant_shows_its_rule_and_the_offending_text(generated, campaign):
    page = generated.get(f"/ads/campaigns/{campaign.pk}/variants/", {"status": "blocked"})

    html = page.content.decode()
    assert page.context["page"].paginator.count == 1
    assert BLOCKING_RULE in html and "Healthy" in html


def test_find_replace_over_the_selected_rows_fixes_the_blocked_variant(generated, campaign):
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)

    answer = generated.post(
        f"/ads/campaigns/{campaign.pk}/variants/bulk/",
        {"action": "replace", "ids": [blocked.pk], "find": "Healthy ", "replace_with": ""},
        HTTP_HX_REQUEST="true",
    )

    assert answer.status_code == 200 and b"1 variants changed" in answer.content
    blocked.refresh_from_db()
    assert blocked.status == VariantStatus.READY and "Healthy" not in blocked.fields["headline"]


def test_exclude_over_the_selected_rows(generated, campaign):
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)

    generated.post(
        f"/ads/campaigns/{campaign.pk}/variants/bulk/",
        {"action": "exclude", "ids": [blocked.pk]},
        HTTP_HX_REQUEST="true",
    )

    blocked.refresh_from_db()
    assert blocked.excluded is True


def test_launch_is_refused_while_blocked_then_allowed(generated, campaign):
    refused = generated.post(f"/ads/campaigns/{campaign.pk}/launch/")

    assert refused.status_code == 400
    assert "cannot launch yet" in refused.content.decode() and BLOCKING_RULE in refused.content.decode()
    generated.post(
        f"/ads/campaigns/{campaign.pk}/variants/bulk/",
        {"action": "replace", "all_matching": "on", "find": "Healthy ", "replace_with": ""},
    )
    launched = generated.post(f"/ads/campaigns/{campaign.pk}/launch/")
    assert launched.status_code == 302 and launched["Location"] == f"/ads/campaigns/{campaign.pk}/"
    assert Variant.objects.filter(campaign=campaign, status=VariantStatus.LAUNCHED).count() == 3


def test_a_marketer_cannot_waive_an_approver_can(generated, campaign, client, workspace_a, member):
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)
    url = f"/ads/campaigns/{campaign.pk}/variants/{blocked.pk}/waive/"
    body = {"rule_id": BLOCKING_RULE, "reason": "It is the brand name"}
    assert b"Waive" not in generated.get(f"/ads/campaigns/{campaign.pk}/variants/").content

    assert generated.post(url, body).status_code == 403

    client.force_login(member(workspace_a, Role.APPROVER).user)
    assert b"Waive" in client.get(f"/ads/campaigns/{campaign.pk}/variants/").content
    answer = client.post(url, body, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and b"waived" in answer.content
    blocked.refresh_from_db()
    assert blocked.status == VariantStatus.READY


def test_the_grid_pages_fifty_at_a_time(generated, campaign):
    feed = "id,product,price,currency\n" + "".join(f"{i},Lager {i},4.99,USD\n" for i in range(1, 61))
    upload(generated, campaign, feed)
    newest = Feed.objects.order_by("-pk").first()
    generated.post(f"/ads/campaigns/{campaign.pk}/builder/", {**TEMPLATE, "feed": newest.pk})

    first = generated.get(f"/ads/campaigns/{campaign.pk}/variants/")
    second = generated.get(f"/ads/campaigns/{campaign.pk}/variants/", {"page": 2})

    assert len(first.context["page"].object_list) == 50 and len(second.context["page"].object_list) == 10


def test_the_campaign_page_proposes_a_budget_split(browsing, campaign):
    page = browsing.get(f"/ads/campaigns/{campaign.pk}/")
    assert b"Propose a budget split" in page.content and b"Campaign builder" in page.content

    answer = browsing.post(f"/ads/campaigns/{campaign.pk}/proposals/", follow=True)

    # The campaign holds the budget: the optimiser says why it cannot split ad set budgets.
    assert answer.status_code == 200 and b"splits ad set daily budgets" in answer.content
