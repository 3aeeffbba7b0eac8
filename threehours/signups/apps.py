from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignupsConfig(AppConfig):
    name = "threehours.signups"
    label = "signups"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        from threehours.activities.signals import activity_changed_for_registrants

        from .receivers import activity_changed_notify_registrants

        activity_changed_for_registrants.connect(
            activity_changed_notify_registrants, dispatch_uid="signups-activity-changed"
        )
