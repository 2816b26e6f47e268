"""Creative templates: the text, links and images a feed row fills in, and the compliance context
(country, categories, extra rules) their variants are checked against."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ads import compliance
from ads import variants as pure
from ads.models import CreativeTemplate
from ads.services._shared import actor, audit
from cxm.tenancy.models import Workspace

TEMPLATE_FIELDS = (
    "name",
    "primary_text",
    "headline",
    "description",
    "call_to_action",
    "link",
    "image",
    "translations",
    "format_images",
    "image_width",
    "image_height",
    "formats",
    "platform",
    "country",
    "categories",
    "extra_rules",
)


def pure_template(template: CreativeTemplate) -> pure.Template:
    """The template as the generator reads it."""
    size = (
        (template.image_width, template.image_height)
        if template.image_width and template.image_height
        else None
    )
    return pure.Template(
        primary_text=template.primary_text,
        headline=template.headline,
        description=template.description,
        call_to_action=template.call_to_action,
        link=template.link,
        image=template.image,
        translations=template.translations or {},
        format_images=template.format_images or {},
        image_size=size,
        name=template.name,
    )


def _check_template(template: CreativeTemplate) -> None:
    errors: dict[str, str] = {}
    if not template.name.strip():
        errors["name"] = "A template needs a name."
    try:
        pure_template(template).placeholders(list(template.translations or {}))
    except pure.TemplateError as error:
        errors[error.field or "template"] = str(error)
    unknown = [name for name in template.formats or [] if name not in pure.FORMATS]
    if unknown:
        errors["formats"] = f"Unknown formats: {', '.join(unknown)}; known: {', '.join(pure.FORMATS)}."
    if template.platform not in pure.PLATFORMS:
        errors["platform"] = f"One of {', '.join(pure.PLATFORMS)}."
    if template.country and template.country not in compliance.available_countries():
        errors["country"] = (
            f"No rule pack for {template.country}; one of {', '.join(compliance.available_countries())}."
        )
    try:
        compliance.rules_from_data(template.extra_rules or [])
    except (compliance.RuleError, KeyError, TypeError, ValueError) as error:
        errors["extra_rules"] = str(error)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_save(
    *, workspace: Workspace, template: CreativeTemplate | None = None, by=None, request=None, **fields: Any
) -> CreativeTemplate:
    """Create a template, or change one; placeholders, formats, country and rules are checked."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    if "country" in fields:
        fields["country"] = (fields["country"] or "").upper()
    creating = template is None
    template = template or CreativeTemplate(workspace=workspace, created_by=actor(by))
    if template.workspace_id != workspace.pk:
        raise ValidationError({"template": "No such template in this workspace."})
    for name, value in fields.items():
        setattr(template, name, value)
    _check_template(template)
    template.save()
    audit(
        workspace,
        "ads.template_create" if creating else "ads.template_update",
        by=by,
        target=template,
        after={name: getattr(template, name) for name in ("name", "country", "categories", "formats")},
        request=request,
        label=f"template {template.name}",
    )
    return template
