"""What the widget says, in the visitor's language (the caller activates it): its labels, and
when no one is there, when to expect an answer.

The words come from the project's catalogue, so the widget carries none of its own; `{brand}`,
`{email}` and `{limit}` are filled in by the widget.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cxm.channels.availability import availability
from cxm.channels.models import Platform
from cxm.channels.webchat.models import WebchatWidget


def widget_words() -> dict[str, str]:
    return {
        "launcher": _("Chat with us"),
        "title": _("Chat with {brand}"),
        "close": _("Close the chat"),
        "intro": _("Hello! Tell us your name and e-mail address if you like, then write to us."),
        "name": _("Your name (optional)"),
        "email": _("Your e-mail address (optional)"),
        "start": _("Start the chat"),
        "message": _("Your message"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "you": _("You"),
        "typing": _("{brand} is writing…"),
        "failed": _("Your message was not sent. Try again."),
        "offline": _("The chat cannot reach us right now; it keeps trying."),
        "too_long": _("Too long: at most {limit} characters."),
        "email_note": _("If you have left when we answer, the answer goes to {email}."),
        "stay_note": _("Keep this page open, or come back to it later, to read the answer."),
    }


def _span(minutes: int) -> str:
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = -(-minutes // 60)
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = -(-hours // 24)
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def _when(opens_at: datetime, time_zone: str, now: datetime) -> str:
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone, time_zone = ZoneInfo("UTC"), "UTC"
    local = opens_at.astimezone(zone)
    values = {"time": local.strftime("%H:%M"), "zone": time_zone or "UTC"}
    today = now.astimezone(zone).date()
    if local.date() == today:
        return _("today at %(time)s (%(zone)s time)") % values
    if local.date() == today + timedelta(days=1):
        return _("tomorrow at %(time)s (%(zone)s time)") % values
    return _("on %(day)s at %(time)s (%(zone)s time)") % {**values, "day": date_format(local, "l")}


def availability_words(*, widget: WebchatWidget, now: datetime) -> dict:
    """Whether someone is there (care's agents, through the kernel registry) and, if not, a
    sentence saying when to expect an answer: the working hours and first-response target the
    workspace sets, or a plain promise when it sets neither."""
    found = availability(
        workspace_id=widget.workspace_id,
        business_unit_id=widget.account.business_unit_id,
        platform=Platform.WEBCHAT,
        now=now,
    )
    if found.online:
        return {"online": True, "message": ""}
    parts = [_("No one is here to chat right now.")]
    if found.opens_at is not None:
        parts.append(_("We are back %(when)s.") % {"when": _when(found.opens_at, found.time_zone, now)})
    if found.reply_within_minutes:
        parts.append(
            _("We usually answer within %(span)s of working time.")
            % {"span": _span(found.reply_within_minutes)}
        )
    if len(parts) == 1:
        parts.append(_("Leave a message: we will answer as soon as we can."))
    return {"online": False, "message": " ".join(parts)}
