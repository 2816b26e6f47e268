"""Sign-in hardening in the shell: the throttled sign-in form, the two-factor step, enrolment,
and the workspace's security settings."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.audit import services as audit_services
from cxm.tenancy import services as tenancy_services
from cxm.tenancy import two_factor
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.login_throttle import login_attempt_claim, login_failure_record, login_success_clear

PENDING_KEY = two_factor.SESSION_PENDING_KEY
PENDING_SECONDS = two_factor.PENDING_SECONDS


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing attempts while the account or address is locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("That username and password do not match an account."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # no attempt: the field errors say what is missing
        lockout = login_attempt_claim(username=username, request=self.request)
        if lockout is not None:
            raise forms.ValidationError(lockout.message, code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            lockout = login_failure_record(username=username, request=self.request)
            if lockout is not None:
                raise forms.ValidationError(lockout.message, code="throttled") from None
            raise


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def two_factor_begin(request, user, *, next_url: str) -> HttpResponseRedirect:
    """The password was right and the user has two-factor: remember them, ask for the code."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "at": time.time(),
        "next": next_url,
    }
    return redirect("two-factor-verify")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, pending


def two_factor_verify(request):
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again to continue."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lockout = login_attempt_claim(username=user.get_username(), request=request)
        if lockout is not None:
            form.add_error(None, lockout.message)
        elif two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"], request=request):
            request.session.pop(PENDING_KEY, None)
            user.backend = pending["backend"]
            auth_login(request, user)
            two_factor.session_mark_verified(request.session)
            login_success_clear(username=user.get_username())
            audit_services.audit_record(
                workspace=None, actor=user, action="auth.login", request=request, after={"two_factor": True}
            )
            return redirect(_safe_next(request, pending.get("next", "")))
        else:
            audit_services.audit_record(
                workspace=None,
                actor=None,
                action="auth.two_factor_failed",
                request=request,
                object_repr=user.get_username(),
            )
            lockout = login_failure_record(username=user.get_username(), request=request)
            form.add_error(
                None, lockout.message if lockout else _("That code is not valid. Try the next one.")
            )
    return render(request, "registration/two_factor_verify.html", {"form": form})


def _qr_svg(uri: str) -> str:
    # Rendered here as inline SVG: the secret never leaves the server for a QR service.
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff"))  # noqa: S308


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app (scan, then confirm with a code), or see that one is set up."""
    device = two_factor.confirmed_device(user=request.user)
    if device is not None:
        return render(request, "registration/two_factor_setup.html", {"device": device, "form": CodeForm()})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pending = two_factor.unconfirmed_device(user=request.user)
        codes = (
            two_factor.two_factor_enrol_confirm(
                device=pending, code=form.cleaned_data["code"], request=request
            )
            if pending is not None
            else None
        )
        if codes is not None:
            # Confirming with a code from the phone is this session's second factor.
            two_factor.session_mark_verified(request.session)
            next_url = _safe_next(request, request.GET.get("next", ""))
            return render(
                request, "registration/two_factor_recovery_codes.html", {"codes": codes, "next_url": next_url}
            )
        form.add_error("code", _("That code is not valid. Check the app and try the current one."))
        device = pending or two_factor.two_factor_enrol_start(user=request.user)
    else:
        device = two_factor.two_factor_enrol_start(user=request.user)
    uri = two_factor.provisioning_uri(device)
    context = {"form": form, "secret": device.secret, "uri": uri, "qr_svg": _qr_svg(uri)}
    return render(request, "registration/two_factor_setup.html", context)


@require_POST
@login_required
def two_factor_disable(request):
    """Turn two-factor off; a current code (or a recovery code) proves the phone is at hand."""
    form = CodeForm(request.POST)
    if form.is_valid() and two_factor.two_factor_verify(
        user=request.user, code=form.cleaned_data["code"], request=request
    ):
        two_factor.two_factor_disable(user=request.user, request=request)
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("two-factor-setup")
    messages.error(request, _("That code is not valid; two-factor authentication stays on."))
    return redirect("two-factor-setup")


class WorkspaceSecurityForm(forms.Form):
    require_two_factor_for_admins = forms.BooleanField(
        label=gettext_lazy("Require two-factor authentication for admins"), required=False
    )
    allow_private_webhook_targets = forms.BooleanField(
        label=gettext_lazy("Allow webhooks and feeds on private network addresses"),
        required=False,
        help_text=gettext_lazy(
            "Only for receivers inside your own network; the platform refuses such addresses otherwise."
        ),
    )
    allow_admin_self_approval = forms.BooleanField(
        label=gettext_lazy("Let admins approve their own posts and campaigns"),
        required=False,
        help_text=gettext_lazy(
            "Off: nobody approves what they wrote (four eyes). On: admins may; other roles never do."
        ),
    )


@workspace_view("workspace.manage")
def admin_security(request):
    workspace = request.workspace
    initial = {name: getattr(workspace, name) for name in tenancy_services.SECURITY_SETTINGS}
    form = WorkspaceSecurityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        tenancy_services.workspace_security_update(
            workspace=workspace, by=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("Security settings saved."))
        return redirect("admin-security")
    return render(request, "web/admin/security.html", {"form": form, "tab": "security"})


def admin_site_login(request):
    """The Django admin signs in through the shell's sign-in, so throttling and two-factor apply."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


class ContentSecurityPolicyMiddleware:
    """Every response carries a Content-Security-Policy that lets pages load only this site's own
    files. Inline scripts and <style> blocks run only with the request's nonce
    (`{{ request.csp_nonce }}` in templates); there are no inline event handlers or style
    attributes. Styles a script sets through the DOM (Chart.js sizing its canvas) are not
    attributes in the markup and stay allowed; htmx's own indicator styles are off
    (`includeIndicatorStyles: false` in base.html) so it injects no <style>. pico's icons are
    data: SVG images, hence `img-src data:`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if CSP_HEADER in response:
            return response
        if settings.DEBUG and response.status_code >= 500:
            # Django's debug page is built with inline scripts and styles of its own.
            return response
        response[CSP_HEADER] = content_security_policy(nonce=request.csp_nonce)
        return response


CSP_HEADER = "Content-Security-Policy"


def content_security_policy(*, nonce: str, form_targets: tuple[str, ...] = ()) -> str:
    """The policy; `form_targets` are the other origins a form on the page may lead to (through
    our redirect, which browsers hold to form-action too), e.g. a platform's consent page."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": " ".join(("'self'", *form_targets)),
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())
