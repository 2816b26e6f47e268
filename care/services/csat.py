"""The satisfaction survey: one question (1 to 5) sent once when a case is first resolved, with a
signed link to a public page that records the answer once.

The survey goes out like any reply (the outbox, a worker, the case's channel), keyed
`csat-<case id>` so that resolving, reopening and resolving again never sends a second one.
The link carries the workspace and case, signed with the project's secret; nothing else is
needed to answer, so the page works without logging in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from care.models import Case, ChannelKind, CsatResponse, DeliveryStatus, Direction, Message
from care.services import outbox, reply_windows
from care.services.common import case_event

logger = logging.getLogger(__name__)

SALT = "care.csat"
MAX_AGE = 60 * 60 * 24 * 30  # a survey link answers for 30 days

# The survey message in the languages customers write to us in; a case in any other language
# gets it in SURVEY_FALLBACK (and its message says which language it went out in).
QUESTION = {
    "en": "How happy are you with how we handled this? Answer with a number from 1 (not at all) "
    "to 5 (very happy): {link}",
    "id": "Seberapa puas Anda dengan bantuan kami? Jawab dengan angka 1 (tidak puas) sampai 5 "
    "(sangat puas): {link}",
    "ms": "Sejauh manakah anda berpuas hati dengan bantuan kami? Jawab dengan nombor 1 (tidak "
    "berpuas hati) hingga 5 (sangat berpuas hati): {link}",
    "th": "คุณพึงพอใจกับการดูแลของเราในครั้งนี้มากน้อยเพียงใด ตอบด้วยตัวเลข 1 (ไม่พอใจเลย) ถึง 5 (พอใจมาก): {link}",
    "tl": "Gaano ka nasiyahan sa pag-asikaso namin dito? Sumagot ng numero mula 1 (hindi "
    "nasiyahan) hanggang 5 (lubos na nasiyahan): {link}",
}
SURVEY_FALLBACK = "en"


def csat_token(*, case: Case) -> str:
    return signing.dumps({"w": case.workspace_id, "c": case.pk}, salt=SALT, compress=True)


def csat_link(*, case: Case) -> str:
    return settings.CXM_BASE_URL + reverse("care:csat", args=[csat_token(case=case)])


def csat_case_for_token(token: str) -> Case | None:
    """The case a survey link is for, or None when the link is forged, mangled or too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (
        Case.objects.select_related("customer").filter(pk=data.get("c"), workspace_id=data.get("w")).first()
    )


def survey_language(*, case: Case) -> str:
    """The language the survey goes out in: the case's, when there is a text in it."""
    language = (case.language or "").split("-")[0].lower()
    return language if language in QUESTION else SURVEY_FALLBACK


def survey_text(*, case: Case) -> str:
    return QUESTION[survey_language(case=case)].format(link=csat_link(case=case))


def csat_survey_queue(case: Case, *, now: datetime | None = None) -> Message | None:
    """Queue the survey on a case just resolved (the caller holds its lock); once per case.

    Only where the customer wrote to us privately (a direct message or an email) and we can
    answer on the same channel: a public mention is not the place for a survey. Not where the
    case's answer window refuses automated messages (the reason is recorded on the case).
    """
    if case.channel_kind not in (ChannelKind.DM, ChannelKind.EMAIL) or case.channel_account_id is None:
        return None
    key = f"csat-{case.pk}"
    if Message.objects.filter(workspace_id=case.workspace_id, idempotency_key=key).exists():
        return None
    window = reply_windows.reply_window(case, now=now)
    refusal = window.refusal(automated=True) if window else ""
    if refusal:
        # Past WhatsApp's 24 hours, or in Meta's human-agent days, a survey may not go.
        case_event(case=case, kind="csat_not_sent", reason=refusal[:500])
        return None
    answered = (
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .exclude(external_id="")
        .order_by("-occurred_at", "-id")
        .first()
    )
    if answered is None:
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                workspace_id=case.workspace_id,
                case=case,
                direction=Direction.OUTBOUND,
                platform=case.platform,
                author_name="survey",
                subject=case.subject,
                text=survey_text(case=case),
                language=survey_language(case=case),
                occurred_at=now,
                status=DeliveryStatus.QUEUED,
                idempotency_key=key,
                reply_to_external_id=answered.external_id,
                recipient=answered.author_handle,
                next_attempt_at=now,
                meta={"csat": True},
            )
    except IntegrityError:
        return None  # queued meanwhile by a concurrent resolve
    case_event(case=case, kind="csat_sent", message=message.pk)
    outbox.message_enqueue(message)
    return message


@dataclass(frozen=True)
class CsatAnswer:
    response: CsatResponse
    created: bool  # False: the customer had answered already; the first answer stands


def csat_answer(*, case: Case, score: int, comment: str = "") -> CsatAnswer:
    """Record the customer's answer from the survey page. The first answer counts: the link can be
    opened again (or forwarded), but it cannot change what was said."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": "A whole number from 1 to 5."})
    with transaction.atomic():
        existing = CsatResponse.objects.filter(workspace_id=case.workspace_id, case=case).first()
        if existing is not None:
            return CsatAnswer(existing, False)
        try:
            with transaction.atomic():
                response = CsatResponse.objects.create(
                    workspace_id=case.workspace_id,
                    case=case,
                    customer_id=case.customer_id,
                    score=score,
                    comment=comment.strip()[:2000],
                )
        except IntegrityError:
            return CsatAnswer(CsatResponse.objects.get(workspace_id=case.workspace_id, case=case), False)
        case_event(case=case, kind="csat", score=score, source="survey")
        return CsatAnswer(response, True)
