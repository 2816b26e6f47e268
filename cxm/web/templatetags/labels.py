"""Labels for stored codes a person reads: a platform's name, in the active language where it is
not a proper noun."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from cxm.audit.labels import action_label
from cxm.channels.models import Platform

register = template.Library()

# Platforms that mentions and identities name without a connector of their own.
OTHER_PLATFORMS = {
    "web": _("Website"),
    "news": _("News"),
    "blog": _("Blog"),
    "forum": _("Forum"),
    "review": _("Review site"),
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "twitter": "X",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "linkedin": "LinkedIn",
    "threads": "Threads",
}
PLATFORM_LABELS = {**dict(Platform.choices), **OTHER_PLATFORMS}


@register.filter
def platform_label(code: str) -> str:
    """Mastodon, Bluesky ... as named; "web" as "Website"/"Situs web"; unknown codes as stored."""
    return PLATFORM_LABELS.get(code, code) if code else code


@register.filter
def audit_action(code: str) -> str:
    """An audit entry's action as a sentence ("Post approved"), not its code ("post.approve")."""
    return action_label(code)
