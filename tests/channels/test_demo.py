"""The demo network: deterministic, rate-limited, clearly labelled, and as varied as a real inbox."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from cxm.channels.connectors.base import AccountConfig, Item, ItemKind, Limits, Outgoing, PermanentError
from cxm.channels.connectors.demo import PAGE_SIZE, DemoConnector

NOW = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)


def demo(now: datetime = NOW, *, account_id: int | None = 7, **options) -> DemoConnector:
    config = AccountConfig(platform="demo", handle="demo-stream", options=options, account_id=account_id)
    return DemoConnector(config, clock=lambda: now)


def cursor_minutes_ago(minutes: float, seq: int = 0) -> dict:
    return {"seq": seq, "at": (NOW - timedelta(minutes=minutes)).isoformat()}


def stream(count: int, **options) -> list[Item]:
    """`count` consecutive items, fetched page by page the way a sync would."""
    rate = 12
    connector = demo(NOW, **options)
    cursor = cursor_minutes_ago(count / rate)
    items: list[Item] = []
    while True:
        page = connector.fetch(cursor)
        items.extend(page.items)
        cursor = page.cursor
        if not page.more:
            return items


@pytest.fixture(scope="module")
def two_thousand() -> list[Item]:
    # Two windows of 1,000, so the catch-up limit (which skips long pauses) is never hit.
    first = stream(1_000)
    connector = demo(NOW + timedelta(minutes=1_000 / 12))
    cursor = {"seq": 1_000, "at": NOW.isoformat()}
    rest: list[Item] = []
    while True:
        page = connector.fetch(cursor)
        rest.extend(page.items)
        cursor = page.cursor
        if not page.more:
            return first + rest


def test_same_cursor_yields_identical_items_and_ids():
    cursor = cursor_minutes_ago(5, seq=40)

    first = demo().fetch(cursor)
    again = demo(NOW + timedelta(seconds=20)).fetch(cursor)

    assert first.items == again.items[: len(first.items)]
    assert [item.external_id for item in first.items] == [f"demo-7-{n}" for n in range(40, 100)]


def test_items_depend_on_seed():
    cursor = cursor_minutes_ago(1)

    ours = demo(seed=1).fetch(cursor).items
    theirs = demo(seed=2).fetch(cursor).items

    assert [item.text for item in ours] != [item.text for item in theirs]
    assert ours[0].external_id == "demo-1-0"


def test_seed_defaults_to_the_account_id_then_zero():
    assert demo(account_id=31).fetch(cursor_minutes_ago(1)).items[0].external_id == "demo-31-0"
    assert demo(account_id=None).fetch(cursor_minutes_ago(1)).items[0].external_id == "demo-0-0"


def test_items_arrive_at_the_configured_rate_and_the_cursor_moves_past_them():
    page = demo(rate_per_minute=12).fetch(cursor_minutes_ago(5, seq=100))

    assert len(page.items) == 60
    assert page.more is False
    assert page.cursor == {"seq": 160, "at": NOW.isoformat()}
    start = NOW - timedelta(minutes=5)
    assert all(start < item.created_at <= NOW for item in page.items)
    assert [item.created_at for item in page.items] == sorted(item.created_at for item in page.items)


def test_nothing_new_before_the_next_item_is_due():
    page = demo(rate_per_minute=12).fetch({"seq": 9, "at": (NOW - timedelta(seconds=4)).isoformat()})

    assert page.items == []
    assert page.cursor["seq"] == 9


def test_a_long_gap_is_served_in_capped_pages_with_more():
    connector = demo(rate_per_minute=12)

    first = connector.fetch(cursor_minutes_ago(30))
    second = connector.fetch(first.cursor)

    assert len(first.items) == PAGE_SIZE
    assert first.more is True
    assert len(second.items) == 360 - PAGE_SIZE
    assert second.more is False
    assert second.items[0].external_id == f"demo-7-{PAGE_SIZE}"


def test_a_very_long_pause_catches_up_on_a_bounded_backlog():
    connector = demo(rate_per_minute=12)
    cursor = {"seq": 5, "at": (NOW - timedelta(days=7)).isoformat()}

    total = 0
    while True:
        page = connector.fetch(cursor)
        total += len(page.items)
        cursor = page.cursor
        if not page.more:
            break

    assert total == 1_000
    assert cursor["seq"] == 1_005


def test_a_fresh_account_starts_with_an_hour_of_history():
    page = demo(rate_per_minute=1).fetch({})

    assert len(page.items) == 60
    assert page.items[0].created_at > NOW - timedelta(hours=1)


def test_a_cursor_ahead_of_the_clock_waits_without_moving():
    cursor = {"seq": 9, "at": (NOW + timedelta(minutes=2)).isoformat()}

    page = demo().fetch(cursor)

    assert page.items == []
    assert page.cursor == cursor


def test_zero_rate_produces_nothing():
    assert demo(rate_per_minute=0).fetch(cursor_minutes_ago(60)).items == []


def test_a_malformed_cursor_is_refused():
    with pytest.raises(PermanentError):
        demo().fetch({"seq": 1, "at": "yesterday"})


def test_everything_is_labelled_as_demo(two_thousand):
    for item in two_thousand:
        assert item.platform == "demo"
        assert item.raw["demo"] is True
        assert item.author.handle.endswith("@demo.invalid")
        assert item.author.url.startswith("https://demo.invalid/")
        assert item.language_hint is None
        assert item.created_at.tzinfo is not None
        assert item.text.strip()
        assert "{" not in item.text  # every slot was filled


def test_kind_mix_is_mostly_posts_then_comments_dms_and_reviews(two_thousand):
    share = {kind: n / len(two_thousand) for kind, n in Counter(item.kind for item in two_thousand).items()}

    assert share[ItemKind.POST] == pytest.approx(0.60, abs=0.05)
    assert share[ItemKind.COMMENT] == pytest.approx(0.25, abs=0.05)
    assert share[ItemKind.DM] == pytest.approx(0.10, abs=0.03)
    assert share[ItemKind.REVIEW] == pytest.approx(0.05, abs=0.02)


def test_stream_is_multilingual_with_a_large_indonesian_share(two_thousand):
    languages = Counter(item.raw["demo_language"] for item in two_thousand)

    assert len(languages) >= 10
    assert {"en", "id", "ms", "es", "pt", "fr", "de", "ja", "tl", "vi", "th", "ar"} <= set(languages)
    assert languages.most_common(1)[0][0] == "id"
    assert languages["id"] / len(two_thousand) > 0.25


def test_texts_are_written_in_their_language(two_thousand):
    by_language = {item.raw["demo_language"]: item.text for item in two_thousand}

    assert any("\u3040" <= char <= "\u30ff" for char in by_language["ja"])  # kana
    assert any("\u0e00" <= char <= "\u0e7f" for char in by_language["th"])
    assert any("\u0600" <= char <= "\u06ff" for char in by_language["ar"])
    texts = {item.text for item in two_thousand}
    assert len(texts) > 500  # varied, not a handful of lines on repeat


def test_sentiments_are_mixed(two_thousand):
    sentiments = Counter(item.raw["demo_sentiment"] for item in two_thousand)

    assert set(sentiments) == {"positive", "neutral", "negative"}
    assert min(sentiments.values()) / len(two_thousand) > 0.15


def test_reviews_carry_a_rating_that_follows_their_sentiment(two_thousand):
    expected = {"positive": {4, 5}, "neutral": {3}, "negative": {1, 2}}

    reviews = [item for item in two_thousand if item.kind == ItemKind.REVIEW]

    assert reviews
    assert all(item.raw["rating"] in expected[item.raw["demo_sentiment"]] for item in reviews)


def test_recurring_authors_write_several_times_and_on_different_kinds(two_thousand):
    authors = Counter(item.author.platform_id for item in two_thousand)
    kinds_by_author: dict[str, set[str]] = {}
    for item in two_thousand:
        kinds_by_author.setdefault(item.author.platform_id, set()).add(item.kind)

    assert authors.most_common(1)[0][1] >= 20
    assert sum(1 for n in authors.values() if n > 1) >= 20
    assert any(len(kinds) >= 3 for kinds in kinds_by_author.values())


def test_authors_come_from_many_cities(two_thousand):
    cities = {item.raw["city"] for item in two_thousand}

    assert {
        "Jakarta",
        "Surabaya",
        "Bandung",
        "Kuala Lumpur",
        "Manila",
        "Singapore",
        "London",
        "Madrid",
    } <= cities


def test_replies_answer_earlier_posts_in_the_same_language_and_brand(two_thousand):
    by_id = {item.external_id: item for item in two_thousand}
    replies = [item for item in two_thousand if item.in_reply_to]

    assert len(replies) > 100
    for reply in replies:
        parent = by_id.get(reply.in_reply_to)
        if parent is None:  # answers an item from before this window
            continue
        assert parent.kind == ItemKind.POST
        assert parent.created_at < reply.created_at
        assert reply.thread_id == parent.external_id
        assert (reply.raw["demo_language"], reply.raw["brand"]) == (
            parent.raw["demo_language"],
            parent.raw["brand"],
        )


def test_items_mention_the_configured_brands(two_thousand):
    assert {item.raw["brand"] for item in two_thousand} == {"Kopi Nusantara", "Teh Segar", "Rival Coffee"}
    assert all(item.raw["brand"] in item.text for item in two_thousand)

    custom = demo(brands=["Warung Senja"]).fetch(cursor_minutes_ago(5)).items

    assert custom
    assert all("Warung Senja" in item.text for item in custom)


def test_publish_and_reply_return_a_deterministic_id_from_the_idempotency_key():
    connector = demo()

    first = connector.publish(Outgoing(text="Promo!", idempotency_key="intent-1"))
    again = connector.publish(Outgoing(text="Promo, edited", idempotency_key="intent-1"))
    reply = connector.reply(Outgoing(text="Terima kasih!", idempotency_key="intent-2", reply_to="demo-7-3"))

    assert first.external_id == again.external_id
    assert first.external_id.startswith("demo-post-")
    assert reply.external_id.startswith("demo-post-")
    assert reply.external_id != first.external_id


def test_demo_limits_check_and_metrics():
    connector = demo()

    assert connector.limits() == Limits(500, 4)
    assert connector.check() == "demo network"
    assert connector.fetch_metrics(["demo-post-1"]) == connector.fetch_metrics(["demo-post-1"])


# --- the WhatsApp- and Instagram-like flavours --------------------------------------------------


def test_the_whatsapp_flavour_is_direct_messages_from_phone_numbers_in_indonesian_and_english():
    items = stream(300, flavour="whatsapp")

    assert {item.kind for item in items} == {ItemKind.DM}
    assert {item.raw["demo_language"] for item in items} == {"id", "en"}
    assert all(item.raw["demo"] and item.raw["demo_flavour"] == "whatsapp" for item in items)
    for item in items:
        assert item.author.platform_id == item.author.handle
        assert item.author.handle.startswith("+") and item.author.handle[1:].isdigit()
        assert item.thread_id == f"demo-7-wa-{item.author.handle[1:]}"
    indonesian = {item.author.handle for item in items if item.raw["country"] == "ID"}
    assert indonesian and all(phone.startswith("+62812") for phone in indonesian)
    # The same person writes from the same number every time: a conversation, not a crowd.
    by_name: dict[str, set[str]] = {}
    for item in items:
        by_name.setdefault(item.author.name, set()).add(item.author.handle)
    assert all(len(phones) == 1 for phones in by_name.values())


def test_the_instagram_flavour_is_comments_under_the_brands_posts_and_mentions():
    items = stream(300, flavour="instagram", brands=["Kopi Nusantara"])

    kinds = Counter(item.kind for item in items)
    assert set(kinds) == {ItemKind.COMMENT, ItemKind.POST}
    assert kinds[ItemKind.COMMENT] > kinds[ItemKind.POST] > 0
    assert {item.raw["demo_language"] for item in items} == {"id", "en"}
    for item in items:
        assert item.author.handle.endswith("@demo.invalid")
        if item.kind == ItemKind.COMMENT:
            assert item.in_reply_to and item.in_reply_to.startswith("demo-7-ig-media-")
            assert item.thread_id == item.in_reply_to
        else:
            assert item.in_reply_to is None and "@kopinusantara" in item.text


def test_the_telegram_flavour_is_private_chats_with_the_bot_one_per_person():
    items = stream(300, flavour="telegram")

    assert {item.kind for item in items} == {ItemKind.DM}
    assert {item.raw["demo_language"] for item in items} == {"id", "en"}
    assert all(item.raw["demo"] and item.raw["demo_flavour"] == "telegram" for item in items)
    for item in items:
        user_id = item.author.platform_id.removeprefix("demo-tg:")
        assert user_id.isdigit() and item.author.handle.startswith("@")
        assert item.thread_id == f"demo-7-tg-{user_id}"
    photos = [item for item in items if item.text.endswith("\n[photo]")]
    assert 0 < len(photos) < len(items) / 2
    # The same person writes from the same account every time: a conversation, not a crowd.
    by_name: dict[str, set[str]] = {}
    for item in items:
        by_name.setdefault(item.author.name, set()).add(item.author.platform_id)
    assert all(len(ids) == 1 for ids in by_name.values())


def test_the_youtube_flavour_is_comments_under_the_brands_videos_and_videos_about_it():
    items = stream(400, flavour="youtube", brands=["Kopi Nusantara"])

    kinds = Counter(item.kind for item in items)
    assert kinds[ItemKind.COMMENT] > kinds[ItemKind.POST] > 0
    assert {item.raw["demo_language"] for item in items} == {"id", "en"}
    by_id = {item.external_id: item for item in items}
    replies = 0
    for item in items:
        if item.kind == ItemKind.POST:
            assert item.in_reply_to is None and item.thread_id == item.external_id and item.subject
            continue
        assert item.thread_id.startswith("demo-7-yt-video-")
        if item.in_reply_to != item.thread_id:
            # YouTube threads are one level deep: a reply answers a top-level comment of its video.
            replies += 1
            answered = by_id[item.in_reply_to]
            assert answered.kind == ItemKind.COMMENT and answered.in_reply_to == answered.thread_id
            assert answered.thread_id == item.thread_id
    assert replies > 0


def test_the_x_flavour_is_mentions_replies_under_the_brands_posts_and_a_few_direct_messages():
    items = stream(300, flavour="x", brands=["Kopi Nusantara"])

    kinds = Counter(item.kind for item in items)
    assert set(kinds) == {ItemKind.POST, ItemKind.COMMENT, ItemKind.DM}
    assert kinds[ItemKind.POST] > kinds[ItemKind.COMMENT] > kinds[ItemKind.DM] > 0
    assert {item.raw["demo_language"] for item in items} == {"id", "en"}
    for item in items:
        assert len(item.text) <= 280 and item.author.handle.endswith("@demo.invalid")
        assert item.raw["demo_flavour"] == "x"
        if item.kind == ItemKind.POST:
            assert item.text.startswith("@kopinusantara ") and item.thread_id == item.external_id
        elif item.kind == ItemKind.COMMENT:
            assert item.in_reply_to.startswith("demo-7-x-post-") and item.thread_id == item.in_reply_to
        else:
            assert item.thread_id == f"demo-7-x-dm-{item.author.handle.split('@')[1]}"


@pytest.mark.parametrize("flavour", ["whatsapp", "instagram", "telegram", "youtube", "x"])
def test_the_flavours_are_deterministic_and_accept_replies_and_posts(flavour):
    cursor = cursor_minutes_ago(3, seq=10)

    first = demo(flavour=flavour).fetch(cursor)
    again = demo(NOW + timedelta(seconds=30), flavour=flavour).fetch(cursor)

    assert first.items == again.items[: len(first.items)]
    connector = demo(flavour=flavour)
    outgoing = Outgoing(text="Terima kasih!", idempotency_key="k-1", reply_to=first.items[0].external_id)
    assert connector.reply(outgoing).external_id.startswith("demo-post-")
    assert connector.publish(Outgoing(text="Promo", idempotency_key="k-2")).raw == {"demo": True}
    assert flavour in connector.check()


def test_an_unknown_flavour_is_refused():
    with pytest.raises(PermanentError):
        demo(flavour="myspace")
