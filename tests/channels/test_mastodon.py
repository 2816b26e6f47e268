"""The Mastodon connector against a Mastodon stub on loopback: listening (mentions, DMs, search)
with exactly-once cursors, publishing with idempotency keys, media, limits, metrics and the
mapping of the server's errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    FetchPage,
    Gone,
    Item,
    ItemKind,
    Limits,
    Media,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.mastodon import MastodonConnector, html_to_text
from tests.channels.stubs.mastodon_server import MastodonStub

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def stub() -> Iterator[MastodonStub]:
    with MastodonStub() as server:
        yield server


@pytest.fixture
def connect(stub: MastodonStub) -> Iterator[Callable[..., MastodonConnector]]:
    """connect(search_terms=[...], page_size=..., token=..., timeout=...) -> a connector for the stub."""
    clients: list[httpx.Client] = []

    def make(
        *,
        search_terms: list[str] | None = None,
        page_size: int | None = None,
        token: str | None = None,
        timeout: float = 5.0,
    ) -> MastodonConnector:
        client = httpx.Client(timeout=timeout)
        clients.append(client)
        config = AccountConfig(
            platform="mastodon",
            handle="@brand@127.0.0.1",
            base_url=stub.base_url,
            credentials={"access_token": stub.token if token is None else token},
            options={"search_terms": search_terms or []},
            allow_private_targets=True,  # the stub server listens on 127.0.0.1
        )
        connector = MastodonConnector(config, http=client)
        if page_size is not None:
            connector.page_size = page_size
        connector.media_poll_interval = 0
        return connector

    yield make
    for client in clients:
        client.close()


def sync(connector: MastodonConnector, cursor: dict[str, Any]) -> tuple[list[Item], dict[str, Any], int]:
    """Call fetch the way the sync service does: keep each page's items with its cursor, follow
    `more`, and after a rate limit keep the old cursor and call again. Returns the items, the last
    cursor and how many calls were rate limited."""
    items: list[Item] = []
    limited = 0
    for _ in range(100):
        try:
            page: FetchPage = connector.fetch(cursor)
        except RateLimited:
            limited += 1
            continue
        items += page.items
        cursor = page.cursor
        if not page.more:
            return items, cursor, limited
    raise AssertionError("fetch never caught up")


def ids(items: list[Item]) -> list[str]:
    return [item.external_id for item in items]


def outgoing(text: str = "Thanks for writing!", key: str = "intent-1", **fields: Any) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, **fields)


# --- identity and errors -------------------------------------------------------------------------


def test_check_answers_with_the_accounts_handle(stub, connect):
    assert connect().check() == "@brand"


@pytest.mark.parametrize("fault", [401, 403])
def test_rejected_token_needs_reauthorisation(stub, connect, fault):
    stub.fail_next(fault)

    with pytest.raises(AuthError):
        connect().fetch({})


def test_invalid_token_never_appears_in_the_error(stub, connect):
    token = "secret-token-that-must-not-leak"

    with pytest.raises(AuthError) as raised:
        connect(token=token).check()

    assert "access token is invalid" in str(raised.value)
    assert token not in str(raised.value)
    assert token not in repr(raised.value.args)


@pytest.mark.parametrize("fault", [500, 502, 503])
def test_server_error_is_transient(stub, connect, fault):
    stub.fail_next(fault, path="/api/v1/notifications")

    with pytest.raises(TransientError):
        connect().fetch({})


def test_server_that_does_not_answer_in_time_is_transient(stub, connect):
    stub.hang_next(path="/api/v1/accounts/verify_credentials", seconds=3)

    with pytest.raises(TransientError):
        connect(timeout=0.3).check()


def test_rate_limit_says_when_to_retry_from_the_reset_header(stub, connect):
    stub.fail_next(429, reset_in=120)

    with pytest.raises(RateLimited) as raised:
        connect().check()

    assert 110 <= raised.value.retry_after <= 121
    assert stub.token not in str(raised.value)


# --- listening ------------------------------------------------------------------------------------


def test_first_fetch_takes_latest_mentions_but_no_search_history(stub, connect):
    alice = stub.add_account("alice")
    mention = stub.add_status(alice, "<p>@brand hello</p>", mentions=[stub.me])
    stub.add_status(alice, "<p>old news about coffee</p>")
    connector = connect(search_terms=["coffee"])

    first = connector.fetch({})
    fresh = stub.add_status(alice, "<p>new coffee opinion</p>")
    second = connector.fetch(first.cursor)

    assert ids(first.items) == [mention["id"]]
    assert first.more is False
    assert ids(second.items) == [fresh["id"]]


def test_new_mentions_arrive_across_pages_without_repeats_or_gaps(stub, connect):
    connector = connect(page_size=2)
    cursor = connector.fetch({}).cursor
    fans = [stub.add_account(f"fan{n}") for n in range(3)]
    expected = []
    for n in range(7):
        status = stub.add_status(fans[n % 3], f"<p>@brand message {n}</p>", mentions=[stub.me])
        stub.add_notification("favourite", fans[0], status)  # other kinds are not listened to
        expected.append(status["id"])

    items, _, _ = sync(connector, cursor)

    assert ids(items) == expected
    notification_calls = stub.requests_to("/api/v1/notifications")
    assert all(call.query["types[]"] == ["mention"] for call in notification_calls)
    assert len(notification_calls) >= 5  # seven mentions, two a page


def test_new_search_matches_arrive_across_pages_without_repeats_or_gaps(stub, connect):
    connector = connect(search_terms=["coffee", "tea"], page_size=3)
    cursor = connector.fetch({}).cursor
    alice, bob = stub.add_account("alice"), stub.add_account("bob", domain="remote.example")
    expected = []
    for n in range(5):
        expected.append(stub.add_status(alice, f"<p>coffee thought {n}</p>")["id"])
        expected.append(stub.add_status(bob, f"<p>tea thought {n}</p>")["id"])
        stub.add_status(bob, f"<p>unrelated {n}</p>")
    stub.add_status(alice, "<p>a private coffee</p>", visibility="direct")  # not searchable

    items, _, _ = sync(connector, cursor)

    assert ids(items) == expected
    assert all(call.query["type"] == ["statuses"] for call in stub.requests_to("/api/v2/search"))


def test_fetch_after_catching_up_returns_only_newer_items(stub, connect):
    connector = connect(search_terms=["coffee"])
    alice = stub.add_account("alice")
    cursor = connector.fetch({}).cursor
    stub.add_status(alice, "<p>coffee one</p>")
    stub.add_status(alice, "<p>@brand one</p>", mentions=[stub.me])
    _, cursor, _ = sync(connector, cursor)

    newer = [
        stub.add_status(alice, "<p>coffee two</p>")["id"],
        stub.add_status(alice, "<p>@brand two</p>", mentions=[stub.me])["id"],
    ]
    items, cursor, _ = sync(connector, cursor)
    nothing, _, _ = sync(connector, cursor)

    assert ids(items) == newer
    assert nothing == []


def test_rate_limit_in_the_middle_of_a_fetch_loses_nothing_and_repeats_nothing(stub, connect):
    connector = connect(search_terms=["coffee"], page_size=2)
    cursor = connector.fetch({}).cursor
    alice = stub.add_account("alice")
    expected = []
    for n in range(5):
        expected.append(stub.add_status(alice, f"<p>@brand question {n}</p>", mentions=[stub.me])["id"])
        expected.append(stub.add_status(alice, f"<p>coffee review {n}</p>")["id"])

    first = connector.fetch(cursor)
    # The mentions of the next call are read, then search is refused: that call must cost nothing.
    stub.fail_next(429, path="/api/v2/search", reset_in=30)
    notifications_before = len(stub.requests_to("/api/v1/notifications"))
    with pytest.raises(RateLimited) as raised:
        connector.fetch(first.cursor)
    assert len(stub.requests_to("/api/v1/notifications")) == notifications_before + 1
    assert 20 <= raised.value.retry_after <= 31
    stub.fail_next(429, path="/api/v1/notifications", times=2)
    rest, _, limited = sync(connector, first.cursor)

    delivered = ids(first.items) + ids(rest)
    assert limited == 2
    assert sorted(delivered) == sorted(expected)
    assert len(delivered) == len(set(delivered))


def test_status_found_by_mention_and_by_search_arrives_once(stub, connect):
    connector = connect(search_terms=["coffee"])
    cursor = connector.fetch({}).cursor
    alice = stub.add_account("alice")
    both = stub.add_status(alice, "<p>@brand your coffee is great</p>", mentions=[stub.me])

    items, _, _ = sync(connector, cursor)

    assert ids(items) == [both["id"]]


def test_status_found_by_search_then_by_a_later_mentions_page_arrives_once(stub, connect):
    connector = connect(search_terms=["coffee"], page_size=1)
    cursor = connector.fetch({}).cursor
    alice = stub.add_account("alice")
    first = stub.add_status(alice, "<p>@brand hello</p>", mentions=[stub.me])
    both = stub.add_status(alice, "<p>@brand coffee?</p>", mentions=[stub.me])

    page = connector.fetch(cursor)  # search reaches `both` while mentions are still at `first`
    rest, _, _ = sync(connector, page.cursor)

    assert sorted(ids(page.items)) == sorted([first["id"], both["id"]])
    assert rest == []


def test_direct_message_to_the_brand_arrives_as_dm(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    alice = stub.add_account("alice")
    stub.add_status(alice, "<p>@brand my order never came</p>", visibility="direct", mentions=[stub.me])

    [item] = connector.fetch(cursor).items

    assert item.kind == ItemKind.DM


def test_reply_to_a_brand_post_arrives_as_comment(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    ours = stub.add_status(stub.me, "<p>New flavours today</p>")
    stub.add_status(stub.add_account("alice"), "<p>@brand which ones?</p>", in_reply_to=ours)

    [item] = connector.fetch(cursor).items

    assert item.kind == ItemKind.COMMENT
    assert item.in_reply_to == ours["id"]
    assert item.thread_id == ours["id"]


def test_mention_that_answers_no_brand_post_arrives_as_post(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    alice, bob = stub.add_account("alice"), stub.add_account("bob")
    theirs = stub.add_status(bob, "<p>Where to get lunch?</p>")
    stub.add_status(alice, "<p>@bob try @brand</p>", in_reply_to=theirs, mentions=[stub.me])

    [item] = connector.fetch(cursor).items

    assert item.kind == ItemKind.POST


def test_replies_share_the_thread_of_the_conversation_they_answer(stub, connect):
    connector = connect(page_size=1)
    cursor = connector.fetch({}).cursor
    alice, bob = stub.add_account("alice"), stub.add_account("bob")
    root = stub.add_status(alice, "<p>@brand is the shop open?</p>", mentions=[stub.me])
    answer = stub.add_status(
        bob, "<p>@alice @brand it opened at nine</p>", in_reply_to=root, mentions=[stub.me]
    )
    stub.add_status(alice, "<p>@bob @brand thanks</p>", in_reply_to=answer, mentions=[stub.me])

    items, _, _ = sync(connector, cursor)  # one per call: the root is known from the cursor

    assert [item.thread_id for item in items] == [root["id"]] * 3
    assert [item.in_reply_to for item in items] == [None, root["id"], answer["id"]]


def test_status_html_arrives_as_plain_text(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    stub.add_status(
        stub.add_account("alice"),
        '<p><span class="h-card"><a href="https://127.0.0.1/@brand" class="u-url mention">@<span>brand'
        "</span></a></span> fish &amp; chips &lt;3<br>second line</p><p>Menu: "
        '<a href="https://example.com/menu/today" rel="nofollow noopener" target="_blank">'
        '<span class="invisible">https://</span><span class="ellipsis">example.com/menu</span>'
        '<span class="invisible">/today</span></a></p>',
        mentions=[stub.me],
    )

    [item] = connector.fetch(cursor).items

    assert item.text == "@brand fish & chips <3\nsecond line\n\nMenu: https://example.com/menu/today"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>a<br>b<br />c</p>", "a\nb\nc"),
        ("<p>caf&eacute; &#8212; &quot;ok&quot;</p>", 'café — "ok"'),
        ("<p>spread\n   over\nlines</p>", "spread over lines"),
        ("<p>list:</p><ul><li>one</li><li>two</li></ul>", "list:\n\none\ntwo"),
        ("plain words", "plain words"),
        ("", ""),
    ],
)
def test_html_to_text_keeps_paragraphs_and_line_breaks(html, text):
    assert html_to_text(html) == text


def test_local_authors_are_named_with_the_instance_domain(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    local = stub.add_account("alice", display_name="Alice Example")
    remote = stub.add_account("bob", domain="remote.example")
    stub.add_status(local, "<p>@brand hi</p>", mentions=[stub.me])
    stub.add_status(remote, "<p>@brand hi</p>", mentions=[stub.me])

    first, second = connector.fetch(cursor).items

    assert first.author.handle == "@alice@127.0.0.1"
    assert first.author.platform_id == local["id"]
    assert first.author.name == "Alice Example"
    assert first.author.url == local["url"]
    assert second.author.handle == "@bob@remote.example"


def test_items_carry_time_link_language_warning_and_the_original_status(stub, connect):
    connector = connect()
    cursor = connector.fetch({}).cursor
    posted = datetime(2025, 6, 3, 8, 30, 15, 250000, tzinfo=UTC)
    status = stub.add_status(
        stub.add_account("alice"),
        "<p>@brand halo</p>",
        mentions=[stub.me],
        language="id",
        spoiler_text="keluhan",
        created_at=posted,
    )

    [item] = connector.fetch(cursor).items

    assert item.platform == "mastodon"
    assert item.created_at == posted
    assert item.created_at.tzinfo is not None
    assert item.url == status["url"]
    assert item.language_hint == "id"
    assert item.subject == "keluhan"
    assert item.raw == status


# --- publishing -------------------------------------------------------------------------------------


def test_publish_creates_a_status_and_returns_its_id_and_link(stub, connect):
    published = connect().publish(outgoing("Our autumn menu is here"))

    [created] = stub.created_statuses
    assert published.external_id == created["id"]
    assert published.url == created["url"]
    assert created["content"] == "<p>Our autumn menu is here</p>"
    assert created["visibility"] == "public"


def test_publish_twice_with_same_key_creates_one_status(stub, connect):
    connector = connect()

    first = connector.publish(outgoing(key="post-42"))
    again = connector.publish(outgoing(key="post-42"))

    assert first.external_id == again.external_id
    assert len(stub.created_statuses) == 1
    calls = stub.requests_to("/api/v1/statuses", "POST")
    assert [call.headers["Idempotency-Key"] for call in calls] == ["post-42", "post-42"]


def test_publish_retried_after_a_lost_answer_creates_one_status(stub, connect):
    connector = connect()
    stub.lose_answer_next(path="/api/v1/statuses", method="POST")

    with pytest.raises(TransientError):
        connector.publish(outgoing(key="post-43"))
    published = connector.publish(outgoing(key="post-43"))

    [created] = stub.created_statuses
    assert published.external_id == created["id"]


def test_a_published_status_is_deleted_and_deleting_it_again_says_it_is_gone(stub, connect):
    connector = connect()
    published = connector.publish(outgoing("Wrong price in this one"))

    connector.delete(published.external_id)

    assert stub.created_statuses == [] and stub.deleted_statuses == [published.external_id]
    with pytest.raises(Gone):
        connector.delete(published.external_id)
    assert len(stub.requests_to(f"/api/v1/statuses/{published.external_id}", "DELETE")) == 2


def test_another_accounts_status_cannot_be_deleted(stub, connect):
    alice = stub.add_account("alice")
    status = stub.add_status(alice, "<p>mine</p>")

    with pytest.raises(Gone):
        connect().delete(status["id"])
    assert stub.status(status["id"]) == status


def test_publish_with_a_new_key_creates_another_status(stub, connect):
    connector = connect()

    connector.publish(outgoing(key="post-1"))
    connector.publish(outgoing(key="post-2"))

    assert len(stub.created_statuses) == 2


def test_reply_answers_the_original_status(stub, connect):
    question = stub.add_status(stub.add_account("alice"), "<p>@brand open on Sunday?</p>", mentions=[stub.me])

    published = connect().reply(outgoing("@alice yes, ten to four", reply_to=question["id"]))

    [call] = stub.requests_to("/api/v1/statuses", "POST")
    assert call.params["in_reply_to_id"] == question["id"]
    assert stub.status(published.external_id)["in_reply_to_id"] == question["id"]
    assert stub.status(question["id"])["replies_count"] == 1


def test_reply_without_the_status_it_answers_is_refused(stub, connect):
    with pytest.raises(PermanentError):
        connect().reply(outgoing())

    assert stub.created_statuses == []


def test_direct_message_is_private_and_addresses_the_recipient(stub, connect):
    stub.add_account("alice", domain="remote.example")

    connect().publish(outgoing("your refund is on its way", recipient="alice@remote.example"))

    [created] = stub.created_statuses
    [call] = stub.requests_to("/api/v1/statuses", "POST")
    assert created["visibility"] == "direct"
    assert call.params["status"] == "@alice@remote.example your refund is on its way"
    assert [m["acct"] for m in created["mentions"]] == ["alice@remote.example"]


def test_direct_message_that_already_addresses_the_recipient_is_not_addressed_twice(stub, connect):
    connect().publish(outgoing("@Alice@remote.example hello", recipient="@alice@remote.example"))

    [call] = stub.requests_to("/api/v1/statuses", "POST")
    assert call.params["status"] == "@Alice@remote.example hello"


def test_publish_uploads_media_and_attaches_it(stub, connect):
    photo = Media(filename="latte.png", content_type="image/png", data=PNG, description="A latte")

    published = connect().publish(outgoing("New latte art", media=(photo,)))

    [upload] = stub.requests_to("/api/v2/media", "POST")
    assert upload.files["file"] == ("latte.png", "image/png", PNG)
    assert upload.params["description"] == "A latte"
    [attachment] = stub.status(published.external_id)["media_attachments"]
    assert attachment["description"] == "A latte"
    [call] = stub.requests_to("/api/v1/statuses", "POST")
    assert call.params["media_ids"] == [attachment["id"]]


def test_publish_waits_for_media_still_processing(stub, connect):
    stub.media_processing_polls = 2
    clip = Media(filename="clip.mp4", content_type="video/mp4", data=b"\x00" * 64)

    published = connect().publish(outgoing("Behind the counter", media=(clip,)))

    [attachment] = stub.status(published.external_id)["media_attachments"]
    media_polls = [r.status for r in stub.requests if r.path == f"/api/v1/media/{attachment['id']}"]
    assert media_polls == [206, 206, 200]


def test_publish_with_more_media_than_the_server_takes_is_refused_before_uploading(stub, connect):
    stub.max_media_attachments = 1
    photos = tuple(Media(filename=f"{n}.png", content_type="image/png", data=PNG) for n in range(2))

    with pytest.raises(PermanentError, match="at most 1"):
        connect().publish(outgoing(media=photos))

    assert stub.requests_to("/api/v2/media", "POST") == []
    assert stub.created_statuses == []


def test_text_over_the_server_limit_is_refused_for_good(stub, connect):
    with pytest.raises(PermanentError, match="character limit"):
        connect().publish(outgoing("x" * 501))

    assert stub.created_statuses == []


# --- limits and metrics ------------------------------------------------------------------------------


def test_limits_come_from_the_instance_document(stub, connect):
    stub.max_characters = 5000
    stub.max_media_attachments = 8

    assert connect().limits() == Limits(max_text_length=5000, max_media=8, length_unit="characters")


def test_limits_come_from_the_v1_instance_document_on_servers_before_4_0(stub, connect):
    stub.instance_v2 = False
    stub.max_characters = 1000

    assert connect().limits() == Limits(max_text_length=1000, max_media=4, length_unit="characters")


def test_limits_default_when_the_server_does_not_say(stub, connect):
    stub.max_characters = None
    stub.max_media_attachments = None

    assert connect().limits() == Limits(max_text_length=500, max_media=4, length_unit="characters")


def test_limits_are_asked_once_per_connector(stub, connect):
    connector = connect()

    connector.limits()
    connector.limits()
    connector.publish(outgoing())

    assert len(stub.requests_to("/api/v2/instance")) == 1


def test_metrics_report_favourites_boosts_and_replies(stub, connect):
    ours = stub.add_status(stub.me, "<p>Grand opening</p>")
    ours.update(favourites_count=12, reblogs_count=3, replies_count=5)
    other = stub.add_status(stub.me, "<p>Closing early today</p>")

    metrics = connect().fetch_metrics([ours["id"], other["id"]])

    assert [(m.external_id, m.likes, m.reposts, m.replies) for m in metrics] == [
        (ours["id"], 12, 3, 5),
        (other["id"], 0, 0, 0),
    ]


def test_metrics_leave_out_deleted_posts_and_keep_the_rest(stub, connect, caplog):
    ours = stub.add_status(stub.me, "<p>Still here</p>")
    caplog.set_level(logging.DEBUG)

    metrics = connect().fetch_metrics(["109999999999999999", ours["id"]])

    assert [m.external_id for m in metrics] == [ours["id"]]
    assert stub.token not in caplog.text
