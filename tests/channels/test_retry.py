"""One decision for every caller of a platform: wait what a 429 asks, back off on 5xx up to a cap,
give up on a refusal and after the last attempt."""

from __future__ import annotations

import httpx
import pytest

from cxm.channels.connectors.base import ConnectorError, NotSupported, raise_for_http_status
from cxm.channels.retry import AUTH, EXHAUSTED, RATE_LIMITED, REFUSED, TRANSIENT, RetryPolicy, retry_decision

STEADY = RetryPolicy(base=10.0, cap=60.0, max_attempts=6, jitter=False)


def error_of(status: int, headers: dict[str, str] | None = None) -> ConnectorError:
    response = httpx.Response(status, headers=headers, json={"error": "no"})
    with pytest.raises(ConnectorError) as raised:
        raise_for_http_status(response)
    return raised.value


def test_a_429_waits_as_long_as_its_retry_after_asks():
    decision = retry_decision(error_of(429, {"Retry-After": "120"}), 1, STEADY)
    assert (decision.retry, decision.after, decision.reason) == (True, 120.0, RATE_LIMITED)


def test_a_429_asking_less_than_the_backoff_waits_the_backoff():
    decision = retry_decision(error_of(429, {"Retry-After": "2"}), 4, STEADY)
    assert (decision.retry, decision.after) == (True, 60.0)


def test_5xx_backs_off_exponentially_up_to_the_cap():
    waits = [retry_decision(error_of(503), attempts, STEADY).after for attempts in range(1, 6)]
    assert waits == [10.0, 20.0, 40.0, 60.0, 60.0]
    assert retry_decision(error_of(500), 1, STEADY).reason == TRANSIENT


def test_jitter_waits_at_random_between_the_minimum_and_the_backoff():
    policy = RetryPolicy(base=10.0, cap=60.0, minimum=1.0)
    waits = {retry_decision(error_of(502), 3, policy).after for _ in range(200)}
    assert all(1.0 <= wait <= 40.0 for wait in waits)
    assert len(waits) > 1


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_a_permanent_4xx_gives_up_at_once(status):
    decision = retry_decision(error_of(status), 1, STEADY)
    assert (decision.retry, decision.after, decision.reason) == (False, 0.0, REFUSED)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_give_up_for_someone_to_re_authorise(status):
    assert retry_decision(error_of(status), 1, STEADY).reason == AUTH


def test_what_the_platform_cannot_do_is_not_tried_again():
    assert not retry_decision(NotSupported("no replies on RSS"), 1, STEADY).retry


def test_transient_failures_give_up_when_the_attempts_are_used_up():
    assert retry_decision(error_of(503), 5, STEADY).retry
    decision = retry_decision(error_of(503), 6, STEADY)
    assert (decision.retry, decision.reason) == (False, EXHAUSTED)


def test_rate_limits_use_up_the_attempts_unless_the_policy_waits_them_out():
    limited = error_of(429, {"Retry-After": "30"})
    assert retry_decision(limited, 6, STEADY).reason == EXHAUSTED
    patient = RetryPolicy(base=10.0, cap=60.0, max_attempts=6, jitter=False, rate_limits_give_up=False)
    decision = retry_decision(limited, 50, patient)
    assert (decision.retry, decision.after, decision.reason) == (True, 60.0, RATE_LIMITED)


def test_without_a_limit_transient_failures_are_retried_at_the_cap():
    endless = RetryPolicy(base=5.0, cap=1800.0, jitter=False)
    assert retry_decision(error_of(504), 100, endless).after == 1800.0
