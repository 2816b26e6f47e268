"""Meta throttling an account slows it down instead of failing the work: the account shows it is
rate limited until the time Meta named (X-Business-Use-Case-Usage), the work waits and then
resumes, and nothing is lost or stored twice. Here: polling a Page, and reading an Instagram
mention back for the webhook. (Publishing and care's replies: tests/publishing and tests/care.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cxm.channels.meta_signature import signature_for
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.selectors import accounts_due_for_sync
from cxm.channels.services.meta_webhooks import meta_event_read
from cxm.channels.services.sync import account_sync
from listening.models import Mention
from tests.channels.stubs import facebook_page_server, instagram_server
from tests.channels.stubs.facebook_page_server import FacebookPageStub
from tests.channels.stubs.instagram_server import InstagramStub

pytestmark = pytest.mark.django_db

APP_SECRET = "the-apps-secret"
MINUTES = 7  # what Meta names as estimated_time_to_regain_access


def usage(object_id: str, kind: str) -> dict[str, str]:
    """The X-Business-Use-Case-Usage header of a throttled answer (Graph API rate limiting)."""
    entry = {"type": kind, "call_count": 100, "total_cputime": 20, "total_time": 30}
    return {
        "X-Business-Use-Case-Usage": json.dumps(
            {object_id: [{**entry, "estimated_time_to_regain_access": MINUTES}]}
        )
    }


@pytest.fixture(autouse=True)
def meta_app(settings):
    settings.CXM_META_APP_SECRET = APP_SECRET
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-ins listen on 127.0.0.1


def assert_throttled(account: ChannelAccount, *, from_: datetime) -> None:
    account.refresh_from_db()
    assert account.status == AccountStatus.RATE_LIMITED and "rate limited" in account.error_text
    assert account.rate_limited_until >= from_ + timedelta(minutes=MINUTES)


# --- polling a Page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 32, 613])
def test_a_throttled_page_sync_waits_then_reads_everything_once(workspace_a, code):
    with FacebookPageStub() as page:
        post = page.add_post("Menu baru", at=datetime.now(UTC) - timedelta(hours=1))
        page.add_comment(post, "Ada yang vegan?", at=datetime.now(UTC), author=("900001", "Ana Putri"))
        page.add_message("6512345678901234", "Buka jam berapa?", at=datetime.now(UTC))
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="facebook_page",
            handle=page.page_id,
            base_url=page.base_url,
            credentials={"access_token": facebook_page_server.TOKEN},
            next_sync_at=timezone.now(),
        )
        # The feed and the tags were read; Messenger's conversations are refused.
        page.fail_next(code, path="conversations", headers=usage(page.page_id, "pages"))
        started = timezone.now()

        assert account_sync(account_id=account.pk, workspace_id=workspace_a.pk).outcome == "rate_limited"

        assert_throttled(account, from_=started)
        assert account.sync_cursor == {} and Mention.objects.filter(account_id=account.pk).count() == 0
        assert account.pk not in [pk for pk, _ in accounts_due_for_sync()]

        assert account_sync(account_id=account.pk, workspace_id=workspace_a.pk).outcome == "ok"

    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED and account.rate_limited_until is None
    texts = sorted(Mention.objects.filter(account_id=account.pk).values_list("text", flat=True))
    assert texts == ["Ada yang vegan?", "Buka jam berapa?", "Menu baru"]


# --- reading an Instagram mention back for the webhook ---------------------------------------------


def test_a_mention_whose_read_back_is_throttled_is_read_again_once_it_passes(
    client, workspace_a, django_capture_on_commit_callbacks
):
    with InstagramStub() as instagram:
        media = instagram.add_media("Sarapan", owner="999", username="friend")
        comment = instagram.add_comment(media, "@brand.id enak banget", username="friend")
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="instagram",
            handle=instagram.user_id,
            base_url=instagram.base_url,
            credentials={"access_token": instagram_server.TOKEN},
        )
        change = {"field": "mentions", "value": {"media_id": media, "comment_id": comment}}
        body = json.dumps(
            {"object": "instagram", "entry": [{"id": instagram.user_id, "time": 1, "changes": [change]}]}
        ).encode()
        instagram.fail_next(instagram.user_id, code=4, headers=usage(instagram.user_id, "instagram"))
        started = timezone.now()

        with django_capture_on_commit_callbacks() as scheduled:
            answer = client.post(
                "/hooks/meta/",
                data=body,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=signature_for(APP_SECRET, body),
            )

        assert answer.status_code == 200 and (answer.json()["accepted"], answer.json()["deferred"]) == (0, 1)
        assert_throttled(account, from_=started)
        assert len(scheduled) == 1  # the read, again, once the throttle has passed
        event = {"platform": "instagram", "handle": instagram.user_id, **change, "messaging": False}
        # Woken early, the task finds the account still throttled and asks Instagram nothing.
        asked = len(instagram.requests)
        with django_capture_on_commit_callbacks() as again:
            waiting = meta_event_read(account_id=account.pk, workspace_id=workspace_a.pk, event=event)
        assert waiting == "waiting" and len(again) == 1 and len(instagram.requests) == asked

        ChannelAccount.objects.filter(pk=account.pk).update(rate_limited_until=timezone.now())
        assert meta_event_read(account_id=account.pk, workspace_id=workspace_a.pk, event=event) == "delivered"
        assert meta_event_read(account_id=account.pk, workspace_id=workspace_a.pk, event=event) == "delivered"

    (mention,) = Mention.objects.filter(workspace_id=workspace_a.pk, platform="instagram")
    assert (mention.external_id, mention.text) == (comment, "@brand.id enak banget")
