"""Forms of the ads pages: they parse what the marketer typed into the arguments of the services,
which do the checking that matters (placeholders, rule packs, platform limits)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ads.compliance import available_countries
from ads.models import VariantStatus
from ads.variants import FORMATS, TEXT_FIELDS

MAX_UPLOAD = 200 * 1024 * 1024
CATEGORIES = [
    ("alcohol", _("Alcohol")),
    ("financial", _("Financial products")),
    ("health", _("Health")),
    ("gambling", _("Gambling")),
]


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.replace("\n", ",").split(",") if word.strip()]


class FeedUploadForm(forms.Form):
    name = forms.CharField(label=_("Feed name"), max_length=200)
    file = forms.FileField(label=_("Product feed (CSV)"), required=False)
    url = forms.URLField(
        label=_("…or a feed URL, fetched again on a schedule"),
        required=False,
        max_length=1000,
        assume_scheme="https",
    )
    default_currency = forms.CharField(label=_("Currency"), max_length=3, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload.read().decode("utf-8-sig", errors="replace")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and bool(cleaned.get("file")) == bool(cleaned.get("url")):
            raise forms.ValidationError(_("Upload a CSV file or give a feed URL (one of the two)."))
        return cleaned


class BuilderForm(forms.Form):
    """A template, and what to expand it over: a feed, segments, languages and formats."""

    name = forms.CharField(label=_("Template name"), max_length=200)
    primary_text = forms.CharField(label=_("Primary text"), widget=forms.Textarea(attrs={"rows": 3}))
    headline = forms.CharField(label=_("Headline"), required=False)
    description = forms.CharField(label=_("Description"), required=False)
    call_to_action = forms.CharField(label=_("Call to action"), required=False, initial="SHOP_NOW")
    link = forms.CharField(label=_("Link"), required=False)
    image = forms.CharField(label=_("Image URL"), required=False)
    image_width = forms.IntegerField(label=_("Image width"), required=False, min_value=1)
    image_height = forms.IntegerField(label=_("Image height"), required=False, min_value=1)
    country = forms.ChoiceField(label=_("Country"))
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=CATEGORIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    feed = forms.ModelChoiceField(label=_("Feed"), queryset=None)
    segments = forms.CharField(
        label=_("Segments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line: name: placeholder=value, placeholder=value (e.g. jakarta: city=Jakarta)."),
    )
    languages = forms.CharField(
        label=_("Languages"), initial="en", help_text=_("Comma-separated, e.g. en, id.")
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=[(name, name) for name in sorted(FORMATS)],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, feeds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feed"].queryset = feeds
        self.fields["country"].choices = [(code, code) for code in available_countries()]

    def clean_languages(self) -> list[str]:
        languages = _words(self.cleaned_data["languages"])
        if not languages:
            raise forms.ValidationError(_("Give at least one language."))
        return languages

    def clean_segments(self) -> list[dict]:
        segments = []
        for number, line in enumerate(self.cleaned_data["segments"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, rest = line.partition(":")
            values = {}
            for pair in _words(rest):
                key, eq, value = pair.partition("=")
                if not eq or not key.strip():
                    raise forms.ValidationError(
                        _("Line %(n)s: write placeholder=value, not “%(pair)s”."),
                        params={"n": number, "pair": pair},
                    )
                values[key.strip()] = value.strip()
            segments.append({"name": name.strip() or "all", "values": values})
        return segments

    def template_fields(self) -> dict:
        data = self.cleaned_data
        names = ("name", "primary_text", "headline", "description", "call_to_action", "link", "image")
        return {
            **{name: data[name] for name in names},
            "image_width": data["image_width"],
            "image_height": data["image_height"],
            "country": data["country"],
            "categories": data["categories"],
            "formats": data["formats"],
        }


class VariantFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *VariantStatus.choices]
    )
    language = forms.CharField(label=_("Language"), required=False)
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any format"))] + [(f, f) for f in sorted(FORMATS)]
    )
    contains = forms.CharField(label=_("Text contains"), required=False)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class BulkForm(forms.Form):
    """A selection of variants (ticked rows, or every row the filter matches) and what to do."""

    ACTIONS = [("replace", _("Find and replace")), ("exclude", _("Exclude")), ("include", _("Include"))]

    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    all_matching = forms.BooleanField(required=False)
    find = forms.CharField(required=False, strip=False)
    replace_with = forms.CharField(required=False, strip=False)
    ignore_case = forms.BooleanField(required=False)
    fields = forms.MultipleChoiceField(choices=[(name, name) for name in TEXT_FIELDS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the selector keeps the selection inside the workspace.
        self.fields["ids"].valid_value = lambda value: True

    def clean(self):
        data = super().clean()
        if not data.get("ids") and not data.get("all_matching"):
            raise forms.ValidationError(_("Select some variants first."))
        if data.get("action") == "replace" and not data.get("find"):
            self.add_error("find", _("Say what to find."))
        return data


class WaiveForm(forms.Form):
    rule_id = forms.CharField(max_length=64)
    reason = forms.CharField(label=_("Reason"))


class CommentGuardForm(forms.Form):
    """The campaign's comment guard and where its negative-comment alerts go."""

    enabled = forms.BooleanField(label=_("Pause an ad on a wave of bad comments"), required=False)
    threshold = forms.IntegerField(label=_("Negative or flagged comments"), min_value=1)
    window_minutes = forms.IntegerField(label=_("Within minutes"), min_value=1)
    keywords = forms.CharField(label=_("Flagged keywords (comma-separated)"), required=False)
    notify = forms.CharField(label=_("Email alerts to (comma-separated)"), required=False)
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, assume_scheme="https")

    @classmethod
    def for_guard(cls, guard: dict) -> CommentGuardForm:
        return cls(
            initial={
                **guard,
                "keywords": ", ".join(guard.get("keywords", [])),
                "notify": ", ".join(guard.get("notify", [])),
            }
        )

    def guard(self) -> dict:
        data = self.cleaned_data
        return {
            "enabled": data["enabled"],
            "threshold": data["threshold"],
            "window_minutes": data["window_minutes"],
            "keywords": _words(data["keywords"]),
            "notify": _words(data["notify"]),
            "webhook_url": data["webhook_url"],
        }
