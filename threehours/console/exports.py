"""Organisation-console downloads of registrants and hours (issue 5 §7). Staff of the URL's
organisation only (`with_org`: 404 for anyone else); large exports are queued and announced in
the inbox, and their files are served by `export_download_view` after the same check."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from threehours.activities.selectors import access_activity_for_org
from threehours.core.errors import InvalidInput
from threehours.core.storage import file_response, private_file_response
from threehours.orgs.models import Organisation
from threehours.reporting import export_services
from threehours.signups.models import Export

from .base import with_org


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(referer)
    return redirect(fallback)


def _queued_message(request: HttpRequest, count: int) -> None:
    messages.info(
        request,
        _(
            "This export has %(count)s rows: it is being prepared, and you will find the "
            "download link in your messages when it is ready."
        )
        % {"count": count},
    )


@with_org()
@require_GET
def registrants_export_view(
    request: HttpRequest, org: Organisation, activity_id: int, fmt: str
) -> HttpResponse:
    activity = access_activity_for_org(org=org, activity_id=activity_id)
    count = export_services.registrants_count(activity=activity)
    if count > export_services.SYNC_ROW_LIMIT:
        export_services.export_request(
            org=org,
            user=request.user,
            kind=Export.Kind.REGISTRANTS,
            params={"activity_id": activity.pk, "format": fmt},
            row_count=count,
        )
        _queued_message(request, count)
        return _back(request, reverse("console:activity-detail", args=[org.pk, activity.pk]))
    return file_response(*export_services.registrants_export(activity=activity, fmt=fmt))


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


@with_org()
@require_GET
def hours_export_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    try:
        date_from, date_to = export_services.range_clean(
            date_from=_date(request.GET.get("from")), date_to=_date(request.GET.get("to"))
        )
        if fmt not in export_services.FORMATS:
            raise InvalidInput(fields={"format": [_("Choose xlsx or csv.")]})
    except InvalidInput as exc:
        for errors in (exc.fields or {}).values():
            for error in errors:
                messages.error(request, error)
        return _back(request, reverse("console:dashboard", args=[org.pk]))
    count = export_services.range_count(org=org, date_from=date_from, date_to=date_to)
    if count > export_services.SYNC_ROW_LIMIT:
        export_services.export_request(
            org=org,
            user=request.user,
            kind=Export.Kind.HOURS,
            params={"from": date_from.isoformat(), "to": date_to.isoformat(), "format": fmt},
            row_count=count,
        )
        _queued_message(request, count)
        return _back(request, reverse("console:dashboard", args=[org.pk]))
    return file_response(
        *export_services.range_export(org=org, date_from=date_from, date_to=date_to, fmt=fmt)
    )


@with_org()
@require_GET
def export_download_view(request: HttpRequest, org: Organisation, export_id: int) -> HttpResponse:
    export = export_services.export_get_for_org(org=org, export_id=export_id)
    if export is None:
        raise Http404
    response = private_file_response(export.file)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "private, no-store"
    return response
