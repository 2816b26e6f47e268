"""Whether parts of care are in use at all, for the transformation module's use cases."""

from __future__ import annotations

from care.models import Case, CsatResponse


def care_usage(*, workspace) -> dict[str, bool]:
    """{"cases": any case opened, "csat": any satisfaction answer received}."""
    return {
        "cases": Case.objects.for_workspace(workspace).exists(),
        "csat": CsatResponse.objects.for_workspace(workspace).exists(),
    }
