"""Care: cases and their messages, the queues and agents that work them, and the rules around them.

A case is one customer's conversation on one channel. Inbound messages are stored once per
(workspace, platform, external id); outbound replies wait in the outbox (status queued) until a
worker sends them through the channel account's connector.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from care.languages import language_name
from care.sla import ScheduleError, parse_schedule
from cxm.channels.models import ChannelAccount, DeletionStatus
from cxm.customers.models import CustomerProfile, Identity
from cxm.db.fields import WorkspaceForeignKey
from cxm.tenancy.models import BusinessUnit, WorkspaceOwned


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Cases somebody still has to work on: they count towards an agent's load and the backlog.
ACTIVE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ChannelKind(models.TextChoices):
    DM = "dm", _("Direct message")
    EMAIL = "email", _("Email")
    PUBLIC = "public", _("Public mention")
    MANUAL = "manual", _("Opened by hand")


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


def _skills_match(values: list, wanted) -> bool:
    """An empty skill list means "any"."""
    return not values or wanted in values


class Queue(WorkspaceOwned):
    """Where cases wait for an agent. A case goes to the first queue (by position) whose skills
    cover its language, platform and business unit."""

    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    languages = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    platforms = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    business_unit_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="care_queue_name_unique")]

    def __str__(self) -> str:
        return self.name

    def accepts(self, *, language: str, platform: str, business_unit_id: int | None) -> bool:
        return (
            _skills_match(self.languages, language.split("-")[0].lower())
            and _skills_match(self.platforms, platform)
            and _skills_match(self.business_unit_ids, business_unit_id)
        )


class AgentProfile(WorkspaceOwned):
    """A member who answers cases: what they can handle, how many at once, whether they are in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    languages = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    platforms = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    business_unit_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    queue_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    capacity = models.PositiveIntegerField(default=5, help_text="Most active cases at once")
    presence = models.CharField(max_length=8, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="care_agent_unique")]
        indexes = [models.Index(fields=["workspace", "presence"], name="care_agent_ws_presence")]

    def __str__(self) -> str:
        return f"agent {self.user_id} in workspace {self.workspace_id}"


class SlaPolicy(WorkspaceOwned):
    """Targets for one priority, counted in business hours.

    `schedule` maps weekday names to opening intervals in the policy's time zone,
    {"mon": [["09:00", "17:00"]], ...}; an empty schedule means round the clock.
    """

    name = models.CharField(max_length=120)
    priority = models.CharField(max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    time_zone = models.CharField(max_length=64, default="UTC")
    schedule = models.JSONField(default=dict, blank=True)
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    warn_before_minutes = models.PositiveIntegerField(default=30, help_text="Near-breach warning lead time")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "priority"], name="care_sla_priority_unique")
        ]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"Unknown time zone {self.time_zone!r}."}) from None
        try:
            parse_schedule(self.schedule)
        except ScheduleError as exc:
            raise ValidationError({"schedule": str(exc)}) from None


class CaseType(WorkspaceOwned):
    """A guided workflow: steps to tick and fields to fill before a case of this type may be resolved.

    checklist: [{"key": "verify_order", "label": "Verify the order number"}, ...]
    required_fields: [{"key": "order_number", "label": "Order number"}, ...]
    """

    name = models.CharField(max_length=120)
    checklist = models.JSONField(default=list, blank=True)
    required_fields = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="care_case_type_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def step_keys(self) -> list[str]:
        return [step["key"] for step in self.checklist or []]

    @property
    def field_keys(self) -> list[str]:
        return [item["key"] for item in self.required_fields or []]


