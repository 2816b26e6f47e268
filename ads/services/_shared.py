"""Helpers the creative services (feeds, templates, variants, the launch gate) share."""

from __future__ import annotations

from cxm.audit.services import audit_record

CHUNK = 2000  # rows per bulk statement


def actor(by):
    """The user to record, or None for the system (a task, a rule)."""
    return by if getattr(by, "is_authenticated", False) else None


def audit(workspace, action: str, *, by, target=None, after=None, before=None, request=None, label=""):
    audit_record(
        workspace=workspace,
        actor=actor(by),
        action=action,
        target=target,
        before=before,
        after=after,
        request=request,
        object_repr=label or (str(target) if target is not None else ""),
    )
