"""Every write in care. Other apps import from here (`care.services`), never the submodules:

intake    care_sink, messages_receive, cases_open_from_mentions, case_open_from_mention
cases     case_create, case_update, case_status_set, case_resolve, checklist, fields, csat
routing   case_route, cases_route_pending, case_assign
outbox    case_reply, case_note, message_deliver, message_retry, macro_render, macro_language
reply_deletion  message_platform_delete (our sent reply under a comment, deleted from the platform)
whatsapp_templates  approved_templates, template_window, case_template_send (outside WhatsApp's 24-hour window)
reply_windows  reply_window (whether, until when and by whom WhatsApp, Messenger, Instagram may be answered)
statuses  delivery_statuses_record (the platform's sent / delivered / read / failed of a reply)
typing    case_typing (the customer sees that an agent is writing, where the channel shows it)
clocks    sla_apply, sla_scan
rules     rules_fire, rule_validate
setup     queues, agents and presence, SLA policies, macros, rules, case types (save, delete)
bulk      cases_bulk_apply (assign, tag, resolve many cases from the inbox)
csat      the survey sent once on resolution, its signed link, the answer
"""

from care.services.bulk import BULK_ACTIONS, BulkResult, cases_bulk_apply
from care.services.cases import (
    case_checklist_set,
    case_create,
    case_fields_set,
    case_resolve,
    case_status_set,
    case_update,
    csat_record,
    notifications_mark_read,
)
from care.services.clocks import sla_apply, sla_scan
from care.services.csat import CsatAnswer, csat_answer, csat_case_for_token, csat_link, csat_survey_queue
from care.services.intake import (
    Inbound,
    IntakeResult,
    care_sink,
    case_open_from_mention,
    cases_open_from_mentions,
    mention_needs_care,
    messages_receive,
)
from care.services.outbox import (
    Delivery,
    case_note,
    case_reply,
    macro_language,
    macro_render,
    message_deliver,
    message_retry,
    outbox_stale,
)
from care.services.reply_deletion import (
    message_deletable,
    message_platform_delete,
    message_platform_delete_run,
    reply_deletions_stale,
)
from care.services.reply_windows import ReplyWindow, reply_window
from care.services.routing import case_assign, case_route, cases_route_pending, queue_for_case
from care.services.rules import rule_validate, rules_fire
from care.services.setup import (
    agent_presence_set,
    agent_remove,
    agent_save,
    case_type_delete,
    case_type_save,
    macro_delete,
    macro_save,
    queue_delete,
    queue_save,
    rule_delete,
    rule_save,
    sla_policy_delete,
    sla_policy_save,
)
from care.services.statuses import delivery_statuses_record
from care.services.typing import case_typing, typing_shown
from care.services.whatsapp_templates import (
    TemplateChoice,
    approved_templates,
    case_template_send,
    template_window,
)

__all__ = [
    "BULK_ACTIONS",
    "BulkResult",
    "CsatAnswer",
    "Delivery",
    "Inbound",
    "IntakeResult",
    "ReplyWindow",
    "TemplateChoice",
    "agent_presence_set",
    "agent_remove",
    "agent_save",
    "approved_templates",
    "care_sink",
    "case_assign",
    "case_checklist_set",
    "case_create",
    "case_fields_set",
    "case_note",
    "case_open_from_mention",
    "case_reply",
    "case_resolve",
    "case_route",
    "case_status_set",
    "case_template_send",
    "case_type_delete",
    "case_type_save",
    "case_typing",
    "case_update",
    "cases_bulk_apply",
    "cases_open_from_mentions",
    "cases_route_pending",
    "csat_answer",
    "csat_case_for_token",
    "csat_link",
    "csat_record",
    "csat_survey_queue",
    "delivery_statuses_record",
    "macro_delete",
    "macro_language",
    "macro_render",
    "macro_save",
    "mention_needs_care",
    "message_deletable",
    "message_deliver",
    "message_platform_delete",
    "message_platform_delete_run",
    "message_retry",
    "messages_receive",
    "notifications_mark_read",
    "outbox_stale",
    "queue_delete",
    "queue_for_case",
    "queue_save",
    "reply_deletions_stale",
    "reply_window",
    "rule_delete",
    "rule_save",
    "rule_validate",
    "rules_fire",
    "sla_apply",
    "sla_policy_delete",
    "sla_policy_save",
    "sla_scan",
    "template_window",
    "typing_shown",
]