class Case(WorkspaceOwned):
    TRANSITIONS: dict[str, set[str]] = {
        CaseStatus.NEW: {
            CaseStatus.OPEN,
            CaseStatus.PENDING_CUSTOMER,
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        },
        CaseStatus.OPEN: {CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED},
        CaseStatus.PENDING_CUSTOMER: {CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED},
        CaseStatus.RESOLVED: {CaseStatus.OPEN, CaseStatus.CLOSED},
        # Closed is final: a new message from the customer opens a new case.
        CaseStatus.CLOSED: set(),
    }

    customer = WorkspaceForeignKey(CustomerProfile, on_delete=models.PROTECT, related_name="+")
    channel_account = WorkspaceForeignKey(
        ChannelAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    platform = models.CharField(max_length=32, blank=True)
    channel_kind = models.CharField(max_length=8, choices=ChannelKind.choices, default=ChannelKind.DM)
    business_unit = WorkspaceForeignKey(
        BusinessUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    thread_id = models.CharField(max_length=500, blank=True)  # email thread root, to answer in it
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    reopened = models.BooleanField(default=False)
    reopen_count = models.PositiveIntegerField(default=0)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    queue = WorkspaceForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    case_type = WorkspaceForeignKey(
        CaseType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checklist_done = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # SLA clocks: due times in business hours; a warn time is cleared once its warning fired.
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    last_message_at = models.DateTimeField()
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "-last_message_at"], name="care_case_ws_status"),
            models.Index(fields=["workspace", "assignee", "status"], name="care_case_ws_assignee"),
            models.Index(fields=["workspace", "queue", "status"], name="care_case_ws_queue"),
            models.Index(fields=["workspace", "customer", "status"], name="care_case_ws_customer"),
            models.Index(fields=["workspace", "-last_message_at", "-id"], name="care_case_ws_recent"),
            models.Index(fields=["workspace", "created_at"], name="care_case_ws_created"),
            # The SLA sweep runs across workspaces; these stay small (only clocks still running).
            models.Index(
                fields=["first_response_due_at"],
                name="care_case_fr_clock",
                condition=Q(first_responded_at__isnull=True, first_response_breached_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_due_at"],
                name="care_case_res_clock",
                condition=Q(resolved_at__isnull=True, resolution_breached_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"

    @property
    def language_name(self) -> str:
        """The customer's language as the reader reads it ("Thai", "Tagalog")."""
        return language_name(self.language)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def missing_for_resolution(self) -> dict[str, list[str]]:
        """What the case type still asks for before the case may be resolved."""
        if self.case_type is None:
            return {}
        missing: dict[str, list[str]] = {}
        steps = [key for key in self.case_type.step_keys if key not in (self.checklist_done or [])]
        if steps:
            missing["checklist"] = steps
        fields = [
            key for key in self.case_type.field_keys if str((self.fields or {}).get(key, "")).strip() == ""
        ]
        if fields:
            missing["fields"] = fields
        return missing


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("Reply")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class PlatformStatus(models.TextChoices):
    """What the platform says became of a reply it accepted (WhatsApp's delivery statuses); each
    only moves forward: sent, then delivered, then read (or failed)."""

    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(WorkspaceOwned):
    case = WorkspaceForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    platform = models.CharField(max_length=32, blank=True)
    external_id = models.CharField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    author_identity = WorkspaceForeignKey(
        Identity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    language = models.CharField(max_length=16, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)
    occurred_at = models.DateTimeField()  # the platform's time for inbound, ours for the rest
    meta = models.JSONField(default=dict, blank=True)  # e.g. kept email headers
    mentions = ArrayField(models.BigIntegerField(), default=list, blank=True)  # user ids named in a note

    # Outbox (outbound only)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    reply_to_external_id = models.CharField(max_length=500, blank=True)
    recipient = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # After sending: the platform's own word on the message (WhatsApp's status webhooks).
    platform_status = models.CharField(max_length=16, choices=PlatformStatus.choices, blank=True)
    platform_status_at = models.DateTimeField(null=True, blank=True)
    platform_error = models.CharField(max_length=1000, blank=True)  # "131047: what it means"
    # A sent reply deleted from the platform again by an agent (care/services/reply_deletion.py):
    # it stays in the case's history, marked so. `platform_deleted_by` asked for it (the last to
    # ask, after a failure); `platform_deleted_at` is when the platform confirmed.
    platform_deletion = models.CharField(
        max_length=16, choices=DeletionStatus.choices, default=DeletionStatus.NONE
    )
    platform_deletion_error = models.TextField(blank=True)
    platform_deletion_attempts = models.PositiveIntegerField(default=0)
    platform_deletion_due_at = models.DateTimeField(null=True, blank=True)
    platform_deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    platform_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A message from the platform is stored once, however often it is delivered.
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"],
                condition=Q(direction="inbound"),
                name="care_message_inbound_once",
            ),
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="care_message_idempotency_once",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "case", "-occurred_at", "-id"], name="care_message_ws_case"),
            # A delivery status names our message by the platform's id of it.
            models.Index(
                fields=["workspace", "external_id"],
                name="care_message_ws_sent_id",
                condition=Q(direction="outbound"),
            ),
            # The outbox sweep looks across workspaces at the few messages still to send.
            models.Index(
                fields=["next_attempt_at"],
                name="care_message_outbox",
                condition=Q(status__in=["queued", "sending"]),
            ),
            # Deletions still to do: the sweep for lost tasks reads only these few rows.
            models.Index(
                fields=["workspace", "platform_deletion_due_at"],
                name="care_message_ws_deletion",
                condition=Q(platform_deletion="requested"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} message {self.pk} of case {self.case_id}"


class CaseEvent(WorkspaceOwned):
    """What happened to a case besides messages: created, assigned, status, priority, SLA, rules."""

    case = WorkspaceForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "case", "created_at"], name="care_event_ws_case")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class Macro(WorkspaceOwned):
    """A canned answer with a body per language; bodies may use {{customer.name}}, {{agent.name}}..."""

    name = models.CharField(max_length=120)
    bodies = models.JSONField(default=dict)  # {"en": "Hi {{customer.first_name}} ...", "id": "..."}
    default_language = models.CharField(max_length=16, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="care_macro_name_unique")]

    def __str__(self) -> str:
        return self.name


