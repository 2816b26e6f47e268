"""Under /api/ every answer is JSON in the error shape of cxm.api.errors, including the ones no
view gives: a path that matches no route, a body over the size limit (413), a query string the
document does not allow (400), and Django's own HTML error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from cxm.api.contract import query_errors

API_PREFIX = "/api/"
# The body of an upload (CSV imports, feeds) may be larger than a JSON body.
MULTIPART = "multipart/form-data"


def error_json(*, status: int, code: str, detail: str, fields: dict | None = None) -> JsonResponse:
    body = {"status": status, "code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status)


def body_limit(content_type: str) -> int:
    """The largest body accepted: settings.CXM_MAX_UPLOAD_BYTES for uploads, else Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (which CXM_MAX_BODY_BYTES sets)."""
    if content_type.startswith(MULTIPART):
        return settings.CXM_MAX_UPLOAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class ApiRequestLimitsMiddleware:
    """Refuse, before any view runs, a body larger than the limit and a query string that names
    a parameter the operation does not take or gives one a value it cannot read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if length > limit:
            return too_large(limit)
        fields = query_errors(path=request.path, method=request.method, params=request.GET)
        if fields:
            return error_json(status=400, code="invalid", detail=_("Some fields are invalid."), fields=fields)
        return self.get_response(request)


def too_large(limit: int) -> JsonResponse:
    return error_json(
        status=413,
        code="too_large",
        detail=_("The request body is larger than %(limit)d bytes.") % {"limit": limit},
    )


DEFAULT_CODES = {
    400: "invalid",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "server_error",
}


class ApiErrorShapeMiddleware:
    """An error Django answers with an HTML page (a path that matches no route, a bad request
    Django refuses itself, a server error) is the API's JSON error under /api/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            status = response.status_code
            detail = {404: "Not found.", 400: "Bad request.", 413: "Request body too large."}.get(
                status, "Server error." if status >= 500 else "Request refused."
            )
            replacement = error_json(status=status, code=DEFAULT_CODES.get(status, "error"), detail=detail)
            for header in ("Retry-After", "Allow"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
