"""Publishing due targets exactly once.

1. `targets_enqueue_due` (beat, every few seconds) marks due targets as enqueued and hands their
   ids to workers in batches, each batch from one workspace. Marking is only an optimisation
   against enqueuing twice; a lost task is re-enqueued after `REENQUEUE_AFTER`.
2. `target_publish` claims one target of the given workspace with
   `SELECT ... FOR UPDATE SKIP LOCKED` (so two workers
   never work the same target), re-checks the pause under the pause lock, calls the platform
   with the target's fixed idempotency key, and records the answer, all in one transaction.
   A worker killed mid-call rolls the claim back; the next attempt carries the same key, which
   the platform (or the connector's look-up before a retry) recognises, so the post exists once.
3. A platform's rate limit delays the target, however often it comes, and marks the account as
   throttled until the time the platform named (`account_throttle`): the account shows it, and
   its other due targets wait until then without calling; the next publish that goes through
   clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.channels.connectors.base import ConnectorError, Media, Outgoing, RateLimited
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.retry import EXHAUSTED, RetryPolicy, retry_decision
from cxm.channels.services import account_connector, account_throttle, account_throttle_lift
from publishing.models import Post, PostStatus, PostTarget, TargetStatus
from publishing.services.pause import publish_permit
from publishing.services.threads import thread_publish

REENQUEUE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8
# A platform's rate limit delays a post however often it comes; only other failures use up attempts.
PUBLISH_RETRY = RetryPolicy(base=10.0, cap=300.0, max_attempts=MAX_ATTEMPTS, rate_limits_give_up=False)
BATCH_SIZE = 25
# A target is due when it is scheduled, its time has come, no backoff holds it and no task for it
# is in flight (or that task went stale).
DUE = (
    "status = 'scheduled' AND due_at <= %(now)s AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s) "
    "AND (enqueued_at IS NULL OR enqueued_at < %(stale)s)"
)


def targets_enqueue_due(
    *,
    enqueue: Callable[..., None],
    limit: int = 10_000,
    now=None,
    stale_after: timedelta = REENQUEUE_AFTER,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Hand every due target to the workers, up to `batch_size` ids of one workspace per task:
    `enqueue(workspace_id=..., target_ids=[...])`."""
    now = now or timezone.now()
    due = {"now": now, "stale": now - stale_after}
    with transaction.atomic(), connection.cursor() as cursor:
        # Which workspaces have due targets, oldest first: the one statement that reads every
        # workspace (one table, no join, no lock, on the partial index of scheduled rows); each
        # claim below is then a statement of one workspace (docs/scale-out.md).
        cursor.execute(
            f"SELECT workspace_id FROM publishing_posttarget WHERE {DUE} "  # noqa: S608
            "GROUP BY workspace_id ORDER BY min(due_at)",
            due,
        )
        workspaces = [row[0] for row in cursor.fetchall()]
        by_workspace: dict[int, list[int]] = {}
        for workspace_id in workspaces:
            if limit <= 0:
                break
            cursor.execute(
                f"""
                UPDATE publishing_posttarget SET enqueued_at = %(now)s
                 WHERE workspace_id = %(workspace)s AND id IN (
                       SELECT id FROM publishing_posttarget
                        WHERE workspace_id = %(workspace)s AND {DUE}
                        ORDER BY due_at
                        LIMIT %(limit)s
                        FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,  # noqa: S608
                {**due, "workspace": workspace_id, "limit": limit},
            )
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                by_workspace[workspace_id] = ids
                limit -= len(ids)
        batches = []
        for workspace_id, ids in sorted(by_workspace.items()):
            ids.sort()
            batches += [(workspace_id, ids[i : i + batch_size]) for i in range(0, len(ids), batch_size)]
        transaction.on_commit(
            lambda: [enqueue(workspace_id=workspace_id, target_ids=ids) for workspace_id, ids in batches]
        )
    return sum(len(ids) for _, ids in batches)


def _outgoing(target: PostTarget) -> Outgoing:
    post = target.post
    media = tuple(
        Media(
            filename=item.filename,
            content_type=item.content_type,
            data=item.file.open("rb").read(),
            description=item.description,
            url=_public_url(item.file.url),
        )
        for item in post.media.all()
    )
    return Outgoing(
        text=post.text_for(platform=target.account.platform, language=target.account.language),
        idempotency_key=str(target.idempotency_key),
        media=media,
        state=dict(target.platform_state or {}),
    )


def _public_url(url: str) -> str:
    """A stored file's address as a platform that fetches media itself (Instagram) reaches it."""
    if url.startswith(("https://", "http://")):
        return url
    return f"{settings.CXM_BASE_URL.rstrip('/')}{url}"


def target_publish(
    *,
    target_id: int,
    workspace_id: int,
    connector_factory: Callable[[ChannelAccount], object] | None = None,
    refresh_post: bool = True,
) -> str:
    """Publish one target of the workspace if it is still due and nothing pauses it. Safe to run
    any number of times, from any number of workers. Answers what happened."""
    now = timezone.now()
    with transaction.atomic():
        target = (
            PostTarget.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("post", "account")
            .filter(pk=target_id, workspace_id=workspace_id, status=TargetStatus.SCHEDULED)
            .first()
        )
        if target is None:
            # published, cancelled, held, another worker has it right now, or not this workspace's
            return "skipped"
        if (
            target.due_at is None
            or target.due_at > now
            or (target.next_attempt_at and target.next_attempt_at > now)
        ):
            return "not-due"
        account = target.account
        with publish_permit(
            workspace_id=target.workspace_id, account_id=account.pk, business_unit_id=account.business_unit_id
        ) as pause:
            if pause is not None:
                target.status = TargetStatus.HELD
                target.held_at = now
                target.held_by_pause = pause
                target.save(update_fields=["status", "held_at", "held_by_pause"])
                outcome = "held"
            elif account.status == AccountStatus.NEEDS_REAUTH:
                _fail(target, "The account needs re-authorisation; reconnect it and publish again.")
                outcome = "failed"
            elif (until := account.throttled_until(now)) is not None:
                # The platform throttles the account: wait for it without calling or spending an attempt.
                _retry_at(target, until)
                outcome = "retry"
            else:
                outcome = _call(target, connector_factory or publishing_connector, now)
    if refresh_post:
        post_status_refresh(workspace_id=target.workspace_id, post_id=target.post_id)
    return outcome


_CONNECTORS: dict[tuple[int, object], object] = {}


def publishing_connector(account: ChannelAccount):
    """One connector per account and version of its settings, per worker process: it keeps what
    it learnt of the platform (limits, sessions) across the targets of a burst. Take-downs call
    the platform through the same ones."""
    key = (account.pk, account.updated_at)
    connector = _CONNECTORS.get(key)
    if connector is None:
        if len(_CONNECTORS) > 500:
            _CONNECTORS.clear()
        connector = _CONNECTORS[key] = account_connector(account)
    return connector


def _call(target: PostTarget, connector_factory, now) -> str:
    target.attempts += 1
    outgoing = _outgoing(target)
    try:
        connector = connector_factory(target.account)
        if target.post.thread:
            published = thread_publish(connector, outgoing, target.post.thread)
        else:
            published = connector.publish(outgoing)
    except ConnectorError as exc:
        # Kept whatever comes next: the platform holds what the attempt left there.
        target.platform_state = outgoing.state
        decision = retry_decision(exc, target.attempts, PUBLISH_RETRY)
        if isinstance(exc, RateLimited) and exc.account_wide:
            account_throttle(
                account_id=target.account_id, until=now + timedelta(seconds=exc.retry_after), reason=str(exc)
            )
        if decision.reason == EXHAUSTED:
            _fail(target, f"Gave up after {target.attempts} attempts: {exc}")
            return "failed"
        if not decision.retry:  # refused, or the account needs re-authorisation
            _fail(target, str(exc))
            return "failed"
        target.error = str(exc)
        _retry_at(target, now + timedelta(seconds=decision.after))
        return "retry"
    account_throttle_lift(account=target.account)
    target.status = TargetStatus.PUBLISHED
    target.external_id = published.external_id
    target.url = published.url[:1000]
    target.published_at = timezone.now()
    target.error = ""
    target.platform_state = outgoing.state
    target.save(
        update_fields=["attempts", "status", "external_id", "url", "published_at", "error", "platform_state"]
    )
    return "published"


def _retry_at(target: PostTarget, when) -> None:
    target.next_attempt_at = when
    target.enqueued_at = None
    target.save(update_fields=["attempts", "next_attempt_at", "enqueued_at", "error", "platform_state"])


def _fail(target: PostTarget, reason: str) -> None:
    target.status = TargetStatus.FAILED
    target.error = reason[:2000]
    target.save(update_fields=["attempts", "status", "error", "platform_state"])


def targets_publish(*, workspace_id: int, target_ids: list[int], connector_factory=None) -> dict[str, int]:
    """Publish a batch of one workspace's targets; ids of another workspace's are skipped."""
    counts: dict[str, int] = {}
    for target_id in target_ids:
        outcome = target_publish(
            target_id=target_id,
            workspace_id=workspace_id,
            connector_factory=connector_factory,
            refresh_post=False,
        )
        counts[outcome] = counts.get(outcome, 0) + 1
    # One status update per post for the whole batch rather than one per target.
    for post_id in sorted(
        set(
            PostTarget.objects.filter(workspace_id=workspace_id, pk__in=target_ids).values_list(
                "post_id", flat=True
            )
        )
    ):
        post_status_refresh(workspace_id=workspace_id, post_id=post_id)
    return counts


def post_status_refresh(*, workspace_id: int, post_id: int) -> None:
    """A post's status follows its targets once they start going out."""
    with transaction.atomic():
        post = Post.objects.select_for_update().filter(workspace_id=workspace_id, pk=post_id).first()
        if post is None or post.status not in (
            PostStatus.SCHEDULED,
            PostStatus.PUBLISHING,
            PostStatus.FAILED,
        ):
            return
        statuses = set(post.targets.values_list("status", flat=True)) - {TargetStatus.CANCELLED}
        if not statuses:
            new = PostStatus.CANCELLED
        elif statuses <= {TargetStatus.PUBLISHED}:
            new = PostStatus.PUBLISHED
        elif statuses <= {TargetStatus.PUBLISHED, TargetStatus.FAILED}:
            new = PostStatus.FAILED
        elif statuses & {TargetStatus.PUBLISHED, TargetStatus.FAILED}:
            new = PostStatus.PUBLISHING
        else:
            new = PostStatus.SCHEDULED
        if new != post.status:
            post.status = new
            post.save(update_fields=["status", "updated_at"])


def target_retry(*, target: PostTarget, by=None, request=None) -> PostTarget:
    """Try a failed target again now (after fixing the account or the text)."""
    with transaction.atomic():
        # The post too, whose status this changes.
        target = (
            PostTarget.objects.select_for_update(of=("self", "post"))
            .select_related("post")
            .get(workspace_id=target.workspace_id, pk=target.pk)
        )
        if target.status != TargetStatus.FAILED:
            return target
        target.status = TargetStatus.SCHEDULED
        target.due_at = timezone.now()
        target.next_attempt_at = None
        target.enqueued_at = None
        target.attempts = 0
        target.save(update_fields=["status", "due_at", "next_attempt_at", "enqueued_at", "attempts"])
        post = target.post
        if post.status == PostStatus.FAILED:
            post.status = PostStatus.PUBLISHING
            post.save(update_fields=["status", "updated_at"])
        audit_record(
            workspace=post.workspace,
            actor=by,
            action="post.target_retry",
            target=post,
            after={"account": target.account_id},
            request=request,
        )
    return target


def held_targets_decide(
    *, workspace, target_ids: list[int], decision: str, at=None, by=None, request=None
) -> int:
    """After a pause: publish the held targets now, move them to `at`, or cancel them."""
    if decision not in ("publish_now", "reschedule", "cancel"):
        raise ValidationError({"decision": "Choose publish_now, reschedule or cancel."})
    if decision == "reschedule" and (at is None or at < timezone.now() - timedelta(minutes=1)):
        raise ValidationError({"scheduled_at": "Choose a time in the future."})
    with transaction.atomic():
        targets = list(
            PostTarget.objects.select_for_update(of=("self",)).filter(
                workspace=workspace, pk__in=target_ids, status=TargetStatus.HELD
            )
        )
        for target in targets:
            if decision == "cancel":
                target.status = TargetStatus.CANCELLED
            else:
                target.status = TargetStatus.SCHEDULED
                target.due_at = timezone.now() if decision == "publish_now" else at
                target.next_attempt_at = None
                target.enqueued_at = None
            target.held_by_pause = None
        PostTarget.objects.bulk_update(
            targets, ["status", "due_at", "next_attempt_at", "enqueued_at", "held_by_pause"]
        )
        audit_record(
            workspace=workspace,
            actor=by,
            action=f"publishing.held_{decision}",
            after={"targets": [t.pk for t in targets], "at": at.isoformat() if at else None},
            request=request,
            object_repr=f"{len(targets)} held posts",
        )
    for post_id in {t.post_id for t in targets}:
        post_status_refresh(workspace_id=workspace.pk, post_id=post_id)
    return len(targets)
