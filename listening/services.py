"""Writes of the listening module: ingest, topics, saved searches, answered marks, alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from statistics import median
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.tenancy.models import Workspace
from cxm.transactions import created_once
from listening import tasks
from listening.alert_delivery import (
    MAX_ALERT_RECIPIENTS,
    DeliveryOutcome,
    alert_deliver,
    alert_delivery_plan,
    topic_alert_delivery_set,
    topic_alert_webhook_secret_rotate,
)
from listening.archive import ArchivedMonth, mentions_archive
from listening.ingest.context import forget_workspace_context
from listening.ingest.pipeline import listening_sink, mentions_ingest, mentions_ingest_payload
from listening.ingest.raw import IngestResult, RawMention
from listening.models import Alert, DictionaryEntry, Mention, SavedSearch, Topic
from listening.query import QuerySyntaxError, matcher, parse, stored_tokens
from listening.search_text import mentions_search_text_refresh
from listening.selectors.spikes import topic_daily_series

__all__ = [
    "MAX_ALERT_RECIPIENTS",
    "ArchivedMonth",
    "DeliveryOutcome",
    "IngestResult",
    "RawMention",
    "alert_deliver",
    "alerts_detect",
    "listening_sink",
    "mention_mark_answered",
    "mention_mark_hidden",
    "mentions_archive",
    "mentions_ingest",
    "mentions_ingest_payload",
    "mentions_mark_answered_by_reply",
    "mentions_search_text_refresh",
    "saved_search_create",
    "topic_alert_delivery_set",
    "topic_alert_webhook_secret_rotate",
    "topic_backfill",
    "topic_create",
    "topic_delete",
    "topic_update",
]

BACKFILL_CHUNK = 5000


def _check_query(query: str) -> None:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        raise ValidationError({"query": f"{exc} (at character {exc.position + 1})"}) from exc


@transaction.atomic
def topic_create(
    *, workspace, name: str, query: str, brand=None, by=None, request=None, backfill: bool = True
) -> Topic:
    _check_query(query)
    taken = {"name": "A topic with this name already exists."}
    if Topic.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError(taken)
    with created_once("topic_name_unique", taken):  # the same name saved at the same moment
        topic = Topic.objects.create(
            workspace=workspace,
            name=name,
            query=query,
            brand=brand,
            created_by=by,
            backfill_status=Topic.BackfillStatus.PENDING if backfill else Topic.BackfillStatus.NONE,
        )
    forget_workspace_context(workspace.pk)
    audit_record(
        workspace=workspace,
        actor=by,
        action="topic.create",
        target=topic,
        after={"name": name, "query": query},
        request=request,
    )
    if backfill:
        transaction.on_commit(
            lambda: tasks.topic_backfill_run.delay(topic_id=topic.pk, workspace_id=workspace.pk)
        )
    return topic


@transaction.atomic
def topic_update(*, topic: Topic, by=None, request=None, **changes) -> Topic:
    if "query" in changes:
        _check_query(changes["query"])
    if (
        "name" in changes
        and Topic.objects.filter(workspace_id=topic.workspace_id, name=changes["name"])
        .exclude(pk=topic.pk)
        .exists()
    ):
        raise ValidationError({"name": "A topic with this name already exists."})
    before = {"name": topic.name, "query": topic.query}
    for key, value in changes.items():
        setattr(topic, key, value)
    topic.save()
    forget_workspace_context(topic.workspace_id)
    audit_record(
        workspace=topic.workspace,
        actor=by,
        action="topic.update",
        target=topic,
        before=before,
        after={"name": topic.name, "query": topic.query},
        request=request,
    )
    return topic


@transaction.atomic
def topic_delete(*, topic: Topic, by=None, request=None) -> None:
    audit_record(
        workspace=topic.workspace,
        actor=by,
        action="topic.delete",
        target=topic,
        before={"name": topic.name, "query": topic.query},
        request=request,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listening_mention SET topic_ids = array_remove(topic_ids, %s) "
            "WHERE workspace_id = %s AND topic_ids @> ARRAY[%s]::int[]",
            [topic.pk, topic.workspace_id, topic.pk],
        )
        cursor.execute(
            "DELETE FROM listening_mention_daily WHERE workspace_id = %s AND topic_id = %s",
            [topic.workspace_id, topic.pk],
        )
    topic.delete()
    forget_workspace_context(topic.workspace_id)


def topic_backfill(*, topic_id: int, workspace_id: int) -> Topic | None:
    """Match a topic over history with the same matcher ingest uses, in chunks, with progress.

    Idempotent: a mention that already carries the topic is left alone (and counted as matching),
    and the topic's roll-up rows are rebuilt from the mentions at the end, so a second run changes
    nothing and reports the same counts.
    """
    topic = Topic.objects.filter(pk=topic_id, workspace_id=workspace_id).first()
    if topic is None:
        return None
    predicate = matcher(parse(topic.query))
    Topic.objects.filter(pk=topic.pk).update(
        backfill_status=Topic.BackfillStatus.RUNNING,
        backfill_scanned=0,
        backfill_matched=0,
        backfill_total=Mention.objects.filter(workspace_id=workspace_id).count(),
    )
    last_id, scanned, matched = None, 0, 0
    columns = [
        "id",
        "text",
        "search_text",
        "language",
        "platform",
        "author_handle",
        "sentiment",
        "country",
        "kind",
        "media_type",
        "topic_ids",
    ]
    while True:
        chunk = Mention.objects.filter(workspace_id=workspace_id).order_by("-id")
        if last_id is not None:
            chunk = chunk.filter(id__lt=last_id)
        rows = list(chunk.values(*columns)[:BACKFILL_CHUNK])
        if not rows:
            break
        hits = []
        for row in rows:
            if topic.pk in row["topic_ids"]:
                # Matched already (at ingest, or by an earlier run): it counts, and is left alone.
                matched += 1
                continue
            row["tokens"] = stored_tokens(row["text"], row["search_text"])
            if predicate(row):
                hits.append(row["id"])
        if hits:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE listening_mention SET topic_ids = array_append(topic_ids, %s) "
                    "WHERE workspace_id = %s AND id = ANY(%s) AND NOT topic_ids @> ARRAY[%s]::int[]",
                    [topic.pk, workspace_id, hits, topic.pk],
                )
        scanned += len(rows)
        matched += len(hits)
        last_id = rows[-1]["id"]
        Topic.objects.filter(pk=topic.pk).update(backfill_scanned=scanned, backfill_matched=matched)
    _rebuild_topic_rollup(workspace_id, topic.pk)
    Topic.objects.filter(pk=topic.pk).update(backfill_status=Topic.BackfillStatus.DONE)
    topic.refresh_from_db()
    return topic


def _rebuild_topic_rollup(workspace_id: int, topic_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM listening_mention_daily WHERE workspace_id = %s AND topic_id = %s",
            [workspace_id, topic_id],
        )
        cursor.execute(
            """
            INSERT INTO listening_mention_daily (workspace_id, day, topic_id, brand_id, platform, language,
                sentiment, media_type, country, mentions, needs_answer, answered, sentiment_sum)
            SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, %s, coalesce(brand_id, 0), platform,
                language, sentiment, media_type, country, count(*), count(*) FILTER (WHERE needs_answer),
                count(*) FILTER (WHERE needs_answer AND answered), sum(sentiment_score)
            FROM listening_mention WHERE workspace_id = %s AND topic_ids @> ARRAY[%s]::int[]
            GROUP BY 1, 2, 4, 5, 6, 7, 8, 9
            """,
            [topic_id, workspace_id, topic_id],
        )


def mention_mark_answered(*, workspace_id: int, mention_id: int, at=None) -> bool:
    """Record that a person answered this mention (care or publishing calls this after a reply
    went out). Returns False when it was already answered; the roll-ups count it once."""
    at = at or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listening_mention SET answered = true, answered_at = %s "
            "WHERE workspace_id = %s AND id = %s AND NOT answered RETURNING created_at, topic_ids, brand_id, platform, "
            "language, sentiment, media_type, country, needs_answer",
            [at, workspace_id, mention_id],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        created_at, topic_ids, brand_id, platform, language, sentiment, media_type, country, needs = row
        if needs:
            cursor.execute(
                "UPDATE listening_mention_daily SET answered = answered + 1 WHERE workspace_id = %s AND day = %s "
                "AND topic_id = ANY(%s) AND brand_id = %s AND platform = %s AND language = %s AND sentiment = %s "
                "AND media_type = %s AND country = %s",
                [
                    workspace_id,
                    created_at.date(),
                    [0, *topic_ids],
                    brand_id or 0,
                    platform,
                    language,
                    sentiment,
                    media_type,
                    country,
                ],
            )
    return True


def mention_mark_hidden(*, workspace, mention: Mention, by=None, request=None) -> bool:
    """Record that a moderator hid this mention on its platform (the caller hid it there first).
    Returns False when it was recorded as hidden already."""
    raw = dict(mention.raw or {})
    if raw.get("hidden"):
        return False
    at = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listening_mention SET raw = coalesce(raw, '{}'::jsonb) || %s::jsonb "
            "WHERE workspace_id = %s AND id = %s AND created_at = %s",
            [
                json.dumps(
                    {"hidden": True, "hidden_at": at.isoformat(), "hidden_by": getattr(by, "pk", None)}
                ),
                workspace.pk,
                mention.pk,
                mention.created_at,
            ],
        )
        audit_record(
            workspace=workspace,
            actor=by,
            action="listening.mention_hide",
            object_repr=f"{mention.platform}:{mention.external_id}",
            after={"mention": mention.pk, "hidden": True},
            request=request,
        )
    return True


def mentions_mark_answered_by_reply(*, workspace_id: int, platform: str, external_id: str, at=None) -> int:
    """A reply to this platform item went out: mark the mention (if we have it) answered."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM listening_mention WHERE workspace_id = %s AND platform = %s AND external_id = %s "
            "AND NOT answered",
            [workspace_id, platform, external_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return sum(mention_mark_answered(workspace_id=workspace_id, mention_id=pk, at=at) for pk in ids)


@transaction.atomic
def saved_search_create(*, workspace, user, name: str, params: dict[str, Any]) -> SavedSearch:
    if not name.strip():
        raise ValidationError({"name": "Give the search a name."})
    if params.get("q"):
        _check_query(params["q"])
    return SavedSearch.objects.create(workspace=workspace, user=user, name=name.strip(), params=params)


def alerts_detect(*, workspace_id: int, today=None, baseline_days: int = 14) -> list[Alert]:
    """Raise an alert when a topic's volume or negative share today is well above its own recent
    baseline (median of the previous days). One alert per topic, kind and day; each new one is
    handed to the delivery task for the topic's email recipients and webhook."""
    today = today or timezone.now().date()
    raised = []
    for topic in Topic.objects.filter(workspace_id=workspace_id):
        series = topic_daily_series(
            workspace_id=workspace_id, topic_id=topic.pk, since=today - timedelta(days=baseline_days)
        )
        by_day = {day: (n, neg) for day, n, neg in series}
        volume, negative = by_day.get(today, (0, 0))
        history = [by_day.get(today - timedelta(days=d), (0, 0)) for d in range(1, baseline_days + 1)]
        if volume < topic.alert_min_volume:
            continue
        base_volume = max(1.0, median(n for n, _ in history))
        shares = [neg / n for n, neg in history if n]
        base_negative = median(shares) if shares else 0.0
        today_share = negative / volume if volume else 0.0
        checks = [
            (Alert.Kind.VOLUME, volume, base_volume, volume >= topic.alert_volume_factor * base_volume),
            (
                Alert.Kind.NEGATIVE,
                today_share,
                base_negative,
                today_share >= max(0.2, topic.alert_negative_factor * base_negative),
            ),
        ]
        for kind, observed, baseline, fired in checks:
            if not fired:
                continue
            with transaction.atomic():
                alert, created = Alert.objects.get_or_create(
                    workspace_id=workspace_id,
                    topic=topic,
                    kind=kind,
                    day=today,
                    defaults={"observed": observed, "baseline": baseline},
                )
                if created:
                    # Email and webhook go out from a task once this commits.
                    raised.append(alert_delivery_plan(alert=alert))
    return raised


DEMO_TOPICS = [
    (
        "Delivery problems",
        "(delivery OR pengiriman OR envío OR entrega OR livraison) AND NOT sentiment:positive",
    ),
    ("Prices and promos", "price* OR harga OR promo* OR diskon OR precio* OR mahal OR expensive"),
    ("Stock questions", '"in stock" OR stok OR habis OR "out of stock" OR restock'),
    ("Piracy", 'torrent* OR bittorrent OR pirate* OR bajakan OR "download it"'),
]
DEMO_DICTIONARY = [
    ("product", "Teh Segar 1L", ["teh segar 1l", "teh segar 1 liter", "1l"]),
    ("product", "Kopi Susu", ["kopi susu", "iced latte", "es kopi susu"]),
    ("product", "Cold Brew", ["cold brew"]),
    ("location", "Jakarta", ["jakarta", "jkt"]),
    ("location", "Surabaya", ["surabaya", "sby"]),
    ("location", "Bandung", ["bandung"]),
    ("location", "Kuala Lumpur", ["kuala lumpur", "kl"]),
    ("location", "Manila", ["manila"]),
    ("location", "Singapore", ["singapore", "sg"]),
    ("location", "London", ["london"]),
    ("location", "Madrid", ["madrid"]),
]


def demo_seed(*, workspace_slug: str) -> int:
    workspace = Workspace.objects.filter(slug=workspace_slug).first()
    if workspace is None or Topic.objects.filter(workspace=workspace).exists():
        return 0
    for tag_type, tag, terms in DEMO_DICTIONARY:
        DictionaryEntry.objects.get_or_create(
            workspace=workspace, tag_type=tag_type, tag=tag, defaults={"terms": terms}
        )
    for name, query in DEMO_TOPICS:
        topic_create(workspace=workspace, name=name, query=query, backfill=True)
    return len(DEMO_TOPICS)
