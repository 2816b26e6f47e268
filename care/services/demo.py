"""The Demo workspace's care set-up and its colleagues at work.

`demo_seed` gives the workspace (slug "demo") queues, SLA policies, macros in English and
Indonesian, a publishing approval rule and demo colleagues (ads adds the demo ad account after
it, `ads_seed_demo`); each item is
created once and named "(demo)" so nobody mistakes it for real data. `demo_activity` is the
periodic task's body: demo colleagues answer a share of the open cases (with a macro in the
customer's language, resolving them) and demo customers answer a share of the surveys sent. Both
act only on the demo workspace and only while CXM_DEMO is on; both are safe to repeat.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from care.models import (
    ACTIVE_STATUSES,
    Case,
    CaseStatus,
    CsatResponse,
    Direction,
    Macro,
    Message,
    Queue,
    SlaPolicy,
)
from care.services.csat import csat_answer
from care.services.outbox import case_reply
from care.services.routing import case_assign
from care.services.setup import agent_save, macro_save, queue_save, sla_policy_save
from cxm.privacy import selectors as privacy_selectors
from cxm.privacy import services as privacy_services
from cxm.tenancy.models import BusinessUnit, Membership, Role, Workspace
from cxm.tenancy.services import membership_add
from publishing import selectors as publishing_selectors
from publishing import services as publishing_services

DEMO_SLUG = "demo"
# Of the open cases a colleague finds, this share (in tenths) is answered; the rest wait, so
# the inbox, the SLA clocks and "unanswered" show something too.
ANSWER_TENTHS = 7
SURVEY_TENTHS = 6
# A message younger than this is left alone: a person needs a moment to read it.
ANSWER_AFTER_SECONDS = 60
BATCH = 60

COLLEAGUES = (
    ("demo.rina", "Rina", "Wijaya (demo)", Role.AGENT, ["id", "en"]),
    ("demo.budi", "Budi", "Santoso (demo)", Role.AGENT, ["id"]),
    ("demo.sarah", "Sarah", "Lim (demo)", Role.AGENT, ["en"]),
    ("demo.dewi", "Dewi", "Anggraini (demo)", Role.APPROVER, []),
    ("demo.andi", "Andi", "Kurniawan (demo)", Role.MARKETER, []),
)
DRILL_REASON = "[Demo] Pause drill"
# A demo customer who asked for a copy of what the brand holds on them.
DEMO_PRIVACY_SUBJECT = "@sari.wulandari@demo.social"
QUEUES = (("Bahasa Indonesia (demo)", ["id"], 0), ("English (demo)", ["en"], 1))
SLA = (("urgent", 15, 240), ("high", 60, 480), ("normal", 240, 1440), ("low", 480, 2880))
MACROS = (
    (
        "Thank you (demo)",
        {
            "en": "Hi {{customer.name}}, thank you for telling us. We have sorted it out. {{agent.name}}",
            "id": "Halo {{customer.name}}, terima kasih sudah memberi tahu kami. Sudah kami bereskan. "
            "{{agent.name}}",
        },
    ),
    (
        "Order problem (demo)",
        {
            "en": "Hi {{customer.name}}, sorry about your order. We have refunded it and the next "
            "one is on us. {{agent.name}}",
            "id": "Halo {{customer.name}}, mohon maaf atas pesanan Anda. Dananya sudah kami kembalikan "
            "dan pesanan berikutnya gratis. {{agent.name}}",
        },
    ),
    (
        "Store hours (demo)",
        {
            "en": "Hi {{customer.name}}, our stores are open every day from 7 am to 10 pm. {{agent.name}}",
            "id": "Halo {{customer.name}}, gerai kami buka setiap hari pukul 07.00-22.00. {{agent.name}}",
        },
    ),
)


def demo_workspace() -> Workspace | None:
    """The demo workspace, while the demo is on; None otherwise."""
    if not settings.CXM_DEMO:
        return None
    return Workspace.objects.filter(slug=DEMO_SLUG).first()


@dataclass
class DemoSeed:
    created: dict[str, int] = field(default_factory=dict)


def demo_seed() -> DemoSeed | None:
    """Everything the demo needs beyond its accounts and topics, once (see the module docstring)."""
    workspace = demo_workspace()
    if workspace is None:
        return None
    result = DemoSeed()
    with transaction.atomic():
        result.created["colleagues"] = _colleagues_seed(workspace)
        result.created["queues"] = _queues_seed(workspace)
        result.created["sla_policies"] = _sla_seed(workspace)
        result.created["macros"] = _macros_seed(workspace)
        result.created["approval_rules"] = _approval_rule_seed(workspace)
    result.created["pause_drills"] = _pause_drill_seed(workspace)
    result.created["privacy_requests"] = _privacy_request_seed(workspace)
    return result


def _pause_drill_seed(workspace: Workspace) -> int:
    """A pause of the demo's business unit, lifted at once: the drill a team runs before it needs
    the button, and what "time from pause to every publisher stopped" measures."""
    if publishing_selectors.pauses_history(workspace=workspace, limit=1):
        return 0
    unit = BusinessUnit.objects.filter(workspace=workspace).order_by("pk").first()
    if unit is None:
        return 0
    dewi = get_user_model().objects.get(username="demo.dewi")
    pause = publishing_services.pause_activate(
        workspace=workspace, scope="business_unit", target_id=unit.pk, reason=DRILL_REASON, by=dewi
    )
    publishing_services.pause_resume(workspace=workspace, pause=pause, by=dewi)
    return 1


def _privacy_request_seed(workspace: Workspace) -> int:
    """One customer's data export, asked for and done: what "privacy request days" measures."""
    if privacy_selectors.privacy_requests(workspace=workspace).exists():
        return 0
    request = privacy_services.request_create(
        workspace=workspace, kind="export", identity=DEMO_PRIVACY_SUBJECT, enqueue=False
    )
    privacy_services.request_run(workspace_id=workspace.pk, request_id=request.pk)
    return 1


