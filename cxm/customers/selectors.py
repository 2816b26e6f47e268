"""Reads of customer profiles, their identities, their merges and their timeline."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from cxm.audit.selectors import audit_coverage
from cxm.customers.evidence import PHONE_SEPARATORS
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.customers.timeline import TimelineEntry, timeline_sources

logger = logging.getLogger(__name__)


def customer_get(*, workspace, profile_id: int) -> CustomerProfile | None:
    return CustomerProfile.objects.for_workspace(workspace).filter(pk=profile_id).first()


def customer_identities(*, workspace, profile_id: int) -> QuerySet[Identity]:
    return (
        Identity.objects.for_workspace(workspace).filter(profile_id=profile_id).order_by("platform", "handle")
    )


def customers_search(*, workspace, q: str = "", include_merged: bool = False) -> QuerySet[CustomerProfile]:
    """Profiles by name, handle, email, phone number or platform id (contains, case-insensitive;
    a number matches however it is spaced, "0812-3456" finding "+6281234567890").

    Merged profiles are left out unless asked for: their identities live on the surviving one.
    """
    profiles = CustomerProfile.objects.for_workspace(workspace)
    if not include_merged:
        profiles = profiles.filter(merged_into__isnull=True)
    q = q.strip()
    if q:
        matches = (
            Q(handle__icontains=q)
            | Q(email__icontains=q)
            | Q(platform_id__icontains=q)
            | Q(name__icontains=q)
        )
        # Bare digits, without "+" or a national 0, so "0812 3456" finds "+62812345...".
        digits = PHONE_SEPARATORS.sub("", q).lstrip("+").lstrip("0")
        if digits.isdigit():
            matches |= Q(phone__contains=digits)
        matching = Identity.objects.filter(workspace=workspace, profile=OuterRef("pk")).filter(matches)
        profiles = profiles.filter(Q(display_name__icontains=q) | Exists(matching))
    return profiles.order_by("-id")


def customer_merges(*, workspace, profile_id: int) -> QuerySet[CustomerMerge]:
    """Merges into this profile, newest first (undone ones included, with `undone_at`)."""
    return (
        CustomerMerge.objects.for_workspace(workspace)
        .filter(target_id=profile_id)
        .order_by("-created_at", "-id")
    )


def customer_merge_get(*, workspace, merge_id: int) -> CustomerMerge | None:
    return CustomerMerge.objects.for_workspace(workspace).filter(pk=merge_id).first()


def customer_profile_ids(*, workspace_id: int, profile_id: int) -> list[int]:
    """The profile and every profile merged into it, directly or through a chain of merges."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE family(id) AS (
                SELECT id FROM customers_customerprofile WHERE id = %s AND workspace_id = %s
                UNION
                SELECT p.id FROM customers_customerprofile p JOIN family f ON p.merged_into_id = f.id
                WHERE p.workspace_id = %s
            )
            SELECT id FROM family ORDER BY id
            """,
            [profile_id, workspace_id, workspace_id],
        )
        return [row[0] for row in cursor.fetchall()]


def customer_timeline(
    *, workspace, profile_id: int, before: datetime | None = None, limit: int = 50
) -> list[TimelineEntry]:
    """The customer's history across modules, newest first: up to `limit` entries older than
    `before` (pass the last entry's `at` to read on). See cxm.customers.timeline for the sources."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    profile_ids = customer_profile_ids(workspace_id=workspace_id, profile_id=profile_id)
    if not profile_ids:
        return []
    entries: list[TimelineEntry] = []
    for source in timeline_sources().values():
        entries.extend(source(workspace_id, profile_ids, before, limit))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def identity_platform_id(*, workspace_id: int, identity_id: int | None) -> str | None:
    """The platform's own id for a person (what other modules need to reach the same profile)."""
    if identity_id is None:
        return None
    return (
        Identity.objects.filter(workspace_id=workspace_id, pk=identity_id)
        .values_list("platform_id", flat=True)
        .first()
    )


# --- transformation KPIs ---------------------------------------------------------------------------


def kpi_unified_profiles(*, workspace_id: int, active: QuerySet) -> dict[str, int]:
    """Of the profiles in `active` (a subquery of profile ids, e.g. the authors of a period's
    mentions), followed through merges to the profile they live on now: how many there are, and
    how many hold identities on two or more platforms. One query."""
    inner, params = active.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE seen AS (
                SELECT DISTINCT a.id FROM ({inner}) AS a(id) WHERE a.id IS NOT NULL
            ),
            walk(id, merged_into_id) AS (
                SELECT p.id, p.merged_into_id FROM customers_customerprofile p JOIN seen s ON p.id = s.id
                WHERE p.workspace_id = %s
                UNION
                SELECT p.id, p.merged_into_id FROM customers_customerprofile p
                JOIN walk w ON p.id = w.merged_into_id
            ),
            platforms AS (
                SELECT r.id, count(DISTINCT i.platform) AS n
                FROM (SELECT DISTINCT id FROM walk WHERE merged_into_id IS NULL) r
                LEFT JOIN customers_identity i ON i.workspace_id = %s AND i.profile_id = r.id
                GROUP BY r.id
            )
            SELECT count(*), count(*) FILTER (WHERE n >= 2) FROM platforms
            """,  # noqa: S608 (the subquery is Django's own SQL; values are parameters)
            [*params, workspace_id, workspace_id],
        )
        profiles, unified = cursor.fetchone()
    return {"profiles": int(profiles), "unified": int(unified)}


def kpi_merges_audited(*, workspace_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """Customer merges made in [since, until), and how many have their audit entry."""
    return audit_coverage(
        workspace_id=workspace_id,
        rows=CustomerMerge.objects.filter(
            workspace_id=workspace_id, created_at__gte=since, created_at__lt=until
        ),
        object_type="customers.customerprofile",
        object_id_field="target_id",
        actions=["customer.merge"],
        match={"after__merge": "pk"},
    )
