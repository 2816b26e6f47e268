"""A comment from Facebook Page, Instagram or YouTube in its care case: hide or show it, like it or
take the like back, hold it for review, publish or reject it, on the platform (`cxm.channels.engagement_panel`). The panel is registered for the
case page's messages (care/apps.py); replying is the case's own reply box."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from care import selectors
from care.models import ChannelKind, Direction
from care.views.common import can_work, case_or_404
from cxm.channels import engagement_panel
from cxm.channels.services.engagement import COMMENT_ACTIONS
from cxm.tenancy.decorators import workspace_view


def _may_be_comment(message) -> bool:
    return (
        message.direction == Direction.INBOUND
        and message.platform in COMMENT_ACTIONS
        and bool(message.external_id)
    )


def _url(message) -> str:
    return reverse("care:message-engage", args=[message.case_id, message.pk])


def engagement_panels(request: HttpRequest, messages: Sequence) -> Mapping[int, SafeString]:
    """For the case page: under each comment, its state on the platform and the buttons."""
    found = [message for message in messages if _may_be_comment(message)]
    if not found:
        return {}
    public = selectors.public_case_ids(
        workspace=request.workspace, case_ids={message.case_id for message in found}
    )
    found = [message for message in found if message.case_id in public]
    states = engagement_panel.states(
        workspace=request.workspace, comments=[(m.platform, m.external_id) for m in found]
    )
    allowed = can_work(request)
    return {
        message.pk: engagement_panel.panel(
            request,
            key=f"m{message.pk}",
            platform=message.platform,
            action_url=_url(message),
            state=states.get((message.platform, message.external_id)),
            can_act=allowed,
        )
        for message in found
    }


@require_POST
@workspace_view("care.work")
def engage(request, case_id: int, message_id: int):
    """Hide, show, like, unlike or moderate a comment of this case on the platform."""
    case = case_or_404(request, case_id)
    message = selectors.case_message_get(workspace=request.workspace, case_id=case.pk, message_id=message_id)
    account = case.channel_account
    if (
        message is None
        or not _may_be_comment(message)
        or case.channel_kind != ChannelKind.PUBLIC
        or account is None
        or account.platform != message.platform
    ):
        raise Http404
    html = engagement_panel.press(
        request,
        account=account,
        external_id=message.external_id,
        key=f"m{message.pk}",
        action_url=_url(message),
    )
    if not request.htmx:
        return redirect(reverse("care:case", args=[case.pk]))
    return HttpResponse(html)
