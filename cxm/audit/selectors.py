from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from cxm.audit.models import AuditEntry, AuditExport


def audit_entries(
    *,
    workspace,
    action: str = "",
    actor: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(workspace=workspace)
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries.order_by("-created_at", "-id")


def audit_entries_for(*, workspace, target) -> QuerySet[AuditEntry]:
    """The history of one object (as `audit_record(target=...)` recorded it), newest first."""
    return AuditEntry.objects.filter(
        workspace=workspace, object_type=target._meta.label_lower, object_id=str(target.pk)
    ).order_by("-created_at", "-id")


def audit_actions(*, workspace) -> list[str]:
    return list(
        AuditEntry.objects.filter(workspace=workspace)
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )


def audit_export_get(*, workspace, export_id: int):
    return AuditExport.objects.filter(workspace=workspace, pk=export_id).first()
