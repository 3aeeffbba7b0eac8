"""Family accounts (小宝) over the API (API.md "Family")."""

from __future__ import annotations

from ninja import Router

from .auth import token_auth

router = Router(tags=["family"], auth=token_auth)
