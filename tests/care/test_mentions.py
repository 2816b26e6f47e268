"""Public mentions: the listening pipeline hands them over as values; the ones that name us and are
negative or ask a question become cases. An agent can also open a case from any mention."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care import services
from care.models import Case, ChannelKind, Message
from tests.care.conftest import make_account

pytestmark = pytest.mark.django_db


def mention(external_id, text, **extra):
    return {
        "platform": "mastodon",
        "external_id": str(external_id),
        "text": text,
        "created_at": "2026-11-23T09:00:00Z",
        "url": f"https://social.example/@budi/{external_id}",
        "author": {"id": "77", "handle": "@budi@social.example", "name": "Budi"},
        **extra,
    }


@pytest.fixture
def brand_account(workspace_a):
    return make_account(workspace_a, handle="@kopi@social.example")


def test_a_question_naming_our_handle_opens_a_case(workspace_a, brand_account):
    ids = services.cases_open_from_mentions(
        workspace_id=workspace_a.pk,
        mentions=[mention(1, "@kopi when does the Jakarta store open?", account_id=brand_account.pk)],
    )
    (case,) = Case.objects.filter(pk__in=ids)
    assert case.channel_kind == ChannelKind.PUBLIC
    assert case.channel_account == brand_account
    assert case.messages.get().url == "https://social.example/@budi/1"


def test_a_negative_mention_naming_us_opens_a_case(workspace_a, brand_account):
    ids = services.cases_open_from_mentions(
        workspace_id=workspace_a.pk,
        mentions=[mention(2, "Worst coffee ever @kopi@social.example", sentiment="negative")],
    )
    assert len(ids) == 1


@pytest.mark.parametrize(
    "item",
    [
        mention(3, "@kopi your new blend is lovely", sentiment="positive"),  # names us, happy, no question
        mention(4, "Why is coffee so expensive these days?", sentiment="negative"),  # does not name us
        mention(5, "@kopiluwak is a different shop, is it open?"),  # a longer handle is not ours
    ],
)
def test_mentions_that_need_no_care_are_left_alone(workspace_a, brand_account, item):
    assert services.cases_open_from_mentions(workspace_id=workspace_a.pk, mentions=[item]) == []
    assert not Case.objects.exists()


def test_the_same_mention_handed_over_twice_is_one_message(workspace_a, brand_account):
    item = mention(6, "@kopi is the app down?")
    first = services.cases_open_from_mentions(workspace_id=workspace_a.pk, mentions=[item])
    second = services.cases_open_from_mentions(workspace_id=workspace_a.pk, mentions=[item])
    assert first == second
    assert Message.objects.count() == 1


def test_a_follow_up_mention_joins_the_customers_open_public_case(workspace_a, brand_account):
    services.cases_open_from_mentions(
        workspace_id=workspace_a.pk, mentions=[mention(7, "@kopi is the app down?")]
    )
    services.cases_open_from_mentions(
        workspace_id=workspace_a.pk,
        mentions=[mention(8, "@kopi still down?! terrible", sentiment="negative")],
    )
    assert Case.objects.get().messages.count() == 2


def test_an_agent_opens_a_case_from_any_mention(workspace_a, member):
    agent = member(workspace_a, "agent").user
    case = services.case_open_from_mention(
        workspace=workspace_a, mention=mention(9, "Lovely latte art today"), by=agent
    )
    assert case.opened_by == agent
    assert case.messages.get().text == "Lovely latte art today"
    # opening it again returns the same case
    assert (
        services.case_open_from_mention(workspace=workspace_a, mention=mention(9, "Lovely latte art today"))
        == case
    )


def test_a_mention_without_its_id_is_refused(workspace_a):
    with pytest.raises(ValidationError) as error:
        services.case_open_from_mention(workspace=workspace_a, mention={"platform": "mastodon", "text": "hi"})
    assert "external_id" in error.value.message_dict


def test_an_account_of_another_workspace_is_ignored(workspace_a, workspace_b):
    foreign = make_account(workspace_b)
    case = services.case_open_from_mention(
        workspace=workspace_a, mention=mention(10, "hi", account_id=foreign.pk)
    )
    assert case.channel_account is None
