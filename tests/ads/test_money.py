"""Money is an integer of the currency's minor unit, with the currency's own exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ads.money import exponent, format_amount, to_major, to_minor
from ads.selectors import metrics
from ads.services import campaign_create
from ads.services.insights import insight_values
from cxm.channels.connectors.meta_ads import InsightRow
from tests.ads.stubs.graph_server import today


def test_idr_and_jpy_have_no_minor_unit_usd_and_eur_two():
    assert (exponent("IDR"), exponent("JPY"), exponent("USD"), exponent("eur")) == (0, 0, 2, 2)


def test_amounts_convert_exactly_both_ways():
    assert to_minor("150000", "IDR") == 150000
    assert to_minor("12.34", "USD") == 1234
    assert to_minor("0.1", "USD") + to_minor("0.2", "USD") == to_minor("0.3", "USD")
    assert to_major(1234, "USD") == Decimal("12.34")
    assert format_amount(150000, "IDR") == "150000"
    assert format_amount(5, "EUR") == "0.05"


def test_platform_spend_with_extra_decimals_rounds_half_to_even():
    assert to_minor("12.345", "USD") == 1234
    assert to_minor("12.355", "USD") == 1236
    assert to_minor("1500.5", "IDR") == 1500


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError):
        to_minor("1", "XXX")


def test_metrics_are_exact_decimal_strings_in_the_currency():
    usd = metrics(
        totals={"impressions": 3000, "clicks": 45, "spend": 1234, "conversions": 3, "conversion_value": 4990},
        currency="USD",
    )
    assert usd == {"ctr": "1.5000", "cpc": "0.2742", "cpm": "4.1133", "cpa": "4.1133", "roas": "4.0438"}
    idr = metrics(
        totals={"impressions": 1000, "clicks": 0, "spend": 150000, "conversions": 0, "conversion_value": 0},
        currency="IDR",
    )
    assert idr == {"ctr": "0.0000", "cpc": None, "cpm": "150000.00", "cpa": None, "roas": "0.0000"}
    assert metrics(totals={}, currency="USD")["roas"] is None


def test_insight_rows_are_stored_in_minor_units_without_double_counting_purchases():
    row = InsightRow(
        ad_id="1",
        date=today(),
        hour=None,
        impressions=10,
        reach=9,
        clicks=1,
        spend="1234.5",
        actions=[
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"},
            {"action_type": "omni_purchase", "value": "2"},
        ],
        action_values=[{"action_type": "omni_purchase", "value": "50000"}],
    )
    idr = insight_values(row, currency="IDR", conversion_types=("omni_purchase", "purchase"))
    assert (idr["spend"], idr["conversions"], idr["conversion_value"]) == (1234, 2, 50000)
    usd = insight_values(row, currency="USD", conversion_types=("omni_purchase",))
    assert (usd["spend"], usd["conversion_value"]) == (123450, 5000000)


@pytest.mark.django_db
def test_a_budget_goes_to_meta_in_minor_units_for_idr_and_usd(build_campaign, synced_account, graph):
    from ads.services import campaign_launch, campaign_push

    idr = build_campaign(name="Kopi ID", currency="IDR", daily_budget=150000)
    usd = build_campaign(name="Kopi US", currency="USD", daily_budget=2500)
    for campaign in (idr, usd):
        campaign_launch(campaign=campaign)
        campaign_push(campaign_id=campaign.pk, workspace_id=campaign.workspace_id)
        campaign.refresh_from_db()
    assert graph.objects[idr.external_id]["daily_budget"] == "150000"  # Rp150,000
    assert graph.objects[usd.external_id]["daily_budget"] == "2500"  # $25.00


@pytest.mark.django_db
def test_budgets_must_be_whole_minor_units(synced_account):
    for bad in (12.5, "2500", 0, -1):
        with pytest.raises(ValidationError):
            campaign_create(
                workspace=synced_account.workspace, account=synced_account, name="x", daily_budget=bad
            )
