from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound


class RatingError(DomainError):
    status = 409


class NotCredited(RatingError):
    code = "not_credited"
    default_message = _(
        "You can rate an activity once your service hours for it have been credited."
    )


class AlreadyRated(RatingError):
    code = "already_rated"
    default_message = _("You have already rated this activity. You can edit your rating instead.")


class RatingClosed(RatingError):
    code = "rating_closed"
    default_message = _("Ratings are open for %(days)s days after an activity ends.")


class EditClosed(RatingError):
    code = "edit_closed"
    default_message = _("A rating can be changed for %(days)s days after it was written.")


class RatingHidden(RatingError):
    code = "rating_hidden"
    default_message = _("This rating was hidden by the platform and cannot be changed.")


class TooManyPhotos(RatingError):
    code = "too_many_photos"
    default_message = _("A rating can have at most %(max)s photos.")


class AlreadyReplied(RatingError):
    code = "already_replied"
    default_message = _("This rating already has a reply. An organisation replies once.")


class AlreadyHidden(RatingError):
    code = "already_hidden"
    default_message = _("This rating is already hidden.")


class NotHidden(RatingError):
    code = "not_hidden"
    default_message = _("This rating is not hidden.")


class RatingNotFound(NotFound):
    code = "not_found"
    default_message = _("No such rating.")
