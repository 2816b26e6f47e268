"""A channel account on a Meta stand-in (Facebook Page or Instagram) and a care case opened by a
comment there, for the tests that act on comments from a case: hiding and liking them, deleting
our reply."""

from __future__ import annotations

from datetime import UTC, datetime

from care import services as care_services
from care.models import Case
from cxm.channels.models import ChannelAccount

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def stand_in_account(workspace, platform: str, stub, handle: str, token: str) -> ChannelAccount:
    workspace.allow_private_webhook_targets = True  # the stand-ins listen on 127.0.0.1
    workspace.save(update_fields=["allow_private_webhook_targets"])
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform=platform,
        handle=handle,
        display_name=handle,
        base_url=stub.base_url,
        credentials={"access_token": token},
    )


def comment_case(
    workspace, account: ChannelAccount, external_id: str, text="@kopi why is my order late?"
) -> Case:
    """The case the comment `external_id` on the account's platform opens (a negative mention of us)."""
    (case_id,) = care_services.cases_open_from_mentions(
        workspace_id=workspace.pk,
        mentions=[
            {
                "platform": account.platform,
                "external_id": external_id,
                "text": text,
                "created_at": AT,
                "url": "https://www.facebook.com/x",
                "author": {"id": "900001", "handle": "ana", "name": "Ana Putri"},
                "account_id": account.pk,
                "names_us": True,
                "sentiment": "negative",
            }
        ],
    )
    return Case.objects.get(pk=case_id)
