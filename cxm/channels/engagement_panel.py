"""The Hide/Unhide, Like/Unlike and (YouTube) Hold for review/Publish/Reject buttons under a comment, shared by the pages that show one
(care's case page, listening's mention page): the panel's HTML and what a press of a button does.
The pages find the comment and its account and check the permission; this calls the platform
through `cxm.channels.services.engagement` and answers the panel again, with what happened."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cxm.channels.connectors.base import ConnectorError
from cxm.channels.models import ChannelAccount
from cxm.channels.selectors import CommentState, comment_states
from cxm.channels.services import engagement

TEMPLATE = "channels/_comment_engagement.html"

# What a press of each button asks for: the service and the keyword argument that names the
# state it sets.
PRESSES = {
    "hide": (engagement.comment_hide, {"hidden": True}),
    "unhide": (engagement.comment_hide, {"hidden": False}),
    "like": (engagement.comment_like, {"liked": True}),
    "unlike": (engagement.comment_like, {"liked": False}),
    "hold": (engagement.comment_moderate, {"status": "heldForReview"}),
    "publish": (engagement.comment_moderate, {"status": "published"}),
    "reject": (engagement.comment_moderate, {"status": "rejected"}),
}


def _done(action: str) -> str:
    return {
        "hide": _("Hidden on the platform."),
        "unhide": _("Shown on the platform again."),
        "like": _("Liked on the platform."),
        "unlike": _("Like taken back on the platform."),
        "hold": _("Held for review on the platform."),
        "publish": _("Published on the platform."),
        "reject": _("Rejected on the platform: hidden with its replies."),
    }[action]


def panel(
    request: HttpRequest,
    *,
    key: str,
    platform: str,
    action_url: str,
    state: CommentState | None,
    can_act: bool,
    done: str = "",
    error: str = "",
) -> SafeString:
    return render_to_string(
        TEMPLATE,
        {
            "key": key,
            "actions": engagement.comment_actions(platform),
            "action_url": action_url,
            "state": state or CommentState(),
            "can_act": can_act,
            "done": done,
            "error": error,
        },
        request=request,
    )


def states(*, workspace, comments: list[tuple[str, str]]) -> dict[tuple[str, str], CommentState]:
    """`{(platform, external_id): state}` for the comments, one query per platform."""
    found: dict[tuple[str, str], CommentState] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in comments:
        by_platform.setdefault(platform, []).append(external_id)
    for platform, ids in by_platform.items():
        for external_id, state in comment_states(
            workspace=workspace, platform=platform, external_ids=ids
        ).items():
            found[(platform, external_id)] = state
    return found


def press(
    request: HttpRequest, *, account: ChannelAccount, external_id: str, key: str, action_url: str
) -> SafeString:
    """Do what the pressed button (`action` in the POST) asks, on the platform, and answer the
    panel saying so, or saying why the platform did not."""
    action = request.POST.get("action", "")
    done = error = ""
    if action not in PRESSES:
        error = _("Nothing was asked of the platform.")
    else:
        service, state = PRESSES[action]
        try:
            service(account=account, external_id=external_id, by=request.user, request=request, **state)
        except ConnectorError as exc:
            error = str(exc)
        else:
            done = _done(action)
    state = comment_states(workspace=account.workspace, platform=account.platform, external_ids=[external_id])
    return panel(
        request,
        key=key,
        platform=account.platform,
        action_url=action_url,
        state=state.get(external_id),
        can_act=True,
        done=done,
        error=error,
    )
