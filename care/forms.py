"""Forms of the care pages: they parse and validate what a person typed; services do the rest.

Choices that name workspace objects (queues, macros, colleagues...) are scoped to the workspace
given to the form, so a forged id from another workspace is simply not a valid choice.
"""

from __future__ import annotations

import json
import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from care import selectors
from care.models import ACTIVE_STATUSES, CaseStatus, Presence, Priority, RuleEvent
from care.sla import WEEKDAYS
from cxm.customers import selectors as customer_selectors
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.models import User
from cxm.web.templatetags.labels import PLATFORM_LABELS, platform_label

VIEW_CHOICES = [
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("all", _("All open")),
    ("breached", _("SLA breached")),
    ("at_risk", _("About to breach")),
]
INBOX_PARAMS = ("view", "queue", "business_unit", "language", "platform", "priority", "status", "q")


def split_list(text: str) -> list[str]:
    """ "en, id  pt-BR" -> ["en", "id", "pt-BR"]."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def colleagues(workspace):
    """Members who may work cases: who a case can be assigned to, who a note can mention."""
    return selectors.colleagues(workspace=workspace)


WEEKDAY_LABELS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


class InboxFilterForm(forms.Form):
    """The inbox's query string. Anything malformed is dropped rather than refused: a stale
    bookmark still opens the inbox."""

    view = forms.ChoiceField(choices=VIEW_CHOICES, required=False)
    queue = forms.IntegerField(required=False)
    business_unit = forms.IntegerField(required=False)
    language = forms.CharField(max_length=16, required=False)
    platform = forms.CharField(max_length=32, required=False)
    priority = forms.ChoiceField(choices=Priority.choices, required=False)
    status = forms.ChoiceField(choices=[("any", _("Any status")), *CaseStatus.choices], required=False)
    q = forms.CharField(max_length=200, required=False)

    def __init__(self, data, *, default_view: str = "all"):
        super().__init__({key: data.get(key, "") for key in INBOX_PARAMS})
        self.default_view = default_view
        self.is_valid()

    def value(self, name: str):
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self) -> selectors.InboxFilters:
        status = self.value("status") or ""
        return selectors.InboxFilters(
            view=self.value("view") or self.default_view,
            statuses=[] if status == "any" else ([status] if status else list(ACTIVE_STATUSES)),
            queue_id=self.value("queue"),
            business_unit_id=self.value("business_unit"),
            language=self.value("language") or "",
            platform=self.value("platform") or "",
            priority=self.value("priority") or "",
            q=self.value("q") or "",
        )

    def params(self) -> dict[str, str]:
        """The filters in effect, as query parameters (for links that keep them)."""
        values = {key: self.value(key) for key in INBOX_PARAMS}
        values["view"] = values["view"] or self.default_view
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("assign", _("Assign")), ("tag", _("Tag")), ("resolve", _("Resolve"))]
    )
    case = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    assignee = forms.CharField(required=False, help_text=_('"me", "none" or a colleague\'s id'))
    tag = forms.CharField(max_length=64, required=False)

    def __init__(self, *args, workspace, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace, self.user = workspace, user
        # Any id is accepted here; the service only touches cases of the workspace.
        self.fields["case"].choices = [(value, value) for value in self.data.getlist("case")]

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign":
            data["assignee_user"] = assignee_from(self.data.get("assignee", ""), self.workspace, self.user)
            if data["assignee_user"] is False:
                self.add_error("assignee", _("Pick a colleague who works cases here."))
        return data


def assignee_from(value: str, workspace, user):
    """ "me" -> the user, "" / "none" -> None (unassign), an id -> that colleague, else False."""
    if value == "me":
        return user
    if value in ("", "none"):
        return None
    try:
        return colleagues(workspace).get(pk=int(value))
    except (ValueError, User.DoesNotExist):
        return False


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(choices=[("reply", _("Reply")), ("note", _("Note"))], initial="reply")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    macro = forms.ModelChoiceField(queryset=None, required=False)
    status = forms.ChoiceField(
        choices=[
            ("", _("Keep the status")),
            *[(s, CaseStatus(s).label) for s in ("pending_customer", "resolved")],
        ],
        required=False,
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = selectors.macros(workspace=workspace)


class CaseControlsForm(forms.Form):
    status = forms.ChoiceField(choices=CaseStatus.choices, required=False)
    priority = forms.ChoiceField(choices=Priority.choices, required=False)
    queue = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("No queue"))
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("Unassigned"))
    case_type = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("No case type"))
    tags = forms.CharField(required=False, max_length=2000, help_text=_("Separated by commas"))

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = selectors.queues(workspace=workspace)
        self.fields["assignee"].queryset = colleagues(workspace)
        self.fields["assignee"].label_from_instance = lambda user: user.get_username()
        self.fields["case_type"].queryset = selectors.case_types(workspace=workspace)

    @classmethod
    def for_case(cls, case, *, workspace):
        return cls(
            initial={
                "status": case.status,
                "priority": case.priority,
                "queue": case.queue_id,
                "assignee": case.assignee_id,
                "case_type": case.case_type_id,
                "tags": ", ".join(case.tags or []),
            },
            workspace=workspace,
        )

    def changes(self, case) -> dict:
        """Only the fields the request sent and that differ from the case (a select that changed)."""
        data = self.cleaned_data
        sent = set(self.data)
        changes = {}
        if "status" in sent and data["status"] and data["status"] != case.status:
            changes["status"] = data["status"]
        if "priority" in sent and data["priority"] and data["priority"] != case.priority:
            changes["priority"] = data["priority"]
        for name in ("queue", "assignee", "case_type"):
            if name in sent and getattr(data[name], "pk", None) != getattr(case, f"{name}_id"):
                changes[name] = data[name]
        if "tags" in sent:
            tags = [tag.strip() for tag in data["tags"].split(",") if tag.strip()]
            if tags != list(case.tags or []):
                changes["tags"] = tags
        return changes


class CaseFieldsForm(forms.Form):
    """The case type's required fields, one text input each."""

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        for item in (case.case_type.required_fields if case.case_type else []) or []:
            self.fields[f"field_{item['key']}"] = forms.CharField(
                label=item.get("label") or item["key"],
                required=False,
                max_length=500,
                initial=(case.fields or {}).get(item["key"], ""),
            )

    def values(self) -> dict[str, str]:
        return {name.removeprefix("field_"): value.strip() for name, value in self.cleaned_data.items()}


