"""The Facebook Page connector against a stand-in answering in Meta's documented shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cxm.channels.connectors import REGISTRY
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Gone,
    ItemKind,
    Media,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.facebook_page import FacebookPageConnector, messenger_send_policy
from cxm.channels.connectors.graph import APP_USAGE_WAIT_SECONDS, graph_error
from tests.channels.stubs.facebook_page_server import FIXTURES, PAGE_ID, TOKEN, FacebookPageStub, fixture

NOW = datetime.now(UTC).replace(microsecond=0)
FAN = ("900001", "Ana Putri")
OTHER = ("900002", "Budi Santoso")


@pytest.fixture
def page():
    with FacebookPageStub() as stub:
        yield stub


def _connector(page, *, token=TOKEN) -> FacebookPageConnector:
    config = AccountConfig(
        platform="facebook_page",
        handle=PAGE_ID,
        base_url=page.base_url,
        credentials={"access_token": token},
        allow_private_targets=True,
    )
    return FacebookPageConnector(config)


def _out(text="Cold brew is back", key="k-1", **kwargs) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, **kwargs)


# --- the account ------------------------------------------------------------------------------------


def test_the_platform_is_registered():
    assert REGISTRY["facebook_page"].endswith("FacebookPageConnector")


def test_check_names_the_page(page):
    assert _connector(page).check() == "Kopi Kita"
    (request,) = page.requests
    assert request.path == f"/v21.0/{PAGE_ID}" and request.query["fields"] == ["id,name"]


def test_a_bad_token_needs_reauthorisation(page):
    with pytest.raises(AuthError):
        _connector(page, token="expired").check()


# --- publishing -------------------------------------------------------------------------------------


def test_a_text_post_goes_to_the_feed_and_answers_its_id_and_permalink(page):
    published = _connector(page).publish(_out("Cold brew is back"))

    (post,) = page.page_posts()
    assert published.external_id == post["id"] and post["message"] == "Cold brew is back"
    assert published.url == post["permalink_url"]
    (write,) = page.writes("POST", f"{PAGE_ID}/feed")
    assert write.form() == {"message": ["Cold brew is back"]}
    assert set(published.raw) == set(fixture("publish")["feed_response"])


def test_a_link_in_the_text_is_posted_as_the_posts_link(page):
    _connector(page).publish(_out("Our new menu: https://kopi.example/menu."))
    (write,) = page.writes("POST", f"{PAGE_ID}/feed")
    assert write.form()["link"] == ["https://kopi.example/menu"]


def test_a_photo_post_uploads_the_image_with_its_caption(page):
    image = Media(filename="latte.jpg", content_type="image/jpeg", data=b"\xff\xd8jpeg")
    published = _connector(page).publish(_out("Latte art", media=(image,)))

    (photo,) = page.photos
    assert photo["source"]["data"] == b"\xff\xd8jpeg" and photo["caption"] == "Latte art"
    assert published.external_id == photo["post_id"]
    assert set(published.raw) == set(fixture("publish")["photo_response"])


def test_a_photo_by_address(page):
    published = _connector(page).publish_photo_url("https://img.example/a.jpg", caption="From the roastery")
    (photo,) = page.photos
    assert photo["url"] == "https://img.example/a.jpg" and published.external_id == photo["post_id"]


def test_more_than_one_photo_is_refused_before_any_call(page):
    image = Media(filename="a.jpg", content_type="image/jpeg", data=b"x")
    with pytest.raises(PermanentError, match="one photo"):
        _connector(page).publish(_out(media=(image, image)))
    assert page.requests == []


def test_a_post_whose_answer_was_lost_is_adopted_not_posted_twice(page):
    connector = _connector(page)
    page.lose_next(f"{PAGE_ID}/feed")
    with pytest.raises(TransientError):
        connector.publish(_out("Cold brew is back"))
    published = connector.publish(_out("Cold brew is back"))

    (post,) = page.page_posts()
    assert published.external_id == post["id"]
    assert len(page.writes("POST", f"{PAGE_ID}/feed")) == 1


def test_a_published_post_can_be_deleted_and_deleting_it_again_says_it_is_gone(page):
    connector = _connector(page)
    post_id = connector.publish(_out()).external_id
    connector.delete(post_id)
    assert page.page_posts() == [] and page.deleted == [post_id]
    with pytest.raises(Gone, match="does not exist"):
        connector.delete(post_id)
    assert len(page.writes("DELETE", post_id)) == 2


def test_the_page_deletes_its_own_reply_to_a_comment(page):
    post = page.add_post("New beans from Aceh", at=NOW - timedelta(hours=1))
    question = page.add_comment(post, "Is it decaf?", at=NOW - timedelta(minutes=5), author=FAN)
    connector = _connector(page)
    reply = connector.reply(_out("Not this one, sorry!", reply_to=question))

    connector.comment_delete(reply.external_id)

    assert page.comment(reply.external_id) is None and page.comment(question) is not None
    assert page.deleted == [reply.external_id]
    with pytest.raises(Gone):
        connector.comment_delete(reply.external_id)


def test_graph_names_a_missing_object_gone_and_other_refusals_permanent():
    documented = fixture("errors")["error"]
    missing = json.loads((FIXTURES / "graph_missing_object.json").read_text())
    assert isinstance(graph_error(400, missing, {}), Gone)
    assert isinstance(graph_error(404, {"error": {"message": "Not found"}}, {}), Gone)
    invalid = {"error": {**documented["error"], "code": 100, "error_subcode": None}}
    refused = graph_error(400, invalid, {})
    assert isinstance(refused, PermanentError) and not isinstance(refused, Gone)


# --- listening --------------------------------------------------------------------------------------


def _conversation(page):
    post = page.add_post("New beans from Aceh", at=NOW - timedelta(hours=3))
    question = page.add_comment(post, "Is it decaf?", at=NOW - timedelta(hours=2), author=FAN)
    answer = page.add_comment(
        post,
        "No, full caffeine!",
        at=NOW - timedelta(hours=1),
        author=(PAGE_ID, "Kopi Kita"),
        parent=question,
    )
    tagged = page.add_tagged("Great coffee at Kopi Kita", at=NOW - timedelta(minutes=30), author_id=OTHER[0])
    return post, question, answer, tagged


def test_comments_replies_and_tags_become_items_with_owned_and_earned_told_apart(page):
    post, question, answer, tagged = _conversation(page)
    items = {item.external_id: item for item in _connector(page).fetch({}).items}

    assert set(items) == {post, question, answer, tagged}
    assert items[post].kind == ItemKind.POST and items[post].raw["media_type"] == "owned"
    assert items[question].kind == ItemKind.COMMENT
    assert items[question].in_reply_to == post and items[question].thread_id == post
    assert items[question].author.platform_id == FAN[0] and items[question].author.name == FAN[1]
    assert "media_type" not in items[question].raw  # decided by listening: earned unless ours
    assert items[answer].in_reply_to == question and items[answer].raw["media_type"] == "owned"
    assert items[answer].author.handle == PAGE_ID  # the account's handle: owned media to listening
    assert items[tagged].kind == ItemKind.POST and items[tagged].author.platform_id == OTHER[0]
    assert "media_type" not in items[tagged].raw


def test_the_cursor_hands_each_item_over_once(page):
    post, *_ = _conversation(page)
    connector = _connector(page)
    first = connector.fetch({})
    again = connector.fetch(first.cursor)
    assert again.items == [] and not again.more

    late = page.add_comment(post, "Price?", at=NOW, author=OTHER)
    page.add_comment(post, "Same second, other person", at=NOW, author=FAN)
    later = connector.fetch(json.loads(json.dumps(again.cursor)))  # stored as JSON
    assert late in [item.external_id for item in later.items] and len(later.items) == 2
    assert connector.fetch(later.cursor).items == []


def test_the_feed_read_asks_for_comments_with_their_replies(page):
    _connector(page).fetch({})
    feed = next(r for r in page.requests if r.path.endswith(f"{PAGE_ID}/feed"))
    assert "comments.filter(stream)" in feed.query["fields"][0] and "parent{id}" in feed.query["fields"][0]
    assert set(fixture("feed")["response"]["data"][0]) <= {
        "created_time",
        "message",
        "id",
        "comments",
        "from",
        "permalink_url",
    }


# --- engagement -------------------------------------------------------------------------------------


def test_a_reply_answers_the_comment_as_the_page(page):
    _post, question, *_ = _conversation(page)
    published = _connector(page).reply(_out("Not yet, soon!", reply_to=question))

    reply = page.comment(published.external_id)
    assert reply["message"] == "Not yet, soon!" and reply["parent"] == {"id": question}
    assert reply["from"]["id"] == PAGE_ID
    assert set(published.raw) == set(fixture("comments")["reply_response"])


def test_a_reply_whose_answer_was_lost_is_adopted(page):
    _post, question, *_ = _conversation(page)
    connector = _connector(page)
    page.lose_next(f"{question}/comments")
    with pytest.raises(TransientError):
        connector.reply(_out("Soon!", reply_to=question))
    connector.reply(_out("Soon!", reply_to=question))
    assert len(page.writes("POST", f"{question}/comments")) == 1


def test_like_hide_and_unhide_a_comment(page):
    _post, question, *_ = _conversation(page)
    connector = _connector(page)
    connector.like(question)
    connector.hide(question)
    assert page.likes == [question] and page.comment(question)["is_hidden"] is True
    assert page.writes("POST", question)[0].form() == {"is_hidden": ["true"]}
    connector.unhide(question)
    assert page.comment(question)["is_hidden"] is False
    connector.unlike(question)
    assert page.likes == []


def test_an_unknown_comment_is_refused_with_metas_reason(page):
    with pytest.raises(PermanentError, match="code 100"):
        _connector(page).reply(_out("Hi", reply_to="404_404"))


# --- errors and rate limits -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_codes_wait_what_meta_says(page, code):
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    page.fail_next(code, path="feed", headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    with pytest.raises(RateLimited) as raised:
        _connector(page).publish(_out())
    assert raised.value.retry_after == 7 * 60


def test_an_app_at_its_hourly_allowance_waits(page):
    usage = {"call_count": 100, "total_time": 40, "total_cputime": 30}
    assert set(usage) == set(fixture("errors")["x_app_usage"])
    page.fail_next(4, path="", headers={"X-App-Usage": json.dumps(usage)})
    with pytest.raises(RateLimited) as raised:
        _connector(page).check()
    assert raised.value.retry_after == APP_USAGE_WAIT_SECONDS


def test_the_documented_error_maps_onto_ours():
    documented = fixture("errors")["error"]
    assert isinstance(graph_error(400, documented, {}), AuthError)
    assert graph_error(400, documented, {}).graph_code == 190
    as_code = lambda code: {"error": {**documented["error"], "code": code}}  # noqa: E731
    assert isinstance(graph_error(400, as_code(100), {}), PermanentError)
    assert isinstance(graph_error(500, as_code(2), {}), TransientError)
    assert isinstance(graph_error(400, as_code(32), {}), RateLimited)


# --- Messenger --------------------------------------------------------------------------------------


def test_the_send_policy_follows_messengers_windows():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    inside = messenger_send_policy(now - timedelta(hours=23, minutes=59), now)
    assert inside.allowed and inside.messaging_type == "RESPONSE" and not inside.tag
    agent = messenger_send_policy(now - timedelta(hours=25), now)
    assert agent.allowed and agent.messaging_type == "MESSAGE_TAG" and agent.tag == "HUMAN_AGENT"
    assert messenger_send_policy(now - timedelta(days=7), now).allowed
    late = messenger_send_policy(now - timedelta(days=7, seconds=1), now)
    assert not late.allowed and "7 days" in late.reason and late.code == "window_closed"
    never = messenger_send_policy(None, now)
    assert not never.allowed and never.code == "never_wrote"
    assert messenger_send_policy(now - timedelta(hours=23), now, automated=True).messaging_type == "RESPONSE"
    robot = messenger_send_policy(now - timedelta(hours=25), now, automated=True)
    assert not robot.allowed and robot.code == "human_agent_only"


def test_webhook_messages_become_direct_messages(page):
    delivery = fixture("messenger")["webhook"]
    (item,) = _connector(page).webhook_items(delivery)
    event = delivery["entry"][0]["messaging"][0]
    assert item.kind == ItemKind.DM and item.external_id == event["message"]["mid"]
    assert item.text == "hello, world!" and item.author.platform_id == "<PSID>"
    assert item.created_at == datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    echo = json.loads(json.dumps(delivery))
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    assert _connector(page).webhook_items(echo) == []


@pytest.mark.parametrize(
    ("ago", "messaging_type", "tag"),
    [(timedelta(hours=2), "RESPONSE", None), (timedelta(days=3), "MESSAGE_TAG", "HUMAN_AGENT")],
)
def test_a_messenger_answer_goes_out_as_the_window_allows(page, ago, messaging_type, tag):
    page.add_inbound("777", NOW - ago)
    published = _connector(page).reply(_out("We are open till 10", recipient="777", reply_to="m_1"))

    (sent,) = page.sent
    assert sent["messaging_type"] == messaging_type and sent.get("tag") == tag
    assert json.loads(sent["message"]) == {"text": "We are open till 10"}
    assert published.external_id.startswith("m_")
    documented = fixture("messenger")["send_request" if tag is None else "send_request_human_agent"]
    assert set(sent) == set(documented) - {"_source"}


def test_a_stored_time_of_the_persons_message_spares_the_conversation_read(page):
    _connector(page).reply(
        _out("We are open till 10", recipient="777", last_inbound_at=NOW - timedelta(days=2))
    )

    (sent,) = page.sent
    assert sent["tag"] == "HUMAN_AGENT"
    assert page.writes("GET", f"{PAGE_ID}/conversations") == []


def test_an_automated_messenger_answer_past_24_hours_is_refused(page):
    page.add_inbound("777", NOW - timedelta(hours=30))
    with pytest.raises(PermanentError, match="not an automated message"):
        _connector(page).reply(_out("Thanks for writing!", recipient="777", automated=True))
    assert page.sent == []


def test_a_messenger_answer_after_seven_days_is_refused_with_the_reason(page):
    page.add_inbound("777", NOW - timedelta(days=8))
    with pytest.raises(PermanentError, match="7 days"):
        _connector(page).reply(_out("Hello again", recipient="777"))
    assert page.sent == []


# --- the Page webhook's feed changes are the items fetch reads ---------------------------------------

FEED_FIXTURES = Path(__file__).parent / "fixtures" / "meta"


def _documented_delivery(name: str) -> dict:
    delivery = json.loads((FEED_FIXTURES / name).read_text())
    delivery.pop("_source")
    return delivery


def _feed_value(delivery: dict) -> dict:
    return delivery["entry"][0]["changes"][0]["value"]


def _as(item) -> tuple:
    """What makes two arrivals of an item the same one, wherever they came from."""
    return (item.external_id, item.kind, item.thread_id, item.in_reply_to, item.author.platform_id, item.text)


def test_a_feed_comment_from_the_webhook_is_the_comment_fetch_reads(page):
    delivery = _documented_delivery("webhook_page_feed_comment.json")
    value = _feed_value(delivery)
    page.add_from_feed(value)

    (hooked,) = _connector(page).webhook_items(delivery)
    polled = {item.external_id: item for item in _connector(page).fetch({}).items}

    assert _as(hooked) == _as(polled[value["comment_id"]])
    assert hooked.in_reply_to == value["post_id"] and hooked.thread_id == value["post_id"]
    assert hooked.created_at == datetime.fromtimestamp(value["created_time"], UTC)
    assert hooked.author.name == "Budi Santoso" and "media_type" not in hooked.raw


def test_a_reply_from_the_webhook_answers_the_comment_as_the_polled_reply_does(page):
    delivery = _documented_delivery("webhook_page_feed_comment.json")
    value = _feed_value(delivery)
    post = page.add_post("Toko baru!", at=NOW - timedelta(hours=2), post_id=value["post_id"])
    question = page.add_comment(post, "Jam berapa buka?", at=NOW - timedelta(hours=1), author=OTHER)
    value["parent_id"] = question  # Meta names the comment answered as the parent
    page.add_from_feed(value)

    (hooked,) = _connector(page).webhook_items(delivery)
    polled = {item.external_id: item for item in _connector(page).fetch({}).items}
    assert _as(hooked) == _as(polled[value["comment_id"]]) and hooked.in_reply_to == question


def test_a_visitor_post_from_the_webhook_is_the_post_fetch_reads(page):
    delivery = _documented_delivery("webhook_page_feed_post.json")
    value = _feed_value(delivery)
    page.add_from_feed(value)

    (hooked,) = _connector(page).webhook_items(delivery)
    (polled,) = _connector(page).fetch({}).items
    assert _as(hooked) == _as(polled)
    assert hooked.kind == ItemKind.POST and hooked.external_id == value["post_id"]
    status = json.loads(json.dumps(delivery))
    _feed_value(status)["item"] = "status"  # a text post of a person is a "status"
    assert [item.external_id for item in _connector(page).webhook_items(status)] == [value["post_id"]]


def test_the_pages_own_comment_by_webhook_is_owned_media(page):
    delivery = _documented_delivery("webhook_page_feed_comment.json")
    _feed_value(delivery)["from"] = {"id": PAGE_ID, "name": "Kopi Kita"}
    (item,) = _connector(page).webhook_items(delivery)
    assert item.author.handle == PAGE_ID and item.raw["media_type"] == "owned"


@pytest.mark.parametrize(
    ("item", "verb"),
    [("comment", "edited"), ("comment", "remove"), ("comment", "hide"), ("reaction", "add"), ("like", "add")],
)
def test_edits_removals_hides_and_reactions_make_no_items(page, item, verb):
    # Listening keeps the text it stored first and has no tombstone: these change nothing there.
    delivery = _documented_delivery("webhook_page_feed_comment.json")
    _feed_value(delivery).update(item=item, verb=verb)
    assert _connector(page).webhook_items(delivery) == []


def test_a_delivery_with_a_feed_change_and_a_message_gives_both(page):
    delivery = _documented_delivery("webhook_page_feed_comment.json")
    delivery["entry"] += _documented_delivery("webhook_page_messenger_text.json")["entry"]
    items = _connector(page).webhook_items(delivery)
    assert [item.kind for item in items] == [ItemKind.COMMENT, ItemKind.DM]


# --- Messenger conversations read back ----------------------------------------------------------------


def test_messenger_messages_are_read_back_as_the_webhook_gives_them(page):
    delivery = _documented_delivery("webhook_page_messenger_text.json")
    event = delivery["entry"][0]["messaging"][0]
    psid, mid = event["sender"]["id"], event["message"]["mid"]
    page.add_message(
        psid, "hello, world!", at=datetime.fromtimestamp(event["timestamp"] / 1000, UTC), mid=mid
    )

    (hooked,) = _connector(page).webhook_items(delivery)
    (polled,) = _connector(page).fetch({}).items
    assert _as(hooked) == _as(polled)
    assert polled.kind == ItemKind.DM and polled.thread_id == f"messenger:{psid}"
    (read,) = [r for r in page.requests if r.path.endswith(f"{PAGE_ID}/conversations")]
    assert read.query["platform"] == ["messenger"]
    assert read.query["fields"] == ["messages.limit(20){id,message,from,to,created_time},updated_time"]


def test_the_pages_own_answers_in_a_conversation_are_not_items(page):
    page.add_inbound("777", NOW - timedelta(minutes=5))
    _connector(page).reply(_out("We are open till 10", recipient="777"))
    items = _connector(page).fetch({}).items
    assert [(item.author.platform_id, item.text) for item in items] == [("777", "Hello?")]


def test_the_messenger_cursor_hands_each_message_over_once(page):
    connector = _connector(page)
    page.add_message("777", "Halo", at=NOW - timedelta(minutes=2))
    first = connector.fetch({})
    assert [item.text for item in first.items] == ["Halo"]
    assert connector.fetch(first.cursor).items == []
    page.add_message("777", "Masih buka?", at=NOW)
    page.add_message("888", "Same second, other person", at=NOW)
    later = connector.fetch(json.loads(json.dumps(first.cursor)))
    assert sorted(item.text for item in later.items) == ["Masih buka?", "Same second, other person"]
    assert connector.fetch(later.cursor).items == []


def test_the_stand_in_answers_conversations_in_the_documented_shape(page):
    documented = json.loads((FEED_FIXTURES / "messenger_conversations.json").read_text())
    page.add_message("777", "Halo", at=NOW)
    body = _connector(page)._graph.call(
        "GET",
        f"{PAGE_ID}/conversations",
        params={
            "platform": "messenger",
            "fields": "messages.limit(20){id,message,from,to,created_time},updated_time",
        },
    )
    (conversation,) = body["data"]
    assert set(conversation) <= set(documented["conversations"]["data"][0]) | {"messages"}
    (message,) = conversation["messages"]["data"]
    assert set(message) <= set(documented["message"]) and set(message["to"]) == {"data"}
