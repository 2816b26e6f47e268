"""The Instagram connector against a stand-in that answers with Meta's documented shapes:
the container flow published exactly once across retries, the publishing limit, comments and
tags as items, replies, hiding, deleting, webhooks, and Graph errors mapped to ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxm.channels.connectors import build_connector
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    ItemKind,
    Media,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.graph import graph_error
from cxm.channels.connectors.instagram import InstagramConnector
from tests.channels.stubs.instagram_server import TOKEN, USER_ID, USERNAME, InstagramStub, fixture


class FakeClock:
    """Waiting costs no time: each sleep moves the clock on instead."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def graph():
    with InstagramStub() as stub:
        yield stub


@pytest.fixture
def clock():
    return FakeClock()


def _connector(graph, clock, *, token=TOKEN, timeout=5.0, **options):
    config = AccountConfig(
        platform="instagram",
        handle=USER_ID,
        base_url=graph.base_url,
        credentials={"access_token": token},
        options={"publish_wait_seconds": 1, "poll_seconds": 0.5, **options},
        allow_private_targets=True,
    )
    return InstagramConnector(config, http=httpx.Client(timeout=timeout), sleep=clock.sleep, clock=clock)


@pytest.fixture
def instagram(graph, clock):
    return _connector(graph, clock)


def _image(name="sale.jpg"):
    return Media(
        filename=name, content_type="image/jpeg", data=b"\xff\xd8", url=f"https://cdn.example.com/{name}"
    )


def _post(*media, text="Summer sale starts today #promo", key="k-1"):
    return Outgoing(text=text, idempotency_key=key, media=tuple(media))


def _calls(graph, method, suffix):
    return [r for r in graph.requests if r.method == method and r.path.endswith(suffix)]


def test_the_registry_builds_the_instagram_connector(graph):
    config = AccountConfig(platform="instagram", handle=USER_ID, credentials={"access_token": TOKEN})
    assert isinstance(build_connector(config), InstagramConnector)


def test_check_answers_the_username(instagram, graph):
    assert instagram.check() == USERNAME
    (call,) = graph.requests
    assert call.path == f"/v21.0/{USER_ID}" and call.query["fields"] == ["id,username"]


def test_an_image_goes_through_container_status_and_media_publish(instagram, graph, clock):
    outgoing = _post(_image())

    published = instagram.publish(outgoing)

    (create,) = _calls(graph, "POST", f"{USER_ID}/media")
    assert create.form() == {
        "image_url": ["https://cdn.example.com/sale.jpg"],
        "caption": ["Summer sale starts today #promo"],
    }
    container_id = outgoing.state["container_id"]
    looks = [r for r in graph.requests if r.path.endswith(f"/{container_id}")]
    assert len(looks) == 2 and looks[0].query["fields"] == ["status_code,status"]
    (publish,) = _calls(graph, "POST", f"{USER_ID}/media_publish")
    assert publish.form() == {"creation_id": [container_id]}
    assert graph.published == [published.external_id]
    assert published.url.startswith("https://www.instagram.com/p/")
    assert clock.slept == [0.5]


def test_a_carousel_makes_one_container_per_item_then_the_carousel(instagram, graph):
    video = Media(
        filename="clip.mp4", content_type="video/mp4", data=b"", url="https://cdn.example.com/clip.mp4"
    )
    outgoing = _post(_image("one.jpg"), video)

    instagram.publish(outgoing)

    first, second, carousel = [r.form() for r in _calls(graph, "POST", f"{USER_ID}/media")]
    assert first == {"is_carousel_item": ["true"], "image_url": ["https://cdn.example.com/one.jpg"]}
    assert second == {
        "is_carousel_item": ["true"],
        "media_type": ["VIDEO"],
        "video_url": ["https://cdn.example.com/clip.mp4"],
    }
    assert carousel == {
        "media_type": ["CAROUSEL"],
        "children": [",".join(outgoing.state["children"])],
        "caption": ["Summer sale starts today #promo"],
    }
    assert len(graph.published) == 1


def test_a_single_video_is_published_as_a_reel(instagram, graph):
    video = Media(
        filename="reel.mp4", content_type="video/mp4", data=b"", url="https://cdn.example.com/reel.mp4"
    )

    instagram.publish(_post(video))

    (create,) = _calls(graph, "POST", f"{USER_ID}/media")
    assert create.form()["media_type"] == ["REELS"]
    assert create.form()["video_url"] == ["https://cdn.example.com/reel.mp4"]