class RuleEvent(models.TextChoices):
    CASE_CREATED = "case_created", _("A case is created")
    MESSAGE_RECEIVED = "message_received", _("A message arrives")
    STATUS_CHANGED = "status_changed", _("The status changes")
    SLA_NEAR_BREACH = "sla_near_breach", _("An SLA is about to be breached")


class AutomationRule(WorkspaceOwned):
    """When `event` happens and every condition holds, run the actions, in order.

    conditions: [{"field": "language", "op": "is", "value": "id"}, {"field": "text", "op": "contains",
                 "value": "refund"}, {"field": "customer.tier", "op": "is", "value": "gold"}]
    actions: [{"type": "assign_queue", "queue": 3}, {"type": "set_priority", "priority": "high"},
              {"type": "tag", "tag": "refund"}, {"type": "send_macro", "macro": 7},
              {"type": "assign_agent", "user": 12}, {"type": "notify", "user": "assignee", "text": "..."}]
    See care.services.rules for the fields, operators and actions it understands.
    """

    name = models.CharField(max_length=120)
    event = models.CharField(max_length=24, choices=RuleEvent.choices)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "event", "is_active"], name="care_rule_ws_event")]

    def __str__(self) -> str:
        return self.name


class CsatResponse(WorkspaceOwned):
    case = WorkspaceForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    customer = WorkspaceForeignKey(CustomerProfile, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()  # 1 (very unhappy) .. 5 (very happy)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "case"], name="care_csat_once_per_case"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="care_csat_score_range"),
        ]
        indexes = [models.Index(fields=["workspace", "created_at"], name="care_csat_ws_created")]

    def __str__(self) -> str:
        return f"CSAT {self.score} for case {self.case_id}"


class Notification(WorkspaceOwned):
    """Something an agent should look at: a mention in a note, an assignment, a rule, an SLA."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = WorkspaceForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # mention, assigned, rule, sla
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "user", "read_at"], name="care_notification_ws_user")]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"
