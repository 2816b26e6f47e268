"""Profiles unified across channels, among the customers active in the window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cxm.customers.models import CustomerProfile, Identity
from tests.factories import BrandFactory
from tests.transformation.kpis_data import UNTIL, mentions, scope
from transformation.kpis import customers
from transformation.kpis.registry import BY_KEY

pytestmark = pytest.mark.django_db

KPI = BY_KEY["recognised_unified_profiles"]
RECENTLY = UNTIL - timedelta(days=5)


def profile(workspace, *platforms):
    person = CustomerProfile.objects.create(workspace=workspace, display_name="someone")
    for platform in platforms:
        Identity.objects.create(
            workspace=workspace, profile=person, platform=platform, platform_id=f"{platform}-{person.pk}"
        )
    return person


def unified(workspace, **scope_fields):
    return customers.measure(scope(workspace, **scope_fields), [KPI])[KPI.key]


def test_no_active_customers_is_no_data(workspace_a):
    profile(workspace_a, "mastodon", "email")  # exists, but wrote nothing in the window

    result = unified(workspace_a)

    assert (result.status, result.value, result.n) == ("no_data", None, 0)


def test_share_of_active_profiles_with_identities_on_two_platforms(workspace_a):
    for _ in range(12):
        mentions(workspace_a, 2, at=RECENTLY, customer_id=profile(workspace_a, "mastodon", "bluesky").pk)
    for _ in range(18):
        mentions(workspace_a, at=RECENTLY, customer_id=profile(workspace_a, "mastodon").pk)
    for _ in range(10):  # active long ago only
        mentions(workspace_a, at=UNTIL - timedelta(days=60), customer_id=profile(workspace_a, "mastodon").pk)
    two_handles_one_platform = profile(workspace_a, "mastodon")
    Identity.objects.create(
        workspace=workspace_a, profile=two_handles_one_platform, platform="mastodon", platform_id="x"
    )
    mentions(workspace_a, at=RECENTLY, customer_id=two_handles_one_platform.pk)

    result = unified(workspace_a)

    assert (result.status, result.n) == ("ok", 31)
    assert result.value == round(100 * 12 / 31, 2)


def test_a_merged_profile_counts_as_the_profile_it_lives_on(workspace_a):
    for _ in range(29):
        mentions(workspace_a, at=RECENTLY, customer_id=profile(workspace_a, "mastodon").pk)
    survivor = profile(workspace_a, "mastodon", "email")
    merged = profile(workspace_a)
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into"])
    mentions(workspace_a, at=RECENTLY, customer_id=merged.pk)

    result = unified(workspace_a)

    assert (result.n, result.detail["unified"]) == (30, 1)


def test_fewer_than_30_active_profiles_is_insufficient_and_brand_scope_filters(workspace_a):
    brand = BrandFactory(workspace=workspace_a)
    for _ in range(5):
        mentions(
            workspace_a,
            at=RECENTLY,
            brand_id=brand.pk,
            customer_id=profile(workspace_a, "mastodon", "email").pk,
        )
    for _ in range(30):
        mentions(workspace_a, at=RECENTLY, customer_id=profile(workspace_a, "mastodon").pk)

    result = unified(workspace_a, brand_id=brand.pk)

    assert (result.status, result.value, result.n) == ("insufficient", None, 5)
