""" "Connect YouTube" against the stand-in of Google's sign-in and the YouTube Data API
(tests/channels/stubs/youtube_server.py): the start, the code exchange with the PKCE verifier and
the client in the form, the channel `channels.list?mine=true` names, re-connecting a channel whose
refresh token Google stopped honouring, and where the new account goes."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.sign_in import come_back, messages_of, raw_credentials, start
from tests.channels.stubs.youtube_server import CHANNEL_ID, CLIENT_SECRET
from tests.channels.youtube_helpers import youtube_account, youtube_sign_in
from tests.factories import BrandFactory, BusinessUnitFactory

pytestmark = pytest.mark.django_db

CALLBACK = "/admin/accounts/connect/youtube/callback/"


@pytest.fixture
def google(settings, youtube):
    youtube_sign_in(settings, youtube)
    return youtube


@pytest.fixture
def admin(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    return client


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_start_asks_google_for_offline_access_to_the_channel_with_an_s256_challenge(admin, google):
    location = start(admin, "youtube")

    assert location.split("?")[0] == google.authorize_url
    query = _query(location)
    assert query["client_id"] == google.client_id and query["response_type"] == "code"
    assert query["redirect_uri"] == f"https://cxm.example{CALLBACK}"
    assert query["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
    assert (query["access_type"], query["prompt"]) == ("offline", "consent")
    verifier = admin.session["channels.oauth2.youtube"]["verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_signing_in_connects_the_channel_google_granted(admin, google, workspace_a):
    answer = come_back(admin, google.approve(start(admin, "youtube")))

    assert answer["Location"] == "/admin/accounts/"
    assert f"Account connected: YouTube {CHANNEL_ID} (Kopi Nusantara)" in messages_of(answer)
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="youtube")
    assert (account.handle, account.display_name) == (CHANNEL_ID, "Kopi Nusantara")
    assert account.status == AccountStatus.CONNECTED
    (issued,) = google.refresh_tokens - {"1//stub-refresh-token"}
    assert account.credentials == {
        "client_id": google.client_id,
        "client_secret": CLIENT_SECRET,
        "refresh_token": issued,
    }
    assert issued not in raw_credentials(account.pk) and CLIENT_SECRET not in raw_credentials(account.pk)


def test_the_code_is_exchanged_with_the_verifier_and_the_client_in_the_form(admin, google):
    location = start(admin, "youtube")
    verifier = admin.session["channels.oauth2.youtube"]["verifier"]

    come_back(admin, google.approve(location))

    exchange, refresh = [r for r in google.requests if r.path == "/token"]
    form = {k: v[0] for k, v in exchange.form().items()}
    assert form["grant_type"] == "authorization_code" and form["code_verifier"] == verifier
    assert (form["client_id"], form["client_secret"]) == (google.client_id, CLIENT_SECRET)
    assert form["redirect_uri"] == f"https://cxm.example{CALLBACK}"
    assert exchange.header("Authorization") == ""
    # The kept refresh token is tried before it is stored; channels.list answers with its token.
    assert refresh.form()["grant_type"] == ["refresh_token"] and refresh.status == 200
    (listed,) = google.calls("GET", "channels")
    assert listed.query["part"] == ["snippet"] and listed.query["mine"] == ["true"]


def test_a_code_exchanged_with_another_verifier_is_refused_by_google_and_nothing_is_stored(admin, google):
    callback = google.approve(start(admin, "youtube"))
    session = admin.session
    session["channels.oauth2.youtube"] = {**session["channels.oauth2.youtube"], "verifier": "not-it" * 12}
    session.save()

    answer = come_back(admin, callback)

    assert any(
        "YouTube refused the sign-in" in m and "Invalid code verifier." in m for m in messages_of(answer)
    )
    assert google.calls("GET", "channels") == []
    assert not ChannelAccount.objects.filter(platform="youtube").exists()


def test_a_tampered_state_is_refused_before_google_is_called(admin, google):
    callback = google.approve(start(admin, "youtube"))
    forged = signing.dumps("a-nonce-of-another-session", salt="channels.oauth2.state.youtube")

    answer = admin.get(CALLBACK, {**_query(callback), "state": forged})

    assert any("sign-in with YouTube could not be verified" in m for m in messages_of(answer))
    assert [r for r in google.requests if r.path == "/token"] == []
    assert not ChannelAccount.objects.filter(platform="youtube").exists()


def test_a_state_is_good_once(admin, google):
    callback = google.approve(start(admin, "youtube"))
    come_back(admin, callback)
    again = come_back(admin, callback)
    assert any("could not be verified" in m for m in messages_of(again))
    assert ChannelAccount.objects.filter(platform="youtube").count() == 1


def test_a_denied_consent_connects_nothing(admin, google):
    state = _query(start(admin, "youtube"))["state"]
    answer = admin.get(CALLBACK, {"state": state, "error": "access_denied"})
    assert "YouTube did not grant access: nothing was connected." in messages_of(answer)
    assert not ChannelAccount.objects.filter(platform="youtube").exists()


def test_signing_in_again_re_connects_a_channel_google_stopped_honouring(admin, google, workspace_a):
    old = youtube_account(workspace_a, google)
    google.revoked = True
    ChannelAccount.objects.filter(pk=old.pk).update(
        status=AccountStatus.NEEDS_REAUTH, error_text="invalid_grant"
    )
    page = admin.get("/admin/accounts/").content.decode()
    assert '<a href="/admin/accounts/connect/youtube/?go=1">Re-connect</a>' in page
    google.revoked = False
    google.refresh_tokens.discard(old.credentials["refresh_token"])  # Google forgot the old grant

    answer = come_back(admin, google.approve(start(admin, "youtube", go="1")))

    assert f"Account re-connected: YouTube {CHANNEL_ID} (Kopi Nusantara)" in messages_of(answer)
    old.refresh_from_db()
    assert old.status == AccountStatus.CONNECTED and old.error_text == ""
    assert old.credentials["refresh_token"] in google.refresh_tokens
    assert ChannelAccount.objects.filter(workspace=workspace_a, platform="youtube").count() == 1


def test_where_the_workspace_has_a_choice_the_admin_picks_the_business_unit_and_brand(
    admin, google, workspace_a
):
    retail, online = BusinessUnitFactory(workspace=workspace_a), BusinessUnitFactory(workspace=workspace_a)
    kopi = BrandFactory(workspace=workspace_a, business_unit=online)
    BrandFactory(workspace=workspace_a, business_unit=retail)

    chooser = admin.get("/admin/accounts/connect/youtube/")
    assert chooser.status_code == 200 and "Continue to YouTube" in chooser.content.decode()
    location = start(admin, "youtube", go="1", business_unit=online.pk, brand=kopi.pk)
    come_back(admin, google.approve(location))

    account = ChannelAccount.objects.get(workspace=workspace_a, platform="youtube")
    assert (account.business_unit, account.brand) == (online, kopi)


def test_another_workspaces_business_unit_cannot_be_picked(admin, google, workspace_b):
    elsewhere = BusinessUnitFactory(workspace=workspace_b)

    answer = admin.get("/admin/accounts/connect/youtube/", {"go": "1", "business_unit": elsewhere.pk})

    assert answer.status_code == 200 and "Select a valid choice" in answer.content.decode()
    assert "channels.oauth2.youtube" not in admin.session


def test_without_a_google_client_the_admin_is_told_which_settings_are_missing(admin, settings):
    settings.CXM_YOUTUBE_CLIENT_SECRET = ""
    answer = admin.get("/admin/accounts/connect/youtube/")
    assert answer["Location"] == "/admin/accounts/"
    assert any("CXM_YOUTUBE_CLIENT_ID" in m and "CXM_YOUTUBE_CLIENT_SECRET" in m for m in messages_of(answer))


def test_the_accounts_page_offers_connect_youtube(admin):
    page = admin.get("/admin/accounts/").content.decode()
    assert '<a role="button" href="/admin/accounts/connect/youtube/">Connect YouTube</a>' in page
