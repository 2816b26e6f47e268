"""Turning inputs into `RawMention`s: a connector's item or an API payload, validated so that
PostgreSQL can store it (lengths, whole numbers, ids, dates); a batch's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cxm.channels.connectors.base import Item, ItemKind
from cxm.channels.sinks import InboundContext
from listening import storable
from listening.models import MediaType

MAX_BATCH = 1000
# Characters of a mention's text; far beyond any platform's post, well inside what PostgreSQL's
# search vector (at most 1 MB per text) can index.
MAX_TEXT = 50_000


@dataclass
class RawMention:
    platform: str
    external_id: str
    text: str
    created_at: datetime
    author_platform_id: str
    author_handle: str
    author_name: str = ""
    kind: str = ItemKind.POST
    url: str = ""
    in_reply_to: str | None = None
    thread_id: str | None = None
    language: str | None = None
    country: str = ""
    brand_id: int | None = None
    business_unit_id: int | None = None
    account_id: int | None = None
    engagement: int = 0
    media_type: str | None = None  # decided by the pipeline unless the source knows (ads: paid)
    source: str = "api"
    raw: dict[str, Any] | None = None


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)


# --- turning inputs into RawMentions ---------------------------------------------------------------


def raw_from_item(item: Item, context: InboundContext) -> RawMention:
    raw = item.raw or {}
    return RawMention(
        platform=item.platform,
        external_id=item.external_id,
        text=item.text,
        created_at=item.created_at,
        author_platform_id=item.author.platform_id,
        author_handle=item.author.handle,
        author_name=item.author.name,
        kind=item.kind,
        url=item.url,
        in_reply_to=item.in_reply_to,
        thread_id=item.thread_id,
        language=item.language_hint,
        country=str(raw.get("country") or context.country or "")[:2].upper(),
        brand_id=context.brand_id,
        business_unit_id=context.business_unit_id,
        account_id=context.account_id,
        engagement=_whole(raw.get("engagement")),
        media_type=raw.get("media_type"),
        source=context.source,
        raw=raw if isinstance(raw, dict) else None,
    )


def raw_from_payload(payload: Any, *, brand_ids: set[int]) -> RawMention:
    """One item of `POST /api/v1/mentions/`; a ValidationError names the field at fault."""
    if not isinstance(payload, dict):
        raise ValidationError({"item": "Each item must be an object."})
    unstorable = storable.item_problem(payload)
    if unstorable is not None:
        raise ValidationError({unstorable[0]: unstorable[1]})
    errors: dict[str, str] = {}
    platform = payload.get("platform")
    if not isinstance(platform, str) or not platform.strip():
        errors["platform"] = "Required."
    external_id = payload.get("external_id")
    if external_id is None or str(external_id).strip() == "":
        errors["external_id"] = "Required."
    elif not _is_id(external_id):
        errors["external_id"] = _("Text or a whole number.")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "Required, a non-empty string."
    elif len(text) > MAX_TEXT:
        errors["text"] = _at_most(MAX_TEXT)
    created_at, created_problem = _created_at(payload.get("created_at"))
    if created_problem:
        errors["created_at"] = created_problem
    author = payload.get("author")
    if (
        not isinstance(author, dict)
        or not isinstance(author.get("handle"), str)
        or not author["handle"].strip()
    ):
        errors["author.handle"] = "Required: author must be an object with a handle (text)."
        author = author if isinstance(author, dict) else {}
    if author.get("name") is not None and not isinstance(author["name"], str):
        errors["author.name"] = _("Text, or null.")
    if author.get("id") is not None and not _is_id(author["id"]):
        errors["author.id"] = _("Text or a whole number, or null.")
    kind = payload.get("kind") or ItemKind.POST
    if not isinstance(kind, str) or kind not in ItemKind.ALL:
        errors["kind"] = f"One of: {', '.join(ItemKind.ALL)}."
    language = payload.get("language")
    if language is not None and (not isinstance(language, str) or not 2 <= len(language) <= 8):
        errors["language"] = "An ISO 639-1 code such as en or id, or null."
    country = payload.get("country")
    if country is not None and (not isinstance(country, str) or len(country) != 2):
        errors["country"] = "A two-letter ISO 3166 code such as ID, or null."
    brand = payload.get("brand")
    if brand is not None and (type(brand) is not int or brand not in brand_ids):
        errors["brand"] = "No such brand in this workspace."
    media_type = payload.get("media_type")
    if media_type is not None and media_type not in MediaType.values:
        errors["media_type"] = "One of owned, earned, paid, or null."
    engagement = payload.get("engagement")
    if engagement is not None and (isinstance(engagement, bool) or not isinstance(engagement, int)):
        errors["engagement"] = "A whole number, or null."
    for name in ("in_reply_to", "thread_id"):
        if payload.get(name) is not None and not _is_id(payload[name]):
            errors[name] = _("Text or a whole number, or null.")
    if payload.get("url") is not None and not isinstance(payload["url"], str):
        errors["url"] = _("Text, or null.")
    if errors:
        raise ValidationError(errors)
    handle = author["handle"].strip()
    raw = RawMention(
        platform=platform.strip().lower(),
        external_id=str(external_id).strip(),
        text=text,
        created_at=created_at,
        author_platform_id=str(author.get("id") or handle),
        author_handle=handle,
        author_name=(author.get("name") or "")[:255],
        kind=kind,
        url=str(payload.get("url") or "")[:1000],
        in_reply_to=(str(payload["in_reply_to"]) if payload.get("in_reply_to") else None),
        thread_id=(str(payload["thread_id"]) if payload.get("thread_id") else None),
        language=language.lower() if language else None,
        country=(country or "").upper(),
        brand_id=brand,
        engagement=engagement or 0,
        media_type=media_type,
        source="api",
        raw=payload.get("raw") if isinstance(payload.get("raw"), dict) else None,
    )
    # The whole item was searched for unstorable text above; what is left is lengths and ranges.
    problems = raw_mention_problems(raw, content=False)
    if problems:
        raise ValidationError(problems)
    return raw


# Text columns of a mention (and of its author's identity) and the characters each holds.
_LENGTHS = {
    "platform": ("platform", 32),
    "external_id": ("external_id", 255),
    "author.id": ("author_platform_id", 255),
    "author.handle": ("author_handle", 255),
    "in_reply_to": ("in_reply_to", 255),
    "thread_id": ("thread_id", 255),
}
# Fields whose text is stored as given (the rest are cut to their column: name, url).
_TEXTS = {
    "text": "text",
    "author.name": "author_name",
    "url": "url",
    "language": "language",
    "country": "country",
    **{name: attribute for name, (attribute, _) in _LENGTHS.items()},
}


def raw_mention_problems(raw: RawMention, *, content: bool = True) -> dict[str, str]:
    """What of a mention PostgreSQL would refuse, by field: lengths beyond a column, a time the
    table does not keep, engagement beyond an integer and, with `content`, U+0000, lone
    surrogates, non-finite numbers or deep nesting in its text and `raw`."""
    problems: dict[str, str] = {}
    if content:
        for name, attribute in _TEXTS.items():
            value = getattr(raw, attribute)
            problem = storable.text_problem(value) if isinstance(value, str) else None
            if problem:
                problems[name] = problem
        found = storable.json_problem(raw.raw, field="raw") if raw.raw else None
        if found:
            problems[found[0]] = found[1]
    for name, (attribute, limit) in _LENGTHS.items():
        value = getattr(raw, attribute)
        if value is not None and len(value) > limit and name not in problems:
            problems[name] = _at_most(limit)
    if len(raw.text) > MAX_TEXT:
        problems.setdefault("text", _at_most(MAX_TEXT))
    time_problem = storable.time_problem(raw.created_at)
    if time_problem:
        problems["created_at"] = time_problem
    engagement_problem = storable.int4_problem(raw.engagement)
    if engagement_problem:
        problems["engagement"] = engagement_problem
    return problems


def _at_most(limit: int) -> str:
    return _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}


def _whole(value: Any) -> int:
    """A platform's engagement count; one it sends as something else counts as none."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _is_id(value: Any) -> bool:
    """Platforms' ids are text or whole numbers; anything else would be stored as its repr."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _created_at(value: Any) -> tuple[datetime | None, str | None]:
    """An item's time, or why it cannot be one: unparsable, impossible (month 13), without a
    time zone, or outside the times a mention may carry."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None, _("Not a real date-time (check the month, day and hour).")
    if moment is None:
        return None, "Required, an ISO 8601 date-time such as 2026-11-20T10:00:00Z."
    if timezone.is_naive(moment):
        return None, "Give a time zone, e.g. Z or +07:00."
    return moment, storable.time_problem(moment)
