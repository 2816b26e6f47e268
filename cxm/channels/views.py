"""Admin pages for connected accounts, and the inbound webhook endpoint."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cxm.channels import selectors, signing
from cxm.channels.connectors import REGISTRY
from cxm.channels.models import AccountStatus, Platform
from cxm.channels.services.accounts import (
    YOUTUBE_CREDENTIALS,
    account_create,
    account_delete,
    account_pause,
    account_resume,
    account_update,
)
from cxm.channels.services.health import account_check
from cxm.channels.services.imports import CSV_COLUMNS, accounts_import_csv
from cxm.channels.services.webhooks import webhook_receive
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message


def _account_or_404(request, account_id: int):
    account = selectors.channel_account_get(workspace=request.workspace, account_id=account_id)
    if account is None:
        raise Http404
    return account


# The credential each connector reads the form's one secret field as.
SECRET_KEY_BY_PLATFORM = {
    Platform.MASTODON: "access_token",
    Platform.BLUESKY: "app_password",
    Platform.EMAIL: "password",
    Platform.META_ADS: "access_token",
    Platform.WHATSAPP: "access_token",
    Platform.TELEGRAM: "bot_token",
    Platform.X: "access_token",
}
# What the ads webhook reads besides the token (`ads/webhooks.py`).
META_ADS_EXTRA_SECRETS = ("app_secret", "webhook_verify_token")


class AccountForm(forms.Form):
    # Labels a person reads ("Demo network"), not the stored codes.
    platform = forms.ChoiceField(
        label=gettext_lazy("Platform"),
        # A website chat is made on its own page, with its widget.
        choices=[
            (code, dict(Platform.choices).get(code, code))
            for code in sorted(REGISTRY)
            if code != Platform.WEBCHAT
        ],
    )
    handle = forms.CharField(
        label=gettext_lazy("Handle"),
        max_length=255,
        help_text="@brand@example.social, brand.bsky.social, care@brand.example",
    )
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=255, required=False)
    base_url = forms.CharField(label=gettext_lazy("Server address"), max_length=500, required=False)
    business_unit = forms.ModelChoiceField(label=gettext_lazy("Business unit"), queryset=None, required=False)
    brand = forms.ModelChoiceField(label=gettext_lazy("Brand"), queryset=None, required=False)
    country = forms.CharField(label=gettext_lazy("Country"), max_length=2, required=False)
    language = forms.CharField(label=gettext_lazy("Language"), max_length=16, required=False)
    secret = forms.CharField(
        label=gettext_lazy("Access token or password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Stored encrypted; never shown again."),
    )
    username = forms.CharField(label=gettext_lazy("Username (email)"), required=False)
    app_secret = forms.CharField(
        label=gettext_lazy("Meta app secret"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Meta ad accounts: checks the signature of Meta's webhooks."),
    )
    webhook_verify_token = forms.CharField(
        label=gettext_lazy("Meta webhook verify token"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Meta ad accounts: the token Meta sends when it subscribes the webhook."),
    )
    client_id = forms.CharField(
        label=gettext_lazy("OAuth client id"),
        required=False,
        help_text=gettext_lazy("YouTube: the Google Cloud project's OAuth client."),
    )
    client_secret = forms.CharField(
        label=gettext_lazy("OAuth client secret"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("YouTube: stored encrypted; never shown again."),
    )
    refresh_token = forms.CharField(
        label=gettext_lazy("OAuth refresh token"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("YouTube: the channel owner's offline grant (scope youtube.force-ssl)."),
    )
    search_terms = forms.CharField(
        label=gettext_lazy("Search terms"),
        required=False,
        help_text=gettext_lazy("Comma-separated words or phrases to listen for."),
    )
    options_json = forms.CharField(
        label=gettext_lazy("More options (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, workspace, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = tenancy_selectors.business_units(workspace=workspace)
        self.fields["brand"].queryset = tenancy_selectors.brands(workspace=workspace)
        if editing:
            del self.fields["platform"]

    def clean_options_json(self):
        raw = self.cleaned_data["options_json"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object."))
        return value

    def options(self) -> dict:
        options = dict(self.cleaned_data.get("options_json") or {})
        terms = [t.strip() for t in self.cleaned_data.get("search_terms", "").split(",") if t.strip()]
        if terms:
            options["search_terms"] = terms
        return options

    def credentials(self, platform: str) -> dict:
        """The typed secrets under the names the platform's connector reads them by."""
        secret = self.cleaned_data.get("secret", "")
        key = SECRET_KEY_BY_PLATFORM.get(platform, "token")
        credentials = {key: secret} if secret else {}
        extra = META_ADS_EXTRA_SECRETS if platform == Platform.META_ADS else ()
        if platform == Platform.YOUTUBE:
            extra = YOUTUBE_CREDENTIALS
        for name in ("username", *extra):
            if self.cleaned_data.get(name):
                credentials[name] = self.cleaned_data[name]
        return credentials


