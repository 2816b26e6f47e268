"""New cases go to the least-loaded online agent with the right skills and room for one more."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from care import services
from care.models import Case, CaseEvent, CaseStatus, Presence
from cxm.customers.services import AuthorKey, identities_resolve
from tests.care.conftest import T0, dm, make_account, receive

pytestmark = pytest.mark.django_db


def new_cases(workspace, n, **fields):
    authors = [AuthorKey("mastodon", f"c{n}-{i}", f"@c{i}") for i in range(n)]
    profiles = identities_resolve(workspace_id=workspace.pk, authors=authors)
    return [
        Case.objects.create(
            workspace=workspace,
            customer_id=profiles[(a.platform, a.platform_id)].profile_id,
            last_message_at=T0,
            **fields,
        )
        for a in authors
    ]


def route(case):
    return services.case_route(case_id=case.pk, workspace_id=case.workspace_id)


def test_the_least_loaded_agent_gets_the_case(workspace_a, agent):
    busy, free = agent(workspace_a), agent(workspace_a)
    new_cases(workspace_a, 1, assignee=busy, status=CaseStatus.OPEN)
    (case,) = new_cases(workspace_a, 1)
    assert route(case) == free.pk
    case.refresh_from_db()
    assert case.assignee == free and case.assigned_at is not None
    assert CaseEvent.objects.get(case=case, kind="assigned").data["auto"] is True


def test_cases_spread_evenly(workspace_a, agent):
    first, second = agent(workspace_a), agent(workspace_a)
    for case in new_cases(workspace_a, 4):
        route(case)
    assert Counter(Case.objects.values_list("assignee_id", flat=True)) == {first.pk: 2, second.pk: 2}


def test_agents_away_or_offline_get_nothing(workspace_a, agent):
    agent(workspace_a, presence=Presence.AWAY)
    agent(workspace_a, presence=Presence.OFFLINE)
    (case,) = new_cases(workspace_a, 1)
    assert route(case) is None


def test_an_agent_at_capacity_gets_nothing(workspace_a, agent):
    full = agent(workspace_a, capacity=1)
    new_cases(workspace_a, 1, assignee=full, status=CaseStatus.OPEN)
    (case,) = new_cases(workspace_a, 1)
    assert route(case) is None
    # resolved cases do not count against capacity
    Case.objects.filter(assignee=full).update(status=CaseStatus.RESOLVED)
    assert route(case) == full.pk


def test_skills_must_cover_language_and_platform(workspace_a, agent):
    agent(workspace_a, languages=["en"])
    indonesian = agent(workspace_a, languages=["id"], platforms=["mastodon"])
    (case,) = new_cases(workspace_a, 1, language="id-ID", platform="mastodon")
    assert route(case) == indonesian.pk
    (email_case,) = new_cases(workspace_a, 1, language="id", platform="email")
    assert route(email_case) is None


def test_a_case_goes_to_the_first_matching_queue_and_its_agents(workspace_a, agent):
    english = services.queue_save(workspace=workspace_a, name="English", position=1, languages=["en"])
    general = services.queue_save(workspace=workspace_a, name="General", position=2)
    agent(workspace_a, queue_ids=[general.pk])
    english_agent = agent(workspace_a, queue_ids=[english.pk])
    (case,) = new_cases(workspace_a, 1, language="en")
    assert route(case) == english_agent.pk
    case.refresh_from_db()
    assert case.queue == english


def test_an_assigned_or_closed_case_is_not_routed(workspace_a, agent):
    someone = agent(workspace_a)
    assigned, closed = new_cases(workspace_a, 2)
    Case.objects.filter(pk=assigned.pk).update(assignee=someone)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    assert route(assigned) is None and route(closed) is None


def test_an_analyst_with_an_old_agent_profile_gets_no_cases(workspace_a, agent):
    from cxm.tenancy.models import Membership, Role

    former = agent(workspace_a)
    Membership.objects.filter(user=former).update(role=Role.ANALYST)
    (case,) = new_cases(workspace_a, 1)
    assert route(case) is None


def test_pending_cases_are_picked_up_when_an_agent_comes_online(workspace_a, agent):
    user = agent(workspace_a, presence=Presence.OFFLINE)
    cases = new_cases(workspace_a, 3)
    assert services.cases_route_pending(workspace_id=workspace_a.pk) == 0
    services.agent_presence_set(workspace=workspace_a, user=user, presence=Presence.ONLINE)
    assert services.cases_route_pending(workspace_id=workspace_a.pk) == 3
    assert {c.assignee_id for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == {user.pk}


def test_a_new_case_from_a_message_is_routed_after_commit(
    workspace_a, agent, django_capture_on_commit_callbacks, monkeypatch
):
    from care import tasks

    user = agent(workspace_a)
    account = make_account(workspace_a)
    calls = []
    monkeypatch.setattr(tasks.cases_route, "delay", lambda **kwargs: calls.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        receive(account, dm("m1"))
    (call,) = calls
    tasks.cases_route(**call)  # what the worker runs
    assert Case.objects.get().assignee == user


def test_assigning_by_hand_respects_capacity_unless_forced(workspace_a, agent):
    lead = agent(workspace_a, role="admin")
    full = agent(workspace_a, capacity=1)
    new_cases(workspace_a, 1, assignee=full, status=CaseStatus.OPEN)
    (case,) = new_cases(workspace_a, 1)
    with pytest.raises(ValidationError):
        services.case_assign(case=case, assignee=full, by=lead)
    services.case_assign(case=case, assignee=full, by=lead, force=True)
    case.refresh_from_db()
    assert case.assignee == full


def test_only_colleagues_who_work_cases_can_be_assigned(workspace_a, member):
    from cxm.tenancy.models import Role

    marketer = member(workspace_a, Role.MARKETER).user
    (case,) = new_cases(workspace_a, 1)
    with pytest.raises(ValidationError):
        services.case_assign(case=case, assignee=marketer)


@pytest.mark.django_db(transaction=True)
def test_routing_many_cases_at_once_never_overfills_an_agent_or_assigns_twice(workspace_a, agent):
    """8 routers (each its own database connection) race over 60 cases for 5 agents of capacity 10."""
    agents = [agent(workspace_a, capacity=10) for _ in range(5)]
    cases = new_cases(workspace_a, 60)
    errors = []
    start = threading.Barrier(8)

    def router(seed):
        order = [case.pk for case in cases]
        random.Random(seed).shuffle(order)
        try:
            start.wait()
            for case_id in order:
                services.case_route(case_id=case_id, workspace_id=workspace_a.pk)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=router, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loads = Counter(Case.objects.filter(workspace=workspace_a).values_list("assignee_id", flat=True))
    assert loads.pop(None) == 10  # 60 cases, room for 50
    assert loads == {user.pk: 10 for user in agents}
    # each case was assigned exactly once
    assignments = Counter(CaseEvent.objects.filter(kind="assigned").values_list("case_id", flat=True))
    assert len(assignments) == 50 and set(assignments.values()) == {1}
