from django.urls import path

from . import views

app_name = "platform_admin"

urlpatterns = [
    path("", views.ops_home_view, name="home"),
]
