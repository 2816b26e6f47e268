"""What `make run` does to start the demo, for the demo's tests."""

from __future__ import annotations

from django.core.management import call_command

from care.models import Message
from care.services import message_deliver
from care.tasks import demo_activity as demo_activity_task
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Workspace
from cxm.tenancy.services import platform_bootstrap


def demo_start(*, runs_of_activity: int = 0) -> Workspace:
    """What `make run` does on a fresh clone, then the workers' rounds."""
    platform_bootstrap()
    call_command("listening_seed_demo")
    call_command("publishing_seed_demo")
    call_command("demo_seed")
    call_command("ads_seed_demo")
    workspace = Workspace.objects.get(slug="demo")
    for _ in range(runs_of_activity):
        streams_read(workspace)
        demo_activity_task()
        replies_sent(workspace)
    return workspace


def streams_read(workspace: Workspace) -> None:
    for account in ChannelAccount.objects.filter(workspace=workspace, platform="demo"):
        account_sync(account_id=account.pk, workspace_id=workspace.pk)


def replies_sent(workspace: Workspace) -> None:
    for message_id in Message.objects.filter(workspace=workspace, status="queued").values_list(
        "pk", flat=True
    ):
        message_deliver(message_id=message_id, workspace_id=workspace.pk)
