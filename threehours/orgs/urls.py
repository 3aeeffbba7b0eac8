from django.urls import include, path

from threehours.activities import console_views

from . import views

app_name = "orgs"

urlpatterns = [
    # Registration and attendance pages first: the activity catch-all "<action>/" below would
    # swallow them.
    path("", include("threehours.signups.org_urls")),
    path("", include("threehours.signups.export_urls")),
    path("", include("threehours.attendance.org_urls")),
    path("", views.console_home_view, name="home"),
    path("apply/", views.apply_view, name="apply"),
    path("regions/", views.region_options_view, name="regions"),
    path("invitations/<str:token>/", views.invitation_view, name="invitation"),
    path("<int:org_id>/", views.dashboard_view, name="dashboard"),
    path("<int:org_id>/application/", views.application_view, name="application"),
    path("<int:org_id>/files/", views.file_upload_view, name="file-upload"),
    path("<int:org_id>/files/<int:file_id>/", views.file_image_view, name="file-image"),
    path("<int:org_id>/files/<int:file_id>/delete/", views.file_delete_view, name="file-delete"),
    path("<int:org_id>/submit/", views.submit_view, name="submit"),
    path(
        "<int:org_id>/endorsement-template.pdf",
        views.endorsement_template_view,
        name="endorsement-template",
    ),
    path("<int:org_id>/staff/", views.staff_view, name="staff"),
    path(
        "<int:org_id>/staff/<int:membership_id>/remove/",
        views.staff_remove_view,
        name="staff-remove",
    ),
    path("<int:org_id>/staff/<int:membership_id>/role/", views.staff_role_view, name="staff-role"),
    path(
        "<int:org_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("<int:org_id>/certificate/", views.renewal_view, name="renewal"),
    path("<int:org_id>/activities/", console_views.activity_list_view, name="activities"),
    path(
        "<int:org_id>/activities/new/", console_views.activity_create_view, name="activity-create"
    ),
    path(
        "<int:org_id>/activities/images/",
        console_views.activity_image_upload_view,
        name="activity-image-upload",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/",
        console_views.activity_detail_view,
        name="activity-detail",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/edit/",
        console_views.activity_edit_view,
        name="activity-edit",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/cover/",
        console_views.activity_cover_view,
        name="activity-cover",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/poster.pdf",
        console_views.activity_poster_view,
        name="activity-poster",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/<str:action>/",
        console_views.activity_action_view,
        name="activity-action",
    ),
]
