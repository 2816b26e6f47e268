"""Hide, show again, like and unlike a comment on the platform, through the channel account's
connector, from wherever a person reads it (care's case page, listening's Explorer).

The platform's answer comes first: nothing is recorded unless Meta confirmed the change
(`{"success": true}`), and a refusal raises the connector's error for the page to show. Neither a
care message nor a listening mention has a column for "hidden" or "liked", so the audit trail is
the record: every confirmed change is an audit entry naming the account, the comment and the new
state, and `cxm.channels.selectors.comment_states` reads the latest state of each comment back from it.

What each platform lets an account do to a comment:

    facebook_page  hide, like     (`POST /{comment-id}` with is_hidden; `POST|DELETE /{comment-id}/likes`)
    instagram      hide           (`POST /{ig-comment-id}` with hide; the Graph API has no like)
    youtube        moderate       (`comments.setModerationStatus`: heldForReview, published, rejected;
                                   a comment on the channel's own videos)
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.channels.connectors.base import NotSupported
from cxm.channels.models import ChannelAccount
from cxm.channels.selectors import COMMENT_STATE_OF, HIDDEN, LIKED, MODERATED, SHOWN, UNLIKED
from cxm.channels.services.accounts import account_connector

HIDE = "hide"
LIKE = "like"
MODERATE = "moderate"
MODERATION_STATUSES = ("heldForReview", "published", "rejected")

COMMENT_ACTIONS: dict[str, frozenset[str]] = {
    "facebook_page": frozenset({HIDE, LIKE}),
    "instagram": frozenset({HIDE}),
    "youtube": frozenset({MODERATE}),
}


def comment_actions(platform: str) -> frozenset[str]:
    """What an account on `platform` can do to a comment there (empty: nothing)."""
    return COMMENT_ACTIONS.get(platform, frozenset())


def _refuse_unless(account: ChannelAccount, action: str) -> None:
    if action not in comment_actions(account.platform):
        if action == HIDE:
            message = _("%(platform)s does not let an account hide comments.")
        elif action == MODERATE:
            message = _("%(platform)s does not let an account moderate comments.")
        else:
            message = _("%(platform)s does not let an account like comments.")
        raise NotSupported(message % {"platform": account.get_platform_display()})


def _record(
    account: ChannelAccount, *, external_id: str, action: str, by, request, value: str | bool | None = None
) -> None:
    field, fixed = COMMENT_STATE_OF[action]
    value = fixed if value is None else value
    audit_record(
        workspace=account.workspace,
        actor=by,
        action=action,
        target=account,
        after={"platform": account.platform, "external_id": str(external_id), field: value},
        request=request,
        object_repr=f"{account.platform} comment {external_id}",
    )


def comment_hide(*, account: ChannelAccount, external_id: str, hidden: bool, by=None, request=None) -> None:
    """Hide the comment on the platform (or show it again), then audit it. Raises NotSupported
    when the platform has no such action, or the connector's error when it refused."""
    _refuse_unless(account, HIDE)
    connector = account_connector(account)
    if hasattr(connector, "comment_hide"):  # Instagram
        connector.comment_hide(str(external_id), hidden=hidden)
    elif hidden:
        connector.hide(str(external_id))
    else:
        connector.unhide(str(external_id))
    _record(account, external_id=external_id, action=HIDDEN if hidden else SHOWN, by=by, request=request)


def comment_like(*, account: ChannelAccount, external_id: str, liked: bool, by=None, request=None) -> None:
    """Like the comment as the account (or take the like back), then audit it. Raises
    NotSupported on a platform without likes (Instagram)."""
    _refuse_unless(account, LIKE)
    connector = account_connector(account)
    if liked:
        connector.like(str(external_id))
    else:
        connector.unlike(str(external_id))
    _record(account, external_id=external_id, action=LIKED if liked else UNLIKED, by=by, request=request)


def comment_moderate(
    *, account: ChannelAccount, external_id: str, status: str, by=None, request=None
) -> None:
    """Hold the comment for review, publish it or reject it on the platform (YouTube), then audit
    it. Raises NotSupported elsewhere, or the connector's error when the platform refused."""
    _refuse_unless(account, MODERATE)
    if status not in MODERATION_STATUSES:
        raise ValueError(f"unknown moderation status {status!r}")
    account_connector(account).set_moderation_status(str(external_id), status)
    _record(account, external_id=external_id, action=MODERATED, by=by, request=request, value=status)
