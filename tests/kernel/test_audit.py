import csv

import pytest

from cxm.audit.models import AuditEntry, AuditExport
from cxm.audit.services import audit_export_path, audit_export_write
from cxm.tenancy.models import Role


@pytest.mark.django_db
def test_role_change_is_audited_with_before_after_and_ip(api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    analyst = member(workspace_a, Role.ANALYST)
    response = api(admin).patch(
        f"/api/v1/members/{analyst.pk}/", {"role": "marketer"}, format="json", REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="member.role_change")
    assert entry.workspace == workspace_a
    assert entry.actor == admin.user
    assert entry.object_repr == analyst.user.username
    assert entry.before == {"role": "analyst"}
    assert entry.after == {"role": "marketer"}
    assert entry.ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_inviting_and_removing_members_and_deleting_brands_are_audited(api, workspace_a, member):
    from tests.factories import BrandFactory

    admin = api(member(workspace_a, Role.ADMIN))
    invited = admin.post("/api/v1/members/", {"email": "new@example.com", "role": "agent"}, format="json")
    assert invited.status_code == 201
    agent = member(workspace_a, Role.AGENT)
    assert admin.delete(f"/api/v1/members/{agent.pk}/").status_code == 204
    brand = BrandFactory(workspace=workspace_a)
    assert admin.delete(f"/api/v1/brands/{brand.pk}/").status_code == 204
    actions = list(AuditEntry.objects.filter(workspace=workspace_a).values_list("action", flat=True))
    assert {"member.invite", "member.remove", "brand.delete"} <= set(actions)


@pytest.mark.django_db
def test_admin_browses_and_filters_the_audit_log(client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    analyst = member(workspace_a, Role.ANALYST)
    client.force_login(admin.user)
    client.post(f"/admin/members/{analyst.pk}/", {"role": "approver"})
    page = client.get("/admin/audit/").content.decode()
    assert "member.role_change" in page
    assert "approver" in page
    filtered = client.get("/admin/audit/", {"action": "brand."}).content.decode()
    assert "No audit entries match." in filtered


@pytest.mark.django_db
def test_audit_log_is_paginated(client, workspace_a, member):
    from cxm.audit.services import audit_record

    admin = member(workspace_a, Role.ADMIN)
    for n in range(120):
        audit_record(workspace=workspace_a, actor=admin.user, action="test.bulk", object_repr=f"item {n}")
    client.force_login(admin.user)
    first = client.get("/admin/audit/").content.decode()
    assert "Page 1 of 3" in first
    assert "item 119" in first and "item 0<" not in first
    last = client.get("/admin/audit/", {"page": 3}).content.decode()
    assert "item 0<" in last


@pytest.mark.django_db
def test_audit_export_writes_every_entry_of_the_workspace_only(workspace_a, workspace_b, member):
    from cxm.audit.services import audit_record

    admin = member(workspace_a, Role.ADMIN)
    for n in range(5):
        audit_record(workspace=workspace_a, actor=admin.user, action="test.mine", object_repr=f"mine {n}")
    audit_record(workspace=workspace_b, actor=None, action="test.theirs", object_repr="theirs")
    export = AuditExport.objects.create(workspace=workspace_a, requested_by=admin.user)
    audit_export_write(export_id=export.pk, workspace_id=workspace_a.pk)
    export.refresh_from_db()
    assert export.status == "done"
    with audit_export_path(export).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["object_repr"] for row in rows] == [f"mine {n}" for n in range(5)]
    # the export of another workspace's id does nothing
    assert audit_export_write(export_id=export.pk, workspace_id=workspace_b.pk) is None


@pytest.mark.django_db
def test_another_workspaces_export_cannot_be_downloaded(client, workspace_a, workspace_b, member):
    export = AuditExport.objects.create(workspace=workspace_b, status="done", file_name="x.csv")
    client.force_login(member(workspace_a, Role.ADMIN).user)
    assert client.get(f"/admin/audit/exports/{export.pk}/").status_code == 404
    assert client.get(f"/admin/audit/exports/{export.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_deleting_a_brand_still_in_use_answers_409_and_keeps_everything(api, workspace_a, member):
    from cxm.channels.models import ChannelAccount
    from tests.factories import BrandFactory

    brand = BrandFactory(workspace=workspace_a)
    ChannelAccount.objects.create(workspace=workspace_a, platform="rss", handle="news", brand=brand)
    client = api(member(workspace_a, Role.ADMIN))

    response = client.delete(f"/api/v1/brands/{brand.pk}/")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "in_use"
    assert body["detail"].startswith("Still in use by 1 channel account;")
    assert client.get(f"/api/v1/brands/{brand.pk}/").status_code == 200
    assert not AuditEntry.objects.filter(action="brand.delete").exists()
