from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "threehours.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from threehours.orgs.signals import organisation_renamed

        from .receivers import organisation_renamed_refresh_search
        from .reference import connect_signals

        connect_signals()
        organisation_renamed.connect(
            organisation_renamed_refresh_search, dispatch_uid="activities-org-renamed"
        )
