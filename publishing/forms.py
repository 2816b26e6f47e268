"""The publishing forms. Times are entered in the viewer's time zone (the views activate it) and
come out as aware datetimes; the services store them in UTC."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.models import Role, User
from cxm.tenancy.permissions import PERMISSIONS
from publishing import selectors
from publishing.models import PauseScope

LANGUAGE_ROWS = 2  # empty "lang:xx" rows offered beyond the variants a post already has


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        # Seconds are allowed so a post can be timed to the second (the browser shows them).
        super().__init__(attrs={"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,video/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ThreadPartsInput(forms.Widget):
    """Every `thread` textarea of the form, in page order (the composer adds more as they are
    needed); the template draws them."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])


class ThreadPartsField(forms.Field):
    widget = ThreadPartsInput

    def to_python(self, value):
        return [str(part) for part in (value or []) if str(part).strip()]


class PostForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 5, "autofocus": True})
    )
    # Required-ness and workspace checks are the service's (its message names what is missing).
    accounts = forms.ModelMultipleChoiceField(label=_("Accounts"), queryset=None, required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=LocalDateTimeInput(),
        help_text=_("In your time zone. Leave empty to publish as soon as it is approved."),
    )
    thread = ThreadPartsField(label=_("Thread"), required=False)
    campaign = forms.CharField(label=_("Campaign"), required=False, max_length=200)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separate tags with commas.")
    )
    media = MultipleFileField(label=_("Images and videos"), required=False)

    def __init__(self, *args, workspace, post=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.post = post
        self.account_list = list(selectors.publishable_accounts(workspace=workspace))
        self.fields["accounts"].queryset = selectors.publishable_accounts(workspace=workspace)
        self.platforms = sorted({account.platform for account in self.account_list})
        self.campaign_names = selectors.campaigns(workspace=workspace)
        variants = dict(post.variants) if post else {}
        for platform in self.platforms:
            self.fields[f"variant_{platform}"] = forms.CharField(
                label=platform, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.initial.setdefault(f"variant_{platform}", variants.get(platform, ""))
        languages = sorted(key.split(":", 1)[1] for key in variants if key.startswith("lang:"))
        self.language_rows = len(languages) + LANGUAGE_ROWS
        for index in range(self.language_rows):
            self.fields[f"lang_code_{index}"] = forms.SlugField(
                label=_("Language code"), required=False, max_length=8
            )
            self.fields[f"lang_text_{index}"] = forms.CharField(
                label=_("Text in this language"), required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            if index < len(languages):
                self.initial[f"lang_code_{index}"] = languages[index]
                self.initial[f"lang_text_{index}"] = variants[f"lang:{languages[index]}"]
        if post is not None:
            self.initial.update(
                text=post.text,
                thread=list(post.thread),
                accounts=[target.account_id for target in post.targets.all()],
                scheduled_at=post.scheduled_at,
                campaign=post.campaign.name if post.campaign else "",
                tags=", ".join(post.tags),
            )

    def thread_parts(self) -> list[str]:
        """The thread's further posts as typed, and one empty box to add the next."""
        return [*(part for part in self["thread"].value() or [] if str(part).strip()), ""]

    def variant_fields(self):
        return [(platform, self[f"variant_{platform}"]) for platform in self.platforms]

    def language_fields(self):
        return [(self[f"lang_code_{i}"], self[f"lang_text_{i}"]) for i in range(self.language_rows)]

    def account_groups(self) -> list[dict]:
        """Checkboxes grouped by business unit and platform, with what is ticked now."""
        value = self["accounts"].value() or []
        chosen = {str(getattr(item, "pk", item)) for item in value}
        groups = []
        for (unit, platform), accounts in groupby(
            self.account_list, key=lambda a: (a.business_unit.name if a.business_unit else "", a.platform)
        ):
            groups.append(
                {
                    "business_unit": unit,
                    "platform": platform,
                    "accounts": [(account, str(account.pk) in chosen) for account in accounts],
                }
            )
        return groups

    def variants(self) -> dict[str, str]:
        data = self.cleaned_data
        variants = {
            platform: data.get(f"variant_{platform}", "")
            for platform in self.platforms
            if (data.get(f"variant_{platform}") or "").strip()
        }
        for index in range(self.language_rows):
            code = (data.get(f"lang_code_{index}") or "").strip().lower()
            text = data.get(f"lang_text_{index}") or ""
            if code and text.strip():
                variants[f"lang:{code}"] = text
        return variants


class PauseWindowForm(forms.Form):
    scope = forms.ChoiceField(label=_("What to pause"), choices=PauseScope.choices)
    business_unit = forms.ModelChoiceField(label=_("Business unit"), queryset=None, required=False)
    account = forms.ModelChoiceField(label=_("Account"), queryset=None, required=False)
    starts_at = forms.DateTimeField(label=_("From"), required=False, widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("Until"), required=False, widget=LocalDateTimeInput())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    stop_running_ads = forms.BooleanField(
        label=_("Also stop running ads"),
        required=False,
        help_text=_(
            "For a pause that starts now: every campaign in scope that is active on its platform is "
            "set to paused there; resuming (or the end of the window) restarts exactly those."
        ),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = tenancy_selectors.business_units(workspace=workspace)
        self.fields["account"].queryset = selectors.publishable_accounts(workspace=workspace)

    def clean(self):
        data = super().clean()
        starts_at = data.get("starts_at")
        if data.get("stop_running_ads") and starts_at is not None and starts_at > timezone.now():
            # The campaigns to stop are chosen when the pause is saved: a window starting later
            # would leave running every campaign launched in between.
            self.add_error(
                "stop_running_ads",
                _(
                    "Running ads can only be stopped by a pause that starts now. Save the window "
                    "without it, or pause now."
                ),
            )
        scope = data.get("scope")
        if scope == PauseScope.BUSINESS_UNIT and not data.get("business_unit"):
            self.add_error("business_unit", _("Choose the business unit to pause."))
        if scope == PauseScope.ACCOUNT and not data.get("account"):
            self.add_error("account", _("Choose the account to pause."))
        return data

    def target_id(self):
        scope = self.cleaned_data["scope"]
        if scope == PauseScope.BUSINESS_UNIT:
            return self.cleaned_data["business_unit"].pk
        if scope == PauseScope.ACCOUNT:
            return self.cleaned_data["account"].pk
        return None


class HeldDecisionForm(forms.Form):
    DECISIONS = [
        ("publish_now", _("Publish now")),
        ("reschedule", _("Reschedule")),
        ("cancel", _("Cancel")),
    ]

    targets = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    decision = forms.ChoiceField(choices=DECISIONS)
    at = forms.DateTimeField(label=_("New time"), required=False, widget=LocalDateTimeInput())

    def __init__(self, *args, target_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = [(pk, pk) for pk in target_ids]
        self.fields["targets"].error_messages["required"] = _("Tick the posts to decide about.")
        self.fields["targets"].error_messages["invalid_choice"] = _(
            "One of these posts is no longer held; reload the list."
        )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reschedule" and not data.get("at"):
            self.add_error("at", _("Choose the new time."))
        return data


class ApprovalRuleForm(forms.Form):
    """Who must approve posts to one business unit's accounts; nothing ticked lifts the rule."""

    roles = forms.MultipleChoiceField(
        label=_("Any member with the role"), required=False, widget=forms.CheckboxSelectMultiple
    )
    approvers = forms.ModelMultipleChoiceField(
        label=_("Or one of these people"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        # only roles that may approve at all: a rule naming another would leave posts waiting forever
        self.fields["roles"].choices = [
            (value, label) for value, label in Role.choices if value in PERMISSIONS["publishing.approve"]
        ]
        members = tenancy_selectors.workspace_members(workspace=workspace)
        self.fields["approvers"].queryset = User.objects.filter(pk__in=members.values("user_id")).order_by(
            "username"
        )
