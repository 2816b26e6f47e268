"""The care pages through the Django test client: the inbox, a case, customers, settings, reports
and the public satisfaction survey, by role and by workspace."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from care import services
from care.models import (
    AgentProfile,
    Case,
    CaseStatus,
    CsatResponse,
    DeliveryStatus,
    Direction,
    Macro,
    Message,
    Presence,
    Priority,
    Queue,
    SlaPolicy,
)
from cxm.customers.models import CustomerMerge, CustomerProfile
from cxm.tenancy.models import Role
from tests.care.conftest import dm, later, make_account, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent, workspace_a):
    user = agent(workspace_a)
    client.force_login(user)
    client.user = user
    return client


def htmx(client, method, url, data=None, target=""):
    headers = {"HTTP_HX_REQUEST": "true"}
    if target:
        headers["HTTP_HX_TARGET"] = target
    return getattr(client, method)(url, data or {}, **headers)


# --- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_cases_with_view_counts(agent_client, case, account, workspace_a):
    receive(account, dm("m2", author="budi", text="Refund please", at=later(5)))
    mine = Case.objects.exclude(pk=case.pk).get()
    services.case_assign(case=mine, assignee=agent_client.user)

    page = agent_client.get("/care/", {"view": "all"}).content.decode()

    assert page.index(f'id="case-{mine.pk}"') < page.index(f'id="case-{case.pk}"')  # newest first
    assert "Refund please" in page and "Where is my order?" in page  # last message snippets
    assert "🐘" in page and "Mastodon" in page
    counts = {
        view: int(count)
        for view, count in re.findall(
            r'data-view="([\w:-]+)"[^>]*>\s*<span>[^<]*</span> <span class="count[^"]*">(\d+)', page
        )
    }
    assert counts["mine"] == 1 and counts["unassigned"] == 1 and counts["all"] == 2
    assert counts["platform:mastodon"] == 2 and counts["priority:normal"] == 2

    only_mine = agent_client.get("/care/", {"view": "mine"}).content.decode()
    assert f'id="case-{mine.pk}"' in only_mine and f'id="case-{case.pk}"' not in only_mine


def test_an_agent_starts_on_their_own_cases(agent_client, case):
    page = agent_client.get("/care/").content.decode()
    assert 'data-view="mine" aria-current="true"' in page
    assert f'id="case-{case.pk}"' not in page


def test_the_inbox_searches_and_pages_with_a_cursor(agent_client, account):
    for n in range(55):
        receive(account, dm(f"m{n}", author=f"c{n}", text=f"question number {n}", at=later(n)))

    first = agent_client.get("/care/", {"view": "all"}).content.decode()
    assert first.count("data-href=") == 50
    more = re.search(r'hx-get="(/care/inbox/rows/\?[^"]+)"', first).group(1).replace("&amp;", "&")
    rest = htmx(agent_client, "get", more).content.decode()
    assert rest.count("data-href=") == 5 and 'hx-swap-oob="true"' in rest

    found = htmx(agent_client, "get", "/care/", {"view": "all", "q": "number 42"}, target="case-list")
    assert found.content.decode().count("data-href=") == 1


def test_the_live_refresh_returns_the_newest_page(agent_client, case, account):
    before = htmx(agent_client, "get", "/care/inbox/rows/", {"view": "all"}).content.decode()
    receive(account, dm("m9", author="citra", at=later(30)))
    after = htmx(agent_client, "get", "/care/inbox/rows/", {"view": "all"}).content.decode()
    assert before.count("data-href=") == 1 and after.count("data-href=") == 2
    assert 'data-complete="true"' in after


def test_another_workspaces_case_answers_404(client, member, workspace_b, case):
    outsider = member(workspace_b, Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(f"/care/cases/{case.pk}/").status_code == 404
    assert client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": "hi"}).status_code == 404
    assert client.post(f"/care/cases/{case.pk}/resolve/").status_code == 404
    assert client.get(f"/care/customers/{case.customer_id}/").status_code == 404
    page = client.get("/care/", {"view": "all"}).content.decode()
    assert f'id="case-{case.pk}"' not in page
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_an_analyst_reads_cases_but_cannot_reply(client, member, workspace_a, case):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    page = client.get(f"/care/cases/{case.pk}/")
    assert page.status_code == 200 and "Where is my order?" in page.content.decode()
    assert 'id="reply-box"' not in page.content.decode()
    response = client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": "hi"})
    assert response.status_code == 403
    assert client.post("/care/inbox/bulk/", {"action": "resolve", "case": [case.pk]}).status_code == 403
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_marketer_cannot_open_care(client, member, workspace_a):
    client.force_login(member(workspace_a, Role.MARKETER).user)
    assert client.get("/care/").status_code == 403


# --- a case ----------------------------------------------------------------------------------------


def test_a_reply_from_the_case_page_queues_an_outbound_message(agent_client, case, settings):
    settings.CXM_STATUS_POLL_SECONDS = 2  # production's interval (the suite runs a shorter one)
    response = htmx(
        agent_client, "post", f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": "On its way!"}
    )

    assert response.status_code == 200
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.text == "On its way!" and reply.status == DeliveryStatus.QUEUED
    assert reply.author_user == agent_client.user and reply.idempotency_key
    body = response.content.decode()
    assert f'id="msg-{reply.pk}"' in body and 'hx-swap-oob="beforeend:#thread-messages"' in body
    assert 'data-status="queued"' in body and "every 2s" in body  # its delivery is polled
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.first_responded_at is not None


def test_an_empty_reply_shows_the_error_in_place(agent_client, case):
    body = htmx(
        agent_client, "post", f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": " "}
    ).content.decode()
    assert 'role="alert"' in body and "Write something to send." in body
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_macro_fills_the_reply_in_the_customers_language(agent_client, case, workspace_a):
    Case.objects.filter(pk=case.pk).update(language="id")
    macro = services.macro_save(
        workspace=workspace_a,
        name="Shipping",
        bodies={
            "en": "Hi {{customer.first_name}}, it ships today.",
            "id": "Halo {{customer.first_name}}, dikirim hari ini.",
        },
    )
    body = htmx(agent_client, "get", f"/care/cases/{case.pk}/macro/", {"macro": macro.pk}).content.decode()
    assert 'id="reply-text"' in body and "Halo Ana, dikirim hari ini." in body

    htmx(
        agent_client,
        "post",
        f"/care/cases/{case.pk}/reply/",
        {"kind": "reply", "text": "", "macro": macro.pk},
    )
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.text == "Halo Ana, dikirim hari ini." and reply.meta == {"macro": macro.pk}


def test_a_note_mentions_a_colleague(agent_client, case, member, workspace_a):
    colleague = member(workspace_a, Role.AGENT).user
    htmx(
        agent_client,
        "post",
        f"/care/cases/{case.pk}/reply/",
        {"kind": "note", "text": f"@{colleague.username} can you check?"},
    )
    note = Message.objects.get(direction=Direction.NOTE)
    assert note.mentions == [colleague.pk]
    page = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert f'<mark class="mention">@{colleague.username}</mark> can you check?' in page


def test_the_thread_opens_on_the_newest_page_and_loads_older_ones(agent_client, account):
    receive(account, *[dm(f"m{n}", author="ana", text=f"message {n}", at=later(n)) for n in range(45)])
    case = Case.objects.get()
    page = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "message 44" in page and "message 15" in page and "message 14<" not in page
    assert page.index("message 15") < page.index("message 44")  # oldest of the page on top
    older = re.search(r'hx-get="(/care/cases/\d+/messages/\?cursor=[^"]+)"', page).group(1)
    body = htmx(agent_client, "get", older.replace("&amp;", "&")).content.decode()
    assert "message 14<" in body and "message 0<" in body and "message 15" not in body

    newest = max(Message.objects.values_list("pk", flat=True))
    assert htmx(agent_client, "get", f"/care/cases/{case.pk}/messages/", {"after": newest}).status_code == 204
    receive(account, dm("m99", author="ana", text="anyone there?", at=later(99)))
    fresh = htmx(agent_client, "get", f"/care/cases/{case.pk}/messages/", {"after": newest}).content.decode()
    assert "anyone there?" in fresh and 'id="thread-poll" hx-swap-oob="true"' in fresh


def test_controls_change_the_case(agent_client, case, workspace_a):
    queue = services.queue_save(workspace=workspace_a, name="Orders")
    url = f"/care/cases/{case.pk}/update/"
    htmx(agent_client, "post", url, {"priority": Priority.HIGH})
    htmx(agent_client, "post", url, {"queue": queue.pk})
    htmx(agent_client, "post", url, {"tags": "refund, VIP"})
    body = htmx(agent_client, "post", url, {"assignee": agent_client.user.pk}).content.decode()
    case.refresh_from_db()
    assert case.priority == Priority.HIGH and case.queue == queue
    assert case.tags == ["refund", "vip"] and case.assignee == agent_client.user
    assert '<header id="case-header" class="case-header" hx-swap-oob="true">' in body


def test_resolve_is_blocked_until_the_checklist_is_done(agent_client, case, workspace_a):
    case_type = services.case_type_save(
        workspace=workspace_a,
        name="Order issue",
        checklist=[{"key": "verify_order", "label": "Verify the order"}],
        required_fields=[{"key": "order_number", "label": "Order number"}],
    )
    htmx(agent_client, "post", f"/care/cases/{case.pk}/update/", {"case_type": case_type.pk})

    blocked = htmx(agent_client, "post", f"/care/cases/{case.pk}/resolve/").content.decode()
    assert 'id="workflow-error"' in blocked
    assert "Complete the checklist steps verify_order and fields order_number first." in blocked
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW

    htmx(agent_client, "post", f"/care/cases/{case.pk}/checklist/", {"step": "verify_order", "done": "on"})
    htmx(agent_client, "post", f"/care/cases/{case.pk}/fields/", {"field_order_number": "1042"})
    done = htmx(agent_client, "post", f"/care/cases/{case.pk}/resolve/").content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.fields == {"order_number": "1042"}
    assert 'id="resolved-note"' in done and "workflow-error" not in done


def test_a_failed_reply_can_be_retried(agent_client, case):
    reply = services.case_reply(case=case, text="Hello")
    Message.objects.filter(pk=reply.pk).update(status=DeliveryStatus.FAILED, error="The platform refused it")
    page = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "The platform refused it" in page and f"/messages/{reply.pk}/retry/" in page

    body = htmx(agent_client, "post", f"/care/cases/{case.pk}/messages/{reply.pk}/retry/").content.decode()
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and reply.error == ""
    assert 'data-status="queued"' in body


# --- bulk actions and presence -------------------------------------------------------------------


def test_bulk_assign_gives_the_ticked_cases_to_a_colleague(agent_client, account, agent, workspace_a):
    for n in range(3):
        receive(account, dm(f"m{n}", author=f"c{n}", at=later(n)))
    colleague = agent(workspace_a)
    ids = list(Case.objects.values_list("pk", flat=True))

    response = htmx(
        agent_client,
        "post",
        "/care/inbox/bulk/",
        {"action": "assign", "assignee": colleague.pk, "case": ids[:2]},
    )

    assert response.status_code == 200 and response["HX-Trigger"] == "care-refresh"
    assert "2 cases assigned." in response.content.decode()
    assert set(Case.objects.filter(assignee=colleague).values_list("pk", flat=True)) == set(ids[:2])
    htmx(agent_client, "post", "/care/inbox/bulk/", {"action": "assign", "assignee": "me", "case": ids[2:]})
    assert Case.objects.get(pk=ids[2]).assignee == agent_client.user


def test_bulk_actions_leave_other_workspaces_alone(agent_client, workspace_b, case):
    other = make_account(workspace_b)
    receive(other, dm("b1", author="zed"))
    foreign = Case.objects.get(workspace=workspace_b)
    htmx(
        agent_client,
        "post",
        "/care/inbox/bulk/",
        {"action": "tag", "tag": "Spam", "case": [case.pk, foreign.pk]},
    )
    assert Case.objects.get(pk=case.pk).tags == ["spam"]
    assert Case.objects.get(pk=foreign.pk).tags == []


def test_bulk_resolve_says_which_cases_refused(agent_client, account, workspace_a):
    receive(account, dm("m1", author="ana"), dm("m2", author="budi"))
    blocked, free = Case.objects.order_by("pk")
    case_type = services.case_type_save(workspace=workspace_a, name="Refund", checklist=[{"key": "approve"}])
    services.case_update(case=blocked, case_type=case_type)
    body = htmx(
        agent_client, "post", "/care/inbox/bulk/", {"action": "resolve", "case": [blocked.pk, free.pk]}
    ).content.decode()
    assert "1 case resolved." in body and f"Case {blocked.pk}" in body and "approve" in body
    assert Case.objects.get(pk=free.pk).status == CaseStatus.RESOLVED


def test_an_agent_switches_presence_from_the_inbox(client, member, workspace_a):
    user = member(workspace_a, Role.AGENT).user
    client.force_login(user)
    body = htmx(client, "post", "/care/presence/", {"presence": Presence.ONLINE}).content.decode()
    assert AgentProfile.objects.get(user=user).presence == Presence.ONLINE  # the profile is made on first use
    assert 'aria-pressed="true"' in body and 'data-presence="online"' in body
    htmx(client, "post", "/care/presence/", {"presence": Presence.AWAY})
    assert AgentProfile.objects.get(user=user).presence == Presence.AWAY


# --- customers -------------------------------------------------------------------------------------


def test_merge_another_profile_from_the_case_and_undo_it(agent_client, case, workspace_a, account):
    email = make_account(workspace_a, platform="email", handle="care@brand.example")
    receive(email, dm("<q1@mail.example>", author="ana", kind="email", platform="email", subject="Order"))
    other = CustomerProfile.objects.exclude(pk=case.customer_id).get()

    found = htmx(
        agent_client, "get", f"/care/customers/{case.customer_id}/merge/candidates/", {"q": "ana@mail"}
    ).content.decode()
    assert f'data-profile-id="{other.pk}"' in found

    panel = htmx(
        agent_client,
        "post",
        f"/care/customers/{case.customer_id}/merge/",
        {"source": other.pk, "case": case.pk},
    ).content.decode()
    merge = CustomerMerge.objects.get()
    assert merge.source == other and 'data-platform="email"' in panel and 'data-platform="mastodon"' in panel
    assert panel.count("data-case-id=") == 2  # both conversations, one person

    htmx(agent_client, "post", f"/care/customers/merges/{merge.pk}/undo/")
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert CustomerProfile.objects.get(pk=other.pk).merged_into is None


def test_customers_are_searched_and_shown(agent_client, case):
    listing = agent_client.get("/care/customers/", {"q": "ana"}).content.decode()
    assert f"/care/customers/{case.customer_id}/" in listing
    profile = agent_client.get(f"/care/customers/{case.customer_id}/").content.decode()
    assert "@ana@social.example" in profile and f"/care/cases/{case.pk}/" in profile


# --- settings and reports ------------------------------------------------------------------------


def test_only_admins_change_queues_but_agents_write_macros(agent_client, client, member, workspace_a):
    response = agent_client.post("/care/settings/queues/new/", {"name": "Orders", "position": 0})
    assert response.status_code == 403 and not Queue.objects.exists()
    response = agent_client.post(
        "/care/settings/macros/new/",
        {
            "name": "Thanks",
            "default_language": "en",
            "bodies": "[en]\nThanks {{customer.first_name}}!\n[id]\nTerima kasih!",
        },
    )
    assert response.status_code == 302
    assert Macro.objects.get().bodies == {"en": "Thanks {{customer.first_name}}!", "id": "Terima kasih!"}

    client.force_login(member(workspace_a, Role.ADMIN).user)
    response = client.post(
        "/care/settings/queues/new/",
        {"name": "Orders", "position": 0, "languages": "id, en", "platforms": "email"},
    )
    assert response.status_code == 302
    assert Queue.objects.get().languages == ["id", "en"]
    assert "Orders" in client.get("/care/settings/").content.decode()


def test_settings_forms_show_service_errors_in_place(client, member, workspace_a):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    body = client.post(
        "/care/settings/sla/new/",
        {
            "priority": "high",
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "warn_before_minutes": 10,
            "time_zone": "Mars/Olympus",
        },
    ).content.decode()
    assert "Unknown time zone" in body
    client.post(
        "/care/settings/sla/new/",
        {
            "priority": "high",
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "warn_before_minutes": 10,
            "time_zone": "Asia/Jakarta",
            "days": ["mon", "tue"],
            "opens": "08:00",
            "closes": "16:00",
        },
    )
    policy = SlaPolicy.objects.get(workspace=workspace_a)
    assert policy.schedule == {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]]}
    client.post(
        "/care/settings/case-types/new/",
        {
            "name": "Order issue",
            "checklist": "verify_order: Verify the order",
            "required_fields": "order_number: Order number",
        },
    )
    assert "Verify the order" in client.get("/care/settings/").content.decode()


def test_the_reports_page_shows_the_figures(agent_client, case):
    services.case_reply(case=case, text="Hi")
    page = agent_client.get("/care/reports/")
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        'id="care-report-data"' in body and 'id="kpi-cases">1<' in body and 'id="kpi-answered">100%<' in body
    )


# --- the satisfaction survey ------------------------------------------------------------------------


def test_resolving_sends_the_survey_once(agent_client, case):
    htmx(agent_client, "post", f"/care/cases/{case.pk}/resolve/")
    survey = Message.objects.get(direction=Direction.OUTBOUND)
    assert survey.meta == {"csat": True} and survey.status == DeliveryStatus.QUEUED
    assert "/care/csat/" in survey.text and survey.recipient == "@ana@social.example"

    services.case_status_set(case=case, status=CaseStatus.OPEN)
    services.case_resolve(case=case)
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_the_survey_page_records_the_first_answer_only(client, case):
    services.case_resolve(case=case)
    link = Message.objects.get(direction=Direction.OUTBOUND).text.split()[-1]
    path = link[link.index("/care/csat/") :]

    assert client.get(path).status_code == 200
    answered = client.post(path, {"score": "4", "comment": "Quick, thanks"})
    assert "You rated our help 4 out of 5." in answered.content.decode()
    again = client.post(path, {"score": "1"})
    assert "We already have your answer: 4 out of 5." in again.content.decode()
    response = CsatResponse.objects.get()
    assert (response.case, response.score, response.comment) == (case, 4, "Quick, thanks")


def test_a_forged_survey_link_answers_404(client, case):
    forged = signing.dumps({"w": case.workspace_id, "c": case.pk}, salt="another purpose")
    assert client.get(f"/care/csat/{forged}/").status_code == 404
    assert client.post("/care/csat/not-a-token/", {"score": "5"}).status_code == 404
    assert not CsatResponse.objects.exists()
