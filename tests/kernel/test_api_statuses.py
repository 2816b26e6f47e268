"""The OpenAPI document lists every status an operation can answer, and the answers match it:
202 for work started in the background, 502 in the error shape when a platform refuses, 413 for
a body over the limit, and the list shapes of a case's messages and a customer's timeline."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.ads.stubs.sparse import sparse_ad_account_sync

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_the_statuses_any_request_can_get(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"400", "401", "413", "429", "503"} <= set(operation["responses"]), (method, path)


def test_work_started_in_the_background_is_documented_and_answered_as_202(document, admin_api, workspace_a):
    ad = sparse_ad_account_sync(workspace=workspace_a)
    assert "202" in document["paths"]["/api/v1/ads/accounts/{id}/sync/"]["post"]["responses"]
    assert "202" in document["paths"]["/api/v1/ads/campaigns/{id}/launch/"]["post"]["responses"]
    response = admin_api.post(f"/api/v1/ads/accounts/{ad.campaign.account_id}/sync/")
    assert response.status_code == 202


def test_a_platform_refusal_is_documented_as_502_in_the_error_shape(document):
    # The answer itself: tests/ads/test_views.py::test_a_hide_meta_refuses_says_so_and_records_nothing.
    documented = document["paths"]["/api/v1/ads/comments/{id}/hide/"]["post"]["responses"]["502"]
    assert documented["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    assert "502" not in document["paths"]["/api/v1/brands/"]["post"]["responses"]


def test_a_customers_timeline_is_one_list_read_on_with_before(document, admin_api, workspace_a):
    operation = document["paths"]["/api/v1/customers/{id}/timeline/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["before"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_a_cases_messages_are_documented_as_the_cursor_page_they_are(document):
    schema = document["paths"]["/api/v1/cases/{id}/messages/"]["get"]["responses"]["200"]["content"]
    page = schema["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}
