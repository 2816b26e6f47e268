"""A website chat conversation in care: the visitor's message is a case, the pre-chat e-mail links
the visitor to the customer, an agent's reply reaches the widget once (and the visitor's inbox
when they have left), the agent's typing shows, and the chat says when to expect an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from care import services
from care.models import Case, ChannelKind, DeliveryStatus, Direction, Message, Presence, Priority, SlaPolicy
from care.sla import next_open
from cxm.channels.connectors.base import ItemKind, Outgoing, PermanentError
from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor
from cxm.channels.webchat.services import agent_reply_deliver
from cxm.channels.webchat.words import availability_words
from cxm.customers.models import Identity
from cxm.tenancy.models import Role
from tests.care.conftest import dm, make_account, receive
from tests.channels.stubs.smtp_server import SmtpServer
from tests.channels.webchat import Visitor, make_widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(workspace_a):
    return make_widget(workspace_a)


@pytest.fixture
def smtp(settings):
    with SmtpServer(username="", password="", require_auth=False) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        yield server


def _case_of(workspace) -> Case:
    return Case.objects.get(workspace=workspace, platform="webchat")


def _answer(case: Case, text: str, by=None) -> Message:
    """An agent's reply, queued and then delivered as the worker would."""
    reply = services.case_reply(case=case, text=text, by=by)
    services.message_deliver(message_id=reply.pk, workspace_id=reply.workspace_id)
    reply.refresh_from_db()
    return reply


def _leave(visitor_id: str, minutes: int = 5) -> None:
    WebchatVisitor.objects.filter(public_id=visitor_id).update(
        last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes)
    )


def test_a_visitors_message_is_a_case_in_the_care_inbox(widget, workspace_a):
    visitor = Visitor(widget.key)
    visitor.start(name="Ana")
    visitor.write("Do you ship to Bandung?")

    case = _case_of(workspace_a)
    assert case.channel_kind == ChannelKind.DM and case.channel_account_id == widget.account_id
    assert case.business_unit_id == widget.account.brand.business_unit_id
    (message,) = case.messages.all()
    assert (message.text, message.author_name, message.platform) == (
        "Do you ship to Bandung?",
        "Ana",
        "webchat",
    )
    visitor.write("Near the station")
    assert case.messages.count() == 2 and Case.objects.filter(workspace=workspace_a).count() == 1


def test_the_pre_chat_email_links_the_visitor_to_the_customer_who_wrote_from_it(widget, workspace_a):
    mail = make_account(workspace_a, platform="email", handle="care@kopi.example")
    receive(mail, dm("mail-1", author="ana", kind=ItemKind.EMAIL, platform="email", text="Invoice please"))
    customer = Case.objects.get(workspace=workspace_a, platform="email").customer

    visitor = Visitor(widget.key)
    started = visitor.start(name="Ana", email="ANA@mail.example")
    visitor.write("About my invoice")

    identity = Identity.objects.get(workspace=workspace_a, platform="webchat", platform_id=started["visitor"])
    assert identity.email == "ana@mail.example"
    assert identity.profile_id == customer.pk
    assert _case_of(workspace_a).customer_id == customer.pk


def test_a_visitor_without_an_address_is_a_customer_of_their_own(widget, workspace_a):
    mail = make_account(workspace_a, platform="email", handle="care@kopi.example")
    receive(mail, dm("mail-1", author="ana", kind=ItemKind.EMAIL, platform="email"))
    visitor = Visitor(widget.key)
    visitor.start(name="Ana")
    visitor.write("Hello")

    assert _case_of(workspace_a).customer_id != Case.objects.get(platform="email").customer_id


def test_an_agents_reply_reaches_the_visitor_once(widget, workspace_a, member):
    agent = member(workspace_a, Role.AGENT).user
    visitor = Visitor(widget.key)
    visitor.start()
    asked = visitor.write("Is the kopi luwak in stock?")["message"]["id"]
    case = _case_of(workspace_a)

    reply = _answer(case, "Yes, 40 bags left.", by=agent)

    assert reply.status == DeliveryStatus.SENT and reply.external_id.startswith("wc-")
    assert [(m["from"], m["text"]) for m in visitor.read(after=asked)["messages"]] == [
        ("agent", "Yes, 40 bags left.")
    ]
    # The worker dies after the reply was stored: the next attempt, with the same key, adds nothing.
    Message.objects.filter(pk=reply.pk).update(
        status=DeliveryStatus.QUEUED, next_attempt_at=reply.occurred_at
    )
    services.message_deliver(message_id=reply.pk, workspace_id=workspace_a.pk)
    assert WebchatMessage.objects.filter(sender="agent").count() == 1


def test_a_reply_to_a_visitor_who_left_goes_to_their_inbox_once(widget, workspace_a, smtp):
    visitor = Visitor(widget.key)
    started = visitor.start(name="Sari", email="sari@mail.example", language="id")
    visitor.write("Apakah toko buka hari Minggu?")
    _leave(started["visitor"])

    reply = _answer(_case_of(workspace_a), "Ya, buka jam 10.")

    assert reply.status == DeliveryStatus.SENT
    (mail,) = smtp.received
    assert mail.rcpt_tos == ("sari@mail.example",)
    assert widget.account.brand.name in mail.message["Subject"] and "menjawab" in mail.message["Subject"]
    assert "Ya, buka jam 10." in mail.message.get_content()
    assert "https://shop.kopi.example/products" in mail.message.get_content()
    Message.objects.filter(pk=reply.pk).update(status=DeliveryStatus.QUEUED)
    services.message_deliver(message_id=reply.pk, workspace_id=workspace_a.pk)
    assert len(smtp.received) == 1
    assert visitor.read()["messages"][-1]["text"] == "Ya, buka jam 10."