def test_the_container_is_created_once_when_the_first_attempt_gives_up_waiting(instagram, graph):
    graph.container_steps = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
    outgoing = _post(_image())

    with pytest.raises(TransientError, match="still processing"):
        instagram.publish(outgoing)
    assert len(graph.containers) == 1 and graph.published == []

    # The dispatcher hands the same state back with the retry.
    retry = Outgoing(
        text=outgoing.text,
        idempotency_key=outgoing.idempotency_key,
        media=outgoing.media,
        state=dict(outgoing.state),
    )
    published = instagram.publish(retry)

    assert len(graph.containers) == 1
    assert graph.published == [published.external_id]
    assert (
        _calls(graph, "GET", "content_publishing_limit")
        and len(_calls(graph, "GET", "content_publishing_limit")) == 1
    )


def test_the_container_is_created_once_when_a_status_look_times_out(graph, clock):
    instagram = _connector(graph, clock, timeout=0.3)
    graph.hang_next(r"\d+", method="GET")
    outgoing = _post(_image())

    with pytest.raises(TransientError, match="timed out"):
        instagram.publish(outgoing)
    published = instagram.publish(outgoing)

    assert len(graph.containers) == 1
    assert graph.published == [published.external_id]


def test_a_lost_publish_answer_adopts_the_media_instead_of_publishing_again(graph, clock):
    instagram = _connector(graph, clock, timeout=1.0)
    graph.lose_answer_next(rf"{USER_ID}/media_publish")
    outgoing = _post(_image())

    with pytest.raises(TransientError):
        instagram.publish(outgoing)
    assert len(graph.published) == 1
    published = instagram.publish(outgoing)

    assert published.external_id == graph.published[0]
    assert len(graph.published) == 1 and len(graph.containers) == 1


def test_a_container_in_error_fails_with_the_platforms_reason(instagram, graph):
    graph.container_steps = ["IN_PROGRESS", "ERROR"]

    with pytest.raises(PermanentError, match="could not process the media: 2207026"):
        instagram.publish(_post(_image()))
    assert graph.published == []


def test_the_publishing_limit_refuses_before_any_container(instagram, graph):
    graph.quota_usage = graph.quota_total

    with pytest.raises(
        PermanentError, match="publishing limit is reached: this account published 50 of the 50"
    ):
        instagram.publish(_post(_image()))
    assert graph.containers == {}


def test_an_expired_container_is_replaced(instagram, graph):
    outgoing = _post(_image())
    graph.container_steps = ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "EXPIRED"]
    with pytest.raises(TransientError):
        instagram.publish(outgoing)
    graph.container_steps = ["FINISHED"]

    instagram.publish(outgoing)

    assert len(graph.containers) == 2 and len(graph.published) == 1


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ((), "needs an image or a video"),
        ((Media(filename="a.jpg", content_type="image/jpeg", data=b""),), "a.jpg has none"),
        (tuple(_image(f"{n}.jpg") for n in range(11)), "at most 10 items"),
    ],
)
def test_posts_instagram_cannot_take_are_refused(instagram, graph, media, message):
    with pytest.raises(PermanentError, match=message):
        instagram.publish(_post(*media))
    assert graph.containers == {}


def test_fetch_reads_comments_replies_and_tags_once(instagram, graph):
    earlier = datetime.now(UTC) - timedelta(minutes=10)
    media_id = graph.add_media("Our new roast", at=earlier)
    comment_id = graph.add_comment(media_id, "Is it decaf?", at=earlier + timedelta(minutes=1))
    reply_id = graph.add_comment(
        media_id,
        "It is not, sorry!",
        username=USERNAME,
        user_id=USER_ID,
        parent=comment_id,
        at=earlier + timedelta(minutes=2),
    )
    tag_id = graph.add_tag("Loving @brand.id coffee", at=earlier + timedelta(minutes=3))

    page = instagram.fetch({})

    by_id = {item.external_id: item for item in page.items}
    assert list(by_id) == [comment_id, reply_id, tag_id]
    comment, reply, tag = by_id[comment_id], by_id[reply_id], by_id[tag_id]
    assert comment.kind == ItemKind.COMMENT and comment.text == "Is it decaf?"
    assert comment.author.handle == "customer.one" and comment.in_reply_to == media_id
    assert comment.thread_id == media_id and comment.raw["owned"] is False
    assert reply.in_reply_to == comment_id and reply.raw["owned"] is True
    assert reply.author.handle == USER_ID  # the account's own handle: owned media
    assert tag.kind == ItemKind.POST and tag.author.handle == "fan.account" and tag.raw["tagged"]

    assert instagram.fetch(page.cursor).items == []
    newer = graph.add_comment(media_id, "Then I'll take two")
    assert [i.external_id for i in instagram.fetch(page.cursor).items] == [newer]


