"""Input a fuzzer or a careless client sends never costs a 500 or an HTML page: every answer under
/api/ is the JSON error shape with a documented status, naming what to fix."""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from cxm.api.contract import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = "99999999999999999999"


@pytest.fixture
def admin(workspace_a, member, api):
    client = api(member(workspace_a, "admin"))
    client.raise_request_exception = False  # a server error must show as the 500 a client gets
    return client


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["code"] and body["detail"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cases/{BEYOND_BIGINT}/",
        f"/api/v1/brands/{BEYOND_BIGINT}/",
        f"/api/v1/ads/ads/{BEYOND_BIGINT}/",
        f"/api/v1/mentions/{BEYOND_BIGINT}/",
        f"/api/v1/customers/{BEYOND_BIGINT}/timeline/",
    ],
)
def test_an_id_beyond_the_integer_range_is_not_found(admin, path):
    _error(admin.get(path), 404)


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/mentions/", "brand"),
        ("/api/v1/cases/", "queue"),
        ("/api/v1/brands/", "business_unit"),
        ("/api/v1/ads/ads/", "campaign"),
    ],
)
def test_a_filter_value_beyond_the_integer_range_is_refused_by_name(admin, path, name):
    body = _error(admin.get(path, {name: BEYOND_BIGINT}), 400)
    assert list(body["fields"]) == [name]


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/mentions/", "/api/v1/brands/", "/api/v1/audit/"])
@pytest.mark.parametrize("size", ["0", "-1", "ten", "1.5"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused_by_name(admin, path, size):
    body = _error(admin.get(path, {"page_size": size}), 400)
    assert list(body["fields"]) == ["page_size"]


def test_a_mention_page_holds_up_to_200(admin):
    """docs/api.md: "A page of mentions (`GET /api/v1/mentions/`) holds up to 200"."""
    items = [
        {
            "platform": "mastodon",
            "external_id": f"page-{n}",
            "text": f"kopi enak {n}",
            "created_at": "2026-11-20T10:00:00Z",
            "author": {"handle": f"@fan{n}@example.social"},
        }
        for n in range(205)
    ]
    assert admin.post("/api/v1/mentions/", {"items": items}, format="json").status_code == 200
    response = admin.get("/api/v1/mentions/", {"page_size": "1000"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 200
    assert response.json()["next"]


@pytest.mark.parametrize(
    "path, params, name",
    [
        ("/api/v1/cases/", {"since": "xx"}, "since"),
        ("/api/v1/cases/", {"nonsense": "1"}, "nonsense"),
        ("/api/v1/brands/", {"q": "kopi"}, "q"),
        ("/api/v1/mentions/", {"page": "2"}, "page"),
        ("/api/v1/audit/", {"since": "yesterday"}, "since"),
        ("/api/v1/audit/", {"since": "2026-13-01"}, "since"),
        ("/api/v1/brands/", {"is_competitor": "maybe"}, "is_competitor"),
        ("/api/v1/ads/ads/", {"status": "RUNNING"}, "status"),
        ("/api/v1/ads/insights/", {"date_from": "soon"}, "date_from"),
    ],
)
def test_an_unknown_filter_or_an_unreadable_value_is_refused_by_name(admin, path, params, name):
    body = _error(admin.get(path, params), 400)
    assert list(body["fields"]) == [name]


def test_the_documented_filters_are_accepted(admin):
    assert admin.get("/api/v1/audit/", {"since": "2026-01-01T00:00:00Z", "page_size": "5"}).status_code == 200
    assert admin.get("/api/v1/cases/", {"q": "order", "view": "mine"}).status_code == 200


def test_json_nested_deeper_than_the_limit_is_refused(admin):
    deep = {"name": "Kopi"}
    for _ in range(MAX_JSON_DEPTH + 1):
        deep = {"inner": deep}
    body = _error(admin.post("/api/v1/brands/", deep, format="json"), 400)
    assert any("Nested deeper" in message for messages in body["fields"].values() for message in messages)


def test_json_nested_beyond_what_python_decodes_is_refused(admin):
    response = admin.post("/api/v1/brands/", "[" * 100_000 + "]" * 100_000, content_type="application/json")
    _error(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "Kopi \\ud800"}',
        '{"name": "Kopi", "\\udfff": 1}',
        '{"items": [{"text": "ok"}, {"text": "\\ud83d"}]}',
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_refused(admin, body):
    _error(admin.post("/api/v1/brands/", body, content_type="application/json"), 400)


def test_a_lone_surrogate_in_a_query_string_is_not_a_server_error(admin):
    response = admin.get("/api/v1/cases/?q=%ED%A0%80&tag=%ED%A0%80")
    assert response.status_code == 200


def test_a_body_over_the_limit_answers_413(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = _error(admin.post("/api/v1/brands/", {"name": "x" * 2000}, format="json"), 413)
    assert "1000" in body["detail"]


def test_a_body_sent_without_its_length_is_measured_as_it_is_read(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"name": "x" * 2000}).encode()
    response = admin.generic(
        "POST", "/api/v1/brands/", payload, content_type="application/json", CONTENT_LENGTH=""
    )
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")


def test_money_beyond_the_column_is_refused_by_name(admin):
    body = _error(
        admin.post("/api/v1/ads/campaigns/", {"name": "Big", "daily_budget": 10**30}, format="json"), 400
    )
    assert "daily_budget" in body["fields"]
    body = _error(
        admin.post(
            "/api/v1/ads/campaigns/",
            '{"name": "Big", "daily_budget": 1e400}',
            content_type="application/json",
        ),
        400,
    )
    assert "daily_budget" in body["fields"]


def test_the_roi_calculator_refuses_amounts_that_overflow(admin):
    case = {
        "benefits": [{"name": "Hours", "annual": [1e308, 1e308, 1e308], "risk": 0}],
        "costs": [{"name": "Licences", "initial": 1e308, "annual": [1, 1, 1], "risk": 0}],
    }
    body = _error(admin.post("/api/v1/transformation/roi/", case, format="json"), 400)
    assert {"benefits[0].annual[0]", "costs[0].initial"} <= set(body["fields"])


def test_the_roi_calculator_takes_the_largest_documented_amounts(admin):
    case = {
        "benefits": [{"name": "Hours", "annual": [10**15] * 3, "risk": 0}] * 50,
        "costs": [{"name": "Licences", "initial": 10**15, "annual": [10**15] * 3, "risk": 1}],
    }
    response = admin.post("/api/v1/transformation/roi/", case, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["pv_benefits"] > 10**16


def _documented_paths():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return sorted({path.replace("{id}", "1") for path in document["paths"]})


def test_options_on_every_route_answers_without_a_server_error(admin, workspace_a):
    for path in _documented_paths():
        response = admin.options(path)
        assert response.status_code < 500, (path, response.content[:300])
        assert response["Content-Type"].startswith("application/json"), path


def test_signing_in_with_a_null_character_shows_a_form_error(client):
    client.raise_request_exception = False
    response = client.post("/accounts/login/", {"username": "ana\x00", "password": "secret"})
    assert response.status_code == 200
    assert b"Null characters are not allowed" in response.content


@pytest.mark.django_db
def test_a_refused_parameter_is_explained_in_the_callers_language_and_no_other(api, workspace_a, member):
    client = api(member(workspace_a))

    indonesian = client.get("/api/v1/cases/?since=xx", HTTP_ACCEPT_LANGUAGE="id").json()
    english = client.get("/api/v1/cases/?since=xx", HTTP_ACCEPT_LANGUAGE="en").json()

    assert indonesian["fields"]["since"][0].startswith("Parameter tidak dikenal")
    assert indonesian["detail"] == "Beberapa isian tidak valid."
    assert english["fields"]["since"][0].startswith("Unknown parameter")
    assert english["detail"] == "Some fields are invalid."
