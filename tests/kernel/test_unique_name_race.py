"""Two requests creating a topic, a brand or a business unit with the same name at the same
moment: one is saved, the other answers 409 in the error shape (a form error on a page), never 500."""

from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from cxm.tenancy.models import Brand, BusinessUnit, Role
from listening.models import Topic
from tests.concurrency import at_once, meeting_point

pytestmark = pytest.mark.django_db(transaction=True)

CREATES = [
    ("/api/v1/topics/", {"name": "Kopi", "query": "kopi"}, Topic, "A topic with this name already exists."),
    ("/api/v1/brands/", {"name": "Kopi"}, Brand, "A brand with this name already exists."),
    (
        "/api/v1/business-units/",
        {"name": "Kopi"},
        BusinessUnit,
        "A business unit with this name already exists.",
    ),
]


@pytest.mark.parametrize(("url", "body", "model", "message"), CREATES)
def test_the_same_name_created_twice_at_once_answers_409_to_one(
    api, member, workspace_a, monkeypatch, url, body, model, message
):
    clients = [api(member(workspace_a, Role.ADMIN)) for _ in range(2)]
    # Both requests have checked that the name is free before either saves it.
    meeting_point(model.objects, "create", 2, monkeypatch)

    responses = at_once(*[lambda c=c: c.post(url, body, format="json") for c in clients])

    assert sorted(r.status_code for r in responses) == [201, 409]
    (lost,) = [r for r in responses if r.status_code == 409]
    assert lost.json() == {
        "status": 409,
        "code": "duplicate",
        "detail": "Another request saved the same name at the same moment; nothing of this one was kept.",
        "fields": {"name": [message]},
    }
    assert model.objects.filter(workspace=workspace_a, name="Kopi").count() == 1


def test_the_same_brand_added_twice_at_once_on_the_page_shows_a_form_error(member, workspace_a, monkeypatch):
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(member(workspace_a, Role.ADMIN).user)
        clients.append(client)
    meeting_point(Brand.objects, "create", 2, monkeypatch)
    form = {"kind": "brand", "brand-name": "Kopi"}

    responses = at_once(*[lambda c=c: c.post("/admin/structure/", form) for c in clients])

    assert sorted(r.status_code for r in responses) == [200, 302]
    (page,) = [r for r in responses if r.status_code == 200]
    assert "A brand with this name already exists." in page.content.decode()
    assert Brand.objects.filter(workspace=workspace_a, name="Kopi").count() == 1


def test_the_creates_document_the_409():
    document = SchemaGenerator().get_schema(request=None, public=True)
    for url, *_ in CREATES:
        assert "`duplicate`" in document["paths"][url]["post"]["responses"]["409"]["description"]
    assert (
        "`duplicate`"
        not in document["paths"]["/api/v1/brands/{id}/"]["patch"]["responses"]["409"]["description"]
    )
