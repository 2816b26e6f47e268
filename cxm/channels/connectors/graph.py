"""What every connector speaking Meta's Graph API shares: the address with its version, one call
with its token, and Meta's errors and throttling headers mapped onto the connector errors.

`base_url` of an account is the Graph host (`https://graph.facebook.com` when empty), to which the
API version (`options.api_version`, default `v21.0`) is appended unless the address already names
one. Only an address a member typed is checked before each call (`outbound_check`); Meta's own is
public.

Errors come as `{"error": {"message", "type", "code", "error_subcode", "is_transient",
"error_user_msg", "fbtrace_id"}}`. Throttling (codes 4 app, 17 user, 32 Page, 613 calls per
object, 80000-80014 business use case, or a plain HTTP 429) is `RateLimited`, waiting what the
headers name (`_retry_after`); an expired or revoked token (102, 190, 463, 467) is `AuthError`;
1, 2 and `is_transient` are `TransientError`; an object that is not there (code 100 with subcode
33, "Object with ID ... does not exist", or HTTP 404) is `Gone`; anything else is refused for good.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    ConnectorError,
    Gone,
    PermanentError,
    RateLimited,
    TransientError,
    http_client,
    outbound_check,
)

GRAPH_HOST = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_RATE_LIMIT_SECONDS = 60.0
# X-App-Usage names how much of the app's rolling one-hour allowance is used, in percent, but not
# when it comes back; once it is used up, calls wait this long (our choice, not Meta's figure).
APP_USAGE_WAIT_SECONDS = 300.0
# Throttling: 4 app, 17 user, 32 page, 613 calls per object, 80000-80014 business use case.
RATE_LIMIT_CODES = {4, 17, 32, 613} | set(range(80000, 80015))
AUTH_CODES = {102, 190, 463, 467}
TRANSIENT_CODES = {1, 2}
# "Unsupported get/delete request. Object with ID '...' does not exist, cannot be loaded due to
# missing permissions, or does not support this operation": code 100 with this subcode.
MISSING_OBJECT = (100, 33)


# (HTTP status, decoded body or None, headers, *, default_retry) -> the error, or None for a success.
ErrorMapping = Callable[..., ConnectorError | None]


def graph_base(config: AccountConfig) -> str:
    """The versioned Graph address of an account: its base_url (or Meta's) and the version."""
    base = config.base_url.rstrip("/") or GRAPH_HOST
    if not re.search(r"/v\d+\.\d+$", base):
        base = f"{base}/{(config.options or {}).get('api_version') or DEFAULT_API_VERSION}"
    return base


class GraphCaller:
    """One account's calls to Graph: `call(method, path, ...)` answers the decoded JSON body or
    raises the mapped connector error.

    `errors` maps an answer onto the connector errors (None for a success): `graph_error` by
    default; a product with codes of its own (WhatsApp's Cloud API) passes its own mapping, which
    falls back on `graph_error` for the rest."""

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        token: str = "",
        what: str = "Meta account",
        errors: ErrorMapping | None = None,
    ) -> None:
        self.config = config
        self.base = graph_base(config)
        self.token = token
        self._what = what
        self._errors = errors or graph_error
        self._base_typed = bool(config.base_url.strip())
        self.http = http or http_client(base_url=self.base, timeout=30.0)
        self.rate_default = float(
            (config.options or {}).get("rate_limit_default_seconds") or DEFAULT_RATE_LIMIT_SECONDS
        )

    def url(self, path: str) -> str:
        return f"{self.base}/{path}" if path else f"{self.base}/"

    def call(
        self, method: str, path: str, *, expect: type = dict, token: str | None = None, **kwargs: Any
    ) -> Any:
        token = token or self.token
        if not token:
            raise AuthError(f"no access token for this {self._what}")
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        if self._base_typed:
            outbound_check(self.base, self.config)
        try:
            response = self.http.request(method, self.url(path), headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out: {method} /{path}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed: {exc.__class__.__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        error = self._errors(response.status_code, body, response.headers, default_retry=self.rate_default)
        if error is not None:
            raise error
        if not isinstance(body, expect):
            raise TransientError(f"unexpected answer to {method} /{path}: {response.text[:200]}")
        return body


def graph_error(
    status: int,
    body: Any,
    headers: Any,
    *,
    default_retry: float = DEFAULT_RATE_LIMIT_SECONDS,
) -> ConnectorError | None:
    """Map a Graph API answer onto the connector errors (None when it is a success); the error
    carries Meta's code as `graph_code` (None when Meta named none)."""
    mapped = _mapped_error(status, body, headers, default_retry=default_retry)
    if mapped is not None:
        details = body.get("error") if isinstance(body, dict) else None
        mapped.graph_code = _int(details.get("code")) if isinstance(details, dict) else None
    return mapped


def _mapped_error(status: int, body: Any, headers: Any, *, default_retry: float) -> ConnectorError | None:
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and not error:
        return None
    details = error if isinstance(error, dict) else {}
    code = _int(details.get("code"))
    subcode = _int(details.get("error_subcode"))
    message = str(details.get("error_user_msg") or details.get("message") or error or "")[:300]
    label = f"{message} (code {code}" + (f", subcode {subcode})" if subcode else ")") if code else message
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimited(f"rate limited: {label}", retry_after=_retry_after(headers, default_retry))
    if code in AUTH_CODES or (not code and status in (401, 403)):
        return AuthError(f"not authorised: {label or status}")
    if status >= 500 or code in TRANSIENT_CODES or details.get("is_transient") is True:
        return TransientError(f"Meta error {status}: {label or 'no detail'}")
    if (code, subcode) == MISSING_OBJECT or status == 404:
        return Gone(f"not found ({status}): {label or 'no detail'}")
    return PermanentError(f"refused ({status}): {label or 'no detail'}")


def _retry_after(headers: Any, default: float) -> float:
    """Seconds until Meta lets calls through again.

    `X-Business-Use-Case-Usage` carries `estimated_time_to_regain_access` in minutes per business
    use case; `X-Ad-Account-Usage` carries `reset_time_duration` in seconds; `X-App-Usage` only
    percentages of the app's hourly allowance (`call_count`, `total_cputime`, `total_time`), so
    one at 100 or more waits `APP_USAGE_WAIT_SECONDS`; plain HTTP answers may carry Retry-After.
    The longest wait named wins; without any, `default`.
    """
    waits: list[float] = []
    plain = _float(headers.get("retry-after")) if hasattr(headers, "get") else None
    if plain is not None:
        waits.append(max(0.0, plain))
    buc = _json_header(headers, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                minutes = (
                    _float(entry.get("estimated_time_to_regain_access")) if isinstance(entry, dict) else None
                )
                if minutes:
                    waits.append(minutes * 60)
    usage = _json_header(headers, "x-ad-account-usage")
    if isinstance(usage, dict):
        seconds = _float(usage.get("reset_time_duration"))
        if seconds:
            waits.append(seconds)
    app = _json_header(headers, "x-app-usage")
    if isinstance(app, dict):
        used = [_float(app.get(name)) for name in ("call_count", "total_cputime", "total_time")]
        if any(value is not None and value >= 100 for value in used):
            waits.append(APP_USAGE_WAIT_SECONDS)
    return max(waits) if waits else default


def _json_header(headers: Any, name: str) -> Any:
    if not hasattr(headers, "get"):
        return None
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def graph_form(params: dict[str, Any]) -> dict[str, str]:
    """Graph parameters as form fields: objects and lists JSON-encoded, as the API expects."""
    form: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            form[key] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            form[key] = "true" if value else "false"
        else:
            form[key] = str(value)
    return form


def graph_time(value: Any) -> datetime | None:
    """An aware datetime from Graph's times (`2019-05-17T16:24:04+0000`), webhook times (epoch
    seconds, or milliseconds in Messenger events) and the ISO times our cursors keep."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    text = str(value)
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
