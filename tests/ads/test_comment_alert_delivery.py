"""A negative-comment alert on an ad is emailed to its campaign's recipients and POSTed, signed the
Standard Webhooks way, to the campaign's webhook: once, retried on transient errors, recorded when
refused, and shown next to the alert on the comments page."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core import mail
from django.utils import timezone

from ads import tasks
from ads.alert_delivery import comment_alert_deliver
from ads.comments import ad_comment_spike_detect, ad_comments_pull, campaign_comment_guard_set
from ads.models import Ad, AdCampaign, AdCommentAlert
from ads.models import AlertDeliveryStatus as Status
from ads.services import ad_account_sync
from cxm.audit.models import AuditEntry
from cxm.channels.signing import SignatureError, new_standard_secret, verify_standard
from cxm.tenancy.models import Role
from listening.ingest.context import forget_workspace_context
from tests.factories import BrandFactory
from tests.kernel.test_tenancy_routes import SAMPLES

pytestmark = pytest.mark.django_db

SECRET = new_standard_secret()
NEGATIVE = [
    "just download it from BitTorrent",
    "Is this a scam? I want a refund",
    "Terrible coffee, worst taste ever",
    "Awful service, I hate this",
    "This is a scam, total rip-off",
    "Worst ad ever, terrible and awful",
]


@dataclass
class Receiver:
    """A webhook receiver on loopback that checks every signature, answering scripted statuses."""

    url: str = ""
    secret: str = SECRET
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            msg_id = verify_standard(secrets=[self.secret], headers=headers, body=body, now=time.time())
            verified = True
        except SignatureError as exc:
            msg_id, verified = str(exc), False
        self.requests.append({"body": json.loads(body), "id": msg_id, "verified": verified})
        if not verified:
            return 401
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver listens on loopback, which outbound webhooks refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = state.handle(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ads"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.CXM_BASE_URL = "https://cxm.example.com"
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


def _route(ad, receiver=None, notify=("ops@kopi.example", "ana@kopi.example")):
    campaign_comment_guard_set(
        campaign=ad.campaign,
        guard={"notify": list(notify), "webhook_url": receiver.url if receiver else ""},
        webhook_secret=receiver.secret if receiver else None,
    )


def _negative_comments(ad, graph) -> None:
    for text in NEGATIVE:
        graph.add_comment(ad.effective_object_story_id, text, author="Budi")
    ad_comments_pull(ad_id=ad.pk)


def _spike(ad, graph) -> AdCommentAlert:
    _negative_comments(ad, graph)
    alert = ad_comment_spike_detect(ad=ad)
    assert alert is not None
    return alert


def _deliver(alert: AdCommentAlert) -> AdCommentAlert:
    tasks.comment_alert_deliver.apply(kwargs={"alert_id": alert.pk, "workspace_id": alert.workspace_id})
    alert.refresh_from_db()
    return alert


def test_a_raised_alert_is_handed_to_the_delivery_task_when_it_commits(
    running_ad, graph, monkeypatch, django_capture_on_commit_callbacks
):
    _route(running_ad)
    queued = []
    monkeypatch.setattr(tasks.comment_alert_deliver, "delay", lambda **kwargs: queued.append(kwargs))

    _negative_comments(running_ad, graph)

    with django_capture_on_commit_callbacks(execute=True):
        alert = ad_comment_spike_detect(ad=running_ad)
        assert queued == []  # nothing leaves before the alert is committed

    assert queued == [{"alert_id": alert.pk, "workspace_id": running_ad.workspace_id}]
    assert (alert.email_status, alert.webhook_status) == (Status.PENDING, Status.NONE)


def test_a_campaign_without_recipients_sends_nothing(running_ad, graph):
    alert = _spike(running_ad, graph)

    assert (alert.email_status, alert.webhook_status) == (Status.NONE, Status.NONE)
    assert not _deliver(alert).delivery_attempts and mail.outbox == []


def test_the_email_reaches_the_campaigns_recipients_with_the_numbers_and_a_link(running_ad, graph):
    _route(running_ad)

    alert = _deliver(_spike(running_ad, graph))

    assert alert.email_status == Status.SENT and alert.emailed_at is not None
    (message,) = mail.outbox
    assert sorted(message.to) == ["ana@kopi.example", "ops@kopi.example"]
    assert "Kopi ad" in message.subject
    assert f"Negative comments today: {alert.negative}" in message.body
    assert f"https://cxm.example.com/ads/comments/?ad={running_ad.pk}&sentiment=negative" in message.body


def test_the_webhook_is_signed_so_the_receiver_verifies_it(running_ad, graph, receiver):
    _route(running_ad, receiver, notify=())

    alert = _deliver(_spike(running_ad, graph))

    assert alert.webhook_status == Status.SENT and alert.webhook_delivered_at is not None
    (request,) = receiver.requests
    assert request["verified"] and request["id"] == alert.webhook_id
    assert request["body"]["type"] == "ads.comment_alert"
    data = request["body"]["data"]
    assert data["ad"]["id"] == running_ad.pk and data["campaign"]["name"] == "Always on"
    assert (data["negative"], data["baseline"]) == (alert.negative, 1.0)


def test_running_the_task_twice_sends_once(running_ad, graph, receiver):
    _route(running_ad, receiver)
    alert = _spike(running_ad, graph)

    _deliver(alert)
    alert = _deliver(alert)

    assert len(mail.outbox) == 1 and len(receiver.requests) == 1
    assert (alert.email_status, alert.webhook_status, alert.delivery_attempts) == (
        Status.SENT,
        Status.SENT,
        1,
    )


def test_a_500_is_retried_with_the_same_webhook_id_then_delivered(running_ad, graph, receiver):
    receiver.statuses = [500, 200]
    _route(running_ad, receiver)

    alert = _deliver(_spike(running_ad, graph))  # the eager task retries at once, not after its countdown

    assert [r["id"] for r in receiver.requests] == [alert.webhook_id, alert.webhook_id]
    assert alert.webhook_status == Status.SENT and alert.delivery_attempts == 2
    assert len(mail.outbox) == 1


def test_a_transient_failure_schedules_a_retry_with_backoff(running_ad, graph, receiver):
    receiver.statuses = [503]
    _route(running_ad, receiver, notify=())
    alert = _spike(running_ad, graph)

    outcome = comment_alert_deliver(alert_id=alert.pk, workspace_id=alert.workspace_id)

    alert.refresh_from_db()
    assert outcome.retry_in == 30
    assert alert.webhook_status == Status.PENDING and "503" in alert.webhook_error
    assert alert.delivery_retry_at is not None and alert.delivery_lease_until is None


def test_a_refusal_is_recorded_as_failed_and_shown_on_the_comments_page(
    running_ad, graph, receiver, client, marketer
):
    receiver.statuses = [400]
    _route(running_ad, receiver)
    alert = _deliver(_deliver(_spike(running_ad, graph)))

    assert len(receiver.requests) == 1
    assert alert.webhook_status == Status.FAILED and "400" in alert.webhook_error
    client.force_login(marketer.user)
    page = client.get(f"/ads/comments/?campaign={running_ad.campaign_id}").content.decode()
    row = page[page.index(f'id="comment-alert-{alert.pk}"') :].split("</tr>")[0]
    assert "Sent " in row and "Failed" in row and "400" in row


def test_recipients_and_webhook_are_set_on_the_campaign_by_api_and_the_secret_never_shown(
    running_ad, api, marketer, settings
):
    # `.example` names never resolve; a webhook URL that does not resolve is refused unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    client = api(marketer)
    url = f"/api/v1/ads/campaigns/{running_ad.campaign_id}/"
    guard = {
        "enabled": True,
        "notify": ["ops@kopi.example", "OPS@kopi.example"],
        "webhook_url": "https://hooks.example/x",
    }

    ok = client.patch(url, {"comment_guard": guard}, format="json")
    bad_email = client.patch(url, {"comment_guard": {"notify": ["not an address"]}}, format="json")
    bad_url = client.patch(url, {"comment_guard": {"webhook_url": "ftp://hooks.example"}}, format="json")

    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["comment_guard"]["notify"] == ["ops@kopi.example"]
    assert "comment_alert_webhook_secret" not in body and "whsec_" not in ok.content.decode()
    assert (bad_email.status_code, bad_url.status_code) == (400, 400)
    campaign = AdCampaign.objects.get(pk=running_ad.campaign_id)
    assert campaign.comment_alert_webhook_secret.startswith("whsec_")
    (entry,) = AuditEntry.objects.filter(action="ads.campaign_comment_guard")
    assert entry.after["webhook_secret_changed"] is True
    assert "whsec_" not in json.dumps(entry.after)


def test_clearing_the_webhook_clears_its_secret(running_ad, receiver):
    _route(running_ad, receiver)

    campaign_comment_guard_set(campaign=running_ad.campaign, guard={"notify": ["ops@kopi.example"]})

    assert AdCampaign.objects.get(pk=running_ad.campaign_id).comment_alert_webhook_secret is None


def test_the_alerts_api_reports_delivery(running_ad, graph, api, member):
    _route(running_ad)
    alert = _deliver(_spike(running_ad, graph))

    (row,) = (
        api(member(running_ad.workspace, Role.ANALYST)).get("/api/v1/ads/comment-alerts/").json()["results"]
    )

    assert row["id"] == alert.pk
    assert (row["email_status"], row["webhook_status"]) == ("sent", "none")
    assert row["emailed_at"] is not None


def test_the_campaign_page_shows_where_alerts_go_and_the_secret_to_managers_only(
    running_ad, receiver, client, member
):
    _route(running_ad, receiver)
    url = f"/ads/campaigns/{running_ad.campaign_id}/"

    client.force_login(member(running_ad.workspace, Role.MARKETER).user)
    managers = client.get(url).content.decode()
    client.force_login(member(running_ad.workspace, Role.ANALYST).user)
    analysts = client.get(url).content.decode()

    assert "ops@kopi.example, ana@kopi.example" in managers and receiver.url in managers
    assert receiver.secret in managers
    assert receiver.url in analysts and receiver.secret not in analysts


# --- rotating the webhook signing secret ----------------------------------------------------------

PUBLIC_HOOK = "https://93.184.216.34/hooks/ads"


def _signed_delivery(alert: AdCommentAlert) -> httpx.Request:
    seen: list[httpx.Request] = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        comment_alert_deliver(alert_id=alert.pk, workspace_id=alert.workspace_id, http=http)
    (request,) = seen
    return request


def _accepted_by(request: httpx.Request, *secrets: str) -> set[str]:
    """Which of `secrets` a receiver holding only that one would accept the delivery with."""
    accepted = set()
    for secret in secrets:
        with contextlib.suppress(SignatureError):
            verify_standard(secrets=[secret], headers=request.headers, body=request.content, now=time.time())
            accepted.add(secret)
    return accepted


def _rotate(client, campaign_id: int):
    return client.post(f"/ads/campaigns/{campaign_id}/guard/rotate-secret/")


def test_after_rotating_the_secret_alerts_verify_with_the_old_and_the_new(
    running_ad, graph, client, marketer
):
    campaign_comment_guard_set(
        campaign=running_ad.campaign, guard={"webhook_url": PUBLIC_HOOK}, webhook_secret=SECRET
    )
    client.force_login(marketer.user)

    response = _rotate(client, running_ad.campaign_id)

    assert response.status_code == 302
    new = AdCampaign.objects.get(pk=running_ad.campaign_id).comment_alert_webhook_secret
    assert new.startswith("whsec_") and new != SECRET
    request = _signed_delivery(_spike(running_ad, graph))
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    # A receiver still on the old secret and one already on the new both accept the alert.
    assert _accepted_by(request, SECRET, new) == {SECRET, new}
    (entry,) = AuditEntry.objects.filter(action="ads.comment_alert_webhook_secret_rotate")
    assert entry.object_id == str(running_ad.campaign_id) and entry.actor_id == marketer.user.pk
    assert "whsec_" not in json.dumps([entry.before, entry.after])


def test_after_the_grace_period_only_the_new_secret_signs(running_ad, graph, client, marketer):
    campaign_comment_guard_set(
        campaign=running_ad.campaign, guard={"webhook_url": PUBLIC_HOOK}, webhook_secret=SECRET
    )
    client.force_login(marketer.user)
    _rotate(client, running_ad.campaign_id)
    AdCampaign.objects.filter(pk=running_ad.campaign_id).update(
        comment_alert_webhook_previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    new = AdCampaign.objects.get(pk=running_ad.campaign_id).comment_alert_webhook_secret

    request = _signed_delivery(_spike(running_ad, graph))

    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert _accepted_by(request, SECRET, new) == {new}


def test_a_secret_set_by_api_is_a_rotation_too(running_ad, graph, api, marketer):
    campaign_comment_guard_set(
        campaign=running_ad.campaign, guard={"webhook_url": PUBLIC_HOOK}, webhook_secret=SECRET
    )
    new = new_standard_secret()

    response = api(marketer).patch(
        f"/api/v1/ads/campaigns/{running_ad.campaign_id}/",
        {"comment_alert_webhook_secret": new},
        format="json",
    )

    assert response.status_code == 200, response.content
    request = _signed_delivery(_spike(running_ad, graph))
    assert _accepted_by(request, SECRET, new) == {SECRET, new}


def test_only_managers_of_the_campaigns_workspace_rotate_its_secret(running_ad, client, member, workspace_b):
    campaign_comment_guard_set(
        campaign=running_ad.campaign, guard={"webhook_url": PUBLIC_HOOK}, webhook_secret=SECRET
    )
    other = SAMPLES["ads-campaign"](workspace_b)
    campaign_comment_guard_set(campaign=other, guard={"webhook_url": PUBLIC_HOOK})
    other_secret = AdCampaign.objects.get(pk=other.pk).comment_alert_webhook_secret

    client.force_login(member(running_ad.workspace, Role.ANALYST).user)
    analyst = _rotate(client, running_ad.campaign_id)
    client.force_login(member(running_ad.workspace, Role.ADMIN).user)
    elsewhere = _rotate(client, other.pk)

    assert (analyst.status_code, elsewhere.status_code) == (403, 404)
    assert AdCampaign.objects.get(pk=running_ad.campaign_id).comment_alert_webhook_secret == SECRET
    assert AdCampaign.objects.get(pk=other.pk).comment_alert_webhook_secret == other_secret
    assert not AuditEntry.objects.filter(action="ads.comment_alert_webhook_secret_rotate").exists()


def test_the_campaign_page_offers_rotation_and_says_when_there_is_no_webhook(running_ad, client, marketer):
    client.force_login(marketer.user)
    campaign_comment_guard_set(campaign=running_ad.campaign, guard={"notify": ["ops@kopi.example"]})

    refused = client.post(f"/ads/campaigns/{running_ad.campaign_id}/guard/rotate-secret/", follow=True)
    campaign_comment_guard_set(campaign=running_ad.campaign, guard={"webhook_url": PUBLIC_HOOK})
    page = client.get(f"/ads/campaigns/{running_ad.campaign_id}/").content.decode()

    assert "Set a webhook URL before rotating its secret." in refused.content.decode()
    assert f'action="/ads/campaigns/{running_ad.campaign_id}/guard/rotate-secret/"' in page
    assert "Rotate secret" in page
