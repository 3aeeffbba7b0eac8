from django.urls import path

from . import views

app_name = "hours"

urlpatterns = [
    path("me/hours/", views.my_hours_view, name="mine"),
    path(
        "me/hours/pending/<int:pending_id>/",
        views.pending_respond_view,
        name="pending-respond",
    ),
]
