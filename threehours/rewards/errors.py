"""Refusals of the incentive catalogue; codes of docs/api.md "After the activity"."""

from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound


class RewardError(DomainError):
    pass


class IncentiveNotFound(NotFound):
    code = "not_found"
    default_message = _("No such incentive.")


class NotEnoughHours(RewardError):
    code = "not_enough_hours"
    status = 409
    default_message = _(
        "You need %(required)s service hours for this incentive and have %(have)s: "
        "%(missing)s more to go."
    )


class OutOfStock(RewardError):
    code = "out_of_stock"
    status = 409
    default_message = _("Sorry, this incentive has run out: every code has been redeemed.")


class LimitReached(RewardError):
    code = "limit_reached"
    status = 409
    default_message = _(
        "You have already redeemed this incentive as often as it allows (%(limit)s)."
    )


class IncentiveClosed(RewardError):
    code = "incentive_closed"
    status = 409
    default_message = _("This incentive cannot be redeemed now: it is closed or outside its dates.")


class AdultsOnly(RewardError):
    code = "adults_only"
    status = 403
    default_message = _(
        "Incentives are for adult volunteers' own accounts: a child's hours cannot be redeemed."
    )


class PhoneRequired(RewardError):
    code = "phone_not_bound"
    status = 400
    default_message = _(
        "Bind a phone number to your account first (Me → Phone number): partners use it to "
        "recognise the person who redeemed a code."
    )


class RealNameRequired(RewardError):
    code = "real_name_required"
    status = 400
    default_message = _(
        "This incentive is issued in your name (for example insurance): record your real name "
        "first (Me → Real-name information)."
    )


class IncentiveNotEditable(RewardError):
    code = "incentive_not_editable"
    status = 409
    default_message = _("A closed incentive cannot be changed.")


class NoCodes(RewardError):
    code = "no_codes"
    status = 409
    default_message = _("Add codes before activating this incentive: its stock is the codes.")


class CodesInvalid(RewardError):
    code = "codes_invalid"
    status = 400
    default_message = _("Some codes cannot be used.")
