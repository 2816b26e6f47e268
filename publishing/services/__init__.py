"""Every write in publishing. Other apps use these names only (see the import contracts)."""

from publishing.services.dispatch import (
    held_targets_decide,
    post_status_refresh,
    target_publish,
    target_retry,
    targets_enqueue_due,
    targets_publish,
)
from publishing.services.metrics import metrics_pull
from publishing.services.pause import pause_activate, pause_covering, pause_resume, publish_permit
from publishing.services.posts import (
    approval_rule_set,
    approval_rules,
    campaign_for,
    can_approve,
    media_attach,
    needs_approval,
    post_approve,
    post_cancel,
    post_checks,
    post_comment,
    post_create,
    post_request_changes,
    post_reschedule,
    post_submit,
    post_update,
)

__all__ = [
    "approval_rule_set",
    "approval_rules",
    "campaign_for",
    "can_approve",
    "held_targets_decide",
    "media_attach",
    "metrics_pull",
    "needs_approval",
    "pause_activate",
    "pause_covering",
    "pause_resume",
    "post_approve",
    "post_cancel",
    "post_checks",
    "post_comment",
    "post_create",
    "post_request_changes",
    "post_reschedule",
    "post_status_refresh",
    "post_submit",
    "post_update",
    "publish_permit",
    "target_publish",
    "target_retry",
    "targets_enqueue_due",
    "targets_publish",
]
