"""Exact evidence that two identities are one person: an email address or a phone number.

Pure functions, no queries: `identities_resolve` calls them for every new author on the ingest
path. An email identity's own address, and a WhatsApp identity's own number (WhatsApp knows its
users by their phone: the `wa_id`, digits with the country code), count without anyone typing
them; agents record more by hand through `identity_link`.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EMAIL_PLATFORM = "email"
WHATSAPP_PLATFORM = "whatsapp"

# What people type between the digits of a number: "+62 (812) 3456-7890".
PHONE_SEPARATORS = re.compile(r"[\s\-()]")
# E.164 allows up to 15 digits with the country code; fewer than 8 is no one's full number.
_E164_DIGITS = re.compile(r"[1-9]\d{7,14}")


def phone_e164(value: str) -> str:
    """A typed phone number as E.164 ("+6281234567890"), or a ValidationError saying what to fix.

    Spaces, dashes and parentheses go. A number that does not start with "+" is read as WhatsApp
    writes its ids: the country code first. A leading 0 is a national trunk prefix: without
    knowing the country it cannot be turned into an international number, so it is refused
    rather than guessed.
    """
    number = PHONE_SEPARATORS.sub("", value)
    digits = number.removeprefix("+")
    if digits.startswith("0"):
        raise ValidationError(
            _("Write the number with its country code instead of the leading 0, e.g. +62 812 3456 7890.")
        )
    if not _E164_DIGITS.fullmatch(digits):
        raise ValidationError(
            _("Not a phone number: give 8 to 15 digits with the country code, e.g. +62 812 3456 7890.")
        )
    return "+" + digits


def evidence_email(platform: str, value: str) -> str:
    """The address an identity proves, lower-cased: only an email identity's own address counts."""
    if platform != EMAIL_PLATFORM:
        return ""
    address = parseaddr(value)[1].strip().lower()
    return address if "@" in address else ""


def evidence_phone(platform: str, value: str) -> str:
    """The number an identity proves, as E.164: only a WhatsApp identity's own id counts (the
    customer's phone, "16505551234" or "+16505551234" as the connector stores it)."""
    if platform != WHATSAPP_PLATFORM:
        return ""
    try:
        return phone_e164(value)
    except ValidationError:
        return ""
