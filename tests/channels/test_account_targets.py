"""The servers a channel account calls (Mastodon and Bluesky servers, a Meta Graph address, IMAP and
SMTP hosts) are public addresses, checked when the account is saved and again before each call,
unless an admin allows private targets."""

import json
import socket

import httpx
import pytest
from django.core.exceptions import ValidationError

from cxm.channels import outbound
from cxm.channels.connectors.base import AccountConfig, PermanentError
from cxm.channels.connectors.bluesky import BlueskyConnector
from cxm.channels.connectors.email import EmailConnector
from cxm.channels.connectors.mastodon import MastodonConnector
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_create, account_update
from cxm.channels.services.health import account_check
from cxm.tenancy.models import Role, Workspace
from tests.channels.stubs.mastodon_server import MastodonStub

INTERNAL = "private, loopback or otherwise internal"
INTERNAL_URLS = ["http://127.0.0.1:8080", "http://10.0.0.5", "http://169.254.169.254", "http://[::1]:3000"]
INTERNAL_HOSTS = ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "localhost"]
PUBLIC_URL = "https://93.184.216.34"
PUBLIC_HOST = "93.184.216.34"

SERVER_ACCOUNTS = {
    "mastodon": {"handle": "@brand@social.kopi", "credentials": {"access_token": "t"}},
    "bluesky": {"handle": "brand.bsky.social", "credentials": {"app_password": "p"}},
    "meta_ads": {"handle": "act_1001", "credentials": {"access_token": "t"}},
}
MAILBOX = {
    "platform": "email",
    "handle": "care@brand.example",
    "credentials": {"username": "care@brand.example", "password": "pw"},
}


def _resolving_to(*addresses):
    def resolver(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in addresses]

    return resolver


@pytest.fixture(autouse=True)
def _private_targets_refused(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = False


def _allow_private_targets(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(allow_private_webhook_targets=True)
    workspace.refresh_from_db()


# --- when saved, over the API --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(SERVER_ACCOUNTS))
@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_the_api_refuses_a_server_on_an_internal_address(platform, url, admin_api):
    answer = admin_api.post(
        "/api/v1/accounts/",
        {"platform": platform, "base_url": url, **SERVER_ACCOUNTS[platform]},
        format="json",
    )

    assert answer.status_code == 400
    (message,) = answer.json()["fields"]["base_url"]
    assert INTERNAL in message
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_the_api_refuses_mail_servers_on_internal_addresses(host, admin_api):
    answer = admin_api.post(
        "/api/v1/accounts/",
        {**MAILBOX, "options": {"imap_host": host, "smtp_host": host}},
        format="json",
    )

    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert INTERNAL in fields["options.imap_host"][0]
    assert INTERNAL in fields["options.smtp_host"][0]
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_the_api_names_only_the_mail_server_that_is_internal(admin_api):
    answer = admin_api.post(
        "/api/v1/accounts/",
        {**MAILBOX, "options": {"imap_host": PUBLIC_HOST, "smtp_host": "10.0.0.25"}},
        format="json",
    )

    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert list(fields) == ["options.smtp_host"]
    assert "10.0.0.25" in fields["options.smtp_host"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host", ["imaps://imap.kopi.example", "imap.kopi.example/inbox", "me@imap.kopi.example"]
)
def test_a_url_typed_as_a_mail_server_is_refused_with_a_hint(host, admin_api):
    answer = admin_api.post("/api/v1/accounts/", {**MAILBOX, "options": {"imap_host": host}}, format="json")

    assert answer.status_code == 400
    assert answer.json()["fields"]["options.imap_host"] == [
        "Enter a host name or IP address, without http:// or a path."
    ]
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_the_api_saves_servers_on_public_addresses(admin_api):
    for platform, account in SERVER_ACCOUNTS.items():
        answer = admin_api.post(
            "/api/v1/accounts/", {"platform": platform, "base_url": PUBLIC_URL, **account}, format="json"
        )
        assert answer.status_code == 201, answer.json()
    answer = admin_api.post(
        "/api/v1/accounts/",
        {**MAILBOX, "options": {"imap_host": PUBLIC_HOST, "smtp_host": PUBLIC_HOST}},
        format="json",
    )
    assert answer.status_code == 201, answer.json()

    assert ChannelAccount.objects.count() == 4


@pytest.mark.django_db
def test_the_api_saves_internal_servers_when_the_workspace_allows_private_targets(admin_api, workspace_a):
    _allow_private_targets(workspace_a)

    mastodon = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "mastodon", "base_url": "http://127.0.0.1:3000", **SERVER_ACCOUNTS["mastodon"]},
        format="json",
    )
    mailbox = admin_api.post(
        "/api/v1/accounts/",
        {**MAILBOX, "options": {"imap_host": "10.0.0.25", "smtp_host": "localhost"}},
        format="json",
    )

    assert (mastodon.status_code, mailbox.status_code) == (201, 201)
    assert mailbox.json()["options"]["imap_host"] == "10.0.0.25"


@pytest.mark.django_db
def test_editing_a_server_to_an_internal_address_is_refused_over_the_api(admin_api):
    account_id = admin_api.post(
        "/api/v1/accounts/",
        {"platform": "bluesky", "base_url": PUBLIC_URL, **SERVER_ACCOUNTS["bluesky"]},
        format="json",
    ).json()["id"]

    answer = admin_api.patch(
        f"/api/v1/accounts/{account_id}/", {"base_url": "http://169.254.169.254"}, format="json"
    )

    assert answer.status_code == 400
    assert INTERNAL in answer.json()["fields"]["base_url"][0]
    assert ChannelAccount.objects.get(pk=account_id).base_url == PUBLIC_URL


