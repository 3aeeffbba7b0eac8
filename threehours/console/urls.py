"""The organisation console's URLs, mounted under /org/ by config/urls.py. The paths are
public (bookmarks, links in messages and e-mails): keep them as they are."""

from django.urls import path

from . import (
    activities,
    attendance,
    evaluations,
    exports,
    organisation,
    ratings,
    registrants,
    rewards,
)

app_name = "console"

urlpatterns = [
    # Issue #15's pages (each module lists its own), before the activity catch-all.
    *ratings.urlpatterns,
    *evaluations.urlpatterns,
    *rewards.urlpatterns,
    # Registration and attendance pages first: the activity catch-all "<action>/" below would
    # swallow them.
    # -- registrants
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants/",
        registrants.registrant_list_view,
        name="activity-registrants",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/accept/",
        registrants.registrant_decide_view,
        {"action": "accept"},
        name="registrant-accept",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/reject/",
        registrants.registrant_decide_view,
        {"action": "reject"},
        name="registrant-reject",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/remove/",
        registrants.registrant_decide_view,
        {"action": "remove"},
        name="registrant-remove",
    ),
    # -- exports
    path(
        "<int:org_id>/volunteers/<int:user_id>/phone/",
        registrants.phone_reveal_view,
        name="phone-reveal",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants.xlsx",
        exports.registrants_export_view,
        {"fmt": "xlsx"},
        name="activity-registrants-xlsx",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants.csv",
        exports.registrants_export_view,
        {"fmt": "csv"},
        name="activity-registrants-csv",
    ),
    path("<int:org_id>/exports/hours", exports.hours_export_view, name="export-hours"),
    path(
        "<int:org_id>/exports/<int:export_id>/download",
        exports.export_download_view,
        name="export-download",
    ),
    # -- attendance
    path(
        "<int:org_id>/activities/<int:activity_id>/checkin-screen/",
        attendance.checkin_screen_view,
        name="checkin-screen",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/checkin-qr.svg",
        attendance.checkin_qr_view,
        name="checkin-qr",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/attendance/",
        attendance.attendance_board_view,
        name="attendance-board",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/staff/",
        attendance.attendance_staff_view,
        name="attendance-staff",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/correct/",
        attendance.attendance_correct_view,
        name="attendance-correct",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/no-show/",
        attendance.attendance_no_show_view,
        name="attendance-no-show",
    ),
    path("<int:org_id>/hours/pending/", attendance.pending_credits_view, name="pending-credits"),
    path(
        "<int:org_id>/hours/pending/<int:pending_id>/cosign/",
        attendance.pending_cosign_view,
        name="pending-cosign",
    ),
    path(
        "<int:org_id>/hours/corrections/<int:correction_id>/<str:decision>/",
        attendance.correction_decide_view,
        name="correction-decide",
    ),
    # -- organisation and activities
    path("", organisation.console_home_view, name="home"),
    path("apply/", organisation.apply_view, name="apply"),
    path("regions/", organisation.region_options_view, name="regions"),
    path("invitations/<str:token>/", organisation.invitation_view, name="invitation"),
    path("<int:org_id>/", organisation.dashboard_view, name="dashboard"),
    path("<int:org_id>/application/", organisation.application_view, name="application"),
    path("<int:org_id>/files/", organisation.file_upload_view, name="file-upload"),
    path("<int:org_id>/files/<int:file_id>/", organisation.file_image_view, name="file-image"),
    path(
        "<int:org_id>/files/<int:file_id>/delete/",
        organisation.file_delete_view,
        name="file-delete",
    ),
    path("<int:org_id>/submit/", organisation.submit_view, name="submit"),
    path(
        "<int:org_id>/endorsement-template.pdf",
        organisation.endorsement_template_view,
        name="endorsement-template",
    ),
    path("<int:org_id>/staff/", organisation.staff_view, name="staff"),
    path(
        "<int:org_id>/staff/<int:membership_id>/remove/",
        organisation.staff_remove_view,
        name="staff-remove",
    ),
    path(
        "<int:org_id>/staff/<int:membership_id>/role/",
        organisation.staff_role_view,
        name="staff-role",
    ),
    path(
        "<int:org_id>/invitations/<int:invitation_id>/revoke/",
        organisation.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("<int:org_id>/certificate/", organisation.renewal_view, name="renewal"),
    path("<int:org_id>/activities/", activities.activity_list_view, name="activities"),
    path("<int:org_id>/activities/new/", activities.activity_create_view, name="activity-create"),
    path(
        "<int:org_id>/activities/images/",
        activities.activity_image_upload_view,
        name="activity-image-upload",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/",
        activities.activity_detail_view,
        name="activity-detail",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/edit/",
        activities.activity_edit_view,
        name="activity-edit",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/cover/",
        activities.activity_cover_view,
        name="activity-cover",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/poster.pdf",
        activities.activity_poster_view,
        name="activity-poster",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/<str:action>/",
        activities.activity_action_view,
        name="activity-action",
    ),
]
