"""Labels for an ad creative's stored field names, the same the builder's form shows."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from ads.forms import BuilderForm

register = template.Library()

FIELD_LABELS = {
    **{name: field.label for name, field in BuilderForm.base_fields.items()},
    "image_url": _("Image URL"),
}


@register.filter
def creative_field(name: str) -> str:
    """"primary_text" as "Primary text" ("Teks utama" in Indonesian); unknown names as stored."""
    return FIELD_LABELS.get(name, name)
