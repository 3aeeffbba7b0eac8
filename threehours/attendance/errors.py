from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, RateLimited
from threehours.core.numbers import format_distance


class AttendanceError(DomainError):
    pass


class NotRegistered(AttendanceError):
    code = "not_registered"
    status = 409
    default_message = _("You are not a confirmed registrant of this activity.")


class OutsideWindow(AttendanceError):
    code = "outside_window"
    status = 409


class AlreadyCheckedIn(AttendanceError):
    code = "already_checked_in"
    status = 409
    default_message = _("You already checked in today at %(time)s.")


class NotCheckedIn(AttendanceError):
    code = "not_checked_in"
    status = 409
    default_message = _("You have not checked in today, so you cannot check out. Ask the staff.")


class AlreadyCheckedOut(AttendanceError):
    code = "already_checked_out"
    status = 409
    default_message = _("You already checked out today at %(time)s (%(hours)s h).")


class OutsideRadius(AttendanceError):
    code = "outside_radius"
    status = 400
    default_message = _(
        "You are about %(distance)s from the activity; check in within %(radius)s of it."
    )

    @property
    def message(self) -> str:
        # Formatted when read, in the language of whoever reads it ("1,072 km", "1072 公里").
        return str(self._message) % {
            "distance": format_distance(self.params["distance"]),
            "radius": format_distance(self.params["radius"]),
        }


class PositionRequired(AttendanceError):
    code = "position_required"
    status = 400
    default_message = _(
        "We need your position to check you in at this activity. Allow location access and "
        "try again, or ask the staff."
    )


class BadCode(AttendanceError):
    code = "bad_code"
    status = 400
    default_message = _("That code is not right. Ask the staff for today's 4-digit code.")


class ProofRequired(AttendanceError):
    code = "proof_required"
    status = 400
    default_message = _("Scan the QR code shown on site, or enter the 4-digit code from the staff.")


class QrExpired(AttendanceError):
    code = "qr_expired"
    status = 400
    default_message = _(
        "This QR code is no longer valid (it changes every few seconds, or is for another "
        "activity or day). Scan the code on the screen again, or enter the 4-digit code."
    )


class IdentityFailed(AttendanceError):
    code = "identity_failed"
    status = 400
    default_message = _("Identity check failed. Try again.")


class IdentityGreenChannel(AttendanceError):
    code = "identity_failed"
    status = 400
    default_message = _(
        "Identity check failed twice. Use the green channel: ask the staff for the 4-digit "
        "code and enter it."
    )


class TooManyWrongCodes(RateLimited):
    code = "too_many_wrong_codes"
    default_message = _(
        "Too many wrong codes for this activity today. Ask the staff to check you in."
    )


class QrOnly(AttendanceError):
    code = "qr_only"
    status = 400
    default_message = _(
        "At this activity you check in by scanning the QR code on the screen at the door; the "
        "4-digit code is only for the green channel."
    )


class OwnHours(AttendanceError):
    code = "own_hours"
    status = 403
    default_message = _(
        "You are a registrant of this activity yourself: another staff member of the "
        "organisation must check you in or correct your hours."
    )


class NotAnAttendedDay(AttendanceError):
    code = "not_an_attended_day"
    status = 409


class OwnCorrection(AttendanceError):
    code = "own_correction"
    status = 403
    default_message = _(
        "A correction must be approved by a second staff member: not by the one who asked for "
        "it, nor by the volunteer it credits."
    )


class CorrectionClosed(AttendanceError):
    code = "correction_closed"
    status = 409
    default_message = _("This correction has already been decided.")


# -- children's check-in and check-out (docs/product.md §6) ----------------------------------------


class GuardianNotCheckedIn(AttendanceError):
    code = "guardian_not_checked_in"
    status = 409
    default_message = _("Check yourself in first; then check your children in.")


class GuardianCheckedOut(AttendanceError):
    code = "guardian_checked_out"
    status = 409
    default_message = _(
        "You have already checked out today, so your children cannot be checked in any more."
    )


class ChildNotRegistered(AttendanceError):
    code = "child_not_registered"
    status = 409
    default_message = _("%(name)s is not registered for this activity with you.")


class ChildCheckedIn(AlreadyCheckedIn):
    default_message = _("%(name)s already checked in today at %(time)s.")


class ChildNotCheckedIn(NotCheckedIn):
    default_message = _("%(name)s has not checked in today, so cannot check out. Ask the staff.")


class ChildCheckedOut(AlreadyCheckedOut):
    default_message = _("%(name)s already checked out today at %(time)s (%(hours)s h).")


class PhotoRequired(AttendanceError):
    code = "photo_required"
    status = 400
    default_message = _(
        "Take a photo of you, your children and the activity's banner or flag to check them in."
    )


class NoChildChosen(AttendanceError):
    code = "no_child_chosen"
    status = 400
    default_message = _("Choose at least one child.")


class OnlineNoChildren(AttendanceError):
    code = "online_activity"
    status = 409
    default_message = _("Children are not checked in at an online activity.")


class AccountClosing(AttendanceError):
    """The account asked to be closed (注销, issue #16 §3): no check-in or check-out."""

    code = "account_closing"
    status = 409
    default_message = _(
        "This account is being closed on %(day)s and cannot check in or out. To keep it, cancel "
        "the closing under Me → Personal information and privacy."
    )


class ActivityNotOpen(AttendanceError):
    """Issue #16 §6: no check-in to an activity the platform has taken down."""

    code = "activity_not_open"
    status = 409
    default_message = _("This activity is not open: check-in is not possible.")
