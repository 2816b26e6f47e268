"""One account's calls to the X API v2: its token, X's errors and its rate-limit windows.

Errors come as `{"title", "detail", "type", "status"}` (a problem document) or, for some 429s,
as `{"errors": [{"code": 88, "message": "Rate limit exceeded"}]}`. They map onto the connector
errors: 429 is `RateLimited`, waiting until `x-rate-limit-reset`; 401 (and 403 `client-forbidden`
or `unsupported-authentication`, an app X does not let in) is `AuthError`; the 403 X answers to a
post identical to a recent one of the account ("You are not allowed to create a Tweet with
duplicate content.") is `DuplicateContent`, a permanent refusal; timeouts and 5xx are
`TransientError`; anything else is refused for good.

Every answer's `x-rate-limit-limit`, `-remaining` and `-reset` (epoch seconds) are kept per
endpoint: a call to an endpoint whose window is spent raises `RateLimited` without calling, and
the tightest window still running is reported through `on_quota` whenever it changes, for the
account tile.

The token comes from `token_source()` before each call; when X refuses it (401), the call asks
once for another (`token_source(refused=token)`, which refreshes it) and tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from cxm.channels.connectors.base import (
    AuthError,
    ConnectorError,
    PermanentError,
    Quota,
    RateLimited,
    TransientError,
)

DEFAULT_WAIT = 15 * 60.0  # X's windows are 15 minutes; a 429 naming no reset waits one window
AUTH_PROBLEMS = ("client-forbidden", "unsupported-authentication")
DUPLICATE_DETAIL = "duplicate content"


class DuplicateContent(PermanentError):
    """X refused a post identical to one the account posted recently."""


@dataclass(frozen=True)
class Window:
    limit: int | None
    remaining: int
    reset_at: datetime


class XApi:
    """`call(method, path, endpoint=...)` answers the decoded JSON body or raises the mapped
    error; `endpoint` names the rate-limit window, e.g. "GET /2/users/:id/mentions"."""

    def __init__(
        self,
        *,
        base: str,
        http: httpx.Client,
        token_source: Callable[..., str],
        check_target: Callable[[], None] | None = None,
        on_quota: Callable[[Quota], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = base.rstrip("/")
        self.http = http
        self.windows: dict[str, Window] = {}
        self._token_source = token_source
        self._check_target = check_target
        self._on_quota = on_quota
        self._clock = clock
        self._reported: Quota | None = None

    def call(self, method: str, path: str, *, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        self._wait_for(endpoint)
        token = self._token_source()
        if not token:
            raise AuthError("no access token for this X account")
        response = self._send(method, path, token, endpoint, **kwargs)
        if response.status_code == 401:
            renewed = self._token_source(refused=token)
            if renewed and renewed != token:
                response = self._send(method, path, renewed, endpoint, **kwargs)
        error = x_error(response, now=self._clock())
        if error is not None:
            raise error
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise TransientError(f"X answered {method} {path} with no JSON") from None
        if not isinstance(body, dict):
            raise TransientError(f"unexpected answer to {method} {path}: {response.text[:200]}")
        return body

    def _send(self, method: str, path: str, token: str, endpoint: str, **kwargs: Any) -> httpx.Response:
        if self._check_target is not None:
            self._check_target()
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response = self.http.request(method, self.base + path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out: {method} {path}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed: {exc.__class__.__name__}") from exc
        self._note_window(endpoint, response.headers)
        return response

    # --- rate-limit windows --------------------------------------------------------------------

    def _wait_for(self, endpoint: str) -> None:
        window = self.windows.get(endpoint)
        if window is None or window.remaining > 0:
            return
        wait = window.reset_at.timestamp() - self._clock()
        if wait > 0:
            raise RateLimited(f"X: no calls left to {endpoint} in this window", retry_after=wait)

    def _note_window(self, endpoint: str, headers: httpx.Headers) -> None:
        remaining = _int(headers.get("x-rate-limit-remaining"))
        reset = _int(headers.get("x-rate-limit-reset"))
        if remaining is None or reset is None:
            return
        self.windows[endpoint] = Window(
            limit=_int(headers.get("x-rate-limit-limit")),
            remaining=remaining,
            reset_at=datetime.fromtimestamp(reset, UTC),
        )
        self._report()

    def tightest(self) -> Quota | None:
        """The running window with the fewest calls left."""
        now = self._clock()
        running = [(name, w) for name, w in self.windows.items() if w.reset_at.timestamp() > now]
        if not running:
            return None
        name, window = min(running, key=lambda pair: (pair[1].remaining, pair[1].reset_at))
        return Quota(remaining=window.remaining, reset_at=window.reset_at, limit=window.limit, endpoint=name)

    def _report(self) -> None:
        quota = self.tightest()
        if quota is None or quota == self._reported or self._on_quota is None:
            return
        self._reported = quota
        self._on_quota(quota)


def x_error(response: httpx.Response, *, now: float | None = None) -> ConnectorError | None:
    """Map an X API answer onto the connector errors (None for a success)."""
    status = response.status_code
    if status < 400:
        return None
    detail, problem = _problem(response)
    label = f"{detail} ({status})" if detail else f"HTTP {status}"
    if status == 429:
        return RateLimited(f"X rate limit: {label}", retry_after=_reset_wait(response, now))
    if status == 401 or (status == 403 and problem.endswith(AUTH_PROBLEMS)):
        return AuthError(f"X did not accept the credentials: {label}")
    if status == 403 and DUPLICATE_DETAIL in detail.lower():
        return DuplicateContent(f"X refused a duplicate: {label}")
    if status >= 500 or status == 408:
        return TransientError(f"X error: {label}")
    error = PermanentError(f"X refused: {label}")
    error.not_found = status == 404
    return error


def _problem(response: httpx.Response) -> tuple[str, str]:
    """(what X says went wrong, the problem type) from either error shape."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], ""
    if not isinstance(body, dict):
        return str(body)[:200], ""
    problem = str(body.get("type") or "")
    detail = body.get("detail") or body.get("title") or ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = detail or first.get("message") or first.get("detail") or ""
        problem = problem or str(first.get("type") or "")
    return str(detail)[:300], problem


def _reset_wait(response: httpx.Response, now: float | None) -> float:
    reset = _int(response.headers.get("x-rate-limit-reset"))
    if reset is None:
        return DEFAULT_WAIT
    return max(1.0, reset - (time.time() if now is None else now))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
