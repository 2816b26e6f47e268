"""An admin, in a real browser with a real Celery worker, finds a person by their handle, exports
what is held (watching the request's progress until the ZIP link appears), then erases them,
typing the identity to confirm; searching again finds nothing."""

from __future__ import annotations

import pytest

from cxm.privacy.models import PrivacyRequest
from cxm.tenancy.models import Role
from tests.factories import PASSWORD
from tests.privacy.conftest import HANDLE, make_person


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db(transaction=True)
def test_an_admin_exports_then_erases_a_person(live_server, page, celery_worker_process, member, workspace_a):
    admin = member(workspace_a, Role.ADMIN).user
    make_person(workspace_a)
    _login(page, live_server, admin.username)

    page.goto(f"{live_server.url}/admin/privacy/")
    page.get_by_label("Email, handle, phone or name").fill(HANDLE)
    page.get_by_role("button", name="Find").click()
    assert page.locator('tr[data-kind="mentions"] td').nth(1).inner_text() == "3"

    page.get_by_role("button", name="Export").click()
    page.locator('#privacy-requests tr[data-status="done"]').wait_for(timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download ZIP").click()
    assert download.value.suggested_filename.endswith(".zip")

    page.get_by_label("Email, handle, phone or name").fill(HANDLE)
    page.get_by_role("button", name="Find").click()
    page.get_by_label("to confirm").fill(HANDLE)
    page.get_by_role("button", name="Erase").click()
    page.locator('#privacy-requests tr[data-status="done"]').nth(1).wait_for(timeout=60_000)
    erasure = PrivacyRequest.objects.get(kind="erase")
    assert erasure.status == PrivacyRequest.Status.DONE and erasure.counts["mentions"] == 3
    assert HANDLE not in page.locator("#privacy-requests").inner_html()

    page.get_by_label("Email, handle, phone or name").fill(HANDLE)
    page.get_by_role("button", name="Find").click()
    assert page.locator('tr[data-kind="mentions"] td').nth(1).inner_text() == "0"
    assert page.locator('tr[data-kind="identities"] td').nth(1).inner_text() == "0"
