"""The pipeline: a batch enriched (language, sentiment, tags, media type, customer profile),
matched against the workspace's topics, de-duplicated on the key table and written with its
roll-ups in one transaction; the mentions that need an answer are offered to the registered
handlers (care) in that transaction too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from cxm.channels.connectors.base import Item, ItemKind
from cxm.channels.sinks import InboundContext, mentions_need_answer
from cxm.customers.services import AuthorKey, identities_resolve
from cxm.transactions import conflict_retried
from listening import enrichment
from listening.answering import ADDRESSED_TO_US, NEEDS_ANSWER, answer_reason
from listening.ingest import rollups
from listening.ingest.context import WorkspaceContext, workspace_context
from listening.ingest.raw import (
    MAX_BATCH,
    IngestResult,
    RawMention,
    raw_from_item,
    raw_from_payload,
    raw_mention_problems,
)
from listening.ingest.rollups import STOPWORDS
from listening.models import MediaType
from listening.partitions import ensure_partitions
from listening.query import document_parts

logger = logging.getLogger(__name__)

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
    "search_text",
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
                rollups.roll_up(workspace_id, new_rows)
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
        text_tokens, spelled, spelled_tokens = document_parts(text)
        # As the search vector holds them: the text's lexemes, then those of its search_text.
        tokens = text_tokens + spelled_tokens if spelled_tokens else text_tokens
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
                "search_text": spelled,
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
                    for token in text_tokens
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
