"""Four eyes: whoever wrote a post or an ad campaign does not approve it.

The one rule both approval workflows (publishing posts, ads campaigns) consult, in their services,
so pages and API obey it alike. A workspace may let its admins approve their own work
(`Workspace.allow_admin_self_approval`, off by default, changed on Admin → Security and audited);
no other role ever may.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cxm.tenancy.models import Membership, Role


class SelfApprovalRefused(PermissionDenied):
    """An approval refused because the approver wrote the item (API: 403, code `self_approval`)."""

    code = "self_approval"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def self_approval_refusal(*, author_id: int | None, membership: Membership) -> str | None:
    """Why `membership` may not approve an item written by `author_id`; None when it may."""
    if author_id is None or author_id != membership.user_id:
        return None
    if membership.role == Role.ADMIN and membership.workspace.allow_admin_self_approval:
        return None
    return _("You wrote this, so someone else has to approve it (four eyes).")


def self_approval_check(*, author_id: int | None, membership: Membership) -> None:
    """Raise `SelfApprovalRefused` when `membership` wrote what it is about to approve."""
    refusal = self_approval_refusal(author_id=author_id, membership=membership)
    if refusal is not None:
        raise SelfApprovalRefused(refusal)
