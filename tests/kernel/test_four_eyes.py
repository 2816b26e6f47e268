"""Four eyes: nobody approves their own post or ad campaign, in the pages or the API. A workspace
may let its admins (only them) approve their own work; that setting is off by default and every
change of it is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.models import AdCampaign, ApprovalState
from ads.services import campaign_approve, campaign_create
from cxm.audit.models import AuditEntry
from cxm.channels.models import ChannelAccount
from cxm.tenancy.four_eyes import SelfApprovalRefused
from cxm.tenancy.models import Role
from publishing.models import PostStatus
from publishing.services import approval_rule_set, post_approve, post_create, post_submit
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db

REFUSAL = "You wrote this, so someone else has to approve it (four eyes)."


@pytest.fixture
def unit(workspace_a):
    """A business unit whose posts and campaigns wait for an approver or an admin."""
    unit = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER, Role.ADMIN])
    return unit


def _post_in_review(unit, author):
    account, _ = ChannelAccount.objects.get_or_create(
        workspace=unit.workspace, platform="demo", handle="brand", defaults={"business_unit": unit}
    )
    post = post_create(
        workspace=unit.workspace,
        text="Cold brew is back",
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(hours=2),
        by=author.user,
    )
    post = post_submit(post=post, by=author.user)
    assert post.status == PostStatus.IN_REVIEW
    return post


def _submitted_campaign(unit, author):
    account, _ = ChannelAccount.objects.get_or_create(
        workspace=unit.workspace,
        platform="meta_ads",
        handle="act_1",
        defaults={"business_unit": unit, "credentials": {"access_token": "x"}},
    )
    campaign = campaign_create(
        workspace=unit.workspace,
        account=account,
        name="Launch",
        currency="USD",
        daily_budget=100,
        by=author.user,
    )
    # submitted: a submit needs generated variants, which this rule does not depend on
    AdCampaign.objects.filter(pk=campaign.pk).update(approval_state=ApprovalState.SUBMITTED)
    campaign.refresh_from_db()
    return campaign


def _allow_admin_self_approval(workspace, on=True):
    workspace.allow_admin_self_approval = on
    workspace.save(update_fields=["allow_admin_self_approval"])


# --- posts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.APPROVER])
def test_an_author_cannot_approve_their_own_post_in_the_service(unit, member, role):
    author = member(unit.workspace, role)
    post = _post_in_review(unit, author)
    with pytest.raises(SelfApprovalRefused, match="four eyes"):
        post_approve(post=post, membership=author)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW and post.approved_by is None


@pytest.mark.parametrize("role", [Role.ADMIN, Role.APPROVER])
def test_the_api_refuses_self_approval_of_a_post_with_403_self_approval(api, unit, member, role):
    author = member(unit.workspace, role)
    post = _post_in_review(unit, author)
    response = api(author).post(f"/api/v1/posts/{post.pk}/approve/", {"comment": "mine"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"status": 403, "code": "self_approval", "detail": REFUSAL}
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_someone_else_approves_the_post(api, unit, member):
    post = _post_in_review(unit, member(unit.workspace, Role.ADMIN))
    response = api(member(unit.workspace, Role.APPROVER)).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"


def test_the_post_page_hides_approve_from_its_author_and_says_why(client, unit, member):
    author = member(unit.workspace, Role.ADMIN)
    post = _post_in_review(unit, author)
    client.force_login(author.user)
    html = client.get(f"/publishing/posts/{post.pk}/").content.decode()
    assert f'action="/publishing/posts/{post.pk}/approve/"' not in html
    assert "someone else has to approve it" in html
    review = client.get("/publishing/review/").content.decode()
    assert f'action="/publishing/posts/{post.pk}/approve/"' not in review
    assert "someone else has to approve it" in review

    client.force_login(member(unit.workspace, Role.APPROVER).user)
    assert (
        f'action="/publishing/posts/{post.pk}/approve/"'
        in client.get(f"/publishing/posts/{post.pk}/").content.decode()
    )


def test_a_self_approval_posted_from_the_page_is_refused_with_a_message(client, unit, member):
    author = member(unit.workspace, Role.ADMIN)
    post = _post_in_review(unit, author)
    client.force_login(author.user)
    response = client.post(f"/publishing/posts/{post.pk}/approve/", follow=True)
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_with_the_setting_on_an_admin_approves_their_own_post(api, unit, member):
    _allow_admin_self_approval(unit.workspace)
    admin = member(unit.workspace, Role.ADMIN)
    post = _post_in_review(unit, admin)
    response = api(admin).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"


def test_with_the_setting_on_an_approver_still_cannot_approve_their_own_post(api, unit, member):
    _allow_admin_self_approval(unit.workspace)
    approver = member(unit.workspace, Role.APPROVER)
    post = _post_in_review(unit, approver)
    response = api(approver).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["code"] == "self_approval"


# --- ad campaigns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.APPROVER])
def test_the_api_refuses_self_approval_of_a_campaign_with_403_self_approval(api, unit, member, role):
    author = member(unit.workspace, role)
    campaign = _submitted_campaign(unit, author)
    response = api(author).post(f"/api/v1/ads/campaigns/{campaign.pk}/approve/")
    assert response.status_code == 403
    assert response.json() == {"status": 403, "code": "self_approval", "detail": REFUSAL}
    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.SUBMITTED


def test_the_campaign_service_refuses_self_approval_and_lets_another_approver(unit, member):
    author = member(unit.workspace, Role.APPROVER)
    campaign = _submitted_campaign(unit, author)
    with pytest.raises(SelfApprovalRefused):
        campaign_approve(campaign=campaign, membership=author)
    campaign = campaign_approve(campaign=campaign, membership=member(unit.workspace, Role.APPROVER))
    assert campaign.approval_state == ApprovalState.APPROVED


def test_with_the_setting_on_only_an_admin_approves_their_own_campaign(api, unit, member):
    _allow_admin_self_approval(unit.workspace)
    approver = member(unit.workspace, Role.APPROVER)
    refused = api(approver).post(f"/api/v1/ads/campaigns/{_submitted_campaign(unit, approver).pk}/approve/")
    assert refused.status_code == 403 and refused.json()["code"] == "self_approval"

    admin = member(unit.workspace, Role.ADMIN)
    campaign = _submitted_campaign(unit, admin)
    response = api(admin).post(f"/api/v1/ads/campaigns/{campaign.pk}/approve/")
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.APPROVED


# --- the setting ---------------------------------------------------------------------------------------


def test_the_setting_is_off_by_default(workspace_a):
    assert workspace_a.allow_admin_self_approval is False


def test_an_admin_turns_the_setting_on_in_admin_security_and_it_is_audited(client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)
    page = client.get("/admin/security/").content.decode()
    assert 'name="allow_admin_self_approval"' in page
    response = client.post("/admin/security/", {"allow_admin_self_approval": "on"}, follow=True)
    assert "Security settings saved." in response.content.decode()
    workspace_a.refresh_from_db()
    assert workspace_a.allow_admin_self_approval is True
    entry = AuditEntry.objects.get(workspace=workspace_a, action="workspace.security")
    assert entry.actor == admin.user
    assert entry.before["allow_admin_self_approval"] is False
    assert entry.after["allow_admin_self_approval"] is True


def test_the_api_reads_and_changes_the_setting_and_it_is_audited(api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    client = api(admin)
    assert client.get("/api/v1/workspace-settings/").json()["allow_admin_self_approval"] is False
    response = client.patch("/api/v1/workspace-settings/", {"allow_admin_self_approval": True}, format="json")
    assert response.status_code == 200
    assert response.json()["allow_admin_self_approval"] is True
    workspace_a.refresh_from_db()
    assert workspace_a.allow_admin_self_approval is True
    entry = AuditEntry.objects.get(workspace=workspace_a, action="workspace.security")
    assert (entry.before["allow_admin_self_approval"], entry.after["allow_admin_self_approval"]) == (
        False,
        True,
    )


@pytest.mark.parametrize("role", [Role.APPROVER, Role.LEADER, Role.MARKETER])
def test_only_admins_change_the_setting(api, workspace_a, member, role):
    response = api(member(workspace_a, role)).patch(
        "/api/v1/workspace-settings/", {"allow_admin_self_approval": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    workspace_a.refresh_from_db()
    assert workspace_a.allow_admin_self_approval is False
    assert not AuditEntry.objects.filter(action="workspace.security").exists()
