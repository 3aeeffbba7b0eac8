from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.console_home_view, name="home"),
]
