"""Refusals of the privacy services (issue #16 §§2–3), each with a stable code for the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound


class PrivacyError(DomainError):
    pass


class DataExportPending(PrivacyError):
    code = "data_export_pending"
    status = 409
    default_message = _(
        "A download of your data is already being prepared. It will appear on this page when it "
        "is ready."
    )


class DataExportLimit(PrivacyError):
    code = "data_export_limit"
    status = 429
    default_message = _(
        "You have asked for %(limit)s downloads of your data today, the most allowed per day. "
        "Please try again tomorrow."
    )


class DataExportNotFound(NotFound):
    default_message = _("No such data download.")


class ClosureAlreadyRequested(PrivacyError):
    code = "closure_requested"
    status = 409
    default_message = _(
        "Closing this account has already been requested; it takes effect on %(day)s."
    )


class ClosureNotFound(NotFound):
    default_message = _("This account has no closing in progress.")


class OnlyAdministrator(PrivacyError):
    code = "closure_only_admin"
    status = 409
    default_message = _(
        "You are the only administrator of %(organisations)s. Make another staff member an "
        "administrator first, then close your account."
    )


class AccountClosed(PrivacyError):
    code = "account_closed"
    status = 409
    default_message = _("This account is closed.")
