"""The Explorer (its page, its htmx partial and the mentions API) reads a page of mentions in a
fixed number of queries, whether it shows 3 mentions or 10."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from listening.services import mentions_ingest_payload, topic_create
from tests.factories import BrandFactory
from tests.listening.conftest import item
from tests.query_counts import queries_of

pytestmark = pytest.mark.django_db

AUTHORS = ["ana", "budi", "sari", "tono", "wati"]


def _mentions(workspace, brand, start: int, count: int) -> None:
    """Mentions by several authors, in two languages, of a brand, some matching a topic."""
    items = [
        item(
            n,
            text=f"Kopi Nusantara {'terlalu mahal' if n % 2 else 'is great'}, cup {n}",
            author={"handle": f"@{AUTHORS[n % 5]}@example.social", "name": AUTHORS[n % 5].title()},
            language="id" if n % 2 else "en",
            brand=brand.pk,
            created_at=f"2026-11-20T10:{n:02d}:00Z",
        )
        for n in range(start, start + count)
    ]
    assert mentions_ingest_payload(workspace_id=workspace.pk, items=items).accepted == count


@pytest.fixture
def analyst(workspace_a, member):
    return member(workspace_a, Role.ANALYST)


@pytest.fixture
def brand(workspace_a):
    """A brand with a topic of its own, and a topic across brands."""
    kopi = BrandFactory(workspace=workspace_a, name="Kopi Nusantara")
    topic_create(workspace=workspace_a, name="Price", query="mahal", brand=kopi, backfill=False)
    topic_create(workspace=workspace_a, name="Praise", query="great", backfill=False)
    return kopi


def _same_for_3_and_10(brand, get, django_assert_num_queries, rows) -> None:
    _mentions(brand.workspace, brand, 0, 3)
    get()  # per-workspace caches filled, as they are after the first request of a session
    with_3 = queries_of(get)
    assert rows(get()) == 3
    _mentions(brand.workspace, brand, 3, 7)
    with django_assert_num_queries(with_3):
        assert rows(get()) == 10


@pytest.mark.parametrize(
    "headers", [{}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "explorer-body"}], ids=["page", "htmx"]
)
def test_the_explorer_page_takes_the_same_queries_for_3_and_10_mentions(
    client, analyst, brand, django_assert_num_queries, headers
):
    client.force_login(analyst.user)
    _same_for_3_and_10(
        brand,
        lambda: client.get("/listening/", {"since": "2026-11-01", "until": "2026-12-01"}, **headers),
        django_assert_num_queries,
        lambda response: len(response.context["results"]),
    )


def test_the_mentions_api_takes_the_same_queries_for_3_and_10_mentions(
    api, analyst, brand, django_assert_num_queries
):
    client = api(analyst)
    _same_for_3_and_10(
        brand,
        lambda: client.get("/api/v1/mentions/", {"since": "2026-11-01", "until": "2026-12-01"}),
        django_assert_num_queries,
        lambda response: len(response.json()["results"]),
    )
