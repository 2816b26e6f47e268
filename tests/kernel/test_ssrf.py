"""Outbound calls to user-given URLs reach public addresses only, unless an admin allows private ones."""

import socket

import pytest
from django.core.exceptions import ValidationError

from ads.services import feed_create_from_url
from cxm.audit.models import AuditEntry
from cxm.channels import outbound
from cxm.tenancy import services as tenancy_services
from listening.models import Alert, DeliveryStatus, Topic
from listening.services import alert_deliver, topic_alert_delivery_set


def _resolving_to(*addresses):
    def resolver(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in addresses]

    return resolver


REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.9.9.9:8080/hook",
    "http://localhost/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",  # link-local
    "http://[fc00::1]/hook",  # unique local
    "http://[ff02::1]/hook",  # multicast
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://[::ffff:169.254.169.254]/hook",
    "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_are_refused(url, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(outbound.UnsafeTarget, match="private, loopback or otherwise internal"):
        outbound.target_check(url)


@pytest.mark.parametrize("url", ["https://93.184.216.34/hook", "https://[2606:4700::1111]/hook"])
def test_public_addresses_pass(url, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    outbound.target_check(url)


def test_a_name_is_judged_by_every_address_it_resolves_to(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    outbound.target_check("https://hooks.example.com/x", resolver=_resolving_to("93.184.216.34"))
    with pytest.raises(outbound.UnsafeTarget):
        outbound.target_check(
            "https://hooks.example.com/x", resolver=_resolving_to("93.184.216.34", "10.1.2.3")
        )
    with pytest.raises(outbound.UnsafeTarget):
        outbound.target_check("https://hooks.example.com/x", resolver=_resolving_to("fe80::1%eth0"))


def test_only_http_and_https_are_called(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    for url in ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x", "https:///nohost"]:
        with pytest.raises(outbound.UnsafeTarget, match="http"):
            outbound.target_check(url)


def test_the_deployment_setting_allows_private_targets(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    outbound.target_check("http://127.0.0.1:9000/hook")


@pytest.mark.django_db
def test_an_admin_allows_private_targets_for_one_workspace_and_it_is_audited(
    settings, workspace_a, workspace_b, member
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    admin = member(workspace_a)
    tenancy_services.workspace_security_update(
        workspace=workspace_a, by=admin.user, allow_private_webhook_targets=True
    )
    outbound.target_check("http://10.0.0.5/hook", workspace=workspace_a)
    with pytest.raises(outbound.UnsafeTarget):
        outbound.target_check("http://10.0.0.5/hook", workspace=workspace_b)
    entry = AuditEntry.objects.get(action="workspace.security", workspace=workspace_a)
    assert entry.actor == admin.user
    assert entry.before["allow_private_webhook_targets"] is False
    assert entry.after["allow_private_webhook_targets"] is True


@pytest.mark.django_db
def test_a_listening_webhook_on_a_private_address_is_refused_when_saved(settings, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")
    with pytest.raises(ValidationError) as refused:
        topic_alert_delivery_set(topic=topic, webhook_url="http://169.254.169.254/latest/")
    assert "internal" in refused.value.message_dict["alert_webhook_url"][0]


@pytest.mark.django_db
def test_the_address_is_checked_again_when_the_alert_is_sent(settings, workspace_a):
    """Saved while allowed (or while the name resolved elsewhere), refused at send time."""
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent", alert_min_volume=10)
    topic = topic_alert_delivery_set(topic=topic, webhook_url="http://127.0.0.1:9/hook")
    alert = Alert.objects.create(
        workspace=workspace_a,
        topic=topic,
        kind=Alert.Kind.VOLUME,
        day="2026-11-20",
        observed=30,
        baseline=3,
        webhook_status=DeliveryStatus.PENDING,
    )
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    alert_deliver(alert_id=alert.pk, workspace_id=workspace_a.pk)
    alert.refresh_from_db()
    assert alert.webhook_status == DeliveryStatus.FAILED
    assert "internal" in alert.webhook_error


@pytest.mark.django_db
def test_a_feed_url_on_a_private_address_is_not_fetched(settings, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        feed_create_from_url(workspace=workspace_a, name="Internal", url="http://10.0.0.8/feed.csv")
    assert "internal" in refused.value.message_dict["url"][0]


def test_a_webhook_channel_does_not_publish_to_an_internal_address(settings):
    from cxm.channels.connectors.base import AccountConfig, Outgoing, PermanentError
    from cxm.channels.connectors.webhook import WebhookConnector

    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    config = AccountConfig(
        platform="webhook",
        handle="crm",
        options={"target_url": "http://169.254.169.254/latest/"},
        credentials={"signing_secrets": ["whsec_" + "A" * 44]},
    )
    with pytest.raises(PermanentError, match="internal"):
        WebhookConnector(config).publish(Outgoing(text="hello", idempotency_key="k-1"))
