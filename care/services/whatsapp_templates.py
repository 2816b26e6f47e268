"""WhatsApp message templates for a case whose 24-hour window is closed: the account's approved
templates (listed by the connector's `templates()`, kept a few minutes), the text a template
becomes once its placeholders are filled, and sending one as a reply through the outbox (the same
claim, lease and idempotency key as free text; the worker calls the connector's `send_template`).

Only templates whose every placeholder is text in the header or body are offered: a media header
or a button with a variable needs more than the reply box asks for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from care.models import Case
from care.services.outbox import case_reply
from care.services.reply_windows import CLOSED, reply_window
from cxm.channels import services as channel_services
from cxm.channels.connectors.base import ConnectorError
from cxm.channels.connectors.whatsapp import Template
from cxm.channels.models import ChannelAccount, Platform

CACHE_SECONDS = 300
MAX_VALUE = 1024
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class TemplateChoice:
    """An approved template the reply box offers: its key (`name:language`), its text, and the
    placeholders to fill as (field name, component, placeholder, example)."""

    key: str
    name: str
    language: str
    category: str
    header: str
    body: str
    fields: tuple[tuple[str, str, str, str], ...]


def _sendable(template: Template) -> bool:
    if not template.approved:
        return False
    for component in template.components:
        kind = str(component.get("type") or "").upper()
        if kind == "HEADER" and str(component.get("format") or "TEXT").upper() != "TEXT":
            return False
        if kind == "BUTTONS":
            for button in component.get("buttons") or []:
                if isinstance(button, dict) and _PLACEHOLDER.search(str(button.get("url") or "")):
                    return False
    return True


def _text(template: Template, kind: str) -> str:
    for component in template.components:
        if str(component.get("type") or "").upper() == kind:
            return str(component.get("text") or "")
    return ""


def _choice(template: Template) -> TemplateChoice:
    return TemplateChoice(
        key=f"{template.name}:{template.language}",
        name=template.name,
        language=template.language,
        category=template.category,
        header=_text(template, "HEADER"),
        body=_text(template, "BODY"),
        fields=tuple(
            (f"param-{p.component.lower()}-{p.name}", p.component, p.name, p.example)
            for p in template.parameters
        ),
    )


def template_window(
    case: Case, *, now: datetime | None = None, connector_for: Callable | None = None
) -> dict:
    """What the reply box needs on a WhatsApp case whose 24-hour window is closed:
    {"window_closed": True, "templates": [...], "templates_error": "..."}; {} while free text is
    allowed (or on any other channel)."""
    if case.platform != Platform.WHATSAPP or case.channel_account_id is None:
        return {}
    window = reply_window(case, now=now)
    if window is None or window.state != CLOSED:
        return {}
    try:
        templates = approved_templates(case.channel_account, connector_for=connector_for)
    except ConnectorError as exc:
        return {"window_closed": True, "templates": [], "templates_error": str(exc)}
    return {"window_closed": True, "templates": templates, "templates_error": ""}


def approved_templates(
    account: ChannelAccount, *, connector_for: Callable | None = None
) -> list[TemplateChoice]:
    """The account's approved templates that can be filled in the reply box, cached for a few
    minutes (a template approved or paused meanwhile shows within that time; the platform refuses
    a paused one with its reason anyway)."""
    key = f"care:whatsapp-templates:{account.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    connector = (connector_for or channel_services.account_connector)(account)
    choices = [_choice(t) for t in connector.templates(status="APPROVED") if _sendable(t)]
    cache.set(key, choices, CACHE_SECONDS)
    return choices


def template_fill(choice: TemplateChoice, values: dict[str, str]) -> tuple[str, list[dict]]:
    """(the text the customer reads, the `components` that fill its placeholders); every
    placeholder needs a value."""
    filled: dict[tuple[str, str], str] = {}
    missing = []
    for field_name, component, placeholder, _example in choice.fields:
        value = str(values.get(field_name) or "").strip()[:MAX_VALUE]
        if not value:
            missing.append(placeholder)
        filled[(component, placeholder)] = value
    if missing:
        raise ValidationError(
            {"template": gettext("Fill in every placeholder: %(names)s.") % {"names": ", ".join(missing)}}
        )
    components = []
    for component in ("HEADER", "BODY"):
        parameters = []
        for (kind, placeholder), value in filled.items():
            if kind != component:
                continue
            parameter = {"type": "text", "text": value}
            if not placeholder.isdigit():
                parameter = {"type": "text", "parameter_name": placeholder, "text": value}
            parameters.append(parameter)
        if parameters:
            components.append({"type": component.lower(), "parameters": parameters})

    def render(kind: str, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: filled.get((kind, m.group(1)), m.group(0)), text)

    text = "\n\n".join(
        part for part in (render("HEADER", choice.header), render("BODY", choice.body)) if part.strip()
    )
    return text or choice.name, components


def case_template_send(
    *,
    case: Case,
    template: str,
    values: dict[str, str],
    by=None,
    status: str | None = None,
    now: datetime | None = None,
    connector_for: Callable | None = None,
):
    """Queue an approved template (`template` = "name:language") as the reply on a WhatsApp
    case, its placeholders filled from `values` (keyed by the choice's field names)."""
    if case.platform != Platform.WHATSAPP or case.channel_account is None:
        raise ValidationError({"template": gettext("Templates are sent only on WhatsApp cases.")})
    try:
        choices = approved_templates(case.channel_account, connector_for=connector_for)
    except ConnectorError as exc:
        raise ValidationError(
            {"template": gettext("WhatsApp's templates could not be loaded: %(reason)s") % {"reason": exc}}
        ) from exc
    choice = next((c for c in choices if c.key == template), None)
    if choice is None:
        raise ValidationError({"template": gettext("Pick one of the approved templates.")})
    text, components = template_fill(choice, values)
    return case_reply(
        case=case,
        text=text,
        by=by,
        status=status,
        now=now,
        template={"name": choice.name, "language": choice.language, "components": components},
    )
