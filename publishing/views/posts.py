"""One post's life in the pages: compose and edit (with live validation), its page with the
workflow buttons and comments, the review queue, and who approves what."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxm.audit import selectors as audit_selectors
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.four_eyes import SelfApprovalRefused
from cxm.web.errors import validation_message
from publishing import selectors, services
from publishing.forms import ApprovalRuleForm, PostForm
from publishing.models import PostStatus
from publishing.views.common import add_service_errors, post_or_404, publishing_view, to_int


def _post_fields(request, form: PostForm) -> dict:
    data = form.cleaned_data
    return {
        "text": data["text"],
        "accounts": list(data["accounts"]),
        "scheduled_at": data["scheduled_at"],
        "variants": form.variants(),
        "thread": data["thread"],
        "campaign": services.campaign_for(workspace=request.workspace, name=data["campaign"]),
        "tags": data["tags"],
    }


def _saved_message(post) -> str:
    if post.status == PostStatus.IN_REVIEW:
        return _held_note(post, _("Submitted for review."))
    if post.status == PostStatus.SCHEDULED:
        return _held_note(post, _("Scheduled."))
    return _("Draft saved.")


def _held_note(post, done: str) -> str:
    """A post submitted while publishing is paused will not go out on time: say so now, not
    when it turns up among the held posts."""
    if selectors.pause_holding(post=post) is None:
        return done
    return "{} {}".format(
        done,
        _("Publishing is paused: this post will be held when it falls due, until an admin decides."),
    )


@publishing_view("publishing.compose")
def post_compose(request):
    form = PostForm(request.POST or None, request.FILES or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            # Saving and submitting succeed together, so a refused submit leaves no stray draft.
            with transaction.atomic():
                post = services.post_create(
                    workspace=request.workspace,
                    media=form.cleaned_data["media"],
                    by=request.user,
                    request=request,
                    **_post_fields(request, form),
                )
                if request.POST.get("action") == "submit":
                    post = services.post_submit(post=post, by=request.user, request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _saved_message(post))
            return redirect("publishing:post", post_id=post.pk)
    return render(request, "publishing/compose.html", {"form": form, "post": None})


@publishing_view("publishing.compose")
def post_edit(request, post_id: int):
    post = post_or_404(request, post_id)
    if not post.is_open:
        messages.error(request, _("Only a post that has not gone out can be edited."))
        return redirect("publishing:post", post_id=post.pk)
    form = PostForm(request.POST or None, request.FILES or None, workspace=request.workspace, post=post)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                post = services.post_update(
                    post=post, by=request.user, request=request, **_post_fields(request, form)
                )
                for upload in form.cleaned_data["media"]:
                    services.media_attach(post=post, upload=upload)
                if request.POST.get("action") == "submit" and post.status == PostStatus.DRAFT:
                    post = services.post_submit(post=post, by=request.user, request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _saved_message(post))
            return redirect("publishing:post", post_id=post.pk)
    return render(request, "publishing/compose.html", {"form": form, "post": post})


@require_POST
@publishing_view("publishing.compose")
def compose_check(request):
    """Live validation while typing: each chosen account's length against its platform's limit."""
    form = PostForm(request.POST, workspace=request.workspace)
    form.is_valid()  # parses what can be parsed; the service's checks below are what is shown
    data = getattr(form, "cleaned_data", {})
    accounts = list(data.get("accounts") or [])
    checks = services.post_checks(
        text=data.get("text", ""),
        variants=form.variants(),
        accounts=accounts,
        media_count=to_int(request.POST.get("media_count")) or 0,
    )
    has_text = bool(data.get("text", "").strip()) or bool(form.variants())
    thread = services.thread_problems(thread=data.get("thread") or [], accounts=accounts)
    return render(
        request,
        "publishing/_compose_checks.html",
        {"checks": checks, "thread_problems": thread, "no_accounts": not accounts, "no_text": not has_text},
    )


def _approval(request, post) -> dict:
    """Whether the viewer may approve the post and, if not, the reason shown instead of the control."""
    refusal = services.approve_refusal(post=post, membership=request.membership)
    return {"can_approve": refusal is None, "approve_refusal": refusal or ""}


def _detail_context(request, post) -> dict:
    for target in post.targets.all():
        target.can_take_down = selectors.can_take_down(target)
    return {
        "post": post,
        **_approval(request, post),
        "history": audit_selectors.audit_entries_for(workspace=request.workspace, target=post)[:50],
    }


@publishing_view("publishing.view")
def post_detail(request, post_id: int):
    post = post_or_404(request, post_id)
    return render(request, "publishing/post.html", _detail_context(request, post))


def _acted(request, post, action, done):
    """Run one workflow service for the post; the review queue's inline forms get their item back.
    `done` is the confirmation, or a callable that words it once the action has run."""
    error = ""
    try:
        action()
    except ValidationError as exc:
        error = validation_message(exc)
    except SelfApprovalRefused as exc:
        error = str(exc)
    if callable(done) and not error:
        done = done()
    if request.htmx and request.htmx.target == f"review-{post.pk}":
        post = post_or_404(request, post.pk)
        context = {
            "post": post,
            **_approval(request, post),
            "error": error,
            "done": "" if error else done,
        }
        return render(request, "publishing/_review_item.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("publishing:post", post_id=post.pk)


@require_POST
@publishing_view("publishing.compose")
def post_submit(request, post_id: int):
    post = post_or_404(request, post_id)
    return _acted(
        request,
        post,
        lambda: services.post_submit(post=post, by=request.user, request=request),
        lambda: _held_note(post, _("Submitted.")),
    )


@require_POST
@publishing_view("publishing.approve")
def post_approve(request, post_id: int):
    post = post_or_404(request, post_id)
    return _acted(
        request,
        post,
        lambda: services.post_approve(
            post=post, membership=request.membership, comment=request.POST.get("comment", ""), request=request
        ),
        lambda: _held_note(post, _("Approved and scheduled.")),
    )


@require_POST
@publishing_view("publishing.approve")
def post_request_changes(request, post_id: int):
    post = post_or_404(request, post_id)
    return _acted(
        request,
        post,
        lambda: services.post_request_changes(
            post=post, membership=request.membership, comment=request.POST.get("comment", ""), request=request
        ),
        _("Sent back to the author."),
    )


@require_POST
@publishing_view("publishing.compose")
def post_cancel(request, post_id: int):
    post = post_or_404(request, post_id)
    return _acted(
        request,
        post,
        lambda: services.post_cancel(post=post, by=request.user, request=request),
        _("Cancelled."),
    )


@require_POST
@publishing_view("publishing.view")
def post_comment(request, post_id: int):
    post = post_or_404(request, post_id)
    error = ""
    try:
        services.post_comment(post=post, by=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        error = validation_message(exc)
    done = "" if error else _("Comment added.")
    if request.htmx:
        post = post_or_404(request, post_id)
        return render(
            request, "publishing/_comments.html", {"post": post, "comment_error": error, "comment_done": done}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("publishing:post", post_id=post.pk)


@require_POST
@publishing_view("publishing.compose")
def target_retry(request, target_id: int):
    target = selectors.target_get(workspace=request.workspace, target_id=target_id)
    if target is None:
        raise Http404
    services.target_retry(target=target, by=request.user, request=request)
    messages.success(request, _("Publishing to %(account)s again.") % {"account": target.account.handle})
    return redirect("publishing:post", post_id=target.post_id)


@publishing_view("publishing.view")
def media_file(request, post_id: int, media_id: int):
    media = selectors.media_get(workspace=request.workspace, post_id=post_id, media_id=media_id)
    if media is None:
        raise Http404
    return FileResponse(media.file.open("rb"), content_type=media.content_type, filename=media.filename)


@publishing_view("publishing.view")
def review(request):
    items = [
        {"post": post, **_approval(request, post)}
        for post in selectors.review_queue(workspace=request.workspace)
    ]
    return render(request, "publishing/review.html", {"items": items})


@publishing_view("workspace.manage")
def approval_rules(request):
    workspace = request.workspace
    units = list(tenancy_selectors.business_units(workspace=workspace))
    rules = {rule.business_unit_id: rule for rule in selectors.approval_rules(workspace=workspace)}
    posted_unit = to_int(request.POST.get("business_unit")) if request.method == "POST" else None
    if posted_unit is not None and posted_unit not in {unit.pk for unit in units}:
        raise Http404
    rows = []
    for unit in units:
        rule = rules.get(unit.pk)
        initial = {"roles": rule.roles, "approvers": list(rule.approvers.all())} if rule else {}
        bound = request.POST if posted_unit == unit.pk else None
        form = ApprovalRuleForm(bound, workspace=workspace, initial=initial, prefix=f"unit-{unit.pk}")
        if bound is not None and form.is_valid():
            services.approval_rule_set(
                workspace=workspace,
                business_unit=unit,
                roles=form.cleaned_data["roles"],
                approvers=form.cleaned_data["approvers"],
                by=request.user,
                request=request,
            )
            messages.success(request, _("Approval rule for %(unit)s saved.") % {"unit": unit.name})
            return redirect("publishing:approval-rules")
        rows.append({"unit": unit, "rule": rule, "form": form})
    return render(request, "publishing/approval_rules.html", {"rows": rows})
