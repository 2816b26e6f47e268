"""The kernel's own records about a person: audit entries that name them, exports cached on disk
that may hold their data, and their customer profiles and identities."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from cxm.audit.models import AuditEntry, AuditExport
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.privacy.models import PrivacyRequest
from cxm.privacy.registry import ExportWriter
from cxm.privacy.selectors import export_path
from cxm.privacy.subject import ERASED, Subject, identity_digest, names, scrub_json, scrub_text

PROFILE_TYPE = "customers.customerprofile"


def _audit_entries(workspace_id: int, subject: Subject):
    """Entries about the person's profiles, or whose text names them. The text test runs on the
    database side first (a cheap pre-filter), then exactly in Python."""
    pattern = subject.pattern()
    about = Q(object_type=PROFILE_TYPE, object_id__in=[str(pk) for pk in subject.profile_ids])
    naming = Q()
    for like in subject.identifiers():
        naming |= (
            Q(object_repr__icontains=like) | Q(before_text__icontains=like) | Q(after_text__icontains=like)
        )
    entries = AuditEntry.objects.filter(workspace_id=workspace_id).annotate(
        before_text=Cast("before", TextField()), after_text=Cast("after", TextField())
    )
    if not subject.identifiers():
        return entries.filter(about), pattern
    return entries.filter(about | naming), pattern


class AuditHandler:
    """Entries stay (who did what, when) with the person's identifiers blanked out of them."""

    name = "audit"
    order = 80
    kinds = ("audit_entries",)

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        entries, _pattern = _audit_entries(workspace_id, subject)
        return {"audit_entries": entries.count()}

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        entries, _pattern = _audit_entries(workspace_id, subject)
        for entry in entries.order_by("created_at", "id").iterator(chunk_size=2000):
            writer.write(
                "audit_entries",
                {
                    "created_at": entry.created_at.isoformat(),
                    "action": entry.action,
                    "actor": entry.actor_label,
                    "object_type": entry.object_type,
                    "object_id": entry.object_id,
                    "object_repr": entry.object_repr,
                    "before": entry.before,
                    "after": entry.after,
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        entries, pattern = _audit_entries(workspace_id, subject)
        changed = 0
        profile_ids = {str(pk) for pk in subject.profile_ids}
        for entry in entries.iterator(chunk_size=2000):
            repr_ = scrub_text(entry.object_repr, pattern)
            if entry.object_type == PROFILE_TYPE and entry.object_id in profile_ids:
                repr_ = f"customer {entry.object_id}"
            before, after = scrub_json(entry.before, pattern), scrub_json(entry.after, pattern)
            if (repr_, before, after) != (entry.object_repr, entry.before, entry.after):
                AuditEntry.objects.filter(pk=entry.pk).update(
                    object_repr=repr_[:200], before=before, after=after
                )
                changed += 1
        return {"audit_entries": changed}


def _file_names(path: Path, pattern) -> bool:
    """Whether a text file names the person, read a line at a time (audit CSVs can be large)."""
    with path.open(errors="replace") as handle:
        return any(names(line, pattern) for line in handle)


class ExportsHandler:
    """Files built earlier that may hold the person's data: audit log CSVs that name them, and the
    ZIPs of earlier export requests about the same person. Deleted, not scrubbed."""

    name = "cached_exports"
    order = 85
    kinds = ()

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        return {}

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        return None

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        pattern = subject.pattern()
        deleted = 0
        folder = Path(settings.MEDIA_ROOT) / "exports" / str(workspace_id)
        for export in AuditExport.objects.filter(workspace_id=workspace_id).exclude(file_name=""):
            path = folder / export.file_name
            if path.exists() and _file_names(path, pattern):
                path.unlink()
                AuditExport.objects.filter(pk=export.pk).update(
                    file_name="", error="Deleted: it held data of a person whose data was erased."
                )
                deleted += 1
        digests = {
            identity_digest(workspace_id, value) for value in [subject.identity, *subject.identifiers()]
        }
        # Erasures still running (this one among them) clear their own identity when they finish.
        earlier_requests = PrivacyRequest.objects.filter(
            workspace_id=workspace_id, identity_digest__in=digests
        ).exclude(
            kind=PrivacyRequest.Kind.ERASE,
            status__in=[PrivacyRequest.Status.PENDING, PrivacyRequest.Status.RUNNING],
        )
        for earlier in earlier_requests:
            path = export_path(earlier)
            if path is not None and path.exists():
                path.unlink()
                deleted += 1
            PrivacyRequest.objects.filter(pk=earlier.pk).update(identity=None, subject=None, export_file="")
        return {"cached_exports": deleted}


class CustomersHandler:
    """Identities are deleted; profiles stay (cases and answers point at them, and reports count
    them) with their name and attributes blanked."""

    name = "customers"
    order = 90
    kinds = ("customer_profiles", "identities")

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        return {
            "customer_profiles": len(subject.profile_ids),
            "identities": Identity.objects.filter(
                workspace_id=workspace_id, pk__in=subject.identity_ids
            ).count(),
        }

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        for profile in CustomerProfile.objects.filter(workspace_id=workspace_id, pk__in=subject.profile_ids):
            writer.write(
                "customer_profiles",
                {
                    "id": profile.pk,
                    "display_name": profile.display_name,
                    "attributes": profile.attributes,
                    "merged_into": profile.merged_into_id,
                    "created_at": profile.created_at.isoformat(),
                },
            )
        for identity in Identity.objects.filter(workspace_id=workspace_id, pk__in=subject.identity_ids):
            writer.write(
                "identities",
                {
                    "id": identity.pk,
                    "profile": identity.profile_id,
                    "platform": identity.platform,
                    "platform_id": identity.platform_id,
                    "handle": identity.handle,
                    "name": identity.name,
                    "email": identity.email,
                    "phone": identity.phone,
                    "verified": identity.verified,
                    "created_at": identity.created_at.isoformat(),
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        identities, _ = Identity.objects.filter(
            workspace_id=workspace_id, pk__in=subject.identity_ids
        ).delete()
        profiles = CustomerProfile.objects.filter(
            workspace_id=workspace_id, pk__in=subject.profile_ids
        ).update(display_name="", attributes={"erased": True})
        # The merges keep their shape (so counts of merges stay) but no longer say why.
        CustomerMerge.objects.filter(workspace_id=workspace_id, target_id__in=subject.profile_ids).update(
            reason=ERASED
        )
        return {"customer_profiles": profiles, "identities": identities}
