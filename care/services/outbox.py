"""Replies and notes, and delivering replies through the channel's connector exactly once.

A reply is stored first (status queued, with an idempotency key) and a task is enqueued when the
transaction commits. Delivery goes in steps that are each safe to repeat:

1. claim: lock the row (SKIP LOCKED), check it is still to send, mark it sending with a lease;
2. call the connector's `reply()` with the message's idempotency key (the platform, or for email
   the Message-ID, recognises a repeat of the same intent);
3. record the outcome: sent with the platform's id, queued again with backoff for transient
   errors, failed with the reason for permanent ones.

A redelivered task finds the message sent (or claimed under a live lease) and does nothing. A
worker that dies between 1 and 3 leaves a lease that expires; the next attempt reuses the same
key, so the platform still sees one reply.

A platform's rate limit queues the reply again for the time it names, however often it comes,
and marks the channel account as throttled until then (`account_throttle`, unless the limit is
for one recipient only): the account shows it, and its other replies wait without calling; the
next reply that goes out clears it.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from care import tasks
from care.models import (
    Case,
    CaseStatus,
    ChannelKind,
    DeliveryStatus,
    Direction,
    Macro,
    Message,
)
from care.services import cases, reply_windows
from care.services.common import actor, case_event, case_lock, member_ids, notify
from cxm.channels import services as channel_services
from cxm.channels.connectors.base import (
    ConnectorError,
    NotSupported,
    Outgoing,
    RateLimited,
)
from cxm.channels.models import Platform
from cxm.channels.retry import EXHAUSTED, RetryPolicy, retry_decision
from cxm.channels.sinks import ReplySent, reply_sent
from cxm.tenancy.models import Membership

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# A platform's rate limit delays a reply however often it comes; only other failures use up attempts.
REPLY_RETRY = RetryPolicy(base=10.0, cap=1800.0, max_attempts=MAX_ATTEMPTS, rate_limits_give_up=False)
EARLY_TOLERANCE = timedelta(seconds=5)
STALE_AFTER = timedelta(minutes=2)
MAX_TEXT = 20_000


# --- macros -----------------------------------------------------------------------------------

VARIABLE = re.compile(r"{{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*}}")
KNOWN_VARIABLES = {
    "customer.name",
    "customer.first_name",
    "agent.name",
    "agent.first_name",
    "case.id",
    "case.subject",
}


def macro_validate(bodies: dict) -> None:
    if not isinstance(bodies, dict) or not bodies:
        raise ValidationError(
            {"bodies": 'Give at least one body, e.g. {"en": "Hello {{customer.first_name}}"}.'}
        )
    for language, body in bodies.items():
        if not isinstance(body, str) or not body.strip():
            raise ValidationError({"bodies": f"The {language} body is empty."})
        for name in VARIABLE.findall(body):
            if name not in KNOWN_VARIABLES and not name.startswith("customer."):
                raise ValidationError({"bodies": f"Unknown variable {{{{{name}}}}} in the {language} body."})


def macro_variant(macro: Macro, language: str) -> tuple[str, str]:
    """(language, body) for a language: exact (pt-BR), then its base (pt), then the macro's
    default, then its first body."""
    bodies = macro.bodies or {}
    language = (language or "").lower()
    lowered = {key.lower(): value for key, value in bodies.items()}
    for candidate in (language, language.split("-")[0], macro.default_language.lower()):
        if candidate and candidate in lowered:
            return candidate, lowered[candidate]
    return next(iter(lowered.items()), ("", ""))


def macro_body(macro: Macro, language: str) -> str:
    return macro_variant(macro, language)[1]


def macro_language(*, macro: Macro, case: Case) -> str:
    """The language of the body `macro_render` fills in for this case: the case's own when the
    macro has it, else the macro's default (the agent is told so)."""
    return macro_variant(macro, case.language)[0]


def macro_render(*, macro: Macro, case: Case, agent=None) -> str:
    customer = case.customer
    name = customer.display_name or ""
    agent_name = (agent.get_full_name() or agent.get_username()) if agent is not None else ""
    values = {
        "customer.name": name,
        "customer.first_name": name.split()[0] if name.split() else "",
        "agent.name": agent_name,
        "agent.first_name": agent_name.split()[0] if agent_name.split() else "",
        "case.id": str(case.pk),
        "case.subject": case.subject,
    }

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        if key.startswith("customer."):
            return str((customer.attributes or {}).get(key.removeprefix("customer."), ""))
        return ""

    return VARIABLE.sub(substitute, macro_body(macro, case.language)).strip()


