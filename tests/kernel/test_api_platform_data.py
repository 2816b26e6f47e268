"""Objects read from a platform often lack optional fields (a Meta creative without a link, an ad
set without targeting, a comment without its author). Every route that shows synced data answers
them in the documented shape instead of failing."""

from __future__ import annotations

import pytest

from ads.models import Ad
from tests.ads.stubs.sparse import sparse_ad_account_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def sparse_ad(workspace_a):
    return sparse_ad_account_sync(workspace=workspace_a)


def test_an_ad_whose_creative_has_no_link_is_listed_and_shown(admin_api, sparse_ad):
    listed = admin_api.get("/api/v1/ads/ads/")
    assert listed.status_code == 200
    creatives = {row["name"]: row["creative"] for row in listed.json()["results"]}
    assert creatives["Boosted post ad"]["link"] == ""
    assert creatives["Image only ad"]["primary_text"] == ""
    detail = admin_api.get(f"/api/v1/ads/ads/{sparse_ad.pk}/")
    assert detail.status_code == 200
    assert detail.json()["creative"]["primary_text"] == "Hello"


def test_an_ad_whose_creative_has_no_link_can_be_paused_and_activated(admin_api, sparse_ad):
    activated = admin_api.post(f"/api/v1/ads/ads/{sparse_ad.pk}/activate/")
    assert activated.status_code == 200, activated.content
    assert activated.json()["creative"]["link"] == ""
    assert admin_api.post(f"/api/v1/ads/ads/{sparse_ad.pk}/pause/").status_code == 200


@pytest.mark.parametrize("change", [{"name": "Renamed"}, {"creative": {"primary_text": "New words"}}])
def test_changing_an_ad_read_from_the_platform_is_refused_with_a_reason(admin_api, sparse_ad, change):
    response = admin_api.patch(f"/api/v1/ads/ads/{sparse_ad.pk}/", change, format="json")
    assert response.status_code == 400, response.content
    assert "creative" in " ".join(response.json()["fields"])
    assert Ad.objects.get(pk=sparse_ad.pk).name == "Boosted post ad"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ads/accounts/",
        "/api/v1/ads/campaigns/",
        "/api/v1/ads/adsets/",
        "/api/v1/ads/insights/",
        "/api/v1/ads/insights/summary/",
        "/api/v1/ads/comments/",
        "/api/v1/accounts/",
        "/api/v1/mentions/",
    ],
)
def test_every_list_of_synced_data_answers(admin_api, sparse_ad, path):
    response = admin_api.get(path)
    assert response.status_code == 200, response.content[:300]


def test_each_synced_object_answers_on_its_own(admin_api, sparse_ad):
    paths = [
        f"/api/v1/ads/campaigns/{sparse_ad.campaign_id}/",
        f"/api/v1/ads/adsets/{sparse_ad.ad_set_id}/",
        f"/api/v1/accounts/{sparse_ad.campaign.account_id}/",
        f"/api/v1/ads/accounts/{sparse_ad.campaign.account_id}/",
    ]
    for path in paths:
        assert admin_api.get(path).status_code == 200, path


def test_a_comment_without_its_author_is_listed(admin_api, sparse_ad):
    comments = admin_api.get("/api/v1/ads/comments/").json()["results"]
    assert [comment["text"] for comment in comments] == ['=HYPERLINK("http://x")']
