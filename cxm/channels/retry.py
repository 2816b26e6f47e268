"""Whether and when a failed call to a platform is tried again: one decision for every caller.

A connector says what went wrong by the class of error it raises (`RateLimited` with the wait
the platform asked for, `TransientError`, `AuthError`, `PermanentError`...). Whoever made the call
(an account sync, a publish, a care reply, an ad push or stop, an alert's webhook) hands that error
and the number of attempts made so far, the failed one included, to `retry_decision` with its own
`RetryPolicy`, and records what comes back: try again in so many seconds, or give up and why.

- A rate limit waits what the platform asked, or the backoff when that is longer, so limits that
  keep coming spread out like other failures.
- Timeouts, connection errors and 5xx wait the backoff: `base` seconds after the first attempt,
  doubling up to `cap`; with `jitter` a random wait up to that, so a crowd of retries spreads out.
- Either gives up once `max_attempts` attempts were made (a rate limit only if the policy says so).
- Refused credentials give up (someone has to re-authorise), and so does any other refusal:
  trying again unchanged would fail the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cxm.channels.connectors.base import AuthError, ConnectorError, RateLimited, TransientError

# Why a decision says what it says.
RATE_LIMITED = "rate_limited"
TRANSIENT = "transient"
EXHAUSTED = "exhausted"  # transient failures, as many times as the policy allows
AUTH = "auth"
REFUSED = "refused"


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 2.0  # seconds: the backoff after the first attempt
    cap: float = 300.0  # the longest backoff
    max_attempts: int | None = None  # give up after this many attempts; None: never
    rate_limits_give_up: bool = True  # False: a rate limit is waited out however often it comes
    jitter: bool = True  # full jitter: a random wait between `minimum` and the backoff
    minimum: float = 1.0  # the shortest wait

    def backoff(self, attempts: int) -> float:
        """The wait after `attempts` attempts (1 for the first): `base`, doubling, at most `cap`."""
        ceiling = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        wait = random.uniform(0, ceiling) if self.jitter else ceiling  # noqa: S311 (jitter, not crypto)
        return max(self.minimum, wait)

    def exhausted(self, attempts: int) -> bool:
        return self.max_attempts is not None and attempts >= self.max_attempts


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    after: float  # seconds to wait before the next attempt; 0 when giving up
    reason: str  # RATE_LIMITED, TRANSIENT, EXHAUSTED, AUTH or REFUSED


def retry_decision(error: ConnectorError, attempts: int, policy: RetryPolicy | None = None) -> RetryDecision:
    """What to do after `error` ended the `attempts`-th attempt (1 for the first)."""
    policy = policy or RetryPolicy()
    if isinstance(error, RateLimited):
        if policy.rate_limits_give_up and policy.exhausted(attempts):
            return RetryDecision(retry=False, after=0.0, reason=EXHAUSTED)
        wait = max(error.retry_after, policy.backoff(attempts))
        return RetryDecision(retry=True, after=wait, reason=RATE_LIMITED)
    if isinstance(error, TransientError):
        if policy.exhausted(attempts):
            return RetryDecision(retry=False, after=0.0, reason=EXHAUSTED)
        return RetryDecision(retry=True, after=policy.backoff(attempts), reason=TRANSIENT)
    if isinstance(error, AuthError):
        return RetryDecision(retry=False, after=0.0, reason=AUTH)
    return RetryDecision(retry=False, after=0.0, reason=REFUSED)
