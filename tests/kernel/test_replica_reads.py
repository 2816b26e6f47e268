"""Reads on a real streaming replica of the test server: the Explorer, the dashboard, care reports,
ads insights and exports read there (a row the replica has not replayed yet is not shown), a person's own write
shows at once (their reads go to the primary until it is replayed), a replica too far behind or
down is not read, nothing is written there, and its lag shows in /readyz and on the health page.

Replay is paused and resumed on the replica to hold it behind the primary on purpose."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.test import Client

from ads.services import insights_import_commit
from care import services as care_services
from cxm import replica as replica_module
from cxm.customers.models import CustomerProfile
from cxm.customers.services import AuthorKey, identities_resolve
from cxm.replica import REPLICA, read_alias
from cxm.tenancy.models import Role
from listening import services as listening_services
from listening.models import Topic
from tests.factories import UserFactory
from tests.listening.conftest import item
from tests.replica import StreamingReplica

LINKEDIN_REPORT = (
    "Start Date (in UTC),Campaign Group Name,Campaign Name,Campaign ID,Currency,Impressions,Clicks,"
    "Total Spent,Conversions\n"
    "11/20/2026,B2B,Kopi for offices,501,EUR,900,9,45.50,1\n"
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    """One replica for the whole test process, made once its test database exists."""
    from django.db import connection

    replica = StreamingReplica(connection.settings_dict).start()
    yield replica
    replica.stop()


@pytest.fixture(scope="module", autouse=True)
def replica_database(streaming_replica):
    """The replica as the `replica` database while this module's tests run (set before their
    database access is, so that they may use it). A mirror to the suite, so that no test flushes
    it: the primary's flush reaches it by replication."""
    connections.settings[REPLICA] = {**streaming_replica.database_settings(), "TEST": {"MIRROR": "default"}}
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(streaming_replica, settings):
    """The streaming replica for one test, caught up and replaying."""
    # However slow the machine, the replica stays readable for lag alone unless a test says so.
    settings.CXM_REPLICA_MAX_LAG_SECONDS = 3600
    replica_module._cache = replica_module._Cache()  # no "down" remembered from another test
    streaming_replica.resume()
    streaming_replica.wait_caught_up()
    yield streaming_replica
    streaming_replica.resume()
    connections[REPLICA].close()
    connections.settings[REPLICA].update(streaming_replica.database_settings())
    replica_module._cache = replica_module._Cache()


def _ingest(workspace, *items) -> None:
    """Mentions arriving from a connector: a write, but no person's."""
    result = listening_services.mentions_ingest_payload(workspace_id=workspace.pk, items=list(items))
    assert result.accepted == len(items)


def _found(client, **params) -> list[str]:
    return [row["external_id"] for row in client.get("/api/v1/mentions/", params).json()["results"]]


def test_the_explorer_reads_the_replica_and_shows_a_mention_once_it_is_replayed(
    replica, workspace_a, member, api
):
    client = api(member(workspace_a, Role.ANALYST))
    assert read_alias() == REPLICA
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)

    replica.pause()
    _ingest(workspace_a, item(1))
    assert _found(client) == []  # on the primary, not yet on the replica

    replica.resume()
    replica.wait_caught_up()
    assert _found(client) == ["1001"]


@pytest.mark.parametrize("path", ["dashboard", "export", "care report", "ads insights"])
def test_dashboards_exports_and_reports_read_the_replica(replica, workspace_a, member, api, path):
    client = api(member(workspace_a, Role.ADMIN))

    def figure():
        if path == "dashboard":
            volume = client.get("/api/v1/listening/dashboard/", {"since": "2026-11-01"}).json()["volume"]
            return sum(day["total"] for day in volume)
        if path == "export":
            lines = b"".join(client.get("/api/v1/mentions/export/").streaming_content).decode().splitlines()
            return len(lines) - 1
        if path == "ads insights":
            return len(client.get("/api/v1/ads/insights/summary/", {"group_by": "campaign"}).json()["rows"])
        return client.get("/api/v1/cases/metrics/").json()["backlog"]["total"]

    def write():
        if path == "ads insights":  # another platform's report, imported
            insights_import_commit(workspace=workspace_a, content=LINKEDIN_REPORT)
        elif path == "care report":
            author = AuthorKey("mastodon", "c-1", "@ana")
            resolved = identities_resolve(workspace_id=workspace_a.pk, authors=[author])[("mastodon", "c-1")]
            customer = CustomerProfile.objects.get(pk=resolved.profile_id)
            care_services.case_create(workspace=workspace_a, customer=customer, subject="Order")
        else:
            _ingest(workspace_a, item(1))

    replica.pause()
    write()
    assert figure() == 0
    replica.resume()
    replica.wait_caught_up()
    assert figure() == 1


