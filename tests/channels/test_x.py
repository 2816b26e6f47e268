"""The X connector and "Connect X" against a stand-in of X (tests/channels/stubs/x_server.py) that
answers as X documents: the OAuth 2.0 flow with PKCE and single-use refresh tokens, mentions,
search per topic and direct messages with their cursors, rate limits, publishing and its duplicate
refusal, and replies from care."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from cxm.channels.connectors.base import (
    AuthError,
    ItemKind,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.x import XConnector, language_of
from cxm.channels.connectors.x_api import DuplicateContent
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.retry import REFUSED, retry_decision
from cxm.channels.services.accounts import account_config, account_connector
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from tests.channels.sign_in import come_back, messages_of, raw_credentials, start
from tests.channels.stubs.x_server import CLIENT_ID, documented
from tests.channels.x_accounts import REDIRECT_URI, connected, x_stand_in

pytestmark = pytest.mark.django_db

SCOPES = {"tweet.read", "tweet.write", "users.read", "dm.read", "dm.write", "offline.access"}


@pytest.fixture
def x(settings):
    with x_stand_in(settings) as stub:
        yield stub


@pytest.fixture
def admin(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    return client


@pytest.fixture
def account(workspace_a, x):
    return connected(workspace_a, x)


def _start(client) -> str:
    return start(client, "x")


# --- Connect X ---------------------------------------------------------------------------------------


def test_the_start_sends_the_browser_to_x_with_the_scopes_a_state_and_an_s256_challenge(admin, x):
    location = _start(admin)
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{x.base_url}/i/oauth2/authorize"
    assert (query["response_type"], query["client_id"], query["redirect_uri"]) == (
        "code",
        CLIENT_ID,
        REDIRECT_URI,
    )
    assert set(query["scope"].split(" ")) == SCOPES
    assert query["code_challenge_method"] == "S256" and len(query["state"]) > 40
    verifier = admin.session["channels.oauth2.x"]["verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_signing_in_connects_the_account_x_names_with_its_tokens_encrypted(admin, x, workspace_a):
    answer = come_back(admin, x.approve(_start(admin)))

    assert answer.status_code == 302 and answer["Location"] == "/admin/accounts/"
    assert any("Account connected" in m for m in messages_of(answer))
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="x")
    assert (account.handle, account.display_name) == ("@XDevelopers", "X Developers")
    assert account.options["user_id"] == "2244994945" and account.status == AccountStatus.CONNECTED
    credentials = account.credentials
    assert credentials["oauth2_provider"] == "x" and credentials["refresh_token"]
    lasts = timezone.datetime.fromisoformat(credentials["expires_at"]) - timezone.now()
    assert timedelta(hours=1, minutes=59) < lasts <= timedelta(hours=2)
    assert credentials["access_token"] not in raw_credentials(account.pk)
    (token_call,) = x.calls("POST", "/2/oauth2/token")
    assert token_call.form()["grant_type"] == ["authorization_code"]
    assert x.calls("GET", "/2/users/me")[0].header("Authorization") == f"Bearer {credentials['access_token']}"


def test_the_accounts_page_shows_the_connected_account_and_the_calls_x_allows(admin, x, workspace_a):
    x.limit("GET /2/users/me", remaining=75, limit=75)
    come_back(admin, x.approve(_start(admin)))

    html = admin.get("/admin/accounts/").content.decode()
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="x")
    reset = timezone.localtime(account.quota_left["reset_at"]).strftime("%H:%M")
    assert "@XDevelopers" in html and "Connect X" in html
    assert f"X: 74 calls left until {reset}" in html


def test_a_code_exchanged_with_another_verifier_is_refused_by_x_and_nothing_is_stored(admin, x):
    callback = x.approve(_start(admin))
    session = admin.session
    session["channels.oauth2.x"] = {**session["channels.oauth2.x"], "verifier": "not-the-one-x-was-shown" * 3}
    session.save()

    answer = come_back(admin, callback)

    assert any(
        "X refused the sign-in" in m and "authorization code was invalid" in m for m in messages_of(answer)
    )
    assert x.calls("POST", "/2/oauth2/token")[0].status == 400
    assert not ChannelAccount.objects.filter(platform="x").exists()


def test_a_state_of_another_session_is_refused_before_x_is_called(admin, x):
    callback = x.approve(_start(admin))
    forged = signing.dumps("a-nonce-of-another-session", salt="channels.oauth2.state.x")
    code = parse_qs(urlsplit(callback).query)["code"][0]

    answer = admin.get("/admin/accounts/connect/x/callback/", {"state": forged, "code": code})

    assert answer["Location"] == "/admin/accounts/"
    assert any("could not be verified" in m for m in messages_of(answer))
    assert x.calls("POST", "/2/oauth2/token") == []
    assert not ChannelAccount.objects.filter(platform="x").exists()


def test_a_state_is_good_once(admin, x):
    callback = x.approve(_start(admin))
    come_back(admin, callback)
    again = come_back(admin, callback)
    assert any("could not be verified" in m for m in messages_of(again))
    assert len(x.calls("POST", "/2/oauth2/token")) == 1


def test_a_denied_consent_connects_nothing(admin, x):
    state = parse_qs(urlsplit(_start(admin)).query)["state"][0]
    answer = admin.get("/admin/accounts/connect/x/callback/", {"state": state, "error": "access_denied"})
    assert any("X did not grant access" in m for m in messages_of(answer))
    assert x.calls("POST", "/2/oauth2/token") == []


def test_signing_in_again_re_connects_an_account_that_needs_it(admin, x, workspace_a):
    old = connected(workspace_a, x)
    ChannelAccount.objects.filter(pk=old.pk).update(status=AccountStatus.NEEDS_REAUTH, error_text="refused")
    assert "Re-connect" in admin.get("/admin/accounts/").content.decode()

    answer = come_back(admin, x.approve(_start(admin)))

    assert any("re-connected" in m for m in messages_of(answer))
    old.refresh_from_db()
    assert old.status == AccountStatus.CONNECTED and old.error_text == ""
    assert ChannelAccount.objects.filter(workspace=workspace_a, platform="x").count() == 1
    assert old.credentials["access_token"] in x.grants[-1].access


def test_without_a_client_the_admin_is_told_which_settings_are_missing(admin, settings):
    settings.CXM_X_CLIENT_ID = ""
    answer = admin.get("/admin/accounts/connect/x/")
    assert answer["Location"] == "/admin/accounts/"
    assert any("CXM_X_CLIENT_ID" in m for m in messages_of(answer))


def test_an_unknown_provider_is_not_found(admin):
    assert admin.get("/admin/accounts/connect/myspace/").status_code == 404


# --- tokens ---------------------------------------------------------------------------------------------


def test_a_token_about_to_lapse_is_refreshed_before_the_call(account, x):
    ChannelAccount.objects.filter(pk=account.pk).update(
        credentials={**account.credentials, "expires_at": (timezone.now() + timedelta(minutes=2)).isoformat()}
    )
    account.refresh_from_db()

    assert account_connector(account).check() == "@XDevelopers"

    (refresh,) = x.calls("POST", "/2/oauth2/token")
    assert refresh.form()["grant_type"] == ["refresh_token"]
    account.refresh_from_db()
    new_token = account.credentials["access_token"]
    assert x.calls("GET", "/2/users/me")[0].header("Authorization") == f"Bearer {new_token}"
    assert timezone.datetime.fromisoformat(account.credentials["expires_at"]) > timezone.now() + timedelta(
        hours=1
    )


def test_a_token_with_time_left_is_used_as_it_is(account, x):
    account_connector(account).check()
    assert x.calls("POST", "/2/oauth2/token") == []


def test_two_workers_holding_the_same_lapsing_token_spend_the_refresh_token_once(account, x):
    lapsing = {**account.credentials, "expires_at": (timezone.now() + timedelta(minutes=1)).isoformat()}
    ChannelAccount.objects.filter(pk=account.pk).update(credentials=lapsing)
    first, second = (ChannelAccount.objects.get(pk=account.pk) for _ in range(2))

    account_connector(first).check()
    account_connector(second).check()  # its copy still says "lapsing"; the stored one does not

    assert len(x.calls("POST", "/2/oauth2/token")) == 1
    assert not x.grants[-1].revoked  # spending a refresh token twice would have revoked the sign-in


def test_a_refused_refresh_marks_the_account_as_needing_re_auth(account, x):
    x.grants[-1].revoked = True
    ChannelAccount.objects.filter(pk=account.pk).update(
        credentials={**account.credentials, "expires_at": (timezone.now() - timedelta(minutes=1)).isoformat()}
    )

    result = account_sync(account_id=account.pk, workspace_id=account.workspace_id)

    assert result.outcome == "needs_reauth"
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH and "invalid_grant" in account.error_text
    assert x.calls("GET", "/2/users/2244994945/mentions") == []


def test_a_token_x_refuses_is_refreshed_and_the_call_tried_once_more(account, x):
    x.expire(account.credentials["access_token"])

    assert account_connector(account).check() == "@XDevelopers"

    statuses = [r.status for r in x.calls("GET", "/2/users/me")]
    assert statuses == [401, 200]
    assert len(x.calls("POST", "/2/oauth2/token")) == 1


# --- listening ------------------------------------------------------------------------------------------


def test_mentions_start_with_the_latest_page_then_follow_since_id(account, x):
    ana = x.add_user("ana_putri", "Ana Putri")
    ours = x.add_post("New cold brew today", author=x.me["id"])
    first = x.add_post("@XDevelopers is the cold brew vegan? & sweet?", author=ana)
    connector = account_connector(account)

    page = connector.fetch({})
    (item,) = page.items
    assert (item.external_id, item.author.handle, item.author.name) == (first, "@ana_putri", "Ana Putri")
    assert item.text == "@XDevelopers is the cold brew vegan? & sweet?" and item.kind == ItemKind.POST
    assert item.url == f"https://x.com/ana_putri/status/{first}"

    reply = x.add_post("@XDevelopers yes please", author=ana, reply_to=ours)
    again = connector.fetch(page.cursor)

    assert [i.external_id for i in again.items] == [reply]
    (comment,) = again.items
    assert (comment.kind, comment.in_reply_to, comment.thread_id) == (ItemKind.COMMENT, ours, ours)
    last = x.calls("GET", "/2/users/2244994945/mentions")[-1]
    assert last.query["since_id"] == [first]
    assert "conversation_id" in last.query["tweet.fields"][0] and last.query["expansions"] == ["author_id"]
    assert connector.fetch(again.cursor).items == []


def test_a_burst_of_mentions_is_read_page_by_page_with_the_same_since_id(account, x):
    ana = x.add_user("ana_putri")
    known = x.add_post("@XDevelopers hi", author=ana)
    connector = account_connector(account)
    cursor = connector.fetch({}).cursor
    burst = [x.add_post(f"@XDevelopers order {n}", author=ana) for n in range(130)]

    first = connector.fetch(cursor)
    second = connector.fetch(first.cursor)

    assert first.more and not second.more
    assert sorted(i.external_id for i in first.items + second.items) == sorted(burst)
    calls = x.calls("GET", "/2/users/2244994945/mentions")[-2:]
    assert [c.query["since_id"] for c in calls] == [[known], [known]]
    assert "pagination_token" not in calls[0].query and "pagination_token" in calls[1].query
    later = x.add_post("@XDevelopers one more", author=ana)
    assert [i.external_id for i in connector.fetch(second.cursor).items] == [later]
    assert x.calls("GET", "/2/users/2244994945/mentions")[-1].query["since_id"] == [max(burst)]


def test_each_topic_is_searched_in_x_syntax_and_a_post_found_twice_is_one_item(workspace_a, x):
    account = connected(workspace_a, x, search_terms=["kopi susu"])
    config = account_config(account)
    connector = XConnector(
        dataclasses.replace(config, options={**config.options, "topic_queries": {"7": "kopi OR teh"}})
    )
    ana = x.add_user("ana_putri")
    cursor = connector.fetch({}).cursor
    assert "search:topic:7" in cursor and "search:term:kopi susu" in cursor
    tea = x.add_post("Teh tarik pagi ini", author=ana)
    both = x.add_post("@XDevelopers kopi susu enak", author=ana)

    page = connector.fetch(cursor)

    assert sorted(i.external_id for i in page.items) == sorted([tea, both])
    queries = {c.query["query"][0] for c in x.calls("GET", "/2/tweets/search/recent")}
    assert queries == {"(kopi OR teh) -is:retweet", '("kopi susu") -is:retweet'}


def test_direct_messages_become_dm_items_in_their_conversation(account, x):
    budi = x.add_user("budi", "Budi Santoso")
    x.add_dm("Old message before connecting", sender=budi)
    connector = account_connector(account)
    cursor = connector.fetch({}).cursor

    event = x.add_dm("Halo, pesanan saya belum sampai", sender=budi)
    x.add_dm("Kami cek ya", sender=x.me["id"], to=budi)  # our own answer is not news
    (item,) = connector.fetch(cursor).items

    assert (item.external_id, item.kind, item.author.handle) == (event, ItemKind.DM, "@budi")
    assert item.thread_id == next(e for e in x.dm_events if e["id"] == event)["dm_conversation_id"]
    call = x.calls("GET", "/2/dm_events")[-1]
    assert (
        call.query["event_types"] == ["MessageCreate"]
        and "dm_conversation_id" in call.query["dm_event.fields"][0]
    )


def test_a_spent_window_slows_that_source_down_and_the_others_go_on(account, x):
    ana = x.add_user("ana_putri")
    connector = account_connector(account)
    cursor = connector.fetch({}).cursor
    x.limit("GET /2/dm_events", remaining=0, reset_in=600)
    mention = x.add_post("@XDevelopers hello", author=ana)

    page = connector.fetch(cursor)

    assert [i.external_id for i in page.items] == [mention]
    assert 590 < page.cursor["waits"]["dm"] - timezone.now().timestamp() <= 600
    dm_calls = len(x.calls("GET", "/2/dm_events"))
    connector.fetch(page.cursor)
    assert len(x.calls("GET", "/2/dm_events")) == dm_calls  # waits for the reset, no call meanwhile


def test_when_every_source_is_limited_the_account_waits_for_the_reset_and_the_tile_says_so(account, x, sink):
    assert account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "ok"
    for endpoint in ("GET /2/users/:id/mentions", "GET /2/dm_events"):
        x.limit(endpoint, remaining=0, reset_in=900)

    result = account_sync(account_id=account.pk, workspace_id=account.workspace_id)

    assert result.outcome == "rate_limited"
    account.refresh_from_db()
    assert account.status == AccountStatus.RATE_LIMITED
    assert timedelta(minutes=14) < account.rate_limited_until - timezone.now() <= timedelta(minutes=16)
    assert account.quota_left["remaining"] == 0


def test_rate_limit_headers_are_kept_on_the_account_and_shown_on_its_tile(admin, account, x, sink):
    x.limit("GET /2/dm_events", remaining=15, limit=15)
    account_sync(account_id=account.pk, workspace_id=account.workspace_id)

    account.refresh_from_db()
    assert account.quota["remaining"] == 14 and account.quota["endpoint"] == "GET /2/dm_events"
    html = admin.get("/admin/accounts/").content.decode()
    assert "X: 14 calls left until" in html and 'data-quota-remaining="14"' in html


# --- publishing -----------------------------------------------------------------------------------------


def test_a_post_is_published_with_its_text_and_link(account, x):
    published = account_connector(account).publish(Outgoing(text="Cold brew is back", idempotency_key="k1"))

    (sent,) = x.calls("POST", "/2/tweets")
    assert sent.json() == {"text": "Cold brew is back"}
    assert published.url == f"https://x.com/XDevelopers/status/{published.external_id}"
    assert x.tweets[published.external_id]["text"] == "Cold brew is back"


def test_a_reply_names_the_post_it_answers(account, x):
    ana = x.add_user("ana_putri")
    question = x.add_post("@XDevelopers open on Sunday?", author=ana)

    published = account_connector(account).reply(
        Outgoing(text="Yes, 8 to 5!", idempotency_key="k2", reply_to=question)
    )

    assert x.calls("POST", "/2/tweets")[0].json()["reply"] == {"in_reply_to_tweet_id": question}
    assert x.tweets[published.external_id]["conversation_id"] == question


def test_a_duplicate_refusal_with_no_post_of_ours_to_adopt_is_permanent(account, x):
    x.add_post("Cold brew is back", author=x.me["id"], at=timezone.now() - timedelta(hours=30))
    x.fail_next("POST", "/2/tweets", 403, documented("errors.json")["duplicate"])

    with pytest.raises(DuplicateContent, match="duplicate content") as refused:
        account_connector(account).publish(Outgoing(text="Cold brew is back", idempotency_key="k3"))

    assert retry_decision(refused.value, 1).reason == REFUSED
    assert len(x.calls("POST", "/2/tweets")) == 1


def test_a_duplicate_refusal_after_a_lost_answer_adopts_the_post_that_went_out(account, x):
    x.lose_next("POST", "/2/tweets")  # X creates the post, then the answer is lost
    connector = account_connector(account)
    with pytest.raises(TransientError):
        connector.publish(Outgoing(text="Cold brew & cake", idempotency_key="k4"))

    published = connector.publish(Outgoing(text="Cold brew & cake", idempotency_key="k4"))

    (ours,) = x.posts_by(x.me["id"])
    assert published.external_id == ours["id"]
    assert [r.status for r in x.calls("POST", "/2/tweets")] == [201, 403]


def test_a_post_is_deleted_and_one_already_gone_counts_as_deleted(account, x):
    connector = account_connector(account)
    published = connector.publish(Outgoing(text="Oops", idempotency_key="k5"))

    connector.delete(published.external_id)
    connector.delete(published.external_id)

    assert published.external_id not in x.tweets
    assert [r.status for r in x.calls("DELETE", f"/2/tweets/{published.external_id}")] == [200, 404]


def test_post_metrics_come_from_public_metrics(account, x):
    post = x.add_post("Hello", author=x.me["id"])
    x.tweets[post]["public_metrics"] = documented("mentions.json")["data"][0]["public_metrics"]

    (metrics,) = account_connector(account).fetch_metrics([post, "1"])

    assert (metrics.likes, metrics.reposts, metrics.replies) == (42, 5, 2)


# --- direct messages from care --------------------------------------------------------------------------


def test_a_direct_message_goes_to_the_conversations_other_person_once(account, x):
    budi = x.add_user("budi")
    asked = x.add_dm("Pesanan saya?", sender=budi)
    conversation = x.dm_events[-1]["dm_conversation_id"]
    outgoing = Outgoing(
        text="Sedang dikirim hari ini.",
        idempotency_key="care-1",
        reply_to=asked,
        recipient="@budi",
        thread_id=conversation,
    )
    connector = account_connector(account)

    first = connector.reply(outgoing)
    again = connector.reply(outgoing)  # a retry after a lost answer finds it sent

    (sent,) = x.calls("POST", f"/2/dm_conversations/with/{budi}/messages")
    assert sent.json() == {"text": "Sedang dikirim hari ini."}
    assert first.external_id == again.external_id == x.dm_events[-1]["id"]


# --- errors and shapes ------------------------------------------------------------------------------------


def test_x_errors_map_onto_the_connector_errors(account, x):
    connector = account_connector(account)
    x.fail_next("GET", "/2/users/me", 503, {"title": "Service Unavailable", "type": "about:blank"})
    with pytest.raises(TransientError, match="Service Unavailable"):
        connector.check()
    x.fail_next("GET", "/2/users/me", 400, documented("errors.json")["invalid_request"])
    with pytest.raises(PermanentError, match="'query' parameter is required"):
        connector.check()
    x.limit("GET /2/users/me", remaining=0, reset_in=300)
    with pytest.raises(RateLimited) as limited:
        connector.check()
    assert 290 < limited.value.retry_after <= 300
    x.grants[-1].revoked = True
    x.limit("GET /2/users/me", remaining=10)
    with pytest.raises(AuthError):
        XConnector(account_config(account)).check()


def test_the_documented_mention_reads_as_an_item(account, x):
    body = documented("mentions.json")
    (tweet,), (user,) = body["data"], body["includes"]["users"]
    x.tweets[tweet["id"]] = {**tweet, "edit_history_tweet_ids": [tweet["id"]]}
    x.users[user["id"]] = {k: user[k] for k in ("id", "name", "username")}

    (item,) = account_connector(account).fetch({}).items

    assert (item.external_id, item.text) == (tweet["id"], "Hey @XDevelopers, love the new API!")
    assert (item.author.handle, item.author.name, item.kind) == ("@developer", "Dev Person", ItemKind.POST)
    assert item.created_at.isoformat() == "2024-01-15T10:30:00+00:00"
    assert item.thread_id == tweet["id"]  # asked for but absent: the post starts its conversation


def test_x_language_codes_read_as_bcp_47():
    assert [language_of(c) for c in ("in", "iw", "en", "und", "qme", None)] == [
        "id",
        "he",
        "en",
        None,
        None,
        None,
    ]
