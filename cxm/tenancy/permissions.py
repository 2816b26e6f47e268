"""What each role may do. The one table every view and API view consults (see docs/security.md).

Leaders (executives) hold only the `.view` permissions they need to read dashboards and reports,
plus `transformation.view`, which also lets every member answer a maturity assessment.
"""

from __future__ import annotations

from cxm.tenancy.models import Membership, Role

EVERYONE = frozenset(Role.values)

PERMISSIONS: dict[str, frozenset[str]] = {
    "workspace.view": EVERYONE,
    "workspace.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    "listening.view": EVERYONE,
    "listening.manage": frozenset({Role.ADMIN, Role.ANALYST}),
    "publishing.view": EVERYONE,
    "publishing.compose": frozenset({Role.ADMIN, Role.MARKETER}),
    "publishing.approve": frozenset({Role.ADMIN, Role.APPROVER}),
    "publishing.pause": frozenset({Role.ADMIN}),
    # The inbox, cases and customers: the people who work or analyse conversations.
    "care.view": frozenset({Role.ADMIN, Role.AGENT, Role.ANALYST}),
    # Care reports (response times, backlog, CSAT): numbers, no conversation opened.
    "care.reports": frozenset({Role.ADMIN, Role.AGENT, Role.ANALYST, Role.LEADER}),
    "care.work": frozenset({Role.ADMIN, Role.AGENT}),
    "ads.view": frozenset({Role.ADMIN, Role.MARKETER, Role.ANALYST, Role.APPROVER, Role.LEADER}),
    "ads.manage": frozenset({Role.ADMIN, Role.MARKETER}),
    "channels.manage": frozenset({Role.ADMIN}),
    "transformation.view": EVERYONE,
    "transformation.manage": frozenset({Role.ADMIN}),
}


def has_permission(membership: Membership | None, permission: str) -> bool:
    if membership is None:
        return False
    try:
        allowed = PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}; add it to PERMISSIONS") from None
    return membership.role in allowed