def _service_errors(form: AccountForm, error: ValidationError) -> None:
    """A service's ValidationError next to the field it is about (options are typed as JSON)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, validation_message(error))
        return
    for name, problems in error.message_dict.items():
        if name == "options" or name.startswith("options."):
            name = "options_json"
        form.add_error(name if name in form.fields else None, problems)


@workspace_view("channels.manage")
def account_list(request):
    filters = {
        key: request.GET.get(key, "") for key in ("platform", "status", "country", "business_unit", "q")
    }
    accounts = selectors.channel_accounts(
        workspace=request.workspace,
        platform=filters["platform"],
        status=filters["status"],
        country=filters["country"],
        business_unit=filters["business_unit"] or None,
        search=filters["q"],
    )
    context = {
        "page": Paginator(accounts, 50).get_page(request.GET.get("page")),
        "health": selectors.account_health_counts(workspace=request.workspace),
        "statuses": AccountStatus.choices,
        "platforms": Platform.choices,
        "business_units": tenancy_selectors.business_units(workspace=request.workspace),
        "filters": filters,
        "tab": "accounts",
    }
    if request.htmx and request.htmx.target == "account-table":
        return render(request, "channels/_account_table.html", context)
    return render(request, "channels/accounts.html", context)


@workspace_view("channels.manage")
def account_add(request):
    form = AccountForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_create(
                workspace=request.workspace,
                platform=data["platform"],
                handle=data["handle"],
                display_name=data["display_name"],
                base_url=data["base_url"],
                business_unit=data["business_unit"],
                brand=data["brand"],
                country=data["country"],
                language=data["language"],
                credentials=form.credentials(data["platform"]),
                options=form.options(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Account connected: %(account)s") % {"account": account})
            if account.platform == Platform.WEBHOOK:
                return redirect("channels:account-detail", account_id=account.pk)
            return redirect("channels:accounts")
    return render(request, "channels/account_form.html", {"form": form, "tab": "accounts", "editing": False})


@workspace_view("channels.manage")
def account_edit(request, account_id: int):
    account = _account_or_404(request, account_id)
    initial = {
        "handle": account.handle,
        "display_name": account.display_name,
        "base_url": account.base_url,
        "business_unit": account.business_unit,
        "brand": account.brand,
        "country": account.country,
        "language": account.language,
        "search_terms": ", ".join(account.options.get("search_terms", [])),
        "options_json": json.dumps({k: v for k, v in account.options.items() if k != "search_terms"})
        if account.options
        else "",
    }
    form = AccountForm(request.POST or None, workspace=request.workspace, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_update(
                account=account,
                handle=data["handle"],
                display_name=data["display_name"],
                base_url=data["base_url"],
                business_unit=data["business_unit"],
                brand=data["brand"],
                country=data["country"].upper(),
                language=data["language"],
                options=form.options(),
                credentials=form.credentials(account.platform) or None,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("channels:accounts")
    context = {"form": form, "account": account, "tab": "accounts", "editing": True}
    return render(request, "channels/account_form.html", context)


@workspace_view("channels.manage")
def account_detail(request, account_id: int):
    account = _account_or_404(request, account_id)
    context = {"account": account, "tab": "accounts"}
    if account.platform == Platform.WEBHOOK:
        context["hook_url"] = request.build_absolute_uri(f"/hooks/{account.pk}/")
        context["webhook_secret"] = (account.credentials.get("webhook_secrets") or [""])[0]
    return render(request, "channels/account_detail.html", context)


@require_POST
@workspace_view("channels.manage")
def account_action(request, account_id: int, verb: str):
    account = _account_or_404(request, account_id)
    result = None
    if verb == "check":
        result = account_check(account=account, by=request.user, request=request)
    elif verb == "pause":
        account = account_pause(account=account, by=request.user, request=request)
    elif verb == "resume":
        account = account_resume(account=account, by=request.user, request=request)
    elif verb == "remove":
        account_delete(account=account, by=request.user, request=request)
        messages.success(request, _("Account removed."))
        return redirect("channels:accounts")
    else:
        raise Http404
    account.refresh_from_db()
    if request.htmx:
        return render(request, "channels/_account_row.html", {"account": account, "result": result})
    if result is not None:
        (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("channels:accounts")


@workspace_view("channels.manage")
def account_import(request):
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a CSV file to import."))
        else:
            result = accounts_import_csv(
                workspace=request.workspace,
                text=upload.read().decode("utf-8-sig", errors="replace"),
                by=request.user,
                request=request,
            )
    context = {"result": result, "columns": CSV_COLUMNS, "tab": "accounts"}
    return render(request, "channels/account_import.html", context)


@csrf_exempt
@require_POST
def webhook_inbound(request, account_id: int):
    """Signed JSON from sources without a connector. Answers say exactly what was wrong."""
    account = selectors.webhook_account(account_id=account_id)
    if account is None:
        return JsonResponse({"error": "not_found", "detail": "No webhook account with this id."}, status=404)
    if account.status == AccountStatus.PAUSED:
        return JsonResponse({"error": "paused", "detail": "This account is paused."}, status=409)
    body = request.body
    try:
        payload = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None
    try:
        result = webhook_receive(account=account, headers=request.headers, body=body, payload=payload)
    except signing.SignatureError as exc:
        return JsonResponse({"error": "invalid_signature", "detail": str(exc)}, status=401)
    if payload is None:
        return JsonResponse({"error": "invalid_json", "detail": "The body is not JSON."}, status=400)
    if result.duplicate_delivery:
        return JsonResponse({"accepted": 0, "duplicate": True, "errors": []}, status=200)
    status = 202 if result.accepted or not result.errors else 400
    return JsonResponse(
        {"accepted": result.accepted, "duplicate": False, "errors": result.errors}, status=status
    )
