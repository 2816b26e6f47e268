"""What the care pages share: the permission flags, the sub-navigation's presence switch, how a
channel is shown, finding a case of the workspace, service errors on forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from care import selectors
from care.models import Case, Presence
from cxm.tenancy.permissions import has_permission
from cxm.web.errors import validation_message


@dataclass(frozen=True)
class Channel:
    icon: str
    label: str


CHANNELS = {
    "email": Channel("✉", _("Email")),
    "mastodon": Channel("🐘", "Mastodon"),
    "bluesky": Channel("🦋", "Bluesky"),
    "rss": Channel("📰", "RSS"),
    "webhook": Channel("🔗", "Webhook"),
    "demo": Channel("🧪", "Demo"),
    "webchat": Channel("💬", _("Website chat")),
}
KIND_LABELS = {"dm": _("direct message"), "email": _("email"), "public": _("public"), "manual": _("by hand")}


def channel_of(platform: str, kind: str = "") -> Channel:
    if not platform:
        return Channel("☎", _("Opened by hand"))
    known = CHANNELS.get(platform)
    label = known.label if known else platform.title()
    if kind in ("dm", "public"):
        label = f"{label} · {KIND_LABELS[kind]}"
    return Channel(known.icon if known else "💬", label)


def can_work(request) -> bool:
    return has_permission(request.membership, "care.work")


def is_admin(request) -> bool:
    return has_permission(request.membership, "workspace.manage")


def workspace_context(request) -> dict:
    """The care sub-navigation: its tabs and, for those who work cases, the presence switch."""
    work = can_work(request)
    return {
        "can_work": work,
        # leaders read the reports only; the inbox and customers stay with those who handle them
        "can_view_cases": has_permission(request.membership, "care.view"),
        "is_admin": is_admin(request),
        "agent": selectors.agent_profile(workspace=request.workspace, user=request.user) if work else None,
        "presences": Presence.choices,
    }


def case_or_404(request, case_id: int) -> Case:
    case = selectors.case_get(workspace=request.workspace, case_id=case_id)
    if case is None:
        raise Http404
    return case


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return default
    return target


def add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: under the field it names, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, validation_message(error))
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def highlight_mentions(text: str, usernames: set[str]) -> SafeString:
    """The text, escaped, with @colleague mentions marked (other @handles left as they are)."""

    def mark(match: re.Match) -> str:
        name = match.group(1).rstrip(".")
        if name.lower() not in usernames:
            return match.group(0)
        rest = match.group(1)[len(name) :]
        return f'<mark class="mention">@{name}</mark>{rest}'

    return mark_safe(MENTION.sub(mark, escape(text)))  # noqa: S308 (escaped first)
