"""RSS/Atom listening against a feed host on loopback: parsing, conditional GET, exactly-once
delivery across changing feeds, and error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxm.channels.connectors.base import (
    AccountConfig,
    ItemKind,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.rss import SEEN_LIMIT, RssConnector, html_to_text
from tests.channels.stubs.feed_server import FeedEntry, FeedServer, atom_document, rss_document

T0 = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _feed_host_on_loopback(settings):
    # The feed host listens on loopback, which feed fetches refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        yield feed_server


def connector(server: FeedServer, http: httpx.Client, path: str = "/feed.xml", **options) -> RssConnector:
    config = AccountConfig(platform="rss", handle="feed", options={"feed_url": server.url(path), **options})
    return RssConnector(config, http=http)


def entry(n: int, **overrides) -> FeedEntry:
    values = {
        "id": f"post-{n}",
        "title": f"Post {n}",
        "link": f"https://kopi.example/posts/{n}",
        "summary": f"<p>Body of post {n}</p>",
        "published": T0 + timedelta(hours=n),
        "author": "Sari Wulandari",
    }
    values.update(overrides)
    return FeedEntry(**values)


def test_rss_items_carry_guid_author_plain_text_time_link_and_language(server, http):
    server.set_document(
        "/feed.xml",
        rss_document(
            [
                entry(
                    1,
                    title="Kopi Susu & friends",
                    summary="<p>New <b>cold brew</b> in Bandung.</p>"
                    "<p>Line two<br/>same paragraph &amp; more</p><script>alert(1)</script>",
                )
            ],
            language="id-ID",
        ),
    )

    page = connector(server, http).fetch({})

    [item] = page.items
    assert item.platform == "rss"
    assert item.external_id == "post-1"
    assert item.author.handle == "Sari Wulandari"
    assert item.author.platform_id == "Sari Wulandari"
    assert item.text == (
        "Kopi Susu & friends\n\nNew cold brew in Bandung.\n\nLine two\nsame paragraph & more"
    )
    assert item.created_at == T0 + timedelta(hours=1)
    assert item.created_at.tzinfo is not None
    assert item.url == "https://kopi.example/posts/1"
    assert item.language_hint == "id"
    assert item.kind == ItemKind.POST
    assert page.more is False


def test_atom_entries_are_parsed_like_rss_items(server, http):
    server.set_document(
        "/reviews.atom",
        atom_document(
            [entry(1, id="urn:review:1", summary="<p>Teh Segar 1L enak &amp; segar</p>", author="Budi")],
            language="id",
        ),
        content_type="application/atom+xml",
    )

    page = connector(server, http, "/reviews.atom", item_kind="review").fetch({})

    [item] = page.items
    assert item.external_id == "urn:review:1"
    assert item.text == "Post 1\n\nTeh Segar 1L enak & segar"
    assert item.author.name == "Budi"
    assert item.created_at == T0 + timedelta(hours=1)
    assert item.language_hint == "id"
    assert item.kind == ItemKind.REVIEW


def test_entry_without_author_is_attributed_to_the_feed(server, http):
    server.set_document("/feed.xml", rss_document([entry(1, author="")], title="Kopi Blog"))

    [item] = connector(server, http).fetch({}).items

    assert item.author.handle == "Kopi Blog"
    assert item.author.platform_id == "https://kopi.example/"


def test_entry_without_guid_is_identified_by_link_then_by_title_and_date(server, http):
    server.set_document("/feed.xml", rss_document([entry(1, id=None), entry(2, id=None, link=None)]))

    ids = {item.text.split("\n")[0]: item.external_id for item in connector(server, http).fetch({}).items}

    assert ids["Post 1"] == "https://kopi.example/posts/1"
    assert ids["Post 2"].startswith("sha256:")


def test_entry_without_date_is_stamped_now(server, http):
    server.set_document("/feed.xml", rss_document([entry(1, published=None)]))
    before = datetime.now(UTC)

    [item] = connector(server, http).fetch({}).items

    assert item.created_at >= before


def test_unchanged_feed_answers_304_and_yields_nothing(server, http):
    server.set_document("/feed.xml", rss_document([entry(1), entry(2)]))
    rss = connector(server, http)

    first = rss.fetch({})
    second = rss.fetch(first.cursor)

    assert len(first.items) == 2
    assert first.cursor["etag"]
    assert second.items == []
    assert second.cursor == first.cursor
    headers = server.requests[-1].headers
    assert headers["If-None-Match"] == first.cursor["etag"]
    assert headers["If-Modified-Since"] == first.cursor["last_modified"]


def test_feed_that_keeps_old_entries_delivers_each_entry_once(server, http):
    rss = connector(server, http)
    server.set_document("/feed.xml", rss_document([entry(2), entry(1)]))
    first = rss.fetch({})

    server.set_document("/feed.xml", rss_document([entry(4), entry(3), entry(2), entry(1)]))
    second = rss.fetch(first.cursor)

    server.set_document("/feed.xml", rss_document([entry(5), entry(4), entry(3)]))
    third = rss.fetch(second.cursor)

    assert [item.external_id for item in first.items] == ["post-1", "post-2"]
    assert [item.external_id for item in second.items] == ["post-3", "post-4"]
    assert [item.external_id for item in third.items] == ["post-5"]


def test_new_entry_inserted_in_the_middle_of_the_feed_is_delivered_once(server, http):
    rss = connector(server, http)
    server.set_document("/feed.xml", rss_document([entry(3), entry(1)]))
    first = rss.fetch({})

    # Review sites often sort by rating or re-date entries, so a new one can appear anywhere.
    server.set_document("/feed.xml", rss_document([entry(3), entry(2, published=T0), entry(1)]))
    second = rss.fetch(first.cursor)
    server.set_document("/feed.xml", rss_document([entry(1), entry(2), entry(3)], title="Reordered"))
    third = rss.fetch(second.cursor)

    assert [item.external_id for item in second.items] == ["post-2"]
    assert third.items == []


def test_items_are_delivered_oldest_first(server, http):
    server.set_document("/feed.xml", rss_document([entry(3), entry(1), entry(2)]))

    page = connector(server, http).fetch({})

    assert [item.external_id for item in page.items] == ["post-1", "post-2", "post-3"]


def test_remembered_ids_are_bounded_but_keep_everything_still_in_the_feed(server, http):
    rss = connector(server, http)
    cursor = {"seen": [f"old-{n}" for n in range(SEEN_LIMIT)]}
    server.set_document("/feed.xml", rss_document([entry(n) for n in range(3)]))

    page = rss.fetch(cursor)

    assert len(page.items) == 3
    assert len(page.cursor["seen"]) == SEEN_LIMIT
    assert {"post-0", "post-1", "post-2"} <= set(page.cursor["seen"])
    assert "old-0" in page.cursor["seen"]
    assert f"old-{SEEN_LIMIT - 1}" not in page.cursor["seen"]


def test_rate_limited_feed_raises_rate_limited_with_retry_after(server, http):
    server.set_document("/feed.xml", rss_document([entry(1)]))
    server.fail_next(429, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as caught:
        connector(server, http).fetch({})

    assert caught.value.retry_after == 120


def test_server_error_raises_transient_error_and_the_next_fetch_recovers(server, http):
    server.set_document("/feed.xml", rss_document([entry(1)]))
    server.fail_next(500)
    rss = connector(server, http)

    with pytest.raises(TransientError):
        rss.fetch({})
    assert [item.external_id for item in rss.fetch({}).items] == ["post-1"]


def test_missing_feed_raises_permanent_error(server, http):
    with pytest.raises(PermanentError):
        connector(server, http, "/gone.xml").fetch({})


def test_redirect_is_not_followed_and_names_the_new_location(server, http):
    server.set_document("/feed.xml", rss_document([entry(1)]))
    server.fail_next(301, headers={"Location": "https://elsewhere.example/feed"})

    with pytest.raises(PermanentError, match=r"elsewhere\.example"):
        connector(server, http).fetch({})


def test_unreachable_feed_raises_transient_error(http):
    config = AccountConfig(platform="rss", handle="feed", options={"feed_url": "http://127.0.0.1:9/feed"})

    with pytest.raises(TransientError):
        RssConnector(config, http=http).fetch({})


def test_check_returns_the_feed_title(server, http):
    server.set_document("/feed.xml", rss_document([entry(1)], title="Kopi Nusantara Blog"))

    assert connector(server, http).check() == "Kopi Nusantara Blog"


def test_check_refuses_a_page_that_is_not_a_feed(server, http):
    server.set_document(
        "/feed.xml", "<html><body><p>Welcome to our shop</p></body></html>", content_type="text/html"
    )

    with pytest.raises(PermanentError, match="not an RSS or Atom feed"):
        connector(server, http).check()


def test_feed_url_falls_back_to_the_account_base_url(server, http):
    server.set_document("/feed.xml", rss_document([entry(1)]))
    config = AccountConfig(platform="rss", handle="feed", base_url=server.url("/feed.xml"))

    assert len(RssConnector(config, http=http).fetch({}).items) == 1


def test_account_without_feed_url_is_refused():
    with pytest.raises(PermanentError, match="feed_url"):
        RssConnector(AccountConfig(platform="rss", handle="feed", options={"feed_url": "feed.xml"}))


def test_feed_cannot_be_published_or_replied_to(server, http):
    rss = connector(server, http)
    outgoing = Outgoing(text="hello", idempotency_key="k1")

    with pytest.raises(NotSupported):
        rss.publish(outgoing)
    with pytest.raises(NotSupported):
        rss.reply(outgoing)
    assert rss.limits() == Limits(0, 0, can_publish=False, can_reply=False)


def test_html_to_text_keeps_paragraphs_and_drops_markup():
    assert html_to_text("<h1>Title</h1><ul><li>one</li><li>two &lt;3</li></ul><style>p{}</style>") == (
        "Title\n\none\n\ntwo <3"
    )
