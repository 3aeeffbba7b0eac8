"""Refusals of service evaluations (服务评价, issue #15 §2), each with its stable API code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound


class EvaluationError(DomainError):
    code = "evaluation_error"


class NotCredited(EvaluationError):
    code = "not_credited"
    status = 409
    default_message = _(
        "This person has no credited hours for the activity yet: evaluate them once their "
        "hours are credited."
    )


class OwnEvaluation(EvaluationError):
    code = "own_evaluation"
    status = 403
    default_message = _(
        "You cannot evaluate yourself or your own family: another staff member of the "
        "organisation must do it."
    )


class NotStaff(EvaluationError):
    code = "forbidden"
    status = 403
    default_message = _("Only the organisation's staff evaluate its volunteers.")


class PersonNotOnRegistration(NotFound):
    default_message = _("This person is not on the registration.")
