from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    name = "threehours.hours"
    label = "hours"
    verbose_name = _("Service hours")
