"""Working a case: the status machine, the guided workflow that gates resolving, tags, CSAT."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care import services
from care.models import CaseStatus, Macro

pytestmark = pytest.mark.django_db


def test_a_closed_case_cannot_be_reopened_by_hand(case):
    services.case_status_set(case=case, status=CaseStatus.CLOSED)
    with pytest.raises(ValidationError) as error:
        services.case_status_set(case=case, status=CaseStatus.OPEN)
    assert "status" in error.value.message_dict


def test_reopening_a_resolved_case_by_hand_counts_as_a_reopen(case):
    services.case_resolve(case=case)
    case = services.case_status_set(case=case, status=CaseStatus.OPEN)
    assert case.reopened and case.reopen_count == 1 and case.resolved_at is None


def test_resolving_waits_for_the_checklist_and_required_fields(case, workspace_a):
    refund = services.case_type_save(
        workspace=workspace_a,
        name="Refund",
        checklist=[
            {"key": "verify", "label": "Verify the order"},
            {"key": "approve", "label": "Get approval"},
        ],
        required_fields=[{"key": "order_number", "label": "Order number"}],
    )
    case = services.case_update(case=case, case_type=refund)
    assert case.missing_for_resolution() == {"checklist": ["verify", "approve"], "fields": ["order_number"]}
    with pytest.raises(ValidationError) as error:
        services.case_resolve(case=case)
    assert "verify" in error.value.message_dict["status"][0]
    services.case_checklist_set(case=case, step="verify")
    services.case_checklist_set(case=case, step="approve")
    services.case_fields_set(case=case, values={"order_number": "1042"})
    case = services.case_resolve(case=case)
    assert case.status == CaseStatus.RESOLVED and case.resolved_at is not None


def test_an_unknown_checklist_step_is_refused(case):
    with pytest.raises(ValidationError):
        services.case_checklist_set(case=case, step="dance")


def test_tags_are_normalised(case):
    case = services.case_update(case=case, tags=["Refund", " refund ", "VIP", ""])
    assert case.tags == ["refund", "vip"]


def test_csat_is_one_answer_per_case(case):
    services.csat_record(case=case, score=2)
    services.csat_record(case=case, score=5, comment="Sorted in the end")
    from care.models import CsatResponse

    (answer,) = CsatResponse.objects.all()
    assert answer.score == 5 and answer.customer_id == case.customer_id
    with pytest.raises(ValidationError):
        services.csat_record(case=case, score=9)


def test_a_case_opened_by_hand_keeps_its_text_as_a_note(workspace_a, case, member):
    agent = member(workspace_a, "agent").user
    manual = services.case_create(
        workspace=workspace_a,
        customer=case.customer,
        subject="Phone call",
        text="Called about order 1042",
        by=agent,
    )
    assert manual.opened_by == agent and manual.channel_kind == "manual"
    assert manual.messages.get().direction == "note"


def test_macros_render_per_language_with_fallbacks(case, workspace_a, member):
    agent = member(workspace_a, "agent").user
    agent.first_name, agent.last_name = "Sari", "Wijaya"
    macro = services.macro_save(
        workspace=workspace_a,
        name="Greeting",
        bodies={
            "en": "Hi {{customer.first_name}}, {{agent.first_name}} here (case {{case.id}}).",
            "pt": "Olá {{customer.name}}!",
        },
    )
    case.language = "pt-BR"
    assert services.macro_render(macro=macro, case=case, agent=agent) == "Olá Ana!"
    case.language = "de"
    assert (
        services.macro_render(macro=macro, case=case, agent=agent) == f"Hi Ana, Sari here (case {case.pk})."
    )


def test_a_macro_with_an_unknown_variable_is_refused(workspace_a):
    with pytest.raises(ValidationError):
        services.macro_save(workspace=workspace_a, name="Bad", bodies={"en": "Hi {{agent.shoe_size}}"})
    assert not Macro.objects.exists()


def test_a_reply_with_a_macro(case, workspace_a):
    macro = services.macro_save(
        workspace=workspace_a, name="Thanks", bodies={"en": "Thanks {{customer.name}}"}
    )
    reply = services.case_reply(case=case, macro=macro)
    assert reply.text == "Thanks Ana" and reply.meta == {"macro": macro.pk}
