"""API tokens: issuing, checking, and ending them when the access behind them ends."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cxm.api.models import ApiToken
from cxm.audit.services import audit_record


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_expires_at(token: ApiToken) -> datetime | None:
    """When the token stops working under CXM_API_TOKEN_TTL_DAYS (None: no lifetime is set).

    Counted from its issue on every check, so setting a lifetime also ends older tokens."""
    days = settings.CXM_API_TOKEN_TTL_DAYS
    return token.created_at + timedelta(days=days) if days > 0 else None


def api_token_issue(*, user) -> str:
    """Create a token and return its key; the key is not stored and cannot be shown again."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, key_hash=token_hash(key), prefix=key[:8])
    return key


@dataclass(frozen=True)
class TokenCheck:
    user: object | None
    expired: bool = False


def api_token_check(*, key: str) -> TokenCheck:
    """The user a key stands for, or why it stands for no one (unknown, revoked or expired)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    if token is None or not token.user.is_active:
        return TokenCheck(user=None)
    now = timezone.now()
    expires_at = token_expires_at(token)
    if expires_at is not None and expires_at <= now:
        return TokenCheck(user=None, expired=True)
    # Touch at most once a minute so a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return TokenCheck(user=token.user)


def api_token_revoke(*, token: ApiToken, by, request=None) -> None:
    """The owner ends one of their tokens; it answers 401 from now on."""
    audit_record(
        workspace=None,
        actor=by,
        action="api_token.revoke",
        target=token.user,
        object_repr=f"{token.prefix}…",
        request=request,
    )
    token.delete()


def api_tokens_revoke_all(*, user, reason: str, workspace=None, by=None, request=None) -> int:
    """End every token of `user` (their password changed, a membership or the account ended)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    if deleted:
        audit_record(
            workspace=workspace,
            actor=by,
            action="api_token.revoke_all",
            target=user,
            object_repr=user.get_username(),
            after={"reason": reason, "tokens": deleted},
            request=request,
        )
    return deleted
