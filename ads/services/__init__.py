"""Every write in ads. Other apps use these names only (see the import contracts)."""

from ads.services.accounts import accounts_schedule_sync, ad_account_sync, ad_account_sync_request
from ads.services.approval import (
    approval_needed,
    campaign_approve,
    campaign_approve_refusal,
    campaign_reject,
    campaign_submit,
    can_approve_campaign,
    launch_problems,
)
from ads.services.campaigns import (
    ad_create,
    ad_set_create,
    ad_set_set_status,
    ad_set_update,
    ad_status_set,
    ad_update,
    campaign_create,
    campaign_delete,
    campaign_launch,
    campaign_set_status,
    campaign_update,
)
from ads.services.feeds import (
    feed_create_from_url,
    feed_refresh,
    feed_upload_csv,
    feeds_refresh_due,
)
from ads.services.imports import detect_mapping, insights_import_commit, insights_import_preview
from ads.services.insights import insights_pull, insights_refresh_request, insights_store
from ads.services.optimize import proposal_apply, proposal_create, proposal_discard
from ads.services.push import campaign_push, campaigns_enqueue_due, object_push
from ads.services.stops import (
    ads_restore_after_resume,
    ads_stop_for_pause,
    restores_process,
    stop_retry,
    stops_mark_ended,
    stops_process,
)
from ads.services.templates import template_save
from ads.services.tick import ads_tick
from ads.services.variants import (
    variant_waive,
    variants_exclude,
    variants_find_replace,
    variants_generate,
    variants_validate,
)

__all__ = [
    "accounts_schedule_sync",
    "ad_account_sync",
    "ad_account_sync_request",
    "ad_create",
    "ad_set_create",
    "ad_set_set_status",
    "ad_set_update",
    "ad_status_set",
    "ad_update",
    "ads_restore_after_resume",
    "ads_stop_for_pause",
    "ads_tick",
    "approval_needed",
    "campaign_approve",
    "campaign_approve_refusal",
    "campaign_create",
    "campaign_delete",
    "campaign_launch",
    "campaign_push",
    "campaign_reject",
    "campaign_set_status",
    "campaign_submit",
    "campaign_update",
    "campaigns_enqueue_due",
    "can_approve_campaign",
    "detect_mapping",
    "feed_create_from_url",
    "feed_refresh",
    "feed_upload_csv",
    "feeds_refresh_due",
    "insights_import_commit",
    "insights_import_preview",
    "insights_pull",
    "insights_refresh_request",
    "insights_store",
    "launch_problems",
    "object_push",
    "proposal_apply",
    "proposal_create",
    "proposal_discard",
    "restores_process",
    "stop_retry",
    "stops_mark_ended",
    "stops_process",
    "template_save",
    "variant_waive",
    "variants_exclude",
    "variants_find_replace",
    "variants_generate",
    "variants_validate",
]

