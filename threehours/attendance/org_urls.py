"""Organisation-console URLs of check-in and attendance, included into the `orgs` namespace
under /org/ by threehours/orgs/urls.py (before the activity catch-all there)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "<int:org_id>/activities/<int:activity_id>/checkin-screen/",
        views.checkin_screen_view,
        name="checkin-screen",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/checkin-qr.svg",
        views.checkin_qr_view,
        name="checkin-qr",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/attendance/",
        views.attendance_board_view,
        name="attendance-board",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/staff/",
        views.attendance_staff_view,
        name="attendance-staff",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/correct/",
        views.attendance_correct_view,
        name="attendance-correct",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/attendance/no-show/",
        views.attendance_no_show_view,
        name="attendance-no-show",
    ),
    path("<int:org_id>/hours/pending/", views.pending_credits_view, name="pending-credits"),
    path(
        "<int:org_id>/hours/pending/<int:pending_id>/cosign/",
        views.pending_cosign_view,
        name="pending-cosign",
    ),
    path(
        "<int:org_id>/hours/corrections/<int:correction_id>/<str:decision>/",
        views.correction_decide_view,
        name="correction-decide",
    ),
]
