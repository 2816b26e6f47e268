"""Every write to channel accounts, by concern. Other apps import from here
(`cxm.channels.services`); the channels app's own modules import the submodules:

accounts  connect, edit, pause, resume, remove; the connector an account builds
health    try the credentials now; record what a failed call said; the platform throttling it
sync      read an account in, page by page; schedule the due ones
imports   accounts from CSV
webhooks  inbound webhook deliveries
demo      the demo network's accounts
deletion  taking a post or our own comment back off its platform
"""

from cxm.channels.services.accounts import account_connector
from cxm.channels.services.deletion import (
    SKIPPED,
    DeletionFields,
    DeletionResult,
    deletion_attempt,
    not_allowed_reason,
    platform_delete,
)
from cxm.channels.services.demo import demo_accounts_seed
from cxm.channels.services.health import account_throttle, account_throttle_lift

__all__ = [
    "SKIPPED",
    "DeletionFields",
    "DeletionResult",
    "account_connector",
    "account_throttle",
    "account_throttle_lift",
    "deletion_attempt",
    "demo_accounts_seed",
    "not_allowed_reason",
    "platform_delete",
]
