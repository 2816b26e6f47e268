"""Listening's KPIs on hand-made mentions: net sentiment against the previous period, advocates
and their growth, the positive share of earned mentions, and comments on ads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import BrandFactory
from tests.transformation.kpis_data import UNTIL, mentions, scope
from transformation.kpis import listening
from transformation.kpis.registry import BY_KEY

pytestmark = pytest.mark.django_db

THIS_WEEK = UNTIL - timedelta(days=3)
LAST_MONTH = UNTIL - timedelta(days=40)  # in the previous 28-day period


def measured(workspace, *keys, **scope_fields):
    return listening.measure(scope(workspace, **scope_fields), [BY_KEY[key] for key in keys])


def test_no_mentions_is_no_data_not_zero(workspace_a):
    results = measured(
        workspace_a,
        "enjoy_net_sentiment",
        "proud_positive_earned",
        "proud_advocates",
        "proud_advocate_growth",
        "relevant_ad_comments_answered",
        "relevant_ad_comments_negative",
    )
    for key, result in results.items():
        assert result.status == "no_data", key
        assert result.value is None, key
        assert result.n == 0, key


def test_net_sentiment_is_positive_minus_negative_share_with_change(workspace_a):
    mentions(workspace_a, 20, at=THIS_WEEK, sentiment="positive")
    mentions(workspace_a, 10, at=THIS_WEEK, sentiment="negative")
    mentions(workspace_a, 10, at=THIS_WEEK, sentiment="neutral")
    mentions(workspace_a, 15, at=LAST_MONTH, sentiment="positive")
    mentions(workspace_a, 15, at=LAST_MONTH, sentiment="negative")

    result = measured(workspace_a, "enjoy_net_sentiment")["enjoy_net_sentiment"]

    assert result.status == "ok"
    assert result.n == 40
    assert result.value == 25.0
    assert result.detail["previous"] == 0.0
    assert result.detail["change"] == 25.0


def test_net_sentiment_leaves_out_our_own_posts_competitors_and_other_workspaces(workspace_a, workspace_b):
    rival = BrandFactory(workspace=workspace_a, is_competitor=True)
    mentions(workspace_a, 30, at=THIS_WEEK, sentiment="positive")
    mentions(workspace_a, 50, at=THIS_WEEK, sentiment="negative", media_type="owned")
    mentions(workspace_a, 50, at=THIS_WEEK, sentiment="negative", brand_id=rival.pk)
    mentions(workspace_b, 50, at=THIS_WEEK, sentiment="negative")

    result = measured(workspace_a, "enjoy_net_sentiment")["enjoy_net_sentiment"]

    assert (result.n, result.value) == (30, 100.0)


def test_net_sentiment_with_fewer_than_30_mentions_is_insufficient(workspace_a):
    mentions(workspace_a, 29, at=THIS_WEEK, sentiment="positive")

    result = measured(workspace_a, "enjoy_net_sentiment")["enjoy_net_sentiment"]

    assert result.status == "insufficient"
    assert result.value is None
    assert result.n == 29


def test_mid_day_window_and_business_unit_read_the_mention_rows(workspace_a):
    brand = BrandFactory(workspace=workspace_a)
    unit = brand.business_unit
    mentions(workspace_a, 30, at=THIS_WEEK, sentiment="positive", brand_id=brand.pk, business_unit_id=unit.pk)
    mentions(workspace_a, 30, at=THIS_WEEK, sentiment="negative")
    late = THIS_WEEK + timedelta(hours=2)
    mentions(workspace_a, 30, at=late, sentiment="negative", business_unit_id=unit.pk)

    by_unit = measured(workspace_a, "enjoy_net_sentiment", business_unit_id=unit.pk, until=late)
    by_brand = measured(workspace_a, "enjoy_net_sentiment", brand_id=brand.pk)

    assert (by_unit["enjoy_net_sentiment"].n, by_unit["enjoy_net_sentiment"].value) == (30, 100.0)
    assert (by_brand["enjoy_net_sentiment"].n, by_brand["enjoy_net_sentiment"].value) == (30, 100.0)


def test_positive_share_of_earned_mentions(workspace_a):
    mentions(workspace_a, 12, at=THIS_WEEK, sentiment="positive")
    mentions(workspace_a, 28, at=THIS_WEEK, sentiment="neutral")
    mentions(workspace_a, 30, at=THIS_WEEK, sentiment="positive", media_type="paid", kind="comment")

    result = measured(workspace_a, "proud_positive_earned")["proud_positive_earned"]

    assert (result.status, result.n, result.value) == ("ok", 40, 30.0)


def test_advocates_need_three_positive_mentions_and_grow_against_the_previous_90_days(workspace_a):
    for name in ("ana", "budi", "citra", "dewi"):
        mentions(workspace_a, 3, at=UNTIL - timedelta(days=10), sentiment="positive", author=name)
    mentions(workspace_a, 2, at=UNTIL - timedelta(days=10), sentiment="positive", author="eko")
    mentions(
        workspace_a,
        5,
        at=UNTIL - timedelta(days=10),
        sentiment="positive",
        author="brand",
        media_type="owned",
    )
    for name in ("ana", "budi"):
        mentions(workspace_a, 3, at=UNTIL - timedelta(days=120), sentiment="positive", author=name)

    results = measured(workspace_a, "proud_advocates", "proud_advocate_growth")

    advocates = results["proud_advocates"]
    assert (advocates.status, advocates.value, advocates.n) == ("ok", 4.0, 5)
    assert advocates.detail["previous"] == 2
    growth = results["proud_advocate_growth"]
    assert (growth.status, growth.value, growth.n) == ("ok", 100.0, 2)


def test_no_advocates_among_authors_is_a_measured_zero_but_growth_from_none_is_no_data(workspace_a):
    mentions(workspace_a, 2, at=UNTIL - timedelta(days=5), sentiment="positive", author="ana")

    results = measured(workspace_a, "proud_advocates", "proud_advocate_growth")

    assert (results["proud_advocates"].status, results["proud_advocates"].value) == ("ok", 0.0)
    assert results["proud_advocate_growth"].status == "no_data"
    assert results["proud_advocate_growth"].value is None


def test_ad_comments_answered_leaves_out_comments_too_young_to_judge(workspace_a):
    ad = {"ad_id": 7}
    old = UNTIL - timedelta(days=2)
    answered = old + timedelta(hours=3)
    mentions(
        workspace_a,
        30,
        at=old,
        media_type="paid",
        kind="comment",
        needs_answer=True,
        answered_at=answered,
        raw=ad,
    )
    mentions(
        workspace_a,
        10,
        at=old,
        media_type="paid",
        kind="comment",
        needs_answer=True,
        raw=ad,
        sentiment="negative",
    )
    mentions(
        workspace_a,
        5,
        at=UNTIL - timedelta(hours=2),
        media_type="paid",
        kind="comment",
        needs_answer=True,
        raw=ad,
    )
    # Paid mentions that are not comments on an ad, and earned comments, are not ad comments.
    mentions(workspace_a, 20, at=old, media_type="paid", kind="post", needs_answer=True, raw=ad)
    mentions(workspace_a, 20, at=old, media_type="earned", kind="comment", needs_answer=True)

    results = measured(workspace_a, "relevant_ad_comments_answered", "relevant_ad_comments_negative")

    answered_share = results["relevant_ad_comments_answered"]
    assert (answered_share.status, answered_share.n, answered_share.excluded) == ("ok", 40, 5)
    assert answered_share.value == 75.0
    negative = results["relevant_ad_comments_negative"]
    assert (negative.n, negative.value) == (45, round(100 * 10 / 45, 2))


def test_an_answer_given_after_the_window_does_not_count(workspace_a):
    old = UNTIL - timedelta(days=2)
    mentions(
        workspace_a,
        30,
        at=old,
        media_type="paid",
        kind="comment",
        needs_answer=True,
        answered_at=UNTIL + timedelta(hours=1),
        raw={"ad_id": 7},
    )

    result = measured(workspace_a, "relevant_ad_comments_answered")["relevant_ad_comments_answered"]

    assert (result.n, result.value) == (30, 0.0)
