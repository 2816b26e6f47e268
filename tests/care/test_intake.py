"""Direct messages and emails become cases: follow-ups join the open case, a resolved case
reopens, a closed one stays closed, and no message is ever stored twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from care import services
from care.models import Case, CaseEvent, CaseStatus, ChannelKind, Direction, Message
from cxm.channels.connectors.base import FetchPage, ItemKind
from cxm.channels.services.sync import account_sync
from cxm.customers.models import Identity
from tests.care.conftest import T0, dm, later, make_account, receive

pytestmark = pytest.mark.django_db


def cases(workspace):
    return list(Case.objects.filter(workspace=workspace).order_by("id"))


def test_a_direct_message_opens_a_case_for_the_customer(workspace_a, account):
    receive(account, dm("m1", author="ana", text="Where is my order?", language="en"))
    (case,) = cases(workspace_a)
    assert case.status == CaseStatus.NEW
    assert case.channel_account == account and case.platform == "mastodon"
    assert case.channel_kind == ChannelKind.DM
    assert case.language == "en"
    identity = Identity.objects.get(workspace=workspace_a, platform="mastodon", platform_id="id-ana")
    assert case.customer_id == identity.profile_id
    (message,) = case.messages.all()
    assert message.direction == Direction.INBOUND and message.text == "Where is my order?"
    assert message.author_identity == identity
    assert CaseEvent.objects.filter(case=case, kind="created").exists()


def test_a_follow_up_joins_the_open_case(workspace_a, account):
    receive(account, dm("m1", author="ana", at=T0))
    receive(account, dm("m2", author="ana", at=later(5), text="Any news?"))
    (case,) = cases(workspace_a)
    assert case.messages.count() == 2
    assert case.last_message_at == later(5)


def test_another_customer_gets_their_own_case(workspace_a, account):
    receive(account, dm("m1", author="ana"), dm("m2", author="budi"))
    assert len(cases(workspace_a)) == 2


def test_the_same_customer_on_another_account_gets_another_case(workspace_a, account):
    other = make_account(workspace_a, handle="@brand-support@social.example")
    receive(account, dm("m1", author="ana"))
    receive(other, dm("m2", author="ana"))
    first, second = cases(workspace_a)
    assert first.customer_id == second.customer_id
    assert {first.channel_account_id, second.channel_account_id} == {account.pk, other.pk}


def test_a_message_while_waiting_for_the_customer_opens_the_case_again(workspace_a, account):
    receive(account, dm("m1"))
    (case,) = cases(workspace_a)
    services.case_status_set(case=case, status=CaseStatus.PENDING_CUSTOMER)
    receive(account, dm("m2", at=later(1)))
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not case.reopened


def test_a_resolved_case_reopens_on_a_new_message(workspace_a, account):
    receive(account, dm("m1"))
    (case,) = cases(workspace_a)
    services.case_resolve(case=case)
    receive(account, dm("m2", at=later(60), text="It broke again"))
    assert len(cases(workspace_a)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.reopened and case.reopen_count == 1
    assert case.resolved_at is None
    assert CaseEvent.objects.filter(case=case, kind="reopened").exists()


def test_a_closed_case_stays_closed_and_a_new_one_starts(workspace_a, account):
    receive(account, dm("m1"))
    (case,) = cases(workspace_a)
    services.case_status_set(case=case, status=CaseStatus.CLOSED)
    receive(account, dm("m2", at=later(60)))
    old, new = cases(workspace_a)
    assert old.status == CaseStatus.CLOSED and old.messages.count() == 1
    assert new.status == CaseStatus.NEW and new.messages.get().external_id == "m2"


def test_a_redelivered_message_is_stored_once(workspace_a, account):
    receive(account, dm("m1"))
    receive(account, dm("m1"))
    receive(account, dm("m1"), dm("m1"))
    assert Message.objects.filter(workspace=workspace_a).count() == 1
    assert len(cases(workspace_a)) == 1


def test_a_redelivered_message_does_not_reopen_a_resolved_case(workspace_a, account):
    receive(account, dm("m1"))
    (case,) = cases(workspace_a)
    services.case_resolve(case=case)
    receive(account, dm("m1"))
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_the_same_external_id_in_two_workspaces_is_two_messages(workspace_a, workspace_b, account):
    receive(account, dm("m1"))
    receive(make_account(workspace_b), dm("m1"))
    assert Message.objects.count() == 2
    assert Case.objects.filter(workspace=workspace_b).count() == 1


def test_public_posts_and_comments_are_left_to_listening(workspace_a, account):
    receive(account, dm("p1", kind=ItemKind.POST), dm("c1", kind=ItemKind.COMMENT))
    assert cases(workspace_a) == []


def test_an_email_thread_keeps_its_subject_and_thread(workspace_a):
    mailbox = make_account(workspace_a, platform="email", handle="care@brand.example")
    receive(
        mailbox,
        dm(
            "<q1@mail.example>",
            kind=ItemKind.EMAIL,
            platform="email",
            subject="Broken kettle",
            thread_id="<q1@mail.example>",
        ),
    )
    (case,) = cases(workspace_a)
    assert case.channel_kind == ChannelKind.EMAIL
    assert case.subject == "Broken kettle"
    assert case.thread_id == "<q1@mail.example>"
    assert Identity.objects.get(profile=case.customer).email == "ana@mail.example"


def test_an_email_from_a_known_address_finds_the_known_customer(workspace_a, member):
    from cxm.customers.services import identity_link

    mailbox = make_account(workspace_a, platform="email", handle="care@brand.example")
    receive(make_account(workspace_a, handle="@shop@social.example"), dm("m1", author="ana"))
    known = Case.objects.get().customer
    # An agent recorded Ana's email on her profile, from a form she filled in.
    identity_link(
        workspace=workspace_a, profile=known, platform="shop", platform_id="42", email="ana@mail.example"
    )
    receive(mailbox, dm("<q1@mail.example>", kind=ItemKind.EMAIL, platform="email", author="ana"))
    email_case = Case.objects.get(channel_kind=ChannelKind.EMAIL)
    assert email_case.customer_id == known.pk


def test_items_from_a_sync_land_as_cases_with_the_cursor(workspace_a, account):
    """Through the channel layer: the registered sink runs in the transaction that saves the cursor."""

    class Connector:
        def __init__(self):
            self.calls = 0

        def fetch(self, cursor):
            self.calls += 1
            return FetchPage(items=[dm("m1"), dm("m2", at=later(1))], cursor={"since": "m2"})

    result = account_sync(account_id=account.pk, workspace_id=workspace_a.pk, connector=Connector())
    assert result.outcome == "ok"
    account.refresh_from_db()
    assert account.sync_cursor == {"since": "m2"}
    assert Case.objects.get(workspace=workspace_a).messages.count() == 2


def test_a_failing_case_intake_stores_neither_items_nor_cursor(workspace_a, account, monkeypatch):
    """Never dropped: if care cannot store the page, the cursor does not move and it is fetched again."""
    from care.services import intake

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(intake, "_file", broken)

    class Connector:
        def fetch(self, cursor):
            return FetchPage(items=[dm("m1")], cursor={"since": "m1"})

    with pytest.raises(RuntimeError):
        account_sync(account_id=account.pk, workspace_id=workspace_a.pk, connector=Connector())
    account.refresh_from_db()
    assert account.sync_cursor == {}
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_delivery_of_the_same_messages_stores_each_once(workspace_a):
    """Four workers deliver the same batch (a webhook retried while a poll overlaps) at once."""
    account = make_account(workspace_a)
    batch = [dm(f"m{n}", author=f"customer{n % 5}", at=T0 + timedelta(seconds=n)) for n in range(30)]
    errors = []
    start = threading.Barrier(4)

    def deliver():
        try:
            start.wait()
            receive(account, *batch)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Message.objects.filter(workspace=workspace_a).count() == 30
    # one case per customer, no empty case left behind by a losing worker
    assert Case.objects.filter(workspace=workspace_a).count() == 5
    assert not Case.objects.filter(workspace=workspace_a, messages__isnull=True).exists()
    for case in Case.objects.filter(workspace=workspace_a):
        assert case.messages.count() == 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_follow_ups_from_one_customer_share_one_case(workspace_a):
    account = make_account(workspace_a)
    errors = []
    start = threading.Barrier(6)

    def deliver(n):
        try:
            start.wait()
            receive(account, dm(f"m{n}", author="ana", at=T0 + timedelta(seconds=n)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (case,) = Case.objects.filter(workspace=workspace_a)
    assert case.messages.count() == 6