# --- when saved, through the services and the form -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(SERVER_ACCOUNTS))
def test_the_service_refuses_a_server_on_an_internal_address(platform, workspace_a):
    with pytest.raises(ValidationError) as refused:
        account_create(
            workspace=workspace_a,
            platform=platform,
            base_url="http://127.0.0.1:8080",
            **SERVER_ACCOUNTS[platform],
        )

    assert INTERNAL in refused.value.message_dict["base_url"][0]
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_an_edit_that_moves_a_mail_server_inside(workspace_a):
    mailbox = account_create(
        workspace=workspace_a,
        platform="email",
        handle=MAILBOX["handle"],
        credentials=MAILBOX["credentials"],
        options={"imap_host": PUBLIC_HOST, "smtp_host": PUBLIC_HOST},
    )

    with pytest.raises(ValidationError) as refused:
        account_update(account=mailbox, options={"imap_host": "192.168.1.10", "smtp_host": PUBLIC_HOST})

    assert list(refused.value.message_dict) == ["options.imap_host"]
    mailbox.refresh_from_db()
    assert mailbox.options["imap_host"] == PUBLIC_HOST


@pytest.mark.django_db
def test_the_service_saves_internal_servers_when_the_workspace_allows_private_targets(workspace_a):
    _allow_private_targets(workspace_a)

    account = account_create(
        workspace=workspace_a,
        platform="meta_ads",
        base_url="http://10.0.0.5:8080",
        **SERVER_ACCOUNTS["meta_ads"],
    )
    mailbox = account_create(
        workspace=workspace_a,
        platform="email",
        handle=MAILBOX["handle"],
        credentials=MAILBOX["credentials"],
        options={"imap_host": "127.0.0.1", "smtp_host": "127.0.0.1"},
    )

    assert account.base_url == "http://10.0.0.5:8080"
    assert mailbox.options["smtp_host"] == "127.0.0.1"


@pytest.mark.django_db
def test_the_account_form_shows_an_internal_mail_server_next_to_the_options(client, member, workspace_a):
    client.force_login(member(workspace_a, Role.ADMIN).user)

    page = client.post(
        "/admin/accounts/new/",
        {
            "platform": "email",
            "handle": MAILBOX["handle"],
            "username": MAILBOX["handle"],
            "secret": "pw",
            "options_json": json.dumps({"imap_host": "127.0.0.1", "smtp_host": PUBLIC_HOST}),
        },
    )

    assert page.status_code == 200
    options = page.content.decode().split('name="options_json"', 1)[1].split("</details>")[0]
    assert 'class="form-error"' in options and INTERNAL in options
    assert not ChannelAccount.objects.exists()


# --- the host rules ------------------------------------------------------------------------------


def test_a_mail_server_name_is_judged_by_every_address_it_resolves_to():
    outbound.host_check_on_save("imap.kopi.example", resolver=_resolving_to("93.184.216.34"))
    with pytest.raises(outbound.UnsafeTarget, match=INTERNAL):
        outbound.host_check_on_save("imap.kopi.example", resolver=_resolving_to("93.184.216.34", "10.1.2.3"))
    with pytest.raises(outbound.UnsafeTarget, match="does not resolve"):
        outbound.host_check_on_save("imap.kopi.example", resolver=_resolving_to())
    # Before a call a name that does not resolve is left to fail on its own.
    outbound.host_check("imap.kopi.example", resolver=_resolving_to())


def test_a_private_mail_server_passes_when_the_deployment_allows_private_targets(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    outbound.host_check_on_save("10.0.0.25")
    outbound.host_check_on_save("mail.internal", resolver=_resolving_to())


# --- again before each call ----------------------------------------------------------------------


class _Recorder:
    """An HTTP transport that records what would have been sent."""

    def __init__(self):
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        return httpx.Response(500)


@pytest.mark.parametrize(
    ("connector_class", "platform", "call"),
    [
        (MastodonConnector, "mastodon", lambda connector: connector.check()),
        (BlueskyConnector, "bluesky", lambda connector: connector.check()),
        (MetaAdsConnector, "meta_ads", lambda connector: connector.check()),
    ],
)
def test_a_server_that_now_resolves_inside_is_not_called(connector_class, platform, call):
    recorder = _Recorder()
    config = AccountConfig(
        platform=platform,
        base_url="http://127.0.0.1:8080",
        **SERVER_ACCOUNTS[platform],
    )
    connector = connector_class(config, http=httpx.Client(transport=httpx.MockTransport(recorder)))

    with pytest.raises(PermanentError, match=INTERNAL):
        call(connector)
    assert recorder.requests == []


@pytest.mark.parametrize("server", ["imap", "smtp"])
def test_a_mail_server_that_now_resolves_inside_is_not_connected_to(server):
    config = AccountConfig(
        platform="email",
        handle=MAILBOX["handle"],
        credentials=MAILBOX["credentials"],
        options={f"{server}_host": "127.0.0.1", f"{server}_port": 9, "imap_ssl": False},
    )
    connector = EmailConnector(config)
    session = connector._imap_session if server == "imap" else connector._smtp_session

    with pytest.raises(PermanentError, match=INTERNAL), session():
        pass


@pytest.mark.django_db
def test_checking_an_account_on_an_internal_server_says_why_unless_the_workspace_allows_it(workspace_a):
    with MastodonStub() as stub:
        # Saved while private targets were allowed; the allowance has since been withdrawn.
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="mastodon",
            handle="@brand@127.0.0.1",
            base_url=stub.base_url,
            credentials={"access_token": stub.token},
        )

        refused = account_check(account=account)
        _allow_private_targets(workspace_a)
        account.refresh_from_db()
        allowed = account_check(account=account)

    assert not refused.ok and INTERNAL in refused.message
    assert allowed.ok, allowed.message
