from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "threehours.privacy"
    label = "privacy"
    verbose_name = _("Privacy and account")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the receivers)
