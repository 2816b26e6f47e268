"""The variants, approval, proposals and import routes of /api/v1/ads/, through the client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ads.models import AdCampaign, Variant, VariantStatus
from ads.services import ad_set_create, campaign_create
from cxm.tenancy.models import Role
from tests.ads.test_import import GOOGLE
from tests.ads.test_variants import FEED

pytestmark = pytest.mark.django_db

TEMPLATE = {
    "name": "Beer promo",
    "primary_text": "Sponsored. {{product}} for {{price}}. Please drink responsibly.",
    "headline": "{{product}}",
    "link": "https://shop.example.com/{{id}}",
    "image": "https://img.example.com/{{id}}.jpg",
    "call_to_action": "SHOP_NOW",
    "image_width": 1080,
    "image_height": 1080,
    "country": "US",
    "categories": ["alcohol"],
    "formats": ["feed_square"],
}


@pytest.fixture
def client_for(api):
    return api


@pytest.fixture
def generated(api, marketer, synced_account):
    client = api(marketer)
    feed = client.post(
        "/api/v1/ads/feeds/",
        {"name": "Beers", "file": SimpleUploadedFile("beers.csv", FEED.encode(), "text/csv")},
        format="multipart",
    )
    assert feed.status_code == 201, feed.content
    assert feed.json()["row_count"] == 3 and feed.json()["error_count"] == 2
    template = client.post("/api/v1/ads/templates/", TEMPLATE, format="json")
    assert template.status_code == 201, template.content
    campaign = campaign_create(
        workspace=synced_account.workspace, account=synced_account, name="Beer launch", daily_budget=5000
    )
    ad_set_create(campaign=campaign, name="US", countries=["US"])
    result = client.post(
        "/api/v1/ads/variants/generate/",
        {"template": template.json()["id"], "feed": feed.json()["id"], "campaign": campaign.pk},
        format="json",
    )
    assert result.status_code == 201, result.content
    assert result.json()["blocked"] == 1
    return client, campaign


def test_list_filters_variants_by_rule(generated):
    client, _ = generated
    rows = client.get("/api/v1/ads/variants/", {"rule_id": "US-TTB-ALC-02"}).json()["results"]
    assert len(rows) == 1 and rows[0]["status"] == "blocked"
    assert len(client.get("/api/v1/ads/variants/", {"status": "ready"}).json()["results"]) == 2


def test_a_marketer_cannot_waive_an_approver_can(generated, api, workspace_a, member):
    client, _ = generated
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)
    url = f"/api/v1/ads/variants/{blocked.pk}/waive/"
    body = {"rule_id": "US-TTB-ALC-02", "reason": "brand name"}
    assert client.post(url, body, format="json").status_code == 403
    approver = api(member(workspace_a, Role.APPROVER))
    response = approver.post(url, body, format="json")
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_launch_refused_while_blocked_then_exclude_and_launch(generated):
    client, campaign = generated
    launch = client.post(f"/api/v1/ads/campaigns/{campaign.pk}/launch/")
    assert launch.status_code == 400 and "variants" in launch.json()["fields"]
    excluded = client.post("/api/v1/ads/variants/exclude/", {"status": "blocked"}, format="json")
    assert excluded.json() == {"count": 1}
    assert client.post(f"/api/v1/ads/campaigns/{campaign.pk}/launch/").status_code == 202


def test_find_replace_over_a_filter(generated):
    client, _ = generated
    response = client.post(
        "/api/v1/ads/variants/find_replace/",
        {"contains": "Healthy", "find": "Healthy ", "replace_with": ""},
        format="json",
    )
    assert response.json() == {"count": 1}
    assert not Variant.objects.filter(status=VariantStatus.BLOCKED).exists()


def test_approval_route_needs_an_approver(generated, api, workspace_a, member, unit):
    from publishing.models import ApprovalRule

    client, campaign = generated
    ApprovalRule.objects.create(workspace=workspace_a, business_unit=unit)
    client.post("/api/v1/ads/variants/exclude/", {"status": "blocked"}, format="json")
    assert client.post(f"/api/v1/ads/campaigns/{campaign.pk}/launch/").status_code == 400
    assert client.post(f"/api/v1/ads/campaigns/{campaign.pk}/submit/").json()["approval_state"] == "submitted"
    assert client.post(f"/api/v1/ads/campaigns/{campaign.pk}/approve/").status_code == 403
    approved = api(member(workspace_a, Role.APPROVER)).post(f"/api/v1/ads/campaigns/{campaign.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["approval_state"] == "approved"
    assert client.post(f"/api/v1/ads/campaigns/{campaign.pk}/launch/").status_code == 202


def test_import_preview_then_commit(api, marketer):
    client = api(marketer)
    preview = client.post("/api/v1/ads/insights/import/preview/", {"content": GOOGLE}, format="json")
    assert preview.status_code == 200 and preview.json()["platform"] == "google_ads"
    assert preview.json()["error_count"] == 2
    commit = client.post(
        "/api/v1/ads/insights/import/commit/",
        {"file": SimpleUploadedFile("report.csv", GOOGLE.encode(), "text/csv")},
        format="multipart",
    )
    assert commit.status_code == 201 and commit.json()["stored"] == 2
    summary = client.get("/api/v1/ads/insights/summary/").json()["rows"]
    assert summary[0]["label"] == "Kopi Search"
    assert AdCampaign.objects.get().external_platform == "google_ads"
