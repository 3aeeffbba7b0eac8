from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError


class FamilyError(DomainError):
    pass


class GuardianTooYoung(FamilyError):
    code = "guardian_too_young"
    default_message = _(
        "Only a guardian older than 22 can add children. Record your real name and ID number "
        "first (我的 → 实名信息): your age is read from it."
    )


class ChildTooOld(FamilyError):
    code = "child_too_old"
    default_message = _(
        "Only children younger than 18 can be added: at 18 they register with their own account."
    )


class ConsentRequired(FamilyError):
    code = "consent_required"
    default_message = _(
        "Please read and confirm the consent for your child's personal information."
    )


class ChildAlreadyInFamily(FamilyError):
    code = "child_already_in_family"
    status = 409
    default_message = _(
        "This ID number is already registered on the platform: a child belongs to one family "
        "only. The guardian who added the child can invite you as the second guardian."
    )


class ChildHasRecords(FamilyError):
    code = "child_has_records"
    status = 409
    default_message = _(
        "This child has registrations or service hours, which are kept: the child cannot be "
        "removed."
    )


class AlreadyGuardian(FamilyError):
    code = "already_guardian"
    status = 409
    default_message = _("This person is already a guardian of the child.")


class GuardiansFull(FamilyError):
    code = "guardians_full"
    status = 409
    default_message = _("A child has at most two guardians, and this child has both.")


class InvitationPending(FamilyError):
    code = "invitation_pending"
    status = 409
    default_message = _(
        "An invitation to this phone number is already waiting for an answer. Withdraw it first "
        "to send a new one."
    )


class InvitationNotFound(FamilyError):
    code = "not_found"
    status = 404
    default_message = _("No such invitation.")


class InvitationClosed(FamilyError):
    code = "invitation_closed"
    status = 409
    default_message = _("This invitation was already answered or withdrawn.")


class InvitationExpired(FamilyError):
    code = "invitation_expired"
    status = 409
    default_message = _(
        "This invitation has expired. Ask the guardian who sent it to invite you again."
    )


# --- the hand-over at 18 (family.services.claim) ----------------------------------------------


class ClaimNotFound(FamilyError):
    # One answer for an unknown number, an adult's and a record already claimed: the page
    # never tells whether a number is on the platform.
    code = "claim_not_found"
    default_message = _(
        "No record to hand over was found for this ID number. Check the number, or ask your "
        "parents whether they added you under 我的小宝."
    )


class ClaimTooYoung(FamilyError):
    code = "claim_too_young"
    default_message = _(
        "You can take over your record from your 18th birthday on. Until then your guardians "
        "keep it for you."
    )


class ClaimAccountHasRecords(FamilyError):
    code = "claim_account_has_records"
    status = 409
    default_message = _(
        "This account is already in use (real name, e-mail, registrations, hours or an "
        "organisation). Log in with a phone number that has no account on the platform yet "
        "to take over your record."
    )
