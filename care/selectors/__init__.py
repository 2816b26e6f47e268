"""Every non-trivial read in care, scoped to one workspace. Other apps import from here
(`care.selectors`), never the submodules:

cases     the inbox list (views, filters, search) and counts, a case, its messages and events,
          notifications, the setup lists, the care part of a customer's timeline
inbox     the inbox page's rows (last message, running SLA clock), sidebar, assignees
reports   care_metrics (the figures) and care_report (their day-by-day series)
kpis      set-based aggregates for the transformation KPIs (answers, times, CSAT, customers...)
availability  whether an agent is there for a live channel (the website chat), else when to expect one

Lists are keyset-paged: `*_page(..., cursor=None)` returns a `Page` whose `next_cursor` fetches
the next one; the API uses the querysets with DRF's cursor pagination on the same ordering.
"""

from care.models import ACTIVE_STATUSES
from care.selectors.architecture import architecture_counts as architecture_counts
from care.selectors.availability import chat_availability as chat_availability
from care.selectors.cases import (
    AT_RISK_MINUTES,
    VIEWS,
    InboxFilters,
    Page,
    agents,
    at_risk_q,
    breached_q,
    case_events,
    case_get,
    case_message_get,
    case_messages,
    case_messages_page,
    case_types,
    customer_care_timeline,
    decode_cursor,
    encode_cursor,
    inbox_cases,
    inbox_counts,
    inbox_page,
    macros,
    notifications,
    public_case_ids,
    queues,
    rules,
    sla_policies,
)
from care.selectors.inbox import (
    InboxRow,
    SidebarEntry,
    agent_profile,
    assignees,
    case_messages_after,
    colleagues,
    csat_for_case,
    customer_cases,
    inbox_rows,
    inbox_sidebar,
    latest_messages,
    running_clock,
)
from care.selectors.kpis import (
    kpi_case_answers,
    kpi_case_customers,
    kpi_case_times,
    kpi_csat,
    kpi_reply_language,
    kpi_resolutions,
)
from care.selectors.reports import care_metrics, care_report
from care.selectors.usage import care_usage as care_usage

__all__ = [
    "ACTIVE_STATUSES",
    "AT_RISK_MINUTES",
    "VIEWS",
    "InboxFilters",
    "InboxRow",
    "Page",
    "SidebarEntry",
    "agent_profile",
    "agents",
    "assignees",
    "at_risk_q",
    "breached_q",
    "care_metrics",
    "care_report",
    "case_events",
    "case_get",
    "case_message_get",
    "case_messages",
    "case_messages_after",
    "case_messages_page",
    "case_types",
    "colleagues",
    "csat_for_case",
    "customer_care_timeline",
    "customer_cases",
    "decode_cursor",
    "encode_cursor",
    "inbox_cases",
    "inbox_counts",
    "inbox_page",
    "inbox_rows",
    "inbox_sidebar",
    "kpi_case_answers",
    "kpi_case_customers",
    "kpi_case_times",
    "kpi_csat",
    "kpi_reply_language",
    "kpi_resolutions",
    "latest_messages",
    "macros",
    "notifications",
    "public_case_ids",
    "queues",
    "rules",
    "running_clock",
    "sla_policies",
]
