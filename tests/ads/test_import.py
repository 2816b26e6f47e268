"""Other platforms' performance reports by CSV: the mapping detected from the headers (and
overridable), per-row errors, and the rows in the insights summaries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ads.models import AdCampaign, AdInsight, Origin
from ads.selectors import insights_summary
from ads.services import insights_import_commit, insights_import_preview

pytestmark = pytest.mark.django_db

GOOGLE = (
    "Campaign performance report\n"
    '"November 1, 2026 - November 30, 2026"\n'
    "Day,Campaign,Campaign ID,Ad group,Ad group ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    '2026-11-20,Kopi Search,111,Brand,21,USD,"1,200",30,12.34,2.00,40.00\n'
    "2026-11-21,Kopi Search,111,Brand,21,USD,800,10,5.10,1.00,20.00\n"
    "2026-11-21,Kopi Search,111,Generic,22,USD,500,5,abc,0,0\n"
    "not a day,Kopi Search,111,Generic,22,USD,500,5,1.00,0,0\n"
    "Total: Account,,,,,,,,,,\n"
)
TIKTOK = (
    "By Day,Campaign name,Campaign ID,Ad group name,Ad group ID,Ad name,Ad ID,Currency,Impressions,Reach,"
    "Clicks (destination),Cost,Conversions,Total complete payment value\n"
    "2026-11-20,Kopi TT,9001,Gen Z,801,Video 1,70001,IDR,5000,4000,120,150000,3,450000\n"
)
LINKEDIN = (
    "Start Date (in UTC),Campaign Group Name,Campaign Name,Campaign ID,Currency,Impressions,Clicks,"
    "Total Spent,Conversions\n"
    "11/20/2026,B2B,Kopi for offices,501,EUR,900,9,45.50,1\n"
)


def test_preview_detects_google_ads_columns_and_lists_bad_rows():
    report = insights_import_preview(content=GOOGLE)
    assert report.platform == "google_ads"
    assert report.mapping["impressions"] == "Impr." and report.mapping["spend"] == "Cost"
    assert report.mapping["ad_group"] == "Ad group" and not report.missing
    assert report.rows == 2 and report.error_count == 2
    assert {(e["line"], e["column"]) for e in report.errors} == {(6, "Cost"), (7, "Day")}
    assert report.sample[0]["impressions"] == 1200 and report.sample[0]["spend"] == 1234
    assert not AdInsight.objects.exists()


@pytest.mark.parametrize(("content", "platform"), [(TIKTOK, "tiktok_ads"), (LINKEDIN, "linkedin_ads")])
def test_preview_detects_tiktok_and_linkedin(content, platform):
    report = insights_import_preview(content=content)
    assert report.platform == platform and not report.missing and report.rows == 1


def test_the_mapping_can_be_overridden():
    content = "Date,Name,Views,Taps,Spent\n2026-11-20,Kopi,100,4,2.50\n"
    report = insights_import_preview(content=content, platform="google_ads", currency="USD")
    assert "campaign" in report.missing
    report = insights_import_preview(
        content=content,
        platform="google_ads",
        currency="USD",
        mapping={
            "campaign": "Name",
            "impressions": "Views",
            "clicks": "Taps",
            "spend": "Spent",
            "date": "Date",
        },
    )
    assert not report.missing and report.rows == 1 and report.sample[0]["spend"] == 250


def test_commit_stores_good_rows_under_placeholders_and_summaries_include_them(workspace_a):
    report = insights_import_commit(workspace=workspace_a, content=GOOGLE)
    assert report.stored == 2 and report.error_count == 2 and report.campaigns_created == 1
    campaign = AdCampaign.objects.get()
    assert campaign.origin == Origin.IMPORT and campaign.external_platform == "google_ads"
    assert campaign.account is None and campaign.name == "Kopi Search"
    rows = insights_summary(workspace=workspace_a, group_by="campaign")
    assert rows[0]["label"] == "Kopi Search" and rows[0]["impressions"] == 2000 and rows[0]["spend"] == 1744
    # importing the same report again changes nothing
    insights_import_commit(workspace=workspace_a, content=GOOGLE)
    assert AdInsight.objects.count() == 2 and AdCampaign.objects.count() == 1


def test_commit_refuses_an_incomplete_mapping(workspace_a):
    with pytest.raises(ValidationError):
        insights_import_commit(
            workspace=workspace_a, content="Date,Name\n2026-11-20,x\n", platform="google_ads"
        )
