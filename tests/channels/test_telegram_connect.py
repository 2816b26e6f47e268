"""Connecting a Telegram bot with its token (API and form): the bot names itself, and its updates
are routed to us by webhook where CXM_BASE_URL can be called, else by polling."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cxm.channels.models import ChannelAccount
from cxm.channels.services.telegram_connect import telegram_webhook_url
from cxm.tenancy.models import Role
from tests.channels.stubs.telegram_server import BOT, TOKEN, TelegramStub

pytestmark = pytest.mark.django_db

PUBLIC_BASE = "https://cxm.example.com"


@pytest.fixture(autouse=True)
def _stand_in_reachable(settings):
    # The stand-in listens on 127.0.0.1, a private address a typed server may not be otherwise.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    settings.CXM_BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def telegram():
    with TelegramStub() as stub:
        yield stub


@pytest.fixture
def admin_api(api, member, workspace_a):
    return api(member(workspace_a, Role.ADMIN))


def connect(client, stub, **fields):
    payload = {
        "platform": "telegram",
        "handle": "@kopinusantara_bot",
        "base_url": stub.base_url,
        "credentials": {"bot_token": TOKEN},
        **fields,
    }
    return client.post("/api/v1/accounts/", payload, format="json")


def test_a_bot_token_connects_the_bot_named_as_getme_answers(admin_api, telegram):
    response = connect(admin_api, telegram, handle="@KopiNusantara_Bot")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["handle"] == "kopinusantara_bot" and body["display_name"] == "Kopi Nusantara"
    assert body["options"]["bot_id"] == str(BOT["id"])
    assert TOKEN not in response.content.decode()
    account = ChannelAccount.objects.get(pk=body["id"])
    assert account.credentials["bot_token"] == TOKEN


def test_without_a_public_address_the_bot_is_polled(admin_api, telegram):
    body = connect(admin_api, telegram).json()

    assert body["options"]["delivery"] == "polling"
    assert [r.path.rsplit("/", 1)[1] for r in telegram.requests] == ["getMe", "deleteWebhook"]
    assert "webhook_secret" not in ChannelAccount.objects.get(pk=body["id"]).credentials


def test_with_a_public_https_address_telegram_is_given_our_webhook_and_a_secret(
    admin_api, telegram, settings
):
    settings.CXM_BASE_URL = PUBLIC_BASE

    response = connect(admin_api, telegram)

    body = response.json()
    assert body["options"]["delivery"] == "webhook"
    assert telegram.webhook["url"] == f"{PUBLIC_BASE}/hooks/telegram/{body['id']}/"
    assert telegram.webhook["allowed_updates"] == ["message"]
    secret = telegram.webhook["secret_token"]
    assert len(secret) >= 32
    assert ChannelAccount.objects.get(pk=body["id"]).credentials["webhook_secret"] == secret
    assert secret not in response.content.decode()
    assert secret not in admin_api.get(f"/api/v1/accounts/{body['id']}/").content.decode()


def test_a_handle_of_another_bot_is_refused(admin_api, telegram):
    response = connect(admin_api, telegram, handle="@someone_elses_bot")
    assert response.status_code == 400
    (message,) = response.json()["fields"]["handle"]
    assert "@kopinusantara_bot" in message
    assert not ChannelAccount.objects.filter(platform="telegram").exists()


def test_a_token_telegram_refuses_connects_nothing(admin_api, telegram):
    response = connect(
        admin_api, telegram, credentials={"bot_token": "7012345678:a-token-telegram-never-gave"}
    )
    assert response.status_code == 400
    (message,) = response.json()["fields"]["credentials"]
    assert message.startswith("Telegram did not accept the bot_token") and "401" in message
    assert "never-gave" not in response.content.decode()
    assert not ChannelAccount.objects.filter(platform="telegram").exists()


@pytest.mark.parametrize("credentials", [{}, {"bot_token": "not a token"}, {"access_token": TOKEN}])
def test_a_missing_or_malformed_token_is_refused_before_asking_telegram(admin_api, telegram, credentials):
    response = connect(admin_api, telegram, credentials=credentials)
    assert response.status_code == 400 and "bot_token" in response.json()["fields"]["credentials"][0]
    assert telegram.requests == []


def test_a_webhook_telegram_refuses_connects_nothing(admin_api, telegram, settings):
    settings.CXM_BASE_URL = PUBLIC_BASE
    telegram.fail_next("bad_webhook", method="setWebhook")

    response = connect(admin_api, telegram)

    assert response.status_code == 400
    (message,) = response.json()["fields"]["non_field_errors"]
    assert message.startswith("Telegram refused to send this bot's updates to https://cxm.example.com/")
    assert "bad webhook" in message
    assert not ChannelAccount.objects.filter(platform="telegram").exists()


def test_the_same_bot_connected_twice_is_refused(admin_api, telegram):
    assert connect(admin_api, telegram).status_code == 201
    again = connect(admin_api, telegram, handle="kopinusantara_bot")
    assert again.status_code == 400
    assert again.json()["fields"]["handle"] == ["This account is already connected."]


def test_check_asks_getme(admin_api, telegram):
    account_id = connect(admin_api, telegram).json()["id"]
    result = admin_api.post(f"/api/v1/accounts/{account_id}/check/").json()
    assert result == {"ok": True, "message": "Connected as @kopinusantara_bot", "status": "connected"}


# --- editing ---------------------------------------------------------------------------------------


def test_a_new_token_of_the_same_bot_routes_its_updates_again(admin_api, telegram, settings):
    settings.CXM_BASE_URL = PUBLIC_BASE
    account_id = connect(admin_api, telegram).json()["id"]
    first_secret = telegram.webhook["secret_token"]
    telegram.token = "7012345678:the-new-token-from-botfather"

    response = admin_api.patch(
        f"/api/v1/accounts/{account_id}/", {"credentials": {"bot_token": telegram.token}}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert telegram.webhook["secret_token"] != first_secret
    account = ChannelAccount.objects.get(pk=account_id)
    assert account.credentials["webhook_secret"] == telegram.webhook["secret_token"]
    assert account.credentials["bot_token"] == telegram.token


def test_a_token_of_another_bot_is_refused_on_edit(admin_api, telegram):
    account_id = connect(admin_api, telegram).json()["id"]
    telegram.bot = {**telegram.bot, "id": 7099999999, "username": "another_bot"}

    response = admin_api.patch(
        f"/api/v1/accounts/{account_id}/", {"credentials": {"bot_token": TOKEN}}, format="json"
    )

    assert response.status_code == 400
    assert "another bot (@another_bot)" in response.json()["fields"]["credentials"][0]
    assert ChannelAccount.objects.get(pk=account_id).handle == "kopinusantara_bot"


def test_editing_the_options_keeps_what_the_connection_set(admin_api, telegram):
    account_id = connect(admin_api, telegram).json()["id"]
    response = admin_api.patch(
        f"/api/v1/accounts/{account_id}/", {"options": {"poll_timeout": 3}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["options"] == {"poll_timeout": 3, "bot_id": str(BOT["id"]), "delivery": "polling"}


def test_the_form_connects_a_bot_with_its_token(client, member, workspace_a, telegram):
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)

    response = client.post(
        "/admin/accounts/new/",
        {
            "platform": "telegram",
            "handle": "kopinusantara_bot",
            "base_url": telegram.base_url,
            "secret": TOKEN,
        },
    )

    assert response.status_code == 302, response.content.decode()[:500]
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="telegram")
    assert account.credentials["bot_token"] == TOKEN
    page = client.get(f"/admin/accounts/{account.pk}/").content.decode()
    assert "Polled from Telegram (getUpdates)" in page and TOKEN not in page


# --- where updates go --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "routed"),
    [
        ("https://cxm.example.com", True),
        ("https://cxm.example.com:8443/", True),
        ("https://203.0.113.9", False),  # TEST-NET-3: documentation only, never routed
        ("https://8.8.8.8", True),
        ("http://cxm.example.com", False),
        ("https://localhost", False),
        ("https://127.0.0.1", False),
        ("https://10.0.0.5", False),
        ("https://cxm.example.com:8000", False),
        ("", False),
    ],
)
def test_a_webhook_is_used_only_where_telegram_can_call_us(settings, base, routed):
    settings.CXM_BASE_URL = base
    url = telegram_webhook_url(ChannelAccount(pk=12))
    assert url == (f"{base.rstrip('/')}/hooks/telegram/12/" if routed else "")


def test_the_route_command_switches_bots_to_the_webhook_once_the_address_is_public(
    admin_api, telegram, settings, capsys
):
    account_id = connect(admin_api, telegram).json()["id"]
    settings.CXM_BASE_URL = PUBLIC_BASE

    call_command("telegram_route")

    account = ChannelAccount.objects.get(pk=account_id)
    assert account.options["delivery"] == "webhook"
    assert telegram.webhook["url"] == f"{PUBLIC_BASE}/hooks/telegram/{account_id}/"
    assert "@kopinusantara_bot" in capsys.readouterr().out


def test_the_route_command_says_which_bots_it_could_not_route(admin_api, telegram, settings):
    account_id = connect(admin_api, telegram).json()["id"]
    settings.CXM_BASE_URL = PUBLIC_BASE
    telegram.fail_next("internal")

    with pytest.raises(CommandError, match="1 bots"):
        call_command("telegram_route")

    assert ChannelAccount.objects.get(pk=account_id).options["delivery"] == "polling"
