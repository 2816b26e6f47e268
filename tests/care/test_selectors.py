"""Reads for the inbox UI: views with counts, keyset pages, the conversation, metrics, timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from care import selectors, services
from care.models import Case, CaseStatus, CsatResponse, Priority
from cxm.customers.selectors import customer_timeline
from tests.care.conftest import T0, dm, later, make_account, receive

pytestmark = pytest.mark.django_db


def ids(rows):
    return [row.pk for row in rows]


@pytest.fixture
def inbox(workspace_a, account, agent):
    """Five cases: two assigned to `me`, one urgent, one resolved, one breached."""
    me = agent(workspace_a, presence="offline")
    for n, author in enumerate(["ana", "budi", "citra", "dewi", "eka"]):
        receive(account, dm(f"m{n}", author=author, at=later(n)))
    ana, budi, citra, dewi, eka = Case.objects.order_by("id")
    for case in (ana, budi):
        services.case_assign(case=case, assignee=me)
    services.case_update(case=citra, priority=Priority.URGENT)
    services.case_resolve(case=dewi)
    Case.objects.filter(pk=eka.pk).update(first_response_due_at=timezone.now() - timedelta(minutes=5))
    return me, (ana, budi, citra, dewi, eka)


def test_views_pick_the_right_cases(workspace_a, inbox):
    me, (ana, budi, citra, dewi, eka) = inbox

    def view(name, **filters):
        return set(
            ids(
                selectors.inbox_cases(
                    workspace=workspace_a, user=me, filters=selectors.InboxFilters(view=name, **filters)
                )
            )
        )

    assert view("all") == {ana.pk, budi.pk, citra.pk, eka.pk}  # active only by default
    assert view("mine") == {ana.pk, budi.pk}
    assert view("unassigned") == {citra.pk, eka.pk}
    assert view("breached") == {eka.pk}
    assert view("all", priority="urgent") == {citra.pk}
    assert view("all", statuses=[CaseStatus.RESOLVED]) == {dewi.pk}
    assert view("all", statuses=[]) == {ana.pk, budi.pk, citra.pk, dewi.pk, eka.pk}


def test_about_to_breach_is_due_soon_but_not_yet_late(workspace_a, inbox):
    me, (ana, *_rest) = inbox
    Case.objects.filter(pk=ana.pk).update(first_response_due_at=timezone.now() + timedelta(minutes=20))
    rows = selectors.inbox_cases(
        workspace=workspace_a, user=me, filters=selectors.InboxFilters(view="at_risk")
    )
    assert ids(rows) == [ana.pk]


def test_counts_for_the_sidebar(workspace_a, inbox):
    me, _ = inbox
    counts = selectors.inbox_counts(workspace=workspace_a, user=me)
    assert counts["all"] == 4 and counts["mine"] == 2 and counts["unassigned"] == 2
    assert counts["breached"] == 1 and counts["at_risk"] == 0
    assert counts["by_priority"] == {"normal": 3, "urgent": 1}
    assert counts["by_platform"] == {"mastodon": 4}


def test_inbox_pages_follow_the_latest_activity(workspace_a, account):
    for n in range(7):
        receive(account, dm(f"m{n}", author=f"c{n}", at=later(n)))
    first = selectors.inbox_page(workspace=workspace_a, user=None, size=3)
    second = selectors.inbox_page(workspace=workspace_a, user=None, size=3, cursor=first.next_cursor)
    third = selectors.inbox_page(workspace=workspace_a, user=None, size=3, cursor=second.next_cursor)
    seen = [c.messages.get().external_id for page in (first, second, third) for c in page.items]
    assert seen == ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]
    assert third.next_cursor is None


def test_the_conversation_reads_newest_first_in_pages(workspace_a, account):
    for n in range(5):
        receive(account, dm(f"m{n}", at=later(n)))
    case = Case.objects.get()
    services.case_note(case=case, text="note")
    first = selectors.case_messages_page(workspace=workspace_a, case_id=case.pk, size=4)
    second = selectors.case_messages_page(
        workspace=workspace_a, case_id=case.pk, size=4, cursor=first.next_cursor
    )
    texts = [m.external_id or m.text for m in first.items + second.items]
    assert texts == ["note", "m4", "m3", "m2", "m1", "m0"]


def test_another_workspace_sees_nothing(workspace_a, workspace_b, inbox):
    me, (ana, *_rest) = inbox
    assert selectors.case_get(workspace=workspace_b, case_id=ana.pk) is None
    assert not selectors.inbox_cases(workspace=workspace_b, user=me).exists()
    assert not selectors.case_messages(workspace=workspace_b, case_id=ana.pk).exists()


def test_metrics(workspace_a, account):
    for n, author in enumerate(["ana", "budi", "citra", "dewi"]):
        receive(account, dm(f"m{n}", author=author))
    ana, budi, citra, dewi = Case.objects.order_by("id")
    # ana answered after 10 min and resolved after 60; budi answered after 30; citra and dewi waiting
    for case, answered, resolved in ((ana, 10, 60), (budi, 30, None)):
        Case.objects.filter(pk=case.pk).update(
            created_at=T0,
            first_responded_at=T0 + timedelta(minutes=answered),
            resolved_at=T0 + timedelta(minutes=resolved) if resolved else None,
            status=CaseStatus.RESOLVED if resolved else CaseStatus.OPEN,
        )
    Case.objects.filter(pk__in=[citra.pk, dewi.pk]).update(created_at=T0)
    services.csat_record(case=ana, score=5)
    services.csat_record(case=budi, score=2)
    CsatResponse.objects.update(created_at=T0 + timedelta(hours=2))
    metrics = selectors.care_metrics(
        workspace=workspace_a, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)
    )
    assert metrics["cases"] == 4
    assert metrics["first_response_seconds"] == {"mean": 1200.0, "median": 1200.0, "count": 2}
    assert metrics["resolution_seconds"] == {"mean": 3600.0, "median": 3600.0, "count": 1}
    assert metrics["answered_share"] == 0.5
    assert metrics["backlog"]["total"] == 3
    assert metrics["csat"]["average"] == 3.5 and metrics["csat"]["satisfied_share"] == 0.5


def test_the_customer_timeline_shows_cases_messages_and_csat(workspace_a, account):
    receive(account, dm("m1", author="ana", at=later(1)))
    case = Case.objects.get()
    services.case_reply(case=case, text="On it")
    services.case_note(case=case, text="internal only")
    services.csat_record(case=case, score=4)
    entries = customer_timeline(workspace=workspace_a, profile_id=case.customer_id)
    kinds = [entry.kind for entry in entries]
    assert sorted(kinds) == ["case", "csat", "message", "message"]
    assert all("internal only" not in entry.text for entry in entries)
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)


def test_the_timeline_of_a_merged_customer_includes_the_merged_profile(workspace_a):
    from cxm.customers.services import customer_merge

    mastodon = make_account(workspace_a)
    mail = make_account(workspace_a, platform="email", handle="care@brand.example")
    receive(mastodon, dm("m1", author="ana"))
    from cxm.channels.connectors.base import ItemKind

    receive(mail, dm("<e1@mail.example>", author="ana.s", kind=ItemKind.EMAIL, platform="email"))
    social, email = Case.objects.order_by("id")
    customer_merge(workspace=workspace_a, source=email.customer, target=social.customer)
    entries = customer_timeline(workspace=workspace_a, profile_id=social.customer_id)
    assert {entry.ref["case_id"] for entry in entries} == {social.pk, email.pk}
