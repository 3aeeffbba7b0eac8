"""Refusals of the hours app (certificates, issue #15 §3), each with a stable `code`
(docs/api.md)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError


class HoursError(DomainError):
    pass


class NoHours(HoursError):
    code = "no_hours"
    status = 409
    default_message = _(
        "There are no volunteer service hours in this period. Choose another period or "
        "organisation."
    )


class BadPeriod(HoursError):
    """The period cannot be certified; `fields` says which end is wrong."""

    code = "invalid_input"
    status = 400
    default_message = _("Choose a valid period.")


class NotGuardian(HoursError):
    """The requester is not a current guardian of the child (or the child is unknown): 404,
    so that ids of other families' children reveal nothing."""

    code = "not_guardian"
    status = 404
    default_message = _("No such child in your family.")


class GuardedHolder(HoursError):
    """A child kept by guardians: its certificates are asked for by a guardian."""

    code = "guarded_holder"
    status = 403
    default_message = _("A child's certificate is issued to its guardian.")


class CertificateLimit(HoursError):
    code = "rate_limited"
    status = 429
    default_message = _("You issued many certificates in the last hour. Please try again later.")


class HoursChanging(HoursError):
    code = "hours_changing"
    status = 409
    default_message = _("Your hours are changing right now. Please try again in a moment.")
