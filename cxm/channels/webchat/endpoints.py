"""The widget's JSON endpoints, called from the brand's pages under `/webchat/v1/<key>/`:

    GET  config     the chat's words in the visitor's language, whether someone is there, limits
    POST visitors   start a conversation (the pre-chat form); answers the visitor's secret token
    GET  messages   the conversation after a message id, and whether an agent is typing (the poll)
    POST messages   the visitor writes

Each call is checked in this order: the client address is within its rate (else 429), the key
names a widget that is on (else 404), the page's origin is one the widget allows (else 403;
these three answers carry no CORS headers), the visitor's token (`Authorization: Bearer ...`) is
theirs (else 403), the visitor is within their rate (429 with Retry-After), the body is a small
JSON object of known text fields.
These endpoints take no cookie and so need no CSRF token. Every answer is JSON; an error has the
API's shape, {"status", "code", "detail"} and "fields" for invalid input.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cxm.audit.services import client_ip
from cxm.channels.models import AccountStatus
from cxm.channels.webchat import origins, selectors, services
from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor, WebchatWidget
from cxm.channels.webchat.ratelimit import Limit, limit_hit
from cxm.channels.webchat.words import availability_words, widget_words

MAX_BODY = 16 * 1024  # bytes: the longest message is a few kilobytes of JSON
PAGE = 100  # messages per poll answer
MAX_ID = 2**63 - 1


class Refusal(Exception):
    def __init__(self, status: int, code: str, detail: str, *, fields: dict | None = None, retry_after=None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.fields, self.retry_after = (
            status,
            code,
            detail,
            fields,
            retry_after,
        )

    def response(self) -> JsonResponse:
        response = error_json(self.status, self.code, self.detail, fields=self.fields)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response


def error_json(status: int, code: str, detail: str, *, fields: dict | None = None) -> JsonResponse:
    body: dict = {"status": status, "code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status)


def _limits() -> dict[str, Limit]:
    return {
        "ip": Limit("ip", settings.CXM_WEBCHAT_REQUESTS_PER_MINUTE_PER_IP, 60),
        "start": Limit("start", settings.CXM_WEBCHAT_VISITORS_PER_HOUR_PER_IP, 3600),
        "read": Limit("read", settings.CXM_WEBCHAT_READS_PER_MINUTE, 60),
        "write": Limit("write", settings.CXM_WEBCHAT_MESSAGES_PER_MINUTE, 60),
    }


def _within(scope: str, who: str) -> None:
    wait = limit_hit(_limits()[scope], who)
    if wait is not None:
        raise Refusal(
            429,
            "rate_limited",
            _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait},
            retry_after=wait,
        )


def _token(request) -> str:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


View = Callable[..., HttpResponse]


def endpoint(*methods: str, visitor: bool = False) -> Callable[[View], View]:
    """Wrap a widget view in the checks of the module docstring; the view gets the widget and,
    with `visitor`, the visitor the token belongs to."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def handle(request, key: str) -> HttpResponse:
            # Counted first, so that calls refused below (a guessed key, another site) count too.
            try:
                _within("ip", client_ip(request) or "unknown")
            except Refusal as refusal:
                return refusal.response()
            widget = selectors.widget_for_key(key)
            if widget is None or widget.account.status == AccountStatus.PAUSED:
                return error_json(404, "not_found", _("There is no website chat with this key."))
            origin = origins.request_origin(request)
            if not origins.origin_allowed(request, origin, widget.allowed_origins):
                return error_json(
                    403, "origin_refused", _("This website chat does not answer pages of this origin.")
                )
            if request.method == "OPTIONS":
                return origins.preflight(HttpResponse(status=204), origin, methods)
            try:
                response = _call(request, view, methods, widget=widget, origin=origin, with_visitor=visitor)
            except Refusal as refusal:
                response = refusal.response()
            return origins.cors_headers(response, origin)

        return handle

    return decorate


def _call(request, view: View, methods, *, widget: WebchatWidget, origin: str, with_visitor: bool):
    if request.method not in methods:
        refusal = Refusal(405, "method_not_allowed", _("Method not allowed."))
        response = refusal.response()
        response["Allow"] = ", ".join((*methods, "OPTIONS"))
        return response
    if not with_visitor:
        return view(request, widget=widget, origin=origin)
    visitor = selectors.visitor_for_token(widget=widget, token=_token(request))
    if visitor is None:
        raise Refusal(
            403, "invalid_token", _("This conversation cannot be opened with this token; start a new one.")
        )
    return view(request, widget=widget, origin=origin, visitor=visitor)


