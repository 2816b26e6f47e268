"""The demo's WhatsApp-like inbox, Instagram- and X-like profiles, Telegram-like bot and
YouTube-like channel: seeded once with the Demo workspace, customers with phone numbers or Telegram accounts
open cases, comments, @mentions and videos become mentions, and replies on each go out like any
other demo reply."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from care.models import Case, Message
from care.services import case_open_from_mention, case_reply, message_deliver
from cxm.channels.models import ChannelAccount
from cxm.channels.services.demo import demo_accounts_seed
from cxm.channels.services.sync import account_sync
from cxm.customers.models import Identity
from cxm.tenancy.models import Workspace
from cxm.tenancy.services import platform_bootstrap
from listening.models import Mention

pytestmark = pytest.mark.django_db

PHONE = re.compile(r"^\+\d{8,15}$")


@pytest.fixture
def demo(settings) -> Workspace:
    settings.CXM_DEMO = True
    platform_bootstrap()
    call_command("listening_seed_demo")
    call_command("publishing_seed_demo")
    call_command("demo_seed")
    return Workspace.objects.get(slug="demo")


def _account(workspace: Workspace, handle: str) -> ChannelAccount:
    return ChannelAccount.objects.get(workspace=workspace, platform="demo", handle=handle)


def _sync(account: ChannelAccount) -> None:
    account_sync(account_id=account.pk, workspace_id=account.workspace_id)


def _sent(message: Message) -> Message:
    message_deliver(message_id=message.pk, workspace_id=message.workspace_id)
    message.refresh_from_db()
    return message


def _case_of(workspace: Workspace, account: ChannelAccount, mention: Mention) -> Case:
    """The care case an agent opens by hand from the mention."""
    return case_open_from_mention(
        workspace=workspace,
        mention={
            "platform": mention.platform,
            "external_id": mention.external_id,
            "text": mention.text,
            "created_at": mention.created_at,
            "url": mention.url,
            "author": {"id": mention.author_handle, "handle": mention.author_handle},
            "account_id": account.pk,
        },
    )


def test_the_demo_workspace_has_each_demo_account_once(demo):
    platform_bootstrap()  # a second start seeds nothing twice
    assert demo_accounts_seed(workspace=demo) == []

    accounts = ChannelAccount.objects.filter(workspace=demo, platform="demo")
    labels = dict(accounts.values_list("handle", "display_name"))
    assert labels["demo-whatsapp"].startswith("Demo WhatsApp")
    assert labels["demo-instagram"].startswith("Demo Instagram")
    assert labels["demo-telegram"].startswith("Demo Telegram")
    assert labels["demo-youtube"].startswith("Demo YouTube")
    assert labels["demo-x"].startswith("Demo X")
    assert accounts.count() == 8
    assert _account(demo, "demo-whatsapp").options["flavour"] == "whatsapp"
    assert _account(demo, "demo-instagram").options["flavour"] == "instagram"
    assert _account(demo, "demo-telegram").options["flavour"] == "telegram"


def test_the_whatsapp_account_opens_cases_for_customers_known_by_phone_and_replies_go_out(demo):
    account = _account(demo, "demo-whatsapp")

    _sync(account)

    cases = Case.objects.filter(workspace=demo, channel_account=account)
    assert cases.exists()
    assert set(cases.values_list("channel_kind", flat=True)) == {"dm"}
    customers = cases.values_list("customer_id", flat=True)
    identities = Identity.objects.filter(workspace=demo, profile_id__in=customers)
    assert identities.exists()
    assert all(PHONE.match(handle) for handle in identities.values_list("handle", flat=True))
    assert identities.filter(handle__startswith="+62812").exists()
    texts = Message.objects.filter(case__in=cases, direction="inbound").values_list("text", flat=True)
    assert any("pesanan" in text.lower() or "terima kasih" in text.lower() for text in texts)

    reply = case_reply(case=cases.first(), text="Terima kasih, kami cek pesanannya ya.")

    assert _sent(reply).status == "sent"


def test_the_instagram_account_brings_comments_and_mentions_and_replies_go_out(demo):
    account = _account(demo, "demo-instagram")

    _sync(account)

    mentions = Mention.objects.filter(workspace_id=demo.pk, account_id=account.pk)
    assert mentions.filter(kind="comment").exists() and mentions.filter(kind="post").exists()
    assert mentions.filter(kind="post", text__contains="@kopinusantara").exists()
    assert not Case.objects.filter(channel_account=account, channel_kind="dm").exists()
    case = _case_of(demo, account, mentions.filter(kind="comment").first())
    reply = case_reply(case=case, text="Thanks for your comment!")

    assert _sent(reply).status == "sent"


def test_the_telegram_account_opens_cases_for_people_writing_to_the_bot_and_replies_go_out(demo):
    account = _account(demo, "demo-telegram")

    _sync(account)

    cases = Case.objects.filter(workspace=demo, channel_account=account)
    assert cases.exists()
    assert set(cases.values_list("channel_kind", flat=True)) == {"dm"}
    identities = Identity.objects.filter(workspace=demo, profile_id__in=cases.values_list("customer_id"))
    assert identities.exists()
    assert all(handle.startswith("@") for handle in identities.values_list("handle", flat=True))

    reply = case_reply(case=cases.first(), text="Terima kasih, kami cek pesanannya ya.")

    assert _sent(reply).status == "sent"


def test_the_youtube_account_brings_comments_under_its_videos_and_videos_about_the_brand(demo):
    account = _account(demo, "demo-youtube")
    assert account.options["flavour"] == "youtube"

    _sync(account)

    mentions = Mention.objects.filter(workspace_id=demo.pk, account_id=account.pk)
    comments = mentions.filter(kind="comment")
    assert comments.exists() and mentions.filter(kind="post").exists()
    assert all(c.thread_id.startswith(f"demo-{account.options['seed']}-yt-video-") for c in comments)
    case = _case_of(demo, account, comments.first())
    assert _sent(case_reply(case=case, text="Terima kasih sudah menonton!")).status == "sent"


def test_the_x_account_brings_x_like_mentions_and_replies_go_out(demo):
    account = _account(demo, "demo-x")

    _sync(account)

    mentions = Mention.objects.filter(workspace_id=demo.pk, account_id=account.pk)
    assert mentions.filter(kind="post", text__startswith="@kopinusantara").exists()
    assert mentions.filter(kind="comment").exists()
    mention = mentions.filter(kind="post").first()
    case = _case_of(demo, account, mention)
    reply = case_reply(case=case, text="Terima kasih sudah mampir!")

    assert _sent(reply).status == "sent"
