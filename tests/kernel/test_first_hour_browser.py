"""A team's first hour in a real browser, nobody touching the command line.

The platform starts the way `make run` starts it with the demo off: the bootstrap admin, its
workspace with a business unit and brands, a connected Mastodon account (the loopback stand-in)
and an approval rule. The admin invites an agent, a marketer, an approver and a leader from
Admin → Members and opens a maturity round. Each invitee opens the link from their e-mail, chooses
a password, lands signed in and walks their own journey in their own browser: the agent answers a
customer's direct message, the marketer submits a post, the approver (a different person) approves
it and it is scheduled, and the leader reads Transformation and a dashboard without write controls
and answers the maturity round. Every page of every person is watched for console errors and CSP
violations.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from care.models import Case, DeliveryStatus, Direction, Message
from cxm.channels.services.accounts import account_create
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import BusinessUnit, Membership, Role, Workspace
from cxm.tenancy.services import platform_bootstrap
from publishing.models import Post, PostStatus
from publishing.services import approval_rule_set
from tests.browser import watch_problems
from tests.channels.stubs.mastodon_server import MastodonStub
from tests.factories import PASSWORD
from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentResponse

pytestmark = [pytest.mark.browser, pytest.mark.worker]

LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")
TEAM = {
    "agent": ("ayu@kopi.example", "Ayu Lestari"),
    "marketer": ("maya@kopi.example", "Maya Putri"),
    "approver": ("arif@kopi.example", "Arif Hidayat"),
    "leader": ("lina@kopi.example", "Lina Wijaya"),
}


@pytest.fixture
def fresh_platform(live_server, settings, monkeypatch):
    """What `make run` leaves with CXM_DEMO=0, plus the account and rule an admin sets up first."""
    settings.CXM_DEMO = False
    settings.CXM_BASE_URL = live_server.url
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the Mastodon stand-in listens on 127.0.0.1
    monkeypatch.setenv("CXM_ADMIN_PASSWORD", PASSWORD)
    assert platform_bootstrap().created
    workspace = Workspace.objects.get()
    unit = BusinessUnit.objects.get(workspace=workspace)
    with MastodonStub() as mastodon:
        account = account_create(
            workspace=workspace,
            platform="mastodon",
            handle="@kopi@127.0.0.1",
            display_name="Kopi Nusantara",
            base_url=mastodon.base_url,
            credentials={"access_token": mastodon.token},
            business_unit=unit,
        )
        approval_rule_set(workspace=workspace, business_unit=unit, roles=[Role.APPROVER])
        yield workspace, account, mastodon


@pytest.fixture
def person(browser, live_server, browser_problems):
    """person(name) -> a page in that person's own browser context, watched for problems."""
    contexts = []

    def open_browser(who: str):
        context = browser.new_context(locale="en-GB", timezone_id="Asia/Jakarta")
        watch_problems(context, browser_problems, who)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_browser
    for context in contexts:
        context.close()
    problems = browser_problems.unexpected()
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)


def _invitation_link(email: str) -> str:
    sent = [m for m in mail.outbox if m.to == [email]]
    assert len(sent) == 1, f"one invitation to {email}"
    match = LINK.search(sent[0].body)
    assert match, sent[0].body
    return match.group(0)


def _accept(page, link: str, username: str) -> None:
    """Open the e-mailed link, choose a username and password, land signed in at home."""
    page.goto(link)
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_text("Welcome to Demo.").wait_for()
    assert page.locator("h1").inner_text() == "Demo"


