"""The approval workflow for campaigns and the launch gate: a launch refuses while any included
variant is a draft or blocked, or while the business unit's publishing approval rule waits for an
approval."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ads.models import AdCampaign, ApprovalState, Variant, VariantStatus
from ads.services._shared import audit
from cxm.audit.services import audit_record
from cxm.tenancy import four_eyes
from cxm.tenancy.models import Membership, Role
from cxm.tenancy.permissions import has_permission
from publishing import selectors as publishing_selectors

# As in publishing: a rule naming no people and no roles lets approvers and admins approve.
DEFAULT_APPROVER_ROLES = (Role.APPROVER, Role.ADMIN)


def approval_needed(campaign: AdCampaign) -> bool:
    """Whether the campaign's business unit has a publishing approval rule."""
    if campaign.business_unit_id is None:
        return False
    return (
        publishing_selectors.approval_rules(workspace=campaign.workspace)
        .filter(business_unit_id=campaign.business_unit_id)
        .exists()
    )


def campaign_approve_refusal(*, campaign: AdCampaign, membership: Membership | None) -> str | None:
    """The publishing workflow's rule, for a campaign: an approver (publishing.approve), not its
    author (four eyes), named by the unit's rule or holding one of its roles. Returns why not, or
    None when `membership` may approve."""
    if membership is None or membership.workspace_id != campaign.workspace_id:
        return _("Only approvers can approve campaigns.")
    if not has_permission(membership, "publishing.approve"):
        return _("Only approvers can approve campaigns.")
    refusal = four_eyes.self_approval_refusal(author_id=campaign.created_by_id, membership=membership)
    if refusal is not None:
        return refusal
    rules = publishing_selectors.approval_rules(workspace=campaign.workspace).filter(
        business_unit_id=campaign.business_unit_id
    )
    for rule in rules:
        people = {user.pk for user in rule.approvers.all()}
        roles = set(rule.roles) if (people or rule.roles) else set(DEFAULT_APPROVER_ROLES)
        if membership.user_id not in people and membership.role not in roles:
            return _("You cannot approve this campaign under its business unit's rule.")
    return None


def can_approve_campaign(*, campaign: AdCampaign, membership: Membership | None) -> bool:
    return campaign_approve_refusal(campaign=campaign, membership=membership) is None


def launch_problems(campaign: AdCampaign) -> dict[str, str]:
    """Why the campaign's variants or approval keep it from launching (empty: nothing)."""
    errors: dict[str, str] = {}
    included = Variant.objects.filter(campaign=campaign, excluded=False, ad__isnull=True)
    blocked = list(included.filter(status=VariantStatus.BLOCKED).values_list("key", "violations")[:5])
    if blocked:
        count = included.filter(status=VariantStatus.BLOCKED).count()
        rules = sorted({v["rule_id"] for _, violations in blocked for v in violations if v["blocks"]})
        errors["variants"] = (
            f"{count} variants are blocked by compliance rules ({', '.join(rules)}); fix, waive or "
            "exclude them."
        )
    drafts = included.filter(status=VariantStatus.DRAFT).count()
    if drafts:
        errors["variant_errors"] = f"{drafts} variants have errors; fix or exclude them."
    if approval_needed(campaign) and campaign.approval_state != ApprovalState.APPROVED:
        errors["approval"] = (
            'The business unit requires an approval before launch: use "Submit for approval" on the '
            "campaign's page."
        )
    return errors


@transaction.atomic
def campaign_submit(*, campaign: AdCampaign, by=None, request=None) -> AdCampaign:
    """Ask the business unit's approvers to approve launching the campaign."""
    campaign = AdCampaign.objects.select_for_update().get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    if campaign.approval_state == ApprovalState.APPROVED:
        return campaign
    problems = {k: v for k, v in launch_problems(campaign).items() if k != "approval"}
    if problems:
        raise ValidationError(problems)
    campaign.approval_state = ApprovalState.SUBMITTED
    campaign.submitted_at = timezone.now()
    campaign.save(update_fields=["approval_state", "submitted_at", "updated_at"])
    audit(campaign.workspace, "ads.campaign_submit", by=by, target=campaign, request=request)
    return campaign


def _submitted_for_review(campaign: AdCampaign, membership: Membership | None, verb: str) -> AdCampaign:
    """The campaign, locked, once it is waiting and `membership` may decide on it."""
    campaign = AdCampaign.objects.select_for_update().get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    if campaign.approval_state != ApprovalState.SUBMITTED:
        raise ValidationError({"approval_state": f"Only a submitted campaign can be {verb}d."})
    if verb == "approve" and membership is not None and membership.workspace_id == campaign.workspace_id:
        four_eyes.self_approval_check(author_id=campaign.created_by_id, membership=membership)
    refusal = campaign_approve_refusal(campaign=campaign, membership=membership)
    if refusal is not None:
        raise PermissionError(refusal)
    return campaign


@transaction.atomic
def campaign_approve(*, campaign: AdCampaign, membership: Membership | None, request=None) -> AdCampaign:
    """Approve launching a submitted campaign, under the business unit's publishing approval rule."""
    campaign = _submitted_for_review(campaign, membership, "approve")
    campaign.approval_state = ApprovalState.APPROVED
    campaign.approved_by = membership.user
    campaign.approved_at = timezone.now()
    campaign.save(update_fields=["approval_state", "approved_by", "approved_at", "updated_at"])
    audit_record(
        workspace=campaign.workspace,
        actor=membership.user,
        action="ads.campaign_approve",
        target=campaign,
        after={"approval_state": campaign.approval_state},
        request=request,
        object_repr=f"campaign {campaign.name}",
    )
    return campaign


@transaction.atomic
def campaign_reject(
    *, campaign: AdCampaign, membership: Membership | None, reason: str = "", request=None
) -> AdCampaign:
    """Send a submitted campaign back to its marketer: it is no longer waiting, and can be changed
    and submitted again. Only someone who could approve it may reject it."""
    campaign = _submitted_for_review(campaign, membership, "reject")
    campaign.approval_state = ApprovalState.NONE
    campaign.submitted_at = None
    campaign.save(update_fields=["approval_state", "submitted_at", "updated_at"])
    audit_record(
        workspace=campaign.workspace,
        actor=membership.user,
        action="ads.campaign_reject",
        target=campaign,
        after={"approval_state": "rejected", "reason": reason[:500]},
        request=request,
        object_repr=f"campaign {campaign.name}",
    )
    return campaign
