"""Outbound calls to user-given URLs reach public addresses only, unless an admin allows private ones."""

import json
import socket

import pytest
from django.core.exceptions import ValidationError

from ads.comments import campaign_comment_guard_set
from ads.models import AdCampaign, Feed
from ads.services import feed_create_from_url
from ads.services import feeds as ads_feeds
from cxm.audit.models import AuditEntry
from cxm.channels import outbound
from cxm.channels.models import AlertDeliveryStatus, ChannelAccount
from cxm.tenancy import services as tenancy_services
from cxm.tenancy.models import Role
from listening.models import Alert, Topic
from listening.services import alert_deliver, topic_alert_delivery_set
from tests.channels.stubs.feed_server import FeedServer


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
        webhook_status=AlertDeliveryStatus.PENDING,
    )
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    alert_deliver(alert_id=alert.pk, workspace_id=workspace_a.pk)
    alert.refresh_from_db()
    assert alert.webhook_status == AlertDeliveryStatus.FAILED
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


# --- checked when saved: every place a member types an address the platform will call ----------

INTERNAL = "private, loopback or otherwise internal"
SAVE_REFUSED = [
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://localhost:8000/hook",  # a name that resolves to loopback
]
PUBLIC = "https://93.184.216.34/hook"
NOWHERE = "https://hooks.kopi.invalid/hook"  # `.invalid` never resolves
PRODUCTS = "id,product,price,currency\n1,Lager,4.99,USD\n"


@pytest.mark.parametrize("url", SAVE_REFUSED)
def test_an_internal_address_is_refused_when_saved(url, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(outbound.UnsafeTarget, match=INTERNAL):
        outbound.target_check_on_save(url)


def test_a_name_that_does_not_resolve_is_refused_when_saved_unless_allowed(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    outbound.target_check_on_save(PUBLIC)
    with pytest.raises(outbound.UnsafeTarget, match=r"hooks\.kopi\.invalid does not resolve"):
        outbound.target_check_on_save(NOWHERE)
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    outbound.target_check_on_save(NOWHERE)
    outbound.target_check_on_save("http://localhost:8000/hook")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*SAVE_REFUSED, NOWHERE])
def test_the_accounts_api_refuses_a_webhook_target_on_an_internal_address(url, settings, admin_api):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    answer = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "webhook", "handle": "crm", "options": {"target_url": url}},
        format="json",
    )

    assert answer.status_code == 400
    (message,) = answer.json()["fields"]["options.target_url"]
    assert INTERNAL in message or "does not resolve" in message
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"options": {"feed_url": "http://169.254.169.254/feed.xml"}}, "options.feed_url"),
        ({"base_url": "http://[::1]:8080/feed.xml"}, "base_url"),
        ({"base_url": "http://10.0.0.8", "options": {"feed_url": "/feed.xml"}}, "options.feed_url"),
        ({"options": {"feed_url": "http://localhost/feed.xml"}}, "options.feed_url"),
    ],
)
def test_the_accounts_api_refuses_a_feed_on_an_internal_address(payload, field, settings, admin_api):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    answer = admin_api.post(
        "/api/v1/accounts/", {"platform": "rss", "handle": "news", **payload}, format="json"
    )

    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"][field][0]
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_the_accounts_api_saves_a_public_target_and_a_private_one_when_allowed(settings, admin_api):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    public = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "webhook", "handle": "crm", "options": {"target_url": PUBLIC}},
        format="json",
    )
    feed = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "rss", "handle": "news", "options": {"feed_url": "https://93.184.216.34/feed.xml"}},
        format="json",
    )
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    private = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "webhook", "handle": "on-prem", "options": {"target_url": "http://127.0.0.1:9000/hook"}},
        format="json",
    )

    assert (public.status_code, feed.status_code, private.status_code) == (201, 201, 201)
    assert private.json()["options"]["target_url"] == "http://127.0.0.1:9000/hook"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://[::1", "ftp://93.184.216.34/", "https://93.184.216.34:99999/"])
def test_the_accounts_api_answers_a_malformed_target_with_a_field_error(url, settings, admin_api):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    answer = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "webhook", "handle": "crm", "options": {"target_url": url}},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json()["fields"]["options.target_url"][0] in {
        "Enter an http:// or https:// URL.",
        "The URL has an invalid port.",
    }


