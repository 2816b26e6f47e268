"""Product feeds: a CSV uploaded once, or fetched from a URL and fetched again on a schedule.

Either way the CSV is read by `ads.variants.load_feed_csv`: good rows are kept and every bad row
is listed with its row, line, field and reason (a bad row never costs the good ones).

A URL feed is fetched again every `CXM_ADS_FEED_REFRESH_MINUTES` (beat asks every minute which
feeds are due). A failed fetch, or a document that is no feed any more (empty, a required column
gone), keeps the last good rows: the failure is recorded as the feed's first error (row 0, field
"url", with its time, as the parser reports whole-feed problems on row 0), shown with the feed, and
the next attempt waits one interval like a good one. The next good fetch replaces rows and errors.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads import variants as pure
from ads.models import Feed, FeedSource
from ads.services._shared import actor, audit
from cxm.channels import outbound
from cxm.channels.connectors.base import ConnectorError, http_call, http_client
from cxm.tenancy.models import Workspace

FETCH_FAILURE_FIELD = "url"
FETCH_TIMEOUT_SECONDS = 60.0
MAX_FEED_BYTES = 200 * 1024 * 1024  # as for an upload


def _text(value: object) -> str:
    return value.format() if isinstance(value, pure.Money) else str(value)


def _parsed_values(content: str, default_currency: str) -> dict:
    """What a feed stores for this CSV; a whole-feed problem (empty, header) is a ValidationError."""
    parsed = pure.load_feed_csv(
        io.StringIO(content), required=("id",), default_currency=default_currency.upper() or None
    )
    if not parsed.columns:
        raise ValidationError({"file": "The file is empty."})
    header_errors = [error for error in parsed.errors if error.index == 0]
    if header_errors:
        raise ValidationError({"file": "; ".join(f"{e.field}: {e.reason}" for e in header_errors)})
    return {
        "columns": list(parsed.columns),
        "content": content,
        "default_currency": default_currency.upper(),
        "rows": [
            {"index": row.index, "id": row.id, "values": {k: _text(v) for k, v in row.values.items()}}
            for row in parsed.rows
        ],
        "errors": [
            {"index": e.index, "line": e.line, "field": e.field, "reason": e.reason} for e in parsed.errors
        ],
        "row_count": len(parsed.rows),
        "error_count": len(parsed.errors),
        "refreshed_at": timezone.now(),
    }


@transaction.atomic
def feed_upload_csv(
    *,
    workspace: Workspace,
    name: str,
    content: str,
    default_currency: str = "",
    url: str = "",
    feed: Feed | None = None,
    by=None,
    request=None,
) -> Feed:
    """Store a product feed from CSV text: good rows kept, every bad row listed with its row, field
    and reason (a bad row never costs the good ones). With `feed`, refreshes that feed."""
    if not name.strip() and feed is None:
        raise ValidationError({"name": "A feed needs a name."})
    values = _parsed_values(content, default_currency)
    if feed is None:
        feed = Feed.objects.create(
            workspace=workspace,
            name=name.strip(),
            source=FeedSource.URL if url else FeedSource.CSV,
            url=url,
            created_by=actor(by),
            **values,
        )
    else:
        for key, value in values.items():
            setattr(feed, key, value)
        feed.save()
    audit(
        workspace,
        "ads.feed_upload",
        by=by,
        target=feed,
        after={"rows": feed.row_count, "errors": feed.error_count},
        request=request,
        label=f"feed {feed.name}",
    )
    return feed


def feed_rows(feed: Feed) -> pure.Feed:
    """The feed as the generator reads it (prices as Money, from the stored CSV)."""
    return pure.load_feed_csv(
        io.StringIO(feed.content), required=("id",), default_currency=feed.default_currency or None
    )


# --- fetched from a URL -----------------------------------------------------------------------------


def feed_fetch_text(
    url: str, *, workspace: Workspace | None = None, timeout: float = FETCH_TIMEOUT_SECONDS
) -> str:
    """The CSV at `url`; a network failure, an error answer, a redirect, an oversized document or
    an address inside the platform's own network (see cxm.channels.outbound) raises ConnectorError."""
    try:
        outbound.target_check(url, workspace=workspace)
    except outbound.UnsafeTarget as exc:
        raise ConnectorError(str(exc)) from None
    with http_client(base_url="", timeout=timeout) as client:
        response = http_call(client, "GET", url)
    if response.status_code != 200:
        # The shared client follows no redirects: a moved feed must be given its new address.
        raise ConnectorError(f"answered {response.status_code} instead of the feed")
    if len(response.content) > MAX_FEED_BYTES:
        raise ConnectorError("the feed is larger than 200 MB")
    return response.content.decode("utf-8-sig", errors="replace")


