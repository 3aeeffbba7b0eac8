"""Operator pages of issue #15 (rewards): the platform's incentive catalogue at
/ops/incentives/ — list, create, edit, codes, activate / close, redemptions and their export.
The pages themselves are rewards.manage's, shared with the organisation console."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.reporting.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    Column,
    Sheet,
    csv_bytes,
    xlsx_bytes,
)
from threehours.rewards import manage, selectors

from .views import operator_required


def _place() -> manage.Place:
    return manage.Place(
        layout="layouts/ops.html",
        org=None,
        url=lambda name, *args: reverse(f"platform_admin:{name}", args=args),
        can_edit=True,
    )


@operator_required
@require_GET
def incentive_list_view(request: HttpRequest) -> HttpResponse:
    return manage.manage_list(request, _place())


@operator_required
@require_http_methods(["GET", "POST"])
def incentive_create_view(request: HttpRequest) -> HttpResponse:
    return manage.manage_create(request, _place())


@operator_required
@require_http_methods(["GET", "POST"])
def incentive_detail_view(request: HttpRequest, incentive_id: int) -> HttpResponse:
    incentive = selectors.access_incentive(incentive_id=incentive_id)
    return manage.manage_detail(request, _place(), incentive)


@operator_required
@require_POST
def incentive_codes_view(request: HttpRequest, incentive_id: int) -> HttpResponse:
    incentive = selectors.access_incentive(incentive_id=incentive_id)
    return manage.manage_codes(request, _place(), incentive)


@operator_required
@require_POST
def incentive_state_view(request: HttpRequest, incentive_id: int, action: str) -> HttpResponse:
    incentive = selectors.access_incentive(incentive_id=incentive_id)
    return manage.manage_state(request, _place(), incentive, action)


def export_response(incentive, fmt: str) -> HttpResponse:
    """The redemptions of `incentive` as .xlsx or .csv (shared with the organisation console
    through rewards.manage.export_rows; formula injection guarded by reporting.exports)."""
    header, rows = manage.export_rows(incentive=incentive)
    columns = [Column(str(title), width) for title, width in header]
    name = f"redemptions-{incentive.pk}.{fmt}"
    if fmt == "xlsx":
        body, kind = xlsx_bytes([Sheet("redemptions", columns, rows)]), XLSX_CONTENT_TYPE
    else:
        body, kind = csv_bytes(columns, rows), CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@operator_required
@require_GET
def incentive_export_view(request: HttpRequest, incentive_id: int, fmt: str) -> HttpResponse:
    incentive = selectors.access_incentive(incentive_id=incentive_id)
    return export_response(incentive, fmt)


urlpatterns: list = [
    path("incentives/", incentive_list_view, name="incentive-list"),
    path("incentives/new/", incentive_create_view, name="incentive-create"),
    path("incentives/<int:incentive_id>/", incentive_detail_view, name="incentive-detail"),
    path("incentives/<int:incentive_id>/codes/", incentive_codes_view, name="incentive-codes"),
    path(
        "incentives/<int:incentive_id>/activate/",
        incentive_state_view,
        {"action": "activate"},
        name="incentive-activate",
    ),
    path(
        "incentives/<int:incentive_id>/close/",
        incentive_state_view,
        {"action": "close"},
        name="incentive-close",
    ),
    path(
        "incentives/<int:incentive_id>/redemptions.csv",
        incentive_export_view,
        {"fmt": "csv"},
        name="incentive-export-csv",
    ),
    path(
        "incentives/<int:incentive_id>/redemptions.xlsx",
        incentive_export_view,
        {"fmt": "xlsx"},
        name="incentive-export-xlsx",
    ),
]
