"""A mention's page: the mention, its conversation, its author's other mentions; the language
of a text as the Explorer detects it; a customer's mentions for the customer timeline."""

from __future__ import annotations

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext

from cxm.customers.timeline import TimelineEntry
from cxm.web.templatetags.labels import platform_label
from listening.enrichment import detect_languages
from listening.models import Mention, Sentiment


def mention_get(*, workspace, mention_id: int) -> Mention | None:
    return Mention.objects.filter(workspace_id=workspace.pk, pk=mention_id).first()


def mentions_by_external_ids(*, workspace, platform: str, external_ids: list[str]) -> list[Mention]:
    """The mentions of these items of one platform (e.g. the comments a care case holds)."""
    if not external_ids:
        return []
    return list(
        Mention.objects.filter(workspace_id=workspace.pk, platform=platform, external_id__in=external_ids)
    )


def mention_thread(*, workspace, mention: Mention, limit: int = 50) -> list[Mention]:
    """The conversation around a mention: same thread, oldest first."""
    if not mention.thread_id:
        return [mention]
    # Thread ids are a platform's own. The thread index holds replies only (migration 0006); the
    # root, whose thread id is its own external id, is found through the key table.
    replies = list(
        Mention.objects.filter(
            workspace_id=workspace.pk, platform=mention.platform, thread_id=mention.thread_id
        )
        .extra(where=["listening_mention.thread_id <> listening_mention.external_id"])
        .order_by("created_at", "id")[:limit]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mention_id, created_at FROM listening_mention_key "
            "WHERE workspace_id = %s AND platform = %s AND external_id = %s",
            [workspace.pk, mention.platform, mention.thread_id],
        )
        key = cursor.fetchone()
    root = None
    if key is not None:
        root = Mention.objects.filter(
            workspace_id=workspace.pk, pk=key[0], created_at=key[1], thread_id=mention.thread_id
        ).first()
    thread = sorted([root, *replies] if root else replies, key=lambda item: (item.created_at, item.pk))
    return thread[:limit]


def author_history(
    *, workspace, customer_id: int | None, exclude: int | None = None, limit: int = 20
) -> list[Mention]:
    if customer_id is None:
        return []
    history = Mention.objects.filter(workspace_id=workspace.pk, customer_id=customer_id).order_by(
        "-created_at"
    )
    if exclude is not None:
        history = history.exclude(pk=exclude)
    return list(history[:limit])


def languages_detect(*, texts: list[str]) -> list[str]:
    """The language of each text as the Explorer detects a mention's (the same model, no
    candidates): an ISO 639-1 code, or "" when a text is too short to tell."""
    return [code or "" for code, _confidence in detect_languages(texts)]


def customer_mentions_timeline(workspace_id: int, profile_ids: list[int], before, limit: int):
    """The customer's public mentions, for the unified customer timeline (newest first)."""
    mentions = Mention.objects.filter(workspace_id=workspace_id, customer_id__in=profile_ids)
    if before is not None:
        mentions = mentions.filter(created_at__lt=before)
    return [
        TimelineEntry(
            at=m.created_at,
            source="listening",
            kind="mention",
            title=gettext("%(platform)s mention · %(sentiment)s")
            % {
                "platform": platform_label(m.platform),
                "sentiment": dict(Sentiment.choices).get(m.sentiment, m.sentiment),
            },
            text=m.text[:280],
            url=reverse("listening:mention", args=[m.pk]),
            ref={"mention_id": m.pk, "answered": m.answered},
        )
        for m in mentions.order_by("-created_at")[:limit]
    ]
