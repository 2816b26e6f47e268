"""Inviting people into a workspace: every write of an invitation, and its e-mail.

Nobody becomes a member without agreeing: an admin invites an address, and the person behind it
accepts through the link (a newcomer by choosing a password, someone with an account by signing
in). Making an invitation never looks the address up, so its answer and its e-mail are the same
whether the address has an account anywhere or not.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.tenancy.models import Invitation, Membership, Role, User, Workspace
from cxm.tenancy.selectors import user_has_account
from cxm.tenancy.services import membership_add, workspace_create

logger = logging.getLogger(__name__)


def invitation_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def invitation_link(key: str) -> str:
    return f"{settings.CXM_BASE_URL}{reverse('invitation-accept', args=[key])}"


def _new_key(invitation: Invitation) -> str:
    """Give the invitation a fresh link (an older one stops working) good for the next days."""
    key = secrets.token_urlsafe(32)
    invitation.key_hash = invitation_key_hash(key)
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(days=settings.CXM_INVITATION_DAYS)
    return key


def _send(invitation: Invitation, key: str) -> bool:
    """Mail the link. A mail server that refuses is logged, not raised: the invitation stands
    and can be re-sent."""
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "CXM"
    subject = _("You are invited to %(workspace)s on CXM") % {"workspace": invitation.workspace.name}
    body = _(
        "Hello %(name)s,\n\n"
        "%(inviter)s invited you to the workspace %(workspace)s on CXM, as %(role)s.\n\n"
        "Open this link to accept:\n%(link)s\n\n"
        "If you already have an account, sign in when asked; otherwise choose a password there.\n"
        "The link works once and until %(expires)s.\n"
    ) % {
        "name": invitation.name or invitation.email,
        "inviter": inviter,
        "workspace": invitation.workspace.name,
        "role": invitation.role_label,
        "link": invitation_link(key),
        "expires": formats.date_format(invitation.expires_at, "DATETIME_FORMAT") + " UTC",
    }
    try:
        send_mail(subject, body, None, [invitation.email], fail_silently=False)
    except (smtplib.SMTPException, OSError):
        logger.exception("the invitation e-mail to %s could not be sent", invitation.email)
        return False
    return True


def _refuse_duplicate(*, workspace: Workspace, email: str) -> None:
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This user is already a member of the workspace.")})
    open_ones = Invitation.objects.select_for_update().filter(
        workspace=workspace, email__iexact=email, status=Invitation.Status.PENDING
    )
    for invitation in open_ones:
        if invitation.is_open:
            raise ValidationError({"email": _("An invitation to this address exists already.")})
        # An expired one makes way for the new one.
        invitation.status = Invitation.Status.REVOKED
        invitation.finished_at = timezone.now()
        invitation.save(update_fields=["status", "finished_at"])


def invitation_create(
    *, workspace: Workspace, email: str, name: str, role: str, by: User | None, request=None
) -> Invitation:
    """Invite `email` to `workspace` with `role`, and mail them the link."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    email = email.strip()
    try:
        with transaction.atomic():
            _refuse_duplicate(workspace=workspace, email=email)
            invitation = Invitation(
                workspace=workspace, email=email, name=name.strip(), role=role, invited_by=by
            )
            key = _new_key(invitation)
            invitation.save()
            after = {"role": role, "name": invitation.name}
            _audit(invitation, "member.invite", actor=by, request=request, after=after)
    except IntegrityError:
        # Two admins inviting the same address at the same moment: the second finds the first.
        raise ValidationError({"email": _("An invitation to this address exists already.")}) from None
    _send(invitation, key)
    return invitation


def invitation_resend(*, invitation: Invitation, by: User | None, request=None) -> Invitation:
    """Mail a new link, good for another full period; the previous link stops working."""
    with transaction.atomic():
        invitation = _locked(invitation, pending=True)
        key = _new_key(invitation)
        invitation.save(update_fields=["key_hash", "sent_at", "expires_at"])
        _audit(invitation, "member.invite_resend", actor=by, request=request)
    _send(invitation, key)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User | None, request=None) -> None:
    """Withdraw a pending invitation; its link stops working."""
    invitation = _locked(invitation, pending=True)
    invitation.status = Invitation.Status.REVOKED
    invitation.finished_at = timezone.now()
    invitation.save(update_fields=["status", "finished_at"])
    _audit(invitation, "member.invite_revoke", actor=by, request=request, before={"role": invitation.role})


def _locked(invitation: Invitation, *, pending: bool = False, usable: bool = False) -> Invitation:
    """The invitation, locked, refused unless still pending (or still usable: a link works once)."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=invitation.pk)
    )
    if pending and invitation.status != Invitation.Status.PENDING:
        raise ValidationError({"invitation": _("This invitation was already accepted or revoked.")})
    if usable and not invitation.is_open:
        raise ValidationError(_("This invitation link is no longer valid."))
    return invitation


def _audit(invitation: Invitation, action: str, *, actor: User | None, request, **states) -> None:
    audit_record(
        workspace=invitation.workspace,
        actor=actor,
        action=action,
        target=invitation,
        object_repr=invitation.email,
        request=request,
        **states,
    )


def _accept(invitation: Invitation, *, user: User, request) -> Membership:
    membership = membership_add(
        workspace=invitation.workspace, user=user, role=invitation.role, by=user, request=request
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.finished_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "finished_at"])
    after = {"role": invitation.role, "user": user.get_username()}
    _audit(invitation, "member.invite_accept", actor=user, request=request, after=after)
    return membership


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, request=None) -> Membership:
    """Someone signed in accepts the invitation sent to their own address."""
    invitation = _locked(invitation, usable=True)
    if user.email.strip().lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s; sign in with the account of that address.")
            % {"email": invitation.email}
        )
    if Membership.objects.filter(workspace=invitation.workspace, user=user).exists():
        raise ValidationError(_("You are already a member of this workspace."))
    return _accept(invitation, user=user, request=request)


@transaction.atomic
def invitation_accept_new_account(
    *, invitation: Invitation, username: str, password: str, request=None
) -> Membership:
    """A newcomer accepts by choosing a username and password; their account is made now."""
    invitation = _locked(invitation, usable=True)
    if user_has_account(email=invitation.email):
        raise ValidationError(_("An account with this address exists: sign in to accept."))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken; choose another.")})
    first_name, _space, last_name = invitation.name.partition(" ")
    user = User(username=username, email=invitation.email, first_name=first_name, last_name=last_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return _accept(invitation, user=user, request=request)


def workspace_provision(
    *, name: str, slug: str = "", admin_email: str = "", admin_name: str = "", by: User, request=None
) -> Workspace:
    """The platform owner creates a workspace. Its first admin is invited at `admin_email`;
    without an address the owner becomes its admin."""
    if not by.is_superuser:
        raise PermissionDenied("Only a platform owner (superuser) can create workspaces.")
    with transaction.atomic():
        workspace = workspace_create(
            name=name, slug=slug, owner=None if admin_email else by, by=by, request=request
        )
        if admin_email:
            invitation_create(
                workspace=workspace,
                email=admin_email,
                name=admin_name,
                role=Role.ADMIN,
                by=by,
                request=request,
            )
    return workspace
