"""A post's life from draft to scheduled: compose, submit, review, approve, reschedule, cancel.

Every transition is one transaction and one audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from cxm.audit.services import audit_record
from cxm.channels.models import ChannelAccount
from cxm.tenancy import four_eyes
from cxm.tenancy.models import Membership, Role, Workspace
from cxm.tenancy.permissions import has_permission
from publishing.limits import MAX_THREAD_PARTS, THREAD_PLATFORMS, Check, check_text
from publishing.models import (
    OPEN_STATUSES,
    ApprovalRule,
    Campaign,
    MediaAttachment,
    Post,
    PostComment,
    PostStatus,
    PostTarget,
    TargetStatus,
)

DEFAULT_APPROVER_ROLES = (Role.APPROVER, Role.ADMIN)
MAX_MEDIA_BYTES = 40 * 1024 * 1024


def _state(post: Post) -> dict:
    return {
        "status": post.status,
        "text": post.text,
        "variants": post.variants,
        "thread": list(post.thread),
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "accounts": sorted(post.targets.values_list("account_id", flat=True)) if post.pk else [],
        "campaign": post.campaign_id,
        "tags": list(post.tags),
    }


def _audit(post: Post, action: str, *, by, before=None, request=None) -> None:
    audit_record(
        workspace=post.workspace,
        actor=by,
        action=action,
        target=post,
        before=before,
        after=_state(post),
        request=request,
    )


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def post_checks(
    *, text: str, variants: dict | None, accounts: Iterable[ChannelAccount], media_count: int = 0
) -> list[tuple[ChannelAccount, str, Check]]:
    """Each account's text (after variants) checked against its platform's limits."""
    probe = Post(text=text, variants=variants or {})
    results = []
    for account in accounts:
        account_text = probe.text_for(platform=account.platform, language=account.language)
        results.append(
            (
                account,
                account_text,
                check_text(
                    platform=account.platform, text=account_text, media=media_count, options=account.options
                ),
            )
        )
    return results


def thread_problems(*, thread: Sequence[str], accounts: Iterable[ChannelAccount]) -> list[str]:
    """What stops the thread's further parts going to these accounts: a platform without threads,
    or a part too long for the platform."""
    problems = []
    if not thread:
        return problems
    for account in accounts:
        if account.platform not in THREAD_PLATFORMS:
            problems.append(
                gettext("%(account)s: threads cannot be posted there; remove the account or the thread.")
                % {"account": account.handle}
            )
            continue
        for position, part in enumerate(thread, start=2):
            check = check_text(platform=account.platform, text=part, options=account.options)
            if not check.ok:
                problems.append(
                    gettext("%(account)s, post %(position)s of the thread: %(problem)s.")
                    % {"account": account.handle, "position": position, "problem": check.message}
                )
    return problems


def _validate(
    *,
    workspace: Workspace,
    text: str,
    variants: dict,
    accounts: Sequence[ChannelAccount],
    media_count: int,
    thread: Sequence[str] = (),
) -> None:
    errors: dict[str, list[str]] = {}
    problems = thread_problems(thread=thread, accounts=accounts)
    if problems:
        errors["thread"] = problems
    if not accounts:
        errors.setdefault("accounts", []).append("Choose at least one account.")
    if any(account.workspace_id != workspace.pk for account in accounts):
        errors.setdefault("accounts", []).append("No such account in this workspace.")
    if not (text or "").strip() and not any(str(value).strip() for value in variants.values()):
        errors.setdefault("text", []).append("Write the post's text.")
    for account, _, check in post_checks(
        text=text, variants=variants, accounts=accounts, media_count=media_count
    ):
        if (text or "").strip() and not check.ok:
            errors.setdefault("text", []).append(f"{account.handle}: {check.message}.")
    if errors:
        raise ValidationError(errors)


def _clean_variants(variants: dict | None) -> dict:
    if not variants:
        return {}
    if not isinstance(variants, dict):
        raise ValidationError(
            {"variants": 'Give variants as an object: {"bluesky": "...", "lang:id": "..."}.'}
        )
    return {str(key): str(value) for key, value in variants.items() if str(value).strip()}


def _clean_thread(thread) -> list[str]:
    if not thread:
        return []
    if isinstance(thread, str) or not isinstance(thread, list | tuple):
        raise ValidationError({"thread": gettext("Give the thread's further posts as a list of texts.")})
    parts = [str(part).strip() for part in thread if str(part).strip()]
    if len(parts) + 1 > MAX_THREAD_PARTS:
        raise ValidationError(
            {"thread": gettext("A thread holds at most %(count)s posts.") % {"count": MAX_THREAD_PARTS}}
        )
    return parts


def campaign_for(*, workspace: Workspace, name: str) -> Campaign | None:
    name = (name or "").strip()
    if not name:
        return None
    campaign, _ = Campaign.objects.get_or_create(workspace=workspace, name=name[:200])
    return campaign


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    return sorted({str(tag).strip()[:64] for tag in (tags or []) if str(tag).strip()})


@transaction.atomic
def post_create(
    *,
    workspace: Workspace,
    text: str,
    accounts: Sequence[ChannelAccount],
    scheduled_at: datetime | None = None,
    variants: dict | None = None,
    thread: Sequence[str] = (),
    campaign: Campaign | None = None,
    tags: Iterable[str] | str = (),
    media: Sequence = (),
    by=None,
    request=None,
) -> Post:
    """A draft to these accounts. Nothing is scheduled until it is submitted."""
    variants = _clean_variants(variants)
    thread = _clean_thread(thread)
    accounts = list(dict.fromkeys(accounts))
    _validate(
        workspace=workspace,
        text=text,
        variants=variants,
        accounts=accounts,
        media_count=len(media),
        thread=thread,
    )
    post = Post.objects.create(
        workspace=workspace,
        text=(text or "").strip(),
        variants=variants,
        thread=thread,
        scheduled_at=scheduled_at,
        campaign=campaign,
        tags=_clean_tags(tags),
        created_by=_actor(by),
    )
    PostTarget.objects.bulk_create(
        [PostTarget(workspace=workspace, post=post, account=account) for account in accounts]
    )
    for upload in media:
        media_attach(post=post, upload=upload)
    _audit(post, "post.create", by=by, request=request)
    return post


def media_attach(*, post: Post, upload, description: str = "") -> MediaAttachment:
    size = getattr(upload, "size", 0) or 0
    if size > MAX_MEDIA_BYTES:
        raise ValidationError(
            {"media": f"{upload.name} is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB."}
        )
    content_type = getattr(upload, "content_type", "") or "application/octet-stream"
    if not content_type.startswith(("image/", "video/")):
        raise ValidationError({"media": f"{upload.name}: only images and videos can be attached."})
    return MediaAttachment.objects.create(
        workspace=post.workspace,
        post=post,
        file=upload,
        filename=upload.name[:255],
        content_type=content_type,
        description=description[:1500],
        size=size,
    )


def _require_open(post: Post, verb: str) -> None:
    if post.status not in OPEN_STATUSES:
        raise ValidationError({"status": f"A {post.get_status_display().lower()} post cannot be {verb}."})


def approval_rules(post: Post) -> list[ApprovalRule]:
    units = post.targets.values_list("account__business_unit_id", flat=True)
    return list(
        ApprovalRule.objects.filter(workspace=post.workspace, business_unit_id__in=units)
        .select_related("business_unit")
        .prefetch_related("approvers")
    )


def needs_approval(post: Post) -> bool:
    return bool(approval_rules(post))


def approve_refusal(*, post: Post, membership: Membership | None) -> str | None:
    """Why `membership` may not approve the post (shown beside the missing control); None: it may."""
    if membership is None or not has_permission(membership, "publishing.approve"):
        return gettext("Only approvers can approve posts.")
    refusal = four_eyes.self_approval_refusal(author_id=post.created_by_id, membership=membership)
    if refusal is not None:
        return refusal
    for rule in approval_rules(post):
        people = {user.pk for user in rule.approvers.all()}
        roles = set(rule.roles) or set(DEFAULT_APPROVER_ROLES) if not people else set(rule.roles)
        if membership.user_id not in people and membership.role not in roles:
            return gettext("You are not one of this post's approvers.")
    return None


def can_approve(*, post: Post, membership: Membership | None) -> bool:
    return approve_refusal(post=post, membership=membership) is None


def _schedule(post: Post) -> None:
    """Approved (or needing no approval): its targets are due at its time, now if it has none."""
    now = timezone.now()
    if post.scheduled_at is None or post.scheduled_at < now:
        post.scheduled_at = now
    post.status = PostStatus.SCHEDULED
    post.save(
        update_fields=["status", "scheduled_at", "approved_by", "approved_at", "submitted_at", "updated_at"]
    )
    post.targets.filter(status__in=[TargetStatus.PENDING, TargetStatus.SCHEDULED]).update(
        status=TargetStatus.SCHEDULED, due_at=post.scheduled_at, enqueued_at=None, next_attempt_at=None
    )


def _check_time(post: Post) -> None:
    if post.scheduled_at is not None and post.scheduled_at < timezone.now() - timezone.timedelta(minutes=1):
        raise ValidationError(
            {
                "scheduled_at": "This time is in the past; choose a later time or leave it empty to publish now."
            }
        )


def _locked(post: Post) -> Post:
    return Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post.pk)


@transaction.atomic
def post_submit(*, post: Post, by=None, request=None) -> Post:
    """Send a draft to review, or straight to the schedule where no approval rule applies."""
    post = _locked(post)
    if post.status != PostStatus.DRAFT:
        raise ValidationError({"status": "Only a draft can be submitted."})
    _check_time(post)
    before = _state(post)
    post.submitted_at = timezone.now()
    if needs_approval(post):
        post.status = PostStatus.IN_REVIEW
        post.save(update_fields=["status", "submitted_at", "updated_at"])
        _audit(post, "post.submit", by=by, before=before, request=request)
    else:
        _schedule(post)
        _audit(post, "post.schedule", by=by, before=before, request=request)
    return post


@transaction.atomic
def post_approve(*, post: Post, membership: Membership, comment: str = "", request=None) -> Post:
    post = _locked(post)
    if post.status != PostStatus.IN_REVIEW:
        raise ValidationError({"status": "Only a post in review can be approved."})
    # four eyes first: its own answer (403 in the API), whatever the rule says
    four_eyes.self_approval_check(author_id=post.created_by_id, membership=membership)
    refusal = approve_refusal(post=post, membership=membership)
    if refusal is not None:
        raise ValidationError({"approver": refusal})
    before = _state(post)
    by = membership.user
    PostComment.objects.create(
        workspace=post.workspace, post=post, author=by, kind=PostComment.Kind.APPROVED, text=comment.strip()
    )
    post.status = PostStatus.APPROVED
    post.approved_by = by
    post.approved_at = timezone.now()
    _audit(post, "post.approve", by=by, before=before, request=request)
    before = _state(post)
    _schedule(post)
    _audit(post, "post.schedule", by=by, before=before, request=request)
    return post


@transaction.atomic
def post_request_changes(*, post: Post, membership: Membership, comment: str, request=None) -> Post:
    post = _locked(post)
    if post.status != PostStatus.IN_REVIEW:
        raise ValidationError({"status": "Only a post in review can be sent back."})
    if not has_permission(membership, "publishing.approve"):
        raise ValidationError({"approver": "Only approvers can request changes."})
    if not comment.strip():
        raise ValidationError({"comment": "Say what should change."})
    before = _state(post)
    PostComment.objects.create(
        workspace=post.workspace,
        post=post,
        author=membership.user,
        kind=PostComment.Kind.CHANGES_REQUESTED,
        text=comment.strip(),
    )
    post.status = PostStatus.DRAFT
    post.save(update_fields=["status", "updated_at"])
    _audit(post, "post.request_changes", by=membership.user, before=before, request=request)
    return post


def post_comment(*, post: Post, by, text: str) -> PostComment:
    if not text.strip():
        raise ValidationError({"text": "Write a comment."})
    return PostComment.objects.create(
        workspace=post.workspace, post=post, author=_actor(by), text=text.strip()
    )


@transaction.atomic
def post_update(
    *,
    post: Post,
    text: str | None = None,
    accounts: Sequence[ChannelAccount] | None = None,
    scheduled_at: datetime | None = None,
    variants: dict | None = None,
    thread: Sequence[str] | None = None,
    campaign: Campaign | None = None,
    tags=None,
    by=None,
    request=None,
) -> Post:
    """Change a post that has not gone out. An approved post goes back to review."""
    post = _locked(post)
    _require_open(post, "edited")
    before = _state(post)
    if text is not None:
        post.text = text.strip()
    if variants is not None:
        post.variants = _clean_variants(variants)
    if thread is not None:
        post.thread = _clean_thread(thread)
    if scheduled_at is not None:
        post.scheduled_at = scheduled_at
    if campaign is not None:
        post.campaign = campaign
    if tags is not None:
        post.tags = _clean_tags(tags)
    current = list(ChannelAccount.objects.filter(pk__in=post.targets.values("account_id")))
    wanted = list(dict.fromkeys(accounts)) if accounts is not None else current
    _validate(
        workspace=post.workspace,
        text=post.text,
        variants=post.variants,
        accounts=wanted,
        media_count=post.media.count(),
        thread=post.thread,
    )
    if accounts is not None:
        wanted_ids = {account.pk for account in wanted}
        post.targets.exclude(account_id__in=wanted_ids).delete()
        have = set(post.targets.values_list("account_id", flat=True))
        PostTarget.objects.bulk_create(
            [
                PostTarget(workspace=post.workspace, post=post, account=account)
                for account in wanted
                if account.pk not in have
            ]
        )
    _check_time(post)
    content_changed = (
        before["text"] != post.text
        or before["variants"] != post.variants
        or before["thread"] != post.thread
        or (accounts is not None and before["accounts"] != sorted(a.pk for a in wanted))
    )
    if (
        content_changed
        and post.approved_at is not None
        and post.status
        in (
            PostStatus.APPROVED,
            PostStatus.SCHEDULED,
        )
    ):
        post.status = PostStatus.IN_REVIEW
        post.approved_at = None
        post.approved_by = None
        post.targets.update(status=TargetStatus.PENDING, due_at=None, enqueued_at=None)
        post.save()
        _audit(post, "post.update", by=by, before=before, request=request)
        return post
    post.save()
    if post.status == PostStatus.SCHEDULED:
        _schedule(post)
    _audit(post, "post.update", by=by, before=before, request=request)
    return post


@transaction.atomic
def post_reschedule(*, post: Post, at: datetime, by=None, request=None) -> Post:
    """Move a post in the calendar. The content is unchanged, so no new review is needed."""
    post = _locked(post)
    _require_open(post, "rescheduled")
    if at < timezone.now() - timezone.timedelta(minutes=1):
        raise ValidationError({"scheduled_at": "This time is in the past."})
    before = _state(post)
    post.scheduled_at = at
    post.save(update_fields=["scheduled_at", "updated_at"])
    post.targets.filter(status=TargetStatus.SCHEDULED).update(
        due_at=at, enqueued_at=None, next_attempt_at=None
    )
    _audit(post, "post.reschedule", by=by, before=before, request=request)
    return post


@transaction.atomic
def post_cancel(*, post: Post, by=None, request=None) -> Post:
    post = _locked(post)
    if post.status not in (*OPEN_STATUSES, PostStatus.PUBLISHING):
        raise ValidationError({"status": f"A {post.get_status_display().lower()} post cannot be cancelled."})
    before = _state(post)
    # Targets being published right now are row-locked by their worker; waiting for them means a
    # target is either published or cancelled, never both.
    targets = PostTarget.objects.select_for_update(of=("self",)).filter(
        post=post, status__in=[TargetStatus.PENDING, TargetStatus.SCHEDULED, TargetStatus.HELD]
    )
    PostTarget.objects.filter(pk__in=[t.pk for t in targets]).update(status=TargetStatus.CANCELLED)
    post.status = PostStatus.CANCELLED
    post.save(update_fields=["status", "updated_at"])
    _audit(post, "post.cancel", by=by, before=before, request=request)
    return post


@transaction.atomic
def approval_rule_set(
    *,
    workspace: Workspace,
    business_unit,
    roles: Iterable[str] = (),
    approvers: Iterable = (),
    by=None,
    request=None,
) -> ApprovalRule | None:
    """Require approval for posts to this business unit's accounts; no roles and no people lifts it."""
    roles = [role for role in roles if role in Role.values]
    approvers = list(approvers)
    existing = ApprovalRule.objects.filter(workspace=workspace, business_unit=business_unit).first()
    if not roles and not approvers:
        if existing is not None:
            existing.delete()
            audit_record(
                workspace=workspace,
                actor=by,
                action="publishing.approval_rule_remove",
                object_repr=str(business_unit),
                request=request,
            )
        return None
    rule = existing or ApprovalRule(workspace=workspace, business_unit=business_unit)
    rule.roles = roles
    rule.save()
    rule.approvers.set(approvers, through_defaults={"workspace": workspace})
    audit_record(
        workspace=workspace,
        actor=by,
        action="publishing.approval_rule_set",
        target=rule,
        after={"roles": roles, "approvers": [user.pk for user in approvers]},
        request=request,
    )
    return rule
