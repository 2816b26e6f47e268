"""Every write in ads. Other apps use these names only (see the import contracts)."""

from ads.services.accounts import accounts_schedule_sync, ad_account_sync, ad_account_sync_request
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
from ads.services.insights import insights_pull, insights_store
from ads.services.push import campaign_push, campaigns_enqueue_due, object_push
from ads.services.stops import (
    ads_restore_after_resume,
    ads_stop_for_pause,
    restores_process,
    stop_retry,
    stops_mark_ended,
    stops_process,
)
from ads.services.tick import ads_tick

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
    "campaign_create",
    "campaign_delete",
    "campaign_launch",
    "campaign_push",
    "campaign_set_status",
    "campaign_update",
    "campaigns_enqueue_due",
    "insights_pull",
    "insights_store",
    "object_push",
    "restores_process",
    "stop_retry",
    "stops_mark_ended",
    "stops_process",
]
