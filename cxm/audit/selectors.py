from __future__ import annotations

from datetime import datetime

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

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


def audit_coverage(
    *,
    workspace_id: int,
    rows: QuerySet,
    object_type: str,
    actions: list[str],
    object_id_field: str = "pk",
    match: dict[str, str] | None = None,
) -> dict[str, int]:
    """How many of `rows` (one model's rows that record a sensitive action) there are, and how
    many have an audit entry of one of `actions` about them: the entry's object is
    (`object_type`, the row's `object_id_field`), and each `match` pair names an entry lookup
    (e.g. "after__merge") that must equal a field of the row. One query."""
    entries = AuditEntry.objects.filter(
        workspace_id=workspace_id,
        action__in=actions,
        object_type=object_type,
        object_id=Cast(OuterRef(object_id_field), CharField()),
    )
    for index, (lookup, field) in enumerate((match or {}).items()):
        alias = f"_matched_{index}"
        entries = entries.annotate(**{alias: KT(lookup)}).filter(
            **{alias: Cast(OuterRef(field), CharField())}
        )
    totals = rows.annotate(_audited=Exists(entries)).aggregate(
        total=Count("pk"), audited=Count("pk", filter=Q(_audited=True))
    )
    return {"total": totals["total"], "audited": totals["audited"]}