def test_a_reply_to_a_visitor_who_is_there_is_not_emailed(widget, workspace_a, smtp):
    visitor = Visitor(widget.key)
    visitor.start(email="ana@mail.example")
    visitor.write("Hello?")

    assert _answer(_case_of(workspace_a), "Hello! How can we help?").status == DeliveryStatus.SENT
    assert smtp.received == []


def test_a_mail_server_asking_to_wait_is_tried_again_and_the_chat_holds_the_reply_once(
    widget, workspace_a, smtp
):
    visitor = Visitor(widget.key)
    started = visitor.start(email="ana@mail.example")
    visitor.write("Hello?")
    _leave(started["visitor"])
    smtp.fail_next_send(451)

    reply = _answer(_case_of(workspace_a), "We are back now.")

    assert reply.status == DeliveryStatus.QUEUED and "451" in reply.error
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=reply.occurred_at)
    services.message_deliver(message_id=reply.pk, workspace_id=workspace_a.pk)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert len(smtp.received) == 1
    assert WebchatMessage.objects.filter(sender="agent").count() == 1


def test_the_visitor_sees_the_agent_typing_until_the_reply_arrives(widget, workspace_a, member, client):
    agent = member(workspace_a, Role.AGENT)
    visitor = Visitor(widget.key)
    visitor.start()
    visitor.write("Hello?")
    case = _case_of(workspace_a)
    client.force_login(agent.user)

    page = client.get(reverse("care:case", args=[case.pk]))
    assert f'data-typing-url="{reverse("care:case-typing", args=[case.pk])}"' in page.content.decode()
    assert client.post(reverse("care:case-typing", args=[case.pk])).status_code == 204
    assert visitor.read()["typing"] is True

    _answer(case, "Hi!")
    assert visitor.read()["typing"] is False


def test_a_channel_that_cannot_show_typing_gets_no_typing_calls(workspace_a, member, client):
    account = make_account(workspace_a)
    receive(account, dm("m1"))
    case = Case.objects.get(workspace=workspace_a)
    client.force_login(member(workspace_a, Role.AGENT).user)

    assert "data-typing-url" not in client.get(reverse("care:case", args=[case.pk])).content.decode()
    assert services.case_typing(case=case) is False


def test_with_an_agent_online_the_chat_does_not_ask_to_wait(widget, workspace_a, member):
    services.agent_save(
        workspace=workspace_a, user=member(workspace_a, Role.AGENT).user, presence=Presence.ONLINE
    )
    visitor = Visitor(widget.key)
    visitor.start()

    assert visitor.write("Hello?")["availability"] == {"online": True, "message": ""}


def test_an_agent_for_other_channels_only_does_not_count(widget, workspace_a, member):
    services.agent_save(
        workspace=workspace_a,
        user=member(workspace_a, Role.AGENT).user,
        presence=Presence.ONLINE,
        platforms=["whatsapp"],
    )

    assert availability_words(widget=widget, now=datetime.now(UTC))["online"] is False


def test_outside_working_hours_the_chat_says_when_we_are_back_and_how_soon_we_answer(widget, workspace_a):
    SlaPolicy.objects.create(
        workspace=workspace_a,
        name="Normal",
        priority=Priority.NORMAL,
        first_response_minutes=240,
        resolution_minutes=1440,
        time_zone="Asia/Jakarta",
        schedule={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    friday_evening = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 19:00 in Jakarta

    said = availability_words(widget=widget, now=friday_evening)

    assert said["online"] is False
    assert said["message"] == (
        "No one is here to chat right now. We are back on Monday at 09:00 (Asia/Jakarta time)."
        " We usually answer within 4 hours of working time."
    )


def test_without_hours_or_targets_the_chat_promises_an_answer_when_it_can(widget):
    said = availability_words(widget=widget, now=datetime.now(UTC))

    assert said == {
        "online": False,
        "message": "No one is here to chat right now. Leave a message: we will answer as soon as we can.",
    }


def test_the_next_opening_is_now_during_hours_and_the_next_morning_after_them():
    schedule = {0: [(9 * 60, 17 * 60)], 1: [(9 * 60, 17 * 60)]}
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    monday_night = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)

    assert next_open(monday_noon, schedule=schedule) == monday_noon
    assert next_open(monday_night, schedule=schedule) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert next_open(monday_night, schedule={}) == monday_night


def test_a_reply_in_a_case_of_another_workspaces_chat_is_refused(widget, workspace_a, workspace_b):
    """A connector of workspace B's chat cannot put a message in workspace A's conversation."""
    visitor = Visitor(widget.key)
    visitor.start()
    asked = visitor.write("Hello?")["message"]["id"]
    other = make_widget(workspace_b)

    with pytest.raises(PermanentError):
        agent_reply_deliver(
            account_id=other.account_id,
            outgoing=Outgoing(text="hi", idempotency_key="k1", reply_to=f"wc-{asked}"),
        )
    assert not WebchatMessage.objects.filter(sender="agent").exists()
    assert Direction.OUTBOUND not in Message.objects.values_list("direction", flat=True)
