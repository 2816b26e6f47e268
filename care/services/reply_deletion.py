"""Deleting our own reply from the platform it went out on, exactly once, keeping it in the case.

A reply to a public comment (an Instagram or Facebook Page comment, where the account's connector
offers `comment_delete`) that was sent can be taken back by an agent. Like publishing's take-down:

1. `message_platform_delete` moves the message's deletion from none, or failed to try again, to
   requested with one conditional UPDATE, audits who asked and hands it to a worker after commit;
   a second click finds it requested or deleted and changes nothing.
2. `message_platform_delete_run` (the worker) claims the requested message with `SELECT ... FOR
   UPDATE SKIP LOCKED`, calls the connector (`cxm.channels.services.platform_delete`) and records
   deleted, failed with the platform's reason, or a later retry, in that one transaction. A
   redelivered task finds it deleted or locked and calls nothing; a worker killed mid-call rolls
   back, the next attempt asks again, and the platform's "not there" counts as deleted.
3. `reply_deletions_stale`: requested deletions whose task was lost (care's tick re-sends them).

The message itself stays: the case page shows it struck through, with who deleted it and when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care import tasks
from care.models import ChannelKind, DeliveryStatus, Direction, Message
from care.services.common import actor, case_event
from cxm.audit.services import audit_record
from cxm.channels import connectors
from cxm.channels import services as channel_services
from cxm.channels.models import DeletionStatus

STALE_AFTER = timedelta(minutes=2)
DELETION_FIELDS = channel_services.DeletionFields(
    status="platform_deletion",
    error="platform_deletion_error",
    attempts="platform_deletion_attempts",
    due_at="platform_deletion_due_at",
    done_at="platform_deleted_at",
)
ASKABLE = (DeletionStatus.NONE, DeletionStatus.FAILED)


def _our_reply_under_a_comment(message: Message) -> bool:
    return (
        message.direction == Direction.OUTBOUND
        and message.status == DeliveryStatus.SENT
        and bool(message.external_id)
        and not message.recipient
        and message.case.channel_kind == ChannelKind.PUBLIC
        and connectors.can_delete(message.platform, "comment")
    )


def message_deletable(message: Message) -> bool:
    """Whether an agent may ask now for this message to be deleted from its platform: a reply we
    sent under a public comment, on a platform whose accounts can delete their own comments, with
    no deletion under way or done (a failed one may be asked again)."""
    return message.platform_deletion in ASKABLE and _our_reply_under_a_comment(message)


def message_platform_delete(*, message: Message, by, request=None) -> Message:
    """Ask for our reply to be deleted from its platform (see the module docstring); answers the
    message as it stands after the request (asked before: unchanged)."""
    if not _our_reply_under_a_comment(message):
        raise ValidationError(
            {
                "message": _(
                    "Only a reply we sent under a comment can be deleted from its platform, and only once."
                )
            }
        )
    now = timezone.now()
    with transaction.atomic():
        changed = Message.objects.filter(
            pk=message.pk,
            workspace_id=message.workspace_id,
            direction=Direction.OUTBOUND,
            status=DeliveryStatus.SENT,
            platform_deletion__in=ASKABLE,
        ).update(
            platform_deletion=DeletionStatus.REQUESTED,
            platform_deletion_error="",
            platform_deletion_attempts=0,
            platform_deletion_due_at=now,
            platform_deleted_by=actor(by),
        )
        if changed:
            _audit(message, "care.reply_delete_request", by=by, request=request)
            message_id, workspace_id = message.pk, message.workspace_id
            transaction.on_commit(
                lambda: tasks.message_platform_delete.delay(message_id=message_id, workspace_id=workspace_id)
            )
    message.refresh_from_db()
    return message


def _audit(message: Message, action: str, *, by, request=None, **result) -> None:
    audit_record(
        workspace=message.case.workspace,
        actor=by,
        action=action,
        target=message.case,
        after={
            "message": message.pk,
            "platform": message.platform,
            "external_id": message.external_id,
            **{key: value for key, value in result.items() if value not in ("", None)},
        },
        request=request,
        object_repr=f"reply {message.pk} on case {message.case_id}",
    )


def message_platform_delete_run(
    *,
    message_id: int,
    workspace_id: int,
    connector_for: Callable | None = None,
    now: datetime | None = None,
) -> channel_services.DeletionResult:
    """Delete one requested reply from its platform (see the module docstring). Safe to run any
    number of times, from any number of workers."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case__workspace", "case__channel_account", "platform_deleted_by")
            .filter(pk=message_id, workspace_id=workspace_id, platform_deletion=DeletionStatus.REQUESTED)
            .first()
        )
        if message is None:
            return channel_services.DeletionResult(channel_services.SKIPPED, called=False)
        result = channel_services.deletion_attempt(
            message,
            fields=DELETION_FIELDS,
            account=message.case.channel_account,
            external_id=message.external_id,
            what="comment",
            connector_factory=connector_for,
            now=now,
        )
        if result.final:
            by = message.platform_deleted_by
            _audit(
                message,
                "care.reply_delete",
                by=by,
                result=result.outcome,
                reason=result.reason[:500],
                already_gone=result.already_gone or None,
            )
            case_event(case=message.case, kind=f"reply_deletion_{result.outcome}", by=by, message=message.pk)
    return result


def reply_deletions_stale(*, now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(message id, workspace id) of requested deletions overdue by STALE_AFTER: their task was
    lost, or its worker died mid-call. Sending them again is safe (see the module docstring)."""
    now = now or timezone.now()
    rows = Message.objects.filter(
        platform_deletion=DeletionStatus.REQUESTED, platform_deletion_due_at__lte=now - STALE_AFTER
    ).order_by("platform_deletion_due_at")
    return list(rows.values_list("pk", "workspace_id")[:limit])
