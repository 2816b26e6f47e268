"""How many queries a page or an API list takes, measured so that an N+1 shows: the same request
is counted with a few rows and again with more, and the count must not grow with the rows."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_of(request: Callable[[], object]) -> int:
    """The queries one call of `request` (a test-client GET answering 200) makes."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.status_code
    return len(captured)
