from __future__ import annotations

from django.db.models import QuerySet

from cxm.customers.models import CustomerProfile, Identity


def customer_get(*, workspace, profile_id: int) -> CustomerProfile | None:
    return CustomerProfile.objects.for_workspace(workspace).filter(pk=profile_id).first()


def customer_identities(*, workspace, profile_id: int) -> QuerySet[Identity]:
    return (
        Identity.objects.for_workspace(workspace).filter(profile_id=profile_id).order_by("platform", "handle")
    )
