"""Console pages of issue #15 (rewards): an organisation's own incentives at
/org/<org_id>/incentives/, offered to the volunteers it credited service hours to. Staff see
them; only the organisation's administrators create, edit, add codes, activate or close. Another
organisation's incentive is 404. The pages are rewards.manage's, shared with the operators'."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.orgs.models import Organisation
from threehours.reporting.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    Column,
    Sheet,
    csv_bytes,
    xlsx_bytes,
)
from threehours.rewards import manage, selectors

from .base import org_context, with_org


def _place(request: HttpRequest, org: Organisation) -> manage.Place:
    context = org_context(request, org)
    return manage.Place(
        layout="layouts/console.html",
        org=org,
        url=lambda name, *args: reverse(f"console:{name}", args=(org.pk, *args)),
        can_edit=context["is_admin"],
        context=context,
    )


@with_org()
@require_GET
def incentive_list_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    return manage.manage_list(request, _place(request, org))


@with_org(admin=True)
@require_http_methods(["GET", "POST"])
def incentive_create_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    return manage.manage_create(request, _place(request, org))


@with_org()
@require_http_methods(["GET", "POST"])
def incentive_detail_view(request: HttpRequest, org: Organisation, incentive_id: int):
    incentive = selectors.access_incentive(incentive_id=incentive_id, org=org)
    return manage.manage_detail(request, _place(request, org), incentive)


@with_org(admin=True)
@require_POST
def incentive_codes_view(request: HttpRequest, org: Organisation, incentive_id: int):
    incentive = selectors.access_incentive(incentive_id=incentive_id, org=org)
    return manage.manage_codes(request, _place(request, org), incentive)


@with_org(admin=True)
@require_POST
def incentive_state_view(request: HttpRequest, org: Organisation, incentive_id: int, action: str):
    incentive = selectors.access_incentive(incentive_id=incentive_id, org=org)
    return manage.manage_state(request, _place(request, org), incentive, action)


@with_org()
@require_GET
def incentive_export_view(request: HttpRequest, org: Organisation, incentive_id: int, fmt: str):
    incentive = selectors.access_incentive(incentive_id=incentive_id, org=org)
    header, rows = manage.export_rows(incentive=incentive)
    columns = [Column(str(title), width) for title, width in header]
    if fmt == "xlsx":
        body, kind = xlsx_bytes([Sheet("redemptions", columns, rows)]), XLSX_CONTENT_TYPE
    else:
        body, kind = csv_bytes(columns, rows), CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(
        True, f"redemptions-{incentive.pk}.{fmt}"
    )
    return response


P = "<int:org_id>/incentives/"
urlpatterns: list = [
    path(P, incentive_list_view, name="incentive-list"),
    path(P + "new/", incentive_create_view, name="incentive-create"),
    path(P + "<int:incentive_id>/", incentive_detail_view, name="incentive-detail"),
    path(P + "<int:incentive_id>/codes/", incentive_codes_view, name="incentive-codes"),
    path(
        P + "<int:incentive_id>/activate/",
        incentive_state_view,
        {"action": "activate"},
        name="incentive-activate",
    ),
    path(
        P + "<int:incentive_id>/close/",
        incentive_state_view,
        {"action": "close"},
        name="incentive-close",
    ),
    path(
        P + "<int:incentive_id>/redemptions.csv",
        incentive_export_view,
        {"fmt": "csv"},
        name="incentive-export-csv",
    ),
    path(
        P + "<int:incentive_id>/redemptions.xlsx",
        incentive_export_view,
        {"fmt": "xlsx"},
        name="incentive-export-xlsx",
    ),
]
