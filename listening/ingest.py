"""The ingest pipeline: validate, enrich, match topics, de-duplicate and store a batch in one step.

Every item of a batch is normalised into a `RawMention`, enriched (language, sentiment, tags,
media type, customer profile), matched against the workspace's topics, and written with the
roll-ups in one transaction. The (workspace, platform, external id) key table makes a redelivered
or replayed batch a no-op: its items come back as duplicates and nothing changes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from cxm.channels.connectors.base import Item, ItemKind
from cxm.channels.sinks import InboundContext, mentions_need_answer
from cxm.customers.services import AuthorKey, identities_resolve
from cxm.transactions import conflict_retried
from listening import enrichment, storable
from listening.answering import ADDRESSED_TO_US, NEEDS_ANSWER, Ours, answer_reason
from listening.models import DictionaryEntry, MediaType, Topic
from listening.partitions import ensure_partitions
from listening.query import QuerySyntaxError, matcher, parse, tokenize_text

logger = logging.getLogger(__name__)

MAX_BATCH = 1000
# Characters of a mention's text; far beyond any platform's post, well inside what PostgreSQL's
# search vector (at most 1 MB per text) can index.
MAX_TEXT = 50_000
CACHE_SECONDS = 15
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "your",
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "untuk",
        "dengan",
        "tidak",
        "ada",
        "saya",
        "aku",
        "kamu",
        "anda",
        "juga",
        "sudah",
        "akan",
        "bisa",
        "atau",
        "pada",
        "karena",
        "jadi",
        "kalau",
        "sama",
        "lagi",
        "banget",
        "nya",
        "dong",
        "sih",
        "deh",
        "kok",
        "yg",
        "gak",
        "ga",
        "nggak",
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "en",
        "es",
        "un",
        "una",
        "y",
        "por",
        "con",
        "para",
        "lo",
        "se",
        "le",
        "les",
        "des",
        "du",
        "et",
        "est",
        "une",
        "dans",
        "pas",
    ]
)


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


# --- per-workspace context, cached briefly ---------------------------------------------------------


@dataclass
class WorkspaceContext:
    loaded_at: float
    topics: list[tuple[int, Any]]  # (topic id, predicate)
    tagger: Any
    own_handles: frozenset[str]
    brand_by_name: dict[str, int]
    brand_units: dict[int, int | None]
    brand_ids: set[int]
    ours: Ours = field(default_factory=Ours)


_contexts: dict[int, WorkspaceContext] = {}


def workspace_context(workspace_id: int) -> WorkspaceContext:
    cached = _contexts.get(workspace_id)
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    from cxm.channels.selectors import account_handles
    from cxm.tenancy.models import Brand

    topics = []
    for topic_id, query in Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "query"):
        try:
            topics.append((topic_id, matcher(parse(query))))
        except QuerySyntaxError:
            continue  # saved queries are validated on save; an old bad one must not stop ingest
    topic_brands = dict(Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "brand_id"))
    brands = list(
        Brand.objects.filter(workspace_id=workspace_id).values_list(
            "pk", "name", "business_unit_id", "is_competitor"
        )
    )
    competitors = {pk for pk, _, _, rival in brands if rival}
    competitor_tags = {("brand", name.casefold()) for _, name, _, rival in brands if rival}
    entries = [("brand", name, [name]) for _, name, _, _ in brands]
    for entry in DictionaryEntry.objects.filter(workspace_id=workspace_id):
        entries.append((entry.tag_type, entry.tag, entry.terms))
        if entry.brand_id in competitors:
            competitor_tags.add((entry.tag_type, entry.tag.casefold()))
    handles = frozenset(handle.lower() for handle in account_handles(workspace_id=workspace_id))
    context = WorkspaceContext(
        loaded_at=time.monotonic(),
        topics=topics,
        tagger=enrichment.DictionaryTagger(entries),
        own_handles=handles,
        brand_by_name={name.lower(): pk for pk, name, _, _ in brands},
        brand_units={pk: unit for pk, _, unit, _ in brands},
        brand_ids={pk for pk, _, _, _ in brands},
        ours=Ours(
            # "@handle" of each own account: a post that names one is addressed to us.
            own_mentions=tuple(f"@{own.lstrip('@')}" for own in handles),
            competitor_tags=frozenset(competitor_tags),
            competitor_topics=frozenset(pk for pk, brand in topic_brands.items() if brand in competitors),
        ),
    )
    _contexts[workspace_id] = context
    return context


def forget_workspace_context(workspace_id: int | None = None) -> None:
    if workspace_id is None:
        _contexts.clear()
    else:
        _contexts.pop(workspace_id, None)


# --- the pipeline -----------------------------------------------------------------------------------
#
# A batch costs about as much in PostgreSQL (the generated search vector, the GIN and b-tree
# indexes, the key table) as in Python, and the two share the same cores, so the Python side does
# each thing once per batch where it can: one language-detection pass, one COPY for the keys and
# one for the mentions, and the roll-ups summed in Python into one upsert per table.

COPY_COLUMNS = (
    "id",
    "workspace_id",
    "created_at",
    "platform",
    "external_id",
    "account_id",
    "brand_id",
    "business_unit_id",
    "kind",
    "media_type",
    "author_identity_id",
    "customer_id",
    "author_handle",
    "author_name",
    "text",
    "url",
    "in_reply_to",
    "thread_id",
    "language",
    "language_confidence",
    "sentiment",
    "sentiment_score",
    "country",
    "topic_ids",
    "tags",
    "engagement",
    "needs_answer",
    "answer_reason",
    "answered",
    "ingested_at",
    "source",
    "raw",
)
# The mention table's column types, for COPY's binary format: PostgreSQL reads each value as
# stored rather than parsing its text, and psycopg writes it without formatting it as text first,
# which together take about a third of what the text format cost per row.
COPY_TYPES = {
    "id": "int8",
    "workspace_id": "int8",
    "created_at": "timestamptz",
    "account_id": "int8",
    "brand_id": "int8",
    "business_unit_id": "int8",
    "author_identity_id": "int8",
    "customer_id": "int8",
    "language_confidence": "float4",
    "sentiment_score": "float4",
    "topic_ids": "int4[]",
    "tags": "text[]",
    "engagement": "int4",
    "needs_answer": "bool",
    "answered": "bool",
    "ingested_at": "timestamptz",
    "raw": "jsonb",
}
_COPY_TYPE_LIST = [COPY_TYPES.get(column, "text") for column in COPY_COLUMNS]
_KEY_TYPE_LIST = ["int8", "text", "text", "int8", "timestamptz"]
_COPY_VALUES = itemgetter(*COPY_COLUMNS)
_RAW = COPY_COLUMNS.index("raw")
_OWNED, _EARNED = MediaType.OWNED.value, MediaType.EARNED.value


def mentions_ingest(
    *, workspace_id: int, raws: Sequence[RawMention], indexes: Sequence[int] | None = None
) -> IngestResult:
    """Store a batch; `indexes` maps each raw back to its position in the caller's batch.

    A mention PostgreSQL could not store (see `raw_mention_problems`) is reported in `errors` by
    its index and left out; the others are stored."""
    indexes = list(indexes) if indexes is not None else list(range(len(raws)))
    errors: list[dict[str, Any]] = []
    kept: list[RawMention] = []
    kept_indexes: list[int] = []
    for index, raw in zip(indexes, raws, strict=True):
        problems = raw_mention_problems(raw)
        if problems:
            errors.extend(
                {"index": index, "field": name, "message": message} for name, message in problems.items()
            )
        else:
            kept.append(raw)
            kept_indexes.append(index)
    result = _mentions_store(workspace_id, kept, kept_indexes)
    result.errors = errors
    return result


def _mentions_store(workspace_id: int, raws: Sequence[RawMention], indexes: Sequence[int]) -> IngestResult:
    result = IngestResult()
    seen: set[tuple[str, str]] = set()
    batch: list[tuple[int, RawMention]] = []
    for index, raw in zip(indexes, raws, strict=True):
        key = (raw.platform, raw.external_id)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        batch.append((index, raw))
    if not batch:
        return result

    context = workspace_context(workspace_id)

    def store() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows = _enrich(workspace_id, [raw for _, raw in batch], context)
        with transaction.atomic():
            ensure_partitions({row["created_at"] for row in rows})
            new_rows = _claim_keys(workspace_id, rows)
            if new_rows:
                _copy(new_rows)
                _roll_up(workspace_id, new_rows)
                _offer_needing_answer(
                    workspace_id, new_rows, {(raw.platform, raw.external_id): raw for _, raw in batch}
                )
        return rows, new_rows

    # Concurrent batches lock shared rows (keys, roll-ups, authors' identities) in one sorted
    # order, so they wait for each other rather than deadlock; should PostgreSQL still pick this
    # batch as a deadlock's victim, nothing of it was kept and it is simply run again.
    rows, new_rows = conflict_retried(store)
    result.accepted = len(new_rows)
    result.duplicates += len(rows) - len(new_rows)
    result.mention_ids = [row["id"] for row in new_rows]
    return result


# Direct messages and emails reach care through its own sink.
_CARE_OWN_KINDS = {ItemKind.DM, ItemKind.EMAIL}


def _offer_needing_answer(workspace_id: int, rows: list[dict[str, Any]], raws: dict) -> None:
    """Public mentions addressed to the brand are offered to the registered handlers
    (`cxm.channels.sinks`): care's rule opens a case when one names one of our handles and is
    negative or asks a question. In the mention's own transaction: a mention is never stored
    without its case, nor a case without its mention."""
    # Sorted, as every multi-row write of a batch is, so concurrent batches lock in one order.
    candidates = sorted(
        (row for row in rows if row["needs_answer"] and row["kind"] not in _CARE_OWN_KINDS),
        key=itemgetter("platform", "external_id"),
    )
    if not candidates:
        return
    mentions_need_answer(
        workspace_id=workspace_id,
        mentions=[
            {
                "platform": row["platform"],
                "external_id": row["external_id"],
                "text": row["text"],
                "created_at": row["created_at"],
                "url": row["url"],
                "author": {
                    "id": raws[(row["platform"], row["external_id"])].author_platform_id,
                    "handle": row["author_handle"],
                    "name": row["author_name"],
                },
                "account_id": row["account_id"],
                "language": row["language"],
                "sentiment": row["sentiment"],
                # Addressed to us (a comment under our ad, a post naming our brand...) whether or
                # not it names one of our handles.
                "names_us": row["answer_reason"] in ADDRESSED_TO_US,
            }
            for row in candidates
        ],
    )


def _enrich(workspace_id: int, raws: list[RawMention], context: WorkspaceContext) -> list[dict[str, Any]]:
    texts = [raw.text for raw in raws]
    needs_language = [i for i, raw in enumerate(raws) if not raw.language]
    detected = enrichment.detect_languages([texts[i] for i in needs_language]) if needs_language else []
    languages: list[tuple[str, float]] = [
        ((raw.language or ""), 1.0 if raw.language else 0.0) for raw in raws
    ]
    for i, (code, confidence) in zip(needs_language, detected, strict=True):
        languages[i] = (code or "", confidence)
    sentiments = enrichment.score_many(texts, [code or None for code, _ in languages])
    first_seen: dict[tuple[str, str], RawMention] = {}
    for raw in raws:
        first_seen.setdefault((raw.platform, raw.author_platform_id), raw)
    identities = identities_resolve(
        workspace_id=workspace_id,
        authors=[
            AuthorKey(raw.platform, raw.author_platform_id, raw.author_handle, raw.author_name)
            for raw in first_seen.values()  # a batch has few authors: one key each
        ],
    )
    now = timezone.now()
    topics = context.topics
    tags_of = context.tagger.tags
    own_handles = context.own_handles
    ours = context.ours
    brand_by_name = context.brand_by_name
    rows = []
    for raw, (language, confidence), (label, score) in zip(raws, languages, sentiments, strict=True):
        text = raw.text
        tokens = tokenize_text(text)
        tags = tags_of(text)
        media_type = raw.media_type or (_OWNED if raw.author_handle.lower() in own_handles else _EARNED)
        brand_id = raw.brand_id
        if brand_id is None and tags:
            named = {brand_by_name.get(tag.lower()) for tag_type, tag in tags if tag_type == "brand"} - {None}
            if len(named) == 1:
                brand_id = named.pop()
        topic_ids = []
        if topics:
            document = {
                "text": text,
                "tokens": tokens,
                "language": language,
                "platform": raw.platform,
                "author_handle": raw.author_handle,
                "sentiment": label,
                "country": raw.country,
                "kind": raw.kind,
                "media_type": media_type,
            }
            topic_ids = [topic_id for topic_id, predicate in topics if predicate(document)]
        kind = raw.kind
        reason = answer_reason(
            kind=kind, media_type=media_type, text=text, tags=tags, topic_ids=topic_ids, ours=ours
        )
        identity = identities.get((raw.platform, raw.author_platform_id))
        rows.append(
            {
                "workspace_id": workspace_id,
                "created_at": raw.created_at,
                "platform": raw.platform,
                "external_id": raw.external_id,
                "account_id": raw.account_id,
                "brand_id": brand_id,
                "business_unit_id": raw.business_unit_id
                or (context.brand_units.get(brand_id) if brand_id else None),
                "kind": kind,
                "media_type": media_type,
                "author_identity_id": identity.identity_id if identity else None,
                "customer_id": identity.profile_id if identity else None,
                "author_handle": raw.author_handle[:255],
                "author_name": raw.author_name[:255],
                "text": text,
                "url": raw.url[:1000],
                "in_reply_to": raw.in_reply_to,
                "thread_id": raw.thread_id or raw.external_id,
                "language": language[:8],
                "language_confidence": round(confidence, 4),
                "sentiment": label,
                "sentiment_score": round(score, 4),
                "country": raw.country[:2],
                "topic_ids": topic_ids,
                "tags": [f"{tag_type}:{tag}" for tag_type, tag in tags],
                "engagement": raw.engagement,
                "needs_answer": reason in NEEDS_ANSWER,
                "answer_reason": reason.value,
                "answered": False,
                "ingested_at": now,
                "source": raw.source,
                "raw": raw.raw,
                "_terms": {
                    token
                    for token in tokens
                    if len(token) >= 3 and token not in STOPWORDS and not token.isdigit()
                },
            }
        )
    return rows


def _claim_keys(workspace_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the keys; only rows whose key was new are stored. Concurrent batches with the same
    key wait for each other on the unique index, so exactly one of them stores the mention.

    Keys go in sorted, so two batches sharing keys wait on each other rather than deadlock. A
    batch of new keys, the usual case, is one COPY; if any key exists already (a redelivery),
    the COPY fails as a whole and the batch is claimed key by key with ON CONFLICT instead.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('listening_mention_id_seq') FROM generate_series(1, %s)", [len(rows)])
        for row, (mention_id,) in zip(rows, cursor.fetchall(), strict=True):
            row["id"] = mention_id
    ordered = sorted(rows, key=itemgetter("platform", "external_id"))
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            copy_sql = (
                "COPY listening_mention_key (workspace_id, platform, external_id, mention_id, created_at) "
                "FROM STDIN (FORMAT BINARY)"
            )
            with wrapper.cursor.copy(copy_sql) as copy:
                copy.set_types(_KEY_TYPE_LIST)
                for row in ordered:
                    copy.write_row(
                        (workspace_id, row["platform"], row["external_id"], row["id"], row["created_at"])
                    )
        return rows
    except UniqueViolation:
        pass  # rolled back to the savepoint: nothing of this attempt is kept
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO listening_mention_key (workspace_id, platform, external_id, mention_id, created_at)
            SELECT %s, p, e, i, c FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::timestamptz[])
                AS t(p, e, i, c)
            ON CONFLICT DO NOTHING
            RETURNING mention_id
            """,
            [
                workspace_id,
                [r["platform"] for r in ordered],
                [r["external_id"] for r in ordered],
                [r["id"] for r in ordered],
                [r["created_at"] for r in ordered],
            ],
        )
        claimed = {row[0] for row in cursor.fetchall()}
    return [row for row in rows if row["id"] in claimed]