def _body(request, fields: tuple[str, ...]) -> dict[str, str]:
    """The request's JSON object, holding only these text fields."""
    if request.content_type != "application/json":
        raise Refusal(415, "unsupported_media_type", _("Send JSON (Content-Type: application/json)."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_large = Refusal(
        413, "too_large", _("The request body is larger than %(limit)d bytes.") % {"limit": MAX_BODY}
    )
    if length > MAX_BODY:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > MAX_BODY:
        raise too_large
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "invalid_json", _("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise Refusal(400, "invalid", _("Send a JSON object."))
    problems = {name: [_("Unknown field.")] for name in data if name not in fields}
    problems.update(
        {
            name: [_("Text (a JSON string).")]
            for name, value in data.items()
            if name in fields and not isinstance(value, str)
        }
    )
    if problems:
        raise Refusal(400, "invalid", _("Some fields are invalid."), fields=problems)
    return data


def _invalid(error: ValidationError) -> Refusal:
    fields = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    return Refusal(400, "invalid", _("Some fields are invalid."), fields=fields)


def _language(value: str | None) -> str:
    code = (value or "").strip().lower().split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE.split("-")[0]


def _message(message: WebchatMessage) -> dict:
    return {
        "id": message.pk,
        "from": message.sender,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def _availability(widget: WebchatWidget) -> dict:
    return availability_words(widget=widget, now=timezone.now())


@endpoint("GET")
def config(request, *, widget: WebchatWidget, origin: str) -> HttpResponse:
    language = _language(request.GET.get("lang"))
    with translation.override(language):
        return JsonResponse(
            {
                "brand": widget.account.brand.name if widget.account.brand else widget.account.display_name,
                "language": language,
                "poll_ms": round(settings.CXM_WEBCHAT_POLL_SECONDS * 1000),
                "stylesheet": request.build_absolute_uri(static("webchat/widget.css")),
                "limits": {"text": services.MAX_TEXT, "name": services.MAX_NAME, "email": services.MAX_EMAIL},
                "availability": _availability(widget),
                "words": widget_words(),
            }
        )


@endpoint("POST")
def visitors(request, *, widget: WebchatWidget, origin: str) -> HttpResponse:
    _within("start", client_ip(request) or "unknown")
    data = _body(request, ("name", "email", "language", "page"))
    try:
        visitor, token = services.visitor_start(
            widget=widget,
            origin=origin,
            name=data.get("name", ""),
            email=data.get("email", ""),
            language=data.get("language", ""),
            page_url=data.get("page", ""),
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return JsonResponse(
        {"visitor": visitor.public_id, "token": token, "name": visitor.name, "email": visitor.email},
        status=201,
    )


@endpoint("GET", "POST", visitor=True)
def messages(request, *, widget: WebchatWidget, origin: str, visitor: WebchatVisitor) -> HttpResponse:
    if request.method == "POST":
        return _post(request, widget=widget, visitor=visitor)
    _within("read", visitor.public_id)
    raw = request.GET.get("after") or "0"
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise Refusal(400, "invalid", _("Some fields are invalid."), fields={"after": [_("A message id.")]})
    found = selectors.messages_after(visitor=visitor, after_id=int(raw), limit=PAGE + 1)
    now = timezone.now()
    services.visitor_seen(visitor=visitor, now=now)
    return JsonResponse(
        {
            "messages": [_message(message) for message in found[:PAGE]],
            "more": len(found) > PAGE,
            "typing": selectors.agent_is_typing(visitor, now),
        }
    )


def _post(request, *, widget: WebchatWidget, visitor: WebchatVisitor) -> HttpResponse:
    _within("write", visitor.public_id)
    data = _body(request, ("text",))
    try:
        message = services.visitor_message_post(visitor=visitor, text=data.get("text", ""))
    except ValidationError as error:
        raise _invalid(error) from None
    with translation.override(visitor.language or _language(None)):
        availability = _availability(widget)
    return JsonResponse({"message": _message(message), "availability": availability}, status=201)


def unknown(request, *args, **kwargs) -> HttpResponse:
    """Any other address under /webchat/: JSON, like the endpoints."""
    return error_json(404, "not_found", _("Not found."))
