"""An ad account read in from the Graph API stand-in whose objects leave out every field Meta may
leave out: a campaign without budget or objective, an ad set without targeting or budget, a
creative without link or text, an ad archived there, an ad with insights that hold no conversions, a comment without
its author. Real accounts are like this; the API and pages must show them, not fail on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import override_settings

from ads.comments import ad_comments_pull
from ads.models import Ad
from ads.services import ad_account_sync
from ads.services.insights import insights_pull
from cxm.channels.models import ChannelAccount
from tests.ads.stubs.graph_server import TOKEN, GraphStub


def sparse_ad_account_sync(*, workspace, business_unit=None) -> Ad:
    """Sync one sparse account into `workspace`; answers the ad whose creative has no link."""
    # The stand-in listens on 127.0.0.1.
    with override_settings(CXM_WEBHOOK_ALLOW_PRIVATE=True), GraphStub() as graph:
        account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="meta_ads",
            handle=graph.account_path,
            base_url=graph.base_url,
            credentials={"access_token": TOKEN},
            options={"page_id": graph.page_id, "rate_limit_default_seconds": 1},
            business_unit=business_unit,
        )
        campaign = graph.add_campaign("Page likes", status="PAUSED")
        for optional in ("objective", "special_ad_categories", "buying_type"):
            campaign.pop(optional, None)
        ad_set = graph.add_adset(campaign, "Everyone")
        for optional in ("targeting", "billing_event", "optimization_goal"):
            ad_set.pop(optional, None)
        no_link = graph.add_creative("Boosted post", link=None)
        no_text = graph.add_creative("Image only", message=None, link=None)
        remote = graph.add_ad(ad_set, no_link, "Boosted post ad", status="PAUSED")
        graph.add_ad(ad_set, no_text, "Image only ad", status="ARCHIVED")
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
        graph.add_insight(remote["id"], yesterday, impressions=120, clicks=3, spend="1.50")
        comment = graph.add_comment(no_link["effective_object_story_id"], '=HYPERLINK("http://x")')
        comment.pop("from", None)
        assert ad_account_sync(account_id=account.pk, workspace_id=workspace.pk).outcome == "ok"
        insights_pull(account_id=account.pk, workspace_id=workspace.pk, since=yesterday)
        ad = Ad.objects.get(workspace=workspace, external_id=remote["id"])
        ad_comments_pull(ad_id=ad.pk)
    return ad
