"""Every write to customer profiles: resolve authors to profiles, link identities, merge and undo.

Merges move identities and are recorded with exactly what moved (`CustomerMerge`), so undo puts
those identities back on the profile they came from. The merged profile is kept, marked
`merged_into`, so what other modules stored against it (cases, mentions) still resolves, and the
timeline of the surviving profile includes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxm.audit.services import audit_record
from cxm.customers.evidence import WHATSAPP_PLATFORM, evidence_email, evidence_phone, phone_e164
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.tenancy.models import Workspace


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

    A new identity that proves an email address or a phone number (an email sender, a WhatsApp
    number) joins the profile already holding that evidence, as an undoable merge
    (`customers_autolink`): the answer then names the profile it joined. Authors seen before, and
    new ones without evidence, cost no query for this.

    Safe under concurrency: when two batches meet the same new author, the unique constraint
    picks one identity and the loser's spare profile is removed.
    """
    unique: dict[tuple[str, str], AuthorKey] = {}
    for author in authors:
        unique.setdefault((author.platform, author.platform_id), author)
    if not unique:
        return {}
    found = _existing(workspace_id, list(unique))
    # Sorted: two batches creating the same authors then wait on each other's keys in one order
    # instead of each holding one the other needs.
    missing = sorted(key for key in unique if key not in found)
    if not missing:
        return found
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
                    (workspace_id, profile_id, platform, platform_id, handle, name, email, phone,
                     verified, created_at)
                SELECT %s, p, pl, pid, h, n, e, ph, false, now()
                FROM unnest(
                    %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]
                ) AS t(p, pl, pid, h, n, e, ph)
                ON CONFLICT (workspace_id, platform, platform_id) DO NOTHING
                RETURNING profile_id, platform, platform_id, email, phone
                """,
                [
                    workspace_id,
                    [profile.pk for profile in profiles],
                    [key[0] for key in missing],
                    [key[1] for key in missing],
                    [unique[key].handle[:255] for key in missing],
                    [unique[key].name[:255] for key in missing],
                    [evidence_email(key[0], key[1]) for key in missing],
                    [evidence_phone(key[0], key[1]) for key in missing],
                ],
            )
            created = [
                _Created((platform, pid), prof, email, phone)
                for prof, platform, pid, email, phone in cursor.fetchall()
            ]
        used = {row.profile_id for row in created}
        spare = [profile.pk for profile in profiles if profile.pk not in used]
        if spare:
            CustomerProfile.objects.filter(pk__in=spare).delete()
    found.update(_existing(workspace_id, missing))
    joined = _autolink_created(workspace_id, created)
    if joined:
        found.update(_existing(workspace_id, joined))
    return found


@dataclass(frozen=True)
class _Created:
    key: tuple[str, str]
    profile_id: int
    email: str
    phone: str


def _autolink_created(workspace_id: int, created: list[_Created]) -> list[tuple[str, str]]:
    """Link the new identities whose email or phone another profile already holds; the keys of
    those that joined another profile. One query finds them all; nothing runs without evidence."""
    evident = [row for row in created if row.email or row.phone]
    if not evident:
        return []
    emails = {row.email for row in evident if row.email}
    phones = {row.phone for row in evident if row.phone}
    holders: dict[tuple[str, str], set[int]] = {}
    for profile_id, email, phone in Identity.objects.filter(
        Q(email__in=emails) | Q(phone__in=phones),
        workspace_id=workspace_id,
        profile__merged_into__isnull=True,
    ).values_list("profile_id", "email", "phone"):
        if email:
            holders.setdefault(("email", email), set()).add(profile_id)
        if phone:
            holders.setdefault(("phone", phone), set()).add(profile_id)
    joined = []
    for row in evident:
        others = holders.get(("email", row.email), set()) | holders.get(("phone", row.phone), set())
        if others - {row.profile_id} and customers_autolink(
            workspace_id=workspace_id, profile_id=row.profile_id
        ):
            joined.append(row.key)
    return joined


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


def _state(profile: CustomerProfile) -> dict:
    return {
        "display_name": profile.display_name,
        "merged_into": profile.merged_into_id,
        "identities": sorted(profile.identities.values_list("id", flat=True)),
    }


def _lock_profiles(workspace_id: int, *profile_ids: int) -> dict[int, CustomerProfile]:
    # Always in id order, so two merges of the same pair in opposite directions cannot deadlock.
    rows = (
        CustomerProfile.objects.select_for_update()
        .filter(workspace_id=workspace_id, pk__in=profile_ids)
        .order_by("pk")
    )
    found = {profile.pk: profile for profile in rows}
    if len(found) != len(set(profile_ids)):
        raise ValidationError({"profile": "No such customer in this workspace."})
    return found


@transaction.atomic
def customer_merge(
    *,
    workspace: Workspace | int,
    source: CustomerProfile,
    target: CustomerProfile,
    by=None,
    reason: str = "by hand",
    request=None,
) -> CustomerMerge:
    """Move every identity of `source` to `target` and mark `source` as merged into it."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    if source.pk == target.pk:
        raise ValidationError({"source": "A customer cannot be merged into itself."})
    locked = _lock_profiles(workspace_id, source.pk, target.pk)
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError({"source": "This customer is already merged into another one."})
    if target.merged_into_id is not None:
        raise ValidationError({"target": "This customer is merged into another one; merge into that one."})
    before = {"source": _state(source), "target": _state(target)}
    moved = list(
        Identity.objects.filter(workspace_id=workspace_id, profile=source)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Identity.objects.filter(pk__in=moved).update(profile=target)
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    CustomerProfile.objects.filter(pk=target.pk).update(updated_at=timezone.now())
    merge = CustomerMerge.objects.create(
        workspace_id=workspace_id,
        source=source,
        target=target,
        identity_ids=moved,
        reason=reason[:120],
        merged_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(
        workspace=source.workspace,
        actor=by,
        action="customer.merge",
        target=target,
        before=before,
        after={
            "merge": merge.pk,
            "source": source.pk,
            "target": target.pk,
            "identities": moved,
            "reason": reason,
        },
        request=request,
    )
    return merge


@transaction.atomic
def customer_merge_undo(*, merge: CustomerMerge, by=None, request=None) -> CustomerMerge:
    """Put the identities the merge moved back on the source profile, and unmark it.

    Refused while the target is itself merged into a third profile: undo that later merge first,
    so identities are never pulled out of a profile they did not come from.
    """
    merge = CustomerMerge.objects.select_for_update().get(workspace_id=merge.workspace_id, pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": "This merge was already undone."})
    locked = _lock_profiles(merge.workspace_id, merge.source_id, merge.target_id)
    source, target = locked[merge.source_id], locked[merge.target_id]
    if target.merged_into_id is not None:
        raise ValidationError({"merge": "The customer was merged again since; undo that merge first."})
    # Identities moved on by hand since the merge stay where a person put them.
    restored = list(
        Identity.objects.filter(
            workspace_id=merge.workspace_id, pk__in=merge.identity_ids, profile=target
        ).values_list("pk", flat=True)
    )
    Identity.objects.filter(pk__in=restored).update(profile=source)
    source.merged_into = None
    source.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = timezone.now()
    merge.undone_by = by if getattr(by, "is_authenticated", False) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        workspace=source.workspace,
        actor=by,
        action="customer.merge_undo",
        target=source,
        before={"merge": merge.pk, "target": target.pk},
        after={
            "restored_identities": sorted(restored),
            "left_elsewhere": sorted(set(merge.identity_ids) - set(restored)),
        },
        request=request,
    )
    return merge


@transaction.atomic
def identity_link(
    *,
    workspace: Workspace,
    profile: CustomerProfile,
    platform: str,
    platform_id: str,
    handle: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    verified: bool = False,
    by=None,
    request=None,
    autolink: bool = True,
) -> Identity:
    """Attach an identity to a profile by hand: create it, or move it from the profile it was on.

    `email` and `phone` record what the person told (a phone is read as E.164, see
    cxm.customers.evidence.phone_e164). With exact evidence (an email address, a phone number, a
    verified handle) the profiles that share it are then linked automatically
    (`customers_autolink`), each as an undoable merge.
    """
    platform, platform_id = platform.strip(), platform_id.strip()
    if not platform or not platform_id:
        raise ValidationError({"platform_id": _("Give the platform and the id the platform knows them by.")})
    if profile.workspace_id != workspace.pk:
        raise ValidationError({"profile": _("No such customer in this workspace.")})
    if profile.merged_into_id is not None:
        raise ValidationError({"profile": _("This customer is merged into another one; link to that one.")})
    if platform == WHATSAPP_PLATFORM:
        # WhatsApp knows a person by their number: spelled as ingest spells it, so the next
        # message finds this identity instead of making another.
        platform_id = _phone_field("platform_id", platform_id)
    email = (parseaddr(email)[1].strip().lower() if email else "") or evidence_email(platform, platform_id)
    if email and "@" not in email:
        raise ValidationError({"email": _("Not an email address.")})
    phone = _phone_field("phone", phone) if phone.strip() else evidence_phone(platform, platform_id)
    identity = (
        Identity.objects.select_for_update()
        .filter(workspace=workspace, platform=platform, platform_id=platform_id)
        .first()
    )
    before = None
    if identity is None:
        identity = Identity.objects.create(
            workspace=workspace,
            profile=profile,
            platform=platform,
            platform_id=platform_id,
            handle=handle[:255],
            name=name[:255],
            email=email,
            phone=phone,
            verified=verified,
        )
    else:
        before = {
            "profile": identity.profile_id,
            "email": identity.email,
            "phone": identity.phone,
            "verified": identity.verified,
        }
        identity.profile = profile
        identity.handle = handle[:255] or identity.handle
        identity.name = name[:255] or identity.name
        identity.email = email or identity.email
        identity.phone = phone or identity.phone
        identity.verified = verified or identity.verified
        identity.save()
    audit_record(
        workspace=workspace,
        actor=by,
        action="customer.identity_link",
        target=profile,
        before=before,
        after={
            "identity": identity.pk,
            "platform": platform,
            "handle": identity.handle,
            "email": identity.email,
            "phone": identity.phone,
            "verified": identity.verified,
        },
        request=request,
    )
    if autolink:
        customers_autolink(workspace_id=workspace.pk, profile_id=profile.pk, by=by)
    return identity


def _phone_field(field: str, value: str) -> str:
    try:
        return phone_e164(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


# Strongest first: a profile sharing several kinds of evidence is merged for the first one.
_REASONS = ("same email address", "same phone number", "same verified handle")


def customers_autolink(*, workspace_id: int, profile_id: int, by=None) -> list[CustomerMerge]:
    """Merge into one the profiles that share exact evidence with this one: the same email
    address, the same phone number, or the same handle verified on both sides. The oldest profile
    survives; each merge is recorded (and undoable) like one made by hand. Returns the merges made."""
    merges: list[CustomerMerge] = []
    with transaction.atomic():
        profile = CustomerProfile.objects.filter(workspace_id=workspace_id, pk=profile_id).first()
        if profile is None:
            return merges
        while profile.merged_into_id is not None:
            profile = CustomerProfile.objects.get(pk=profile.merged_into_id)
        emails: set[str] = set()
        phones: set[str] = set()
        handles: set[str] = set()
        for email, phone, handle, verified in Identity.objects.filter(
            workspace_id=workspace_id, profile=profile
        ).values_list("email", "phone", "handle", "verified"):
            emails.add(email)
            phones.add(phone)
            if verified:
                handles.add(handle.lower())
        emails.discard("")
        phones.discard("")
        handles.discard("")
        if not emails and not phones and not handles:
            return merges
        evidence = Q(email__in=emails) | Q(phone__in=phones)
        if handles:
            evidence |= Q(verified=True) & Q(handle_lower__in=handles)
        others = (
            Identity.objects.filter(workspace_id=workspace_id, profile__merged_into__isnull=True)
            .annotate(handle_lower=Lower("handle"))
            .filter(evidence)
            .exclude(profile=profile)
        )
        reasons: dict[int, str] = {}
        for other_id, email, phone in others.values_list("profile_id", "email", "phone"):
            if email and email in emails:
                reason = _REASONS[0]
            elif phone and phone in phones:
                reason = _REASONS[1]
            else:
                reason = _REASONS[2]
            reasons[other_id] = min(reason, reasons.get(other_id, reason), key=_REASONS.index)
        if not reasons:
            return merges
        survivor_id = min([profile.pk, *reasons])
        reasons[profile.pk] = reasons.get(survivor_id, "")
        for other_id in sorted(set(reasons) - {survivor_id}):
            try:
                merges.append(
                    customer_merge(
                        workspace=workspace_id,
                        source=CustomerProfile.objects.get(pk=other_id),
                        target=CustomerProfile.objects.get(pk=survivor_id),
                        by=by,
                        reason=reasons[other_id] or reasons[profile.pk],
                    )
                )
            except ValidationError:
                # A concurrent link got there first (the profile is merged already): nothing to do.
                continue
    return merges


@transaction.atomic
def customer_update(
    *, profile: CustomerProfile, by=None, display_name: str | None = None, attributes: dict | None = None
) -> CustomerProfile:
    profile = CustomerProfile.objects.select_for_update().get(
        workspace_id=profile.workspace_id, pk=profile.pk
    )
    before = {"display_name": profile.display_name, "attributes": profile.attributes}
    if display_name is not None:
        profile.display_name = display_name.strip()[:255]
    if attributes is not None:
        if not isinstance(attributes, dict):
            raise ValidationError({"attributes": "Must be an object."})
        profile.attributes = {**(profile.attributes or {}), **attributes}
    profile.save()
    audit_record(
        workspace=profile.workspace,
        actor=by,
        action="customer.update",
        target=profile,
        before=before,
        after={"display_name": profile.display_name, "attributes": profile.attributes},
    )
    return profile
