"""Publishing's KPIs on hand-made posts: the share with language variants and the engagement rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import BrandFactory
from tests.transformation.kpis_data import UNTIL, account, published_posts, scope
from transformation.kpis import publishing
from transformation.kpis.registry import BY_KEY

pytestmark = pytest.mark.django_db

LAST_WEEK = UNTIL - timedelta(days=7)


def measured(workspace, *keys, **scope_fields):
    return publishing.measure(scope(workspace, **scope_fields), [BY_KEY[key] for key in keys])


def test_nothing_published_is_no_data(workspace_a):
    results = measured(workspace_a, "remembered_variant_share", "remembered_engagement_rate")

    for result in results.values():
        assert (result.status, result.value, result.n) == ("no_data", None, 0)


def test_variant_share_counts_posts_with_a_language_variant(workspace_a):
    on = account(workspace_a)
    published_posts(workspace_a, 10, on=on, at=LAST_WEEK, variants={"lang:id": "Halo"})
    published_posts(workspace_a, 5, on=on, at=LAST_WEEK, variants={"bluesky": "Hi on Bluesky"})
    published_posts(workspace_a, 5, on=on, at=LAST_WEEK, variants={"lang:es": "  "})
    published_posts(workspace_a, 20, on=on, at=LAST_WEEK)
    published_posts(workspace_a, 30, on=on, at=UNTIL - timedelta(days=60), variants={"lang:id": "Lama"})

    result = measured(workspace_a, "remembered_variant_share")["remembered_variant_share"]

    assert (result.status, result.n, result.value) == ("ok", 40, 25.0)


def test_variant_share_of_a_brand_counts_its_accounts_only(workspace_a):
    brand = BrandFactory(workspace=workspace_a)
    published_posts(
        workspace_a, 30, on=account(workspace_a, brand=brand), at=LAST_WEEK, variants={"lang:id": "Halo"}
    )
    published_posts(workspace_a, 30, on=account(workspace_a), at=LAST_WEEK)

    result = measured(workspace_a, "remembered_variant_share", brand_id=brand.pk)["remembered_variant_share"]

    assert (result.n, result.value) == (30, 100.0)


def test_engagement_rate_is_interactions_per_reach_leaving_out_posts_under_a_day_old(workspace_a):
    on = account(workspace_a)
    published_posts(workspace_a, 30, on=on, at=LAST_WEEK, likes=10, reposts=5, replies=5, reach=1000)
    published_posts(workspace_a, 10, on=on, at=UNTIL - timedelta(hours=3), likes=500, reach=1000)
    published_posts(workspace_a, 10, on=on, at=LAST_WEEK)  # no metrics yet

    result = measured(workspace_a, "remembered_engagement_rate")["remembered_engagement_rate"]

    assert (result.status, result.n, result.excluded) == ("ok", 30, 10)
    assert result.value == 2.0


def test_engagement_rate_with_few_posts_is_insufficient(workspace_a):
    published_posts(workspace_a, 12, on=account(workspace_a), at=LAST_WEEK, likes=10, reach=100)

    result = measured(workspace_a, "remembered_engagement_rate")["remembered_engagement_rate"]

    assert (result.status, result.value, result.n) == ("insufficient", None, 12)