@pytest.mark.django_db
def test_editing_a_webhook_target_to_an_internal_address_is_refused(settings, admin_api):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    account_id = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "webhook", "handle": "crm", "options": {"target_url": PUBLIC}},
        format="json",
    ).json()["id"]

    answer = admin_api.patch(
        f"/api/v1/accounts/{account_id}/",
        {"options": {"target_url": "http://169.254.169.254/latest/"}},
        format="json",
    )

    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"]["options.target_url"][0]
    assert ChannelAccount.objects.get(pk=account_id).options["target_url"] == PUBLIC


@pytest.mark.django_db
@pytest.mark.parametrize("url", SAVE_REFUSED)
def test_the_account_form_shows_the_refusal_next_to_the_options(url, settings, client, member, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(member(workspace_a, Role.ADMIN).user)

    page = client.post(
        "/admin/accounts/new/",
        {"platform": "webhook", "handle": "crm", "options_json": json.dumps({"target_url": url})},
    )

    assert page.status_code == 200
    options = page.content.decode().split('name="options_json"', 1)[1].split("</details>")[0]
    assert 'class="form-error"' in options and INTERNAL in options
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_the_account_edit_form_refuses_an_internal_feed_address(settings, client, member, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    account = ChannelAccount.objects.create(
        workspace=workspace_a, platform="rss", handle="news", options={"feed_url": PUBLIC}
    )
    client.force_login(member(workspace_a, Role.ADMIN).user)

    page = client.post(
        f"/admin/accounts/{account.pk}/edit/",
        {"handle": "news", "base_url": "http://127.0.0.1:8000/feed.xml", "options_json": "{}"},
    )

    assert page.status_code == 200
    base_url = page.content.decode().split('name="base_url"', 1)[1].split("</label>")[0]
    assert INTERNAL in base_url
    account.refresh_from_db()
    assert account.base_url == ""


@pytest.mark.django_db
@pytest.mark.parametrize("url", SAVE_REFUSED)
def test_a_listening_alert_webhook_on_an_internal_address_is_refused(url, settings, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")

    with pytest.raises(ValidationError) as refused:
        topic_alert_delivery_set(topic=topic, webhook_url=url)

    assert INTERNAL in refused.value.message_dict["alert_webhook_url"][0]
    topic.refresh_from_db()
    assert topic.alert_webhook_url == ""


@pytest.mark.django_db
def test_a_listening_alert_webhook_is_saved_on_a_public_address_or_a_private_one_when_allowed(
    settings, workspace_a
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")
    assert topic_alert_delivery_set(topic=topic, webhook_url=PUBLIC).alert_webhook_url == PUBLIC
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    saved = topic_alert_delivery_set(topic=topic, webhook_url="http://localhost:9000/hook")
    assert saved.alert_webhook_url == "http://localhost:9000/hook"


@pytest.mark.django_db
def test_the_topics_api_and_form_refuse_an_internal_alert_webhook(settings, api, client, member, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    analyst = member(workspace_a, Role.ANALYST)
    answer = api(analyst).post(
        "/api/v1/topics/",
        {"name": "Piracy", "query": "torrent", "alert_webhook_url": "http://[::1]/hook"},
        format="json",
    )
    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"]["alert_webhook_url"][0]
    assert not Topic.objects.exists()

    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent")
    client.force_login(analyst.user)
    page = client.post(
        f"/listening/topics/{topic.pk}/",
        {"name": "Piracy", "query": "torrent", "alert_webhook_url": "http://10.1.2.3/hook"},
    )
    assert page.status_code == 200
    assert INTERNAL in page.content.decode()
    topic.refresh_from_db()
    assert topic.alert_webhook_url == ""


@pytest.fixture
def campaign(workspace_a):
    return AdCampaign.objects.create(workspace=workspace_a, name="Summer sale", currency="IDR")


@pytest.mark.django_db
@pytest.mark.parametrize("url", SAVE_REFUSED)
def test_an_ads_comment_alert_webhook_on_an_internal_address_is_refused(url, settings, campaign):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ValidationError) as refused:
        campaign_comment_guard_set(campaign=campaign, guard={"webhook_url": url})

    (problem,) = refused.value.message_dict["comment_guard"]
    assert problem.startswith("webhook_url: ") and INTERNAL in problem
    campaign.refresh_from_db()
    assert campaign.comment_guard == {}


@pytest.mark.django_db
def test_an_ads_comment_alert_webhook_is_saved_on_a_public_address_or_a_private_one_when_allowed(
    settings, campaign
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    saved = campaign_comment_guard_set(campaign=campaign, guard={"webhook_url": PUBLIC})
    assert saved.comment_guard["webhook_url"] == PUBLIC
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    saved = campaign_comment_guard_set(campaign=campaign, guard={"webhook_url": "http://127.0.0.1:9/hook"})
    assert saved.comment_guard["webhook_url"] == "http://127.0.0.1:9/hook"


@pytest.mark.django_db
def test_the_campaign_guard_form_and_api_refuse_an_internal_webhook(
    settings, api, client, member, workspace_a, campaign
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    marketer = member(workspace_a, Role.MARKETER)
    client.force_login(marketer.user)

    page = client.post(
        f"/ads/campaigns/{campaign.pk}/guard/",
        {"threshold": "3", "window_minutes": "30", "webhook_url": "http://169.254.169.254/latest/"},
    )
    answer = api(marketer).patch(
        f"/api/v1/ads/campaigns/{campaign.pk}/",
        {"comment_guard": {"webhook_url": "http://localhost/hook"}},
        format="json",
    )

    assert page.status_code == 400
    webhook_field = page.content.decode().split('name="webhook_url"', 1)[1].split("</label>")[0]
    assert INTERNAL in webhook_field
    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"]["comment_guard"][0]
    campaign.refresh_from_db()
    assert campaign.comment_guard == {}


@pytest.mark.django_db
@pytest.mark.parametrize("url", SAVE_REFUSED)
def test_a_product_feed_on_an_internal_address_is_refused(url, settings, workspace_a):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ValidationError) as refused:
        feed_create_from_url(workspace=workspace_a, name="Beers", url=url)

    assert INTERNAL in refused.value.message_dict["url"][0]
    assert not Feed.objects.exists()


@pytest.mark.django_db
def test_a_product_feed_is_saved_on_a_public_address_or_a_private_one_when_allowed(
    settings, workspace_a, monkeypatch
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    # The public host is not reachable from the test machine; what it would answer is given here.
    fetched = []
    monkeypatch.setattr(ads_feeds, "feed_fetch_text", lambda url, **kwargs: fetched.append(url) or PRODUCTS)
    feed = feed_create_from_url(workspace=workspace_a, name="Beers", url="https://93.184.216.34/beers.csv")
    assert fetched == ["https://93.184.216.34/beers.csv"] and feed.row_count == 1
    monkeypatch.undo()

    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    with FeedServer() as host:
        host.set_document("/beers.csv", PRODUCTS, content_type="text/csv")
        feed = feed_create_from_url(workspace=workspace_a, name="Local", url=host.url("/beers.csv"))
    assert feed.row_count == 1


@pytest.mark.django_db
def test_the_feed_api_and_builder_form_refuse_an_internal_feed_address(
    settings, api, client, member, workspace_a, campaign
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    marketer = member(workspace_a, Role.MARKETER)
    client.force_login(marketer.user)

    answer = api(marketer).post(
        "/api/v1/ads/feeds/", {"name": "Beers", "url": "http://10.0.0.8/beers.csv"}, format="json"
    )
    page = client.post(
        f"/ads/campaigns/{campaign.pk}/builder/feed/",
        {"name": "Beers", "url": "http://127.0.0.1:8000/beers.csv"},
    )

    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"]["url"][0]
    assert page.status_code == 400
    url_field = page.content.decode().split('name="url"', 1)[1].split("</label>")[0]
    assert INTERNAL in url_field
    assert not Feed.objects.exists()


def test_an_rss_feed_on_an_internal_address_is_not_fetched(settings):
    from cxm.channels.connectors.base import AccountConfig, PermanentError
    from cxm.channels.connectors.rss import RssConnector

    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False
    config = AccountConfig(platform="rss", handle="news", options={"feed_url": "http://10.0.0.8/feed.xml"})
    with pytest.raises(PermanentError, match="internal"):
        RssConnector(config).fetch({})