def feed_create_from_url(
    *, workspace: Workspace, name: str, url: str, default_currency: str = "", by=None, request=None
) -> Feed:
    """Fetch a feed from `url` now and keep it fetched on the schedule. A first fetch that fails
    creates nothing (ValidationError on "url")."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise ValidationError({"url": "An http:// or https:// address."})
    if not name.strip():
        raise ValidationError({"name": "A feed needs a name."})
    try:
        outbound.target_check_on_save(url, workspace=workspace)
    except outbound.UnsafeTarget as exc:
        raise ValidationError({"url": str(exc)}) from None
    try:
        content = feed_fetch_text(url, workspace=workspace)
    except ConnectorError as error:
        raise ValidationError({"url": f"The feed could not be fetched: {error}"}) from error
    return feed_upload_csv(
        workspace=workspace,
        name=name,
        content=content,
        default_currency=default_currency,
        url=url,
        by=by,
        request=request,
    )


def refresh_interval() -> timedelta:
    return timedelta(minutes=max(1, int(settings.CXM_ADS_FEED_REFRESH_MINUTES)))


def feed_fetch_failure(feed: Feed) -> dict | None:
    """The failure of the last fetch, if it failed (rows and errors are then those of the last
    good one)."""
    for error in feed.errors or []:
        if error.get("index") == 0 and error.get("field") == FETCH_FAILURE_FIELD:
            return error
    return None


def _last_attempt(feed: Feed) -> datetime | None:
    failure = feed_fetch_failure(feed)
    failed_at = parse_datetime(failure.get("at") or "") if failure else None
    attempts = [moment for moment in (feed.refreshed_at, failed_at) if moment is not None]
    return max(attempts) if attempts else None


def _is_due(feed: Feed, now: datetime) -> bool:
    last = _last_attempt(feed)
    return last is None or last + refresh_interval() <= now


def feeds_refresh_due(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """(feed id, workspace id) of the URL feeds whose interval has passed since their last fetch,
    good or failed, across workspaces."""
    now = now or timezone.now()
    candidates = (
        Feed.objects.filter(source=FeedSource.URL)
        .exclude(url="")
        .filter(Q(refreshed_at__isnull=True) | Q(refreshed_at__lte=now - refresh_interval()))
        .only("pk", "workspace_id", "refreshed_at", "errors")
        .order_by("pk")
    )
    return [(feed.pk, feed.workspace_id) for feed in candidates if _is_due(feed, now)]


@dataclass
class FeedRefresh:
    feed_id: int
    outcome: str = "ok"  # ok, failed, not_due, skipped
    error: str = ""
    rows: int = 0
    errors: int = 0


def feed_refresh(*, feed_id: int, workspace_id: int, force: bool = False) -> FeedRefresh:
    """Fetch a URL feed of the workspace again when it is due (or `force`), and store what came;
    safe to run twice. A failure is recorded on the feed, whose last good rows stay as they were.
    Another workspace's feed is skipped."""
    result = FeedRefresh(feed_id=feed_id)
    feed = (
        Feed.objects.filter(pk=feed_id, workspace_id=workspace_id, source=FeedSource.URL)
        .exclude(url="")
        .first()
    )
    if feed is None:
        result.outcome = "skipped"
        return result
    if not force and not _is_due(feed, timezone.now()):
        result.outcome = "not_due"
        return result
    seen = _last_attempt(feed)
    values: dict = {}
    try:
        content = feed_fetch_text(feed.url, workspace=feed.workspace)
        values = _parsed_values(content, feed.default_currency)
    except ConnectorError as error:
        result.error = f"The feed could not be fetched: {error}"
    except ValidationError as error:
        problems = "; ".join(str(m) for messages in error.message_dict.values() for m in messages)
        result.error = f"The fetched document is not a usable feed: {problems}"
    with transaction.atomic():
        feed = Feed.objects.select_for_update().get(pk=feed.pk, workspace_id=workspace_id)
        if _last_attempt(feed) != seen:
            result.outcome = "not_due"  # another run stored its fetch meanwhile
            return result
        if result.error:
            result.outcome = "failed"
            failure = {
                "index": 0,
                "line": 0,
                "field": FETCH_FAILURE_FIELD,
                "reason": f"{result.error}. The rows of the last good fetch are kept.",
                "at": timezone.now().isoformat(),
            }
            previous = feed_fetch_failure(feed)
            feed.errors = [failure, *(e for e in feed.errors or [] if e is not previous)]
            feed.save(update_fields=["errors"])
        else:
            for key, value in values.items():
                setattr(feed, key, value)
            feed.save()
    result.rows, result.errors = feed.row_count, feed.error_count
    return result
