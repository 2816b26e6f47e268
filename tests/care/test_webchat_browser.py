"""A website chat in two browsers side by side: a visitor on the brand's own site and an agent in
the care inbox, with the real Celery worker delivering the agent's reply.

The brand's page is served by a stand-in on its own origin (a loopback port apart from the app's),
which the chat lists as allowed; it embeds the snippet, as a brand's pages would. The visitor's
phone (360 px wide, Indonesian) opens the chat, gives a name and an address and writes while no
agent is in: the chat says so. The agent finds the case in the inbox and sees the visitor's next
message arrive live, starts answering (the visitor sees them writing) and sends; the worker
delivers it and the visitor reads it. A second visitor on the same site sees none of it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from care import services
from care.models import Case, Presence
from cxm.channels.webchat.models import WebchatMessage
from cxm.channels.webchat.services import widget_snippet
from cxm.tenancy.models import Role
from tests.browser import close_watched, watched_context
from tests.channels.stubs.brand_site import BrandSite
from tests.channels.webchat import make_widget
from tests.factories import BrandFactory, WorkspaceFactory
from tests.waiting import wait_for

PHONE = {"width": 360, "height": 740}


def _visitor_page(browser, browser_problems, who: str):
    context = watched_context(
        browser, browser_problems, who, viewport=PHONE, locale="id-ID", timezone_id="Asia/Jakarta"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.browser
@pytest.mark.worker
def test_a_visitor_and_an_agent_chat_live_and_another_visitor_sees_none_of_it(
    live_server, page, session_in_page, browser, browser_problems, celery_worker_process, member, settings
):
    settings.CXM_WEBCHAT_POLL_SECONDS = 0.5
    workspace = WorkspaceFactory(name="Kopi")
    brand = BrandFactory(workspace=workspace, name="Kopi Nusantara")
    agent = member(workspace, Role.AGENT)
    services.agent_save(workspace=workspace, user=agent.user, presence=Presence.OFFLINE)

    with BrandSite() as site:
        widget = make_widget(workspace, brand=brand, origins=[site.base_url])
        site.snippet = widget_snippet(widget, script_url=f"{live_server.url}/static/webchat/widget.js")
        visitor_context, visitor = _visitor_page(browser, browser_problems, "visitor")

        # The visitor opens the chat on the brand's page: the form has the focus.
        visitor.goto(f"{site.base_url}/products")
        launcher = visitor.get_by_role("button", name="Mengobrol dengan kami")
        launcher.click()
        panel = visitor.get_by_role("dialog", name="Mengobrol dengan Kopi Nusantara")
        expect(panel).to_be_visible()
        assert panel.bounding_box()["width"] == PHONE["width"]  # the whole phone screen
        expect(visitor.get_by_label("Nama Anda (opsional)")).to_be_focused()
        visitor.get_by_label("Nama Anda (opsional)").fill("Sari")
        visitor.get_by_label("Alamat e-mail Anda (opsional)").fill("sari@mail.example")
        visitor.get_by_role("button", name="Mulai mengobrol").click()
        message_box = visitor.get_by_label("Pesan Anda")
        expect(message_box).to_be_focused()

        # No agent is in: after the first message the chat says so, and where the answer goes.
        message_box.fill("Apakah kopi luwak tersedia?")
        message_box.press("Enter")
        log = visitor.get_by_role("log")
        expect(log).to_contain_text("Apakah kopi luwak tersedia?")
        notice = visitor.get_by_role("status")
        expect(notice).to_contain_text("Saat ini tidak ada yang bisa diajak mengobrol.")
        expect(notice).to_contain_text("sari@mail.example")
        case = Case.objects.get(workspace=workspace, platform="webchat")

        # The agent comes in and opens the case from the inbox.
        services.agent_presence_set(workspace=workspace, user=agent.user, presence=Presence.ONLINE)
        session_in_page(agent)
        page.goto(f"{live_server.url}/care/?view=all")
        page.locator(f"#case-{case.pk}").click()
        page.wait_for_url(f"**/care/cases/{case.pk}/")
        expect(page.locator("body")).to_have_attribute("data-care-ready", "true")
        thread = page.locator("#thread-messages")
        expect(thread).to_contain_text("Apakah kopi luwak tersedia?")

        # The visitor writes again: the agent's open case shows it without a reload.
        message_box.fill("Saya di Bandung")
        visitor.get_by_role("button", name="Kirim").click()
        expect(thread).to_contain_text("Saya di Bandung")

        # The agent starts answering: the visitor sees them writing; then the reply arrives.
        typing = visitor.get_by_text("Kopi Nusantara sedang menulis…")
        expect(typing).to_be_hidden()
        page.locator("#reply-text").press_sequentially("Ada, dikirim <b>besok</b> ke Bandung.")
        expect(typing).to_be_visible()
        page.click("#send-button")
        reply = log.locator("li.theirs")
        expect(reply).to_contain_text("Ada, dikirim <b>besok</b> ke Bandung.", timeout=30_000)
        expect(reply.locator("b")).to_have_count(0)  # what an agent writes is shown as text
        expect(typing).to_be_hidden()
        expect(page.locator('#thread-messages .msg-outbound .delivery[data-status="sent"]')).to_have_count(1)

        # Escape closes the chat and gives the focus back to its button.
        message_box.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_be_focused()

        # Another visitor on the same site starts afresh and reads nothing of Sari's conversation.
        other_context, other = _visitor_page(browser, browser_problems, "other visitor")
        other.goto(f"{site.base_url}/")
        other.get_by_role("button", name="Mengobrol dengan kami").click()
        other.get_by_role("button", name="Mulai mengobrol").click()
        other.get_by_label("Pesan Anda").fill("Halo")
        other.get_by_label("Pesan Anda").press("Enter")
        other_log = other.get_by_role("log")
        expect(other_log).to_contain_text("Halo")
        expect(other_log.locator("li")).to_have_count(1)
        assert "kopi luwak" not in other_log.inner_text() and "Bandung" not in other_log.inner_text()

        assert wait_for(lambda: WebchatMessage.objects.filter(sender="agent").count() == 1, seconds=10)
        close_watched(other_context)
        close_watched(visitor_context)
