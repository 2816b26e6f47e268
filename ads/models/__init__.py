"""Ads' models, by concern; every model is imported here so that Django finds them, and the ads
modules import them from here (`ads.models`):

campaigns       ad accounts' state, campaigns, ad sets, ads, insights, and what the pause stopped
creatives       product feeds, creative templates, variants, compliance waivers
proposals       budget proposals
comment_alerts  spikes of negative comments under an ad

Money is an integer in the currency's minor unit (see `ads.money`): budgets, spend and
conversion value alike.
"""

from ads.models.campaigns import (
    AD_PLATFORMS,
    IMPORT_PLATFORMS,
    Ad,
    AdAccountState,
    AdCampaign,
    AdInsight,
    AdSet,
    AdStatus,
    ApprovalState,
    CampaignStop,
    Objective,
    Origin,
    PlatformObject,
    PushState,
    StopState,
    SyncStatus,
    new_ref,
)
from ads.models.comment_alerts import AdCommentAlert
from ads.models.creatives import ComplianceWaiver, CreativeTemplate, Feed, FeedSource, Variant, VariantStatus
from ads.models.proposals import OptimizerProposal, ProposalStatus

__all__ = [
    "AD_PLATFORMS",
    "IMPORT_PLATFORMS",
    "Ad",
    "AdAccountState",
    "AdCampaign",
    "AdCommentAlert",
    "AdInsight",
    "AdSet",
    "AdStatus",
    "ApprovalState",
    "CampaignStop",
    "ComplianceWaiver",
    "CreativeTemplate",
    "Feed",
    "FeedSource",
    "Objective",
    "OptimizerProposal",
    "Origin",
    "PlatformObject",
    "ProposalStatus",
    "PushState",
    "StopState",
    "SyncStatus",
    "Variant",
    "VariantStatus",
    "new_ref",
]
