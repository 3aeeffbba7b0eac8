from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    # Mounted at the site root: "activities/<id>/" of the activities app has no catch-all.
    path("activities/<int:activity_id>/checkin/", views.checkin_view, name="checkin"),
    path("attendance/photos/<int:photo_id>/", views.child_photo_view, name="child-photo"),
]
