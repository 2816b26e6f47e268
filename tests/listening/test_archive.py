"""`manage.py listening_archive`: old months leave as gzip CSV files and their partitions go;
the current month, the roll-ups, the dedupe keys and the Explorer stay."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cxm.audit.models import AuditEntry
from listening import partitions
from listening.models import Mention
from listening.partitions import current_month, partition_name
from listening.selectors import ExplorerFilters, mentions_search
from listening.services import mentions_ingest_payload
from tests.listening.conftest import item

THIS_MONTH = current_month()
OLD_MONTH = (THIS_MONTH - timedelta(days=75)).replace(day=1)
OLD_DAY = OLD_MONTH.replace(day=10)


def _old(n, workspace_text="Kopi Nusantara was great"):
    return item(n, text=f"{workspace_text} back then, cup {n}", created_at=f"{OLD_DAY}T09:00:00Z")


def _now(n):
    moment = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return item(n, text=f"Kopi Nusantara is great today, cup {n}", created_at=moment)


@pytest.fixture
def history(workspace_a, workspace_b):
    """Five old and three current mentions in workspace A, two old ones in workspace B."""
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[_old(n) for n in range(5)])
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[_now(n) for n in range(100, 103)])
    mentions_ingest_payload(workspace_id=workspace_b.pk, items=[_old(n) for n in range(200, 202)])
    assert partition_name(OLD_MONTH) in partitions.partitions()


def _archive(tmp_path, *extra) -> str:
    out = io.StringIO()
    call_command(
        "listening_archive",
        "--before",
        f"{THIS_MONTH:%Y-%m}",
        "--export-dir",
        str(tmp_path),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def _rows(path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


def _daily(workspace, day) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(mentions), 0) FROM listening_mention_daily "
            "WHERE workspace_id = %s AND day = %s AND topic_id = 0",
            [workspace.pk, day],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_archiving_with_drop_exports_the_old_month_and_drops_its_partition(
    tmp_path, history, workspace_a, workspace_b
):
    output = _archive(tmp_path, "--drop")

    path = tmp_path / f"listening_mentions_{OLD_MONTH:%Y-%m}.csv.gz"
    assert f"{OLD_MONTH:%Y-%m}: 7 rows exported to {path}; dropped {partition_name(OLD_MONTH)}" in output
    rows = _rows(path)
    assert len(rows) == 7
    assert {row["external_id"] for row in rows} == {str(1000 + n) for n in [*range(5), 200, 201]}
    assert {row["workspace_id"] for row in rows} == {str(workspace_a.pk), str(workspace_b.pk)}
    assert rows[0]["text"].startswith("Kopi Nusantara was great back then")
    assert "search_vector" not in rows[0]  # generated: rebuilt when the file is loaded back

    assert partition_name(OLD_MONTH) not in partitions.partitions()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partition_name(OLD_MONTH)])
        assert cursor.fetchone()[0] is None
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'listening_mention_archiving_%%'")
        assert cursor.fetchone()[0] == 0
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == 3
    assert Mention.objects.filter(workspace_id=workspace_b.pk).count() == 0


@pytest.mark.django_db
def test_the_explorer_searches_what_is_left(tmp_path, history, workspace_a, api, member):
    _archive(tmp_path, "--drop")

    page = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="kopi"))
    assert sorted(row["external_id"] for row in page.results) == ["1100", "1101", "1102"]
    response = api(member(workspace_a)).get("/api/v1/mentions/", {"q": "great"})
    assert response.status_code == 200 and len(response.json()["results"]) == 3


@pytest.mark.django_db
def test_roll_ups_and_dedupe_keys_outlive_the_archived_month(tmp_path, history, workspace_a):
    _archive(tmp_path, "--drop")

    assert _daily(workspace_a, OLD_DAY) == 5  # dashboards keep their history
    again = mentions_ingest_payload(workspace_id=workspace_a.pk, items=[_old(n) for n in range(5)])
    assert (again.accepted, again.duplicates) == (0, 5)  # an archived item does not come back
    assert not Mention.objects.filter(created_at__date=OLD_DAY).exists()


@pytest.mark.django_db
def test_a_month_emptied_by_archiving_and_recreated_is_dropped_without_a_file(tmp_path, history, workspace_a):
    _archive(tmp_path, "--drop")
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[_old(0)])  # a duplicate re-creates the month
    assert partition_name(OLD_MONTH) in partitions.partitions()

    output = _archive(tmp_path, "--drop")

    assert f"{OLD_MONTH:%Y-%m}: no rows, no file; dropped {partition_name(OLD_MONTH)}" in output
    assert partition_name(OLD_MONTH) not in partitions.partitions()
    assert [p.name for p in tmp_path.iterdir()] == [f"listening_mentions_{OLD_MONTH:%Y-%m}.csv.gz"]


@pytest.mark.django_db
def test_a_new_item_for_an_archived_month_gets_a_fresh_partition_even_in_a_stale_process(
    tmp_path, history, workspace_a
):
    _archive(tmp_path, "--drop")
    partitions._known.add(partition_name(OLD_MONTH))  # as another worker might still remember it

    late = mentions_ingest_payload(workspace_id=workspace_a.pk, items=[_old(50)])

    assert late.accepted == 1
    assert partition_name(OLD_MONTH) in partitions.partitions()


@pytest.mark.django_db
def test_without_drop_it_only_exports_and_says_what_it_would_drop(tmp_path, history, workspace_a):
    output = _archive(tmp_path)

    assert f"kept {partition_name(OLD_MONTH)} (would be dropped with --drop)" in output
    assert "nothing dropped" in output
    assert len(_rows(tmp_path / f"listening_mentions_{OLD_MONTH:%Y-%m}.csv.gz")) == 7
    assert partition_name(OLD_MONTH) in partitions.partitions()
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == 8

    _archive(tmp_path)  # a second export never overwrites the first
    assert (tmp_path / f"listening_mentions_{OLD_MONTH:%Y-%m}-2.csv.gz").exists()


@pytest.mark.django_db
def test_archiving_is_audited_for_the_platform_and_each_workspace(
    tmp_path, history, workspace_a, workspace_b
):
    _archive(tmp_path, "--drop")

    entries = AuditEntry.objects.filter(action="listening.mentions_archive")
    platform = entries.get(workspace=None)
    assert platform.after["rows"] == 7 and platform.after["month"] == f"{OLD_MONTH:%Y-%m}"
    assert platform.after["dropped"] is True and platform.after["file"].endswith(".csv.gz")
    assert entries.get(workspace=workspace_a).after["rows"] == 5
    assert entries.get(workspace=workspace_b).after["rows"] == 2


@pytest.mark.django_db
def test_the_current_month_cannot_be_archived(tmp_path):
    next_month = (THIS_MONTH + timedelta(days=32)).replace(day=1)
    with pytest.raises(CommandError, match="Only months before the current one"):
        call_command("listening_archive", "--before", f"{next_month:%Y-%m}", "--export-dir", str(tmp_path))
    with pytest.raises(CommandError, match="expected YYYY-MM"):
        call_command("listening_archive", "--before", "last-year", "--export-dir", str(tmp_path))


@pytest.mark.django_db
def test_nothing_to_archive_is_said_plainly(tmp_path):
    assert "nothing to do" in _archive(tmp_path, "--drop")


@pytest.mark.django_db
def test_an_archive_file_loads_back_into_a_recreated_month(tmp_path, history, workspace_a):
    _archive(tmp_path, "--drop")
    path = tmp_path / f"listening_mentions_{OLD_MONTH:%Y-%m}.csv.gz"
    with gzip.open(path, "rb") as handle:
        columns = handle.readline().decode().strip()

    with connection.cursor() as wrapper, gzip.open(path, "rb") as handle:
        partitions.ensure_partitions([datetime.combine(OLD_DAY, datetime.min.time(), UTC)])
        sql = f"COPY listening_mention ({columns}) FROM STDIN WITH (FORMAT csv, HEADER)"
        with wrapper.cursor.copy(sql) as copy:
            while block := handle.read(65536):
                copy.write(block)

    page = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="back then"))
    assert len(page.results) == 5