def test_the_documented_comment_rows_read_as_items(instagram, graph):
    media = {"id": "17895695668004550", "permalink": "https://www.instagram.com/p/x/"}
    rows = fixture("instagram_media_comments.json")["data"]

    items = [instagram._comment_item(row, media=media, parent=None) for row in rows]

    assert [i.external_id for i in items] == ["17873440459141021", "17870913679156914"]
    assert items[0].created_at == datetime(2017, 8, 31, 18, 10, 30, tzinfo=UTC)
    assert items[0].text == "I love this!"


def test_reply_answers_the_comment_once(instagram, graph):
    media_id = graph.add_media("Our new roast")
    comment_id = graph.add_comment(media_id, "Is it decaf?")
    outgoing = Outgoing(text="It is not, sorry!", idempotency_key="r-1", reply_to=comment_id)

    first = instagram.reply(outgoing)
    again = instagram.reply(outgoing)

    (sent,) = _calls(graph, "POST", f"{comment_id}/replies")
    assert sent.form() == {"message": ["It is not, sorry!"]}
    assert again.external_id == first.external_id
    assert [r["text"] for r in graph.replies_to(comment_id)] == ["It is not, sorry!"]


def test_hide_and_delete_act_on_the_comment(instagram, graph):
    media_id = graph.add_media("Our new roast")
    comment_id = graph.add_comment(media_id, "spam spam")

    instagram.comment_hide(comment_id)
    assert comment_id in graph.hidden
    (hide,) = _calls(graph, "POST", f"/{comment_id}")
    assert hide.form() == {"hide": ["true"]}
    instagram.comment_hide(comment_id, hidden=False)
    assert comment_id not in graph.hidden

    reply = instagram.reply(Outgoing(text="Thanks!", idempotency_key="r-2", reply_to=comment_id))
    instagram.comment_delete(reply.external_id)
    assert reply.external_id in graph.deleted
    with pytest.raises(PermanentError):
        instagram.comment_delete(reply.external_id)


def test_webhook_comments_become_items(instagram):
    payload = fixture("instagram_webhook_comments.json")
    payload["entry"][0]["id"] = USER_ID

    (item,) = instagram.webhook_items(payload)

    assert item.external_id == "17865799348089039"
    assert item.text == "This is an example."
    assert item.author.handle == "test" and item.author.platform_id == "232323232"
    assert item.in_reply_to == "1231231234" and item.thread_id == "123123123"
    assert item.created_at == datetime.fromtimestamp(1547687043, tz=UTC)


def test_webhook_entries_of_another_account_are_left_out(instagram):
    assert instagram.webhook_items(fixture("instagram_webhook_comments.json")) == []


def test_a_webhook_mention_is_read_back_as_the_comment(instagram, graph):
    media_id = graph.add_media("someone else's post", owner="999")
    comment_id = graph.add_comment(media_id, "@brand.id look at this", username="friend")
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": USER_ID,
                "time": 1,
                "changes": [{"field": "mentions", "value": {"media_id": media_id, "comment_id": comment_id}}],
            }
        ],
    }

    (item,) = instagram.webhook_items(payload)

    assert item.external_id == comment_id and item.text == "@brand.id look at this"
    assert item.author.handle == "friend" and item.raw["mention"] is True


def test_a_webhook_caption_mention_is_read_back_as_the_media(instagram, graph):
    media_id = graph.add_media("Breakfast with @brand.id", owner="999", username="friend")
    change = {"field": "mentions", "value": {"media_id": media_id}}
    payload = {"object": "instagram", "entry": [{"id": USER_ID, "time": 1, "changes": [change]}]}

    (item,) = instagram.webhook_items(payload)

    assert item.external_id == media_id and item.kind == ItemKind.POST
    assert item.text == "Breakfast with @brand.id" and item.author.handle == "friend"


def test_webhook_direct_messages_become_dm_items(instagram):
    payload = fixture("instagram_webhook_messaging.json")
    payload["entry"][0]["id"] = USER_ID
    payload["entry"][0]["messaging"][0]["recipient"]["id"] = USER_ID

    (item,) = instagram.webhook_items(payload)

    assert item.kind == ItemKind.DM and item.text == "Hello, is the summer sale still on?"
    assert item.author.platform_id == "1234567890123456" and item.thread_id == "1234567890123456"
    assert item.created_at == datetime.fromtimestamp(1569262485.349, tz=UTC)


