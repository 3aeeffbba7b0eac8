from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError


class AccountError(DomainError):
    pass


class InvalidPhone(AccountError):
    code = "invalid_phone"
    default_message = _("Please enter a valid 11-digit mainland mobile number.")


class SmsTooFrequent(AccountError):
    code = "sms_too_frequent"
    status = 429
    default_message = _("A code was sent less than %(seconds)s seconds ago. Please wait.")


class SmsDailyCapReached(AccountError):
    code = "sms_daily_cap"
    status = 429
    default_message = _("Too many codes were requested today. Please try again tomorrow.")


class BadSmsCode(AccountError):
    code = "bad_code"
    default_message = _("The verification code is wrong.")


class SmsCodeExpired(AccountError):
    code = "code_expired"
    default_message = _(
        "The verification code has expired or was already used. Please request a new one."
    )


class SmsCodeExhausted(AccountError):
    code = "too_many_wrong_codes"
    status = 429
    default_message = _("Too many wrong codes. Please request a new code.")


class InvalidCredentials(AccountError):
    code = "invalid_credentials"
    status = 401
    default_message = _("The e-mail address or the password is wrong.")


class AccountLocked(AccountError):
    code = "account_locked"
    status = 429
    default_message = _("Too many failed log-ins. Try again in %(minutes)s minutes.")


class EmailNotVerified(AccountError):
    code = "email_not_verified"
    status = 403
    default_message = _("Please verify your e-mail address first: we sent you a link.")


class EmailTaken(AccountError):
    code = "email_taken"
    status = 409
    default_message = _("An account with this e-mail address exists already.")


class AccountInactive(AccountError):
    code = "account_inactive"
    status = 403
    default_message = _("This account is disabled.")


class BadLinkToken(AccountError):
    code = "bad_token"
    default_message = _("This link is invalid or has expired.")


class InvalidIdNumber(AccountError):
    code = "invalid_id_number"
    default_message = _("The ID number is not valid: please check every digit.")


class IdNumberTaken(AccountError):
    code = "id_number_taken"
    status = 409
    default_message = _("This ID number is already used by another account.")


class PhoneAlreadyBound(AccountError):
    code = "phone_already_bound"
    status = 409
    default_message = _("Your account already has a phone number.")


class PhoneTaken(AccountError):
    code = "phone_taken"
    status = 409
    default_message = _("This phone number belongs to another account.")


class CannotDisableOperator(AccountError):
    """Issue #16 §6: operators are disabled by whoever runs the platform, not from the console."""

    code = "cannot_disable_operator"
    status = 403
    default_message = _("Operators cannot disable themselves or another operator.")


class AccountWrongState(AccountError):
    code = "account_wrong_state"
    status = 409
    default_message = _("This account is %(state)s.")


class ConsentRequired(AccountError):
    code = "consent_required"
    default_message = _("Your consent is needed first: %(what)s.")


class ConsentVersionOutdated(AccountError):
    code = "consent_version_outdated"
    default_message = _(
        "This is not the current version of “%(kind)s”: the current version is %(version)s."
    )


class InvalidKind(AccountError):
    code = "invalid_kind"
    default_message = _("Unknown kind of consent.")


class ConsentNotWithdrawable(AccountError):
    code = "consent_not_withdrawable"
    default_message = _(
        "The user agreement and the privacy policy cannot be withdrawn alone: close the "
        "account instead."
    )


class AccountClosing(AccountError):
    code = "account_closing"
    status = 403
    default_message = _(
        "This account is being closed on %(date)s. Log in and choose “Cancel closing” to keep it."
    )


class AccountClosed(AccountError):
    code = "account_closed"
    status = 403
    default_message = _("This account was closed.")


class PolicyPublished(AccountError):
    code = "policy_published"
    status = 409
    default_message = _("A published version cannot be changed: write a new version instead.")
