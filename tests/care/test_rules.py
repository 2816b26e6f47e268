"""Automation rules: conditions on the case and its message, actions on the case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care import services
from care.models import Case, DeliveryStatus, Direction, Notification, Priority, RuleEvent
from cxm.customers.services import customer_update
from tests.care.conftest import dm, later, receive

pytestmark = pytest.mark.django_db


def rule(workspace, event=RuleEvent.CASE_CREATED, conditions=(), actions=(), **extra):
    return services.rule_save(
        workspace=workspace,
        name="rule",
        event=event,
        conditions=list(conditions),
        actions=list(actions),
        **extra,
    )


def test_a_refund_question_in_indonesian_goes_to_the_refunds_queue_with_high_priority(workspace_a, account):
    general = services.queue_save(workspace=workspace_a, name="General", position=0)
    refunds = services.queue_save(workspace=workspace_a, name="Refunds", position=1)
    rule(
        workspace_a,
        conditions=[
            {"field": "language", "op": "is", "value": "id"},
            {"field": "text", "op": "contains", "value": ["refund", "uang kembali"]},
        ],
        actions=[
            {"type": "assign_queue", "queue": refunds.pk},
            {"type": "set_priority", "priority": "high"},
            {"type": "tag", "tag": "Refund"},
        ],
    )
    receive(account, dm("m1", author="ana", text="Saya mau uang kembali", language="id-ID"))
    receive(account, dm("m2", author="budi", text="I want my money back, refund please", language="id"))
    matched, other = Case.objects.order_by("id")
    assert matched.queue == refunds and matched.priority == Priority.HIGH and matched.tags == ["refund"]
    assert other.queue == general and other.priority == Priority.NORMAL
    assert matched.events.filter(kind="rule").count() == 1


def test_a_rule_can_answer_with_a_macro_in_the_customers_language(workspace_a, account):
    macro = services.macro_save(
        workspace=workspace_a,
        name="Thanks",
        bodies={
            "en": "Thanks {{customer.first_name}}, we are on it.",
            "id": "Terima kasih {{customer.first_name}}!",
        },
    )
    rule(workspace_a, actions=[{"type": "send_macro", "macro": macro.pk}])
    receive(account, dm("m1", author="ana", text="Halo, pesanan saya belum sampai"))
    reply = Case.objects.get().messages.get(direction=Direction.OUTBOUND)
    assert reply.text == "Terima kasih Ana!" and reply.status == DeliveryStatus.QUEUED


def test_message_received_rules_see_each_message(workspace_a, account, member):
    lead = member(workspace_a, "admin").user
    rule(
        workspace_a,
        event=RuleEvent.MESSAGE_RECEIVED,
        conditions=[{"field": "text", "op": "contains", "value": "lawyer"}],
        actions=[{"type": "notify", "user": lead.pk, "text": "Legal threat"}],
    )
    receive(account, dm("m1", text="Hello"))
    receive(account, dm("m2", text="I will call my lawyer", at=later(1)))
    (note,) = Notification.objects.filter(user=lead)
    assert note.text == "Legal threat"


def test_customer_attributes_can_be_conditions(workspace_a, account):
    receive(account, dm("m1", author="ana"))
    customer_update(profile=Case.objects.get().customer, attributes={"tier": "gold"})
    rule(
        workspace_a,
        event=RuleEvent.MESSAGE_RECEIVED,
        conditions=[{"field": "customer.tier", "op": "in", "value": ["gold", "platinum"]}],
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    receive(account, dm("m2", author="ana", at=later(1)))
    assert Case.objects.get().priority == Priority.URGENT


def test_status_changed_rules_run_on_a_change_by_hand(workspace_a, account):
    rule(
        workspace_a,
        event=RuleEvent.STATUS_CHANGED,
        conditions=[{"field": "status", "op": "is", "value": "resolved"}],
        actions=[{"type": "tag", "tag": "done"}],
    )
    receive(account, dm("m1"))
    case = services.case_resolve(case=Case.objects.get())
    assert case.tags == ["done"]


def test_an_action_that_cannot_run_is_recorded_and_the_rest_go_on(workspace_a, account, agent):
    full = agent(workspace_a, capacity=0)
    rule(workspace_a, actions=[{"type": "assign_agent", "user": full.pk}, {"type": "tag", "tag": "vip"}])
    receive(account, dm("m1"))
    case = Case.objects.get()
    assert case.assignee is None and case.tags == ["vip"]
    assert case.events.get(kind="rule_failed").data["action"] == "assign_agent"


def test_inactive_rules_do_nothing(workspace_a, account):
    rule(workspace_a, actions=[{"type": "tag", "tag": "x"}], is_active=False)
    receive(account, dm("m1"))
    assert Case.objects.get().tags == []


@pytest.mark.parametrize(
    ("conditions", "actions"),
    [
        ([{"field": "shoe_size", "op": "is", "value": 42}], [{"type": "tag", "tag": "x"}]),
        ([{"field": "text", "op": "resembles", "value": "x"}], [{"type": "tag", "tag": "x"}]),
        ([], []),
        ([], [{"type": "launch_rocket"}]),
        ([], [{"type": "assign_queue", "queue": 999999}]),
        ([], [{"type": "set_priority", "priority": "whenever"}]),
    ],
)
def test_invalid_rules_are_refused(workspace_a, conditions, actions):
    with pytest.raises(ValidationError):
        rule(workspace_a, conditions=conditions, actions=actions)


def test_a_macro_from_another_workspace_cannot_be_used(workspace_a, workspace_b):
    foreign = services.macro_save(workspace=workspace_b, name="Hi", bodies={"en": "Hi"})
    with pytest.raises(ValidationError):
        rule(workspace_a, actions=[{"type": "send_macro", "macro": foreign.pk}])
