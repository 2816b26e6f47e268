"""The Demo workspace's ad account on the demo ad network, read in through the real pipelines:
the sync, the insights pull and the comments pull, each as the workers would run them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model

from ads.comments import ad_comments_pull, ads_with_comments
from ads.models import AdCampaign, AdInsight, OptimizerProposal, ProposalStatus
from ads.services.accounts import ad_account_sync
from ads.services.insights import insights_pull
from ads.services.optimize import proposal_apply, proposal_create
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Brand, Workspace

DEMO_SLUG = "demo"
DEMO_AD_ACCOUNT = "act_1000000001"
DEMO_BRAND = "Kopi Nusantara"
DEMO_MARKETER = "demo.andi"  # one of the demo colleagues care's demo set-up adds


@dataclass
class DemoAdsSeed:
    created: bool
    campaigns: int
    insights: int
    comments: int


def demo_ads_seed() -> DemoAdsSeed | None:
    """The demo workspace's ad account, while the demo is on (None otherwise), its budget
    proposal applied by the demo marketer once they exist."""
    if not settings.CXM_DEMO:
        return None
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is None:
        return None
    marketer = get_user_model().objects.filter(username=DEMO_MARKETER).first()
    return demo_ad_account_seed(workspace=workspace, marketer=marketer)


def demo_ad_account_seed(*, workspace: Workspace, marketer=None) -> DemoAdsSeed:
    """The demo ad account (once) and what it holds, read in now so the ads pages show numbers
    at once, and one budget proposal applied by the demo `marketer` (once); safe to run again
    (it reads in what is new)."""
    account = ChannelAccount.objects.filter(
        workspace=workspace, platform="meta_ads", handle=DEMO_AD_ACCOUNT
    ).first()
    created = account is None
    if account is None:
        brand = Brand.objects.filter(workspace=workspace, name=DEMO_BRAND).first()
        account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="meta_ads",
            handle=DEMO_AD_ACCOUNT,
            display_name="Demo ad account (demo network)",
            brand=brand,
            business_unit=brand.business_unit if brand else None,
            country="ID",
            language="id",
            options={"demo_network": True, "page_id": "demo-page"},
        )
    ad_account_sync(account_id=account.pk, workspace_id=workspace.pk)
    insights_pull(account_id=account.pk, workspace_id=workspace.pk)
    comments = 0
    for ad_id in (
        ads_with_comments(workspace_id=workspace.pk)
        .filter(campaign__account=account)
        .values_list("pk", flat=True)
    ):
        comments += ad_comments_pull(ad_id=ad_id).accepted
    if marketer is not None:
        _proposal_applied(account, marketer)
    return DemoAdsSeed(
        created=created,
        campaigns=AdCampaign.objects.filter(account=account).count(),
        insights=AdInsight.objects.filter(campaign__account=account).count(),
        comments=comments,
    )


def _proposal_applied(account: ChannelAccount, marketer) -> None:
    """The optimiser's split of the ad-set budgets, proposed and applied once, as a marketer would."""
    campaign = AdCampaign.objects.filter(
        account=account, daily_budget__isnull=True, lifetime_budget__isnull=True
    ).first()
    if (
        campaign is None
        or OptimizerProposal.objects.filter(campaign=campaign, status=ProposalStatus.APPLIED).exists()
    ):
        return
    proposal = proposal_create(campaign=campaign, by=marketer, seed=1)
    proposal_apply(proposal=proposal, by=marketer)
