from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformAdminConfig(AppConfig):
    name = "threehours.platform_admin"
    label = "platform_admin"
    verbose_name = _("Operator console")