def test_the_accounts_own_messages_echoed_back_are_not_taken_as_the_customers(instagram):
    """Meta echoes what the account sends (`is_echo`); the outbox stored it already, and taken as
    the customer's it would reopen the case and move their answer window."""
    payload = fixture("instagram_webhook_messaging.json")
    event = payload["entry"][0]["messaging"][0]
    payload["entry"][0]["id"] = USER_ID
    event["sender"]["id"], event["recipient"]["id"] = USER_ID, "1234567890123456"
    event["message"]["is_echo"] = True

    assert instagram.webhook_items(payload) == []


def test_a_bad_token_needs_reauthorisation(graph, clock):
    with pytest.raises(AuthError, match="code 190"):
        _connector(graph, clock, token="expired").check()


@pytest.mark.parametrize(
    ("code", "error"), [(4, RateLimited), (17, RateLimited), (100, PermanentError), (2, TransientError)]
)
def test_graph_errors_map_onto_connector_errors(instagram, graph, code, error):
    graph.fail_next(rf"{USER_ID}/media", code=code)
    with pytest.raises(error):
        instagram.fetch({})


def test_the_documented_error_shape_is_an_auth_error():
    assert isinstance(graph_error(400, fixture("instagram_graph_error.json"), {}), AuthError)


def test_metrics_read_likes_and_comments(instagram, graph):
    media_id = graph.add_media("Our new roast")
    graph.media[media_id]["like_count"] = 7
    graph.add_comment(media_id, "yum")

    (metrics,) = instagram.fetch_metrics([media_id])

    assert metrics.likes == 7 and metrics.replies == 1


def test_a_direct_message_is_answered_through_the_send_api(instagram, graph):
    outgoing = Outgoing(
        text="Yes, until Sunday!",
        idempotency_key="m-1",
        reply_to="aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE",
        thread_id="1234567890123456",
    )

    sent = instagram.reply(outgoing)

    (message,) = graph.messages
    assert message["page"] == "me" and message["recipient"] == {"id": "1234567890123456"}
    assert message["messaging_type"] == "RESPONSE" and message["message"] == {"text": "Yes, until Sunday!"}
    assert sent.external_id == message["message_id"]


def test_a_direct_message_outside_the_window_is_refused_with_the_reason(instagram, graph):
    graph.window_closed.add("1234567890123456")
    outgoing = Outgoing(text="Hello again", idempotency_key="m-2", recipient="1234567890123456")

    with pytest.raises(PermanentError, match="within 24 hours of the customer's last message"):
        instagram.reply(outgoing)
    assert graph.messages == []


