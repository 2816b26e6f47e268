"""The inbox, a case's page and a message arriving keep every statement to one workspace: each
tenant table in a statement is tied to the workspace being served (tests/workspace_sql.py states
the rule), so Citus routes each statement to the one node holding that workspace."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care import services
from care.models import Case
from tests.care.conftest import dm, later, receive
from tests.workspace_sql import problems, verdicts

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(account, agent, workspace_a):
    agents = [agent(workspace_a, capacity=20) for _ in range(2)]
    for n in range(4):
        receive(account, dm(f"in-{n}", author=f"customer{n}", text=f"Order {n} is late", at=later(n)))
        case = Case.objects.get(messages__external_id=f"in-{n}")
        services.case_assign(case=case, assignee=agents[n % 2])
        services.case_reply(case=case, text=f"Looking into order {n}", by=agents[n % 2])
    return agents


def _single_shard(run) -> list:
    with CaptureQueriesContext(connection) as captured:
        run()
    found = verdicts(captured)
    assert found, "nothing read a tenant table"
    return found


@pytest.mark.parametrize("url", ["/care/", "/care/inbox/rows/"], ids=["page", "rows"])
def test_the_inbox_reads_one_workspace_on_one_node(client, busy, url):
    client.force_login(busy[0])
    client.get(url, {"view": "all"})  # caches filled, as after a session's first request
    found = _single_shard(lambda: client.get(url, {"view": "all"}))
    assert problems(found) == "", problems(found)


def test_a_case_page_reads_one_workspace_on_one_node(client, busy):
    client.force_login(busy[0])
    case = Case.objects.order_by("id").first()
    found = _single_shard(lambda: client.get(f"/care/cases/{case.pk}/"))
    assert problems(found) == "", problems(found)


def test_a_message_arriving_writes_one_workspace_on_one_node(account, busy):
    found = _single_shard(
        lambda: receive(account, dm("in-new", author="customer9", text="Hello?", at=later(30)))
    )
    assert problems(found) == "", problems(found)
