"""Care answers X: a direct message read by the account's sync opens a case whose reply goes back
to that person once, and a public mention's case is answered with a reply under the post once,
even when X's first answer is lost on the way back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from care.models import Case, DeliveryStatus
from care.services import case_open_from_mention, case_reply, message_deliver
from cxm.channels.services.sync import account_sync
from tests.channels.x_accounts import connected, x_stand_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def x(settings):
    with x_stand_in(settings) as stub:
        yield stub


@pytest.fixture
def account(workspace_a, x):
    return connected(workspace_a, x)


def _deliver(message, *, later=timedelta(0)):
    result = message_deliver(
        message_id=message.pk, workspace_id=message.workspace_id, now=timezone.now() + later
    )
    message.refresh_from_db()
    return result


def test_a_direct_message_opens_a_case_whose_reply_reaches_the_person_once(account, x):
    budi = x.add_user("budi", "Budi Santoso")
    account_sync(account_id=account.pk, workspace_id=account.workspace_id)  # where "new" starts
    x.add_dm("Halo, pesanan saya belum sampai", sender=budi)
    account_sync(account_id=account.pk, workspace_id=account.workspace_id)
    case = Case.objects.get(workspace=account.workspace, channel_account=account)
    assert case.channel_kind == "dm"

    reply = case_reply(case=case, text="Kami cek sekarang ya.")
    x.lose_next("POST", f"/2/dm_conversations/with/{budi}/messages")  # sent, answer lost
    assert _deliver(reply).outcome == "retry"
    assert _deliver(reply, later=timedelta(hours=1)).outcome == "sent"

    sent = [e for e in x.dm_events if e["sender_id"] == x.me["id"]]
    assert [e["text"] for e in sent] == ["Kami cek sekarang ya."]
    assert reply.status == DeliveryStatus.SENT and reply.external_id == sent[0]["id"]
    assert _deliver(reply, later=timedelta(hours=2)).outcome == "skipped"


def test_a_mentions_case_is_answered_under_the_post_once(account, x):
    ana = x.add_user("ana_putri", "Ana Putri")
    question = x.add_post("@XDevelopers is the oat latte vegan?", author=ana)
    case = case_open_from_mention(
        workspace=account.workspace,
        mention={
            "platform": "x",
            "external_id": question,
            "text": "@XDevelopers is the oat latte vegan?",
            "created_at": timezone.now(),
            "url": f"https://x.com/ana_putri/status/{question}",
            "author": {"id": ana, "handle": "@ana_putri", "name": "Ana Putri"},
            "account_id": account.pk,
        },
    )

    reply = case_reply(case=case, text="Yes, fully vegan!")
    x.lose_next("POST", "/2/tweets")
    assert _deliver(reply).outcome == "retry"
    assert _deliver(reply, later=timedelta(hours=1)).outcome == "sent"

    (answer,) = x.posts_by(x.me["id"])
    assert answer["referenced_tweets"] == [{"type": "replied_to", "id": question}]
    assert reply.external_id == answer["id"]
    assert [r.status for r in x.calls("POST", "/2/tweets")] == [201, 403]
