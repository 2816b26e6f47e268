"""Inviting people from Admin → Members, and the page an invitation's link opens."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import SetPasswordMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.audit import services as audit_services
from cxm.tenancy import invitations as invitation_services
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy import two_factor
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.middleware import SESSION_KEY
from cxm.tenancy.models import Membership, Role
from cxm.web.errors import validation_message


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


def invite(request, form: InviteForm) -> bool:
    """Create the invitation the form describes; False (with the error on the form) if refused."""
    try:
        invitation_services.invitation_create(
            workspace=request.workspace, by=request.user, request=request, **form.cleaned_data
        )
    except ValidationError as error:
        form.add_error(None, validation_message(error))
        return False
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    _say_where_mail_goes(request)
    return True


def _say_where_mail_goes(request) -> None:
    """Out of the box no mail server is set up and mail is printed where the platform runs: an
    admin who is not told so waits for an invitation that never reaches an inbox."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
        messages.info(
            request,
            _(
                "No mail server is set up (CXM_EMAIL_BACKEND), so the e-mail with the link is printed "
                "in the terminal where the platform runs: pass the link on yourself."
            ),
        )


def _pending(request, invitation_id: int):
    return get_object_or_404(
        tenancy_selectors.invitations_pending(workspace=request.workspace), pk=invitation_id
    )


@require_POST
@workspace_view("workspace.manage")
def admin_invitation_resend(request, invitation_id: int):
    invitation = _pending(request, invitation_id)
    invitation_services.invitation_resend(invitation=invitation, by=request.user, request=request)
    messages.success(request, _("Invitation sent again to %(email)s.") % {"email": invitation.email})
    _say_where_mail_goes(request)
    return redirect("admin-members")


@require_POST
@workspace_view("workspace.manage")
def admin_invitation_revoke(request, invitation_id: int):
    invitation = _pending(request, invitation_id)
    invitation_services.invitation_revoke(invitation=invitation, by=request.user, request=request)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("admin-members")


class NewAccountForm(SetPasswordMixin, forms.Form):
    """A newcomer's username and password; the password is checked by the site's validators."""

    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        self.validate_passwords()
        return super().clean()


def _landing(request, membership: Membership):
    """Into the workspace just joined; through two-factor enrolment first when it asks for it."""
    request.session[SESSION_KEY] = membership.workspace_id
    if two_factor.two_factor_required(membership):
        return redirect(f"{reverse('two-factor-setup')}?next=/")
    return redirect("home")


def invitation_accept(request, key: str):
    """The invitation link: a newcomer chooses a username and password; someone with an account
    signs in (coming back here) and accepts. A used, revoked or expired link says so."""
    invitation = tenancy_selectors.invitation_for_key(key_hash=invitation_services.invitation_key_hash(key))
    if invitation is None:
        return render(request, "web/invitation_invalid.html", status=404)
    context = {"invitation": invitation}
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = invitation_services.invitation_accept(
                    invitation=invitation, user=request.user, request=request
                )
            except ValidationError as error:
                context["error"] = validation_message(error)
            else:
                messages.success(
                    request, _("Welcome to %(workspace)s.") % {"workspace": invitation.workspace}
                )
                return _landing(request, membership)
        return render(request, "web/invitation_accept.html", context)
    if tenancy_selectors.user_has_account(email=invitation.email):
        messages.info(request, _("You already have an account: sign in to accept the invitation."))
        return redirect_to_login(request.get_full_path())
    form = NewAccountForm(request.POST or None, initial={"username": invitation.email})
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_services.invitation_accept_new_account(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, validation_message(error))
        else:
            user = membership.user
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit_services.audit_record(workspace=None, actor=user, action="auth.login", request=request)
            messages.success(request, _("Welcome to %(workspace)s.") % {"workspace": invitation.workspace})
            return _landing(request, membership)
    context["form"] = form
    return render(request, "web/invitation_new_account.html", context)
