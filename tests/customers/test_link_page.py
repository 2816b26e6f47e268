"""The customer panel's "link an identity" form: an agent records the phone number a customer gave
on Instagram, the customer's WhatsApp profile joins, and a number without its country code is
refused in place, in the agent's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from cxm.customers.models import CustomerMerge, Identity
from cxm.tenancy.models import Role
from tests.customers.conftest import profile

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(client, member, workspace_a):
    client.force_login(member(workspace_a, Role.AGENT).user)
    return client


@pytest.fixture
def ayu(workspace_a):
    return profile(workspace_a, "instagram", "17841400000000001", "Ayu")


def test_the_phone_recorded_on_her_instagram_identity_brings_in_her_whatsapp_profile(
    agent_client, workspace_a, ayu
):
    on_whatsapp = profile(workspace_a, "whatsapp", "+6281234567890", "Ayu WA")
    instagram = Identity.objects.get(platform="instagram")
    page = agent_client.get(f"/care/customers/{ayu.pk}/").content.decode()
    assert 'id="identity-link-form"' in page and f'value="{instagram.pk}"' in page

    panel = agent_client.post(
        f"/care/customers/{ayu.pk}/link/", {"identity": instagram.pk, "phone": "+62 812-3456-7890"}, **HTMX
    ).content.decode()

    # Her profile, the older one, now holds both and shows the number.
    assert f'data-profile-id="{ayu.pk}"' in panel
    assert 'data-platform="instagram"' in panel and 'data-platform="whatsapp"' in panel
    assert "+6281234567890" in panel and "same phone number" in panel
    merge = CustomerMerge.objects.get()
    assert (merge.source_id, merge.target_id) == (on_whatsapp.pk, ayu.pk)


def test_a_new_identity_is_linked_with_its_phone(agent_client, ayu):
    panel = agent_client.post(
        f"/care/customers/{ayu.pk}/link/",
        {"platform": "shop", "platform_id": "cust-42", "phone": "+62 21 555 0123"},
        **HTMX,
    ).content.decode()
    assert 'data-platform="shop"' in panel and '<span class="identity-phone"' in panel
    assert Identity.objects.get(platform="shop").phone == "+62215550123"


def test_a_number_with_a_leading_zero_is_refused_in_place_in_indonesian(agent_client, ayu):
    instagram = Identity.objects.get(platform="instagram")
    with translation.override("id"):
        response = agent_client.post(
            f"/care/customers/{ayu.pk}/link/",
            {"identity": instagram.pk, "phone": "0812-3456-7890"},
            HTTP_ACCEPT_LANGUAGE="id",
            **HTMX,
        )
    panel = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="phone"' in panel and "kode negara" in panel
    assert 'value="0812-3456-7890"' in panel  # what she typed stays, to be corrected
    assert Identity.objects.get(platform="instagram").phone == ""


def test_an_identity_needs_a_channel_and_id_or_something_to_record(agent_client, ayu):
    instagram = Identity.objects.get(platform="instagram")
    for posted in ({"platform": "shop"}, {"identity": instagram.pk}):
        panel = agent_client.post(f"/care/customers/{ayu.pk}/link/", posted, **HTMX).content.decode()
        assert 'class="form-error"' in panel
    assert Identity.objects.count() == 1


def test_another_workspaces_customer_cannot_be_linked_to(agent_client, workspace_b):
    foreign = profile(workspace_b, "instagram", "999", "Other")
    response = agent_client.post(
        f"/care/customers/{foreign.pk}/link/", {"platform": "shop", "platform_id": "1"}, **HTMX
    )
    assert response.status_code == 404
    assert not Identity.objects.filter(platform="shop").exists()


def test_an_analyst_cannot_link(client, member, workspace_a, ayu):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    response = client.post(f"/care/customers/{ayu.pk}/link/", {"platform": "shop", "platform_id": "1"})
    assert response.status_code == 403
    assert not Identity.objects.filter(platform="shop").exists()
