"""Issue #16 (docs/api.md "Privacy and account"): the person's data download and closing the
account (注销). Rules live in privacy.services."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import Router, Status

from threehours.core.storage import private_file_response
from threehours.privacy import selectors, services
from threehours.privacy.errors import ClosureNotFound
from threehours.privacy.models import DataExport

from .auth import token_auth
from .schemas import Id, Out, errors

router = Router(tags=["privacy and account"], auth=token_auth)


class DataExportCreatedOut(Out):
    id: int


class DataExportOut(Out):
    id: int
    state: str
    created_at: dt.datetime
    url: str | None = None
    expires_at: dt.datetime | None = None


class ClosureCreatedOut(Out):
    effective_at: dt.datetime


class ClosureOut(Out):
    state: str  # none, closing, cancelled, closed
    requested_at: dt.datetime | None = None
    effective_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@router.post("/me/data-export", response={202: DataExportCreatedOut, **errors(401, 409, 429)})
def data_export_create(request: HttpRequest):
    export = services.data_export_request(user=request.user)
    return Status(202, {"id": export.pk})


@router.get("/me/data-export/{export_id}", response={200: DataExportOut, **errors(401, 404)})
def data_export_get(request: HttpRequest, export_id: Id):
    export = selectors.data_export_get_for_user(user=request.user, export_id=export_id)
    ready = export.state == DataExport.State.READY
    return {
        "id": export.pk,
        "state": export.state,
        "created_at": export.created_at,
        "url": f"/api/v1/me/data-export/{export.pk}/file" if ready else None,
        "expires_at": export.expires_at,
    }


@router.get(
    "/me/data-export/{export_id}/file",
    response={200: None, **errors(401, 404)},
    openapi_extra={"responses": {"200": {"content": {"application/zip": {}}}}},
)
def data_export_file(request: HttpRequest, export_id: Id):
    """The ZIP (data.json + summary.pdf) of a ready download; anyone else's is 404."""
    export = selectors.data_export_get_for_user(user=request.user, export_id=export_id)
    if export.state != DataExport.State.READY or not export.file:
        raise Http404
    response = private_file_response(export.file)
    response["Content-Disposition"] = f'attachment; filename="my-data-{export.pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/me/closure", response={202: ClosureCreatedOut, **errors(401, 409)})
def closure_create(request: HttpRequest):
    closure = services.closure_request(user=request.user, ip=_client_ip(request))
    return Status(202, {"effective_at": closure.effective_at})


@router.get("/me/closure", response={200: ClosureOut, **errors(401)})
def closure_get(request: HttpRequest):
    closure = selectors.closure_latest(user=request.user)
    if closure is None:
        return {"state": "none"}
    state = "closed" if closure.completed_at else "cancelled" if closure.cancelled_at else "closing"
    return {
        "state": state,
        "requested_at": closure.requested_at,
        "effective_at": closure.effective_at,
        "cancelled_at": closure.cancelled_at,
    }


@router.delete("/me/closure", response={204: None, **errors(401, 404)})
def closure_delete(request: HttpRequest):
    if selectors.closure_open(user=request.user) is None:
        raise ClosureNotFound()
    services.closure_cancel(user=request.user)
    return Status(204, None)
