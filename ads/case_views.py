"""Comments under ads in their care case: the panel each one shows on the case page (hidden on
the platform, or a button to hide it) and the action behind the button. Care's case page does
not know ads; it renders the panels registered for its messages (`cxm.web.panels`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from ads import comments, selectors
from care import selectors as care_selectors
from cxm.channels.connectors.base import ConnectorError
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission

TEMPLATE = "ads/_case_comment_hide.html"


def _is_ad_comment(message) -> bool:
    return (
        message.direction == "inbound" and message.platform == comments.PLATFORM and bool(message.external_id)
    )


def comment_panels(request: HttpRequest, messages: Sequence) -> Mapping[int, SafeString]:
    """For the case page: each comment under an ad says when it was hidden, or offers to hide it."""
    found = [message for message in messages if _is_ad_comment(message)]
    if not found:
        return {}
    hidden = selectors.ad_comments_hidden(
        workspace=request.workspace, comment_ids=[message.external_id for message in found]
    )
    can_work = has_permission(request.membership, "care.work")
    return {
        message.pk: render_to_string(
            TEMPLATE,
            {
                "message": message,
                "hidden": message.external_id in hidden,
                "hidden_at": hidden.get(message.external_id),
                "can_work": can_work,
            },
            request=request,
        )
        for message in found
    }


@require_POST
@workspace_view("care.work")
def case_comment_hide(request, case_id: int, message_id: int):
    """Hide a comment under one of our ads on the platform, from the case it opened."""
    message = care_selectors.case_message_get(
        workspace=request.workspace, case_id=case_id, message_id=message_id
    )
    if message is None or not _is_ad_comment(message):
        raise Http404
    error = ""
    hidden_at = None
    try:
        result = comments.ad_comment_hide_in_case(
            workspace=request.workspace, comment_id=message.external_id, by=request.user, request=request
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except ConnectorError as exc:
        # The platform refused or could not be reached: nothing was recorded as hidden.
        error = str(exc)
    else:
        hidden_at = result.hidden_at
    if not request.htmx:
        return redirect(reverse("care:case", args=[case_id]))
    return render(
        request,
        TEMPLATE,
        {
            "message": message,
            "hidden": not error,
            "hidden_at": hidden_at,
            "can_work": True,
            "hide_error": error,
        },
    )
