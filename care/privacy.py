"""What care holds about a person, for data-subject requests and retention.

Erasure keeps the cases and messages as rows (the care reports count them and time them) and
empties what they said and who they were: subjects, texts, kept email headers and attachment
names, CSAT comments, the values in case events and notifications. Attachments are kept as
metadata only (names and platform URLs in `meta`), never as files, so there is nothing on disk.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Q

from care.models import Case, CaseEvent, CaseStatus, CsatResponse, Direction, Message, Notification
from cxm.privacy.registry import ExportWriter, RetentionCutoffs
from cxm.privacy.subject import ERASED, Subject, names, scrub_json, scrub_text

# Keys of case event data that carry words someone wrote rather than what happened.
WORDS_KEYS = {"text", "comment", "subject", "body", "note", "preview", "reason", "message"}


def _hashed(value: str) -> str:
    return "erased-" + hashlib.sha256(value.encode()).hexdigest()[:24]


def _cases(workspace_id: int, subject: Subject):
    return Case.objects.filter(workspace_id=workspace_id, customer_id__in=subject.profile_ids)


def _messages(workspace_id: int, subject: Subject):
    return Message.objects.filter(workspace_id=workspace_id).filter(
        Q(case__customer_id__in=subject.profile_ids) | Q(author_identity_id__in=subject.identity_ids)
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _event_data(data: Any, pattern) -> Any:
    if isinstance(data, dict):
        return {
            key: ERASED if key in WORDS_KEYS else _event_data(value, pattern) for key, value in data.items()
        }
    return scrub_json(data, pattern)


class CareHandler:
    name = "care"
    order = 30
    kinds = ("cases", "messages", "notes", "csat_answers", "case_events", "notifications")

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        cases = _cases(workspace_id, subject)
        messages = _messages(workspace_id, subject)
        return {
            "cases": cases.count(),
            "messages": messages.exclude(direction=Direction.NOTE).count(),
            "notes": messages.filter(direction=Direction.NOTE).count(),
            "csat_answers": CsatResponse.objects.filter(
                workspace_id=workspace_id, customer_id__in=subject.profile_ids
            ).count(),
            "case_events": CaseEvent.objects.filter(workspace_id=workspace_id, case__in=cases).count(),
            "notifications": Notification.objects.filter(workspace_id=workspace_id, case__in=cases).count(),
        }

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        cases = _cases(workspace_id, subject)
        for case in cases.order_by("created_at", "id"):
            writer.write(
                "cases",
                {
                    "id": case.pk,
                    "customer": case.customer_id,
                    "platform": case.platform,
                    "channel_kind": case.channel_kind,
                    "subject": case.subject,
                    "status": case.status,
                    "priority": case.priority,
                    "language": case.language,
                    "tags": case.tags,
                    "fields": case.fields,
                    "created_at": _iso(case.created_at),
                    "resolved_at": _iso(case.resolved_at),
                    "closed_at": _iso(case.closed_at),
                },
            )
        for message in (
            _messages(workspace_id, subject).order_by("occurred_at", "id").iterator(chunk_size=2000)
        ):
            writer.write(
                "notes" if message.direction == Direction.NOTE else "messages",
                {
                    "id": message.pk,
                    "case": message.case_id,
                    "direction": message.direction,
                    "platform": message.platform,
                    "author_name": message.author_name,
                    "author_handle": message.author_handle,
                    "subject": message.subject,
                    "text": message.text,
                    "recipient": message.recipient,
                    "meta": message.meta,
                    "occurred_at": _iso(message.occurred_at),
                },
            )
        for answer in CsatResponse.objects.filter(
            workspace_id=workspace_id, customer_id__in=subject.profile_ids
        ):
            writer.write(
                "csat_answers",
                {
                    "case": answer.case_id,
                    "score": answer.score,
                    "comment": answer.comment,
                    "created_at": _iso(answer.created_at),
                },
            )
        for event in CaseEvent.objects.filter(workspace_id=workspace_id, case__in=cases).order_by(
            "created_at"
        ):
            writer.write(
                "case_events",
                {
                    "case": event.case_id,
                    "kind": event.kind,
                    "data": event.data,
                    "created_at": _iso(event.created_at),
                },
            )
        for note in Notification.objects.filter(workspace_id=workspace_id, case__in=cases).order_by(
            "created_at"
        ):
            writer.write(
                "notifications",
                {
                    "case": note.case_id,
                    "kind": note.kind,
                    "text": note.text,
                    "created_at": _iso(note.created_at),
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        pattern = subject.pattern()
        counts = self.find(workspace_id, subject)
        cases = _cases(workspace_id, subject)
        for case in cases:
            thread_id = _hashed(case.thread_id) if names(case.thread_id, pattern) else case.thread_id
            Case.objects.filter(pk=case.pk).update(subject="", fields={}, thread_id=thread_id)
        for message in _messages(workspace_id, subject).iterator(chunk_size=2000):
            Message.objects.filter(pk=message.pk).update(
                text=ERASED,
                subject="",
                author_name=""
                if message.direction == Direction.INBOUND
                else scrub_text(message.author_name, pattern),
                author_handle=""
                if message.direction == Direction.INBOUND
                else scrub_text(message.author_handle, pattern),
                author_identity=None,
                url="",
                meta={},
                recipient="",
                error=scrub_text(message.error, pattern),
                **{
                    field: _hashed(getattr(message, field))
                    for field in ("external_id", "in_reply_to", "reply_to_external_id")
                    if names(getattr(message, field), pattern)
                },
            )
        CsatResponse.objects.filter(workspace_id=workspace_id, customer_id__in=subject.profile_ids).update(
            comment=""
        )
        for event in CaseEvent.objects.filter(workspace_id=workspace_id, case__in=cases):
            CaseEvent.objects.filter(pk=event.pk).update(data=_event_data(event.data, pattern))
        for note in Notification.objects.filter(workspace_id=workspace_id, case__in=cases):
            Notification.objects.filter(pk=note.pk).update(text=scrub_text(note.text, pattern))
        counts["messages_naming_them"] = self._scrub_others(workspace_id, subject)
        return counts

    def _scrub_others(self, workspace_id: int, subject: Subject) -> int:
        """Messages, notes and notifications on other cases that name the person."""
        pattern = subject.pattern()
        if pattern is None:
            return 0
        naming = Q()
        for value in subject.identifiers():
            naming |= Q(text__icontains=value) | Q(subject__icontains=value)
        scrubbed = 0
        for message in Message.objects.filter(workspace_id=workspace_id).filter(naming):
            changes = {
                "text": scrub_text(message.text, pattern),
                "subject": scrub_text(message.subject, pattern),
                "meta": scrub_json(message.meta, pattern),
            }
            if any(getattr(message, name) != value for name, value in changes.items()):
                Message.objects.filter(pk=message.pk).update(**changes)
                scrubbed += 1
        texts = Q()
        for value in subject.identifiers():
            texts |= Q(text__icontains=value)
        for note in Notification.objects.filter(workspace_id=workspace_id).filter(texts):
            Notification.objects.filter(pk=note.pk).update(text=scrub_text(note.text, pattern))
        return scrubbed

    def purge(self, workspace_id: int, cutoffs: RetentionCutoffs, batch_size: int) -> dict[str, int]:
        """Delete cases closed before the cutoff with their messages, events, answers and
        notifications, `batch_size` cases per short transaction, skipping rows others hold."""
        if cutoffs.closed_cases_before is None:
            return {}
        deleted = 0
        while True:
            with transaction.atomic():
                ids = list(
                    Case.objects.select_for_update(skip_locked=True)
                    .filter(
                        workspace_id=workspace_id,
                        status=CaseStatus.CLOSED,
                        closed_at__lt=cutoffs.closed_cases_before,
                    )
                    .order_by("closed_at", "id")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if ids:
                    CsatResponse.objects.filter(case_id__in=ids).delete()
                    Case.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
            if len(ids) < batch_size:
                return {"closed_cases_purged": deleted}