# --- replies and notes --------------------------------------------------------------------------


def message_enqueue(message: Message) -> None:
    message_id, workspace_id = message.pk, message.workspace_id
    transaction.on_commit(lambda: tasks.message_send.delay(message_id=message_id, workspace_id=workspace_id))


def case_reply(
    *,
    case: Case,
    text: str = "",
    by=None,
    macro: Macro | None = None,
    status: str | None = None,
    now: datetime | None = None,
    template: dict | None = None,
) -> Message:
    """Queue a reply to the customer on the case's channel; a worker sends it after commit.

    The reply answers the latest message from the customer (threading on email, the DM or the
    mention on social). The first reply stops the first-response clock. `status` moves the case
    on at the same time (e.g. pending_customer or resolved); otherwise a new case becomes open.
    The case's answer window (`reply_windows`) decides what may go: on WhatsApp free text is
    refused once the customer's last message is 24 hours old, and only an approved template may
    be sent then: `template` ({name, language, components}, see
    `whatsapp_templates.case_template_send`, which fills it) sends one, `text` being what it
    reads. On Messenger and Instagram only a person may answer (`by`) from 24 hours to 7 days,
    and nobody after that.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case, workspace_id=case.workspace_id)
        if macro is not None:
            if macro.workspace_id != case.workspace_id:
                raise ValidationError({"macro": "Not found in this workspace."})
            text = text.strip() or macro_render(macro=macro, case=case, agent=actor(by))
        text = text.strip()
        if not text:
            raise ValidationError({"text": "Write something to send."})
        if len(text) > MAX_TEXT:
            raise ValidationError({"text": f"At most {MAX_TEXT} characters."})
        if case.status == CaseStatus.CLOSED:
            raise ValidationError(
                {"case": "This case is closed; a new message from the customer opens a new one."}
            )
        if case.channel_account_id is None:
            raise ValidationError({"case": "This case has no channel to answer on."})
        answered = (
            Message.objects.filter(case=case, direction=Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-occurred_at", "-id")
            .first()
        )
        if answered is None:
            raise ValidationError(
                {"case": "The customer has not written on this case yet; there is nothing to answer."}
            )
        if template is not None and case.platform != Platform.WHATSAPP:
            raise ValidationError({"template": "Templates are sent only on WhatsApp cases."})
        window = reply_windows.reply_window(case, now=now)
        refusal = window.refusal(automated=actor(by) is None) if window and template is None else ""
        if refusal:
            # The platform would refuse it as well (WhatsApp's 131047, Meta's "outside of allowed
            # window"); saying why now keeps it out of the outbox.
            raise ValidationError({"text": refusal})
        private = case.channel_kind in (ChannelKind.DM, ChannelKind.EMAIL)
        message = Message.objects.create(
            workspace_id=case.workspace_id,
            case=case,
            direction=Direction.OUTBOUND,
            platform=case.platform,
            author_user=actor(by),
            author_name=getattr(actor(by), "username", "") or "automation",
            subject=case.subject,
            text=text,
            language=case.language,
            occurred_at=now,
            status=DeliveryStatus.QUEUED,
            idempotency_key=f"care-{uuid.uuid4().hex}",
            reply_to_external_id=answered.external_id,
            recipient=answered.author_handle if private else "",
            next_attempt_at=now,
            meta={
                **({"macro": macro.pk} if macro is not None else {}),
                **({"template": template} if template is not None else {}),
            },
        )
        fields = ["last_message_at", "updated_at"]
        case.last_message_at = max(case.last_message_at, now)
        if case.first_responded_at is None:
            case.first_responded_at = now
            case.first_response_warn_at = None
            fields += ["first_responded_at", "first_response_warn_at"]
        case.save(update_fields=fields)
        target = status or (CaseStatus.OPEN if case.status == CaseStatus.NEW else None)
        if target:
            cases.status_change(case, target, by=by, now=now)
        message_enqueue(message)
        return message


def _mentioned(workspace_id: int, text: str, explicit: list[int]) -> list[int]:
    names = {name.lower() for name in re.findall(r"(?<![\w@])@([\w.+-]+)", text)}
    ids = set(member_ids(workspace_id=workspace_id, user_ids=list(explicit)))
    if len(ids) != len(set(explicit)):
        raise ValidationError({"mentions": "Only colleagues in this workspace can be mentioned."})
    if names:
        ids |= set(
            Membership.objects.filter(workspace_id=workspace_id, user__username__in=names).values_list(
                "user_id", flat=True
            )
        )
    return sorted(ids)


@transaction.atomic
def case_note(
    *, case: Case, text: str, by=None, mentions: list[int] | None = None, now: datetime | None = None
) -> Message:
    """An internal note; colleagues named (by id, or @username in the text) are notified."""
    now = now or timezone.now()
    case = case_lock(case, workspace_id=case.workspace_id)
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something."})
    mentioned = _mentioned(case.workspace_id, text, mentions or [])
    note = Message.objects.create(
        workspace_id=case.workspace_id,
        case=case,
        direction=Direction.NOTE,
        author_user=actor(by),
        author_name=getattr(actor(by), "username", ""),
        text=text,
        occurred_at=now,
        mentions=mentioned,
    )
    author_id = getattr(actor(by), "pk", None)
    for user_id in mentioned:
        if user_id != author_id:
            notify(
                case=case,
                user_id=user_id,
                kind="mention",
                text=f"{note.author_name or 'Someone'} mentioned you on case {case.pk}",
            )
    return note


# --- delivery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent, retry, failed, skipped
    retry_in: float | None = None
    detail: str = ""


def _claim(message_id: int, workspace_id: int, now: datetime) -> Message | Delivery:
    with transaction.atomic():
        message = (
            # Only the message row: a case an agent is editing must not hold up its replies.
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case", "case__channel_account")
            .filter(pk=message_id, workspace_id=workspace_id, direction=Direction.OUTBOUND)
            .first()
        )
        if message is None:
            # Gone, or another worker holds the row this very moment: it is that worker's to send.
            return Delivery("skipped", detail="busy or gone")
        if message.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
            return Delivery("skipped", detail=message.status)
        if message.status == DeliveryStatus.SENDING and message.claimed_until and message.claimed_until > now:
            return Delivery("skipped", detail="in flight")
        if (
            message.status == DeliveryStatus.QUEUED
            and message.next_attempt_at
            and message.next_attempt_at > now + EARLY_TOLERANCE
        ):
            return Delivery(
                "skipped", retry_in=(message.next_attempt_at - now).total_seconds(), detail="not due"
            )
        account = message.case.channel_account
        until = account.throttled_until(now) if account is not None else None
        if until is not None:
            # The platform throttles the account: wait for it without calling or spending an attempt.
            Message.objects.filter(pk=message.pk).update(
                status=DeliveryStatus.QUEUED, next_attempt_at=until, claimed_until=None
            )
            return Delivery("retry", retry_in=(until - now).total_seconds(), detail="account rate limited")
        message.status = DeliveryStatus.SENDING
        message.attempts += 1
        message.claimed_until = now + LEASE
        message.save(update_fields=["status", "attempts", "claimed_until"])
        return message


def _outgoing(message: Message) -> Outgoing:
    case = message.case
    return Outgoing(
        text=message.text,
        idempotency_key=message.idempotency_key,
        reply_to=message.reply_to_external_id or None,
        subject=case.subject,
        recipient=message.recipient,
        thread_id=case.thread_id or None,
        # Read with the claim, so a customer who wrote again meanwhile has reopened the window;
        # the connector need not ask the platform. No author: a rule or the survey wrote it.
        last_inbound_at=case.last_inbound_at,
        automated=message.author_user_id is None,
    )


def _send(connector, message: Message, outgoing: Outgoing):
    """A template (WhatsApp outside the 24-hour window) or the free text, with the same key."""
    template = (message.meta or {}).get("template")
    if not template:
        return connector.reply(outgoing)
    send_template = getattr(connector, "send_template", None)
    if send_template is None:
        raise NotSupported("this channel sends no message templates")
    return send_template(
        to=outgoing.recipient,
        name=template["name"],
        language=template["language"],
        components=template.get("components") or None,
        key=outgoing.idempotency_key,
    )


def _record(message: Message, *, now: datetime, **updates) -> None:
    # Only a message still in our hands is updated: sent stays sent whatever a late worker says.
    Message.objects.filter(pk=message.pk).exclude(status=DeliveryStatus.SENT).update(**updates)


def message_deliver(
    *,
    message_id: int,
    workspace_id: int,
    connector_for: Callable | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Send one queued reply (see the module docstring). `connector_for(account)` builds the
    connector; the channel account's own connector by default."""
    now = now or timezone.now()
    claimed = _claim(message_id, workspace_id, now)
    if isinstance(claimed, Delivery):
        return claimed
    message = claimed
    account = message.case.channel_account
    if account is None:
        _record(
            message,
            now=now,
            status=DeliveryStatus.FAILED,
            error="The channel account was removed.",
            claimed_until=None,
        )
        return Delivery("failed", detail="no channel account")
    if connector_for is None:
        connector_for = channel_services.account_connector
    outgoing = _outgoing(message)
    try:
        published = _send(connector_for(account), message, outgoing)
    except ConnectorError as exc:
        decision = retry_decision(exc, message.attempts, REPLY_RETRY)
        if isinstance(exc, RateLimited) and exc.account_wide:
            channel_services.account_throttle(
                account_id=account.pk, until=now + timedelta(seconds=exc.retry_after), reason=str(exc)
            )
        if not decision.retry:
            # Permanent, auth, not supported (trying again unchanged would fail the same way), or
            # transient past the last attempt.
            error = str(exc)
            if decision.reason == EXHAUSTED:
                error = f"Gave up after {message.attempts} attempts: {exc}"
            _record(message, now=now, status=DeliveryStatus.FAILED, error=error[:2000], claimed_until=None)
            _failed_event(message, str(exc))
            return Delivery("failed", detail=str(exc))
        _record(
            message,
            now=now,
            status=DeliveryStatus.QUEUED,
            error=str(exc)[:2000],
            next_attempt_at=now + timedelta(seconds=decision.after),
            claimed_until=None,
        )
        return Delivery("retry", retry_in=decision.after, detail=str(exc))
    except Exception as exc:
        # A bug, not the platform: keep the message queued (the sweep retries it) and let it be seen.
        _record(
            message,
            now=now,
            status=DeliveryStatus.QUEUED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            next_attempt_at=now + timedelta(minutes=5),
            claimed_until=None,
        )
        raise
    channel_services.account_throttle_lift(account=account)
    _record(
        message,
        now=now,
        status=DeliveryStatus.SENT,
        external_id=published.external_id[:500],
        url=published.url[:1000],
        sent_at=timezone.now(),
        error="",
        claimed_until=None,
    )
    if outgoing.reply_to:
        # Whatever was answered counts as answered wherever it is shown (listening's coverage).
        reply_sent(
            ReplySent(
                workspace_id=workspace_id,
                platform=account.platform,
                answered_external_id=outgoing.reply_to,
                account_id=account.pk,
                at=timezone.now(),
            )
        )
    return Delivery("sent", detail=published.external_id)


