"""Explorer search, the dashboard and ingest keep every statement to one workspace: each tenant
table in a statement is tied to the workspace being served (tests/workspace_sql.py states the
rule), so Citus routes each statement to the one node holding that workspace."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxm.tenancy.models import Role
from listening.services import mentions_ingest_payload, topic_create
from tests.factories import BrandFactory
from tests.listening.conftest import item
from tests.workspace_sql import problems, verdicts

pytestmark = pytest.mark.django_db

WINDOW = {"since": "2026-11-01", "until": "2026-12-01"}


def _ingest(workspace, brand, start: int, count: int):
    items = [
        item(
            n,
            text=f"Kopi Nusantara {'terlalu mahal' if n % 2 else 'is great'}, cup {n}",
            author={"handle": f"@author{n % 3}@example.social", "name": f"Author {n % 3}"},
            language="id" if n % 2 else "en",
            brand=brand.pk,
            created_at=f"2026-11-20T10:{n:02d}:00Z",
        )
        for n in range(start, start + count)
    ]
    return mentions_ingest_payload(workspace_id=workspace.pk, items=items)


@pytest.fixture
def brand(workspace_a):
    kopi = BrandFactory(workspace=workspace_a, name="Kopi Nusantara")
    topic_create(workspace=workspace_a, name="Price", query="mahal", brand=kopi, backfill=False)
    topic_create(workspace=workspace_a, name="Praise", query="great", backfill=False)
    _ingest(workspace_a, kopi, 0, 6)
    return kopi


@pytest.fixture
def analyst(client, workspace_a, member):
    membership = member(workspace_a, Role.ANALYST)
    client.force_login(membership.user)
    return membership


def _captured(run) -> list:
    with CaptureQueriesContext(connection) as captured:
        run()
    found = verdicts(captured)
    assert found, "nothing read a tenant table"
    return found


@pytest.mark.parametrize(
    "params",
    [WINDOW, {**WINDOW, "q": "mahal"}, {**WINDOW, "q": "kopi", "sentiment": "negative"}],
    ids=["recent", "search", "search-filtered"],
)
def test_explorer_search_reads_one_workspace_on_one_node(client, analyst, brand, params):
    client.get("/listening/", params)  # caches filled, as after a session's first request
    found = _captured(lambda: client.get("/listening/", params))
    assert problems(found) == "", problems(found)


def test_the_dashboard_reads_one_workspace_on_one_node(client, analyst, brand):
    client.get("/listening/dashboard/", WINDOW)
    found = _captured(lambda: client.get("/listening/dashboard/", WINDOW))
    assert problems(found) == "", problems(found)


def test_ingest_writes_one_workspace_on_one_node(workspace_a, brand):
    found = _captured(lambda: _ingest(workspace_a, brand, 6, 4))
    assert problems(found) == "", problems(found)
