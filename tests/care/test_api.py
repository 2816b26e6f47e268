"""/api/v1/cases/: the inbox, a case, its conversation, replies and notes, by role and workspace."""

from __future__ import annotations

import pytest

from care import services
from care.models import Case, CaseStatus, DeliveryStatus, Message
from cxm.tenancy.models import Role
from tests.care.conftest import dm, later, make_account, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(api, member, workspace_a):
    membership = member(workspace_a, Role.AGENT)
    client = api(membership)
    client.user = membership.user
    return client


def test_the_inbox_lists_active_cases_with_views(agent_api, case, workspace_a, account):
    receive(account, dm("m2", author="budi"))
    other = Case.objects.exclude(pk=case.pk).get()
    services.case_assign(case=other, assignee=agent_api.user)
    everything = agent_api.get("/api/v1/cases/").json()
    assert {row["id"] for row in everything["results"]} == {case.pk, other.pk}
    mine = agent_api.get("/api/v1/cases/", {"view": "mine"}).json()["results"]
    assert [row["id"] for row in mine] == [other.pk]
    assert mine[0]["customer"]["display_name"] == "Budi"
    unassigned = agent_api.get("/api/v1/cases/", {"view": "unassigned", "platform": "mastodon"}).json()[
        "results"
    ]
    assert [row["id"] for row in unassigned] == [case.pk]
    counts = agent_api.get("/api/v1/cases/counts/").json()
    assert counts["all"] == 2 and counts["mine"] == 1


