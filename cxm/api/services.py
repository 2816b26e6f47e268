from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from cxm.api.models import ApiToken


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user) -> str:
    """Create a token and return its key; the key is not stored and cannot be shown again."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, key_hash=token_hash(key), prefix=key[:8])
    return key


def api_token_user(*, key: str):
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute so a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
