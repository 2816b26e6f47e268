"""The Bluesky connector against a PDS/AppView stub on loopback: app-password sessions and their
refresh, listening (notifications and search) with exactly-once cursors, exactly-once publishing
under record keys derived from idempotency keys, replies, images, grapheme limits and metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Media,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.bluesky import BlueskyConnector
from cxm.channels.connectors.bluesky_posts import grapheme_count, tid_from_key
from tests.channels.stubs.bluesky_server import POST, TID_RE, BlueskyStub

LIST_NOTIFICATIONS = "app.bsky.notification.listNotifications"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
CREATE_RECORD = "com.atproto.repo.createRecord"
GET_RECORD = "com.atproto.repo.getRecord"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The connector's "now", moved by hand so search windows are predictable."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def stub() -> Iterator[BlueskyStub]:
    with BlueskyStub() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def connect(stub: BlueskyStub, clock: Clock) -> Iterator[Callable[..., BlueskyConnector]]:
    """connect(search_terms=[...], page_size=..., password=..., identifier=...) -> a connector."""
    clients: list[httpx.Client] = []

    def make(
        *,
        search_terms: list[str] | None = None,
        page_size: int | None = None,
        password: str | None = None,
        identifier: str | None = None,
    ) -> BlueskyConnector:
        client = httpx.Client(timeout=5.0)
        clients.append(client)
        credentials = {"app_password": stub.app_password if password is None else password}
        if identifier:
            credentials["identifier"] = identifier
        options: dict[str, Any] = {"search_terms": search_terms or []}
        if page_size is not None:
            options["page_size"] = page_size
        config = AccountConfig(
            platform="bluesky",
            handle=stub.me["handle"],
            base_url=stub.base_url,
            credentials=credentials,
            options=options,
            allow_private_targets=True,  # the stub server listens on 127.0.0.1
        )
        connector = BlueskyConnector(config, http=client)
        connector.clock = clock
        return connector

    yield make
    for client in clients:
        client.close()


def sync(connector: BlueskyConnector, cursor: dict[str, Any]) -> tuple[list[Item], dict[str, Any]]:
    """Call fetch the way the sync service does: keep each page's items with its cursor and follow
    `more`. Returns the items and the last cursor."""
    items: list[Item] = []
    for _ in range(50):
        page: FetchPage = connector.fetch(cursor)
        items += page.items
        cursor = page.cursor
        if not page.more:
            return items, cursor
    raise AssertionError("fetch never caught up")


def uris(items: list[Item]) -> list[str]:
    return [item.external_id for item in items]


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def mentions(stub: BlueskyStub, author: dict[str, Any], count: int, *, at: datetime) -> list[dict[str, Any]]:
    """`count` mention notifications, one second apart from `at`; returns the posts, oldest first."""
    posts = []
    for n in range(count):
        moment = at + timedelta(seconds=n)
        post = stub.add_post(author, f"@brand.test question {n}", created_at=moment)
        stub.notify(post, "mention")
        posts.append(post)
    return posts


def outgoing(text: str = "Thanks for writing!", key: str = "intent-1", **fields: Any) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, **fields)


# --- sessions and errors ----------------------------------------------------------------------------


def test_check_logs_in_with_the_app_password_and_answers_the_handle(stub, connect):
    assert connect().check() == "brand.test"

    (login,) = stub.calls("com.atproto.server.createSession")
    assert login.body == {"identifier": "brand.test", "password": stub.app_password}


def test_identifier_credential_is_used_to_log_in_instead_of_the_handle(stub, connect):
    assert connect(identifier=stub.me["did"]).check() == "brand.test"

    assert stub.calls("com.atproto.server.createSession")[0].body["identifier"] == stub.me["did"]


def test_wrong_app_password_needs_reauthorisation_and_stays_out_of_the_error(stub, connect):
    password = "wrong-pass-word-1234"

    with pytest.raises(AuthError) as raised:
        connect(password=password).fetch({})

    assert "AuthenticationRequired" in str(raised.value)
    assert password not in str(raised.value)
    assert not stub.calls(LIST_NOTIFICATIONS)


def test_expired_access_token_is_refreshed_once_and_the_call_retried(stub, connect):
    connector = connect()
    connector.check()
    stub.expire_access_tokens()
    alice = stub.add_profile("alice.test")
    stub.notify(stub.add_post(alice, "hi @brand.test", created_at=START), "mention")

    page = connector.fetch({})

    assert [item.text for item in page.items] == ["hi @brand.test"]
    assert len(stub.calls("com.atproto.server.refreshSession")) == 1
    assert len(stub.calls("com.atproto.server.createSession")) == 1
    expired, retried = stub.calls(LIST_NOTIFICATIONS)
    assert expired.status == 400 and retried.status == 200
    assert expired.headers["Authorization"] != retried.headers["Authorization"]


def test_expired_refresh_token_opens_a_new_session_with_the_app_password(stub, connect):
    connector = connect()
    connector.check()
    stub.expire_access_tokens()
    stub.expire_refresh_tokens()

    assert connector.fetch({}).items == []

    assert len(stub.calls("com.atproto.server.refreshSession")) == 1
    assert len(stub.calls("com.atproto.server.createSession")) == 2


def test_token_still_expired_after_refresh_needs_reauthorisation(stub, connect):
    stub.fail_next(LIST_NOTIFICATIONS, status=400, error="ExpiredToken", times=2)

    with pytest.raises(AuthError):
        connect().fetch({})

    assert len(stub.calls("com.atproto.server.refreshSession")) == 1


def test_rejected_token_needs_reauthorisation(stub, connect):
    stub.fail_next(LIST_NOTIFICATIONS, status=401, error="InvalidToken")

    with pytest.raises(AuthError):
        connect().fetch({})


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_transient(stub, connect, status):
    stub.fail_next(LIST_NOTIFICATIONS, status=status, error="InternalServerError")

    with pytest.raises(TransientError):
        connect().fetch({})


def test_connection_dropped_before_the_answer_is_transient(stub, connect):
    stub.lose_answer_next(LIST_NOTIFICATIONS)

    with pytest.raises(TransientError):
        connect().fetch({})


def test_refused_request_is_permanent(stub, connect, clock):
    connector = connect(search_terms=["acme"])
    cursor = connector.fetch({}).cursor
    clock.advance(120)
    stub.fail_next(SEARCH_POSTS, status=400, error="BadQueryString", message="bad query")

    with pytest.raises(PermanentError) as raised:
        connector.fetch(cursor)

    assert SEARCH_POSTS in str(raised.value)


def test_rate_limit_says_when_to_retry_from_the_reset_header(stub, connect):
    stub.rate_limit_next(LIST_NOTIFICATIONS, reset_in=120)

    with pytest.raises(RateLimited) as raised:
        connect().fetch({})

    assert 110 <= raised.value.retry_after <= 121


def test_password_and_tokens_never_appear_in_errors(stub, connect):
    connector = connect()
    connector.check()
    messages = []
    for status, error in [(400, "ExpiredToken"), (401, "InvalidToken"), (500, "InternalServerError")]:
        stub.fail_next(LIST_NOTIFICATIONS, status=status, error=error, times=2)
        with pytest.raises(ConnectorError) as raised:
            connector.fetch({})
        messages.append(str(raised.value))
        stub.clear_faults()

    tokens = stub.issued_tokens()
    for message in messages:
        assert stub.app_password not in message
        assert not any(token in message for token in tokens)


# --- listening: notifications ---------------------------------------------------------------------------


def test_mentions_replies_and_quotes_become_items(stub, connect):
    alice = stub.add_profile("alice.test", display_name="Alice")
    bob = stub.add_profile("bob.test")
    ours = stub.add_post(stub.me, "Our launch post", created_at=START)
    theirs = stub.add_post(bob, "Bob's thread", created_at=START)
    mention = stub.add_post(alice, "@brand.test hello", created_at=START + timedelta(seconds=1), langs=["en"])
    reply = stub.add_post(bob, "Love it", created_at=START + timedelta(seconds=2), reply_to=ours["uri"])
    deep = stub.add_post(
        alice, "@brand.test see this", created_at=START + timedelta(seconds=3), reply_to=theirs["uri"]
    )
    quote = stub.add_post(alice, "Look at this", created_at=START + timedelta(seconds=4))
    like = stub.add_post(bob, "liked", created_at=START + timedelta(seconds=5))
    stub.notify(mention, "mention")
    stub.notify(reply, "reply")
    stub.notify(deep, "mention")
    stub.notify(quote, "quote")
    stub.notify(like, "like")

    page = connect().fetch({})

    by_uri = {item.external_id: item for item in page.items}
    assert list(by_uri) == [mention["uri"], reply["uri"], deep["uri"], quote["uri"]]
    answer = by_uri[reply["uri"]]
    assert answer.platform == "bluesky"
    assert answer.author == Author(
        platform_id=bob["did"], handle="bob.test", name="", url="https://bsky.app/profile/bob.test"
    )
    assert answer.text == "Love it"
    assert answer.created_at == START + timedelta(seconds=2)
    assert answer.url == f"https://bsky.app/profile/bob.test/post/{rkey_of(reply['uri'])}"
    assert answer.kind == ItemKind.COMMENT
    assert answer.in_reply_to == ours["uri"]
    assert answer.thread_id == ours["uri"]
    assert answer.raw["uri"] == reply["uri"] and answer.raw["cid"] == reply["cid"]
    hello = by_uri[mention["uri"]]
    assert hello.author.name == "Alice"
    assert hello.kind == ItemKind.POST
    assert hello.thread_id == mention["uri"] and hello.in_reply_to is None
    assert hello.language_hint == "en"
    assert hello.created_at.tzinfo is not None
    elsewhere = by_uri[deep["uri"]]
    assert elsewhere.kind == ItemKind.POST  # answers Bob's post, not ours
    assert elsewhere.in_reply_to == theirs["uri"] and elsewhere.thread_id == theirs["uri"]
    assert stub.calls(LIST_NOTIFICATIONS)[0].params["reasons"] == ["mention", "reply", "quote"]


def test_first_fetch_starts_at_the_latest_notifications_page(stub, connect):
    posts = mentions(stub, stub.add_profile("alice.test"), 5, at=START)

    page = connect(page_size=2).fetch({})

    assert set(uris(page.items)) == {posts[3]["uri"], posts[4]["uri"]}
    assert page.more is False


def test_next_fetch_returns_only_newer_items(stub, connect):
    alice = stub.add_profile("alice.test")
    mentions(stub, alice, 2, at=START)
    connector = connect()
    cursor = connector.fetch({}).cursor

    assert connector.fetch(cursor).items == []

    (newer,) = mentions(stub, alice, 1, at=START + timedelta(minutes=5))
    items, _ = sync(connector, cursor)
    assert uris(items) == [newer["uri"]]


def test_notification_pages_are_delivered_exactly_once(stub, connect):
    alice = stub.add_profile("alice.test")
    mentions(stub, alice, 1, at=START)
    connector = connect(page_size=2)
    cursor = connector.fetch({}).cursor
    batch = mentions(stub, alice, 5, at=START + timedelta(minutes=1))

    first = connector.fetch(cursor)
    assert first.more is True and len(first.items) == 2
    # Arrives while older pages are still being read: it belongs to the next round, once.
    (late,) = mentions(stub, alice, 1, at=START + timedelta(minutes=2))
    rest, cursor = sync(connector, first.cursor)

    delivered = uris(first.items) + uris(rest)
    assert sorted(delivered) == sorted(post["uri"] for post in batch)
    assert len(delivered) == len(set(delivered))
    items, _ = sync(connector, cursor)
    assert uris(items) == [late["uri"]]


def test_sweep_stops_where_the_previous_one_ended(stub, connect):
    alice = stub.add_profile("alice.test")
    mentions(stub, alice, 40, at=START)  # a long history already delivered
    connector = connect(page_size=40)
    cursor = connector.fetch({}).cursor
    mentions(stub, alice, 3, at=START + timedelta(hours=1))
    connector.page_size = 2
    before = len(stub.calls(LIST_NOTIFICATIONS))

    items, _ = sync(connector, cursor)

    assert len(items) == 3
    # [new, new], [new, at the mark], [older than the mark]: 20 pages of history stay unread.
    assert len(stub.calls(LIST_NOTIFICATIONS)) - before == 3


def test_notifications_sharing_one_instant_are_each_delivered_once(stub, connect):
    alice = stub.add_profile("alice.test")
    mentions(stub, alice, 1, at=START)
    connector = connect(page_size=2)
    cursor = connector.fetch({}).cursor
    instant = START + timedelta(minutes=1)
    same_time = [stub.add_post(alice, f"@brand.test same {n}", created_at=instant) for n in range(5)]
    for post in same_time:
        stub.notify(post, "mention")

    items, cursor = sync(connector, cursor)
    assert sorted(uris(items)) == sorted(post["uri"] for post in same_time)

    straggler = stub.add_post(alice, "@brand.test same, indexed late", created_at=instant)
    stub.notify(straggler, "mention")
    items, _ = sync(connector, cursor)
    assert uris(items) == [straggler["uri"]]


def test_fetch_resumes_after_rate_limit_mid_sweep(stub, connect):
    alice = stub.add_profile("alice.test")
    mentions(stub, alice, 1, at=START)
    connector = connect(page_size=2)
    cursor = connector.fetch({}).cursor
    batch = mentions(stub, alice, 5, at=START + timedelta(minutes=1))
    first = connector.fetch(cursor)
    stub.rate_limit_next(LIST_NOTIFICATIONS, reset_in=30)

    with pytest.raises(RateLimited):
        connector.fetch(first.cursor)

    # The caller kept the cursor of the last page it stored and calls again later.
    rest, _ = sync(connector, first.cursor)
    delivered = uris(first.items) + uris(rest)
    assert sorted(delivered) == sorted(post["uri"] for post in batch)
    assert len(delivered) == len(set(delivered))


def test_rate_limit_within_one_call_replays_nothing_twice(stub, connect, clock):
    alice = stub.add_profile("alice.test")
    connector = connect(search_terms=["acme"])
    cursor = connector.fetch({}).cursor
    mention = mentions(stub, alice, 1, at=START + timedelta(seconds=10))[0]
    found = stub.add_post(alice, "acme is great", created_at=START + timedelta(seconds=20))
    clock.advance(120)
    stub.rate_limit_next(SEARCH_POSTS)  # notifications answered, then search is limited

    with pytest.raises(RateLimited):
        connector.fetch(cursor)

    items, _ = sync(connector, cursor)
    assert sorted(uris(items)) == sorted([mention["uri"], found["uri"]])


# --- listening: search ------------------------------------------------------------------------------


def test_search_starts_from_now_without_backfill(stub, connect, clock):
    alice = stub.add_profile("alice.test")
    stub.add_post(alice, "acme was here last year", created_at=START - timedelta(days=300))
    stub.add_post(alice, "acme a minute ago", created_at=START - timedelta(minutes=1))
    connector = connect(search_terms=["acme"])

    first = connector.fetch({})

    assert first.items == [] and not stub.calls(SEARCH_POSTS)
    fresh = stub.add_post(alice, "Acme shipped it", created_at=clock.advance(60))
    clock.advance(60)
    items, _ = sync(connector, first.cursor)
    assert uris(items) == [fresh["uri"]]
    (search,) = stub.calls(SEARCH_POSTS)
    assert search.params["q"] == ["acme"] and search.params["sort"] == ["latest"]


def test_search_pages_are_delivered_exactly_once(stub, connect, clock):
    alice = stub.add_profile("alice.test")
    connector = connect(search_terms=["acme"], page_size=2)
    cursor = connector.fetch({}).cursor
    batch = [stub.add_post(alice, f"acme {n}", created_at=START + timedelta(seconds=n)) for n in range(5)]
    clock.advance(120)

    first = connector.fetch(cursor)
    assert first.more is True and len(first.items) == 2
    # Newer than the window being paged: it must neither shift those (offset) pages nor be lost.
    late = stub.add_post(alice, "acme late", created_at=clock.now - timedelta(seconds=20))
    clock.advance(60)  # time passes between pages
    rest, cursor = sync(connector, first.cursor)

    delivered = uris(first.items) + uris(rest)
    assert sorted(delivered) == sorted(post["uri"] for post in batch)
    assert len(delivered) == len(set(delivered))
    assert len({call.params["until"][0] for call in stub.calls(SEARCH_POSTS)}) == 1
    clock.advance(60)
    items, _ = sync(connector, cursor)
    assert uris(items) == [late["uri"]]


def test_search_post_on_a_window_boundary_is_delivered_once(stub, connect, clock):
    alice = stub.add_profile("alice.test")
    connector = connect(search_terms=["acme"])
    cursor = connector.fetch({}).cursor
    clock.advance(120)
    boundary = clock.now - connector.search_settle  # where this call's window ends
    on_edge = stub.add_post(alice, "acme on the edge", created_at=boundary)

    first, cursor = sync(connector, cursor)
    clock.advance(120)
    second, _ = sync(connector, cursor)

    assert uris(first) + uris(second) == [on_edge["uri"]]


def test_post_found_by_search_and_notification_is_delivered_once(stub, connect, clock):
    alice = stub.add_profile("alice.test")
    connector = connect(search_terms=["acme"])
    cursor = connector.fetch({}).cursor
    post = stub.add_post(alice, "@brand.test acme question", created_at=START + timedelta(seconds=5))
    stub.notify(post, "mention")
    first, cursor = sync(connector, cursor)  # the notification comes at once, search waits to settle
    clock.advance(120)

    second, _ = sync(connector, cursor)

    assert uris(first) + uris(second) == [post["uri"]]


def test_accounts_own_posts_are_not_listened_to(stub, connect, clock):
    connector = connect(search_terms=["acme"])
    cursor = connector.fetch({}).cursor
    stub.add_post(stub.me, "acme news from us", created_at=START + timedelta(seconds=5))
    clock.advance(120)

    items, _ = sync(connector, cursor)

    assert items == [] and stub.calls(SEARCH_POSTS)[0].status == 200


# --- publishing -----------------------------------------------------------------------------------


def test_publish_creates_a_post_under_a_record_key_from_the_idempotency_key(stub, connect):
    published = connect().publish(outgoing("Hello Bluesky", key="intent-42"))

    rkey = tid_from_key("intent-42")
    assert published.external_id == f"at://{stub.me['did']}/{POST}/{rkey}"
    assert published.url == f"https://bsky.app/profile/brand.test/post/{rkey}"
    assert published.raw["cid"]
    (post,) = stub.posts_in_repo()
    assert post["uri"] == published.external_id
    assert post["value"]["text"] == "Hello Bluesky"
    assert post["value"]["$type"] == POST


def test_publishing_twice_with_the_same_key_leaves_one_post(stub, connect):
    connector = connect()

    first = connector.publish(outgoing(key="intent-7"))
    again = connect().publish(outgoing(key="intent-7"))

    assert again.external_id == first.external_id
    assert again.raw["cid"] == first.raw["cid"]
    assert len(stub.posts_in_repo()) == 1
    assert len(stub.calls(CREATE_RECORD)) == 1


def test_different_keys_publish_different_posts(stub, connect):
    connector = connect()

    first = connector.publish(outgoing("One", key="intent-1"))
    second = connector.publish(outgoing("One", key="intent-2"))

    assert first.external_id != second.external_id
    assert len(stub.posts_in_repo()) == 2


def test_publish_whose_answer_was_lost_returns_the_created_post(stub, connect):
    connector = connect()
    stub.lose_answer_next(CREATE_RECORD)

    published = connector.publish(outgoing(key="intent-9"))
    again = connector.publish(outgoing(key="intent-9"))

    (post,) = stub.posts_in_repo()
    assert published.external_id == again.external_id == post["uri"]
    assert len(stub.calls(CREATE_RECORD)) == 1


def test_retry_after_a_crash_mid_publish_finds_the_first_post(stub, connect):
    stub.fail_next(GET_RECORD, status=400, error="RecordNotFound")  # the look-up before creating
    stub.lose_answer_next(CREATE_RECORD)
    stub.fail_next(GET_RECORD, status=503, error="InternalServerError")  # the look-up after the loss

    with pytest.raises(TransientError):
        connect().publish(outgoing(key="intent-crash"))  # created, but nobody heard about it

    retried = connect().publish(outgoing(key="intent-crash"))

    (post,) = stub.posts_in_repo()
    assert retried.external_id == post["uri"]
    assert len(stub.calls(CREATE_RECORD)) == 1


@pytest.mark.parametrize(
    "rejection",
    [(500, "InternalServerError"), (409, "RecordAlreadyExists"), (400, "InvalidRequest")],
    ids=["reference-pds-500", "named-409", "plain-400"],
)
def test_taken_record_key_returns_the_existing_post(stub, connect, rejection):
    stub.duplicate_rkey_reply = rejection
    first = connect().publish(outgoing(key="intent-race"))
    # Another worker's create lands between this one's look-up and its create.
    stub.fail_next(GET_RECORD, status=400, error="RecordNotFound")

    second = connect().publish(outgoing(key="intent-race"))

    assert second.external_id == first.external_id
    assert len(stub.posts_in_repo()) == 1
    assert [call.status for call in stub.calls(CREATE_RECORD)] == [200, rejection[0]]


def test_a_published_post_is_deleted_from_the_repository_and_again_is_harmless(stub, connect):
    connector = connect()
    published = connector.publish(outgoing("Wrong price in this one"))

    connector.delete(published.external_id)
    connector.delete(published.external_id)  # "or ensure it doesn't exist"

    assert stub.posts_in_repo() == []
    first, again = stub.calls("com.atproto.repo.deleteRecord")
    assert first.body == {"repo": stub.me["did"], "collection": POST, "rkey": tid_from_key("intent-1")}
    assert first.status == again.status == 200


def test_a_post_in_another_repository_is_not_deleted(stub, connect):
    alice = stub.add_profile("alice.test")
    post = stub.add_post(alice, "mine", created_at=datetime.now(UTC))

    with pytest.raises(PermanentError, match="not in this account's repository"):
        connect().delete(post["uri"])
    assert stub.calls("com.atproto.repo.deleteRecord") == []


def test_publish_with_images_uploads_each_and_embeds_them(stub, connect):
    photos = (
        Media(filename="a.png", content_type="image/png", data=PNG, description="A chart"),
        Media(filename="b.jpg", content_type="image/jpeg", data=b"\xff\xd8jpeg", description="A team photo"),
    )

    connect().publish(outgoing("Our quarter", media=photos))

    uploads = stub.calls("com.atproto.repo.uploadBlob")
    assert [upload.headers["Content-Type"] for upload in uploads] == ["image/png", "image/jpeg"]
    (post,) = stub.posts_in_repo()
    embed = post["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in embed["images"]] == ["A chart", "A team photo"]
    assert stub.blob(embed["images"][0]["image"]["ref"]["$link"]) == PNG


def test_more_than_four_images_are_refused_before_any_request(stub, connect):
    photos = tuple(Media(filename=f"{n}.png", content_type="image/png", data=PNG) for n in range(5))

    with pytest.raises(PermanentError):
        connect().publish(outgoing(media=photos))

    assert stub.requests == []


def test_video_attachment_is_not_supported(stub, connect):
    clip = Media(filename="clip.mp4", content_type="video/mp4", data=b"\x00\x00\x00\x18ftyp")

    with pytest.raises(NotSupported):
        connect().publish(outgoing(media=(clip,)))


def test_links_and_hashtags_become_facets_at_utf8_byte_offsets(stub, connect):
    text = "🎉 Read https://example.com/launch. #Launch"

    connect().publish(outgoing(text))

    (post,) = stub.posts_in_repo()
    encoded = text.encode()
    spans = {
        feature["$type"].rsplit("#", 1)[-1]: encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
        for facet in post["value"]["facets"]
        for feature in facet["features"]
    }
    assert spans == {"link": b"https://example.com/launch", "tag": b"#Launch"}


def test_reply_to_a_top_level_post_uses_it_as_root_and_parent(stub, connect):
    alice = stub.add_profile("alice.test")
    question = stub.add_post(alice, "@brand.test does it ship to Oslo?", created_at=START)

    published = connect().reply(outgoing("It does!", reply_to=question["uri"]))

    (post,) = stub.posts_in_repo()
    ref = {"uri": question["uri"], "cid": question["cid"]}
    assert post["value"]["reply"] == {"root": ref, "parent": ref}
    assert published.external_id == post["uri"]


def test_reply_to_a_reply_keeps_the_thread_root(stub, connect):
    alice = stub.add_profile("alice.test")
    bob = stub.add_profile("bob.test")
    opening = stub.add_post(alice, "Who ships to Oslo?", created_at=START)
    follow_up = stub.add_post(bob, "@brand.test do you?", created_at=START, reply_to=opening["uri"])

    connect().reply(outgoing("We do!", reply_to=follow_up["uri"]))

    (post,) = stub.posts_in_repo()
    assert post["value"]["reply"] == {
        "root": {"uri": opening["uri"], "cid": opening["cid"]},
        "parent": {"uri": follow_up["uri"], "cid": follow_up["cid"]},
    }


def test_reply_to_a_post_that_is_gone_is_permanent(stub, connect):
    gone = f"at://{stub.add_profile('alice.test')['did']}/{POST}/3kabcdefghijk"

    with pytest.raises(PermanentError):
        connect().reply(outgoing(reply_to=gone))

    assert stub.posts_in_repo() == []


# --- text length ----------------------------------------------------------------------------------


def test_limits_count_graphemes():
    connector = BlueskyConnector(AccountConfig(platform="bluesky", handle="brand.test"))

    assert connector.limits() == Limits(max_text_length=300, max_media=4, length_unit="graphemes")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("e\u0301", 1),  # e + combining acute accent
        ("👍🏽", 1),  # emoji + skin tone modifier
        ("👨\u200d👩\u200d👧", 1),  # ZWJ family
        ("🧑🏽\u200d💻", 1),  # modifier inside a ZWJ sequence
        ("❤️", 1),  # variation selector
        ("1️⃣", 1),  # keycap
        ("🇳🇴🇩🇪", 2),  # two flags from four regional indicators
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 1),  # Scotland, tag sequence
        ("\u1100\u1161\u11a8", 1),  # conjoining Hangul jamo
        ("\r\n", 1),
        ("a\u200db", 2),  # ZWJ joins emoji, not letters
    ],
)
def test_graphemes_are_counted_as_people_see_them(text, expected):
    assert grapheme_count(text) == expected


def test_300_emoji_with_modifiers_fit_in_one_post(stub, connect):
    text = "👍🏽" * 300  # 600 code points, 1200 UTF-16 units, 2400 bytes: still 300 graphemes

    connect().publish(outgoing(text))

    (post,) = stub.posts_in_repo()
    assert post["value"]["text"] == text


def test_301_graphemes_are_refused_before_any_request(stub, connect):
    with pytest.raises(PermanentError) as raised:
        connect().publish(outgoing("a" * 300 + "👍🏽"))

    assert "301 graphemes" in str(raised.value)
    assert stub.requests == []


def test_text_over_3000_bytes_is_refused_even_within_300_graphemes(stub, connect):
    with pytest.raises(PermanentError) as raised:
        connect().publish(outgoing("👨\u200d👩\u200d👧" * 200))  # 200 graphemes, 3600 bytes

    assert "bytes" in str(raised.value)
    assert stub.requests == []


def test_record_key_is_a_valid_tid_that_depends_only_on_the_key():
    keys = [tid_from_key(f"intent-{n}") for n in range(200)]

    assert all(TID_RE.match(key) for key in keys)
    assert len(set(keys)) == 200
    assert tid_from_key("intent-1") == tid_from_key("intent-1")
    # Keys sit before atproto existed, so they never meet the time-based keys a PDS hands out.
    micros = int("".join(f"{'234567abcdefghijklmnopqrstuvwxyz'.index(c):05b}" for c in keys[0]), 2) >> 10
    assert (
        datetime(2000, 1, 1, tzinfo=UTC)
        <= datetime.fromtimestamp(micros / 1e6, UTC)
        < datetime(2018, 1, 1, tzinfo=UTC)
    )


# --- metrics --------------------------------------------------------------------------------------


def test_metrics_count_quotes_as_reposts(stub, connect):
    post = stub.add_post(stub.me, "Launch", created_at=START, likes=12, reposts=3, quotes=2, replies=4)

    (metrics,) = connect().fetch_metrics([post["uri"]])

    assert metrics.external_id == post["uri"]
    assert (metrics.likes, metrics.reposts, metrics.replies) == (12, 5, 4)
    assert metrics.raw["likeCount"] == 12


def test_metrics_for_many_posts_are_fetched_in_batches_and_skip_deleted_ones(stub, connect):
    posts = [stub.add_post(stub.me, f"post {n}", created_at=START, likes=n) for n in range(30)]
    deleted = f"at://{stub.me['did']}/{POST}/3kdeletedpost2"

    metrics = connect().fetch_metrics([post["uri"] for post in posts] + [deleted])

    assert [m.likes for m in metrics] == list(range(30))
    assert len(stub.calls("app.bsky.feed.getPosts")) == 2
