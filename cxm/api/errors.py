"""One error shape for the whole API:

{"status": 400, "code": "invalid", "detail": "Some fields are invalid.",
 "fields": {"name": ["This field is required."]}}
"""

from __future__ import annotations

import re
from collections import Counter

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cxm.channels.connectors.base import ConnectorError
from cxm.transactions import UniqueConflict, is_transient_conflict

SURROGATES = re.compile("[\ud800-\udfff]")


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for inner_key, inner in _flatten(value).items():
                    fields[f"{key}.{inner_key}"] = inner
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for inner_key, inner in _flatten(item).items():
                        fields[f"{key}[{index}].{inner_key}"] = inner
            else:
                fields[key] = [str(item) for item in (value if isinstance(value, list) else [value])]
        return fields
    return {"non_field_errors": [str(item) for item in (detail if isinstance(detail, list) else [detail])]}


class WriteConflict(exceptions.APIException):
    """A deadlock or serialization failure that outlived the service's own retries: the request
    was rolled back whole and can simply be sent again (not an outage: the database is there)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "write_conflict"
    retry_after = "1"

    def __init__(self):
        super().__init__(
            _(
                "Another request was changing the same records at the same moment; nothing of this one was kept. Send it again."
            )
        )


class Duplicate(exceptions.APIException):
    """A create that lost a race on a unique name: another request saved the same name a moment
    earlier. Nothing of this request was kept; `fields` says which value is taken."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(
            _("Another request saved the same name at the same moment; nothing of this one was kept.")
        )
        self.fields = fields


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is larger than the limit."


class PlatformRefused(exceptions.APIException):
    """A platform (Meta, Mastodon, ...) refused a call made while the client waits, or could not
    be reached: 502 in the error shape, `detail` quoting the platform."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "platform_error"
    default_detail = "The platform refused the request or could not be reached."


class InUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "in_use"


def _in_use(exc: ProtectedError | RestrictedError) -> InUse:
    """A delete refused because other records still point at the object (the delete, and its
    audit entry, were rolled back with the service's transaction)."""
    counts = Counter(obj._meta for obj in exc.args[1])
    holders = ", ".join(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for meta, count in sorted(counts.items(), key=lambda item: item[0].label)
    )
    return InUse(_("Still in use by %(holders)s; move or delete those first.") % {"holders": holders})


def exception_handler(exc, context):
    if isinstance(exc, ProtectedError | RestrictedError):
        exc = _in_use(exc)
    elif is_transient_conflict(exc):
        exc = WriteConflict()
    elif isinstance(exc, UniqueConflict):
        exc = Duplicate(exc.message_dict)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, ConnectorError):
        exc = PlatformRefused(_("The platform answered: %(reason)s") % {"reason": exc})
    elif isinstance(exc, RequestDataTooBig):
        # A body sent without Content-Length (chunked) is measured as it is read.
        exc = TooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # a refusal that names its code (four eyes' `self_approval`) says why; others stay generic
        code = getattr(exc, "code", None)
        exc = exceptions.PermissionDenied(str(exc), code=code) if code else exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "status": response.status_code,
            "code": "invalid",
            "detail": _("Some fields are invalid."),
            "fields": _flatten(exc.detail),
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"status": response.status_code, "code": code, "detail": str(detail)}
        if isinstance(exc, Duplicate):
            body["fields"] = exc.fields
    headers = _headers(response)
    if isinstance(exc, WriteConflict):
        headers["Retry-After"] = exc.retry_after
    return Response(_printable(body), status=response.status_code, headers=headers)


def _printable(value):
    """An error may quote what was sent (a field name, a value); a lone surrogate in it could not
    be encoded as UTF-8, so it is shown as "?"."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if SURROGATES.search(value) else value
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


def _headers(response) -> dict[str, str]:
    return {
        key: value for key, value in response.items() if key in {"WWW-Authenticate", "Retry-After", "Allow"}
    }


def error_response(detail: str, *, code: str = "error", status_code: int = status.HTTP_400_BAD_REQUEST):
    return Response({"status": status_code, "code": code, "detail": detail}, status=status_code)
