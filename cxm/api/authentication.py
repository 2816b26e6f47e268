from __future__ import annotations

from rest_framework import authentication, exceptions

from cxm.api.services import api_token_user


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's hash."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        user = api_token_user(key=key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return (user, key)
