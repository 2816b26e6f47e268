"""POST /api/v1/mentions/ and GET /api/v1/mentions/: the contract, dedup, per-item errors, filters."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cxm.tenancy.models import Role
from listening.models import Mention
from listening.partitions import partitions
from tests.listening.conftest import daily_total, item


def _count(workspace):
    return Mention.objects.filter(workspace_id=workspace.pk).count()


@pytest.mark.django_db
def test_a_batch_is_accepted_and_answered_in_the_documented_shape(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    response = client.post("/api/v1/mentions/", {"items": [item(1), item(2)]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "errors": []}
    assert _count(workspace_a) == 2


@pytest.mark.django_db
def test_a_redelivered_batch_changes_nothing(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    batch = {"items": [item(n) for n in range(5)]}
    client.post("/api/v1/mentions/", batch, format="json")
    again = client.post("/api/v1/mentions/", batch, format="json").json()
    assert again == {"accepted": 0, "duplicates": 5, "errors": []}
    assert _count(workspace_a) == 5
    assert daily_total(workspace_a) == 5


@pytest.mark.django_db
def test_the_same_item_twice_in_one_batch_is_stored_once(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    body = client.post("/api/v1/mentions/", {"items": [item(1), item(1)]}, format="json").json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)


@pytest.mark.django_db
def test_bad_items_are_reported_by_index_and_field_and_the_rest_kept(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    items = [
        item(1),
        item(2, text=""),
        item(3, created_at="last tuesday"),
        item(4, author={"name": "no handle"}),
        item(5, created_at="2026-11-20T10:00:00"),
        item(6, brand=999999),
        "not an object",
        item(7),
    ]
    body = client.post("/api/v1/mentions/", {"items": items}, format="json").json()
    assert body["accepted"] == 2
    assert {(e["index"], e["field"]) for e in body["errors"]} == {
        (1, "text"),
        (2, "created_at"),
        (3, "author.handle"),
        (4, "created_at"),
        (5, "brand"),
        (6, "item"),
    }
    assert all(e["message"] for e in body["errors"])
    assert _count(workspace_a) == 2


@pytest.mark.django_db
def test_more_than_a_thousand_items_is_refused(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    response = client.post("/api/v1/mentions/", {"items": [item(n) for n in range(1001)]}, format="json")
    assert response.status_code == 400
    assert "items" in response.json()["fields"]
    assert _count(workspace_a) == 0


@pytest.mark.django_db
def test_agents_and_marketers_cannot_ingest(api, workspace_a, member):
    for role in (Role.AGENT, Role.MARKETER, Role.APPROVER, Role.LEADER):
        assert (
            api(member(workspace_a, role))
            .post("/api/v1/mentions/", {"items": [item(1)]}, format="json")
            .status_code
            == 403
        )


@pytest.mark.django_db
def test_search_answers_the_documented_fields_with_enrichment(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    client.post(
        "/api/v1/mentions/",
        {
            "items": [
                item(1, text="Kopi Nusantara enak banget, pelayanannya ramah sekali!"),
                item(2, text="The delivery was late again and the coffee arrived cold. Terrible service."),
            ]
        },
        format="json",
    )
    body = client.get("/api/v1/mentions/").json()
    assert set(body) >= {"results", "next", "facets"}
    first = body["results"][0]
    for key in (
        "id",
        "platform",
        "external_id",
        "text",
        "language",
        "sentiment",
        "author",
        "created_at",
        "topics",
        "answered",
    ):
        assert key in first
    by_id = {r["external_id"]: r for r in body["results"]}
    assert by_id["1001"]["language"] == "id"
    assert by_id["1001"]["sentiment"]["label"] == "positive"
    assert by_id["1002"]["language"] == "en"
    assert by_id["1002"]["sentiment"]["label"] == "negative"
    assert -1 <= by_id["1002"]["sentiment"]["score"] < 0
    assert by_id["1001"]["author"]["handle"] == "@ana@example.social"


@pytest.mark.django_db
def test_filters_query_and_facets(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    client.post(
        "/api/v1/mentions/",
        {
            "items": [
                item(1, text="Kopi Nusantara enak banget, mantap!", language="id"),
                item(2, text="Pengiriman Kopi Nusantara lambat dan kopinya dingin, kecewa", language="id"),
                item(3, text="Love the new Teh Segar bottle", language="en", platform="bluesky"),
            ]
        },
        format="json",
    )

    def ids(**params):
        return sorted(r["external_id"] for r in client.get("/api/v1/mentions/", params).json()["results"])

    assert ids(language="id") == ["1001", "1002"]
    assert ids(language="id", sentiment="negative") == ["1002"]
    assert ids(q="kopi AND NOT lambat") == ["1001"]
    assert ids(q="platform:bluesky") == ["1003"]
    assert ids(q='"teh segar"') == ["1003"]
    facets = client.get("/api/v1/mentions/").json()["facets"]
    assert {f["value"]: f["count"] for f in facets["language"]} == {"id": 2, "en": 1}
    assert {f["value"]: f["count"] for f in facets["platform"]} == {"mastodon": 2, "bluesky": 1}
    text_facets = client.get("/api/v1/mentions/", {"q": "kopi"}).json()["facets"]
    assert {f["value"]: f["count"] for f in text_facets["sentiment"]} == {"positive": 1, "negative": 1}


@pytest.mark.django_db
def test_a_bad_query_points_at_the_position(api, workspace_a, member):
    response = api(member(workspace_a, Role.ANALYST)).get("/api/v1/mentions/", {"q": "kopi AND (teh"})
    assert response.status_code == 400
    assert "character" in response.json()["fields"]["q"][0]


@pytest.mark.django_db
def test_keyset_pages_cover_everything_once(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    client.post(
        "/api/v1/mentions/",
        {"items": [item(n, created_at=f"2026-11-{10 + n % 10:02d}T10:{n:02d}:00Z") for n in range(30)]},
        format="json",
    )
    seen, url = [], "/api/v1/mentions/?page_size=7"
    while url:
        body = client.get(url).json()
        seen += [r["external_id"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == 30 == len(set(seen))
    times = [r["created_at"] for r in client.get("/api/v1/mentions/?page_size=30").json()["results"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.django_db
def test_another_workspace_never_sees_the_mentions(api, workspace_a, workspace_b, member):
    api(member(workspace_a, Role.ANALYST)).post(
        "/api/v1/mentions/", {"items": [item(1, text="secret launch plan")]}, format="json"
    )
    mention_id = Mention.objects.get(workspace_id=workspace_a.pk).pk
    other = api(member(workspace_b, Role.ADMIN))
    assert other.get("/api/v1/mentions/").json()["results"] == []
    assert other.get("/api/v1/mentions/", {"q": "secret"}).json()["results"] == []
    assert other.get(f"/api/v1/mentions/{mention_id}/").status_code == 404
    # and the same external id in workspace B is B's own mention, not a duplicate
    body = other.post("/api/v1/mentions/", {"items": [item(1)]}, format="json").json()
    assert body["accepted"] == 1


@pytest.mark.django_db
def test_mentions_land_in_monthly_partitions(api, workspace_a, member):
    api(member(workspace_a, Role.ANALYST)).post(
        "/api/v1/mentions/",
        {"items": [item(1, created_at="2026-09-03T10:00:00Z"), item(2, created_at="2026-11-20T10:00:00Z")]},
        format="json",
    )
    names = partitions()
    assert "listening_mention_y2026m09" in names and "listening_mention_y2026m11" in names
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM listening_mention_y2026m09 WHERE workspace_id = %s", [workspace_a.pk]
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_redelivery_stores_each_mention_once(workspace_a):
    from listening.services import mentions_ingest_payload

    batch = [item(n) for n in range(50)]
    results = []

    def deliver():
        try:
            results.append(mentions_ingest_payload(workspace_id=workspace_a.pk, items=batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.accepted for r in results) == 50
    assert sum(r.duplicates for r in results) == 150
    assert _count(workspace_a) == 50
    assert daily_total(workspace_a) == 50


@pytest.mark.django_db
def test_export_streams_every_match_as_csv(client, workspace_a, member):
    membership = member(workspace_a, Role.ANALYST)
    from listening.services import mentions_ingest_payload

    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(2500)][:1000])
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(1000, 2500)][:1000])
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(2000, 2500)])
    client.force_login(membership.user)
    response = client.get("/listening/export.csv")
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,created_at,platform")
    assert len(lines) == 2501


def test_odd_dates_in_the_search_get_a_clear_error_or_are_read_in_utc(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    far_offset = client.get("/api/v1/mentions/", {"since": "2026-11-01T10:00:00+20:00"})
    assert far_offset.status_code == 200
    for bad in ("2026-13-01", "2026-11-01T25:00:00", "yesterday"):
        answer = client.get("/api/v1/mentions/", {"since": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["fields"]["since"] == ["expected a date or ISO 8601 date-time"], bad


@pytest.mark.django_db
def test_items_postgresql_cannot_store_are_reported_and_the_rest_kept(api, workspace_a, member):
    client = api(member(workspace_a, Role.ANALYST))
    items = [
        item(1, text="nul \u0000 inside"),
        item(2, raw={"note": "\u0000"}),
        item(3, engagement="many"),
        item(4, engagement=2**40),
        item(5),
        item(6, author={"handle": "@ana", "name": "Ana\u0000"}),
        item(7, raw={"tags": [{"n\u0000": 1}]}),
    ]
    body = client.post("/api/v1/mentions/", {"items": items}, format="json").json()
    assert body["accepted"] == 1
    assert {(e["index"], e["field"]) for e in body["errors"]} == {
        (0, "text"),
        (1, "raw.note"),
        (2, "engagement"),
        (3, "engagement"),
        (5, "author.name"),
        (6, "raw.tags[0]"),
    }
    assert _count(workspace_a) == 1


@pytest.mark.django_db
def test_a_mention_page_holds_up_to_200_and_a_bad_page_size_is_named(api, workspace_a, member):
    from listening.services import mentions_ingest_payload

    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(230)])
    client = api(member(workspace_a, Role.ANALYST))
    assert len(client.get("/api/v1/mentions/").json()["results"]) == 25
    assert len(client.get("/api/v1/mentions/", {"page_size": 500}).json()["results"]) == 200
    for bad in ("0", "-3", "many"):
        answer = client.get("/api/v1/mentions/", {"page_size": bad})
        assert answer.status_code == 400, bad
        assert list(answer.json()["fields"]) == ["page_size"], bad
