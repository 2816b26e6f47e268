"""Taking a published post down from its platforms, each target (account) exactly once.

1. `targets_take_down` (a person on the post page or the API, later a crisis playbook) moves each
   target's take-down from none, or failed to try again, to requested with one conditional
   UPDATE, audits the request and hands the targets to a worker when the transaction commits. A
   second click finds them requested or deleted and changes nothing. A platform whose accounts
   cannot delete what they published (Instagram media) is answered at once: not allowed, audited,
   no task.
2. `target_take_down_run` (the worker) claims a requested target with `SELECT ... FOR UPDATE SKIP
   LOCKED`, calls the connector's `delete` (`cxm.channels.services.platform_delete`, with the
   connectors publishing uses) and records the result, all in that one transaction, as
   `target_publish` does: deleted, not allowed, failed with the platform's reason, or requested
   again after a rate limit or a transient failure. A redelivered task finds the target deleted,
   or locked by the worker on it, and calls nothing. A worker killed mid-call rolls its claim back;
   the target stays requested and the next attempt asks again, where the platform's "not there"
   counts as deleted.
3. No pause holds a take-down: a pause stops what goes out, and taking a post down is what a
   crisis asks for.
4. `take_downs_stale`: requested targets whose task was lost, for beat's dispatcher to hand out
   again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.channels import connectors
from cxm.channels import services as channel_services
from cxm.channels.models import ChannelAccount, DeletionStatus
from cxm.channels.services import SKIPPED, DeletionResult
from publishing import tasks
from publishing.models import PostTarget, TargetStatus
from publishing.services.dispatch import publishing_connector
from publishing.services.threads import ThreadTakeDown, thread_part_ids

STALE_AFTER = timedelta(minutes=2)
TAKEDOWN_FIELDS = channel_services.DeletionFields(
    status="takedown_status",
    error="takedown_error",
    attempts="takedown_attempts",
    due_at="takedown_next_attempt_at",
    done_at="taken_down_at",
)
# From these a person may ask (again); requested and deleted are left as they are.
ASKABLE = (DeletionStatus.NONE, DeletionStatus.FAILED)


def _user(by):
    return by if getattr(by, "pk", None) is not None and getattr(by, "is_authenticated", False) else None


def targets_take_down(*, targets: list[PostTarget], by, request=None) -> list[PostTarget]:
    """Ask for each published target's post to be deleted from its platform (see the module
    docstring); answers the targets as they stand after the request. A target that has not been
    published is refused with a ValidationError naming it, and nothing is asked."""
    unpublished = [t for t in targets if t.status != TargetStatus.PUBLISHED or not t.external_id]
    if unpublished:
        raise ValidationError(
            {
                "targets": _(
                    "Only a published post can be deleted from its platform; not published on: %(accounts)s"
                )
                % {"accounts": ", ".join(f"{t.account.handle} ({t.pk})" for t in unpublished)}
            }
        )
    now = timezone.now()
    asked: dict[int, list[int]] = {}  # workspace id: target ids
    with transaction.atomic():
        for target in targets:
            if not connectors.can_delete(target.account.platform):
                _refuse(target, by=by, now=now, request=request)
                continue
            changed = PostTarget.objects.filter(
                pk=target.pk,
                workspace_id=target.workspace_id,
                status=TargetStatus.PUBLISHED,
                takedown_status__in=ASKABLE,
            ).update(
                takedown_status=DeletionStatus.REQUESTED,
                takedown_error="",
                takedown_attempts=0,
                takedown_next_attempt_at=now,
                takedown_requested_at=now,
                taken_down_by=_user(by),
            )
            if changed:
                asked.setdefault(target.workspace_id, []).append(target.pk)
                _audit(target, "post.take_down_request", by=by, request=request)
        transaction.on_commit(
            lambda: [
                tasks.take_down_targets.delay(workspace_id=workspace_id, target_ids=ids)
                for workspace_id, ids in asked.items()
            ]
        )
    fresh = PostTarget.objects.select_related("account", "taken_down_by").in_bulk([t.pk for t in targets])
    return [fresh[t.pk] for t in targets]


def target_take_down(*, target: PostTarget, by, request=None) -> PostTarget:
    """One target: `targets_take_down([target])`."""
    return targets_take_down(targets=[target], by=by, request=request)[0]


def _refuse(target: PostTarget, *, by, now: datetime, request) -> None:
    """The platform offers accounts no deletion: say so on the target, once."""
    reason = channel_services.not_allowed_reason(target.account, "post")
    changed = PostTarget.objects.filter(
        pk=target.pk, workspace_id=target.workspace_id, takedown_status__in=ASKABLE
    ).update(
        takedown_status=DeletionStatus.NOT_ALLOWED,
        takedown_error=reason,
        takedown_requested_at=now,
        taken_down_by=_user(by),
    )
    if changed:
        _audit(
            target, "post.take_down", by=by, request=request, result=DeletionStatus.NOT_ALLOWED, reason=reason
        )


def _audit(target: PostTarget, action: str, *, by, request=None, result: str = "", reason: str = "", **more):
    after = {
        "target": target.pk,
        "account": target.account_id,
        "platform": target.account.platform,
        "external_id": target.external_id,
    }
    if result:
        after["result"] = result
    if reason:
        after["reason"] = reason[:500]
    audit_record(
        workspace=target.post.workspace,
        actor=by,
        action=action,
        target=target.post,
        after={**after, **more},
        request=request,
    )


def target_take_down_run(
    *,
    target_id: int,
    workspace_id: int,
    connector_factory: Callable[[ChannelAccount], object] | None = None,
    now: datetime | None = None,
) -> DeletionResult:
    """Delete one requested target's post from its platform (see the module docstring). Safe to
    run any number of times, from any number of workers."""
    now = now or timezone.now()
    with transaction.atomic():
        target = (
            PostTarget.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("post__workspace", "account", "taken_down_by")
            .filter(pk=target_id, workspace_id=workspace_id, takedown_status=DeletionStatus.REQUESTED)
            .first()
        )
        if target is None:
            # deleted, failed, not asked, another worker has it right now, or not this workspace's
            return DeletionResult(SKIPPED, called=False)
        result = channel_services.deletion_attempt(
            target,
            fields=TAKEDOWN_FIELDS,
            account=target.account,
            external_id=target.external_id,
            what="post",
            connector_factory=_with_thread(connector_factory or publishing_connector, target),
            now=now,
        )
        if result.final:
            _audit(
                target,
                "post.take_down",
                by=target.taken_down_by,
                result=result.outcome,
                reason=result.reason,
                already_gone=result.already_gone,
            )
    return result


def _with_thread(connector_factory, target: PostTarget):
    """A thread is taken down part by part (see `publishing.services.threads`)."""
    part_ids = thread_part_ids(target.platform_state)
    if not part_ids:
        return connector_factory
    return lambda account: ThreadTakeDown(connector_factory(account), part_ids)


def targets_take_down_run(
    *, workspace_id: int, target_ids: list[int], connector_factory=None
) -> dict[int, DeletionResult]:
    """A batch of one workspace's requested targets; ids of another workspace's are skipped."""
    return {
        target_id: target_take_down_run(
            target_id=target_id, workspace_id=workspace_id, connector_factory=connector_factory
        )
        for target_id in target_ids
    }


def take_downs_stale(*, now: datetime | None = None, limit: int = 500) -> dict[int, list[int]]:
    """{workspace id: [target ids]} of requested take-downs overdue by STALE_AFTER: their task was
    lost, or its worker died mid-call. Handing them out again is safe (see the module docstring)."""
    now = now or timezone.now()
    rows = (
        PostTarget.objects.filter(
            takedown_status=DeletionStatus.REQUESTED, takedown_next_attempt_at__lte=now - STALE_AFTER
        )
        .order_by("takedown_next_attempt_at")
        .values_list("workspace_id", "pk")[:limit]
    )
    found: dict[int, list[int]] = {}
    for workspace_id, target_id in rows:
        found.setdefault(workspace_id, []).append(target_id)
    return found
