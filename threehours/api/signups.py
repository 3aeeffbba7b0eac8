"""Registration operations of docs/api.md: register, cancel, my activities, and the staff's
registrant list with accept / reject / remove."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from threehours.accounts.consent import consent_require
from threehours.accounts.identity import staff_name, staff_phone
from threehours.accounts.models import Consent, User
from threehours.activities import selectors as activity_selectors
from threehours.activities.errors import ActivityNotFound
from threehours.core.storage import file_response
from threehours.core.timeutil import local_today
from threehours.orgs.selectors import access_org_for_staff
from threehours.reporting import export_services, exports
from threehours.reporting import selectors as report_selectors
from threehours.signups import rules as signup_rules
from threehours.signups import selectors, services
from threehours.signups.errors import PhoneNotFound, SignupNotFound
from threehours.signups.models import Export, Signup

from .auth import token_auth
from .schemas import Hours, Id, Out, StrictIn, errors

router = Router(tags=["registration"])


class RegistrationIn(StrictIn):
    answers: dict[str, str] = {}
    # 和孩子一起报名: ids of my children (GET /me/children); the guardian always comes too.
    children: list[Id] = Field(default=[], max_length=20)
    commitment_accepted: bool = False
    include_me: bool = True
    join_waitlist: bool = False
    share_consent: bool = Field(
        default=False,
        description="The separate consent to give the organiser my name, masked phone and "
        "answers (kind `share_with_org`, asked once). Needed unless given before; without "
        "it: 400 `consent_required`.",
    )


class ChildRef(Out):
    id: int
    name: str


class RegistrationOut(Out):
    id: int
    status: str
    seats: int
    children: list[ChildRef]


class ReasonIn(StrictIn):
    reason: str = ""


class MyActivityRef(Out):
    id: int
    title: str
    start_date: dt.date
    end_date: dt.date
    checkin_time: str
    checkout_time: str
    online: bool
    address: str
    organisation: str
    contact_name: str
    contact_phone: str
    phase: str
    state: str
    max_hours_per_day: Hours


class MyRegistrationOut(Out):
    id: int
    status: str
    seats: int
    children: list[ChildRef]
    reason: str
    can_cancel: bool
    hours_to_earn: Hours
    hours_earned: Hours
    created_at: dt.datetime
    activity: MyActivityRef


class MyRegistrationsOut(Out):
    upcoming: list[MyRegistrationOut]
    in_progress: list[MyRegistrationOut]
    finished: list[MyRegistrationOut]


class VolunteerOut(Out):
    id: int
    name: str
    phone: str


class AnswerOut(Out):
    question_id: Id
    question: str
    answer: str


class HistoryOut(Out):
    total_hours: Hours
    service_hours: Hours
    online_hours: Hours
    activities_attended: int
    no_shows: int
    times_removed: int
    past_activities: int


class RegistrantChildOut(Out):
    id: int
    name: str
    age: int | None


class RegistrantOut(Out):
    id: int
    status: str
    seats: int
    children: list[RegistrantChildOut]
    reason: str
    created_at: dt.datetime
    volunteer: VolunteerOut
    answers: list[AnswerOut]
    history: HistoryOut


class RegistrantListOut(Out):
    items: list[RegistrantOut]
    places: int
    places_taken: int


def _hours_to_earn(activity) -> Any:
    days = (activity.end_date - activity.start_date).days + 1
    return activity.max_hours_per_day if activity.online else activity.max_hours_per_day * days


def my_registration_out(
    signup: Signup, today: dt.date, earned: dict[int, Decimal]
) -> dict[str, Any]:
    activity = signup.activity
    return {
        "id": signup.pk,
        "status": signup.status,
        "seats": signup.seats,
        "children": _children_out(signup),
        "reason": signup.reason,
        "can_cancel": signup_rules.can_cancel(
            signup=signup, activity=activity, today=today, attended=signup.attended
        ),
        "hours_to_earn": _hours_to_earn(activity),
        "hours_earned": earned.get(signup.pk, Decimal("0.0")),
        "created_at": signup.created_at,
        "activity": {
            "id": activity.pk,
            "title": activity.title,
            "start_date": activity.start_date,
            "end_date": activity.end_date,
            "checkin_time": activity.checkin_time.strftime("%H:%M"),
            "checkout_time": activity.checkout_time.strftime("%H:%M"),
            "online": activity.online,
            "address": activity.address,
            "organisation": activity.organisation.name,
            "contact_name": activity.contact_name,
            "contact_phone": activity.contact_phone,
            "phase": activity.phase_on(today),
            "state": activity.state,
            "max_hours_per_day": activity.max_hours_per_day,
        },
    }


def _children_out(signup: Signup) -> list[dict[str, Any]]:
    """The registration's children; reads them only for a family (seats > 1), from the
    prefetch when there is one."""
    if signup.seats <= 1:
        return []
    return [{"id": c.pk, "name": c.real_name} for c in signup.children.all()]


def registration_out(signup: Signup) -> dict[str, Any]:
    return {
        "id": signup.pk,
        "status": signup.status,
        "seats": signup.seats,
        "children": _children_out(signup),
    }


def registrant_out(signup: Signup, questions: dict[str, str], activity) -> dict[str, Any]:
    volunteer = signup.volunteer
    history = signup.history
    return {
        "id": signup.pk,
        "status": signup.status,
        "seats": signup.seats,
        "children": [
            {
                "id": c.pk,
                "name": c.real_name,
                "age": signup_rules.child_age_on_first_day(born=c.birth_date, activity=activity)
                if c.birth_date
                else None,
            }
            for c in (signup.children.all() if signup.seats > 1 else [])
        ],
        "reason": signup.reason,
        "created_at": signup.created_at,
        "volunteer": {
            "id": volunteer.pk,
            "name": staff_name(volunteer),
            # Masked (issue #16 §5): an admin reveals one number with POST .../phone.
            "phone": staff_phone(volunteer),
        },
        "answers": [
            {"question_id": int(qid), "question": text, "answer": signup.answers.get(qid, "")}
            for qid, text in questions.items()
        ],
        "history": {
            "total_hours": history.total_hours,
            "service_hours": history.service_hours,
            "online_hours": history.online_hours,
            "activities_attended": history.activities_attended,
            "no_shows": history.no_shows,
            "times_removed": history.times_removed,
            "past_activities": history.past_activities,
        },
    }


@router.post(
    "/activities/{activity_id}/registrations",
    response={201: RegistrationOut, **errors(400, 401, 404, 409)},
    auth=token_auth,
)
def registration_create(request: HttpRequest, activity_id: Id, payload: RegistrationIn):
    activity = selectors.activity_for_registration(activity_id=activity_id)
    if activity is None:
        raise ActivityNotFound()
    # PIPL Art. 23: without the flag, one indexed read of an earlier consent; with it, the
    # consent is recorded in the registration's own transaction (none when refused).
    if not payload.share_consent:
        consent_require(user=request.user, kind=Consent.Kind.SHARE_WITH_ORG, given=False)
    signup = services.signup_create(
        activity=activity,
        volunteer=request.user,
        answers=payload.answers,
        children=payload.children,
        commitment_accepted=payload.commitment_accepted,
        include_me=payload.include_me,
        join_waitlist=payload.join_waitlist,
        share_consent=payload.share_consent,
        ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(201, registration_out(signup))


@router.delete(
    "/activities/{activity_id}/registrations/me",
    response={204: None, **errors(401, 404, 409)},
    auth=token_auth,
)
def registration_cancel(request: HttpRequest, activity_id: Id):
    activity = activity_selectors.activity_get_published(activity_id=activity_id)
    if activity is None:
        raise SignupNotFound()
    services.signup_cancel(activity=activity, volunteer=request.user)
    return Status(204, None)


@router.get("/me/registrations", response={200: MyRegistrationsOut, **errors(401)}, auth=token_auth)
def my_registrations(request: HttpRequest):
    today = local_today()
    tabs = report_selectors.signups_of_volunteer(volunteer=request.user, today=today)
    selectors.signups_children_load([s for rows in tabs.values() for s in rows])
    earned = report_selectors.hours_earned_by_signup(volunteer=request.user)
    return {
        tab: [my_registration_out(s, today, earned) for s in rows] for tab, rows in tabs.items()
    }


@router.get(
    "/orgs/{org_id}/activities/{activity_id}/registrations",
    response={200: RegistrantListOut, **errors(401, 403, 404)},
    auth=token_auth,
)
def registrant_list(request: HttpRequest, org_id: Id, activity_id: Id):
    org = access_org_for_staff(user=request.user, org_id=org_id)
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    questions = {str(q.pk): q.text for q in activity.questions.all()}
    rows = report_selectors.registrants_with_history(activity=activity, today=local_today())
    return {
        "items": [registrant_out(s, questions, activity) for s in rows],
        "places": activity.places,
        "places_taken": activity.places_taken,
    }


class PhoneOut(Out):
    user_id: int
    phone: str


@router.post(
    "/orgs/{org_id}/volunteers/{user_id}/phone",
    response={200: PhoneOut, **errors(401, 403, 404, 429)},
    auth=token_auth,
)
def volunteer_phone_reveal(request: HttpRequest, response: HttpResponse, org_id: Id, user_id: Id):
    """An organisation admin reveals the full phone number of one of its registrants (they are
    masked everywhere else); audited and limited per hour. 403 `phone_reveal_forbidden` for a
    coordinator, 404 for a person without a registration with the organisation, 429."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise PhoneNotFound()
    phone = services.phone_reveal(actor=request.user, person=person, organisation=org)
    response["Cache-Control"] = "private, no-store"
    return {"user_id": person.pk, "phone": phone}


