"""/api/v1/customers/: search, read with identities, merge and undo, link, timeline."""

from __future__ import annotations

import pytest

from cxm.customers.models import CustomerProfile, Identity
from cxm.customers.services import AuthorKey, identities_resolve
from cxm.tenancy.models import Role

pytestmark = pytest.mark.django_db


def profile(workspace, platform, platform_id, name=""):
    resolved = identities_resolve(
        workspace_id=workspace.pk, authors=[AuthorKey(platform, platform_id, platform_id, name)]
    )
    return CustomerProfile.objects.get(pk=resolved[(platform, platform_id)].profile_id)


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
