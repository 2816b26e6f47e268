"""A customer writes to the brand's Telegram bot: the private message becomes a case, and the agent's
answer goes out once, quoting the customer, however often its send task is delivered."""

from __future__ import annotations

import pytest

from care import services
from care.models import Case, DeliveryStatus, Direction
from cxm.channels.connectors.base import AccountConfig
from cxm.channels.connectors.telegram import TelegramConnector
from tests.care.conftest import make_account, receive
from tests.channels.stubs.telegram_server import BOT, TOKEN, TelegramStub, fixture

pytestmark = pytest.mark.django_db

CHAT = 5550001234
GROUP_CHAT = -1001234567890


@pytest.fixture
def telegram():
    with TelegramStub() as stub:
        yield stub


@pytest.fixture
def bot_account(workspace_a, telegram):
    return make_account(
        workspace_a,
        platform="telegram",
        handle=BOT["username"],
        base_url=telegram.base_url,
        credentials={"bot_token": TOKEN},
        options={"bot_id": str(BOT["id"]), "delivery": "polling"},
    )


def connector_for(stub: TelegramStub):
    def build(account):
        return TelegramConnector(
            AccountConfig(
                platform="telegram",
                handle=account.handle,
                base_url=stub.base_url,
                credentials={"bot_token": TOKEN},
                options=dict(account.options),
                allow_private_targets=True,
            )
        )

    return build


@pytest.fixture
def tg_case(bot_account, telegram):
    update = fixture("update_private_text.json")
    telegram.know(update["message"])
    receive(bot_account, *connector_for(telegram)(bot_account).update_items(update))
    return Case.objects.get(workspace=bot_account.workspace, platform="telegram")


def deliver(reply, telegram):
    return services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=connector_for(telegram)
    )


def test_a_private_message_opens_a_case_for_the_telegram_user(tg_case):
    assert tg_case.channel_kind == "dm"
    inbound = tg_case.messages.get(direction=Direction.INBOUND)
    assert inbound.external_id == f"{CHAT}:42"
    assert inbound.author_handle == "@sariwulan"
    assert inbound.text.startswith("Halo, pesanan saya nomor 48213")


def test_the_reply_goes_out_once_even_when_its_task_is_delivered_twice(tg_case, telegram):
    reply = services.case_reply(case=tg_case, text="Maaf ya Kak Sari, kami cek pesanan 48213 sekarang.")

    assert deliver(reply, telegram).outcome == "sent"
    assert deliver(reply, telegram).outcome == "skipped"

    (sent,) = telegram.sent
    assert sent["chat_id"] == CHAT
    assert sent["reply_parameters"]["message_id"] == 42
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert reply.external_id.startswith(f"{CHAT}:")


def test_a_task_delivered_again_while_the_first_is_sending_does_nothing(tg_case, telegram):
    reply = services.case_reply(case=tg_case, text="Sebentar ya Kak, kami cek dulu.")
    build = connector_for(telegram)
    during_send = []

    class SecondDeliveryMidSend:
        """The same task arrives again while the first worker's sendMessage is on the wire."""

        def __init__(self, account):
            self.connector = build(account)

        def reply(self, outgoing):
            during_send.append(deliver(reply, telegram).outcome)
            return self.connector.reply(outgoing)

    outcome = services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=SecondDeliveryMidSend
    )

    assert (outcome.outcome, during_send) == ("sent", ["skipped"])
    assert len(telegram.sent) == 1


def test_a_case_from_a_group_mention_is_answered_in_the_group_quoting_it(bot_account, telegram):
    update = fixture("update_group_mention.json")
    telegram.know(update["message"])
    (item,) = connector_for(telegram)(bot_account).update_items(update)
    case = services.case_open_from_mention(
        workspace=bot_account.workspace,
        mention={
            "platform": item.platform,
            "external_id": item.external_id,
            "text": item.text,
            "created_at": item.created_at,
            "author": {"id": item.author.platform_id, "handle": item.author.handle},
            "account_id": bot_account.pk,
        },
    )
    reply = services.case_reply(case=case, text="Masih ada Kak, di semua toko Bandung.")

    assert deliver(reply, telegram).outcome == "sent"

    (sent,) = telegram.sent
    assert sent["chat_id"] == GROUP_CHAT and sent["reply_parameters"]["message_id"] == 1907


def test_a_customer_who_blocked_the_bot_fails_the_reply_with_the_reason(tg_case, telegram):
    telegram.block(CHAT)
    reply = services.case_reply(case=tg_case, text="Maaf ya Kak.")

    assert deliver(reply, telegram).outcome == "failed"

    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    assert "blocked the bot" in reply.error
    tg_case.channel_account.refresh_from_db()
    assert tg_case.channel_account.status == "connected"  # the bot's token is fine


def test_a_rate_limited_reply_waits_what_telegram_asked(tg_case, telegram):
    telegram.fail_next("too_many_requests")
    reply = services.case_reply(case=tg_case, text="Maaf ya Kak.")

    result = deliver(reply, telegram)

    assert result.outcome == "retry" and result.retry_in >= 41
    assert telegram.sent == []
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and "retry after 41" in reply.error