def test_a_person_answers_past_24_hours_with_the_human_agent_tag(instagram, graph):
    wrote = datetime.now(UTC) - timedelta(hours=30)
    graph.customer_wrote("1234567890123456", wrote)
    outgoing = Outgoing(
        text="Sorry for the wait", idempotency_key="m-3", recipient="1234567890123456", last_inbound_at=wrote
    )

    instagram.reply(outgoing)

    (message,) = graph.messages
    assert (message["messaging_type"], message["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_the_stand_in_refuses_an_untagged_answer_past_24_hours(instagram, graph):
    graph.customer_wrote("1234567890123456", datetime.now(UTC) - timedelta(hours=30))
    outgoing = Outgoing(text="Sorry for the wait", idempotency_key="m-4", recipient="1234567890123456")

    with pytest.raises(PermanentError, match="HUMAN_AGENT"):
        instagram.reply(outgoing)  # no stored time: sent as RESPONSE, which Instagram refuses
    assert graph.messages == []


@pytest.mark.parametrize(
    ("ago", "automated", "reason"),
    [(timedelta(hours=30), True, "not an automated message"), (timedelta(days=8), False, "7 days")],
)
def test_answers_meta_does_not_allow_are_refused_before_sending(instagram, graph, ago, automated, reason):
    outgoing = Outgoing(
        text="Hello again",
        idempotency_key="m-5",
        recipient="1234567890123456",
        last_inbound_at=datetime.now(UTC) - ago,
        automated=automated,
    )

    with pytest.raises(PermanentError, match=reason):
        instagram.reply(outgoing)
    assert graph.requests == []


def test_the_stand_in_answers_with_the_documented_shapes(graph):
    """Each answer the connector relies on has the keys of Meta's documented example."""
    client = httpx.Client(base_url=f"{graph.base_url}/v21.0", headers={"Authorization": f"Bearer {TOKEN}"})
    container = client.post(f"/{USER_ID}/media", data={"image_url": "https://cdn.example.com/a.jpg"}).json()
    client.get(f"/{container['id']}", params={"fields": "status_code"})  # IN_PROGRESS
    status = client.get(f"/{container['id']}", params={"fields": "status_code"}).json()  # FINISHED
    published = client.post(f"/{USER_ID}/media_publish", data={"creation_id": container["id"]}).json()
    limit = client.get(f"/{USER_ID}/content_publishing_limit").json()
    comment_id = graph.add_comment(published["id"], "I love this!")
    reply = client.post(f"/{comment_id}/replies", data={"message": "Thanks!"}).json()

    assert set(container) == set(fixture("instagram_media_container.json"))
    assert set(status) == set(fixture("instagram_container_status.json"))
    assert set(published) == set(fixture("instagram_mentions_reply.json"))
    assert set(reply) == set(fixture("instagram_comment_reply.json"))
    assert set(limit["data"][0]) == set(fixture("instagram_content_publishing_limit.json")["data"][0])
    documented_row = fixture("instagram_media_comments.json")["data"][0]
    (row,) = client.get(f"/{comment_id}/replies").json()["data"]
    assert set(documented_row) <= set(row)


# --- direct messages read back from the conversations --------------------------------------------------


def _as(item) -> tuple:
    """What makes two arrivals of an item the same one, wherever they came from."""
    return (item.external_id, item.kind, item.thread_id, item.author.platform_id, item.text)


def test_direct_messages_are_read_back_as_the_webhook_gives_them(instagram, graph):
    payload = fixture("instagram_webhook_messaging.json")
    payload["entry"][0]["id"] = USER_ID
    event = payload["entry"][0]["messaging"][0]
    event["recipient"]["id"] = USER_ID
    graph.add_direct_message(
        event["sender"]["id"],
        event["message"]["text"],
        at=datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC),
        mid=event["message"]["mid"],
    )

    (hooked,) = instagram.webhook_items(payload)
    (polled,) = instagram.fetch({}).items
    assert _as(hooked) == _as(polled) and polled.kind == ItemKind.DM
    (read,) = _calls(graph, "GET", "/me/conversations")
    assert read.query["platform"] == ["instagram"]
    assert read.query["fields"] == ["messages.limit(20){id,message,from,to,created_time},updated_time"]


def test_conversations_are_read_through_the_linked_page(graph, clock):
    connector = _connector(graph, clock, page_id="1122334455")
    graph.add_direct_message("5511223344", "Masih ada stok?")
    assert [item.text for item in connector.fetch({}).items] == ["Masih ada stok?"]
    assert _calls(graph, "GET", "/1122334455/conversations")


def test_the_accounts_own_answers_are_not_read_back_as_customers(instagram, graph):
    graph.add_direct_message("5511223344", "Masih ada stok?")
    instagram.reply(Outgoing(text="Ada, kak!", idempotency_key="k-dm", recipient="5511223344"))
    (item,) = instagram.fetch({}).items
    assert (item.author.platform_id, item.text) == ("5511223344", "Masih ada stok?")


def test_the_message_cursor_hands_each_message_over_once(instagram, graph):
    now = datetime.now(UTC).replace(microsecond=0)
    graph.add_direct_message("5511223344", "Halo", at=now - timedelta(minutes=1))
    first = instagram.fetch({})
    assert [item.text for item in first.items] == ["Halo"]
    assert instagram.fetch(first.cursor).items == []
    graph.add_direct_message("5511223344", "Masih buka?", at=now)
    graph.add_direct_message("6622334455", "Same second, someone else", at=now)
    later = instagram.fetch(first.cursor)
    assert sorted(item.text for item in later.items) == ["Masih buka?", "Same second, someone else"]
    assert instagram.fetch(later.cursor).items == []


def test_the_stand_in_answers_conversations_in_the_documented_shape(instagram, graph):
    documented = fixture("messenger_conversations.json")
    graph.add_direct_message("5511223344", "Halo")
    fields = "messages.limit(20){id,message,from,to,created_time},updated_time"
    body = instagram._graph.call(
        "GET", "me/conversations", params={"platform": "instagram", "fields": fields}
    )
    (conversation,) = body["data"]
    assert set(conversation) <= set(documented["conversations"]["data"][0]) | {"messages"}
    (message,) = conversation["messages"]["data"]
    assert set(message) == set(documented["message"])
    assert set(message["from"]) == set(documented["message"]["from"])
