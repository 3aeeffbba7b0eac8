"""Family accounts (小宝) over the API (docs/api.md "Family"): the guardian's children, adding and
removing one, and the second guardian's invitations. Rules live in family.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from threehours.accounts.identity import mask_phone
from threehours.accounts.models import User
from threehours.core.timeutil import local_today
from threehours.family import selectors, services
from threehours.family.errors import InvitationNotFound
from threehours.family.models import GuardianInvitation
from threehours.hours.models import HoursSummary
from threehours.hours.services import hours_totals

from .auth import token_auth
from .schemas import Hours, Id, Out, StrictIn, errors

router = Router(tags=["family"], auth=token_auth)


class ChildIn(StrictIn):
    name: Annotated[str, Field(max_length=60)]
    id_number: Annotated[str, Field(max_length=30)]
    consent: bool = False


class ChildOut(Out):
    id: int
    name: str
    id_number_masked: str
    age: int
    hours: Hours


class ChildListOut(Out):
    items: list[ChildOut]


class InviteIn(StrictIn):
    phone: Annotated[str, Field(max_length=30)]


class ConsentIn(StrictIn):
    consent: bool = False


class InvitationChildOut(Out):
    id: int
    name: str
    age: int


class InvitationOut(Out):
    id: int
    child: InvitationChildOut
    invited_by: str
    phone_masked: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime


class InvitationListOut(Out):
    items: list[InvitationOut]


class GuardianshipOut(Out):
    child: ChildOut


def _child_out(child: User, today: dt.date, hours: Decimal | None = None) -> dict[str, Any]:
    return {
        "id": child.pk,
        "name": child.real_name,
        "id_number_masked": child.id_number_masked,
        "age": child.age_on(today) or 0,
        "hours": hours if hours is not None else hours_totals(volunteer=child).total,
    }


def _invitation_out(invitation: GuardianInvitation, today: dt.date) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "child": {
            "id": invitation.child_id,
            "name": invitation.child.real_name,
            "age": invitation.child.age_on(today) or 0,
        },
        "invited_by": invitation.invited_by.real_name or invitation.invited_by.display_name,
        "phone_masked": mask_phone(invitation.phone),
        "status": invitation.status,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


@router.get("/me/children", response={200: ChildListOut, **errors(401)})
def children_list(request: HttpRequest):
    today = local_today()
    children = list(selectors.children_of(guardian=request.user))
    # Each child's totals row (HoursSummary, the ledger's cache), read for all in one query.
    totals = {
        row.volunteer_id: row.service_hours + row.online_hours
        for row in HoursSummary.objects.filter(volunteer__in=children)
    }
    return {"items": [_child_out(c, today, totals.get(c.pk, Decimal("0.0"))) for c in children]}


@router.post("/me/children", response={201: ChildOut, **errors(400, 401, 409)})
def child_add(request: HttpRequest, payload: ChildIn):
    child = services.child_add(
        guardian=request.user,
        name=payload.name,
        id_number=payload.id_number,
        consent=payload.consent,
    )
    return Status(201, _child_out(child, local_today(), Decimal("0.0")))


@router.delete("/me/children/{child_id}", response={204: None, **errors(401, 404, 409)})
def child_remove(request: HttpRequest, child_id: Id):
    child = selectors.access_child_for_guardian(guardian=request.user, child_id=child_id)
    services.child_remove(guardian=request.user, child=child)
    return Status(204, None)


@router.post(
    "/me/children/{child_id}/guardians",
    response={201: InvitationOut, **errors(400, 401, 404, 409, 429)},
)
def guardian_invite(request: HttpRequest, child_id: Id, payload: InviteIn):
    child = selectors.access_child_for_guardian(guardian=request.user, child_id=child_id)
    invitation = services.guardian_invite(guardian=request.user, child=child, phone=payload.phone)
    return Status(201, _invitation_out(invitation, local_today()))


@router.get("/me/guardian-invitations", response={200: InvitationListOut, **errors(401)})
def invitations_list(request: HttpRequest):
    today = local_today()
    found = selectors.invitations_for_user(user=request.user)
    return {"items": [_invitation_out(i, today) for i in found]}


@router.post(
    "/me/guardian-invitations/{invitation_id}/accept",
    response={200: GuardianshipOut, **errors(400, 401, 404, 409)},
)
def invitation_accept(request: HttpRequest, invitation_id: Id, payload: ConsentIn):
    link = services.guardian_invitation_accept(
        user=request.user, invitation=invitation_id, consent=payload.consent
    )
    return {"child": _child_out(link.child, local_today())}


@router.post(
    "/me/guardian-invitations/{invitation_id}/decline",
    response={204: None, **errors(401, 404, 409)},
)
def invitation_decline(request: HttpRequest, invitation_id: Id):
    services.guardian_invitation_decline(user=request.user, invitation=invitation_id)
    return Status(204, None)


@router.get(
    "/me/children/{child_id}/guardian-invitations",
    response={200: InvitationListOut, **errors(401, 404)},
)
def child_invitations_list(request: HttpRequest, child_id: Id):
    child = selectors.access_child_for_guardian(guardian=request.user, child_id=child_id)
    today = local_today()
    found = selectors.pending_invitations_of_child(child=child).select_related("child")
    return {"items": [_invitation_out(i, today) for i in found]}


@router.delete(
    "/me/children/{child_id}/guardian-invitations/{invitation_id}",
    response={204: None, **errors(401, 404, 409)},
)
def child_invitation_cancel(request: HttpRequest, child_id: Id, invitation_id: Id):
    child = selectors.access_child_for_guardian(guardian=request.user, child_id=child_id)
    invitation = GuardianInvitation.objects.filter(pk=invitation_id, child=child).first()
    if invitation is None:
        raise InvitationNotFound()
    services.guardian_invitation_cancel(guardian=request.user, invitation=invitation)
    return Status(204, None)