class MergeForm(forms.Form):
    source = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = customer_selectors.customers_search(workspace=workspace)


class IdentityLinkForm(forms.Form):
    """Link an identity to a customer by hand, or record an email address or phone number the
    customer told on one of their identities (which then links every profile sharing it)."""

    identity = forms.ChoiceField(label=_("Identity"), required=False)
    platform = forms.CharField(label=_("Channel"), max_length=32, required=False)
    platform_id = forms.CharField(
        label=_("Id on the channel"),
        max_length=255,
        required=False,
        help_text=_("On WhatsApp, the phone number."),
    )
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("With the country code, e.g. +62 812 3456 7890."),
    )

    # Offered as the channel is typed; any other platform code is taken too (a shop, a CRM...).
    platform_choices = [
        (code, PLATFORM_LABELS.get(code, code))
        for code in ("whatsapp", "instagram", "facebook_page", "email", "mastodon", "bluesky", "x", "tiktok")
    ]

    def __init__(self, *args, identities, **kwargs):
        kwargs.setdefault("auto_id", "link-%s")  # the panel shares the case page with other forms
        super().__init__(*args, **kwargs)
        self.fields["platform"].widget.attrs["list"] = "link-platforms"
        self.identities = {str(identity.pk): identity for identity in identities}
        self.fields["identity"].choices = [
            ("", _("A new identity")),
            *[
                (key, f"{platform_label(identity.platform)} · {identity.handle or identity.platform_id}")
                for key, identity in self.identities.items()
            ],
        ]

    def clean(self):
        data = super().clean()
        chosen = self.identities.get(data.get("identity") or "")
        if chosen is not None:
            data["platform"], data["platform_id"] = chosen.platform, chosen.platform_id
            if not (data.get("email") or data.get("phone")):
                raise forms.ValidationError(_("Give the email address or phone number to record on it."))
        elif not (data.get("platform") and data.get("platform_id")):
            raise forms.ValidationError(_("Give the channel and the id the channel knows them by."))
        return data

    def link_fields(self) -> dict[str, str]:
        """What identity_link takes."""
        return {key: self.cleaned_data[key] for key in ("platform", "platform_id", "email", "phone")}