def test_a_newcomer_team_walks_its_first_hour_without_the_command_line(
    live_server, fresh_platform, person, celery_worker_process
):
    workspace, account, mastodon = fresh_platform
    base = live_server.url

    # The admin signs in and invites the team from Admin → Members.
    admin = person("admin")
    admin.goto(f"{base}/accounts/login/")
    admin.fill("#id_username", "admin")
    admin.fill("#id_password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{base}/")
    admin.locator("header nav").get_by_role("link", name="Admin", exact=True).click()
    admin.wait_for_url("**/admin/")
    invite = admin.locator("#invite")
    for role, (email, name) in TEAM.items():
        invite.get_by_label("Email").fill(email)
        invite.get_by_label("Name").fill(name)
        invite.get_by_label("Role").select_option(role)
        invite.get_by_role("button", name="Invite").click()
        admin.get_by_text(f"Invitation sent to {email}.").wait_for()
    pending = admin.locator("#invitations")
    for email, _ in TEAM.values():
        assert email in pending.inner_text()

    # The admin opens a maturity round for the leader to answer.
    admin.locator("header nav").get_by_role("link", name="Transformation", exact=True).click()
    admin.wait_for_url("**/transformation/")
    admin.locator("nav.tabs").get_by_role("link", name="Maturity").click()
    admin.fill("#id_round_name", "First quarter")
    admin.click("#round-create button[type=submit]")
    admin.wait_for_url(re.compile(r".*/transformation/assessments/\d+/$"))

    # The agent joins, finds the customer's message in the inbox and answers it.
    agent = person("agent")
    _accept(agent, _invitation_link(TEAM["agent"][0]), "ayu")
    assert Membership.objects.get(user__username="ayu").role == Role.AGENT
    customer = mastodon.add_account("rina", display_name="Rina Customer")
    mastodon.add_status(
        customer,
        "<p>@kopi my order 2211 never arrived, can you help?</p>",
        visibility="direct",
        mentions=[mastodon.me],
    )
    assert account_sync(account_id=account.pk, workspace_id=workspace.pk).fetched == 1
    case = Case.objects.get(workspace=workspace)
    agent.locator("header nav").get_by_role("link", name="Care", exact=True).click()
    agent.wait_for_selector("body[data-care-ready=true]")
    row = agent.locator(f"#case-{case.pk}")
    row.wait_for()
    assert "order 2211" in row.inner_text()
    row.get_by_role("link").first.click()
    agent.wait_for_url(f"**/care/cases/{case.pk}/")
    agent.wait_for_selector("body[data-care-ready=true]")
    assert "order 2211 never arrived" in agent.locator("#thread-messages").inner_text()
    answer = "Sorry Rina, we are sending order 2211 again today."
    agent.fill("#reply-text", answer)
    agent.locator("#reply-text").press("Control+Enter")
    reply = agent.locator("#thread-messages .msg-outbound").last
    reply.get_by_text(answer).wait_for()
    reply.locator('.delivery[data-status="sent"]').wait_for(timeout=20_000)
    assert Message.objects.get(case=case, direction=Direction.OUTBOUND).status == DeliveryStatus.SENT

    # The marketer joins, composes a post for the account and submits it for approval.
    marketer = person("marketer")
    _accept(marketer, _invitation_link(TEAM["marketer"][0]), "maya")
    marketer.locator("header nav").get_by_role("link", name="Publishing", exact=True).click()
    marketer.wait_for_url("**/publishing/")
    marketer.get_by_role("link", name="Compose", exact=True).click()
    text = "Our new iced palm-sugar latte is here"
    marketer.fill("#id_text", text)
    marketer.get_by_role("checkbox", name=account.handle).check()
    marketer.get_by_role("button", name="Submit", exact=True).click()
    marketer.wait_for_url(re.compile(r"/publishing/posts/\d+/$"))
    assert marketer.locator("[data-post-status]").first.inner_text() == "In review"
    post = Post.objects.get(workspace=workspace)
    assert post.status == PostStatus.IN_REVIEW

    # The approver joins, finds it in the review queue and approves it; it is scheduled.
    approver = person("approver")
    _accept(approver, _invitation_link(TEAM["approver"][0]), "arif")
    approver.locator("header nav").get_by_role("link", name="Publishing", exact=True).click()
    approver.wait_for_url("**/publishing/")
    approver.get_by_role("link", name="Review").first.click()
    item = approver.locator(f"#review-{post.pk}")
    assert text in item.inner_text()
    item.get_by_role("button", name="Approve").click()
    approver.wait_for_selector(f"#review-{post.pk}[data-post-status=scheduled]")
    assert "Approved and scheduled." in item.inner_text()
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    marketer.reload()
    assert marketer.locator("[data-post-status]").first.inner_text() == "Scheduled"

    # The leader joins, reads Transformation and a dashboard, and answers the maturity round.
    leader = person("leader")
    _accept(leader, _invitation_link(TEAM["leader"][0]), "lina")
    leader.locator("header nav").get_by_role("link", name="Transformation", exact=True).click()
    leader.wait_for_url("**/transformation/")
    assert leader.locator("#capabilities article.capability-card").count() == 8
    leader.locator("header nav").get_by_role("link", name="Care", exact=True).click()
    leader.wait_for_url("**/care/reports/")
    assert leader.locator("#reply-text").count() == 0
    assert leader.locator("header nav").get_by_role("link", name="Admin", exact=True).count() == 0
    leader.locator("header nav").get_by_role("link", name="Publishing", exact=True).click()
    leader.wait_for_url("**/publishing/")
    assert leader.get_by_role("link", name="Compose", exact=True).count() == 0
    assert leader.get_by_role("button", name="Approve").count() == 0
    leader.goto(f"{base}/transformation/")
    leader.locator("nav.tabs").get_by_role("link", name="Maturity").click()
    leader.get_by_role("link", name="First quarter").click()
    leader.click("#answer-link")
    for level, key in enumerate(CAPABILITY_KEYS, start=1):
        leader.check(f"input[name='score-{key}'][value='{min(level, 5)}']")
    leader.click("#assessment-submit")
    leader.get_by_text("Thank you: your answer is recorded.").wait_for()
    answer = AssessmentResponse.objects.get(user__username="lina")
    assert answer.role == "executive" and len(answer.scores) == len(CAPABILITY_KEYS)
