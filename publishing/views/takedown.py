"""Deleting a published post from its platforms: the confirmation that lists what will go, the
request itself, and one account's row of the post page, polled while its deletion is under way."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cxm.channels.models import DeletionStatus
from cxm.web.errors import validation_message
from publishing import selectors, services
from publishing.views.common import post_or_404, publishing_view, to_int


def _ids(values) -> list[int]:
    return [number for number in (to_int(value) for value in values) if number is not None]


def _platforms(targets) -> str:
    return ", ".join(dict.fromkeys(str(target.account.get_platform_display()) for target in targets))


@require_http_methods(["GET", "POST"])
@publishing_view("publishing.compose")
def take_down(request, post_id: int):
    """GET: what deleting would remove, with the warning; POST: delete it (from the confirmation,
    or Retry after a failure)."""
    post = post_or_404(request, post_id)
    if request.method == "POST":
        return _take_down(request, post)
    return _confirm(request, post)


def _confirm(request, post):
    """`targets`: the accounts' target ids (every one that can be deleted, without)."""
    wanted = _ids(request.GET.getlist("targets")) or None
    targets = selectors.take_down_candidates(post=post, target_ids=wanted)
    for target in targets:
        target.text = post.text_for(platform=target.account.platform, language=target.account.language)
    return render(
        request,
        "publishing/take_down.html",
        {"post": post, "targets": targets, "platforms": _platforms(targets)},
    )


def _take_down(request, post):
    """A worker deletes the chosen targets' posts; the post page shows each result."""
    targets = selectors.post_targets(post=post, target_ids=_ids(request.POST.getlist("targets")))
    if not targets:
        messages.error(request, _("Choose an account to delete the post from."))
        return redirect("publishing:post", post_id=post.pk)
    try:
        targets = services.targets_take_down(targets=targets, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
        return redirect("publishing:post", post_id=post.pk)
    asked = [t for t in targets if t.takedown_status == DeletionStatus.REQUESTED]
    refused = [t for t in targets if t.takedown_status == DeletionStatus.NOT_ALLOWED]
    if asked:
        messages.success(request, _("Deleting from %(platforms)s…") % {"platforms": _platforms(asked)})
    if refused:
        messages.error(request, _("Not allowed on %(platforms)s") % {"platforms": _platforms(refused)})
    if not asked and not refused:
        messages.info(request, _("Nothing more to delete: each account below says where its post stands."))
    return redirect("publishing:post", post_id=post.pk)


@require_GET
@publishing_view("publishing.view")
def target_row(request, target_id: int):
    """One account's row of the post page; polled while its deletion is under way."""
    target = selectors.target_get(workspace=request.workspace, target_id=target_id)
    if target is None:
        raise Http404
    target.can_take_down = selectors.can_take_down(target)
    return render(request, "publishing/_target_row.html", {"target": target, "post": target.post})