def _topic_options(client) -> list[str]:
    page = client.get("/listening/").content.decode()
    return [name for name in ("Kopi",) if f">{name}</option>" in page]


def test_a_person_sees_their_own_change_at_once_and_others_once_it_is_replayed(replica, workspace_a, member):
    writer, reader = Client(), Client()
    writer.force_login(member(workspace_a, Role.ADMIN).user)
    reader.force_login(member(workspace_a, Role.ADMIN).user)

    replica.pause()
    response = writer.post("/listening/topics/", {"name": "Kopi", "query": "kopi"})
    assert response.status_code == 302
    assert _topic_options(writer) == ["Kopi"]  # the writer reads the primary
    assert _topic_options(reader) == []  # everyone else still reads the replica

    replica.resume()
    replica.wait_caught_up()
    assert _topic_options(reader) == ["Kopi"]
    assert _topic_options(writer) == ["Kopi"]


def test_replica_lag_shows_in_readyz_and_on_the_health_page(replica, workspace_a):
    owner = Client()
    owner.force_login(UserFactory(is_superuser=True))

    replica.pause()
    _ingest(workspace_a, item(1))
    behind = Client().get("/readyz").json()["replica"]
    assert behind["configured"] and behind["reachable"] and behind["serving_reads"]
    assert behind["lag_bytes"] > 0 and behind["lag_seconds"] > 0
    page = owner.get("/platform/health/").content.decode()
    assert "s behind the primary" in page and " bytes</dd>" in page
    assert "Yes: the Explorer, dashboards, reports and exports read here" in page

    replica.resume()
    replica.wait_caught_up()
    # The replica copies the whole server, where the suite's other process may be writing right
    # now: caught up means no WAL left, or the last replayed write is under a second old.
    deadline = time.monotonic() + 60
    while True:
        caught_up = Client().get("/readyz").json()["replica"]
        if caught_up["lag_bytes"] == 0 or caught_up["lag_seconds"] < 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert caught_up["lag_bytes"] == 0 or caught_up["lag_seconds"] < 1, caught_up
    assert (
        caught_up["serving_reads"]
        and "s behind the primary" in owner.get("/platform/health/").content.decode()
    )


def test_a_replica_too_far_behind_is_not_read(replica, workspace_a, member, api, settings):
    client = api(member(workspace_a, Role.ANALYST))
    replica.pause()
    _ingest(workspace_a, item(1))
    settings.CXM_REPLICA_MAX_LAG_SECONDS = 0

    assert read_alias() == "default"
    assert _found(client) == ["1001"]
    assert Client().get("/readyz").json()["replica"]["serving_reads"] is False


def test_a_replica_that_is_down_is_not_read_and_readyz_says_so(replica, workspace_a, member, api, tmp_path):
    client = api(member(workspace_a, Role.ANALYST))
    _ingest(workspace_a, item(1))
    connections[REPLICA].close()
    connections.settings[REPLICA]["HOST"] = str(tmp_path)  # no server there

    assert _found(client) == ["1001"]
    report = Client().get("/readyz").json()["replica"]
    assert report["reachable"] is False and report["serving_reads"] is False
    assert report["error"] == "replica unreachable: OperationalError"


def test_an_object_read_on_the_replica_is_saved_on_the_primary(replica, workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Kopi", query="kopi")
    replica.wait_caught_up()
    copy = Topic.objects.using(REPLICA).get(pk=topic.pk)
    copy.name = "Kopi susu"
    copy.save()
    assert Topic.objects.get(pk=topic.pk).name == "Kopi susu"
