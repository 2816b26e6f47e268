"""The same phone number links a person's profiles: a WhatsApp number (its id) meets the number an
agent recorded on their Instagram identity, whichever comes first; the link is a merge that can be
undone; a number that cannot be made international is refused; workspaces never share evidence."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.models import Case
from cxm.customers import selectors, services
from cxm.customers.evidence import evidence_phone
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.customers.services import AuthorKey, identities_resolve
from tests.care.conftest import dm, later, make_account, receive
from tests.customers.conftest import AYU_PHONE, whatsapp_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def whatsapp(workspace_a):
    return make_account(workspace_a, platform="whatsapp", handle="106540352242922")


@pytest.fixture
def instagram(workspace_a):
    return make_account(workspace_a, platform="instagram", handle="brand.id")


def ayu_on_instagram(instagram) -> CustomerProfile:
    receive(instagram, dm("ig-1", author="ayu", platform="instagram", text="Is the blanket in stock?"))
    return Case.objects.get(platform="instagram").customer


def whatsapp_identity(workspace) -> Identity:
    return Identity.objects.get(workspace=workspace, platform="whatsapp")


def record_phone(profile, phone, platform="instagram", platform_id="id-ayu", **more):
    return services.identity_link(
        workspace=profile.workspace,
        profile=profile,
        platform=platform,
        platform_id=platform_id,
        phone=phone,
        **more,
    )


def test_a_whatsapp_identity_proves_its_own_number():
    assert evidence_phone("whatsapp", "+16505551234") == "+16505551234"
    assert evidence_phone("whatsapp", "16505551234") == "+16505551234"
    assert evidence_phone("instagram", "16505551234") == ""
    assert evidence_phone("whatsapp", "not-a-number") == ""


def test_a_whatsapp_message_stores_the_senders_number_on_the_identity(workspace_a, whatsapp):
    whatsapp_message(whatsapp)
    identity = whatsapp_identity(workspace_a)
    assert (identity.platform_id, identity.phone) == (AYU_PHONE, AYU_PHONE)


def test_a_number_recorded_on_instagram_brings_her_first_whatsapp_message_to_her_profile(
    workspace_a, whatsapp, instagram, member
):
    ayu = ayu_on_instagram(instagram)
    record_phone(ayu, "+62 812-3456-7890", by=member(workspace_a).user)
    assert Identity.objects.get(platform="instagram").phone == AYU_PHONE

    whatsapp_message(whatsapp)

    assert whatsapp_identity(workspace_a).profile == ayu
    assert Case.objects.get(platform="whatsapp").customer == ayu  # her cases, one customer
    merge = CustomerMerge.objects.get()
    assert (merge.target, merge.reason) == (ayu, "same phone number")
    assert merge.identity_ids == [whatsapp_identity(workspace_a).pk]

    services.customer_merge_undo(merge=merge)
    split_off = whatsapp_identity(workspace_a).profile
    assert split_off != ayu and split_off.merged_into is None


def test_recording_the_number_of_a_known_whatsapp_customer_links_the_two(workspace_a, whatsapp, instagram):
    whatsapp_message(whatsapp)  # she wrote on WhatsApp first: that profile is the older one
    on_whatsapp = whatsapp_identity(workspace_a).profile
    ayu = ayu_on_instagram(instagram)

    record_phone(ayu, "(+62) 812 3456 7890")

    ayu.refresh_from_db()
    assert ayu.merged_into == on_whatsapp  # the oldest profile survives
    assert set(Identity.objects.filter(profile=on_whatsapp).values_list("platform", flat=True)) == {
        "whatsapp",
        "instagram",
    }
    (merge,) = CustomerMerge.objects.all()
    assert merge.reason == "same phone number"
    services.customer_merge_undo(merge=merge)
    assert Identity.objects.get(platform="instagram").profile == ayu


def test_her_facebook_identity_joins_by_the_same_email(workspace_a, whatsapp, instagram):
    ayu = ayu_on_instagram(instagram)
    record_phone(ayu, "+62 812-3456-7890", email="ayu@mail.example")
    whatsapp_message(whatsapp)
    facebook = make_account(workspace_a, platform="facebook_page", handle="Brand")
    receive(facebook, dm("fb-1", author="ayu-fb", platform="facebook_page", at=later(5)))
    on_facebook = Case.objects.get(platform="facebook_page").customer
    assert on_facebook != ayu

    services.identity_link(
        workspace=workspace_a,
        profile=on_facebook,
        platform="facebook_page",
        platform_id="id-ayu-fb",
        email="Ayu@Mail.example",
    )

    assert set(Identity.objects.filter(profile=ayu).values_list("platform", flat=True)) == {
        "instagram",
        "whatsapp",
        "facebook_page",
    }
    assert sorted(CustomerMerge.objects.values_list("reason", flat=True)) == [
        "same email address",
        "same phone number",
    ]
    family = selectors.customer_profile_ids(workspace_id=workspace_a.pk, profile_id=ayu.pk)
    assert Case.objects.filter(customer_id__in=family).count() == 3
    assert list(selectors.customers_search(workspace=workspace_a)) == [ayu]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+62 812-3456-7890", AYU_PHONE),
        ("(+62) 812 3456 7890", AYU_PHONE),
        ("62 812 3456 7890", AYU_PHONE),
        ("+1 (650) 555-1234", "+16505551234"),
    ],
)
def test_a_typed_number_is_stored_in_international_form(workspace_a, instagram, typed, stored):
    identity = record_phone(ayu_on_instagram(instagram), typed)
    assert identity.phone == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("0812-3456-7890", "instead of the leading 0"),
        ("+62 812", "8 to 15 digits"),
        ("+62 812 3456 7890 1234", "8 to 15 digits"),
        ("call me", "8 to 15 digits"),
    ],
)
def test_a_number_that_cannot_be_made_international_is_refused(workspace_a, instagram, typed, says):
    ayu = ayu_on_instagram(instagram)
    with pytest.raises(ValidationError) as refused:
        record_phone(ayu, typed)
    (message,) = refused.value.message_dict["phone"]
    assert says in message and "country code" in message
    assert Identity.objects.get(platform="instagram").phone == ""


def test_a_whatsapp_identity_linked_by_hand_is_spelled_as_whatsapp_messages_spell_it(
    workspace_a, whatsapp, instagram
):
    ayu = ayu_on_instagram(instagram)
    services.identity_link(
        workspace=workspace_a, profile=ayu, platform="whatsapp", platform_id="+62 812 3456 7890"
    )
    whatsapp_message(whatsapp)
    assert whatsapp_identity(workspace_a).profile == ayu  # the same identity, not a second one
    with pytest.raises(ValidationError) as refused:
        services.identity_link(
            workspace=workspace_a, profile=ayu, platform="whatsapp", platform_id="0812345678"
        )
    assert "platform_id" in refused.value.message_dict


def test_the_same_number_in_another_workspace_links_nothing(workspace_a, workspace_b, whatsapp):
    elsewhere = ayu_on_instagram(make_account(workspace_b, platform="instagram", handle="other.brand"))
    record_phone(elsewhere, AYU_PHONE)

    whatsapp_message(whatsapp)

    assert whatsapp_identity(workspace_a).profile.workspace == workspace_a
    assert not CustomerMerge.objects.exists()
    assert Identity.objects.filter(profile=elsewhere).count() == 1
    # and the other way round: recording it there again does not reach into workspace A
    record_phone(elsewhere, AYU_PHONE)
    assert not CustomerMerge.objects.exists()


def test_only_new_identities_with_evidence_cost_a_lookup(workspace_a):
    def queries(authors):
        with CaptureQueriesContext(connection) as captured:
            identities_resolve(workspace_id=workspace_a.pk, authors=authors)
        return len(captured)

    instagram = [AuthorKey("instagram", f"ig-{n}", f"ig{n}") for n in range(3)]
    whatsapp = [AuthorKey("whatsapp", f"+628123456780{n}", f"+628123456780{n}") for n in range(3)]
    new_without_evidence = queries(instagram)
    assert queries(instagram) == 1  # known authors: one read, nothing else
    assert queries(whatsapp) == new_without_evidence + 1  # one lookup for the whole batch
    assert queries(whatsapp) == 1


def test_search_finds_a_customer_by_the_number_however_it_is_typed(workspace_a, instagram):
    ayu = ayu_on_instagram(instagram)
    record_phone(ayu, AYU_PHONE)

    def found(q):
        return list(selectors.customers_search(workspace=workspace_a, q=q))

    assert found("0812-3456-7890") == [ayu]
    assert found("+62 812 3456") == [ayu]
    assert found("0899") == []
