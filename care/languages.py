"""Customers' languages as a person reads them, in the interface's language."""

from __future__ import annotations

from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

# Languages customers write in that Django's own table does not name.
EXTRA_NAMES = {"tl": _("Tagalog"), "jv": _("Javanese"), "su": _("Sundanese")}


def language_name(code: str) -> str:
    """ "Thai" for "th" (in the active language); the code itself for a language nobody named."""
    base = (code or "").split("-")[0].lower()
    if base in EXTRA_NAMES:
        return str(EXTRA_NAMES[base])
    try:
        return str(get_language_info(base)["name_translated"])
    except KeyError:
        return code
