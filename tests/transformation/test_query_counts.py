"""The Transformation overview (the page and the capabilities API) reads in a fixed number of
queries, whether the workspace has 3 business units, brands, respondents and days of
snapshots, or 10."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxm.tenancy.models import Role
from tests.factories import BrandFactory, BusinessUnitFactory
from tests.query_counts import queries_of
from tests.transformation.snapshots import snapshot_today
from transformation import assessment
from transformation.capabilities import CAPABILITY_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def grow(workspace_a, admin, member):
    """grow(start, count): that many more business units and brands, respondents to the open
    assessment round, and days of KPI snapshots (today's among them)."""
    opened = assessment.round_create(workspace=workspace_a, name="Q1 2027", by=admin.user)
    today = timezone.now().date()

    def more(start: int, count: int) -> None:
        for n in range(start, start + count):
            BusinessUnitFactory(workspace=workspace_a, name=f"Region {n}")
            BrandFactory(workspace=workspace_a, name=f"Brand {n}")
            respondent = member(workspace_a, [Role.AGENT, Role.MARKETER, Role.ANALYST][n % 3])
            assessment.response_submit(
                assessment_round=opened,
                user=respondent.user,
                scores={key: 1 + (n + i) % 5 for i, key in enumerate(CAPABILITY_KEYS)},
                workspace_role=respondent.role,
            )
            snapshot = snapshot_today(
                workspace_a,
                {"heard_answered_share": {"value": 50.0 + n, "n": 100, "status": "ok"}},
                day=today - timedelta(days=n),
            )
            snapshot.capabilities = {
                "heard": {"score": 5 + n / 10, "level": 3, "weakest": "heard_answered_share"}
            }
            snapshot.save()

    return more


def _same_for_3_and_10(grow, get, django_assert_num_queries) -> None:
    grow(0, 3)
    get()  # per-workspace caches filled, as they are after the first request of a session
    with_3 = queries_of(get)
    grow(3, 7)
    with django_assert_num_queries(with_3):
        get()


def test_the_overview_takes_the_same_queries_for_3_and_10_units_respondents_and_days(
    client, admin, grow, django_assert_num_queries
):
    client.force_login(admin.user)
    _same_for_3_and_10(grow, lambda: client.get("/transformation/"), django_assert_num_queries)
    page = client.get("/transformation/")
    assert len(page.context["scope"]["brands"]) == 10 and "<polyline" in page.content.decode()


def test_the_capabilities_api_takes_the_same_queries_for_3_and_10_units_respondents_and_days(
    api, admin, grow, django_assert_num_queries
):
    client = api(admin)
    _same_for_3_and_10(
        grow, lambda: client.get("/api/v1/transformation/capabilities/"), django_assert_num_queries
    )
