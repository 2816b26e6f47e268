"""Which pages may use a website chat: the origins its admin lists, and this server's own pages.

A browser names the page's origin in the `Origin` header of every cross-origin call (and of a
same-origin POST); on a same-origin GET it sends none, but says `Sec-Fetch-Site: same-origin`.
A call that names no origin at all did not come from a page and is refused, as is one from an
origin the widget does not list. Answers to an allowed origin carry the CORS headers that let
that page read them; nothing else does, so another site's page cannot read an answer either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

MAX_ORIGINS = 20
PREFLIGHT_MAX_AGE = 600  # seconds a browser may skip asking again
ALLOWED_HEADERS = "Authorization, Content-Type"


def origin_normalise(value: str) -> str:
    """`https://shop.example.com` from what an admin typed (a page address is cut to its origin);
    raises ValidationError for anything that is not an http(s) origin."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValidationError(
            _("%(value)s is not a web address like https://shop.example.com.") % {"value": text}
        )
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(_("%(value)s has an invalid port.") % {"value": text}) from None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address keeps its brackets in an origin
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origins_normalise(values: list[str]) -> list[str]:
    """Each origin once, in the order given; raises ValidationError naming the bad ones."""
    found: list[str] = []
    errors: list[str] = []
    for value in values:
        if not value.strip():
            continue
        try:
            origin = origin_normalise(value)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if origin not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        errors.append(_("List at most %(count)d origins.") % {"count": MAX_ORIGINS})
    if errors:
        raise ValidationError({"allowed_origins": errors})
    return found


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def request_origin(request: HttpRequest) -> str:
    """The origin of the page that made the call ("" when it names none)."""
    origin = request.headers.get("Origin", "").strip().lower()
    if origin and origin != "null":
        return origin
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return own_origin(request)
    return ""


def origin_allowed(request: HttpRequest, origin: str, allowed: list[str]) -> bool:
    """The widget lists the origin, or it is this server's own (the demo site is served here)."""
    return bool(origin) and (origin in allowed or origin == own_origin(request))


def cors_headers(response: HttpResponse, origin: str) -> HttpResponse:
    """Let the page at `origin` read the answer (no cookies are ever involved)."""
    response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ["Origin"])
    response["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def preflight(response: HttpResponse, origin: str, methods: tuple[str, ...]) -> HttpResponse:
    cors_headers(response, origin)
    response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
    response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