def _copy(rows: list[dict[str, Any]]) -> None:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        with cursor.copy(
            f"COPY listening_mention ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_COPY_TYPE_LIST)
            for row in rows:
                values = _COPY_VALUES(row)
                if values[_RAW] is not None:
                    values = list(values)
                    values[_RAW] = Jsonb(values[_RAW])
                copy.write_row(values)


def _roll_up(workspace_id: int, rows: list[dict[str, Any]]) -> None:
    """Fold the batch into the daily roll-ups with one upsert per table."""
    # Each key's sums in a list: one dict look-up per row and key rather than one per measure.
    daily: dict[tuple, list] = {}  # key -> [mentions, needs_answer, answered, sentiment_sum]
    authors: dict[tuple, list] = {}  # key -> [mentions, positive, negative, customer_id]
    terms: Counter = Counter()
    tags: dict[tuple, list] = {}  # key -> [mentions, negative]
    for row in rows:
        day = row["created_at"].astimezone(UTC).date()
        sentiment = row["sentiment"]
        negative = sentiment == "negative"
        base = (
            row["brand_id"] or 0,
            row["platform"],
            row["language"],
            sentiment,
            row["media_type"],
            row["country"],
        )
        for topic_id in (0, *row["topic_ids"]):
            key = (day, topic_id, *base)
            sums = daily.get(key)
            if sums is None:
                daily[key] = [1, int(row["needs_answer"]), 0, 0 + row["sentiment_score"]]
            else:
                sums[0] += 1
                sums[1] += row["needs_answer"]
                sums[3] += row["sentiment_score"]
        author_key = (day, row["platform"], row["author_handle"])
        sums = authors.get(author_key)
        if sums is None:
            authors[author_key] = sums = [0, 0, 0, None]
        sums[0] += 1
        sums[1] += sentiment == "positive"
        sums[2] += negative
        sums[3] = row["customer_id"]
        row_terms = row["_terms"]
        if row_terms:
            terms.update(zip(repeat(day, len(row_terms)), row_terms, strict=True))
        for tag in row["tags"]:
            sums = tags.get((day, tag))
            if sums is None:
                tags[(day, tag)] = sums = [0, 0]
            sums[0] += 1
            sums[1] += negative
    if any(len(term) > 100 for _, term in terms):
        # The roll-up keeps 100 characters of a term; longer ones that agree that far count as one.
        truncated: Counter = Counter()
        for (day, term), count in terms.items():
            truncated[(day, term[:100])] += count
        terms = truncated
    # Top terms keep the batch's heavy hitters only: the long tail of one-off words would make
    # the roll-up as big as the mentions themselves.
    top_terms = dict(terms.most_common(200))
    with connection.cursor() as cursor:
        # Every upsert below takes its rows in sorted key order: two batches touching the same
        # days, topics and authors then lock them in the same order and wait, never deadlock.
        keys = sorted(daily)
        sums = [daily[key] for key in keys]
        cursor.execute(
            """
            INSERT INTO listening_mention_daily AS d (workspace_id, day, topic_id, brand_id, platform, language,
                sentiment, media_type, country, mentions, needs_answer, answered, sentiment_sum)
            SELECT %s, * FROM unnest(%s::date[], %s::int[], %s::bigint[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::float8[])
            ON CONFLICT (workspace_id, day, topic_id, brand_id, platform, language, sentiment, media_type, country)
            DO UPDATE SET mentions = d.mentions + EXCLUDED.mentions,
                needs_answer = d.needs_answer + EXCLUDED.needs_answer,
                answered = d.answered + EXCLUDED.answered, sentiment_sum = d.sentiment_sum + EXCLUDED.sentiment_sum
            """,
            [
                workspace_id,
                *[[key[i] for key in keys] for i in range(8)],
                *[[total[i] for total in sums] for i in range(4)],
            ],
        )
        akeys = sorted(authors)
        asums = [authors[key] for key in akeys]
        cursor.execute(
            """
            INSERT INTO listening_author_daily AS a (workspace_id, day, platform, author_handle, customer_id,
                mentions, positive, negative)
            SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[],
                %s::bigint[])
            ON CONFLICT (workspace_id, day, platform, author_handle) DO UPDATE SET
                mentions = a.mentions + EXCLUDED.mentions, positive = a.positive + EXCLUDED.positive,
                negative = a.negative + EXCLUDED.negative, customer_id = EXCLUDED.customer_id
            """,
            [
                workspace_id,
                [k[0] for k in akeys],
                [k[1] for k in akeys],
                [k[2] for k in akeys],
                [s[3] for s in asums],
                [s[0] for s in asums],
                [s[1] for s in asums],
                [s[2] for s in asums],
            ],
        )
        if top_terms:
            tkeys = sorted(top_terms)
            cursor.execute(
                """
                INSERT INTO listening_term_daily AS t (workspace_id, day, term, mentions)
                SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::bigint[])
                ON CONFLICT (workspace_id, day, term) DO UPDATE SET mentions = t.mentions + EXCLUDED.mentions
                """,
                [workspace_id, [k[0] for k in tkeys], [k[1] for k in tkeys], [top_terms[k] for k in tkeys]],
            )
        if tags:
            gkeys = sorted(tags)
            cursor.execute(
                """
                INSERT INTO listening_tag_daily AS g (workspace_id, day, tag, mentions, negative)
                SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::bigint[], %s::bigint[])
                ON CONFLICT (workspace_id, day, tag) DO UPDATE SET mentions = g.mentions + EXCLUDED.mentions,
                    negative = g.negative + EXCLUDED.negative
                """,
                [
                    workspace_id,
                    [k[0] for k in gkeys],
                    [k[1] for k in gkeys],
                    [tags[k][0] for k in gkeys],
                    [tags[k][1] for k in gkeys],
                ],
            )


def mentions_ingest_payload(*, workspace_id: int, items: Any) -> IngestResult:
    """`POST /api/v1/mentions/`: bad items are reported by index, the rest stored."""
    if not isinstance(items, list):
        raise ValidationError({"items": 'Send {"items": [...]}, a list of at most 1,000 items.'})
    if len(items) > MAX_BATCH:
        raise ValidationError({"items": f"At most {MAX_BATCH} items per batch; split the batch."})
    brand_ids = workspace_context(workspace_id).brand_ids
    errors: list[dict[str, Any]] = []
    raws: list[RawMention] = []
    indexes: list[int] = []
    for index, payload in enumerate(items):
        try:
            raws.append(raw_from_payload(payload, brand_ids=brand_ids))
            indexes.append(index)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.append({"index": index, "field": name, "message": " ".join(messages)})
    result = _mentions_store(workspace_id, raws, indexes)
    result.errors = errors
    return result


def listening_sink(context: InboundContext, items: Sequence[Item]) -> None:
    """Connector and webhook items become mentions (registered in ListeningConfig.ready)."""
    raws = [raw_from_item(item, context) for item in items]
    result = mentions_ingest(workspace_id=context.workspace_id, raws=raws)
    for error in result.errors:
        # A platform's item PostgreSQL cannot store is skipped so the rest of the page is kept.
        logger.warning(
            "%s item %s not stored as a mention: %s: %s",
            context.source,
            items[error["index"]].external_id[:255].encode("utf-8", "backslashreplace").decode(),
            error["field"],
            error["message"],
        )
