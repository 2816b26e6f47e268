"""Deleting our own reply from the platform it went out on (an Instagram or Facebook Page comment
answer): the confirmation that shows what will go, then the request; a worker does it and the case
page shows the reply struck through, with who deleted it and when."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from care import selectors, services
from care.views.common import case_or_404, workspace_context
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message


def mark_deletable(messages_: list, case=None) -> list:
    """Each message says whether an agent may delete it from its platform now (`deletable`)."""
    for message in messages_:
        if case is not None:
            message.case = case
        message.deletable = services.message_deletable(message)
    return messages_


@require_http_methods(["GET", "POST"])
@workspace_view("care.work")
def reply_delete(request, case_id: int, message_id: int):
    """GET: the reply that would be deleted, with the warning; POST: delete it."""
    case = case_or_404(request, case_id)
    message = selectors.case_message_get(workspace=request.workspace, case_id=case.pk, message_id=message_id)
    if message is None:
        raise Http404
    message.case = case
    back = reverse("care:case", args=[case.pk]) + f"#msg-{message.pk}"
    if request.method == "POST":
        try:
            services.message_platform_delete(message=message, by=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, validation_message(exc))
        return redirect(back)
    return render(
        request,
        "care/reply_delete.html",
        {
            **workspace_context(request),
            "case": case,
            "message": message,
            "deletable": services.message_deletable(message),
            "account": case.channel_account,
            "back": back,
        },
    )
