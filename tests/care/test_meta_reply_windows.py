"""Messenger and Instagram direct messages: the reply box shows how long the customer can be
answered, a person answers with Meta's HUMAN_AGENT tag from 24 hours to 7 days, automation sends
nothing then, and after 7 days the reply is refused with the reason (page, service and API)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import dateformat, formats, timezone, translation

from care import services
from care.models import Case, CaseEvent, Direction, Message, RuleEvent
from cxm.channels.connectors.base import AccountConfig
from cxm.channels.connectors.facebook_page import FacebookPageConnector
from cxm.channels.connectors.instagram import InstagramConnector
from cxm.tenancy.models import Role
from tests.care.conftest import make_account, receive
from tests.channels.stubs import facebook_page_server as fb
from tests.channels.stubs import instagram_server as ig

pytestmark = pytest.mark.django_db

PSID = "900001"  # the person's Page-scoped id
IGSID = "1234567890123456"  # the documented example's Instagram-scoped id


@pytest.fixture
def page():
    with fb.FacebookPageStub() as stub:
        yield stub


@pytest.fixture
def graph():
    with ig.InstagramStub() as stub:
        yield stub


@pytest.fixture
def person(member, workspace_a):
    return member(workspace_a, Role.AGENT).user


@pytest.fixture
def agent_client(client, person):
    client.force_login(person)
    return client


def _config(platform, handle, stub, token):
    return AccountConfig(
        platform=platform,
        handle=handle,
        base_url=stub.base_url,
        credentials={"access_token": token},
        allow_private_targets=True,
    )


@pytest.fixture
def messenger_case(workspace_a, page):
    """messenger_case(ago) -> the case the person's Messenger message, `ago` old, opened."""
    account = make_account(workspace_a, platform="facebook_page", handle=fb.PAGE_ID, base_url=page.base_url)

    def make(ago: timedelta) -> Case:
        delivery = copy.deepcopy(fb.fixture("messenger")["webhook"])
        entry = delivery["entry"][0]
        entry["id"] = fb.PAGE_ID
        event = entry["messaging"][0]
        event["sender"]["id"], event["recipient"]["id"] = PSID, fb.PAGE_ID
        event["timestamp"] = int((timezone.now() - ago).timestamp() * 1000)
        connector = FacebookPageConnector(_config("facebook_page", fb.PAGE_ID, page, fb.TOKEN))
        receive(account, *connector.webhook_items(delivery))
        return Case.objects.get(workspace=workspace_a, platform="facebook_page")

    return make


@pytest.fixture
def instagram_case(workspace_a, graph):
    """instagram_case(ago) -> the case an Instagram direct message, `ago` old, opened."""
    account = make_account(workspace_a, platform="instagram", handle=ig.USER_ID, base_url=graph.base_url)

    def make(ago: timedelta) -> Case:
        delivery = ig.fixture("instagram_webhook_messaging.json")
        entry = delivery["entry"][0]
        entry["id"] = ig.USER_ID
        event = entry["messaging"][0]
        event["recipient"]["id"] = ig.USER_ID
        written = timezone.now() - ago
        event["timestamp"] = int(written.timestamp() * 1000)
        graph.customer_wrote(IGSID, written)
        connector = InstagramConnector(_config("instagram", ig.USER_ID, graph, ig.TOKEN))
        receive(account, *connector.webhook_items(delivery))
        return Case.objects.get(workspace=workspace_a, platform="instagram")

    return make


def deliver(reply: Message, connector_for):
    return services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=connector_for
    )


def to_page(page):
    return lambda account: FacebookPageConnector(_config("facebook_page", account.handle, page, fb.TOKEN))


def to_instagram(graph):
    return lambda account: InstagramConnector(_config("instagram", account.handle, graph, ig.TOKEN))


