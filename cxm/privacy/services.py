"""Writes: recording a data-subject request, running it (export or erase), the workspace's
privacy settings, and the retention purge."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.privacy import tasks
from cxm.privacy.export import ZipExportWriter
from cxm.privacy.models import PrivacyRequest, WorkspacePrivacySettings
from cxm.privacy.registry import RetentionCutoffs, privacy_handlers, record_kinds
from cxm.privacy.selectors import exports_root, privacy_settings, subject_resolve
from cxm.privacy.subject import Subject, identity_digest, identity_mask, scrub_text
from cxm.tenancy.models import Workspace

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
PURGE_BATCH = 5000
MAX_IDENTITY_LENGTH = 254


def request_create(
    *, workspace, kind: str, identity: str, by=None, request=None, enqueue: bool = True
) -> PrivacyRequest:
    """Record the request with its due date and hand the work to a worker. The audit entry names
    the request, never the identity."""
    identity = (identity or "").strip()
    errors: dict[str, str] = {}
    if kind not in PrivacyRequest.Kind.values:
        errors["kind"] = _("One of: export, erase.")
    if not identity:
        errors["identity"] = _("Give an email address, a handle or a phone number.")
    elif len(identity) > MAX_IDENTITY_LENGTH:
        errors["identity"] = _("At most %(n)d characters.") % {"n": MAX_IDENTITY_LENGTH}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    due_days = privacy_settings(workspace_id=workspace.pk).due_days
    with transaction.atomic():
        privacy_request = PrivacyRequest.objects.create(
            workspace=workspace,
            kind=kind,
            identity=identity,
            identity_masked=identity_mask(identity),
            identity_digest=identity_digest(workspace.pk, identity),
            requested_by=by if getattr(by, "is_authenticated", False) else None,
            created_at=now,
            due_at=now + timedelta(days=due_days),
        )
        audit_record(
            workspace=workspace,
            actor=by,
            action=f"privacy.{kind}_request",
            target=privacy_request,
            object_repr=str(privacy_request),
            after={"identity": privacy_request.identity_masked, "due_at": privacy_request.due_at.isoformat()},
            request=request,
        )
        workspace_id, request_id = workspace.pk, privacy_request.pk
        if enqueue:
            transaction.on_commit(
                lambda: tasks.request_run.delay(workspace_id=workspace_id, request_id=request_id)
            )
    return privacy_request


def _claim(workspace_id: int, request_id: int) -> PrivacyRequest | None:
    """Take the request for this worker, or None when it is finished or another worker holds it."""
    now = timezone.now()
    with transaction.atomic():
        privacy_request = (
            PrivacyRequest.objects.select_for_update(skip_locked=True)
            .filter(workspace_id=workspace_id, pk=request_id)
            .first()
        )
        if privacy_request is None or not privacy_request.can_become(PrivacyRequest.Status.RUNNING):
            return None
        if privacy_request.status == PrivacyRequest.Status.RUNNING and (
            privacy_request.lease_until and privacy_request.lease_until > now
        ):
            return None
        if privacy_request.subject is None:
            subject = subject_resolve(workspace_id=workspace_id, identity=privacy_request.identity or "")
            privacy_request.subject = subject.as_json()
        privacy_request.status = PrivacyRequest.Status.RUNNING
        privacy_request.started_at = privacy_request.started_at or now
        privacy_request.lease_until = now + LEASE
        privacy_request.error = ""
        privacy_request.save(update_fields=["status", "started_at", "lease_until", "error", "subject"])
    return privacy_request


def _progress(privacy_request: PrivacyRequest, done: int, total: int, **fields: Any) -> None:
    privacy_request.progress = min(99, int(100 * done / total)) if total else 99
    privacy_request.lease_until = timezone.now() + LEASE
    for name, value in fields.items():
        setattr(privacy_request, name, value)
    privacy_request.save(update_fields=["progress", "lease_until", *fields])


def request_run(*, workspace_id: int, request_id: int) -> PrivacyRequest | None:
    """Run an export or an erasure. Each handler's erasure commits with the record that it is done,
    so a redelivered task (after a crash) continues where the first stopped; a delivery while
    another worker holds the lease, or after the request is done, does nothing."""
    privacy_request = _claim(workspace_id, request_id)
    if privacy_request is None:
        return None
    subject = Subject.from_json(privacy_request.subject)
    try:
        if privacy_request.kind == PrivacyRequest.Kind.EXPORT:
            _run_export(privacy_request, subject)
        else:
            _run_erase(privacy_request, subject)
    except Exception as exc:
        log.exception("privacy request %s failed", privacy_request.pk)
        PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
            status=PrivacyRequest.Status.FAILED,
            error=scrub_text(str(exc), subject.pattern())[:2000],
            lease_until=None,
        )
        privacy_request.refresh_from_db()
        return privacy_request
    privacy_request.refresh_from_db()
    return privacy_request


def _run_export(privacy_request: PrivacyRequest, subject: Subject) -> None:
    handlers = privacy_handlers()
    writer = ZipExportWriter()
    for index, handler in enumerate(handlers):
        handler.export(privacy_request.workspace_id, subject, writer)
        _progress(privacy_request, index + 1, len(handlers) + 1)
    counts = dict.fromkeys(record_kinds(), 0) | writer.counts()
    relative = f"{privacy_request.workspace_id}/request-{privacy_request.pk}-{secrets.token_hex(8)}.zip"
    writer.save(
        exports_root() / relative,
        summary={
            "request": privacy_request.pk,
            "identity": privacy_request.identity,
            "created_at": privacy_request.created_at,
            "exported_at": timezone.now(),
            "counts": counts,
        },
    )
    with transaction.atomic():
        PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
            status=PrivacyRequest.Status.DONE,
            counts=counts,
            progress=100,
            export_file=relative,
            completed_at=timezone.now(),
            lease_until=None,
        )
        audit_record(
            workspace=privacy_request.workspace,
            actor=privacy_request.requested_by,
            action="privacy.export_done",
            target=privacy_request,
            object_repr=str(privacy_request),
            after={"counts": counts},
        )


def _run_erase(privacy_request: PrivacyRequest, subject: Subject) -> None:
    handlers = privacy_handlers()
    counts = dict(privacy_request.counts or {})
    done = list(privacy_request.handlers_done or [])
    for index, handler in enumerate(handlers):
        if handler.name in done:
            continue
        with transaction.atomic():
            erased = handler.erase(privacy_request.workspace_id, subject)
            counts.update(erased)
            done.append(handler.name)
            _progress(privacy_request, index + 1, len(handlers) + 1, counts=counts, handlers_done=done)
    with transaction.atomic():
        PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
            status=PrivacyRequest.Status.DONE,
            progress=100,
            completed_at=timezone.now(),
            lease_until=None,
            identity=None,
            subject=None,
        )
        audit_record(
            workspace=privacy_request.workspace,
            actor=privacy_request.requested_by,
            action="privacy.erase_done",
            target=privacy_request,
            object_repr=str(privacy_request),
            after={"counts": counts},
        )


def privacy_settings_update(
    *,
    workspace,
    by,
    due_days: int,
    mention_retention_days: int | None,
    closed_case_retention_days: int | None,
    request=None,
) -> WorkspacePrivacySettings:
    errors: dict[str, str] = {}
    if not 1 <= due_days <= 365:
        errors["due_days"] = _("Between 1 and 365 days.")
    for name, value in (
        ("mention_retention_days", mention_retention_days),
        ("closed_case_retention_days", closed_case_retention_days),
    ):
        if value is not None and value < 1:
            errors[name] = _("At least 1 day, or empty to keep forever.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current, _created = WorkspacePrivacySettings.objects.select_for_update().get_or_create(
            workspace=workspace
        )
        fields = ("due_days", "mention_retention_days", "closed_case_retention_days")
        before = {name: getattr(current, name) for name in fields}
        current.due_days = due_days
        current.mention_retention_days = mention_retention_days
        current.closed_case_retention_days = closed_case_retention_days
        current.save()
        audit_record(
            workspace=workspace,
            actor=by,
            action="privacy.settings_update",
            target=current,
            before=before,
            after={name: getattr(current, name) for name in fields},
            request=request,
        )
    return current


def retention_purge(
    *, workspace_id: int | None = None, batch_size: int = PURGE_BATCH
) -> dict[int, dict[str, int]]:
    """Delete mentions and closed cases older than each workspace keeps them, in batches of
    `batch_size` rows, each its own short transaction (see the handlers' `purge`)."""
    rows = WorkspacePrivacySettings.objects.filter(workspace__isnull=False).exclude(
        mention_retention_days__isnull=True, closed_case_retention_days__isnull=True
    )
    if workspace_id is not None:
        rows = rows.filter(workspace_id=workspace_id)
    now = timezone.now()
    purged: dict[int, dict[str, int]] = {}
    for row in rows:
        cutoffs = RetentionCutoffs(
            mentions_before=now - timedelta(days=row.mention_retention_days)
            if row.mention_retention_days
            else None,
            closed_cases_before=now - timedelta(days=row.closed_case_retention_days)
            if row.closed_case_retention_days
            else None,
        )
        counts: dict[str, int] = {}
        for handler in privacy_handlers():
            purge = getattr(handler, "purge", None)
            if purge is not None:
                counts.update(purge(row.workspace_id, cutoffs, batch_size))
        purged[row.workspace_id] = counts
        if any(counts.values()):
            audit_record(
                workspace=Workspace.objects.get(pk=row.workspace_id),
                actor=None,
                action="privacy.retention_purge",
                object_repr=_("retention purge"),
                after={
                    "counts": counts,
                    "mentions_before": cutoffs.mentions_before.isoformat()
                    if cutoffs.mentions_before
                    else None,
                    "closed_cases_before": (
                        cutoffs.closed_cases_before.isoformat() if cutoffs.closed_cases_before else None
                    ),
                },
            )
    return purged