class CsatForm(forms.Form):
    score = forms.TypedChoiceField(coerce=int, choices=[(n, str(n)) for n in range(1, 6)])
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


# --- settings ------------------------------------------------------------------------------------


class SkillsMixin(forms.Form):
    languages = forms.CharField(
        label=_("Languages"), required=False, help_text=_("e.g. en, id — empty means any")
    )
    platforms = forms.CharField(
        label=_("Channels"), required=False, help_text=_("e.g. email, mastodon — empty means any")
    )
    business_units = forms.ModelMultipleChoiceField(
        label=_("Business units"), queryset=None, required=False, help_text=_("None picked means any")
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["business_units"].queryset = tenancy_selectors.business_units(workspace=workspace)

    def skills(self) -> dict:
        data = self.cleaned_data
        return {
            "languages": split_list(data["languages"]),
            "platforms": split_list(data["platforms"]),
            "business_unit_ids": [unit.pk for unit in data["business_units"]],
        }

    @staticmethod
    def skills_initial(obj) -> dict:
        return {
            "languages": ", ".join(obj.languages or []),
            "platforms": ", ".join(obj.platforms or []),
            "business_units": list(obj.business_unit_ids or []),
        }


class QueueForm(SkillsMixin):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Position"), min_value=0, initial=0, help_text=_("Lower goes first")
    )

    field_order = ["name", "position", "languages", "platforms", "business_units"]


class AgentForm(SkillsMixin):
    user = forms.ModelChoiceField(label=_("Member"), queryset=None)
    capacity = forms.IntegerField(
        label=_("Capacity"), min_value=0, initial=5, help_text=_("Most active cases at once")
    )
    presence = forms.ChoiceField(label=_("Presence"), choices=Presence.choices, initial=Presence.OFFLINE)
    queues = forms.ModelMultipleChoiceField(label=_("Queues"), queryset=None, required=False)

    field_order = ["user", "capacity", "presence", "queues", "languages", "platforms", "business_units"]

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, workspace=workspace, **kwargs)
        self.fields["user"].queryset = colleagues(workspace)
        self.fields["user"].label_from_instance = lambda user: user.get_username()
        self.fields["queues"].queryset = selectors.queues(workspace=workspace)


class SlaPolicyForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"), min_value=1)
    resolution_minutes = forms.IntegerField(label=_("Resolution within (minutes)"), min_value=1)
    warn_before_minutes = forms.IntegerField(label=_("Warn before (minutes)"), min_value=0, initial=30)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC")
    days = forms.MultipleChoiceField(
        label=_("Business days"),
        choices=list(zip(WEEKDAYS, WEEKDAY_LABELS, strict=True)),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("No day picked: the clock runs round the clock."),
    )
    opens = forms.TimeField(label=_("Opens"), required=False, initial="09:00")
    closes = forms.TimeField(label=_("Closes"), required=False, initial="17:00")
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("YYYY-MM-DD, one a line"),
    )

    def clean(self):
        data = super().clean()
        if data.get("days") and not (data.get("opens") and data.get("closes")):
            self.add_error("opens", _("Give the opening hours of the business days."))
        holidays = []
        for token in split_list(data.get("holidays", "")):
            try:
                holidays.append(date.fromisoformat(token))
            except ValueError:
                self.add_error("holidays", _("%(value)s is not a date like 2026-12-25.") % {"value": token})
        data["holiday_dates"] = holidays
        return data

    def schedule(self) -> dict:
        data = self.cleaned_data
        if not data.get("days"):
            return {}
        span = [data["opens"].strftime("%H:%M"), data["closes"].strftime("%H:%M")]
        return {day: [span] for day in data["days"]}

    @staticmethod
    def initial_for(policy) -> dict:
        schedule = policy.schedule or {}
        first = next(iter(schedule.values()), [["09:00", "17:00"]])
        return {
            "priority": policy.priority,
            "name": policy.name,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "warn_before_minutes": policy.warn_before_minutes,
            "time_zone": policy.time_zone,
            "days": list(schedule),
            "opens": first[0][0] if first else "09:00",
            "closes": first[0][1] if first else "17:00",
            "holidays": "\n".join(day.isoformat() for day in policy.holidays or []),
        }


