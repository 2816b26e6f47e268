"""What the audit log calls the actions of inviting people, choosing a default workspace,
creating workspaces and ending API tokens, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "member.invite": _("Person invited"),
    "member.invite_resend": _("Invitation sent again"),
    "member.invite_revoke": _("Invitation revoked"),
    "member.invite_accept": _("Invitation accepted"),
    "workspace.create": _("Workspace created"),
    "user.default_workspace": _("Default workspace changed"),
    "api_token.revoke": _("API token revoked"),
    "api_token.revoke_all": _("All API tokens revoked"),
}
