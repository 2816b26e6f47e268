"""A raised spike alert is emailed to the topic's recipients and POSTed, signed the Standard
Webhooks way, to its webhook: once, retried on transient errors, recorded when refused."""

from __future__ import annotations

import socket
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.http import QueryDict

from cxm.channels.models import AlertDeliveryStatus
from cxm.channels.signing import new_standard_secret
from cxm.tenancy.models import Role
from listening import tasks
from listening.alert_delivery import alert_delivery_plan
from listening.models import Alert, Topic
from listening.selectors import ExplorerFilters
from listening.services import alert_deliver, alerts_detect, topic_alert_delivery_set

TODAY = date(2026, 11, 20)
SECRET = new_standard_secret()


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.CXM_BASE_URL = "https://cxm.example.com"


def _topic(workspace, receiver=None, recipients=("ops@kopi.example", "ana@kopi.example")) -> Topic:
    topic = Topic.objects.create(workspace=workspace, name="Piracy", query="torrent", alert_min_volume=10)
    return topic_alert_delivery_set(
        topic=topic,
        recipients=list(recipients),
        webhook_url=receiver.url if receiver else "",
        webhook_secret=receiver.secret if receiver else None,
    )


def _alert(topic: Topic) -> Alert:
    alert = Alert.objects.create(
        workspace=topic.workspace, topic=topic, kind=Alert.Kind.VOLUME, day=TODAY, observed=30, baseline=3
    )
    return alert_delivery_plan(alert=alert)


def _deliver(alert: Alert) -> Alert:
    tasks.alert_deliver_run.apply(kwargs={"alert_id": alert.pk, "workspace_id": alert.workspace_id})
    alert.refresh_from_db()
    return alert


@pytest.mark.django_db
def test_a_raised_alert_is_handed_to_the_delivery_task_when_it_commits(
    workspace_a, monkeypatch, django_capture_on_commit_callbacks
):
    topic = _topic(workspace_a)
    queued = []
    monkeypatch.setattr(tasks.alert_deliver_run, "delay", lambda **kwargs: queued.append(kwargs))
    # Fourteen quiet days of 3 mentions, then 30 today (alerts read the daily roll-ups only).
    with connection.cursor() as cursor:
        for offset, count in [(0, 30), *((d, 3) for d in range(1, 15))]:
            cursor.execute(
                "INSERT INTO listening_mention_daily (workspace_id, day, topic_id, platform, language, "
                "sentiment, media_type, country, mentions) VALUES (%s, %s, %s, 'mastodon', 'en', 'neutral', "
                "'earned', '', %s)",
                [workspace_a.pk, TODAY - timedelta(days=offset), topic.pk, count],
            )

    with django_capture_on_commit_callbacks(execute=True):
        raised = alerts_detect(workspace_id=workspace_a.pk, today=TODAY)
        assert queued == []  # nothing leaves before the alert is committed

    assert raised and queued == [{"alert_id": a.pk, "workspace_id": workspace_a.pk} for a in raised]
    assert all(a.email_status == AlertDeliveryStatus.PENDING for a in raised)
    assert all(a.webhook_status == AlertDeliveryStatus.NONE for a in raised)


@pytest.mark.django_db
def test_the_email_reaches_every_recipient_with_the_numbers_and_an_explorer_link(workspace_a):
    topic = _topic(workspace_a)
    topic.alert_email = "boss@kopi.example"  # the API's original single address counts too
    topic.save()

    alert = _deliver(_alert(topic))

    assert alert.email_status == AlertDeliveryStatus.SENT and alert.emailed_at is not None
    assert alert.webhook_status == AlertDeliveryStatus.NONE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["ana@kopi.example", "boss@kopi.example", "ops@kopi.example"]
    assert "Volume spike" in message.subject and "Piracy" in message.subject
    assert "Observed: 30 mentions" in message.body and "Baseline: 3 a day" in message.body
    link = next(line for line in message.body.splitlines() if "https://" in line).split()[-1]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://cxm.example.com/listening/"
    filters = ExplorerFilters.from_params(QueryDict(parts.query))
    assert filters.topic == topic.pk
    assert (filters.since.date(), filters.until.date()) == (TODAY, TODAY + timedelta(days=1))


