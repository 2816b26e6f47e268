"""/api/v1/customers/: search, read with identities, merge and undo, link, timeline."""

from __future__ import annotations

import pytest

from cxm.customers.models import Identity
from cxm.tenancy.models import Role
from tests.customers.conftest import profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(api, member, workspace_a):
    return api(member(workspace_a, Role.AGENT))


def test_search_and_read_with_identities(agent, workspace_a):
    ana = profile(workspace_a, "mastodon", "@ana@social.example", "Ana")
    profile(workspace_a, "mastodon", "@budi@social.example", "Budi")
    found = agent.get("/api/v1/customers/", {"q": "ana"}).json()["results"]
    assert [row["id"] for row in found] == [ana.pk]
    body = agent.get(f"/api/v1/customers/{ana.pk}/").json()
    assert body["identities"][0]["handle"] == "@ana@social.example"
    assert body["merges"] == []


def test_merge_and_undo(agent, workspace_a):
    target = profile(workspace_a, "mastodon", "1")
    source = profile(workspace_a, "email", "ana@mail.example")
    merged = agent.post(f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}, format="json")
    assert merged.status_code == 201, merged.content
    assert Identity.objects.filter(profile=target).count() == 2
    assert agent.get(f"/api/v1/customers/{source.pk}/").json()["merged_into"] == target.pk
    assert [row["id"] for row in agent.get("/api/v1/customers/").json()["results"]] == [target.pk]
    undone = agent.post(f"/api/v1/customers/{target.pk}/undo-merge/", {}, format="json")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert Identity.objects.filter(profile=source).count() == 1
    again = agent.post(f"/api/v1/customers/{target.pk}/undo-merge/", {}, format="json")
    assert again.status_code == 400


def test_link_an_identity_by_hand(agent, workspace_a):
    ana = profile(workspace_a, "mastodon", "1")
    response = agent.post(
        f"/api/v1/customers/{ana.pk}/link/",
        {"platform": "shop", "platform_id": "42", "email": "ana@mail.example"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ana@mail.example"


def test_timeline(agent, workspace_a):
    ana = profile(workspace_a, "mastodon", "1")
    assert agent.get(f"/api/v1/customers/{ana.pk}/timeline/").json() == []


def test_an_analyst_reads_but_does_not_merge(api, member, workspace_a):
    analyst = api(member(workspace_a, Role.ANALYST))
    a, b = profile(workspace_a, "mastodon", "1"), profile(workspace_a, "mastodon", "2")
    assert analyst.get(f"/api/v1/customers/{a.pk}/").status_code == 200
    assert (
        analyst.post(f"/api/v1/customers/{a.pk}/merge/", {"source": b.pk}, format="json").status_code == 403
    )


def test_another_workspaces_customer_answers_404_and_cannot_be_merged_in(agent, workspace_a, workspace_b):
    foreign = profile(workspace_b, "mastodon", "9")
    mine = profile(workspace_a, "mastodon", "1")
    assert agent.get(f"/api/v1/customers/{foreign.pk}/").status_code == 404
    assert (
        agent.post(f"/api/v1/customers/{foreign.pk}/merge/", {"source": mine.pk}, format="json").status_code
        == 404
    )
    response = agent.post(f"/api/v1/customers/{mine.pk}/merge/", {"source": foreign.pk}, format="json")
    assert response.status_code == 400 and "source" in response.json()["fields"]
    assert Identity.objects.get(platform_id="9").profile_id == foreign.pk


def test_link_records_a_phone_number_and_links_the_whatsapp_customer(agent, workspace_a):
    on_whatsapp = profile(workspace_a, "whatsapp", "+6281234567890", "Ayu")
    on_instagram = profile(workspace_a, "instagram", "17841400000000001", "ayu.id")
    response = agent.post(
        f"/api/v1/customers/{on_instagram.pk}/link/",
        {"platform": "instagram", "platform_id": "17841400000000001", "phone": "+62 812-3456-7890"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+6281234567890"
    body = agent.get(f"/api/v1/customers/{on_whatsapp.pk}/").json()
    assert {row["platform"]: row["phone"] for row in body["identities"]} == {
        "whatsapp": "+6281234567890",
        "instagram": "+6281234567890",
    }
    assert [merge["reason"] for merge in body["merges"]] == ["same phone number"]
    assert agent.post(f"/api/v1/customers/{on_whatsapp.pk}/undo-merge/", {}, format="json").status_code == 200
    assert Identity.objects.get(platform="instagram").profile_id == on_instagram.pk


def test_a_phone_number_without_its_country_code_answers_400(agent, workspace_a):
    ana = profile(workspace_a, "instagram", "17841400000000001")
    response = agent.post(
        f"/api/v1/customers/{ana.pk}/link/",
        {"platform": "instagram", "platform_id": "17841400000000001", "phone": "0812-3456-7890"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert "leading 0" in body["fields"]["phone"][0]
    assert Identity.objects.get(platform="instagram").phone == ""
