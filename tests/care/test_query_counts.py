"""The inbox (its page, its rows partial and the cases API) and a case's page read in a fixed
number of queries, whether they show 3 cases (or messages) or 10."""

from __future__ import annotations

import pytest

from care import services
from care.models import Case
from cxm.tenancy.models import Membership
from tests.care.conftest import dm, later, receive
from tests.query_counts import queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(agent, workspace_a):
    return [agent(workspace_a, capacity=20) for _ in range(3)]


def _cases(account, agents, start: int, count: int) -> None:
    """Cases from different customers, each with a reply and a note, most assigned to an agent."""
    for n in range(start, start + count):
        receive(account, dm(f"in-{n}", author=f"customer{n}", text=f"Order {n} has not arrived", at=later(n)))
        case = Case.objects.get(messages__external_id=f"in-{n}")
        by = agents[n % len(agents)]
        if n % 4:
            services.case_assign(case=case, assignee=by)
        services.case_reply(case=case, text=f"Looking into order {n}", by=by)
        services.case_note(case=case, text=f"Checked the courier for {n}", by=by)


def _thread(account, agents, start: int, count: int) -> Case:
    """One customer's case growing: her messages, replies and notes by several agents."""
    for n in range(start, start + count):
        receive(account, dm(f"ana-{n}", author="ana", text=f"Still waiting ({n})", at=later(n)))
        case = Case.objects.get(messages__external_id=f"ana-{n}")
        by = agents[n % len(agents)]
        if n % 3 == 0:
            services.case_reply(case=case, text=f"Sorry, reply {n}", by=by)
        elif n % 3 == 1:
            services.case_note(case=case, text=f"Note {n}", by=by)
    return case


def _same_for_3_and_10(grow, get, count, django_assert_num_queries) -> None:
    grow(0, 3)
    get()  # per-workspace caches filled, as they are after the first request of a session
    with_3 = queries_of(get)
    assert count(get()) >= 3
    grow(3, 7)
    with django_assert_num_queries(with_3):
        assert count(get()) >= 10


@pytest.mark.parametrize("url", ["/care/", "/care/inbox/rows/"], ids=["page", "rows"])
def test_the_inbox_takes_the_same_queries_for_3_and_10_cases(
    client, account, agents, django_assert_num_queries, url
):
    client.force_login(agents[0])
    _same_for_3_and_10(
        lambda start, count: _cases(account, agents, start, count),
        lambda: client.get(url, {"view": "all"}),
        lambda response: len(response.context["rows"]),
        django_assert_num_queries,
    )


def test_the_cases_api_takes_the_same_queries_for_3_and_10_cases(
    api, account, agents, workspace_a, django_assert_num_queries
):
    client = api(Membership.objects.get(workspace=workspace_a, user=agents[0]))
    _same_for_3_and_10(
        lambda start, count: _cases(account, agents, start, count),
        lambda: client.get("/api/v1/cases/"),
        lambda response: len(response.json()["results"]),
        django_assert_num_queries,
    )


def test_a_case_page_takes_the_same_queries_for_3_and_10_messages(
    client, account, agents, django_assert_num_queries
):
    client.force_login(agents[0])
    _thread(account, agents, 0, 1)
    case = Case.objects.get()
    _same_for_3_and_10(
        lambda start, count: _thread(account, agents, start + 1, count),
        lambda: client.get(f"/care/cases/{case.pk}/"),
        lambda response: len(response.context["thread"]),
        django_assert_num_queries,
    )
