"""Organisation-console URLs of registration, included into the `orgs` namespace under
/org/ by threehours/orgs/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants/",
        views.registrant_list_view,
        name="activity-registrants",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/accept/",
        views.registrant_decide_view,
        {"action": "accept"},
        name="registrant-accept",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/reject/",
        views.registrant_decide_view,
        {"action": "reject"},
        name="registrant-reject",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/remove/",
        views.registrant_decide_view,
        {"action": "remove"},
        name="registrant-remove",
    ),
]
