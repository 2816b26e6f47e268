"""Facets of a text search count the newest matches only, looked for a month at a time from the
newest; the first page of results is the newest of those same matches."""

from __future__ import annotations

from collections import Counter

import pytest

from listening.selectors import ExplorerFilters, explorer, mentions_search
from listening.services import mentions_ingest_payload
from tests.listening.conftest import item

# Three months, newest last; every other mention says "kopi".
MOMENTS = [
    f"2026-{month:02d}-{day:02d}T10:{minute:02d}:00Z"
    for month in (8, 9, 10)
    for day in (3, 17)
    for minute in (0, 30)
]


@pytest.fixture
def history(workspace_a):
    items = []
    for n, moment in enumerate(MOMENTS):
        text = f"Kopi number {n} is great" if n % 2 == 0 else f"Tea number {n} is fine"
        items.append(item(n, text=text, created_at=moment, language="en" if n % 3 else "id"))
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=items)
    return items


def _newest_kopi(items, count):
    kopi = [(entry["created_at"], entry) for entry in items if entry["text"].startswith("Kopi")]
    return [entry for _, entry in sorted(kopi, key=lambda pair: pair[0], reverse=True)[:count]]


@pytest.mark.django_db
@pytest.mark.parametrize("sample", [1, 2, 3, 5, 100])
def test_facets_count_the_newest_matches_across_months(history, workspace_a, monkeypatch, sample):
    monkeypatch.setattr(explorer, "FACET_SAMPLE", sample)
    page = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="kopi"), limit=2)
    newest = _newest_kopi(history, sample + 1)
    languages = Counter(entry["language"] for entry in newest)
    assert {f["value"]: f["count"] for f in page.facets["language"]} == dict(languages)
    assert page.facets_sampled == (len(_newest_kopi(history, 100)) > sample)
    assert [r["external_id"] for r in page.results] == [e["external_id"] for e in _newest_kopi(history, 2)]
    assert page.next_cursor is not None


@pytest.mark.django_db
def test_the_first_page_and_the_next_agree_with_one_plain_search(history, workspace_a):
    first = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="kopi"), limit=4)
    rest = mentions_search(
        workspace=workspace_a,
        filters=ExplorerFilters(q="kopi"),
        limit=4,
        cursor=first.next_cursor,
        facets=False,
    )
    everything = mentions_search(
        workspace=workspace_a, filters=ExplorerFilters(q="kopi"), limit=50, facets=False
    )
    assert [r["id"] for r in first.results + rest.results] == [r["id"] for r in everything.results]


@pytest.mark.django_db
def test_until_and_since_bound_the_sample(history, workspace_a):
    filters = ExplorerFilters.from_params(
        {"q": "kopi", "since": "2026-09-01", "until": "2026-09-30T00:00:00Z"}
    )
    page = mentions_search(workspace=workspace_a, filters=filters)
    assert [r["created_at"].month for r in page.results] == [9, 9]
    assert sum(f["count"] for f in page.facets["language"]) == 2
