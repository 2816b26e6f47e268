"""An agent's day in a real browser, end to end through the real channel paths.

An email (fetched over IMAP from the loopback server) and a Mastodon direct message (fetched from
the Mastodon stub's notifications) from the same person become two cases; the real Celery worker
routes them to the one agent online with the skills. The agent opens the email case from the inbox
with the keyboard, finds the Mastodon profile of the same person and merges it in, answers with a
macro (the worker sends it through SMTP to the loopback server), completes the guided checklist
(Resolve refuses until then) and resolves; the customer answers the satisfaction survey.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from care import services
from care.models import Case, CaseStatus, CsatResponse, DeliveryStatus, Direction, Message, Presence
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from tests.channels.stubs.imap_server import ImapServer
from tests.channels.stubs.mastodon_server import MastodonStub
from tests.channels.stubs.smtp_server import SmtpServer
from tests.factories import PASSWORD, WorkspaceFactory

ADDRESS = "care@brand.example"
MAIL_PASSWORD = "mailbox secret"


def wait_for(predicate, seconds=30.0, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _customer_mail() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = '"Jane Doe" <jane.doe@mail.example.org>'
    mail["To"] = ADDRESS
    mail["Subject"] = "Where is my order 1042?"
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="mail.example.org")
    mail.set_content("Hello, my order 1042 has not arrived yet. Can you check?")
    return mail


@pytest.mark.browser
@pytest.mark.worker
def test_an_agent_answers_a_customer_across_email_and_mastodon(
    live_server, page, celery_worker_process, member, settings
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the mail and Mastodon stubs listen on 127.0.0.1
    workspace = WorkspaceFactory(name="Acme")
    agent = member(workspace, Role.AGENT).user
    queue = services.queue_save(workspace=workspace, name="Support", platforms=["email", "mastodon"])
    services.agent_save(
        workspace=workspace,
        user=agent,
        capacity=5,
        platforms=["email", "mastodon"],
        queue_ids=[queue.pk],
        presence=Presence.ONLINE,
    )
    services.macro_save(
        workspace=workspace,
        name="Order on its way",
        bodies={
            "en": "Hi {{customer.first_name}}, your order is on its way and arrives tomorrow.",
            "id": "Halo {{customer.first_name}}, pesanan Anda sedang dikirim.",
        },
    )
    services.case_type_save(
        workspace=workspace,
        name="Order issue",
        checklist=[{"key": "verify_order", "label": "Verify the order in the shop"}],
        required_fields=[{"key": "order_number", "label": "Order number"}],
    )

    with (
        ImapServer(username=ADDRESS, password=MAIL_PASSWORD) as imap,
        SmtpServer(username=ADDRESS, password=MAIL_PASSWORD) as smtp,
        MastodonStub() as mastodon,
    ):
        email_account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="email",
            handle=ADDRESS,
            display_name="Care mailbox",
            credentials={"username": ADDRESS, "password": MAIL_PASSWORD},
            options={
                "imap_host": imap.host,
                "imap_port": imap.port,
                "imap_ssl": False,
                "smtp_host": smtp.host,
                "smtp_port": smtp.port,
                "smtp_starttls": False,
                "address": ADDRESS,
            },
        )
        mastodon_account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="mastodon",
            handle="@brand@127.0.0.1",
            base_url=mastodon.base_url,
            credentials={"access_token": mastodon.token},
        )

        _login(page, live_server, agent.username)
        page.locator("header nav").get_by_role("link", name="Care", exact=True).click()
        page.wait_for_selector("body[data-care-ready=true]")
        assert page.get_by_role("heading", name="No cases in this view").is_visible()

        # Both messages arrive while the inbox is open (the real fetch paths, the real sink).
        imap.append(_customer_mail())
        jane = mastodon.add_account("jane", display_name="Jane Doe")
        mastodon.add_status(
            jane,
            "<p>@brand hi, still no sign of order 1042</p>",
            visibility="direct",
            mentions=[mastodon.me],
        )
        assert account_sync(account_id=email_account.pk, workspace_id=workspace.pk).fetched == 1
        assert account_sync(account_id=mastodon_account.pk, workspace_id=workspace.pk).fetched == 1
        email_case = Case.objects.get(workspace=workspace, platform="email")
        dm_case = Case.objects.get(workspace=workspace, platform="mastodon")
        wait_for(
            lambda: Case.objects.filter(workspace=workspace, assignee=agent).count() == 2,
            what="the worker to route both cases to the agent",
        )

        # They show up in "Mine" without a reload.
        page.wait_for_selector(f"#case-{email_case.pk}", timeout=15_000)
        page.wait_for_selector(f"#case-{dm_case.pk}", timeout=15_000)
        assert "Where is my order 1042?" in page.locator(f"#case-{email_case.pk}").inner_text()
        assert page.locator(f"#case-{dm_case.pk}").get_attribute("data-assignee") == agent.username

        # j / k to the email case, Enter to open it.
        page.keyboard.press("?")
        assert page.locator("#shortcuts").is_visible()
        page.keyboard.press("Escape")
        for _ in range(3):
            page.keyboard.press("j")
            if page.locator(".case-row.selected").get_attribute("data-case-id") == str(email_case.pk):
                break
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/care/cases/{email_case.pk}/")
        page.wait_for_selector("body[data-care-ready=true]")
        assert "order 1042 has not arrived" in page.locator("#thread-messages").inner_text()

        # The same person on Mastodon: find that profile and merge it into this one.
        page.fill("#merge-search", "jane")
        page.locator(f'.merge-candidate[data-profile-id="{dm_case.customer_id}"] button').click()
        page.wait_for_selector('#identities [data-platform="mastodon"]')
        assert page.locator('#identities [data-platform="email"]').count() == 1
        assert page.locator(f'#customer-cases [data-case-id="{dm_case.pk}"]').count() == 1

        # r to reply, a macro in the customer's language, Ctrl+Enter to send.
        page.keyboard.press("r")
        assert page.evaluate("document.activeElement.id") == "reply-text"
        page.select_option("#macro-pick", label="Order on its way")
        page.wait_for_function(
            "() => document.getElementById('reply-text').value.startsWith('Hi Jane, your order is on its way')"
        )
        page.locator("#reply-text").press("Control+Enter")
        reply = page.locator("#thread-messages .msg-outbound").last
        reply.locator('.delivery[data-status="sent"]').wait_for(timeout=20_000)
        wait_for(lambda: len(smtp.received) == 1, what="the reply to reach the SMTP server")
        sent = smtp.received[0].message
        assert sent["To"].addresses[0].addr_spec == "jane.doe@mail.example.org"
        assert "your order is on its way" in sent.get_content()
        assert (
            Message.objects.get(case=email_case, direction=Direction.OUTBOUND).status == DeliveryStatus.SENT
        )

        # The guided workflow: Resolve is refused until the checklist and the fields are done.
        page.select_option("#case-type-select", label="Order issue")
        page.wait_for_selector('#workflow input[data-step="verify_order"]')
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("e")
        assert "Complete the checklist steps verify_order and fields order_number first." in (
            page.locator("#workflow-error").inner_text()
        )
        assert Case.objects.get(pk=email_case.pk).status == CaseStatus.OPEN
        with page.expect_response(lambda response: "/checklist/" in response.url):
            page.locator('#workflow input[data-step="verify_order"]').check()
        page.wait_for_function(
            "() => document.querySelector('#missing-note').textContent.indexOf('verify_order') < 0"
        )
        page.fill("input[name=field_order_number]", "1042")
        with page.expect_response(lambda response: "/fields/" in response.url):
            page.click("#save-fields")
        page.wait_for_function("() => !document.querySelector('#missing-note')")
        page.keyboard.press("e")
        page.wait_for_selector("#resolved-note")
        assert page.locator("#case-status").get_attribute("data-status") == CaseStatus.RESOLVED
        resolved = Case.objects.get(pk=email_case.pk)
        assert resolved.status == CaseStatus.RESOLVED and resolved.fields == {"order_number": "1042"}

        # The survey goes out once; the customer answers it on the public page.
        wait_for(lambda: len(smtp.received) == 2, what="the satisfaction survey")
        survey = smtp.received[1].message.get_content()
        link = next(word for word in survey.split() if "/care/csat/" in word)
        page.goto(live_server.url + link[link.index("/care/csat/") :])
        page.get_by_role("button", name="5", exact=True).click()
        assert "You rated our help 5 out of 5." in page.locator("article").inner_text()
        assert CsatResponse.objects.get(case=email_case).score == 5


@pytest.mark.browser
def test_an_agent_triages_the_inbox_with_the_keyboard(live_server, page, transactional_db, member):
    """Tick cases with x, assign them with a (the picker), resolve one with e; on a case, a
    assigns through the same picker. Changes made elsewhere show up without a reload."""
    from tests.care.conftest import dm, later, make_account, receive

    workspace = WorkspaceFactory(name="Acme")
    lead = member(workspace, Role.ADMIN).user
    colleague = member(workspace, Role.AGENT).user
    account = make_account(workspace)
    receive(
        account, *[dm(f"m{n}", author=f"customer{n}", text=f"question {n}", at=later(n)) for n in range(3)]
    )
    newest, middle, oldest = Case.objects.order_by("-last_message_at")

    _login(page, live_server, lead.username)
    page.goto(f"{live_server.url}/care/?view=all")
    page.wait_for_selector("body[data-care-ready=true]")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("#bulk-count").inner_text() == "2 selected"
    page.keyboard.press("a")
    page.select_option("#assign-pick", str(colleague.pk))
    page.click("#assign-confirm")
    page.wait_for_selector("#bulk-result .flash-success")
    assert "2 cases assigned." in page.locator("#bulk-result").inner_text()
    assert {c.assignee_id for c in Case.objects.filter(pk__in=[newest.pk, middle.pk])} == {colleague.pk}
    page.wait_for_function(
        f"() => document.querySelector('#case-{newest.pk}').dataset.assignee === '{colleague.username}'"
    )

    # Resolved elsewhere (the API, another agent): it leaves the open view on the next refresh.
    services.case_resolve(case=oldest)
    page.wait_for_selector(f"#case-{oldest.pk}", state="detached", timeout=10_000)

    # e resolves the selected case; on a case page, a gives it to someone.
    page.keyboard.press("k")
    assert page.locator(".case-row.selected").get_attribute("data-case-id") == str(newest.pk)
    page.keyboard.press("e")
    page.wait_for_selector(f"#case-{newest.pk}", state="detached", timeout=10_000)
    assert Case.objects.get(pk=newest.pk).status == CaseStatus.RESOLVED

    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/care/cases/{middle.pk}/")
    page.wait_for_selector("body[data-care-ready=true]")
    page.keyboard.press("a")
    page.click("#assign-confirm")  # "Me" is the first choice
    page.wait_for_function(
        f"() => document.querySelector('#case-assignee').textContent.includes('{lead.username}')"
    )
    assert Case.objects.get(pk=middle.pk).assignee == lead
    page.keyboard.press("Escape")
    page.wait_for_url("**/care/")
