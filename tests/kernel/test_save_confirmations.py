"""Every save the pages allow ends in a visible confirmation: a message on the page the form
returns to, or, for htmx forms, a line in the partial that replaced it, in English and Indonesian."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from tests.factories import BusinessUnitFactory, case_from_mention

pytestmark = pytest.mark.django_db


def _shown(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_admin_security_says_saved(admin_client):
    response = admin_client.post("/admin/security/", {"allow_admin_self_approval": "on"}, follow=True)
    assert "Security settings saved." in _shown(response)


def test_changing_a_role_says_so(admin_client, workspace_a, member):
    colleague = member(workspace_a, Role.AGENT)
    response = admin_client.post(f"/admin/members/{colleague.pk}/", {"role": "leader"}, follow=True)
    assert "Role changed." in _shown(response)
    # the members table changes a role in place and says so in the row
    response = admin_client.post(
        f"/admin/members/{colleague.pk}/", {"role": "analyst"}, HTTP_HX_REQUEST="true"
    )
    assert "Saved" in _shown(response)


def test_adding_a_business_unit_says_saved(admin_client):
    response = admin_client.post("/admin/structure/", {"kind": "unit", "unit-name": "Snacks"}, follow=True)
    assert "Saved." in _shown(response)


def test_privacy_settings_say_saved(admin_client):
    response = admin_client.post("/admin/privacy/settings/", {"due_days": "30"}, follow=True)
    assert "Privacy settings saved." in _shown(response)


def test_an_approval_rule_says_saved(admin_client, workspace_a):
    unit = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    response = admin_client.post(
        "/publishing/approval-rules/",
        {"business_unit": unit.pk, f"unit-{unit.pk}-roles": ["approver"]},
        follow=True,
    )
    assert "Approval rule for Beverages saved." in _shown(response)


def _case(workspace):
    return case_from_mention(workspace, external_id="confirm-1")


def test_the_case_panel_says_saved_in_place_and_on_the_page(admin_client, workspace_a):
    case = _case(workspace_a)
    partial = _shown(admin_client.post(f"/care/cases/{case.pk}/fields/", {}, HTTP_HX_REQUEST="true"))
    assert 'id="workflow-saved"' in partial and "Saved." in partial
    page = _shown(admin_client.post(f"/care/cases/{case.pk}/update/", {"priority": "high"}, follow=True))
    assert "Saved." in page


def test_a_post_comment_says_it_was_added(admin_client, workspace_a, member):
    from cxm.channels.models import ChannelAccount
    from publishing.services import post_create

    account = ChannelAccount.objects.create(workspace=workspace_a, platform="demo", handle="brand")
    post = post_create(
        workspace=workspace_a, text="Cold brew", accounts=[account], by=member(workspace_a).user
    )
    partial = _shown(
        admin_client.post(f"/publishing/posts/{post.pk}/comments/", {"text": "Nice"}, HTTP_HX_REQUEST="true")
    )
    assert "Comment added." in partial
    page = _shown(admin_client.post(f"/publishing/posts/{post.pk}/comments/", {"text": "Again"}, follow=True))
    assert "Comment added." in page


def test_confirmations_are_in_indonesian_for_indonesian_readers(admin_client, workspace_a):
    response = admin_client.post(
        "/admin/structure/", {"kind": "unit", "unit-name": "Camilan"}, follow=True, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert "Tersimpan." in _shown(response)
    case = _case(workspace_a)
    partial = _shown(
        admin_client.post(
            f"/care/cases/{case.pk}/fields/", {}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="id"
        )
    )
    assert "Tersimpan." in partial


def test_merging_customers_and_undoing_it_say_so(admin_client, workspace_a):
    from cxm.customers.models import CustomerMerge, CustomerProfile

    case = _case(workspace_a)
    other = CustomerProfile.objects.create(workspace=workspace_a, display_name="Ana twin")
    merged = _shown(
        admin_client.post(
            f"/care/customers/{case.customer_id}/merge/", {"source": other.pk}, HTTP_HX_REQUEST="true"
        )
    )
    assert 'id="merge-done"' in merged and "Profiles merged." in merged
    merge = CustomerMerge.objects.get(workspace=workspace_a)
    undone = _shown(admin_client.post(f"/care/customers/merges/{merge.pk}/undo/", follow=True))
    assert "Merge undone." in undone
