"""`POST /api/v1/posts/{id}/take-down/`: 202 with each target's take-down, errors in the API's
one shape, described in the OpenAPI document; the post's GET shows where each take-down stands."""

from __future__ import annotations

import pytest

from cxm.channels.models import DeletionStatus
from cxm.tenancy.models import Role
from publishing.models import PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish, target_take_down_run

pytestmark = pytest.mark.django_db


def _published(*accounts):
    workspace = accounts[0].workspace
    post = post_submit(
        post=post_create(workspace=workspace, text="Cold brew is back", accounts=list(accounts)), by=None
    )
    for target in post.targets.all():
        assert target_publish(target_id=target.pk, workspace_id=workspace.pk) == "published"
    return post


def _url(post) -> str:
    return f"/api/v1/posts/{post.pk}/take-down/"


def test_without_targets_every_published_one_is_taken_down(api, make_account, mastodon, marketer):
    post = _published(make_account("a"), make_account("b"))

    response = api(marketer).post(_url(post), {}, format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["post"] == post.pk
    assert sorted(t["id"] for t in body["targets"]) == sorted(post.targets.values_list("pk", flat=True))
    assert {t["takedown_status"] for t in body["targets"]} == {"requested"}
    assert {t["taken_down_by"] for t in body["targets"]} == {marketer.user.username}


def test_named_targets_only_and_the_post_shows_the_result(api, make_account, mastodon, marketer):
    post = _published(make_account("a"), make_account("b"))
    first, second = post.targets.order_by("pk")

    response = api(marketer).post(_url(post), {"targets": [first.pk]}, format="json")
    assert response.status_code == 202
    assert [t["id"] for t in response.json()["targets"]] == [first.pk]
    target_take_down_run(target_id=first.pk, workspace_id=post.workspace_id)

    shown = {t["id"]: t for t in api(marketer).get(f"/api/v1/posts/{post.pk}/").json()["targets"]}
    assert shown[first.pk]["takedown_status"] == "deleted" and shown[first.pk]["taken_down_at"]
    assert shown[first.pk]["taken_down_by"] == marketer.user.username
    assert shown[second.pk]["takedown_status"] == "none" and shown[second.pk]["taken_down_at"] is None
    assert mastodon.deleted_statuses == [first.external_id]


def test_asking_again_answers_the_same_state_and_deletes_once(api, make_account, mastodon, marketer):
    post = _published(make_account())
    target = post.targets.get()
    api(marketer).post(_url(post), {}, format="json")
    target_take_down_run(target_id=target.pk, workspace_id=post.workspace_id)

    again = api(marketer).post(_url(post), {"targets": [target.pk]}, format="json")

    assert again.status_code == 202 and again.json()["targets"][0]["takedown_status"] == "deleted"
    assert len(mastodon.requests_to(f"/api/v1/statuses/{target.external_id}", "DELETE")) == 1


def test_instagram_answers_not_allowed(api, instagram_account, make_account, mastodon, marketer):
    post = _published(make_account())
    instagram_target = PostTarget.objects.create(
        workspace=post.workspace,
        post=post,
        account=instagram_account,
        status=TargetStatus.PUBLISHED,
        external_id="17900001",
    )

    response = api(marketer).post(_url(post), {"targets": [instagram_target.pk]}, format="json")

    assert response.status_code == 202
    (shown,) = response.json()["targets"]
    assert shown["takedown_status"] == DeletionStatus.NOT_ALLOWED
    assert "Instagram does not let an account delete its posts" in shown["takedown_error"]


def test_a_target_not_published_is_refused_with_the_field_named(api, make_account, mastodon, marketer):
    post = post_create(workspace=make_account().workspace, text="Later", accounts=[make_account("b")])

    named = api(marketer).post(_url(post), {"targets": [post.targets.get().pk]}, format="json")
    every = api(marketer).post(_url(post), {}, format="json")

    for response in (named, every):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and "targets" in body["fields"]


@pytest.mark.parametrize("body", [{"targets": []}, {"targets": ["first"]}, {"targets": [0]}])
def test_a_malformed_body_is_refused(api, make_account, mastodon, marketer, body):
    post = _published(make_account())
    response = api(marketer).post(_url(post), body, format="json")
    assert response.status_code == 400 and response.json()["status"] == 400


def test_another_workspaces_post_or_target_is_not_found(
    api, make_account, mastodon, marketer, member, workspace_b
):
    post = _published(make_account())
    theirs = _published(make_account("theirs", workspace=workspace_b))

    foreign_post = api(marketer).post(_url(theirs), {}, format="json")
    foreign_target = api(marketer).post(_url(post), {"targets": [theirs.targets.get().pk]}, format="json")
    outsider = api(member(workspace_b, Role.ADMIN)).post(_url(post), {}, format="json")

    for response in (foreign_post, foreign_target, outsider):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert mastodon.deleted_statuses == []
    assert PostTarget.objects.exclude(takedown_status=DeletionStatus.NONE).count() == 0


@pytest.mark.parametrize("role", [Role.APPROVER, Role.ANALYST, Role.AGENT, Role.LEADER])
def test_only_those_who_publish_may_take_a_post_down(api, make_account, mastodon, member, workspace_a, role):
    post = _published(make_account())
    response = api(member(workspace_a, role)).post(_url(post), {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_an_admin_may_take_a_post_down(api, make_account, mastodon, admin):
    post = _published(make_account())
    assert api(admin).post(_url(post), {}, format="json").status_code == 202


def test_the_openapi_document_describes_the_take_down(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = document["paths"]["/api/v1/posts/{id}/take-down/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][request]["properties"]["targets"]["items"]["type"] == "integer"
    answer = operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][answer]["properties"]) == {"post", "targets"}
    for status in ("400", "403", "404"):
        assert operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith(
            "ApiError"
        )
    target = document["components"]["schemas"]["PostTarget"]["properties"]
    assert {"takedown_status", "takedown_error", "taken_down_by", "taken_down_at"} <= set(target)