def _org_signup(request: HttpRequest, org_id: int, reg_id: int) -> Signup:
    org = access_org_for_staff(user=request.user, org_id=org_id)
    signup = selectors.access_signup_for_org(org=org, signup_id=reg_id)
    return signup


@router.post(
    "/orgs/{org_id}/registrations/{reg_id}/accept",
    response={200: RegistrationOut, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def registration_accept(request: HttpRequest, org_id: Id, reg_id: Id):
    signup = services.signup_accept(signup=_org_signup(request, org_id, reg_id), staff=request.user)
    return registration_out(signup)


@router.post(
    "/orgs/{org_id}/registrations/{reg_id}/reject",
    response={200: RegistrationOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def registration_reject(request: HttpRequest, org_id: Id, reg_id: Id, payload: ReasonIn):
    signup = services.signup_reject(
        signup=_org_signup(request, org_id, reg_id), staff=request.user, reason=payload.reason
    )
    return registration_out(signup)


@router.post(
    "/orgs/{org_id}/registrations/{reg_id}/remove",
    response={200: RegistrationOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def registration_remove(request: HttpRequest, org_id: Id, reg_id: Id, payload: ReasonIn):
    signup = services.signup_remove(
        signup=_org_signup(request, org_id, reg_id), staff=request.user, reason=payload.reason
    )
    return registration_out(signup)


class ExportQueuedOut(Out):
    export_id: Id
    status: str
    rows: int


_EXPORT_FILE = {
    "200": {
        "description": "The registrants as a file",
        "content": {
            content_type: {"schema": {"type": "string", "format": "binary"}}
            for content_type in (exports.XLSX_CONTENT_TYPE, exports.CSV_CONTENT_TYPE)
        },
    }
}


@router.get(
    "/orgs/{org_id}/activities/{activity_id}/registrations/export",
    response={202: ExportQueuedOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
    openapi_extra={"responses": _EXPORT_FILE},
)
def registrant_export(
    request: HttpRequest, org_id: Id, activity_id: Id, format: Literal["xlsx", "csv"] = "xlsx"
):
    """The registrants as an xlsx or CSV file; above the synchronous limit the export is queued
    (202) and the staff member is notified with a download link when it is ready."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    count = export_services.registrants_count(activity=activity)
    if count > export_services.SYNC_ROW_LIMIT:
        export = export_services.export_request(
            org=org,
            user=request.user,
            kind=Export.Kind.REGISTRANTS,
            params={"activity_id": activity.pk, "format": format},
            row_count=count,
        )
        return Status(202, {"export_id": export.pk, "status": export.status, "rows": count})
    return file_response(*export_services.registrants_export(activity=activity, fmt=format))
