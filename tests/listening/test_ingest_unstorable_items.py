"""POST /api/v1/mentions/: an item PostgreSQL cannot store is refused alone, by index and field,
and its good neighbours are stored."""

from __future__ import annotations

import json

import pytest

from cxm.tenancy.models import Role
from listening.models import Mention
from tests.listening.conftest import item

HUGE = "<a number too large for a double>"


def post_batch(client, items):
    """The body as JSON text with \\u escapes, as a client would send it: the test client's own
    encoder cannot write a lone surrogate as UTF-8 (nor Python's a number beyond a double)."""
    body = json.dumps({"items": items}).replace(json.dumps(HUGE), "1e400")
    return client.generic("POST", "/api/v1/mentions/", body, content_type="application/json")


def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth - 1):
        value = {"next": value}
    return value


def stored_ids(workspace):
    return set(Mention.objects.filter(workspace_id=workspace.pk).values_list("external_id", flat=True))


@pytest.fixture
def analyst(api, workspace_a, member):
    return api(member(workspace_a, Role.ANALYST))


def assert_only_bad_refused(response, workspace, items, bad: dict[int, str]):
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted((e["index"], e["field"]) for e in body["errors"]) == sorted(bad.items())
    assert all(e["message"] for e in body["errors"])
    good = {items[i]["external_id"] for i in range(len(items)) if i not in bad}
    assert body["accepted"] == len(good)
    assert stored_ids(workspace) == good


@pytest.mark.django_db
def test_lone_surrogates_are_refused_item_by_item(analyst, workspace_a):
    items = [
        item(0),
        item(1, text="broken \ud800 half"),
        item(2, author={"handle": "@ana", "name": "Ana \udfff"}),
        item(3, author={"handle": "@\udc00ana"}),
        item(4, raw={"note": ["ok", "\ud83d"]}),
        item(5, raw={"\ud800key": 1}),
        item(6, url="https://example.social/\ud800"),
        item(7, text="a real emoji \U0001f600 is fine"),
    ]
    response = post_batch(analyst, items)
    assert_only_bad_refused(
        response,
        workspace_a,
        items,
        {1: "text", 2: "author.name", 3: "author.handle", 4: "raw.note[1]", 5: "raw", 6: "url"},
    )
    assert "surrogate" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_impossible_and_unstorable_dates_are_refused_item_by_item(analyst, workspace_a):
    items = [
        item(0),
        item(1, created_at="2026-13-01T10:00:00Z"),
        item(2, created_at="2026-02-30T10:00:00Z"),
        item(3, created_at="0001-01-01T00:00:00+07:00"),
        item(4, created_at="9999-12-31T23:59:59-05:00"),
        item(5, created_at="0001-01-01T00:00:00Z"),
        item(6, created_at="9999-12-31T23:59:59Z"),
        item(7, created_at="1969-12-31T23:59:59Z"),
        item(8, created_at="2100-01-01T00:00:00Z"),
        item(9, created_at="1970-01-01T00:00:00Z"),
        item(10, created_at="2099-12-31T23:59:59+00:00"),
    ]
    response = post_batch(analyst, items)
    assert_only_bad_refused(response, workspace_a, items, dict.fromkeys(range(1, 9), "created_at"))
    messages = {e["index"]: e["message"] for e in response.json()["errors"]}
    assert "1970" in messages[6] and "2099" in messages[6]


@pytest.mark.django_db
def test_numbers_beyond_their_column_are_refused_item_by_item(analyst, workspace_a):
    items = [
        item(0, engagement=2**31 - 1),
        item(1, engagement=2**31),
        item(2, engagement=2**63),
        item(3, engagement=-1),
        item(4, brand=2**70),
        item(5, raw={"views": HUGE}),
        item(6, raw={"count": 2**70}),
    ]
    response = post_batch(analyst, items)
    assert_only_bad_refused(
        response,
        workspace_a,
        items,
        {1: "engagement", 2: "engagement", 3: "engagement", 4: "brand", 5: "raw.views"},
    )


@pytest.mark.django_db
def test_raw_nested_deeper_than_the_limit_is_refused_item_by_item(analyst, workspace_a):
    items = [
        item(0, raw={"deep": nested(32)}),
        item(1, raw={"deep": nested(33)}),
        item(2, raw={"deep": nested(500)}),
        item(3, author={"handle": "@ana", "name": nested(3)}),
    ]
    response = post_batch(analyst, items)
    assert_only_bad_refused(response, workspace_a, items, {1: "raw", 2: "raw", 3: "author.name"})
    assert "32" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_null_characters_name_the_field_that_holds_them(analyst, workspace_a):
    items = [
        item(0, text="nul \u0000 inside"),
        item(1, raw={"tags": [{"n\u0000": 1}]}),
        item(2, author={"handle": "@ana", "name": "Ana\u0000"}),
        item(3),
    ]
    response = post_batch(analyst, items)
    assert_only_bad_refused(response, workspace_a, items, {0: "text", 1: "raw.tags[0]", 2: "author.name"})
    assert "U+0000" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_a_platform_item_that_cannot_be_stored_leaves_the_rest_of_its_page(workspace_a):
    from datetime import UTC, datetime

    from cxm.channels.connectors.base import Author, Item
    from cxm.channels.sinks import InboundContext
    from listening.services import listening_sink

    def platform_item(n, **overrides):
        fields = {
            "platform": "mastodon",
            "external_id": f"toot-{n}",
            "kind": "post",
            "text": f"Kopi Nusantara cup {n}",
            "created_at": datetime(2026, 11, 20, 10, tzinfo=UTC),
            "author": Author(platform_id=f"a{n}", handle=f"@a{n}", name="A"),
            "url": "",
            "raw": {},
        }
        return Item(**{**fields, **overrides})

    items = [
        platform_item(0),
        platform_item(1, text="half a pair \ud83d"),
        platform_item(2, raw={"engagement": 2**40}),
        platform_item(3, created_at=datetime(1, 1, 1, tzinfo=UTC)),
        platform_item(4, raw={"deep": nested(40)}),
        platform_item(5),
    ]
    listening_sink(InboundContext(workspace_id=workspace_a.pk, account_id=None, platform="mastodon"), items)
    assert stored_ids(workspace_a) == {"toot-0", "toot-5"}


@pytest.mark.django_db
def test_a_time_whose_utc_month_differs_from_its_local_month_is_stored(analyst, workspace_a):
    items = [item(0, created_at="2031-01-01T03:00:00+07:00"), item(1, created_at="2031-02-28T22:00:00-05:00")]
    response = post_batch(analyst, items)
    assert_only_bad_refused(response, workspace_a, items, {})
    assert {m.created_at.isoformat() for m in Mention.objects.filter(workspace_id=workspace_a.pk)} == {
        "2030-12-31T20:00:00+00:00",
        "2031-03-01T03:00:00+00:00",
    }


@pytest.mark.django_db
def test_a_body_nested_too_deep_to_read_is_refused_whole_naming_the_limit(analyst, workspace_a):
    body = '{"items": [{"raw": ' + "[" * 3000 + "]" * 3000 + "}]}"
    response = analyst.generic("POST", "/api/v1/mentions/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["Nested deeper than 32 levels."]}
    assert not Mention.objects.filter(workspace_id=workspace_a.pk).exists()