MACRO_LANGUAGE = re.compile(r"^\[([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\]\s*$")


def parse_bodies(text: str) -> dict[str, str]:
    """A body per language, each under its [code] line::

    [en]
    Hi {{customer.first_name}}, ...
    [id]
    Halo {{customer.first_name}}, ...
    """
    bodies: dict[str, list[str]] = {}
    current = None
    for line in (text or "").splitlines():
        match = MACRO_LANGUAGE.match(line.strip())
        if match:
            current = match.group(1).lower()
            bodies.setdefault(current, [])
        elif current is not None:
            bodies[current].append(line)
        elif line.strip():
            raise forms.ValidationError(_("Start with a language line such as [en]."))
    return {language: "\n".join(lines).strip() for language, lines in bodies.items()}


def format_bodies(bodies: dict[str, str]) -> str:
    return "\n".join(f"[{language}]\n{body}" for language, body in (bodies or {}).items())


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    default_language = forms.CharField(label=_("Default language"), max_length=16, initial="en")
    bodies = forms.CharField(
        label=_("Text per language"),
        widget=forms.Textarea(attrs={"rows": 8}),
        initial="[en]\nHi {{customer.first_name}},\n\n",
        help_text=_(
            "A [language] line, then the text. Variables: {{customer.name}}, {{customer.first_name}}, "
            "{{agent.name}}, {{agent.first_name}}, {{case.id}}, {{case.subject}}, {{customer.<attribute>}}"
        ),
    )

    def clean_bodies(self):
        return parse_bodies(self.cleaned_data["bodies"])


def _json_list(value: str, what: str) -> list:
    try:
        parsed = json.loads(value or "[]")
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from None
    if not isinstance(parsed, list):
        raise forms.ValidationError(_("A JSON list of %(what)s.") % {"what": what})
    return parsed


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    event = forms.ChoiceField(label=_("When"), choices=RuleEvent.choices)
    conditions = forms.CharField(
        label=_("Conditions (all must hold)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="[]",
        help_text=_('JSON, e.g. [{"field": "language", "op": "is", "value": "id"}]'),
    )
    actions = forms.CharField(
        label=_("Actions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'JSON, e.g. [{"type": "set_priority", "priority": "high"}, {"type": "tag", "tag": "refund"}]'
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)

    def clean_conditions(self):
        return _json_list(self.cleaned_data["conditions"], "conditions")

    def clean_actions(self):
        return _json_list(self.cleaned_data["actions"], "actions")


def parse_keyed_lines(text: str) -> list[dict]:
    """ "verify_order: Verify the order number" per line -> [{"key": ..., "label": ...}]."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, _sep, label = line.partition(":")
        items.append({"key": key.strip(), "label": label.strip() or key.strip()})
    return items


def format_keyed_lines(items: list[dict]) -> str:
    return "\n".join(f"{item['key']}: {item.get('label', '')}" for item in items or [])


class CaseTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    checklist = forms.CharField(
        label=_("Checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One step a line: key: label, e.g. verify_order: Verify the order number"),
    )
    required_fields = forms.CharField(
        label=_("Required fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One field a line: key: label, e.g. order_number: Order number"),
    )

    def clean_checklist(self):
        return parse_keyed_lines(self.cleaned_data["checklist"])

    def clean_required_fields(self):
        return parse_keyed_lines(self.cleaned_data["required_fields"])
