"""The publishing API mirrors the UI: create, submit, approve, request changes, cancel, list, and
the pause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxm.tenancy.models import Role
from publishing.services import approval_rule_set, target_publish

pytestmark = pytest.mark.django_db


def _create(client, accounts, **extra):
    body = {
        "text": "Cold brew is back",
        "accounts": [a.pk for a in accounts],
        "scheduled_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        **extra,
    }
    return client.post("/api/v1/posts/", body, format="json")


def test_creating_a_post_answers_its_id_as_a_draft(api, make_account, marketer):
    response = _create(
        api(marketer), [make_account("a"), make_account("b")], campaign="Launch", tags=["coffee"]
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] and body["status"] == "draft"
    assert sorted(body["accounts"]) == sorted(t["account"] for t in body["targets"])
    assert body["campaign_name"] == "Launch" and body["tags"] == ["coffee"]


def test_bad_input_is_refused_field_by_field(api, make_account, marketer, workspace_b):
    foreign = make_account("theirs", workspace=workspace_b)
    response = api(marketer).post(
        "/api/v1/posts/", {"text": "x" * 600, "accounts": [foreign.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "accounts" in response.json()["fields"]
    response = _create(api(marketer), [make_account()], text="x" * 501)
    assert response.status_code == 400 and "text" in response.json()["fields"]


def test_submit_approve_and_the_detail_shows_each_targets_platform_id(
    api, workspace_a, unit, make_account, marketer, approver
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post_id = _create(api(marketer), [make_account()], scheduled_at=timezone.now().isoformat()).json()["id"]
    assert api(marketer).post(f"/api/v1/posts/{post_id}/submit/").json()["status"] == "in_review"
    # A marketer cannot approve; an approver can.
    assert api(marketer).post(f"/api/v1/posts/{post_id}/approve/").status_code == 403
    approved = api(approver).post(f"/api/v1/posts/{post_id}/approve/", {"comment": "ok"}, format="json")
    assert approved.json()["status"] == "scheduled"

    target_publish(target_id=approved.json()["targets"][0]["id"], workspace_id=workspace_a.pk)
    detail = api(marketer).get(f"/api/v1/posts/{post_id}/").json()
    assert detail["status"] == "published"
    (target,) = detail["targets"]
    assert target["status"] == "published" and target["platform_id"] and target["url"].startswith("http")


def test_submit_goes_straight_to_scheduled_without_a_rule(api, make_account, marketer):
    post_id = _create(api(marketer), [make_account()]).json()["id"]
    assert api(marketer).post(f"/api/v1/posts/{post_id}/submit/").json()["status"] == "scheduled"


def test_request_changes_and_cancel(api, workspace_a, unit, make_account, marketer, approver):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    client = api(marketer)
    post_id = _create(client, [make_account()]).json()["id"]
    client.post(f"/api/v1/posts/{post_id}/submit/")
    sent_back = api(approver).post(
        f"/api/v1/posts/{post_id}/request-changes/", {"comment": "Add the price"}, format="json"
    )
    assert sent_back.json()["status"] == "draft"
    assert client.post(f"/api/v1/posts/{post_id}/cancel/").json()["status"] == "cancelled"


def test_listing_filters_by_window_account_and_status(api, make_account, marketer):
    client = api(marketer)
    one, two = make_account("one"), make_account("two")
    soon = _create(client, [one], scheduled_at=(timezone.now() + timedelta(hours=1)).isoformat()).json()["id"]
    later = _create(client, [two], scheduled_at=(timezone.now() + timedelta(days=10)).isoformat()).json()[
        "id"
    ]
    client.post(f"/api/v1/posts/{later}/submit/")

    def ids(query):
        return [p["id"] for p in client.get(f"/api/v1/posts/?{query}").json()["results"]]

    window_end = (timezone.now() + timedelta(days=2)).isoformat().replace("+", "%2B")
    assert ids(f"end={window_end}") == [soon]
    assert ids(f"account={two.pk}") == [later]
    assert ids("status=scheduled") == [later]


def test_only_admins_pause_and_resume_and_everyone_sees_the_state(api, workspace_a, admin, marketer):
    assert (
        api(marketer).post("/api/v1/publishing/pause/", {"scope": "global"}, format="json").status_code == 403
    )
    assert api(marketer).post("/api/v1/publishing/resume/").status_code == 403

    paused = api(admin).post(
        "/api/v1/publishing/pause/", {"scope": "global", "reason": "Crisis"}, format="json"
    )
    assert paused.status_code == 201
    state = api(marketer).get("/api/v1/publishing/pause/").json()
    assert state["paused"] is True
    assert state["pauses"][0]["reason"] == "Crisis" and state["pauses"][0]["by"] == admin.user.username

    assert api(admin).post("/api/v1/publishing/resume/").json()["paused"] is False


def test_a_scoped_pause_needs_an_object_of_this_workspace(api, admin, workspace_b):
    from tests.factories import BusinessUnitFactory

    theirs = BusinessUnitFactory(workspace=workspace_b)
    client = api(admin)
    assert (
        client.post("/api/v1/publishing/pause/", {"scope": "business_unit"}, format="json").status_code == 400
    )
    response = client.post(
        "/api/v1/publishing/pause/", {"scope": "business_unit", "id": theirs.pk}, format="json"
    )
    assert response.status_code == 400 and "id" in response.json()["fields"]


def test_resuming_here_does_not_lift_another_workspaces_pause(api, admin, workspace_b):
    from publishing.models import Pause
    from publishing.services import pause_activate

    pause_activate(workspace=workspace_b, reason="Theirs")
    api(admin).post("/api/v1/publishing/resume/")
    assert Pause.objects.filter(workspace=workspace_b, resumed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_date_filter_with_an_offset_postgresql_refuses_is_compared_in_utc(api, workspace_a, member):
    client = api(member(workspace_a))
    # ISO 8601 allows -18:33; PostgreSQL takes offsets up to 15:59.
    response = client.get(
        "/api/v1/posts/", {"start": "0712-11-22T14:49:54-18:33", "end": "9999-12-31T23:00:00-18:00"}
    )
    assert response.status_code == 200
    assert response.json()["results"] == []
