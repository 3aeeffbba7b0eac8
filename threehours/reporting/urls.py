from django.urls import path

from . import family_views, org_page, views

app_name = "reporting"

urlpatterns = [
    path("me/activities/", views.my_activities_view, name="my-activities"),
    path("me/hours/", views.my_hours_view, name="my-hours"),
    path(
        "me/hours/pending/<int:pending_id>/",
        views.pending_respond_view,
        name="hours-pending-respond",
    ),
    path(
        "me/children/<int:child_id>/hours/",
        family_views.child_hours_view,
        name="child-hours",
    ),
    path("me/family/hours/", family_views.family_hours_view, name="family-hours"),
    path("orgs/<int:org_id>/", org_page.org_public_view, name="org-public"),
]
