"""Rotating a topic's webhook secret: both secrets sign alerts for the grace period, then only the new."""

import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.signing import new_standard_secret, verify_standard
from listening.alert_delivery import alert_delivery_plan
from listening.models import Alert, Topic
from listening.services import alert_deliver, topic_alert_delivery_set, topic_alert_webhook_secret_rotate

pytestmark = pytest.mark.django_db

OLD = new_standard_secret()


@pytest.fixture
def topic(workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent", alert_min_volume=10)
    return topic_alert_delivery_set(
        topic=topic, webhook_url="https://93.184.216.34/hooks/cxm", webhook_secret=OLD
    )


def _send(topic) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200)

    alert = Alert.objects.create(
        workspace=topic.workspace,
        topic=topic,
        kind=Alert.Kind.VOLUME,
        day="2026-11-20",
        observed=30,
        baseline=3,
    )
    alert_delivery_plan(alert=alert)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        alert_deliver(alert_id=alert.pk, workspace_id=topic.workspace_id, http=http)
    assert len(seen) == 1
    return seen[0]


def _verifies(request: httpx.Request, secret: str) -> bool:
    try:
        verify_standard(secrets=[secret], headers=request.headers, body=request.content, now=time.time())
    except Exception:
        return False
    return True


def test_during_the_grace_period_the_header_carries_both_signatures(topic):
    topic = topic_alert_webhook_secret_rotate(topic=topic)
    new = topic.alert_webhook_secret
    assert new != OLD
    request = _send(topic)
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert request.headers["webhook-id"] and request.headers["webhook-timestamp"]
    # A receiver still on the old secret and one already on the new both accept it.
    assert _verifies(request, OLD)
    assert _verifies(request, new)
    assert AuditEntry.objects.filter(
        action="topic.alert_webhook_secret_rotate", object_id=str(topic.pk)
    ).exists()


def test_after_the_grace_period_only_the_new_secret_signs(topic):
    topic = topic_alert_webhook_secret_rotate(topic=topic)
    Topic.objects.filter(pk=topic.pk).update(
        alert_webhook_previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    topic.refresh_from_db()
    request = _send(topic)
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert _verifies(request, topic.alert_webhook_secret)
    assert not _verifies(request, OLD)


def test_setting_a_new_secret_by_hand_is_a_rotation_too(topic):
    new = new_standard_secret()
    topic = topic_alert_delivery_set(topic=topic, webhook_secret=new)
    request = _send(topic)
    assert _verifies(request, OLD) and _verifies(request, new)


def test_without_a_rotation_one_signature_is_sent(topic):
    request = _send(topic)
    assert len(request.headers["webhook-signature"].split(" ")) == 1