def _failed_event(message: Message, reason: str) -> None:
    case = message.case
    case_event(case=case, kind="reply_failed", message=message.pk, reason=reason[:500])
    notify(
        case=case,
        user_id=message.author_user_id or case.assignee_id,
        kind="failed",
        text=f"A reply on case {case.pk} could not be sent",
    )


@transaction.atomic
def message_retry(*, message: Message, by=None, now: datetime | None = None) -> Message:
    """Send a failed reply again, by hand; it keeps its idempotency key (the same intent)."""
    now = now or timezone.now()
    message = Message.objects.select_for_update().get(workspace_id=message.workspace_id, pk=message.pk)
    if message.direction != Direction.OUTBOUND or message.status != DeliveryStatus.FAILED:
        raise ValidationError({"message": "Only a failed reply can be sent again."})
    previous_error = message.error
    message.status = DeliveryStatus.QUEUED
    message.attempts = 0
    message.error = ""
    message.next_attempt_at = now
    message.claimed_until = None
    message.save(update_fields=["status", "attempts", "error", "next_attempt_at", "claimed_until"])
    case_event(
        case=message.case, kind="reply_retry", by=by, message=message.pk, previous_error=previous_error[:500]
    )
    message_enqueue(message)
    return message


def outbox_stale(*, now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(message id, workspace id) of replies whose task was lost: queued and overdue, or claimed
    by a worker whose lease ran out. Sending them again is safe (see the module docstring)."""
    now = now or timezone.now()
    rows = Message.objects.filter(
        Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now - STALE_AFTER)
        | Q(status=DeliveryStatus.SENDING, claimed_until__lte=now)
    ).order_by("next_attempt_at", "pk")
    return list(rows.values_list("pk", "workspace_id")[:limit])