@pytest.mark.django_db
def test_the_webhook_is_signed_so_the_receiver_verifies_it(workspace_a, receiver):
    topic = _topic(workspace_a, receiver, recipients=())

    alert = _deliver(_alert(topic))

    assert alert.webhook_status == AlertDeliveryStatus.SENT and alert.webhook_delivered_at is not None
    assert alert.email_status == AlertDeliveryStatus.NONE
    [request] = receiver.requests
    assert request.verified and request.webhook_id == alert.webhook_id
    event = request.body
    assert event["type"] == "listening.alert"
    data = event["data"]
    assert data["topic"] == {"id": topic.pk, "name": "Piracy", "query": "torrent"}
    assert (data["kind"], data["day"], data["observed"], data["baseline"]) == ("volume", "2026-11-20", 30, 3)
    assert data["explorer_url"] == (
        f"https://cxm.example.com/listening/?topic={topic.pk}&since=2026-11-20&until=2026-11-21"
    )


@pytest.mark.django_db
def test_running_the_task_twice_sends_once(workspace_a, receiver):
    alert = _alert(_topic(workspace_a, receiver))

    _deliver(alert)
    alert = _deliver(alert)

    assert len(mail.outbox) == 1
    assert len(receiver.requests) == 1
    assert (alert.email_status, alert.webhook_status) == (AlertDeliveryStatus.SENT, AlertDeliveryStatus.SENT)
    assert alert.delivery_attempts == 1


@pytest.mark.django_db
def test_a_run_that_finds_a_live_lease_leaves_the_alert_alone(workspace_a, receiver):
    alert = _alert(_topic(workspace_a, receiver))
    Alert.objects.filter(pk=alert.pk).update(delivery_lease_until=alert.created_at + timedelta(days=1))

    outcome = alert_deliver(alert_id=alert.pk, workspace_id=workspace_a.pk)

    assert not outcome.attempted
    assert receiver.requests == [] and mail.outbox == []


@pytest.mark.django_db
def test_a_500_is_retried_with_the_same_webhook_id_then_delivered(workspace_a, receiver):
    receiver.statuses = [500, 200]
    alert = _alert(_topic(workspace_a, receiver))

    alert = _deliver(alert)  # the eager task retries at once instead of after its countdown

    assert [r.webhook_id for r in receiver.requests] == [alert.webhook_id, alert.webhook_id]
    assert all(r.verified for r in receiver.requests)
    assert alert.webhook_status == AlertDeliveryStatus.SENT and alert.webhook_error == ""
    assert alert.delivery_attempts == 2
    assert len(mail.outbox) == 1  # the email went out on the first run and was not repeated


@pytest.mark.django_db
def test_a_transient_failure_schedules_a_retry_with_backoff(workspace_a, receiver):
    receiver.statuses = [503]
    alert = _alert(_topic(workspace_a, receiver, recipients=()))

    outcome = alert_deliver(alert_id=alert.pk, workspace_id=workspace_a.pk)

    alert.refresh_from_db()
    assert outcome.retry_in == 30
    assert alert.webhook_status == AlertDeliveryStatus.PENDING and "503" in alert.webhook_error
    assert alert.delivery_retry_at is not None and alert.delivery_lease_until is None


@pytest.mark.django_db
def test_a_400_is_recorded_as_failed_and_never_retried(workspace_a, receiver):
    receiver.statuses = [400]
    alert = _alert(_topic(workspace_a, receiver))

    alert = _deliver(alert)
    alert = _deliver(alert)

    assert len(receiver.requests) == 1
    assert alert.webhook_status == AlertDeliveryStatus.FAILED and "400" in alert.webhook_error
    assert alert.email_status == AlertDeliveryStatus.SENT and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_receiver_that_never_recovers_is_given_up_on(workspace_a, receiver):
    receiver.statuses = [502] * 20
    alert = _alert(_topic(workspace_a, receiver, recipients=()))

    alert = _deliver(alert)

    assert len(receiver.requests) == 8
    assert alert.webhook_status == AlertDeliveryStatus.FAILED
    assert alert.webhook_error.startswith("gave up after 8 attempts")


@pytest.mark.django_db
def test_the_alerts_page_shows_how_delivery_went(client, workspace_a, member, receiver):
    receiver.statuses = [400]
    alert = _deliver(_alert(_topic(workspace_a, receiver)))
    client.force_login(member(workspace_a, Role.AGENT).user)

    page = client.get("/listening/alerts/").content.decode()

    assert 'data-channel="email" data-status="sent"' in page
    assert 'data-channel="webhook" data-status="failed"' in page
    assert alert.webhook_error in page


