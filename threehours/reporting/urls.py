from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("me/activities/", views.my_activities_view, name="my-activities"),
    path("me/hours/", views.my_hours_view, name="my-hours"),
    path(
        "me/hours/pending/<int:pending_id>/",
        views.pending_respond_view,
        name="hours-pending-respond",
    ),
]
