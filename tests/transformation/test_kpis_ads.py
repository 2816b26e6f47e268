"""Return on ad spend and click-through rate from hand-made insights: exact figures, no data, too
little data, hourly rows that must not double a day, currencies never added together, another
workspace's ads, and the business-unit and brand scopes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from ads.models import Ad, AdCampaign, AdInsight, AdSet
from tests.factories import BrandFactory, BusinessUnitFactory
from transformation.kpis import ads as ads_kpis
from transformation.kpis.registry import BY_KEY, Scope

pytestmark = pytest.mark.django_db

UNTIL = datetime(2026, 11, 21, tzinfo=UTC)
LAST_DAY = date(2026, 11, 20)  # the last whole day of a 28-day window ending at UNTIL
_ids = itertools.count(1)


def measure(workspace, *keys: str, **scope):
    keys = keys or ("relevant_roas", "relevant_ctr")
    return ads_kpis.measure(Scope(workspace_id=workspace.pk, until=UNTIL, **scope), [BY_KEY[k] for k in keys])


def make_ad(workspace, *, currency: str = "USD", business_unit=None, brand=None) -> Ad:
    n = next(_ids)
    campaign = AdCampaign.objects.create(
        workspace=workspace,
        name=f"Campaign {n}",
        external_ref=f"kc{n}",
        currency=currency,
        business_unit=business_unit,
        brand=brand,
    )
    ad_set = AdSet.objects.create(
        workspace=workspace, campaign=campaign, name=f"Set {n}", external_ref=f"ks{n}"
    )
    return Ad.objects.create(
        workspace=workspace, campaign=campaign, ad_set=ad_set, name=f"Ad {n}", external_ref=f"ka{n}"
    )


def insight(ad: Ad, day: date, *, hour: int | None = None, **figures) -> AdInsight:
    return AdInsight.objects.create(
        workspace_id=ad.workspace_id,
        ad=ad,
        campaign_id=ad.campaign_id,
        ad_set_id=ad.ad_set_id,
        date=day,
        hour=hour,
        currency=ad.campaign.currency,
        **figures,
    )


def ad_days(workspace, ads: int, days: int, *, currency="USD", business_unit=None, brand=None, **figures):
    """`ads` ads, each with `days` daily rows ending on LAST_DAY."""
    made = [
        make_ad(workspace, currency=currency, business_unit=business_unit, brand=brand) for _ in range(ads)
    ]
    for ad in made:
        for back in range(days):
            insight(ad, LAST_DAY - timedelta(days=back), **figures)
    return made


def test_roas_and_ctr_over_ad_days(workspace_a):
    # 3 ads x 10 days: 1,000 impressions, 25 clicks, 12.00 USD spent, 42.00 USD of conversions a day.
    ad_days(workspace_a, 3, 10, impressions=1000, clicks=25, spend=1200, conversion_value=4200)
    # An ad with impressions but no spend: counts for CTR only.
    ad_days(workspace_a, 1, 2, impressions=500, clicks=5)

    results = measure(workspace_a)

    roas, ctr = results["relevant_roas"], results["relevant_ctr"]
    assert (roas.status, roas.value, roas.n) == ("ok", 3.5, 30)
    assert roas.detail["currency"] == "USD"
    # (30 * 25 + 2 * 5) clicks over (30 * 1000 + 2 * 500) impressions.
    assert (ctr.status, ctr.value, ctr.n) == ("ok", round(100 * 760 / 31000, 4), 32)


def test_window_is_the_whole_days_before_until(workspace_a):
    for ad in (make_ad(workspace_a), make_ad(workspace_a)):
        for back in range(30):
            insight(
                ad,
                LAST_DAY - timedelta(days=back),
                impressions=100,
                clicks=1,
                spend=100,
                conversion_value=200,
            )
        # The day of `until` itself and days older than the window are left out.
        insight(
            ad, LAST_DAY + timedelta(days=1), impressions=100, clicks=100, spend=100, conversion_value=9900
        )
        insight(
            ad, LAST_DAY - timedelta(days=40), impressions=100, clicks=100, spend=100, conversion_value=9900
        )

    results = measure(workspace_a)

    assert (results["relevant_roas"].value, results["relevant_roas"].n) == (2.0, 56)
    assert (results["relevant_ctr"].value, results["relevant_ctr"].n) == (1.0, 56)


def test_hourly_rows_never_double_a_day(workspace_a):
    ads = ad_days(workspace_a, 3, 10, impressions=1000, clicks=10, spend=1000, conversion_value=2000)
    # Hours of a day that also has its daily row: the daily row stands.
    insight(ads[0], LAST_DAY, hour=9, impressions=400, clicks=4, spend=400, conversion_value=800)
    # A day read in by the hour only: its hours make the day.
    extra = make_ad(workspace_a)
    insight(extra, LAST_DAY, hour=9, impressions=600, clicks=12, spend=500, conversion_value=3000)
    insight(extra, LAST_DAY, hour=10, impressions=400, clicks=8, spend=500, conversion_value=3000)

    results = measure(workspace_a)

    roas, ctr = results["relevant_roas"], results["relevant_ctr"]
    assert (roas.value, roas.n) == (round(66000 / 31000, 4), 31)
    assert (ctr.value, ctr.n) == (round(100 * 320 / 31000, 4), 31)


def test_currencies_are_never_added_together(workspace_a):
    ad_days(
        workspace_a, 3, 10, currency="IDR", impressions=1000, clicks=10, spend=150000, conversion_value=600000
    )
    ad_days(workspace_a, 1, 5, currency="USD", impressions=1000, clicks=10, spend=1000, conversion_value=1000)

    roas = measure(workspace_a, "relevant_roas")["relevant_roas"]

    assert (roas.value, roas.n) == (4.0, 30)
    assert roas.detail["currency"] == "IDR"
    assert {row["currency"]: (row["roas"], row["n"]) for row in roas.detail["by_currency"]} == {
        "IDR": (4.0, 30),
        "USD": (1.0, 5),
    }


def test_no_insights_is_no_data(workspace_a):
    make_ad(workspace_a)  # an ad that never ran

    for result in measure(workspace_a).values():
        assert (result.status, result.value, result.n) == ("no_data", None, 0)


def test_impressions_without_spend_give_no_roas(workspace_a):
    ad_days(workspace_a, 3, 10, impressions=1000, clicks=10)

    results = measure(workspace_a)

    assert (results["relevant_roas"].status, results["relevant_roas"].value) == ("no_data", None)
    assert (results["relevant_ctr"].value, results["relevant_ctr"].n) == (1.0, 30)


def test_too_few_ad_days_are_insufficient(workspace_a):
    ad_days(workspace_a, 2, 10, impressions=1000, clicks=10, spend=1000, conversion_value=3000)

    for result in measure(workspace_a).values():
        assert (result.status, result.value, result.n) == ("insufficient", None, 20)


def test_another_workspace_never_counts(workspace_a, workspace_b):
    ad_days(workspace_a, 3, 10, impressions=1000, clicks=10, spend=1000, conversion_value=3000)
    ad_days(workspace_b, 3, 10, impressions=1000, clicks=500, spend=1000, conversion_value=90000)

    results = measure(workspace_a)

    assert (results["relevant_roas"].value, results["relevant_roas"].n) == (3.0, 30)
    assert (results["relevant_ctr"].value, results["relevant_ctr"].n) == (1.0, 30)


def test_business_unit_and_brand_scopes(workspace_a):
    beverages = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    snacks = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    kopi = BrandFactory(workspace=workspace_a, business_unit=beverages, name="Kopi")
    for _ in range(3):
        ad_days(
            workspace_a,
            1,
            10,
            business_unit=beverages,
            brand=kopi,
            impressions=1000,
            clicks=20,
            spend=1000,
            conversion_value=5000,
        )
        ad_days(
            workspace_a,
            1,
            10,
            business_unit=snacks,
            impressions=1000,
            clicks=10,
            spend=1000,
            conversion_value=1000,
        )

    unit = measure(workspace_a, business_unit_id=beverages.pk)
    assert (unit["relevant_roas"].value, unit["relevant_roas"].n) == (5.0, 30)
    assert unit["relevant_ctr"].value == 2.0
    brand = measure(workspace_a, brand_id=kopi.pk)
    assert (brand["relevant_roas"].value, brand["relevant_roas"].n) == (5.0, 30)
    everything = measure(workspace_a)
    assert (everything["relevant_roas"].value, everything["relevant_roas"].n) == (3.0, 60)
    assert everything["relevant_ctr"].value == 1.5
