import pytest


@pytest.mark.django_db
def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ["/api/v1/auth/token/", "/api/v1/me/", "/api/v1/brands/", "/api/v1/members/{id}/"]:
        assert path in schema["paths"], path


@pytest.mark.django_db
def test_interactive_docs_load_their_assets_locally(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


@pytest.mark.django_db
def test_lists_are_cursor_paginated(api, workspace_a, member):
    from tests.factories import BrandFactory

    client = api(member(workspace_a))
    for n in range(7):
        BrandFactory(workspace=workspace_a, name=f"Brand {n:02}")
    first = client.get("/api/v1/brands/", {"page_size": 5}).json()
    assert len(first["results"]) == 5
    assert "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None
    names = {b["name"] for b in first["results"] + second["results"]}
    assert len(names) == 7


@pytest.mark.django_db
def test_json_bodies_are_held_to_the_document(api, workspace_a, member):
    client = api(member(workspace_a))
    # DRF alone would store the number 5 as the name "5" and 0 as "not a competitor".
    response = client.post("/api/v1/brands/", {"name": 5, "is_competitor": 0}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["name"] == ["Send text (a JSON string)."]
    assert fields["is_competitor"] == ["Send true or false."]
    # PostgreSQL cannot store U+0000; the field that holds it is named.
    response = client.post(
        "/api/v1/saved-searches/", {"name": "x", "params": {"q": "a\u0000b"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"params.q": ["Null characters (U+0000) are not allowed."]}
    assert client.post("/api/v1/brands/", {"name": "Kopi"}, format="json").status_code == 201
