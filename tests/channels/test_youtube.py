"""The YouTube connector against a stand-in answering in Google's documented shapes: the token
refresh, comment threads and their cursor, searches per topic, replies exactly once, moderation,
and the errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cxm.channels.connectors import REGISTRY
from cxm.channels.connectors.base import (
    AuthError,
    ItemKind,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.youtube import youtube_query
from cxm.channels.models import POLLED_PLATFORMS
from cxm.channels.topics import TopicSearch
from tests.channels.stubs.youtube_server import CHANNEL_ID, fixture
from tests.channels.youtube_helpers import (
    ANA,
    BUDI,
    NOON,
    OAT,
    REVIEWER,
    connect,
    poll_all,
)

# --- the account and its token -------------------------------------------------------------------


def test_the_platform_is_registered_and_polled():
    assert REGISTRY["youtube"].endswith("YouTubeConnector")
    assert "youtube" in POLLED_PLATFORMS


def test_check_refreshes_a_token_and_names_the_channel(youtube, clock):
    assert connect(youtube, clock).check() == f"Kopi Nusantara ({CHANNEL_ID})"

    refresh, channels = youtube.requests
    assert refresh.path == "/token"
    assert set(refresh.form()) == set(fixture("token_refresh")["request"])
    assert refresh.form()["grant_type"] == ["refresh_token"]
    assert channels.query == {"part": ["snippet"], "mine": ["true"]}
    assert channels.header("Authorization").startswith("Bearer ya29.")


def test_credentials_of_another_channel_are_refused(youtube, clock):
    youtube.channel_id = "UCsomeoneelse0000000000"
    with pytest.raises(PermanentError, match="belong to the channel UCsomeoneelse"):
        connect(youtube, clock).check()


def test_the_token_is_refreshed_once_and_kept(youtube, clock):
    connector = connect(youtube, clock)
    connector.check()
    connector.check()
    assert [r.path for r in youtube.requests].count("/token") == 1


def test_a_token_google_no_longer_takes_is_refreshed_and_the_call_repeated(youtube, clock):
    connector = connect(youtube, clock)
    connector.check()
    youtube.tokens.clear()  # revoked, or expired early

    assert connector.check().startswith("Kopi Nusantara")
    assert [r.path for r in youtube.requests].count("/token") == 2


def test_a_revoked_refresh_token_needs_reauthorisation(youtube, clock):
    youtube.revoked = True
    with pytest.raises(AuthError, match="invalid_grant"):
        connect(youtube, clock).check()


# --- comment threads -----------------------------------------------------------------------------


def test_comment_threads_become_comments_in_the_videos_thread(youtube, clock):
    top = youtube.add_comment(
        "dQw4w9WgXcQ", "Is the oat latte vegan?", at=NOON - timedelta(hours=2), author=ANA
    )
    reply = youtube.add_reply(top, "I'd like to know too", at=NOON - timedelta(hours=1), author=BUDI)

    page = connect(youtube, clock).fetch({})

    first, second = page.items
    assert (first.external_id, second.external_id) == (top, reply)
    assert {item.kind for item in page.items} == {ItemKind.COMMENT}
    assert first.in_reply_to == "dQw4w9WgXcQ" and second.in_reply_to == top
    assert first.thread_id == second.thread_id == "dQw4w9WgXcQ"
    assert first.author.platform_id == ANA[0] and first.author.name == "@anaputri"
    assert first.url == f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={top}"
    assert first.text == "Is the oat latte vegan?"
    (read,) = youtube.calls("GET", "commentThreads")
    assert read.query["allThreadsRelatedToChannelId"] == [CHANNEL_ID]
    assert read.query["part"] == ["snippet,replies"] and read.query["order"] == ["time"]


def test_the_channels_own_answers_are_owned_media(youtube, clock):
    top = youtube.add_comment("dQw4w9WgXcQ", "Enak!", at=NOON - timedelta(hours=1), author=ANA)
    youtube.add_reply(
        top, "Terima kasih!", at=NOON - timedelta(minutes=5), author=(CHANNEL_ID, "@kopinusantara")
    )

    _comment, answer = connect(youtube, clock).fetch({}).items

    assert answer.raw["media_type"] == "owned" and answer.author.handle == CHANNEL_ID
    assert "media_type" not in _comment.raw


def test_the_cursor_pages_back_to_what_was_delivered_and_hands_each_comment_over_once(youtube, clock):
    for minute in range(3):
        youtube.add_comment("vid1", f"old {minute}", at=NOON - timedelta(hours=6, minutes=minute), author=ANA)
    connector = connect(youtube, clock)
    first = connector.fetch({})
    assert len(first.items) == 3 and not first.more

    for minute in range(250):
        youtube.add_comment("vid1", f"new {minute}", at=NOON - timedelta(minutes=minute), author=BUDI)
    page_one = connector.fetch(first.cursor)
    assert page_one.more and "walk" in page_one.cursor["threads"]
    items, cursor = poll_all(connector, page_one.cursor)

    new = [item.text for item in page_one.items + items]
    assert sorted(new) == sorted(f"new {minute}" for minute in range(250))
    assert [r.query.get("pageToken") for r in youtube.calls("GET", "commentThreads")][1:] == [
        None,
        ["page-100"],
        ["page-200"],
    ]
    assert "walk" not in cursor["threads"]
    assert connector.fetch(cursor).items == []


# --- searches per topic --------------------------------------------------------------------------


def test_a_topic_becomes_youtubes_search_syntax():
    assert youtube_query(OAT) == '"oat latte" coffee|kopi -recipe'


def test_each_topic_is_searched_for_public_videos_once_the_account_has_earned_it(youtube, clock):
    video = youtube.add_video(
        "Oat latte taste test",
        description="Kopi Nusantara's new drink",
        at=NOON - timedelta(hours=3),
        channel=REVIEWER,
    )
    youtube.add_video("Oat latte recipe with coffee", at=NOON - timedelta(hours=2), channel=REVIEWER)
    connector = connect(youtube, clock, topics=[OAT])
    first = connector.fetch({})
    assert youtube.calls("GET", "search") == []  # a new account reads its comments first

    clock.advance(hours=1)
    (found,) = connector.fetch(first.cursor).items

    assert found.external_id == video and found.kind == ItemKind.POST
    assert found.url == f"https://www.youtube.com/watch?v={video}"
    assert found.author.name == "Coffee Reviews" and found.text.startswith("Oat latte taste test")
    (search,) = youtube.calls("GET", "search")
    assert search.query["q"] == ['"oat latte" coffee|kopi -recipe']
    assert search.query["type"] == ["video"] and search.query["order"] == ["date"]
    assert search.query["publishedAfter"] == [(clock.now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_a_search_hands_each_video_over_once(youtube, clock):
    youtube.add_video("Oat latte coffee", at=NOON - timedelta(hours=3), channel=REVIEWER)
    connector = connect(youtube, clock, topics=[OAT])
    cursor = connector.fetch({}).cursor
    clock.advance(hours=1)
    page = connector.fetch(cursor)
    assert len(page.items) == 1
    later = youtube.add_video("More oat latte coffee", at=clock.now - timedelta(minutes=5), channel=REVIEWER)

    clock.advance(hours=1)
    again = connector.fetch(page.cursor)

    assert [item.external_id for item in again.items] == [later]
    assert youtube.calls("GET", "search")[-1].query["publishedAfter"] == ["2026-11-20T17:00:00Z"]


def test_topics_without_words_or_for_other_platforms_are_not_searched(youtube, clock):
    topics = [
        TopicSearch(topic_id=2, name="Angry", all_of=()),
        TopicSearch(topic_id=3, name="Elsewhere", all_of=(("kopi",),), platforms=("mastodon",)),
    ]
    connector = connect(youtube, clock, topics=topics)
    cursor = connector.fetch({}).cursor
    clock.advance(hours=2)
    connector.fetch(cursor)
    assert youtube.calls("GET", "search") == []


def test_searches_run_far_less_often_than_comment_reads_and_within_the_fair_share(youtube, clock):
    second = TopicSearch(topic_id=4, name="Teh", all_of=(("teh segar",),))
    connector = connect(youtube, clock, topics=[OAT, second])
    cursor = {}
    for _minute in range(60):
        cursor = connector.fetch(cursor).cursor
        clock.advance(minutes=1)

    reads = len(youtube.calls("GET", "commentThreads"))
    searches = youtube.calls("GET", "search")
    assert reads == 60
    assert {s.query["q"][0] for s in searches} == {'"oat latte" coffee|kopi -recipe', '"teh segar"'}
    assert len(searches) < reads / 5
    # The hour's fair share: 9,000 units for polling over the 12 hours left, and the start.
    assert reads + 100 * len(searches) <= 9_000 / 12 + 5


def test_the_projects_accounts_share_what_polling_has_left(youtube, clock):
    alone = connect(youtube, clock, topics=[OAT], account_id=1)
    cursor = alone.fetch({}).cursor
    connect(youtube, clock, topics=[OAT], account_id=2).fetch({})  # a second channel of the project
    clock.advance(minutes=10)

    shared = alone.fetch(cursor).cursor["pace"]["credit"]

    # Alone it would have earned 9,000 / 43,200 s * 600 s = 125 units; it earns half of that.
    assert 60 < shared < 70


# --- replies and moderation ----------------------------------------------------------------------


def test_a_reply_answers_the_top_level_comment(youtube, clock):
    top = youtube.add_comment("vid1", "Is the oat latte vegan?", at=NOON, author=ANA)
    asked = youtube.add_reply(top, "And the matcha?", at=NOON, author=BUDI)

    published = connect(youtube, clock).reply(
        Outgoing(text="Both are vegan!", idempotency_key="k-1", reply_to=asked, thread_id="vid1")
    )

    (insert,) = youtube.calls("POST", "comments")
    assert insert.json() == {"snippet": {"parentId": top, "textOriginal": "Both are vegan!"}}
    assert set(insert.json()["snippet"]) == set(fixture("comments_insert")["request"]["snippet"])
    assert insert.query["part"] == ["snippet"]
    ours = youtube.replies(top)[-1]
    assert published.external_id == ours["id"] and published.url.endswith(f"&lc={ours['id']}")
    assert set(published.raw) == set(fixture("comments_insert")["response"])


def test_a_reply_whose_answer_was_lost_is_adopted_not_sent_twice(youtube, clock):
    top = youtube.add_comment("vid1", "Is the oat latte vegan?", at=NOON, author=ANA)
    connector = connect(youtube, clock)
    outgoing = Outgoing(text="Yes, fully vegan!", idempotency_key="k-1", reply_to=top)
    youtube.lose_next("/comments$")
    with pytest.raises(TransientError):
        connector.reply(outgoing)

    published = connector.reply(outgoing)

    (ours,) = youtube.replies(top)
    assert published.external_id == ours["id"]
    assert len(youtube.calls("POST", "comments")) == 1


def test_a_video_is_not_answered_here(youtube, clock):
    with pytest.raises(PermanentError, match="no comment"):
        connect(youtube, clock).reply(Outgoing(text="Hi", idempotency_key="k", reply_to="dQw4w9WgXcQ"))
    assert youtube.calls("POST", "comments") == []


@pytest.mark.parametrize("status", ["heldForReview", "published", "rejected"])
def test_moderation_sets_the_comments_status(youtube, clock, status):
    top = youtube.add_comment("vid1", "spam spam", at=NOON, author=ANA)

    connect(youtube, clock).set_moderation_status(top, status)

    assert youtube.moderation == {top: status}
    (call,) = youtube.calls("POST", "comments/setModerationStatus")
    assert set(call.query) == set(fixture("comments_set_moderation_status")["request_params"])


def test_an_unknown_moderation_status_is_refused_before_any_call(youtube, clock):
    with pytest.raises(PermanentError):
        connect(youtube, clock).set_moderation_status("c1", "likelySpam")
    assert youtube.requests == []


def test_publishing_and_direct_messages_are_not_offered(youtube, clock):
    connector = connect(youtube, clock)
    assert connector.limits().can_publish is False
    with pytest.raises(NotSupported):
        connector.publish(Outgoing(text="New video", idempotency_key="k"))
    with pytest.raises(NotSupported):
        connector.reply(Outgoing(text="Hi", idempotency_key="k", recipient="UCa1"))


# --- errors and the outbound check ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "raised", "says"),
    [
        ("rateLimitExceeded", RateLimited, "Rate Limit Exceeded"),
        ("commentsDisabled", PermanentError, "comments are turned off"),
        ("forbidden", PermanentError, "does not allow"),
        ("backendError", TransientError, "unavailable"),
        ("authError", AuthError, "Invalid Credentials"),
    ],
)
def test_googles_errors_map_onto_ours(youtube, clock, reason, raised, says):
    connector = connect(youtube, clock)
    connector.check()  # the token is held
    youtube.fail_next(reason, path="channels")
    if reason == "authError":
        youtube.fail_next(reason, path="channels")  # after the fresh token too
    with pytest.raises(raised, match=says) as caught:
        connector.check()
    assert "<" not in str(caught.value)  # Google's HTML is not shown


def test_a_typed_address_is_checked_before_each_call(youtube, clock):
    connector = connect(youtube, clock, base_url=youtube.api_url, private=False)
    with pytest.raises(PermanentError, match="private, loopback"):
        connector.check()
    assert youtube.calls("GET", "channels") == []


def test_a_typed_address_is_what_the_connector_calls(youtube, clock, settings):
    settings.CXM_YOUTUBE_API_URL = "https://www.googleapis.com/youtube/v3"
    assert connect(youtube, clock, base_url=youtube.api_url).check().startswith("Kopi Nusantara")


def test_the_stand_in_answers_with_the_documented_shapes(youtube, clock):
    top = youtube.add_comment("vid1", "Hello", at=NOON, author=ANA)
    youtube.add_reply(top, "Hi", at=NOON, author=BUDI)
    youtube.add_comment("vid1", "Earlier", at=NOON - timedelta(hours=1), author=BUDI)
    youtube.add_video("Oat latte coffee", at=NOON - timedelta(hours=1), channel=REVIEWER)
    connector = connect(youtube, clock)
    token = connector._token()
    headers = {"Authorization": f"Bearer {token}"}
    http = connector._http

    channels = http.get(
        f"{youtube.api_url}/channels", params={"part": "snippet", "mine": "true"}, headers=headers
    )
    threads = http.get(
        f"{youtube.api_url}/commentThreads",
        params={"part": "snippet,replies", "allThreadsRelatedToChannelId": CHANNEL_ID, "maxResults": 1},
        headers=headers,
    ).json()
    search = http.get(
        f"{youtube.api_url}/search", params={"q": "oat", "maxResults": 50}, headers=headers
    ).json()

    documented = fixture("comment_threads_list")["response"]
    assert set(threads) == set(documented)
    thread, model = threads["items"][0], documented["items"][0]
    assert set(thread) == set(model) and set(thread["snippet"]) == set(model["snippet"])
    comment = thread["snippet"]["topLevelComment"]
    assert set(comment["snippet"]) == set(model["snippet"]["topLevelComment"]["snippet"])
    assert set(thread["replies"]["comments"][0]["snippet"]) == set(model["replies"]["comments"][0]["snippet"])
    channel_doc = fixture("channels_list")["response"]
    assert set(channels.json()["items"][0]["snippet"]) == set(channel_doc["items"][0]["snippet"])
    search_doc = fixture("search_list")["response"]
    assert set(search) - {"nextPageToken"} == set(search_doc) - {"nextPageToken"}
    assert set(search["items"][0]["snippet"]) == set(search_doc["items"][0]["snippet"])
