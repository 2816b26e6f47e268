"""The calendar-driven paths at days where date arithmetic breaks: the end of a 31-day month
(into February), a leap day, the last minute of the year and its first minute. Each test stands
the clock at that moment (Python's clock: the paths below take their time from
`timezone.now()`, not from PostgreSQL's `now()`), so the suite passes on whatever day it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from care import services as care_services
from care.models import Case, Priority
from care.services.clocks import sla_scan
from cxm.tenancy.models import Role
from listening.partitions import current_month, partition_name, partitions
from listening.selectors import ExplorerFilters, mentions_search
from listening.services import mentions_archive, mentions_ingest_payload
from tests.care.conftest import dm, make_account, receive
from tests.listening.conftest import item

MOMENTS = {
    "31 January, into February": datetime(2027, 1, 31, 23, 30, tzinfo=UTC),
    "29 February 2028": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "31 December 23:59": datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    "1 January 00:00": datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
}


@pytest.fixture(params=list(MOMENTS.values()), ids=list(MOMENTS))
def now(request, time_machine) -> datetime:
    # Standing still: at 23:59 a ticking clock could cross into the next month mid-test.
    time_machine.move_to(request.param, tick=False)
    return request.param


def _previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_archiving_takes_last_month_and_keeps_this_one(now, workspace_a, tmp_path):
    this_month = now.date().replace(day=1)
    last_month = _previous_month(this_month)
    last_day_of_last_month = datetime.combine(this_month - timedelta(days=1), datetime.min.time(), UTC)
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            item(1, created_at=_stamp(now), text="Kopi Nusantara right now"),
            item(2, created_at=_stamp(last_day_of_last_month + timedelta(hours=12)), text="Kopi last month"),
        ],
    )
    assert current_month() == this_month

    archived = mentions_archive(before=current_month(), export_dir=tmp_path, drop=True)

    by_month = {entry.month: entry for entry in archived}
    assert by_month[last_month].rows_by_workspace == {workspace_a.pk: 1}
    assert this_month not in by_month
    assert partition_name(this_month) in partitions()
    assert (tmp_path / f"listening_mentions_{last_month:%Y-%m}.csv.gz").exists()
    page = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="kopi"))
    assert [row["external_id"] for row in page.results] == ["1001"]


@pytest.mark.django_db
def test_the_explorer_reaches_back_across_the_year(now, workspace_a):
    """The Explorer reads month by month, newest first; a year boundary must not end the walk."""
    moments = [now, now - timedelta(days=40), now - timedelta(days=400)]
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[item(n, created_at=_stamp(moment)) for n, moment in enumerate(moments)],
    )

    page = mentions_search(workspace=workspace_a, filters=ExplorerFilters(q="kopi"))

    assert [row["external_id"] for row in page.results] == ["1000", "1001", "1002"]


@pytest.mark.django_db
def test_the_calendar_opens_on_this_month_and_pages_to_its_neighbours(now, client, member, workspace_a):
    marketer = member(workspace_a, Role.MARKETER)
    marketer.user.time_zone = "UTC"
    marketer.user.save(update_fields=["time_zone"])
    client.force_login(marketer.user)
    this_month = now.date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)

    html = client.get("/publishing/").content.decode()

    assert f"{this_month:%B %Y}" in html
    assert f'data-drop-date="{now.date().isoformat()}"' in html
    assert f"date={_previous_month(this_month).isoformat()}" in html
    assert f"date={next_month.isoformat()}" in html


@pytest.mark.django_db
def test_an_sla_clock_started_now_runs_out_an_hour_later(now, workspace_a, time_machine):
    care_services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=240
    )
    receive(make_account(workspace_a), dm("m1", at=now))
    case = Case.objects.get()
    assert case.first_response_due_at == now + timedelta(minutes=60)

    time_machine.move_to(now + timedelta(minutes=59), tick=False)
    assert sla_scan().breached == []
    time_machine.move_to(now + timedelta(minutes=61), tick=False)
    assert sla_scan().breached == [(case.pk, "first_response")]