@pytest.mark.django_db
def test_topic_managers_set_recipients_and_webhook_on_the_topic_form(client, workspace_a, member, settings):
    # `.example` names never resolve; a webhook URL that does not resolve is refused unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    topic = Topic.objects.create(
        workspace=workspace_a, name="Piracy", query="torrent", alert_email="a@kopi.example"
    )
    client.force_login(member(workspace_a, Role.ANALYST).user)

    page = client.get(f"/listening/topics/{topic.pk}/").content.decode()
    assert "a@kopi.example" in page
    response = client.post(
        f"/listening/topics/{topic.pk}/",
        {
            "name": "Piracy",
            "query": "torrent",
            "alert_recipients": "a@kopi.example\nops@kopi.example",
            "alert_webhook_url": "https://hooks.kopi.example/cxm",
            "alert_webhook_secret": "",
        },
    )

    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.alert_email_recipients == ["a@kopi.example", "ops@kopi.example"]
    assert topic.alert_webhook_url == "https://hooks.kopi.example/cxm"
    assert topic.alert_webhook_secret.startswith("whsec_")  # generated for the new webhook


@pytest.mark.django_db
def test_a_new_topic_can_name_its_recipients_at_once(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ANALYST).user)

    response = client.post(
        "/listening/topics/",
        {"name": "Stock", "query": "restock", "alert_recipients": "ops@kopi.example; ana@kopi.example"},
    )

    assert response.status_code == 302
    topic = Topic.objects.get(workspace=workspace_a, name="Stock")
    assert topic.alert_recipients == ["ops@kopi.example", "ana@kopi.example"]
    assert "ops@kopi.example, ana@kopi.example" in client.get("/listening/topics/").content.decode()


@pytest.mark.django_db
def test_a_bad_recipient_is_refused_on_the_form(client, workspace_a, member):
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")
    client.force_login(member(workspace_a, Role.ANALYST).user)

    response = client.post(
        f"/listening/topics/{topic.pk}/",
        {"name": "Piracy", "query": "torrent", "alert_recipients": "ops@kopi.example, not-an-address"},
    )

    assert response.status_code == 200
    assert "not-an-address is not an email address." in response.content.decode()
    topic.refresh_from_db()
    assert topic.alert_recipients == []


@pytest.mark.django_db
def test_people_who_cannot_manage_topics_cannot_edit_delivery(client, workspace_a, member):
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")
    client.force_login(member(workspace_a, Role.AGENT).user)

    assert client.get(f"/listening/topics/{topic.pk}/").status_code == 403


@pytest.mark.django_db
def test_the_topics_api_takes_delivery_settings_and_never_shows_the_secret(
    api, workspace_a, member, settings
):
    # `.example` names never resolve; a webhook URL that does not resolve is refused unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    client = api(member(workspace_a, Role.ANALYST))

    response = client.post(
        "/api/v1/topics/",
        {
            "name": "Piracy",
            "query": "torrent",
            "alert_email": "boss@kopi.example",
            "alert_recipients": ["ops@kopi.example"],
            "alert_webhook_url": "https://hooks.kopi.example/cxm",
            "alert_webhook_secret": SECRET,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["alert_email"] == "boss@kopi.example"
    assert body["alert_recipients"] == ["ops@kopi.example"]
    assert body["alert_webhook_url"] == "https://hooks.kopi.example/cxm"
    assert body["alert_webhook_secret_set"] is True
    assert "alert_webhook_secret" not in body and SECRET not in response.content.decode()
    topic = Topic.objects.get(pk=body["id"])
    assert topic.alert_webhook_secret == SECRET
    with connection.cursor() as cursor:
        cursor.execute("SELECT alert_webhook_secret FROM listening_topic WHERE id = %s", [topic.pk])
        assert "whsec_" not in cursor.fetchone()[0]  # encrypted at rest

    refused = client.patch(f"/api/v1/topics/{topic.pk}/", {"alert_webhook_secret": "hunter2"}, format="json")
    assert refused.status_code == 400 and "alert_webhook_secret" in refused.json()["fields"]


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_retried_later(workspace_a, settings):
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    alert = _alert(_topic(workspace_a))

    outcome = alert_deliver(alert_id=alert.pk, workspace_id=workspace_a.pk)

    alert.refresh_from_db()
    assert outcome.retry_in == 30
    assert alert.email_status == AlertDeliveryStatus.PENDING and "unreachable" in alert.email_error


@pytest.mark.django_db
def test_beat_hands_long_overdue_deliveries_to_a_new_task(workspace_a, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.alert_deliver_run, "delay", lambda **kwargs: queued.append(kwargs))
    overdue = _alert(_topic(workspace_a))
    Alert.objects.filter(pk=overdue.pk).update(delivery_retry_at=overdue.created_at - timedelta(hours=1))
    on_time = Alert.objects.create(
        workspace=workspace_a,
        topic=overdue.topic,
        kind=Alert.Kind.NEGATIVE,
        day=TODAY,
        observed=0.6,
        baseline=0.1,
    )
    alert_delivery_plan(alert=on_time)  # due now: its own task is on the way

    tasks.alerts_detect_all()

    assert queued == [{"alert_id": overdue.pk, "workspace_id": workspace_a.pk}]
