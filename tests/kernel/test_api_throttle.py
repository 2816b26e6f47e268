"""API rate limits: over the rate, the API answers 429 with Retry-After in its usual error shape."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from cxm.tenancy.models import Role


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": "1000/minute", "anon": "1000/minute", **rates},
        }
    )


def test_throttling_is_on_with_rates_from_the_environment():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "cxm.api.throttling.UserRateThrottle",
        "cxm.api.throttling.AnonRateThrottle",
    ]
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"user", "anon"}


@pytest.mark.django_db
def test_a_token_over_its_rate_gets_429_with_retry_after(api, workspace_a, member):
    membership = member(workspace_a, Role.ANALYST)
    client = api(membership)
    cache.delete(f"throttle_user_{membership.user.pk}")
    with _rates(user="3/minute"):
        statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
        response = client.get("/api/v1/me/")
    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["status"] == 429
    assert body["code"] == "throttled"
    assert "Request was throttled" in body["detail"]


@pytest.mark.django_db
def test_anonymous_callers_are_limited_per_address(client):
    address = "192.0.2.44"
    cache.delete(f"throttle_anon_{address}")
    with _rates(anon="2/minute"):
        statuses = [
            client.post(
                "/api/v1/auth/token/", {"username": "x", "password": "y"}, REMOTE_ADDR=address
            ).status_code
            for _ in range(3)
        ]
        response = client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, REMOTE_ADDR=address)
    assert statuses == [400, 400, 429]
    assert response.status_code == 429
    assert response["Retry-After"]
    assert response.json()["code"] == "throttled"
