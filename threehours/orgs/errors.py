from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound, PermissionDenied


class OrgError(DomainError):
    pass


class OrgNotFound(NotFound):
    code = "not_found"
    default_message = _("No such organisation.")


class NotAllowed(PermissionDenied):
    code = "forbidden"
    default_message = _("Your role in this organisation does not allow this.")


class WrongState(OrgError):
    code = "wrong_state"
    status = 409
    default_message = _("This cannot be done while the application is %(state)s.")


class ApplicationExists(OrgError):
    code = "application_exists"
    status = 409
    default_message = _("You already have an application in progress.")


class MissingQualification(OrgError):
    code = "missing_qualification"
    default_message = _("Please upload the qualification file your category needs: %(kind)s.")


class InvalidCreditCode(OrgError):
    code = "invalid_credit_code"
    default_message = _(
        "The unified social credit code is not valid: please check all 18 characters."
    )


class ReasonRequired(OrgError):
    code = "reason_required"
    default_message = _("Please give a reason.")


class TooManyFiles(OrgError):
    code = "too_many_files"
    default_message = _("At most %(max)s files per application.")


class InvitationInvalid(OrgError):
    code = "invitation_invalid"
    default_message = _("This invitation is invalid, expired or already used.")


class InvitationWrongAccount(OrgError):
    code = "invitation_wrong_account"
    status = 403
    default_message = _(
        "This invitation was sent to another e-mail address. Log in with that address to accept it."
    )


class LastAdmin(OrgError):
    code = "last_admin"
    status = 409
    default_message = _("An organisation needs at least one administrator.")


class AlreadyMember(OrgError):
    code = "already_member"
    status = 409
    default_message = _("This person is already on the staff.")


class EmailNotVerifiedForApply(OrgError):
    code = "email_not_verified"
    status = 403
    default_message = _(
        "To apply, log in with your organisation's verified e-mail account "
        "(register one under “Register your organisation”)."
    )


class RenewalPending(OrgError):
    code = "renewal_pending"
    status = 409
    default_message = _("A renewed certificate is already waiting for review.")


class OrgSuspended(OrgError):
    code = "org_suspended"
    status = 403
    default_message = _("This organisation is suspended: %(reason)s")
