"""A campaign's approval walked on its page: the marketer submits, an approver (another person)
approves or sends it back, and only then does Launch go through."""

from __future__ import annotations

import pytest

from ads.models import ApprovalState
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from publishing.models import ApprovalRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(build_campaign, workspace_a, unit, marketer):
    ApprovalRule.objects.create(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    campaign = build_campaign()
    campaign.created_by = marketer.user
    campaign.save(update_fields=["created_by"])
    assert campaign.business_unit == unit
    return campaign


def _as(client, membership):
    client.force_login(membership.user)
    return client


def test_the_marketer_submits_the_campaign_from_its_page(client, campaign, marketer):
    page = _as(client, marketer).get(f"/ads/campaigns/{campaign.pk}/").content.decode()
    assert "Submit for approval" in page and f"/ads/campaigns/{campaign.pk}/submit/" in page

    answer = client.post(f"/ads/campaigns/{campaign.pk}/submit/", follow=True)

    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.SUBMITTED
    assert "Submitted for approval." in answer.content.decode()
    assert "Submit for approval" not in client.get(f"/ads/campaigns/{campaign.pk}/").content.decode()


def test_an_approver_approves_a_submitted_campaign_and_then_it_launches(
    client, campaign, marketer, approver, graph
):
    _as(client, marketer).post(f"/ads/campaigns/{campaign.pk}/submit/")
    refused = client.post(f"/ads/campaigns/{campaign.pk}/launch/")
    assert refused.status_code == 400 and "Submit for approval" in refused.content.decode()

    page = _as(client, approver).get(f"/ads/campaigns/{campaign.pk}/").content.decode()
    assert f"/ads/campaigns/{campaign.pk}/approve/" in page
    client.post(f"/ads/campaigns/{campaign.pk}/approve/")

    campaign.refresh_from_db()
    assert (campaign.approval_state, campaign.approved_by) == (ApprovalState.APPROVED, approver.user)
    launched = _as(client, marketer).post(f"/ads/campaigns/{campaign.pk}/launch/")
    assert launched.status_code == 302


def test_an_approver_sends_a_campaign_back_with_a_reason(client, campaign, marketer, approver):
    _as(client, marketer).post(f"/ads/campaigns/{campaign.pk}/submit/")

    _as(client, approver).post(f"/ads/campaigns/{campaign.pk}/reject/", {"reason": "Claim too strong"})

    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.NONE
    entry = AuditEntry.objects.get(action="ads.campaign_reject")
    assert (entry.actor, entry.after["reason"]) == (approver.user, "Claim too strong")
    page = _as(client, marketer).get(f"/ads/campaigns/{campaign.pk}/").content.decode()
    assert "Submit for approval" in page


def test_a_marketer_sees_no_approve_control_and_cannot_approve(client, campaign, marketer):
    _as(client, marketer).post(f"/ads/campaigns/{campaign.pk}/submit/")

    page = client.get(f"/ads/campaigns/{campaign.pk}/").content.decode()
    assert f"/ads/campaigns/{campaign.pk}/approve/" not in page
    assert client.post(f"/ads/campaigns/{campaign.pk}/approve/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.SUBMITTED


def test_another_workspaces_approver_gets_not_found(client, campaign, marketer, workspace_b, member):
    _as(client, marketer).post(f"/ads/campaigns/{campaign.pk}/submit/")

    outsider = member(workspace_b, Role.APPROVER)
    assert _as(client, outsider).post(f"/ads/campaigns/{campaign.pk}/approve/").status_code == 404
    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.SUBMITTED


def test_reject_through_the_api_answers_the_campaign_back_in_draft(api, campaign, marketer, approver):
    api(marketer).post(f"/api/v1/ads/campaigns/{campaign.pk}/submit/")

    answer = api(approver).post(
        f"/api/v1/ads/campaigns/{campaign.pk}/reject/", {"reason": "Wrong price"}, format="json"
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["approval_state"] == ""
    assert api(marketer).post(f"/api/v1/ads/campaigns/{campaign.pk}/reject/").status_code == 403
