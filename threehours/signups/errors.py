from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound, PermissionDenied, RateLimited


class SignupError(DomainError):
    pass


class SignupNotFound(NotFound):
    default_message = _("No such registration.")


class PhoneNotBound(SignupError):
    code = "phone_not_bound"
    status = 400
    default_message = _(
        "Registration failed: no phone number is bound to your account. Bind one under "
        "Me → Phone number, then register again."
    )


class RegistrationClosed(SignupError):
    code = "registration_closed"
    status = 409
    default_message = _("Registration has closed for this activity.")


class ActivityFull(SignupError):
    code = "activity_full"
    status = 409
    default_message = _("This activity is full.")


class AlreadyRegistered(SignupError):
    code = "already_registered"
    status = 409
    default_message = _("You have already registered for this activity.")


class CancellationClosed(SignupError):
    code = "cancellation_closed"
    status = 409
    default_message = _(
        "Registration for this activity closed on %(deadline)s; it can no longer be cancelled "
        "here. Please tell the organiser (%(contact)s)."
    )


class SignupWrongState(SignupError):
    code = "wrong_state"
    status = 409
    default_message = _("This registration is %(status)s; this cannot be done now.")


class Attended(SignupError):
    code = "attended"
    status = 409
    default_message = _(
        "This registration has attendance on record, so it cannot be cancelled or removed. "
        "Staff can correct the hours instead."
    )


class ChildAgeOutOfRange(SignupError):
    code = "child_age_out_of_range"
    status = 400
    default_message = _(
        "%(name)s will be %(age)s on the first day of the activity; it welcomes children aged "
        "%(range)s."
    )


class CommitmentRequired(SignupError):
    code = "commitment_required"
    status = 400
    default_message = _("Please read the registration commitment and confirm that you agree to it.")


class ChildAlreadyRegistered(SignupError):
    code = "child_already_registered"
    status = 409
    default_message = _(
        "%(name)s is already registered for this activity (perhaps by the other guardian)."
    )


class AccountClosing(SignupError):
    """The account asked to be closed (注销, issue #16 §3): it cannot register meanwhile."""

    code = "account_closing"
    status = 409
    default_message = _(
        "Your account is being closed on %(day)s, so you cannot register. To keep it, cancel the "
        "closing under Me → Personal information and privacy."
    )


# -- revealing a phone number (issue #16 §5) --


class PhoneRevealForbidden(PermissionDenied):
    code = "phone_reveal_forbidden"
    default_message = _("Only an administrator of the organisation can reveal a phone number.")


class PhoneNotFound(NotFound):
    code = "not_found"
    default_message = _("No such volunteer, or no phone number to show.")


class PhoneRevealLimited(RateLimited):
    code = "rate_limited"
    default_message = _(
        "You have revealed too many phone numbers in the last hour. Please try again later."
    )