def case_page(client, case, language="en") -> str:
    client.cookies["django_language"] = language
    return client.get(f"/care/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


# --- Messenger ---------------------------------------------------------------------------------


def test_two_hours_on_a_messenger_answer_goes_as_a_response(messenger_case, page, person):
    case = messenger_case(timedelta(hours=2))
    window = services.reply_window(case)
    assert (window.name, window.state) == ("Messenger", "open")
    assert window.closes_at == case.last_inbound_at + timedelta(hours=24)

    reply = services.case_reply(case=case, text="We open at 8 tomorrow.", by=person)
    assert deliver(reply, to_page(page)).outcome == "sent"

    (sent,) = page.sent
    assert (sent["recipient"], sent["messaging_type"]) == (PSID, "RESPONSE")
    assert "tag" not in sent
    # The time of the person's message came from our own store, not from another Graph call.
    assert page.writes("GET", f"{fb.PAGE_ID}/conversations") == []


def test_three_days_on_only_a_person_answers_with_the_human_agent_tag(
    messenger_case, page, person, agent_client
):
    case = messenger_case(timedelta(days=3))
    assert "only a person may answer now" in case_page(agent_client, case)

    reply = services.case_reply(case=case, text="Sorry for the wait: it shipped today.", by=person)
    assert deliver(reply, to_page(page)).outcome == "sent"

    (sent,) = page.sent
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_after_seven_days_the_reply_is_refused_with_the_reason(messenger_case, page, person, agent_client):
    case = messenger_case(timedelta(days=8))
    reason = "The customer last wrote more than 7 days ago: Messenger takes no answer until they write again."
    assert services.reply_window(case).reason == reason

    with pytest.raises(ValidationError) as refused:
        services.case_reply(case=case, text="Still interested?", by=person)
    assert refused.value.message_dict["text"] == [reason]

    assert reason in case_page(agent_client, case)
    box = agent_client.post(
        f"/care/cases/{case.pk}/reply/",
        {"kind": "reply", "text": "Still interested?"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'role="alert">' + reason in box
    assert not case.messages.filter(direction=Direction.OUTBOUND).exists()
    assert page.sent == []


def test_after_seven_days_the_api_answers_400_with_the_reason(messenger_case, api, member, workspace_a):
    case = messenger_case(timedelta(days=8))
    client = api(member(workspace_a, Role.AGENT))

    answer = client.post(
        f"/api/v1/cases/{case.pk}/messages/", {"kind": "reply", "text": "Hello?"}, format="json"
    )

    assert answer.status_code == 400
    body = answer.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert body["fields"]["text"] == [services.reply_window(case).reason]
    assert "more than 7 days ago" in body["fields"]["text"][0]


@pytest.mark.parametrize(
    ("ago", "state"),
    [(timedelta(hours=2), "open"), (timedelta(days=3), "human_agent_only"), (timedelta(days=8), "closed")],
)
def test_the_api_tells_an_integration_the_window_before_it_tries(
    messenger_case, api, member, workspace_a, ago, state
):
    case = messenger_case(ago)
    window = services.reply_window(case)

    shown = api(member(workspace_a, Role.AGENT)).get(f"/api/v1/cases/{case.pk}/").json()["reply_window"]

    assert shown["platform"] == "facebook_page" and shown["state"] == state
    assert shown["reason"] == window.reason
    assert (shown["closes_at"] is None) == (state == "closed")


@pytest.fixture
def waiting_rule(workspace_a):
    """A rule that answers with a macro whenever a case's status changes."""
    macro = services.macro_save(
        workspace=workspace_a, name="Waiting", bodies={"en": "We are waiting for you."}
    )
    return services.rule_save(
        workspace=workspace_a,
        name="Tell them we wait",
        event=RuleEvent.STATUS_CHANGED,
        conditions=[],
        actions=[{"type": "send_macro", "macro": macro.pk}],
    )


def test_a_rule_sends_no_auto_reply_in_the_human_agent_days(messenger_case, page, person, waiting_rule):
    case = messenger_case(timedelta(days=3))

    services.case_update(case=case, by=person, status="pending_customer")

    assert not case.messages.filter(direction=Direction.OUTBOUND).exists()
    failed = CaseEvent.objects.get(case=case, kind="rule_failed")
    assert failed.data["action"] == "send_macro"
    assert "automated replies are not sent" in failed.data["reason"]
    assert page.sent == []


def test_within_a_day_the_same_rule_answers(messenger_case, person, waiting_rule):
    case = messenger_case(timedelta(hours=2))

    services.case_update(case=case, by=person, status="pending_customer")

    (auto,) = case.messages.filter(direction=Direction.OUTBOUND)
    assert auto.text == "We are waiting for you." and auto.author_user is None


def test_resolving_in_the_human_agent_days_sends_no_survey(messenger_case, person):
    case = messenger_case(timedelta(days=3))

    services.case_resolve(case=case, by=person)

    assert not Message.objects.filter(case=case, meta__csat=True).exists()
    skipped = CaseEvent.objects.get(case=case, kind="csat_not_sent")
    assert "automated replies are not sent" in skipped.data["reason"]


def test_an_automated_reply_queued_in_time_but_sent_after_a_day_fails_with_the_reason(
    messenger_case, page, workspace_a
):
    case = messenger_case(timedelta(hours=23, minutes=59))
    reply = services.case_reply(case=case, text="Thanks, we got your message.")  # no person: a rule
    Case.objects.filter(pk=case.pk).update(last_inbound_at=case.last_inbound_at - timedelta(hours=2))

    assert deliver(reply, to_page(page)).outcome == "failed"

    reply.refresh_from_db()
    assert "not an automated message" in reply.error
    assert page.sent == []


# --- Instagram ---------------------------------------------------------------------------------


def test_thirty_hours_on_an_instagram_answer_goes_with_the_human_agent_tag(instagram_case, graph, person):
    case = instagram_case(timedelta(hours=30))
    window = services.reply_window(case)
    assert (window.name, window.state) == ("Instagram", "human_agent_only")
    assert window.closes_at == case.last_inbound_at + timedelta(days=7)

    reply = services.case_reply(case=case, text="Yes, the sale runs until Sunday.", by=person)
    assert deliver(reply, to_instagram(graph)).outcome == "sent"

    (sent,) = graph.messages
    assert sent["recipient"] == {"id": IGSID}
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_an_instagram_message_eight_days_old_is_not_answered(instagram_case, graph, person):
    case = instagram_case(timedelta(days=8))

    with pytest.raises(ValidationError) as refused:
        services.case_reply(case=case, text="Hello again", by=person)

    assert "Instagram takes no answer until they write again" in refused.value.message_dict["text"][0]
    assert graph.messages == []


# --- the reply box -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "Messenger: you can answer freely until"),
        ("id", "Messenger: Anda dapat menjawab dengan bebas sampai"),
    ],
)
def test_the_reply_box_says_until_when_messenger_can_be_answered(
    messenger_case, agent_client, language, line
):
    case = messenger_case(timedelta(hours=2))
    closes_at = timezone.localtime(case.last_inbound_at + timedelta(hours=24))
    with translation.override(language):
        when = formats.date_format(closes_at, "DATETIME_FORMAT")

    html = case_page(agent_client, case, language)

    assert f'{line} <time datetime="{dateformat.format(closes_at, "c")}">{when}</time>.' in html


def test_the_human_agent_notice_speaks_indonesian(messenger_case, agent_client):
    case = messenger_case(timedelta(days=3))

    html = case_page(agent_client, case, "id")

    assert "hanya orang yang boleh menjawab" in html
    assert "Aturan otomatisasi dan survei kepuasan tidak mengirim apa pun" in html


def test_a_public_comment_case_has_no_window(workspace_a, agent_client):
    case = services.case_open_from_mention(
        workspace=workspace_a,
        mention={
            "platform": "facebook_page",
            "external_id": f"{fb.PAGE_ID}_1_2",
            "text": "Is the cafe open on Sunday?",
            "created_at": timezone.now() - timedelta(days=9),
            "author": {"id": PSID, "handle": PSID, "name": "Ana Putri"},
        },
    )

    assert services.reply_window(case) is None
    assert 'class="reply-window' not in case_page(agent_client, case)
