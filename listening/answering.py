"""Whether a mention needs an answer from us, and why: one rule, applied at ingest and shown on
the mention's page and the Explorer's rows.

A mention needs an answer when it is addressed to the workspace: a direct message or e-mail, a
comment or review on our own content (or under our ad), or a public post that names one of our
account handles, one of our brands or products (the dictionary), or matches one of our topics.
It needs none when it is our own post, names only competitors' brands or products (or matches
only topics about a competitor), or names nothing of ours at all. docs/care.md states the same
rule for people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cxm.channels.connectors.base import ItemKind
from listening.models import MediaType


class AnswerReason(models.TextChoices):
    # Needs an answer.
    DIRECT_MESSAGE = "direct_message", _("a direct message to us")
    REPLY_TO_US = "reply_to_us", _("a comment or review on our own content")
    NAMES_HANDLE = "names_handle", _("names one of our accounts")
    NAMES_BRAND = "names_brand", _("names one of our brands")
    NAMES_PRODUCT = "names_product", _("names one of our products")
    MATCHES_TOPIC = "matches_topic", _("matches one of our topics")
    # Needs none.
    OWN_POST = "own_post", _("our own post")
    COMPETITOR_ONLY = "competitor_only", _("names only a competitor")
    NOT_ADDRESSED = "not_addressed", _("names nothing of ours")


NEEDS_ANSWER = frozenset(
    {
        AnswerReason.DIRECT_MESSAGE,
        AnswerReason.REPLY_TO_US,
        AnswerReason.NAMES_HANDLE,
        AnswerReason.NAMES_BRAND,
        AnswerReason.NAMES_PRODUCT,
        AnswerReason.MATCHES_TOPIC,
    }
)
# The reasons that mean the customer spoke to us, not only about something we follow: care
# opens a case for such a mention when it is negative or asks a question.
ADDRESSED_TO_US = frozenset(
    {
        AnswerReason.REPLY_TO_US,
        AnswerReason.NAMES_HANDLE,
        AnswerReason.NAMES_BRAND,
        AnswerReason.NAMES_PRODUCT,
    }
)
_DIRECT = {ItemKind.DM, ItemKind.EMAIL}
_ON_OUR_CONTENT = {ItemKind.COMMENT, ItemKind.REVIEW}


@dataclass(frozen=True)
class Ours:
    """What of a workspace a mention can name: `own_mentions` are "@handle" strings (lower case),
    `competitor_tags` the dictionary tags, (type, folded tag), that belong to a competitor, and
    `competitor_topics` the ids of topics kept about a competitor."""

    own_mentions: tuple[str, ...] = ()
    competitor_tags: frozenset[tuple[str, str]] = frozenset()
    competitor_topics: frozenset[int] = frozenset()


def answer_reason(
    *,
    kind: str,
    media_type: str,
    text: str,
    tags: Iterable[tuple[str, str]],
    topic_ids: Collection[int],
    ours: Ours,
) -> AnswerReason:
    """Why this mention needs an answer, or why it needs none; the first rule that applies wins."""
    if media_type == MediaType.OWNED:
        return AnswerReason.OWN_POST
    if kind in _DIRECT:
        return AnswerReason.DIRECT_MESSAGE
    if kind in _ON_OUR_CONTENT or media_type == MediaType.PAID:
        return AnswerReason.REPLY_TO_US
    lowered = text.lower()
    if any(needle in lowered for needle in ours.own_mentions):
        return AnswerReason.NAMES_HANDLE
    named = [(tag_type, tag.casefold()) for tag_type, tag in tags if tag_type in ("brand", "product")]
    our_named = [pair for pair in named if pair not in ours.competitor_tags]
    if any(tag_type == "brand" for tag_type, _tag in our_named):
        return AnswerReason.NAMES_BRAND
    if our_named:
        return AnswerReason.NAMES_PRODUCT
    if named:
        return AnswerReason.COMPETITOR_ONLY
    if any(topic_id not in ours.competitor_topics for topic_id in topic_ids):
        return AnswerReason.MATCHES_TOPIC
    if topic_ids:
        return AnswerReason.COMPETITOR_ONLY
    return AnswerReason.NOT_ADDRESSED


def reason_label(code: str) -> str:
    """The reason as a person reads it, in the active language; "" for a mention stored before
    reasons were recorded."""
    try:
        return str(AnswerReason(code).label)
    except ValueError:
        return ""
