"""POST /api/v1/privacy/requests/ and GET /api/v1/privacy/requests/{id}/: admins only."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from cxm.privacy import services
from cxm.privacy.models import PrivacyRequest
from cxm.tenancy.models import Role
from tests.privacy.conftest import EMAIL, make_person

URL = "/api/v1/privacy/requests/"


@pytest.mark.django_db
def test_post_answers_the_id_and_get_answers_status_counts_and_download(api, member, workspace_a):
    make_person(workspace_a)
    client = api(member(workspace_a, Role.ADMIN))

    created = client.post(URL, {"kind": "export", "identity": EMAIL}, format="json")

    assert created.status_code == 201
    request_id = created.json()["id"]
    pending = client.get(f"{URL}{request_id}/").json()
    assert pending["status"] == "pending" and pending["download_url"] is None
    assert pending["identity"] != EMAIL

    services.request_run(workspace_id=workspace_a.pk, request_id=request_id)
    done = client.get(f"{URL}{request_id}/").json()

    assert done["status"] == "done"
    assert done["counts"]["mentions"] == 3 and done["counts"]["cases"] == 2
    assert done["completed_at"] and done["due_at"]
    download = client.get(done["download_url"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(BytesIO(b"".join(download.streaming_content)))
    assert "mentions.json" in archive.namelist() and "mentions.csv" in archive.namelist()


@pytest.mark.django_db
def test_erase_request_reports_counts_and_has_no_download(api, member, workspace_a):
    make_person(workspace_a)
    client = api(member(workspace_a, Role.ADMIN))
    request_id = client.post(URL, {"kind": "erase", "identity": EMAIL}, format="json").json()["id"]

    services.request_run(workspace_id=workspace_a.pk, request_id=request_id)
    body = client.get(f"{URL}{request_id}/").json()

    assert body["status"] == "done" and body["download_url"] is None
    assert body["counts"]["identities"] == 4
    assert client.get(f"{URL}{request_id}/download/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload", [{"kind": "delete", "identity": EMAIL}, {"kind": "erase", "identity": " "}, {}]
)
def test_bad_requests_answer_400(api, member, workspace_a, payload):
    client = api(member(workspace_a, Role.ADMIN))

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert not PrivacyRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST, Role.MARKETER])
def test_non_admins_answer_403(api, member, workspace_a, role):
    admin_request = services.request_create(
        workspace=workspace_a, kind="export", identity=EMAIL, enqueue=False
    )
    client = api(member(workspace_a, role))

    assert client.post(URL, {"kind": "erase", "identity": EMAIL}, format="json").status_code == 403
    assert client.get(f"{URL}{admin_request.pk}/").status_code == 403
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_another_workspaces_request_answers_404(api, member, workspace_a, workspace_b):
    theirs = services.request_create(workspace=workspace_b, kind="export", identity=EMAIL, enqueue=False)
    client = api(member(workspace_a, Role.ADMIN))

    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}{theirs.pk}/download/").status_code == 404
    assert client.get(URL).json()["results"] == []
