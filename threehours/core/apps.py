from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "threehours.core"
    label = "core"
    verbose_name = "Core"
