"""Labels for a mention's stored codes and the Explorer's facets, in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from cxm.web.templatetags.labels import platform_label
from listening.models import MediaType, Sentiment

register = template.Library()

FACET_HEADINGS = {
    "language": _("Language"),
    "sentiment": _("Sentiment"),
    "platform": _("Platform"),
    "media_type": _("Media type"),
    "country": _("Country"),
    "kind": _("Kind"),
}
KIND_LABELS = {
    "post": _("Post"),
    "comment": _("Comment"),
    "dm": _("Direct message"),
    "email": _("Email"),
    "review": _("Review"),
}
VALUE_LABELS = {
    "sentiment": dict(Sentiment.choices),
    "media_type": dict(MediaType.choices),
    "kind": KIND_LABELS,
}


@register.filter
def facet_heading(name: str) -> str:
    return FACET_HEADINGS.get(name, name)


@register.filter
def mention_label(value: str, facet: str) -> str:
    """A stored value (e.g. "negative" under "sentiment") as a person reads it."""
    if facet == "platform":
        return platform_label(value)
    return VALUE_LABELS.get(facet, {}).get(value, value) if value else value
