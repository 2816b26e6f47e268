"""What the tests of a connect-by-signing-in flow ("Connect X", "Connect YouTube") share: the
messages an answer leaves, the browser's return to the callback, and an account's credentials as
the database holds them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.contrib.messages import get_messages
from django.db import connection


def messages_of(answer) -> list[str]:
    return [str(m) for m in get_messages(answer.wsgi_request)]


def start(client, provider: str, **query) -> str:
    """Press "Connect <platform>": the consent page's address the browser is sent to."""
    answer = client.get(f"/admin/accounts/connect/{provider}/", query)
    assert answer.status_code == 302, answer.content.decode()[:500]
    return answer["Location"]


def come_back(client, callback_url: str):
    """The platform sends the browser back to `callback_url` (ours, with its query)."""
    parts = urlsplit(callback_url)
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def raw_credentials(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials::text FROM channels_channelaccount WHERE id = %s", [pk])
        return cursor.fetchone()[0]
