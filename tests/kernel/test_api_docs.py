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
