"""Conflicts between transactions: told apart from outages, and retried where safe.

PostgreSQL breaks a deadlock (SQLSTATE 40P01) or a serialization failure (40001) by rolling one
transaction back. Nothing is lost and the same work usually succeeds when run again, so a service
retries it a few times; one that still fails answers 409 `write_conflict`, never "unavailable".

A create that loses a race on a unique constraint (two requests saving the same name at the same
moment, both having checked that it was free) is not retried: the loser raises `UniqueConflict`,
a validation error that a form shows in place and the API answers as 409 `duplicate`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})
CONFLICT_ATTEMPTS = 3


def is_transient_conflict(exc: BaseException | None) -> bool:
    """A deadlock or serialization failure, raised by psycopg or wrapped by Django."""
    while exc is not None:
        if getattr(exc, "sqlstate", None) in CONFLICT_SQLSTATES:
            return True
        exc = exc.__cause__
    return False


def conflict_retried(work: Callable[[], T], *, attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run `work` (which opens its own transaction) again after a deadlock or serialization
    failure, up to `attempts` times in all, with a short random pause so the two sides do not
    meet again. Inside a caller's transaction nothing can be retried: the conflict aborted the
    caller's work too, so it is raised at once."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if not is_transient_conflict(exc) or attempt == attempts or connection.in_atomic_block:
                raise
            logger.info("transient conflict, attempt %s of %s: %s", attempt, attempts, exc)
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 (jitter, not a secret)
    raise AssertionError("unreachable")


class UniqueConflict(ValidationError):
    """The row this write would create exists already: another request created it a moment ago,
    after this one had checked. Its messages are keyed by field, like any validation error."""


def unique_violation(exc: BaseException | None, constraint: str) -> bool:
    """Whether `exc` (or what it wraps) is PostgreSQL refusing a row under `constraint`."""
    while exc is not None:
        diag = getattr(exc, "diag", None)
        if getattr(exc, "sqlstate", None) == "23505" and getattr(diag, "constraint_name", None) == constraint:
            return True
        exc = exc.__cause__
    return False


@contextmanager
def created_once(constraint: str, errors: Mapping[str, str]) -> Iterator[None]:
    """Run a create in a savepoint; if it breaks `constraint`, raise `UniqueConflict(errors)`.

    The unique constraint decides, not the `exists()` checked before: that check gives the usual
    answer, this one the answer to the same request sent twice at once."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if not unique_violation(exc, constraint):
            raise
        raise UniqueConflict(dict(errors)) from exc
