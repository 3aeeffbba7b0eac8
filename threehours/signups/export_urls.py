"""Organisation-console export URLs, to be included into the `orgs` namespace under /org/
(threehours/orgs/urls.py: `path("", include("threehours.signups.export_urls"))`)."""

from django.urls import path

from . import export_views

urlpatterns = [
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants.xlsx",
        export_views.registrants_export_view,
        {"fmt": "xlsx"},
        name="activity-registrants-xlsx",
    ),
    path(
        "<int:org_id>/activities/<int:activity_id>/registrants.csv",
        export_views.registrants_export_view,
        {"fmt": "csv"},
        name="activity-registrants-csv",
    ),
    path("<int:org_id>/exports/hours", export_views.hours_export_view, name="export-hours"),
    path(
        "<int:org_id>/exports/<int:export_id>/download",
        export_views.export_download_view,
        name="export-download",
    ),
]
