"""Reads: who a typed identity is, what the workspace holds about them, the requests and their
timing."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from cxm.customers.models import CustomerProfile, Identity
from cxm.customers.selectors import customer_profile_ids
from cxm.privacy.models import PrivacyRequest, WorkspacePrivacySettings
from cxm.privacy.registry import privacy_handlers
from cxm.privacy.subject import Subject, normalise_identity, phone_digits

PHONE_PLATFORMS = {"whatsapp", "sms", "phone", "voice"}


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(local and at and "." in domain)


def _looks_like_phone(value: str) -> bool:
    digits = phone_digits(value)
    return len(digits) >= 6 and not any(ch.isalpha() for ch in value)


def _root_profile(workspace_id: int, profile_id: int) -> int:
    """The surviving profile a merged one was folded into (its family holds the rest)."""
    seen = set()
    current = profile_id
    while current not in seen:
        seen.add(current)
        parent = (
            CustomerProfile.objects.filter(workspace_id=workspace_id, pk=current)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if not parent:
            break
        current = parent
    return current


def subject_resolve(*, workspace_id: int, identity: str) -> Subject:
    """The person behind an email, a handle on any platform, a phone number or a name: their
    profiles (merged ones included), every identity of those, and the names they go by. An
    identity nobody holds still yields a subject of that one string, so texts naming it are found."""
    typed = identity.strip()
    value = normalise_identity(typed)
    subject = Subject(identity=typed, pseudonym=f"erased-{secrets.token_hex(6)}")
    if not value:
        return subject
    bare = value.lstrip("@")
    matches = Q(email__iexact=value) | Q(platform_id__iexact=value) | Q(name__iexact=typed)
    if bare:
        matches |= Q(handle__iexact=bare) | Q(handle__iexact="@" + bare) | Q(platform_id__iexact=bare)
    identities = Identity.objects.filter(workspace_id=workspace_id).filter(matches)
    profile_ids = set(identities.values_list("profile_id", flat=True))
    if _looks_like_phone(typed):
        digits = phone_digits(typed)
        # A number an agent recorded on any identity (an Instagram account, a CRM record).
        profile_ids |= set(
            Identity.objects.filter(workspace_id=workspace_id, phone="+" + digits).values_list(
                "profile_id", flat=True
            )
        )
        for profile_id, platform_id in Identity.objects.filter(
            workspace_id=workspace_id, platform__in=PHONE_PLATFORMS
        ).values_list("profile_id", "platform_id"):
            if phone_digits(platform_id) == digits:
                profile_ids.add(profile_id)
    by_profile = Q(display_name__iexact=typed)
    if _looks_like_email(value) or _looks_like_phone(typed):
        # An address or number kept among the profile's attributes (from an import, a CRM) counts too.
        by_profile |= Q(attributes_text__icontains=typed)
    profile_ids |= set(
        CustomerProfile.objects.filter(workspace_id=workspace_id)
        .annotate(attributes_text=Cast("attributes", TextField()))
        .filter(by_profile)
        .values_list("pk", flat=True)
    )
    family: set[int] = set()
    for profile_id in profile_ids:
        family.update(
            customer_profile_ids(
                workspace_id=workspace_id, profile_id=_root_profile(workspace_id, profile_id)
            )
        )
    subject.profile_ids = sorted(family)
    handles, emails, phones, names = set(), set(), set(), set()
    for row in Identity.objects.filter(workspace_id=workspace_id, profile_id__in=family).values(
        "pk", "platform", "platform_id", "handle", "name", "email", "phone"
    ):
        subject.identity_ids.append(row["pk"])
        subject.accounts.append([row["platform"], row["platform_id"], row["handle"]])
        if row["handle"]:
            handles.add(row["handle"])
        if row["email"]:
            emails.add(row["email"].lower())
        if row["name"]:
            names.add(row["name"])
        if row["phone"]:
            phones.add(row["phone"])
        if row["platform"] in PHONE_PLATFORMS or _looks_like_phone(row["platform_id"]):
            phones.add(row["platform_id"])
        elif _looks_like_email(row["platform_id"]):
            emails.add(row["platform_id"].lower())
    for profile in CustomerProfile.objects.filter(workspace_id=workspace_id, pk__in=family):
        if profile.display_name:
            names.add(profile.display_name)
        for key, item in (profile.attributes or {}).items():
            if isinstance(item, str) and item:
                if "mail" in key.lower() or _looks_like_email(item):
                    emails.add(item.lower())
                elif "phone" in key.lower() or _looks_like_phone(item):
                    phones.add(item)
    if _looks_like_email(value):
        emails.add(value)
    elif _looks_like_phone(typed):
        phones.add(typed)
    elif not family or bare in {handle.lower().lstrip("@") for handle in handles}:
        handles.add(typed)
    for phone in list(phones):
        digits = phone_digits(phone)
        phones.update({digits, "+" + digits})
    subject.identity_ids.sort()
    subject.handles = sorted(handles)
    subject.emails = sorted(emails)
    subject.phones = sorted(phones)
    subject.names = sorted(names)
    return subject


def subject_holdings(*, workspace_id: int, subject: Subject) -> dict[str, int]:
    """How many records of each kind the workspace holds about the person."""
    counts: dict[str, int] = {}
    for handler in privacy_handlers():
        found = handler.find(workspace_id, subject)
        for kind in handler.kinds:
            counts[kind] = found.get(kind, 0)
    return counts


def privacy_requests(*, workspace) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.for_workspace(workspace).select_related("requested_by")


def privacy_request_get(*, workspace, request_id: int) -> PrivacyRequest | None:
    return privacy_requests(workspace=workspace).filter(pk=request_id).first()


def requests_stalled(*, now: datetime, pending_for: timedelta) -> list[tuple[int, int]]:
    """(workspace id, request id) of requests no worker is running: pending for a while (the
    task was lost before a worker took it) or running with a lapsed lease (the worker died)."""
    return list(
        PrivacyRequest.objects.filter(
            Q(status=PrivacyRequest.Status.PENDING, created_at__lt=now - pending_for)
            | Q(status=PrivacyRequest.Status.RUNNING, lease_until__lt=now)
        )
        .order_by("created_at")
        .values_list("workspace_id", "pk")
    )


def privacy_settings(*, workspace_id: int) -> WorkspacePrivacySettings:
    found = WorkspacePrivacySettings.objects.filter(workspace_id=workspace_id).first()
    return found or WorkspacePrivacySettings(workspace_id=workspace_id)


def exports_root() -> Path:
    return Path(settings.DATA_DIR) / "privacy"


def export_path(privacy_request: PrivacyRequest) -> Path | None:
    if not privacy_request.export_file:
        return None
    return exports_root() / privacy_request.export_file


def requests_completion_days(*, workspace_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    """Median days from request to completion of the requests completed in [since, until)."""
    rows = PrivacyRequest.objects.filter(
        workspace_id=workspace_id,
        status=PrivacyRequest.Status.DONE,
        completed_at__gte=since,
        completed_at__lt=until,
    ).values_list("created_at", "completed_at", "due_at")
    days = [(done - asked).total_seconds() / 86400 for asked, done, _due in rows]
    late = sum(1 for _asked, done, due in rows if done > due)
    return {
        "median_days": round(median(days), 2) if days else None,
        "n": len(days),
        "late": late,
    }
