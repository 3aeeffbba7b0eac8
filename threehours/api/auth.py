from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from threehours.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; sets request.user and request.api_token."""

    def authenticate(self, request: HttpRequest, token: str):
        found = token_authenticate(token)
        if found is None:
            return None
        request.user, request.api_token = found
        return request.user


token_auth = TokenAuth()
