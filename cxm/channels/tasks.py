from celery import shared_task

from cxm.channels import selectors
from cxm.channels.services import meta_webhooks
from cxm.channels.services.sync import account_sync, accounts_schedule_due


@shared_task(name="channels.poll_due")
def poll_due() -> int:
    return accounts_schedule_due(due=selectors.accounts_due_for_sync(), enqueue=sync_account.delay)


@shared_task(name="channels.sync_account", soft_time_limit=300)
def sync_account(*, account_id: int, workspace_id: int) -> str:
    return account_sync(account_id=account_id, workspace_id=workspace_id).outcome


@shared_task(name="channels.meta_event_read", soft_time_limit=120)
def meta_event_read(*, account_id: int, workspace_id: int, event: dict) -> str:
    return meta_webhooks.meta_event_read(account_id=account_id, workspace_id=workspace_id, event=event)
