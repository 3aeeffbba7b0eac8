from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignupsConfig(AppConfig):
    name = "threehours.signups"
    label = "signups"
    verbose_name = _("Registrations")
