"""Service evaluations (服务评价, docs/api.md "After the activity", issue #15 §2): staff record the
organisation's evaluation of a credited registrant (or a child on their registration) and read a
registration's evaluations. Another organisation's registration answers 404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from threehours.hours import evaluations as services
from threehours.orgs.selectors import access_org_for_staff
from threehours.signups.selectors import access_signup_for_org

from .auth import token_auth
from .schemas import Id, Out, StrictIn, errors

router = Router(tags=["after the activity"])


class EvaluationIn(StrictIn):
    # Checked by the service (a clear message per field), not by the schema.
    grade: str
    text: str = Field(default="", max_length=2000)
    child_id: Id | None = None


class EvaluationOut(Out):
    id: Id
    registration_id: Id
    activity_id: Id
    volunteer_id: Id
    is_child: bool
    grade: str
    text: str
    author: str
    created_at: dt.datetime
    updated_at: dt.datetime


def _out(evaluation, signup) -> dict:
    return {
        "id": evaluation.pk,
        "registration_id": signup.pk,
        "activity_id": evaluation.activity_id,
        "volunteer_id": evaluation.volunteer_id,
        "is_child": evaluation.volunteer_id != signup.volunteer_id,
        "grade": evaluation.grade,
        "text": evaluation.text,
        "author": evaluation.author.display_name,
        "created_at": evaluation.created_at,
        "updated_at": evaluation.updated_at,
    }


PATH = "/orgs/{org_id}/registrations/{reg_id}/evaluation"


@router.post(
    PATH,
    response={200: EvaluationOut, 201: EvaluationOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def evaluation_record(request: HttpRequest, org_id: Id, reg_id: Id, payload: EvaluationIn):
    """201 when recorded, 200 when changed. `child_id`: a child on the registration (else the
    registrant). 409 `not_credited`, 403 `own_evaluation`, 400 a bad grade or text."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    signup = access_signup_for_org(org=org, signup_id=reg_id)
    person = services.person_on_signup(signup=signup, person_id=payload.child_id)
    evaluation = services.evaluation_record(
        staff=request.user,
        signup=signup,
        volunteer=person,
        grade=payload.grade,
        text=payload.text,
        org=org,
    )
    return Status(201 if evaluation.was_created else 200, _out(evaluation, signup))


@router.get(PATH, response={200: list[EvaluationOut], **errors(401, 403, 404)}, auth=token_auth)
def evaluation_list(request: HttpRequest, org_id: Id, reg_id: Id):
    """The evaluations of the registration's registrant and children."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    signup = access_signup_for_org(org=org, signup_id=reg_id)
    return [_out(e, signup) for e in services.evaluations_of_signup(signup=signup)]
