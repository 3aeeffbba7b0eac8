"""DomainError: the one exception type that services raise for a refused request.

Every subclass carries a stable `code` (docs/api.md error body), an HTTP status for the API and a
translated `message`. Views show the message; the API maps it to `{"code", "message", "fields"}`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _("The request cannot be carried out.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        **params: Any,
    ) -> None:
        self._message = message if message is not None else self.default_message
        self.fields = fields
        self.retry_after = retry_after
        self.params = params
        super().__init__(str(self.code))

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(DomainError):
    """Field-level validation failure; `fields` maps a field name to its messages."""

    code = "invalid_input"
    status = 400
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("You are not allowed to do this.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many attempts. Please try again later.")