def test_the_inbox_is_cursor_paginated(agent_api, account):
    for n in range(5):
        receive(account, dm(f"m{n}", author=f"c{n}", at=later(n)))
    first = agent_api.get("/api/v1/cases/", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = agent_api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None


def test_bad_filters_answer_400(agent_api):
    response = agent_api.get("/api/v1/cases/", {"view": "everything"})
    assert response.status_code == 400 and "view" in response.json()["fields"]
    assert agent_api.get("/api/v1/cases/", {"queue": "three"}).status_code == 400


def test_reading_a_case_and_its_conversation(agent_api, case):
    body = agent_api.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["status"] == "new" and body["channel_kind"] == "dm"
    messages = agent_api.get(f"/api/v1/cases/{case.pk}/messages/").json()
    assert [m["text"] for m in messages["results"]] == ["Where is my order?"]
    assert messages["results"][0]["author"]["handle"] == "@ana@social.example"


def test_replying_queues_the_message_and_notes_stay_internal(
    agent_api, case, django_capture_on_commit_callbacks, monkeypatch
):
    from care import tasks

    enqueued = []
    monkeypatch.setattr(tasks.message_send, "delay", lambda **kwargs: enqueued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_api.post(
            f"/api/v1/cases/{case.pk}/messages/", {"kind": "reply", "text": "It ships today."}, format="json"
        )
    assert reply.status_code == 201, reply.content
    assert reply.json()["status"] == "queued" and reply.json()["direction"] == "outbound"
    assert enqueued == [{"message_id": reply.json()["id"], "workspace_id": case.workspace_id}]
    note = agent_api.post(
        f"/api/v1/cases/{case.pk}/messages/", {"kind": "note", "text": "VIP"}, format="json"
    )
    assert note.status_code == 201 and note.json()["direction"] == "note"
    listed = agent_api.get(f"/api/v1/cases/{case.pk}/messages/").json()["results"]
    assert [m["direction"] for m in listed] == ["note", "outbound", "inbound"]


def test_an_empty_reply_is_refused(agent_api, case):
    response = agent_api.post(
        f"/api/v1/cases/{case.pk}/messages/", {"kind": "reply", "text": " "}, format="json"
    )
    assert response.status_code == 400 and "text" in response.json()["fields"]


def test_changing_status_priority_assignee_and_tags(agent_api, case, member, workspace_a):
    colleague = member(workspace_a, Role.AGENT).user
    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}/",
        {"status": "open", "priority": "high", "assignee": colleague.pk, "tags": ["Refund"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"], body["tags"]) == (
        "open",
        "high",
        colleague.pk,
        ["refund"],
    )


def test_an_illegal_transition_answers_400(agent_api, case):
    services.case_status_set(case=case, status=CaseStatus.CLOSED)
    response = agent_api.patch(f"/api/v1/cases/{case.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["fields"]


def test_assign_and_resolve_actions(agent_api, case):
    assigned = agent_api.post(
        f"/api/v1/cases/{case.pk}/assign/", {"assignee": agent_api.user.pk}, format="json"
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"] == agent_api.user.pk
    unassigned = agent_api.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": None}, format="json")
    assert unassigned.json()["assignee"] is None
    resolved = agent_api.post(f"/api/v1/cases/{case.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


def test_assigning_someone_from_another_workspace_is_refused(agent_api, case, member, workspace_b):
    outsider = member(workspace_b, Role.AGENT).user
    response = agent_api.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": outsider.pk}, format="json")
    assert response.status_code == 400


def test_opening_a_case_by_hand(agent_api, case):
    response = agent_api.post(
        "/api/v1/cases/",
        {
            "customer": case.customer_id,
            "subject": "Phone call",
            "text": "Called about 1042",
            "priority": "urgent",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["channel_kind"] == "manual" and response.json()["priority"] == "urgent"


def test_a_failed_reply_is_retried_through_the_api(agent_api, case):
    reply = services.case_reply(case=case, text="Hello")
    Message.objects.filter(pk=reply.pk).update(status=DeliveryStatus.FAILED, error="refused")
    response = agent_api.post(f"/api/v1/cases/{case.pk}/retry/", {"message": reply.pk}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "queued"


def test_metrics_endpoint(agent_api, case):
    body = agent_api.get("/api/v1/cases/metrics/").json()
    assert body["cases"] == 1 and body["backlog"]["total"] == 1


def test_an_analyst_can_read_but_not_work_cases(api, member, workspace_a, case):
    analyst = api(member(workspace_a, Role.ANALYST))
    assert analyst.get("/api/v1/cases/").status_code == 200
    assert analyst.get(f"/api/v1/cases/{case.pk}/messages/").status_code == 200
    assert analyst.get("/api/v1/cases/metrics/").status_code == 200
    reply = analyst.post(f"/api/v1/cases/{case.pk}/messages/", {"kind": "note", "text": "hi"}, format="json")
    assert reply.status_code == 403
    assert analyst.patch(f"/api/v1/cases/{case.pk}/", {"status": "open"}, format="json").status_code == 403
    assert analyst.post(f"/api/v1/cases/{case.pk}/resolve/").status_code == 403


@pytest.mark.parametrize("role", [Role.MARKETER, Role.APPROVER])
def test_roles_without_care_cannot_see_cases(api, member, workspace_a, case, role):
    client = api(member(workspace_a, role))
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 403


def test_another_workspaces_case_answers_404(api, member, workspace_b, case):
    intruder = api(member(workspace_b, Role.ADMIN))
    for method, url in [
        ("get", f"/api/v1/cases/{case.pk}/"),
        ("patch", f"/api/v1/cases/{case.pk}/"),
        ("get", f"/api/v1/cases/{case.pk}/messages/"),
        ("post", f"/api/v1/cases/{case.pk}/messages/"),
        ("post", f"/api/v1/cases/{case.pk}/assign/"),
        ("post", f"/api/v1/cases/{case.pk}/resolve/"),
    ]:
        body = {"kind": "note", "text": "hi", "status": "closed"} if method != "get" else None
        response = getattr(intruder, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW and case.messages.count() == 1
    assert intruder.get("/api/v1/cases/").json()["results"] == []


def test_a_customer_of_another_workspace_cannot_get_a_case(agent_api, workspace_b):
    foreign_account = make_account(workspace_b)
    receive(foreign_account, dm("x1"))
    foreign_customer = Case.objects.get(workspace=workspace_b).customer_id
    response = agent_api.post("/api/v1/cases/", {"customer": foreign_customer}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["fields"]


def test_q_searches_cases_as_the_inbox_search_box_does(agent_api, case, account):
    receive(account, dm("m2", author="budi", text="My parcel arrived broken"))
    broken = Case.objects.exclude(pk=case.pk).get()
    found = agent_api.get("/api/v1/cases/", {"q": "parcel"}).json()["results"]
    assert [row["id"] for row in found] == [broken.pk]
    by_number = agent_api.get("/api/v1/cases/", {"q": f"#{case.pk}"}).json()["results"]
    assert [row["id"] for row in by_number] == [case.pk]
    by_name = agent_api.get("/api/v1/cases/", {"q": "budi"}).json()["results"]
    assert [row["id"] for row in by_name] == [broken.pk]


def test_an_unknown_case_filter_is_refused_by_name(agent_api, case):
    response = agent_api.get("/api/v1/cases/", {"since": "xx"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["since"]
