from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "threehours.api"
    label = "api"
    verbose_name = "API"
