"""Budget proposals: a split of a campaign's ad set budgets, proposed, then applied or discarded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ads.models.campaigns import AdCampaign
from cxm.db.fields import WorkspaceForeignKey
from cxm.tenancy.models import WorkspaceOwned


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class OptimizerProposal(WorkspaceOwned):
    """A budget split the optimiser proposed for a campaign's ad sets, and what became of it.
    `moves`: [{"ad_set", "current", "proposed", "probability_best", "posterior", "limited_by",
    "explanation"}], money in the campaign currency's minor units."""

    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="proposals")
    objective = models.CharField(max_length=16, default="value")
    basis = models.CharField(max_length=16, default="campaign")
    max_change = models.CharField(max_length=16, default="1/10")
    total = models.BigIntegerField()
    moves = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "campaign", "status"], name="ads_proposal_ws_campaign")]

    def __str__(self) -> str:
        return f"proposal {self.pk} for campaign {self.campaign_id}"
