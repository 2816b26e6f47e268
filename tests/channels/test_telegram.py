"""The Telegram connector against a stand-in answering with the Bot API's documented shapes: the bot
naming itself, polling with getUpdates' offset, messages into items, replies that quote the
customer, the documented errors, and the webhook endpoint's secret-token check."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from care.models import Case, Message
from cxm.channels.connectors import REGISTRY, build_connector
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    ItemKind,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.telegram import SECRET_HEADER, TelegramConnector, telegram_error
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from listening.answering import ADDRESSED_TO_US
from listening.models import Mention
from tests.channels.stubs.telegram_server import BOT, ERRORS, TOKEN, TelegramStub, fixture

PRIVATE_CHAT = 5550001234
GROUP_CHAT = -1001234567890


@pytest.fixture
def telegram():
    with TelegramStub() as stub:
        yield stub


def make_connector(stub: TelegramStub, *, token: str = TOKEN, **options) -> TelegramConnector:
    config = AccountConfig(
        platform="telegram",
        handle=BOT["username"],
        base_url=stub.base_url,
        credentials={"bot_token": token},
        options={"bot_id": str(BOT["id"]), "delivery": "polling", **options},
        allow_private_targets=True,
    )
    return TelegramConnector(config)


def answer(
    text: str = "Maaf ya Kak, kami cek sekarang.", *, reply_to: str = f"{PRIVATE_CHAT}:42"
) -> Outgoing:
    return Outgoing(text=text, idempotency_key="care-1", reply_to=reply_to, recipient="@sariwulan")


def recent(offset: int) -> dict:
    return {"offset": offset, "at": datetime.now(UTC).isoformat()}


# --- the bot ---------------------------------------------------------------------------------------


def test_check_names_the_bot_as_getme_answers_it(telegram):
    assert make_connector(telegram).check() == "@kopinusantara_bot"
    (request,) = telegram.requests
    assert (request.method, request.path) == ("POST", f"/bot{TOKEN}/getMe")


def test_a_token_telegram_does_not_know_needs_reauthorisation(telegram):
    with pytest.raises(AuthError) as caught:
        make_connector(telegram, token="7012345678:not-the-bots-token-at-all").check()
    assert "401" in str(caught.value) and "Unauthorized" in str(caught.value)
    assert "not-the-bots-token" not in str(caught.value)


def test_a_token_not_in_botfathers_form_is_refused_without_a_call(telegram):
    with pytest.raises(AuthError, match="BotFather"):
        make_connector(telegram, token="../getMe?x=").check()
    assert telegram.requests == []


def test_the_token_never_reaches_an_error_or_a_log_line(telegram, caplog):
    caplog.set_level(logging.DEBUG)
    make_connector(telegram).check()
    telegram.stop()
    with pytest.raises(TransientError) as caught:
        make_connector(telegram).check()  # a new connection to a closed port
    assert "getMe" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert TOKEN not in str(caught.value) and TOKEN not in caplog.text


def test_a_typed_server_that_is_private_is_refused_before_any_call(telegram):
    config = AccountConfig(
        platform="telegram",
        handle="kopinusantara_bot",
        base_url=telegram.base_url,
        credentials={"bot_token": TOKEN},
    )
    with pytest.raises(PermanentError, match=r"private|loopback"):
        TelegramConnector(config).check()
    assert telegram.requests == []


def test_it_is_registered_and_answers_customers_without_publishing(telegram):
    assert REGISTRY["telegram"].endswith("TelegramConnector")
    connector = build_connector(make_connector(telegram).config)
    with pytest.raises(NotSupported):
        connector.publish(answer())
    limits = connector.limits()
    assert (limits.max_text_length, limits.can_publish, limits.can_reply) == (4096, False, True)


# --- polling: getUpdates and its offset --------------------------------------------------------------


def test_the_first_poll_asks_for_new_messages_with_a_short_timeout(telegram):
    telegram.queue(fixture("update_private_text.json"))

    page = make_connector(telegram).fetch({})

    (poll,) = telegram.polls
    assert "offset" not in poll
    assert poll["timeout"] == 5 and poll["limit"] == 100
    assert poll["allowed_updates"] == ["message"]
    assert [item.external_id for item in page.items] == [f"{PRIVATE_CHAT}:42"]
    assert page.cursor["offset"] == 815000102 and page.more is False


def test_the_next_poll_confirms_what_was_read_with_offset_last_id_plus_one(telegram):
    connector = make_connector(telegram)
    telegram.queue(fixture("update_private_text.json"))
    first = connector.fetch({})
    telegram.queue(fixture("update_private_photo.json"))

    second = connector.fetch(first.cursor)

    assert telegram.polls[1]["offset"] == 815000102
    assert [item.external_id for item in second.items] == [f"{PRIVATE_CHAT}:43"]
    assert second.cursor["offset"] == 815000103
    # the first update was confirmed by that offset: Telegram no longer holds it
    assert [update["update_id"] for update in telegram.updates] == [815000102]


def test_a_poll_with_nothing_new_keeps_the_cursor(telegram):
    cursor = recent(815000200)
    page = make_connector(telegram).fetch(cursor)
    assert (page.items, page.cursor, page.more) == ([], cursor, False)
    assert telegram.polls[0]["offset"] == 815000200


def test_a_cursor_older_than_a_day_asks_without_an_offset(telegram):
    # Update ids restart at random after a quiet week: an old offset could confirm new updates away.
    telegram.queue(fixture("update_private_text.json"))
    stale = {"offset": 999999999, "at": (datetime.now(UTC) - timedelta(hours=25)).isoformat()}

    page = make_connector(telegram).fetch(stale)

    assert "offset" not in telegram.polls[0]
    assert [item.external_id for item in page.items] == [f"{PRIVATE_CHAT}:42"]


def test_a_full_page_says_there_is_more(telegram):
    base = fixture("update_private_text.json")
    for n in range(101):
        update = {**base, "update_id": 1000 + n, "message": {**base["message"], "message_id": 500 + n}}
        telegram.queue(update)
    connector = make_connector(telegram)

    first = connector.fetch({})
    second = connector.fetch(first.cursor)

    assert (len(first.items), first.more) == (100, True)
    assert (len(second.items), second.more) == (1, False)


def test_a_webhook_bot_is_not_polled(telegram):
    page = make_connector(telegram, delivery="webhook").fetch({"offset": 5})
    assert (page.items, page.cursor) == ([], {"offset": 5})
    assert telegram.requests == []


def test_polling_while_a_webhook_is_set_says_how_to_route_the_updates_here(telegram):
    telegram.webhook = {"url": "https://elsewhere.example/hook"}
    with pytest.raises(PermanentError) as caught:
        make_connector(telegram).fetch({})
    assert "webhook" in str(caught.value) and "telegram_route" in str(caught.value)
    assert "409" in str(caught.value)


# --- updates into items --------------------------------------------------------------------------


def test_a_private_message_is_a_direct_message_in_the_chats_thread(telegram):
    (item,) = make_connector(telegram).update_items(fixture("update_private_text.json"))
    assert item.kind == ItemKind.DM and item.platform == "telegram"
    assert item.external_id == f"{PRIVATE_CHAT}:42" and item.thread_id == str(PRIVATE_CHAT)
    assert item.text == "Halo, pesanan saya nomor 48213 belum sampai. Bisa dicek?"
    assert (item.author.platform_id, item.author.handle, item.author.name) == (
        str(PRIVATE_CHAT),
        "@sariwulan",
        "Sari Wulandari",
    )
    assert item.created_at == datetime.fromtimestamp(1764575400, UTC)
    assert item.language_hint == "id" and item.raw["update_id"] == 815000101


@pytest.mark.parametrize(
    ("name", "text", "attachment"),
    [
        ("update_private_photo.json", "Kemasannya bocor seperti ini\n[photo]", "photo"),
        ("update_private_document.json", "Ini bukti transfernya\n[document: invoice-48213.pdf]", "document"),
        ("update_private_location.json", "[location: -6.914744, 107.60981]", None),
    ],
)
def test_captions_come_with_a_marker_for_what_was_sent(telegram, name, text, attachment):
    (item,) = make_connector(telegram).update_items(fixture(name))
    assert item.text == text
    if attachment:
        assert item.raw["attachments"][0]["kind"] == attachment
    else:
        assert "attachments" not in item.raw


def test_the_photos_largest_size_is_the_one_kept(telegram):
    (item,) = make_connector(telegram).update_items(fixture("update_private_photo.json"))
    assert item.raw["attachments"] == [{"kind": "photo", "file_id": "AgACAgQAAxkBAAIBK2bLarge"}]


def test_a_group_message_mentioning_the_bot_is_a_post_addressed_to_the_brand(telegram):
    (item,) = make_connector(telegram).update_items(fixture("update_group_mention.json"))
    assert item.kind == ItemKind.POST
    assert item.external_id == f"{GROUP_CHAT}:1907" and item.thread_id == str(GROUP_CHAT)
    assert "@kopinusantara_bot" in item.text
    assert item.url == "https://t.me/kopibandung/1907"


def test_a_group_reply_to_the_bots_message_counts_as_mentioning_it(telegram):
    update = fixture("update_group_chatter.json")
    update["message"]["reply_to_message"] = {
        "message_id": 1900,
        "from": {key: BOT[key] for key in ("id", "is_bot", "first_name", "username")},
        "chat": update["message"]["chat"],
        "date": 1764575000,
        "text": "Halo semua!",
    }
    (item,) = make_connector(telegram).update_items(update)
    assert item.in_reply_to == f"{GROUP_CHAT}:1900"


def test_group_chatter_edits_and_bots_are_left_out(telegram):
    connector = make_connector(telegram)
    assert connector.update_items(fixture("update_group_chatter.json")) == []
    assert connector.update_items(fixture("update_edited_message.json")) == []
    from_a_bot = fixture("update_private_text.json")
    from_a_bot["message"]["from"]["is_bot"] = True
    assert connector.update_items(from_a_bot) == []
    joined = fixture("update_group_chatter.json")
    del joined["message"]["text"]
    joined["message"]["new_chat_members"] = [{"id": 1, "is_bot": False, "first_name": "Ana"}]
    assert connector.update_items(joined) == []


# --- replies ---------------------------------------------------------------------------------------


def test_a_reply_quotes_the_customers_message(telegram):
    telegram.know(fixture("update_private_text.json")["message"])

    published = make_connector(telegram).reply(answer())

    (sent,) = telegram.sent
    assert sent == {
        "chat_id": PRIVATE_CHAT,
        "text": "Maaf ya Kak, kami cek sekarang.",
        "reply_parameters": {"message_id": 42, "allow_sending_without_reply": True},
    }
    assert published.external_id == f"{PRIVATE_CHAT}:{published.raw['message_id']}"
    assert published.raw["reply_to_message"]["message_id"] == 42
    documented = fixture("send_message.json")["result"]
    assert set(published.raw) == set(documented)


def test_a_reply_refuses_empty_too_long_and_unaddressed_text_without_calling(telegram):
    connector = make_connector(telegram)
    with pytest.raises(PermanentError, match="empty"):
        connector.reply(answer("  "))
    with pytest.raises(PermanentError, match="4096"):
        connector.reply(answer("x" * 4097))
    with pytest.raises(PermanentError, match="chat"):
        connector.reply(answer(reply_to=""))
    assert telegram.requests == []


def test_429_waits_what_retry_after_says(telegram):
    telegram.know(fixture("update_private_text.json")["message"])
    telegram.fail_next("too_many_requests")
    with pytest.raises(RateLimited) as caught:
        make_connector(telegram).reply(answer())
    assert caught.value.retry_after == 41
    assert telegram.sent == []


def test_a_customer_who_blocked_the_bot_fails_the_reply_with_its_meaning(telegram):
    telegram.know(fixture("update_private_text.json")["message"])
    telegram.block(PRIVATE_CHAT)
    with pytest.raises(PermanentError) as caught:
        make_connector(telegram).reply(answer())
    assert not isinstance(caught.value, AuthError)  # the token is fine; this chat is closed
    assert "blocked the bot" in str(caught.value) and "403" in str(caught.value)


def test_a_revoked_token_on_sending_needs_reauthorisation(telegram):
    telegram.know(fixture("update_private_text.json")["message"])
    telegram.fail_next("unauthorized")
    with pytest.raises(AuthError):
        make_connector(telegram).reply(answer())


@pytest.mark.parametrize(
    ("error", "raised", "says"),
    [
        ("internal", TransientError, "500"),
        ("chat_not_found", PermanentError, "chat not found"),
        ("kicked", PermanentError, "removed from this group"),
        ("migrated", PermanentError, "-1001234567890"),
        ("not_found", AuthError, "@BotFather"),
    ],
)
def test_the_documented_errors_map_onto_the_connector_errors(error, raised, says):
    documented = ERRORS[error]
    mapped = telegram_error(documented["http_status"], documented["body"], method="sendMessage")
    assert type(mapped) is raised and says in str(mapped)


def test_a_success_is_no_error():
    assert telegram_error(200, fixture("send_message.json")) is None


# --- the webhook endpoint ----------------------------------------------------------------------------

SECRET = "the-secret-token-of-this-bot_0123"


@pytest.fixture
def bot(workspace_a, telegram):
    return ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="telegram",
        handle=BOT["username"],
        base_url=telegram.base_url,
        credentials={"bot_token": TOKEN, "webhook_secret": SECRET},
        options={"bot_id": str(BOT["id"]), "delivery": "webhook"},
    )


def post_update(client, account, update, secret: str | None = SECRET):
    headers = {} if secret is None else {f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": secret}
    return client.post(
        f"/hooks/telegram/{account.pk}/", data=update, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_a_delivery_without_the_secret_token_is_refused(client, bot):
    answer = post_update(client, bot, fixture("update_private_text.json"), secret=None)
    assert answer.status_code == 401 and answer.json()["error"] == "missing_secret_token"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_delivery_with_a_wrong_secret_token_is_refused(client, bot):
    answer = post_update(client, bot, fixture("update_private_text.json"), secret="not-the-secret")
    assert answer.status_code == 403 and answer.json()["error"] == "invalid_secret_token"
    assert answer.json()["detail"] and not Message.objects.exists()


@pytest.mark.django_db
def test_a_polling_bot_takes_no_webhook_delivery(client, bot):
    ChannelAccount.objects.filter(pk=bot.pk).update(credentials={"bot_token": TOKEN})
    answer = post_update(client, bot, fixture("update_private_text.json"))
    assert answer.status_code == 403 and not Message.objects.exists()


@pytest.mark.django_db
def test_an_unknown_bot_and_a_body_that_is_not_json(client, bot):
    assert post_update(client, ChannelAccount(pk=bot.pk + 1000), {}).status_code == 404
    not_json = client.post(
        f"/hooks/telegram/{bot.pk}/",
        data=b"{",
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    assert not_json.status_code == 400 and not_json.json()["error"] == "invalid_json"
    assert client.get(f"/hooks/telegram/{bot.pk}/").status_code == 405


@pytest.mark.django_db
def test_a_delivery_with_the_secret_token_becomes_a_case(client, bot):
    answer = post_update(client, bot, fixture("update_private_text.json"))

    assert answer.status_code == 200 and answer.json() == {"accepted": 1, "ignored": ""}
    case = Case.objects.get(workspace=bot.workspace, channel_account=bot)
    assert case.channel_kind == "dm"
    (message,) = case.messages.all()
    assert message.external_id == f"{PRIVATE_CHAT}:42" and message.author_handle == "@sariwulan"
    bot.refresh_from_db()
    assert bot.items_received == 1


@pytest.mark.django_db
def test_a_replayed_update_is_one_message(client, bot):
    update = fixture("update_private_text.json")
    assert post_update(client, bot, update).status_code == 200
    assert post_update(client, bot, update).status_code == 200
    assert Message.objects.filter(external_id=f"{PRIVATE_CHAT}:42").count() == 1


@pytest.mark.django_db
def test_an_update_that_came_by_webhook_and_again_by_polling_is_one_message(client, bot, telegram):
    update = fixture("update_private_text.json")
    assert post_update(client, bot, update).status_code == 200
    # The bot switched to polling, and Telegram hands the same update out again.
    ChannelAccount.objects.filter(pk=bot.pk).update(options={"bot_id": str(BOT["id"]), "delivery": "polling"})
    bot.workspace.allow_private_webhook_targets = True
    bot.workspace.save(update_fields=["allow_private_webhook_targets"])
    telegram.queue(update)

    assert account_sync(account_id=bot.pk, workspace_id=bot.workspace_id).outcome == "ok"

    assert Message.objects.filter(external_id=f"{PRIVATE_CHAT}:42").count() == 1
    bot.refresh_from_db()
    assert bot.sync_cursor["offset"] == 815000102


@pytest.mark.django_db
def test_a_group_message_naming_the_bot_is_a_mention_addressed_to_the_brand(client, bot):
    assert post_update(client, bot, fixture("update_group_mention.json")).json()["accepted"] == 1

    mention = Mention.objects.get(workspace_id=bot.workspace_id, external_id=f"{GROUP_CHAT}:1907")
    assert (mention.platform, mention.kind, mention.account_id) == ("telegram", "post", bot.pk)
    assert mention.answer_reason in ADDRESSED_TO_US
    # Addressed to the brand, it opens a case like any mention care's rules pick; a reply there
    # goes to the group, quoting the message.
    case = Case.objects.get(workspace=bot.workspace)
    assert case.channel_kind != "dm"
    assert case.messages.get().external_id == f"{GROUP_CHAT}:1907"


@pytest.mark.django_db
def test_a_paused_bot_acknowledges_and_drops_its_updates(client, bot):
    ChannelAccount.objects.filter(pk=bot.pk).update(status="paused")
    answer = post_update(client, bot, fixture("update_private_text.json"))
    assert answer.status_code == 200 and answer.json()["ignored"] == "paused"
    assert not Message.objects.exists()
