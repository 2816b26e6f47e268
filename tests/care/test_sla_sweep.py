"""The SLA sweep marks breaches and fires near-breach rules once, from the priority's policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from care import services
from care.models import Case, Notification, Priority, RuleEvent
from care.services.intake import inbound_from_item
from tests.care.conftest import context_for, dm, receive

pytestmark = pytest.mark.django_db

OFFICE = {day: [["09:00", "17:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]}


def test_a_new_case_gets_due_times_in_business_hours(workspace_a, account):
    services.sla_policy_save(
        workspace=workspace_a,
        priority=Priority.NORMAL,
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        time_zone="Asia/Jakarta",
        schedule=OFFICE,
    )
    # Friday 2026-11-27 16:30 in Jakarta (09:30 UTC)
    friday = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    services.messages_receive(
        workspace_id=workspace_a.pk,
        inbound=[inbound_from_item(context_for(account), dm("m1"))],
        now=friday,
    )
    case = Case.objects.get()
    # 30 min on Friday, 30 from Monday 09:00 WIB (02:00 UTC)
    assert case.first_response_due_at == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    assert case.first_response_warn_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    # 8 h: 30 min Friday + 7 h 30 Monday -> Monday 16:30 WIB
    assert case.resolution_due_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_without_a_policy_there_is_no_clock(workspace_a, account):
    receive(account, dm("m1"))
    case = Case.objects.get()
    assert case.first_response_due_at is None and case.resolution_due_at is None


def test_raising_the_priority_recomputes_the_clocks(workspace_a, account):
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=240, resolution_minutes=2880
    )
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=240
    )
    receive(account, dm("m1"))
    case = Case.objects.get()
    case = services.case_update(case=case, priority=Priority.URGENT)
    assert case.first_response_due_at == case.created_at + timedelta(minutes=15)
    assert case.resolution_due_at == case.created_at + timedelta(minutes=240)


def test_breaches_are_marked_once_and_the_assignee_is_told(workspace_a, account, agent):
    user = agent(workspace_a)
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=30, resolution_minutes=600
    )
    receive(account, dm("m1"))
    case = Case.objects.get()
    services.case_assign(case=case, assignee=user)
    after = case.first_response_due_at + timedelta(seconds=1)
    result = services.sla_scan(now=after)
    assert result.breached == [(case.pk, "first_response")]
    assert services.sla_scan(now=after).breached == []
    case.refresh_from_db()
    assert case.first_response_breached_at == after
    assert Notification.objects.filter(user=user, kind="sla").count() == 1


def test_near_breach_fires_rules_once(workspace_a, account):
    services.sla_policy_save(
        workspace=workspace_a,
        priority=Priority.NORMAL,
        first_response_minutes=60,
        resolution_minutes=600,
        warn_before_minutes=15,
    )
    services.rule_save(
        workspace=workspace_a,
        name="Escalate",
        event=RuleEvent.SLA_NEAR_BREACH,
        conditions=[{"field": "sla_clock", "op": "is", "value": "first_response"}],
        actions=[{"type": "set_priority", "priority": "high"}, {"type": "tag", "tag": "escalated"}],
    )
    receive(account, dm("m1"))
    case = Case.objects.get()
    warn = case.first_response_due_at - timedelta(minutes=15)
    assert services.sla_scan(now=warn - timedelta(seconds=1)).warned == []
    assert services.sla_scan(now=warn).warned == [(case.pk, "first_response")]
    assert services.sla_scan(now=warn + timedelta(minutes=1)).warned == []
    case.refresh_from_db()
    assert case.priority == Priority.HIGH and case.tags == ["escalated"]
    assert case.events.filter(kind="rule").count() == 1


def test_an_answered_case_does_not_breach_first_response(workspace_a, account):
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=30, resolution_minutes=600
    )
    receive(account, dm("m1"))
    case = Case.objects.get()
    services.case_reply(case=case, text="Looking into it")
    assert services.sla_scan(now=timezone.now() + timedelta(hours=2)).breached == []


def test_a_resolved_case_stops_both_clocks(workspace_a, account):
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=30, resolution_minutes=60
    )
    receive(account, dm("m1"))
    services.case_resolve(case=Case.objects.get())
    result = services.sla_scan(now=timezone.now() + timedelta(days=1))
    assert result.breached == [] and result.warned == []