def _colleagues_seed(workspace: Workspace) -> int:
    User = get_user_model()
    created = 0
    for username, first, last, role, languages in COLLEAGUES:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username, f"{username}@demo.invalid", first_name=first, last_name=last
            )
            user.set_unusable_password()  # a demo colleague works from the task, never signs in
            user.save(update_fields=["password"])
        if not Membership.objects.filter(workspace=workspace, user=user).exists():
            membership_add(workspace=workspace, user=user, role=role, by=None)
            created += 1
        if role == Role.AGENT:
            agent_save(workspace=workspace, user=user, capacity=50, languages=languages, presence="online")
    return created


def _queues_seed(workspace: Workspace) -> int:
    created = 0
    for name, languages, position in QUEUES:
        if not Queue.objects.filter(workspace=workspace, name=name).exists():
            queue_save(workspace=workspace, name=name, languages=languages, position=position)
            created += 1
    return created


def _sla_seed(workspace: Workspace) -> int:
    created = 0
    for priority, first_response, resolution in SLA:
        if not SlaPolicy.objects.filter(workspace=workspace, priority=priority).exists():
            sla_policy_save(
                workspace=workspace,
                priority=priority,
                first_response_minutes=first_response,
                resolution_minutes=resolution,
                name=f"{priority.title()} (demo)",
                time_zone="Asia/Jakarta",
            )
            created += 1
    return created


def _macros_seed(workspace: Workspace) -> int:
    created = 0
    for name, bodies in MACROS:
        if not Macro.objects.filter(workspace=workspace, name=name).exists():
            macro_save(workspace=workspace, name=name, bodies=bodies, default_language="id")
            created += 1
    return created


def _approval_rule_seed(workspace: Workspace) -> int:
    unit = BusinessUnit.objects.filter(workspace=workspace).order_by("pk").first()
    if (
        unit is None
        or publishing_selectors.approval_rules(workspace=workspace).filter(business_unit=unit).exists()
    ):
        return 0
    publishing_services.approval_rule_set(workspace=workspace, business_unit=unit, roles=[Role.APPROVER])
    return 1


# --- the colleagues at work ---------------------------------------------------------------------------


@dataclass
class DemoActivity:
    answered: int = 0
    surveys_answered: int = 0


def _share(key: str, tenths: int) -> bool:
    """A fixed choice per item, so a second run picks the same ones (and does nothing new)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 10 < tenths


def demo_activity(*, now=None) -> DemoActivity | None:
    """One round of the demo colleagues' and customers' work (see the module docstring)."""
    workspace = demo_workspace()
    if workspace is None:
        return None
    now = now or timezone.now()
    result = DemoActivity()
    agents = list(
        get_user_model().objects.filter(
            username__in=[c[0] for c in COLLEAGUES if c[3] == Role.AGENT],
            memberships__workspace=workspace,
        )
    )
    macros = list(Macro.objects.filter(workspace=workspace, name__endswith="(demo)").order_by("pk"))
    if agents and macros:
        waiting = (
            Case.objects.filter(workspace=workspace, status__in=ACTIVE_STATUSES)
            .filter(
                messages__direction=Direction.INBOUND,
                messages__occurred_at__lte=now - timedelta(seconds=ANSWER_AFTER_SECONDS),
            )
            .exclude(messages__direction=Direction.OUTBOUND)
            .distinct()
            .order_by("created_at")[: BATCH * 3]
        )
        for case in waiting:
            if result.answered >= BATCH or not _share(f"answer:{case.pk}", ANSWER_TENTHS):
                continue
            agent = agents[case.pk % len(agents)]
            macro = macros[case.pk % len(macros)]
            case_assign(case=case, assignee=agent, by=agent, force=True)
            case_reply(case=case, macro=macro, by=agent, status=CaseStatus.RESOLVED)
            result.answered += 1
    surveyed = (
        Message.objects.filter(workspace=workspace, meta__csat=True, status="sent")
        .exclude(case__in=CsatResponse.objects.filter(workspace=workspace).values("case"))
        .select_related("case")[:BATCH]
    )
    for message in surveyed:
        if _share(f"survey:{message.case_id}", SURVEY_TENTHS):
            score = 3 + int(hashlib.sha256(f"score:{message.case_id}".encode()).hexdigest()[:2], 16) % 3
            csat_answer(case=message.case, score=score)
            result.surveys_answered += 1
    return result
