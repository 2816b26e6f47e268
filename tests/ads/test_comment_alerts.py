"""Negative comments under an ad raise an alert, and the guard pauses the ad; both over the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.comments import (
    GUARD_PAUSE_ATTEMPTS,
    ad_comment_guard_confirm,
    ad_comment_spike_detect,
    ad_comments_pull,
    ad_comments_watch,
)
from ads.models import Ad, AdCampaign, AdCommentAlert
from ads.services import ad_account_sync, campaign_push
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from listening.ingest.context import forget_workspace_context
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

NEGATIVE = [
    "just download it from BitTorrent",
    "Is this a scam? I want a refund",
    "Terrible coffee, worst taste ever",
    "Awful service, I hate this",
    "This is a scam, total rip-off",
    "Worst ad ever, terrible and awful",
]


@pytest.fixture(autouse=True)
def _fresh_listening_context():
    forget_workspace_context()
    yield
    forget_workspace_context()


@pytest.fixture
def running_ad(ad_account, graph):
    campaign = graph.add_campaign("Always on", status="ACTIVE", daily_budget=200000)
    ad_set = graph.add_adset(campaign, "Jakarta 18-34")
    creative = graph.add_creative("Kopi creative", message="Kopi, fresh")
    remote = graph.add_ad(ad_set, creative, "Kopi ad")
    assert ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome == "ok"
    ad = Ad.objects.select_related("campaign").get(external_id=remote["id"])
    ad.campaign.brand = BrandFactory(workspace=ad.workspace, name="Kopi Nusantara")
    ad.campaign.save(update_fields=["brand"])
    return ad


def _comment(ad, graph, texts):
    for text in texts:
        graph.add_comment(ad.effective_object_story_id, text, author="Budi")
    ad_comments_pull(ad_id=ad.pk)


def _guard(ad, **rule):
    ad.campaign.comment_guard = {"enabled": True, "threshold": 3, "window_minutes": 60, **rule}
    ad.campaign.save(update_fields=["comment_guard"])


def _pushed_status(ad, graph):
    campaign_push(campaign_id=ad.campaign_id, workspace_id=ad.workspace_id)
    return graph.objects[ad.external_id]["status"]


def test_a_spike_of_negative_comments_raises_one_alert_per_ad_and_day(running_ad, graph):
    _comment(running_ad, graph, NEGATIVE)

    first = ad_comments_watch()
    _comment(running_ad, graph, ["Still a scam, terrible"])
    again = ad_comments_watch()

    alert = AdCommentAlert.objects.get(ad=running_ad)
    assert first.alerts == [alert.pk] and again.alerts == []
    assert alert.negative >= 5 and alert.baseline == 1.0
    assert alert.campaign_id == running_ad.campaign_id


def test_a_few_negative_comments_raise_no_alert(running_ad, graph):
    _comment(running_ad, graph, NEGATIVE[:2])

    assert ad_comment_spike_detect(ad=running_ad) is None
    assert not AdCommentAlert.objects.exists()


def test_the_guard_pauses_the_ad_on_the_platform_once_and_audits_it(running_ad, graph):
    _guard(running_ad, keywords=["scam"])
    _comment(running_ad, graph, NEGATIVE[:3])

    assert ad_comments_watch().paused == [running_ad.pk]
    assert ad_comments_watch().paused == []

    running_ad.refresh_from_db()
    assert running_ad.status == "PAUSED"
    assert _pushed_status(running_ad, graph) == "PAUSED"
    audits = AuditEntry.objects.filter(action="ads.ad_status", object_id=str(running_ad.pk))
    assert audits.count() == 1


def test_a_reactivated_ad_is_not_paused_again_for_the_same_comments(running_ad, graph):
    from ads.services import ad_status_set

    _guard(running_ad)
    _comment(running_ad, graph, NEGATIVE[:3])
    assert ad_comments_watch().paused == [running_ad.pk]
    running_ad.refresh_from_db()
    ad_status_set(ad=running_ad, status="ACTIVE")
    _pushed_status(running_ad, graph)

    assert ad_comments_watch().paused == []


def test_a_disabled_guard_does_nothing(running_ad, graph):
    _guard(running_ad, enabled=False)
    _comment(running_ad, graph, NEGATIVE)

    assert ad_comments_watch().paused == []
    running_ad.refresh_from_db()
    assert running_ad.status == "ACTIVE"
    assert not AuditEntry.objects.filter(action="ads.ad_status").exists()


def test_the_comments_api_lists_with_filters_and_hides(running_ad, graph, api, marketer):
    _comment(running_ad, graph, [NEGATIVE[0], "Love this coffee, great taste!"])
    client = api(marketer)

    body = client.get(f"/api/v1/ads/comments/?campaign={running_ad.campaign_id}").json()
    assert len(body["results"]) == 2
    negative = client.get("/api/v1/ads/comments/?sentiment=negative&answered=false").json()["results"]
    assert [(c["text"], c["ad"], c["campaign"], c["author"]) for c in negative] == [
        (NEGATIVE[0], running_ad.pk, running_ad.campaign_id, "Budi")
    ]
    assert negative[0]["hidden"] is False

    hidden = client.post(f"/api/v1/ads/comments/{negative[0]['id']}/hide/")

    assert hidden.status_code == 200
    row = client.get("/api/v1/ads/comments/?sentiment=negative").json()["results"][0]
    assert row["hidden"] is True
    assert any(o.get("is_hidden") for o in graph.objects.values() if o.get("message") == NEGATIVE[0])


def test_comments_of_another_workspace_answer_404(running_ad, graph, api, member, workspace_b):
    _comment(running_ad, graph, [NEGATIVE[0]])
    mention_id = api(member(running_ad.workspace)).get("/api/v1/ads/comments/").json()["results"][0]["id"]
    intruder = api(member(workspace_b, Role.ADMIN))

    assert intruder.get("/api/v1/ads/comments/").json()["results"] == []
    assert intruder.post(f"/api/v1/ads/comments/{mention_id}/hide/").status_code == 404


def test_an_analyst_cannot_hide_a_comment(running_ad, graph, api, member):
    _comment(running_ad, graph, [NEGATIVE[0]])
    analyst = api(member(running_ad.workspace, Role.ANALYST))
    mention_id = analyst.get("/api/v1/ads/comments/").json()["results"][0]["id"]

    assert analyst.post(f"/api/v1/ads/comments/{mention_id}/hide/").status_code == 403


def test_alerts_are_listed_and_acknowledged(running_ad, graph, api, marketer):
    _comment(running_ad, graph, NEGATIVE)
    ad_comments_watch()
    client = api(marketer)

    (alert,) = client.get("/api/v1/ads/comment-alerts/?acknowledged=false").json()["results"]
    assert alert["ad"] == running_ad.pk
    done = client.post(f"/api/v1/ads/comment-alerts/{alert['id']}/acknowledge/").json()

    assert done["acknowledged"] is True
    assert client.get("/api/v1/ads/comment-alerts/?acknowledged=false").json()["results"] == []


def test_the_guard_is_set_on_a_campaign_by_patch(running_ad, api, marketer):
    client = api(marketer)
    url = f"/api/v1/ads/campaigns/{running_ad.campaign_id}/"

    ok = client.patch(url, {"comment_guard": {"enabled": True, "threshold": 4}}, format="json")
    bad = client.patch(url, {"comment_guard": {"enabled": True, "threshold": 0}}, format="json")

    assert ok.status_code == 200, ok.content
    assert ok.json()["comment_guard"] == {
        "enabled": True,
        "threshold": 4,
        "window_minutes": 60,
        "keywords": [],
        "notify": [],
        "webhook_url": "",
    }
    assert bad.status_code == 400
    assert AuditEntry.objects.filter(action="ads.campaign_comment_guard").count() == 1


# --- the guard's pause, confirmed by Meta -------------------------------------------------------------


def _pause_note(ad) -> dict:
    return AdCampaign.objects.get(pk=ad.campaign_id).comment_guard_pauses[str(ad.pk)]


def _campaign_page(client, member, ad) -> str:
    client.force_login(member(ad.workspace, Role.MARKETER).user)
    return client.get(f"/ads/campaigns/{ad.campaign_id}/").content.decode()


def _due_now(ad) -> None:
    Ad.objects.filter(pk=ad.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_the_guard_pause_is_confirmed_by_meta_and_shown_on_the_campaign_page(
    running_ad, graph, client, member
):
    _guard(running_ad)
    _comment(running_ad, graph, NEGATIVE[:3])

    watch = ad_comments_watch()

    assert watch.confirmations == {running_ad.pk: "confirmed"}
    assert graph.status_of(running_ad.external_id) == "PAUSED"
    note = _pause_note(running_ad)
    assert note["state"] == "confirmed" and note["confirmed_at"] >= note["paused_at"]
    confirmed = AuditEntry.objects.filter(
        action="ads.comment_guard_pause_confirmed", object_id=str(running_ad.pk)
    )
    assert confirmed.count() == 1
    page = _campaign_page(client, member, running_ad)
    assert "Paused by the comment guard at" in page and "confirmed by Meta at" in page
    assert ad_comments_watch().confirmations == {}  # confirmed once, not again


def test_a_pause_meta_could_not_take_is_retried_and_shown_until_it_is_confirmed(
    running_ad, graph, client, member
):
    _guard(running_ad)
    graph.fail_next(code=503, path=rf"^{running_ad.external_id}$", method="POST")
    _comment(running_ad, graph, NEGATIVE[:3])

    assert ad_comments_watch().confirmations == {running_ad.pk: "pending"}
    assert graph.status_of(running_ad.external_id) == "ACTIVE"
    note = _pause_note(running_ad)
    assert note["state"] == "pending" and "503" in note["error"] and note["retry_at"]
    assert "waiting for Meta to confirm" in _campaign_page(client, member, running_ad)

    _due_now(running_ad)
    assert ad_comments_watch().confirmations == {running_ad.pk: "confirmed"}
    assert graph.status_of(running_ad.external_id) == "PAUSED"


def test_a_pause_meta_keeps_refusing_is_retried_then_shown_as_failed(running_ad, graph, client, member):
    _guard(running_ad)
    graph.fail_next(code=100, path=rf"^{running_ad.external_id}$", method="POST", times=50)
    _comment(running_ad, graph, NEGATIVE[:3])

    states = [ad_comments_watch().confirmations[running_ad.pk]]
    for _ in range(GUARD_PAUSE_ATTEMPTS - 1):
        _due_now(running_ad)
        states.append(ad_comment_guard_confirm(ad_id=running_ad.pk))

    assert states == ["pending"] * (GUARD_PAUSE_ATTEMPTS - 1) + ["failed"]
    pushes = graph.calls_to(rf"^{running_ad.external_id}$", method="POST")
    assert len(pushes) == GUARD_PAUSE_ATTEMPTS
    note = _pause_note(running_ad)
    assert note["state"] == "failed" and "refused" in note["error"]
    assert AuditEntry.objects.filter(action="ads.comment_guard_pause_failed").count() == 1
    page = _campaign_page(client, member, running_ad)
    assert "Meta did not take the pause" in page and "Pause the ad on Meta by hand" in page
