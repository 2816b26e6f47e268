"""Linking authors to customer profiles."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from cxm.customers.models import CustomerProfile


@dataclass(frozen=True)
class AuthorKey:
    platform: str
    platform_id: str
    handle: str = ""
    name: str = ""


@dataclass(frozen=True)
class ResolvedIdentity:
    identity_id: int
    profile_id: int


def identities_resolve(
    *, workspace_id: int, authors: list[AuthorKey]
) -> dict[tuple[str, str], ResolvedIdentity]:
    """Find or create the identity and profile of each author, in a few set-based statements.

    Safe under concurrency: when two batches meet the same new author, the unique constraint
    picks one identity and the loser's spare profile is removed.
    """
    unique: dict[tuple[str, str], AuthorKey] = {}
    for author in authors:
        unique.setdefault((author.platform, author.platform_id), author)
    if not unique:
        return {}
    found = _existing(workspace_id, list(unique))
    missing = [key for key in unique if key not in found]
    if missing:
        with transaction.atomic():
            profiles = CustomerProfile.objects.bulk_create(
                [
                    CustomerProfile(
                        workspace_id=workspace_id, display_name=unique[key].name or unique[key].handle
                    )
                    for key in missing
                ]
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO customers_identity
                        (workspace_id, profile_id, platform, platform_id, handle, name, created_at)
                    SELECT %s, p, pl, pid, h, n, now()
                    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS t(p, pl, pid, h, n)
                    ON CONFLICT (workspace_id, platform, platform_id) DO NOTHING
                    RETURNING profile_id
                    """,
                    [
                        workspace_id,
                        [profile.pk for profile in profiles],
                        [key[0] for key in missing],
                        [key[1] for key in missing],
                        [unique[key].handle[:255] for key in missing],
                        [unique[key].name[:255] for key in missing],
                    ],
                )
                used = {row[0] for row in cursor.fetchall()}
            spare = [profile.pk for profile in profiles if profile.pk not in used]
            if spare:
                CustomerProfile.objects.filter(pk__in=spare).delete()
        found.update(_existing(workspace_id, missing))
    return found


def _existing(workspace_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ResolvedIdentity]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.platform, i.platform_id, i.id, i.profile_id
            FROM customers_identity i
            JOIN unnest(%s::text[], %s::text[]) AS k(pl, pid) ON i.platform = k.pl AND i.platform_id = k.pid
            WHERE i.workspace_id = %s
            """,
            [[key[0] for key in keys], [key[1] for key in keys], workspace_id],
        )
        return {
            (platform, pid): ResolvedIdentity(iid, prof) for platform, pid, iid, prof in cursor.fetchall()
        }
