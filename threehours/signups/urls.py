from django.urls import path

from . import views

app_name = "signups"

urlpatterns = [
    path("activities/<int:activity_id>/register/", views.signup_create_view, name="register"),
    path("activities/<int:activity_id>/cancel/", views.signup_cancel_view, name="cancel"),
]
