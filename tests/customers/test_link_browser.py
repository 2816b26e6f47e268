"""In a real browser: Ayu asks on Instagram and gives her WhatsApp number; the agent records it
from the case. Her first WhatsApp message then lands on her profile, with both conversations and
the merge on her page, and the agent can split it off again."""

from __future__ import annotations

import pytest

from care.models import Case
from cxm.tenancy.models import Role
from tests.care.conftest import dm, make_account, receive
from tests.customers.conftest import AYU_PHONE, whatsapp_message


@pytest.mark.browser
def test_the_number_given_on_instagram_brings_her_whatsapp_messages_to_her(
    live_server, page, session_in_page, transactional_db, workspace_a, member
):
    instagram = make_account(workspace_a, platform="instagram", handle="brand.id")
    receive(instagram, dm("ig-1", author="ayu", platform="instagram", text="My WhatsApp: +62 812-3456-7890"))
    case = Case.objects.get()
    session_in_page(member(workspace_a, Role.AGENT))

    page.goto(f"{live_server.url}/care/cases/{case.pk}/")
    page.get_by_text("Link an identity").click()  # folded away until needed
    form = page.locator("#identity-link-form")
    form.get_by_label("Identity").select_option(label="Instagram · @ayu@social.example")
    form.get_by_label("Phone").fill("0812-3456-7890")
    form.get_by_role("button", name="Link identity").click()
    refused = page.locator('#identity-link-form [data-field="phone"]')
    refused.wait_for()
    assert "leading 0" in refused.inner_text()

    # The form came back open, with what was typed, to be corrected.
    form.get_by_label("Phone").fill("+62 812-3456-7890")
    form.get_by_role("button", name="Link identity").click()
    page.locator("#merge-done").wait_for()
    assert page.locator('#identities [data-platform="instagram"] .identity-phone').inner_text() == AYU_PHONE

    whatsapp_message(make_account(workspace_a, platform="whatsapp", handle="106540352242922"))

    page.goto(f"{live_server.url}/care/customers/{case.customer_id}/")
    assert page.locator('#identities [data-platform="whatsapp"]').count() == 1
    assert page.locator("#customer-cases [data-case-id]").count() == 2
    merged = page.locator(".merges li")
    assert "same phone number" in merged.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    merged.get_by_role("button", name="Undo").click()
    page.locator("#merge-done").wait_for()
    assert page.locator('#identities [data-platform="whatsapp"]').count() == 0
    assert page.locator('#identities [data-platform="instagram"]').count() == 1
