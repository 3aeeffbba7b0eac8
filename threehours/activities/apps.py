from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "threehours.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from .reference import connect_signals

        connect_signals()
