"""Recording sensitive actions. Call `audit_record` inside the same transaction as the change."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from cxm.audit import tasks
from cxm.audit.models import AuditEntry, AuditExport
from cxm.spreadsheet import csv_writer


def client_ip(request) -> str | None:
    if request is None:
        return None
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    workspace,
    actor,
    action: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request=None,
    object_repr: str = "",
) -> AuditEntry:
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        workspace=workspace,
        actor=actor_obj,
        actor_label=actor_obj.get_username() if actor_obj else (str(actor) if actor else "system"),
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=(object_repr or (str(target) if target is not None else ""))[:200],
        before=before,
        after=after,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )


EXPORT_CHUNK = 2000
EXPORT_COLUMNS = [
    "created_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "ip_address",
]


def audit_export_request(*, workspace, by, request=None) -> AuditExport:
    """Record the export (itself a sensitive action) and hand the work to a worker."""
    with transaction.atomic():
        export = AuditExport.objects.create(workspace=workspace, requested_by=by)
        audit_record(
            workspace=workspace,
            actor=by,
            action="audit.export",
            target=export,
            object_repr=f"audit export {export.pk}",
            request=request,
        )
        transaction.on_commit(lambda: tasks.audit_export_run.delay(export_id=export.pk, workspace_id=workspace.pk))
    return export


def audit_export_write(*, export_id: int, workspace_id: int) -> AuditExport | None:
    """Write the CSV in chunks, reporting progress; running it again rewrites the same file."""
    export = AuditExport.objects.filter(pk=export_id, workspace_id=workspace_id).first()
    if export is None or export.status == AuditExport.Status.DONE:
        return export
    entries = AuditEntry.objects.filter(workspace_id=workspace_id, created_at__lte=export.created_at)
    export.status = AuditExport.Status.RUNNING
    export.rows_total = entries.count()
    export.rows_written = 0
    export.save(update_fields=["status", "rows_total", "rows_written"])
    folder = Path(settings.MEDIA_ROOT) / "exports" / str(workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"audit-{export.pk}-{secrets.token_hex(8)}.csv"
    partial = folder / (name + ".part")
    try:
        with partial.open("w", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            written = 0
            for row in (
                entries.order_by("created_at", "id")
                .values_list(*EXPORT_COLUMNS)
                .iterator(chunk_size=EXPORT_CHUNK)
            ):
                writer.writerow([json.dumps(v) if isinstance(v, dict) else v for v in row])
                written += 1
                if written % EXPORT_CHUNK == 0:
                    AuditExport.objects.filter(pk=export.pk).update(rows_written=written)
        partial.rename(folder / name)
    except OSError as exc:
        AuditExport.objects.filter(pk=export.pk).update(
            status=AuditExport.Status.FAILED, error=str(exc), finished_at=timezone.now()
        )
        raise
    AuditExport.objects.filter(pk=export.pk).update(
        status=AuditExport.Status.DONE, rows_written=written, file_name=name, finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export


def audit_export_path(export: AuditExport) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(export.workspace_id) / export.file_name
