"""One Accountable per capability, also when two admins assign one at the same moment."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from cxm.transactions import UniqueConflict
from tests.concurrency import at_once, meeting_point
from transformation.models import Raci, RaciAssignment
from transformation.value.services import raci_assign


@pytest.mark.django_db(transaction=True)
def test_two_accountables_assigned_at_once_leave_one(workspace_a, member, monkeypatch):
    first, second = member(workspace_a, Role.ADMIN), member(workspace_a, Role.ANALYST)
    meeting_point(RaciAssignment.objects, "create", 2, monkeypatch)

    def assign(membership):
        return lambda: raci_assign(
            workspace=workspace_a, capability="heard", letter=Raci.ACCOUNTABLE, user_id=membership.user_id
        )

    outcomes = at_once(assign(first), assign(second))

    assert RaciAssignment.objects.filter(capability="heard", letter=Raci.ACCOUNTABLE).count() == 1
    (lost,) = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert isinstance(lost, UniqueConflict)
    assert "already has someone accountable" in lost.message_dict["letter"][0]
