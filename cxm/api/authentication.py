from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from cxm.api.services import api_token_check


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's hash."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        check = api_token_check(key=key)
        if check.expired:
            raise exceptions.AuthenticationFailed(_("This token has expired; request a new one."))
        if check.user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return (check.user, key)
