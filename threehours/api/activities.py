"""Activities operations of docs/api.md: the organisation's create/edit/publish/copy/cancel, the
attribute lists, and discovery for volunteers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from threehours.activities import selectors, services
from threehours.activities.errors import ActivityNotFound
from threehours.activities.models import Activity
from threehours.activities.selectors import attribute_lists
from threehours.core.routers import on_replica
from threehours.core.timeutil import local_today
from threehours.orgs.selectors import access_org_for_staff
from threehours.signups import rules as signup_rules

from .auth import token_auth
from .schemas import (
    FeeYuan,
    Hours,
    Id,
    Latitude,
    LaxDate,
    Limit,
    Longitude,
    Out,
    Places,
    RadiusKm,
    RadiusM,
    StrictIn,
    errors,
)

router = Router(tags=["activities"])


class OptionOut(Out):
    code: str
    label: str


class FormOptionOut(OptionOut):
    online: bool


class AttributesOut(Out):
    types: list[OptionOut]
    forms: list[FormOptionOut]
    fields: list[OptionOut]
    regions: list[OptionOut]
    beneficiaries: list[OptionOut]
    skills: list[OptionOut]
    incentives: list[OptionOut]


# A child's age in full years on the first day (docs/product.md §6: children are 0 to 17).
ChildAge = Annotated[int, Field(ge=0, le=17)]
# The organiser's registration commitment (报名承诺); the service counts the characters.
Commitment = Annotated[str, Field(max_length=1000)]


class QuestionIn(StrictIn):
    text: str
    kind: str
    choices: list[str] = []
    required: bool = False


class ActivityIn(StrictIn):
    title: str
    description_html: str = ""
    start_date: LaxDate
    end_date: LaxDate
    registration_deadline: LaxDate | None = None
    checkin_time: str
    checkout_time: str
    places: Places
    fee_yuan: FeeYuan = 0
    fee_note: str = ""
    skill_requirement: str = ""
    other_requirement: str = ""
    type: str
    form: str
    field: str
    regions: list[str] = []
    beneficiaries: list[str] = []
    skills: list[str] = []
    incentives: list[str] = []
    address: str = ""
    district: str = ""
    lat: Latitude | None = None
    lng: Longitude | None = None
    checkin_radius_m: RadiusM | None = None
    contact_name: str
    contact_phone: str
    questions: list[QuestionIn] = []
    screening: Literal["auto", "review"] = "auto"
    waitlist_enabled: bool | None = None
    checkin_qr_only: bool = False
    # Parent-child (和孩子一起报名): the parent-child type always takes families.
    family: bool = False
    child_age_min: ChildAge | None = None
    child_age_max: ChildAge | None = None
    commitment: Commitment = ""


class ActivityPatch(StrictIn):
    title: str | None = None
    description_html: str | None = None
    start_date: LaxDate | None = None
    end_date: LaxDate | None = None
    registration_deadline: LaxDate | None = None
    checkin_time: str | None = None
    checkout_time: str | None = None
    places: Places | None = None
    fee_yuan: FeeYuan | None = None
    fee_note: str | None = None
    skill_requirement: str | None = None
    other_requirement: str | None = None
    type: str | None = None
    form: str | None = None
    field: str | None = None
    regions: list[str] | None = None
    beneficiaries: list[str] | None = None
    skills: list[str] | None = None
    incentives: list[str] | None = None
    address: str | None = None
    district: str | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    checkin_radius_m: RadiusM | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    questions: list[QuestionIn] | None = None
    screening: Literal["auto", "review"] | None = None
    waitlist_enabled: bool | None = None
    checkin_qr_only: bool | None = None
    family: bool | None = None
    child_age_min: ChildAge | None = None
    child_age_max: ChildAge | None = None
    commitment: Commitment | None = None


class ReasonIn(StrictIn):
    reason: str


class OrgRef(Out):
    id: int
    name: str


class QuestionOut(Out):
    id: int
    text: str
    kind: str
    choices: list[str]
    required: bool


class ActivitySummaryOut(Out):
    """An activity in a list: what its card shows. The detail adds the description, fee note,
    requirements, contact, check-in radius, questions and registration settings."""

    id: int
    title: str
    cover_url: str | None
    start_date: dt.date
    end_date: dt.date
    registration_deadline: dt.date
    checkin_time: str
    checkout_time: str
    max_hours_per_day: Hours
    places: int
    places_left: int
    registration_open: bool
    phase: str
    fee_yuan: Decimal
    type: OptionOut
    form: FormOptionOut
    field: OptionOut
    online: bool
    address: str
    city: str | None
    district: str | None
    lat: Decimal | None
    lng: Decimal | None
    state: str
    organisation: OrgRef


class ActivityOut(ActivitySummaryOut):
    description_html: str
    fee_note: str
    skill_requirement: str
    other_requirement: str
    checkin_radius_m: int | None
    contact_name: str
    contact_phone: str
    questions: list[QuestionOut]
    screening: str
    waitlist_enabled: bool
    checkin_qr_only: bool
    family: bool
    child_age_min: int | None
    child_age_max: int | None
    commitment: str
    # What a guardian accepts when registering children: the organiser's text or the default.
    commitment_text: str


class ActivityListOut(Out):
    items: list[ActivitySummaryOut]
    next_cursor: str | None


class CoverOut(Out):
    cover_url: str
    small_original: bool


def _option(option) -> dict[str, Any]:
    return {"code": option.code, "label": option.label, "online": option.online}


def activity_summary_out(
    activity: Activity, today: dt.date, options: dict[int, dict] | None = None
) -> dict[str, Any]:
    """`options`: a dict the items of one response share, so that each attribute option is
    written out once per response rather than three times per item (its label looks up the
    request's language)."""
    if options is None:
        options = {}
    option_out = []
    for option in (activity.type, activity.form, activity.field):
        found = options.get(option.pk)
        if found is None:
            found = options[option.pk] = _option(option)
        option_out.append(found)
    cover = activity.cover
    return {
        "id": activity.pk,
        "title": activity.title,
        "cover_url": cover.url if cover else None,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "registration_deadline": activity.registration_deadline,
        "checkin_time": activity.checkin_time.strftime("%H:%M"),
        "checkout_time": activity.checkout_time.strftime("%H:%M"),
        "max_hours_per_day": activity.max_hours_per_day,
        "places": activity.places,
        "places_left": activity.places_left,
        "registration_open": activity.registration_open_on(today),
        "phase": activity.phase_on(today),
        "fee_yuan": activity.fee_yuan,
        "type": option_out[0],
        "form": option_out[1],
        "field": option_out[2],
        "online": activity.online,
        "address": activity.address,
        "city": activity.city.label if activity.city_id else None,
        "district": activity.district.name if activity.district_id else None,
        "lat": activity.lat,
        "lng": activity.lng,
        "state": activity.state,
        "organisation": {"id": activity.organisation_id, "name": activity.organisation.name},
    }


def activity_out(activity: Activity) -> dict[str, Any]:
    return {
        **activity_summary_out(activity, local_today()),
        "description_html": activity.description_html,
        "fee_note": activity.fee_note,
        "skill_requirement": activity.skill_requirement,
        "other_requirement": activity.other_requirement,
        "checkin_radius_m": activity.checkin_radius_m,
        "contact_name": activity.contact_name,
        "contact_phone": activity.contact_phone,
        "questions": [
            {
                "id": q.pk,
                "text": q.text,
                "kind": q.kind,
                "choices": q.choices,
                "required": q.required,
            }
            for q in activity.questions.all()
        ],
        "screening": activity.screening,
        "waitlist_enabled": activity.waitlist_enabled,
        "checkin_qr_only": activity.checkin_qr_only,
        "family": activity.family,
        "child_age_min": activity.child_age_min,
        "child_age_max": activity.child_age_max,
        "commitment": activity.commitment,
        "commitment_text": signup_rules.commitment_text(activity),
    }


def _org_activity(request: HttpRequest, org_id: int, activity_id: int):
    org = access_org_for_staff(user=request.user, org_id=org_id)
    activity = selectors.access_activity_for_org(org=org, activity_id=activity_id)
    return org, activity


@router.get("/attributes", response={200: AttributesOut}, auth=None)
def attributes(request: HttpRequest):
    """The attribute lists in the request's language; forms say whether they are online."""
    lists = attribute_lists()

    def out(kind: str) -> list[dict]:
        return [_option(o) for o in lists[kind]]

    return {
        "types": out("type"),
        "forms": out("form"),
        "fields": out("field"),
        "regions": out("region"),
        "beneficiaries": out("beneficiary"),
        "skills": out("skill"),
        "incentives": out("incentive"),
    }


@router.post(
    "/orgs/{org_id}/activities",
    response={201: ActivityOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
)
def activity_create(request: HttpRequest, org_id: Id, payload: ActivityIn):
    org = access_org_for_staff(user=request.user, org_id=org_id)
    activity = services.activity_create(org=org, user=request.user, data=payload.dict())
    return Status(201, activity_out(activity))


@router.get(
    "/orgs/{org_id}/activities",
    response={200: ActivityListOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
)
def activity_list_for_org(
    request: HttpRequest, org_id: Id, limit: Limit = 20, cursor: str | None = None
):
    from threehours.core.pagination import keyset_page

    org = access_org_for_staff(user=request.user, org_id=org_id)
    page = keyset_page(
        selectors.activity_list_for_org(org=org).select_related("organisation"),
        order=("-pk",),
        limit=limit,
        cursor=cursor,
    )
    today = local_today()
    return {
        "items": [activity_summary_out(a, today) for a in page.items],
        "next_cursor": page.next_cursor,
    }


@router.patch(
    "/orgs/{org_id}/activities/{activity_id}",
    response={200: ActivityOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def activity_update(request: HttpRequest, org_id: Id, activity_id: Id, payload: ActivityPatch):
    _org, activity = _org_activity(request, org_id, activity_id)
    data = {**services.activity_as_data(activity), **payload.dict(exclude_unset=True)}
    activity = services.activity_update(activity=activity, user=request.user, data=data)
    return activity_out(activity)


@router.post(
    "/orgs/{org_id}/activities/{activity_id}/publish",
    response={200: ActivityOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def activity_publish(request: HttpRequest, org_id: Id, activity_id: Id):
    _org, activity = _org_activity(request, org_id, activity_id)
    return activity_out(services.activity_publish(activity=activity, user=request.user))


@router.post(
    "/orgs/{org_id}/activities/{activity_id}/copy",
    response={201: ActivityOut, **errors(401, 403, 404)},
    auth=token_auth,
)
def activity_copy(request: HttpRequest, org_id: Id, activity_id: Id):
    _org, activity = _org_activity(request, org_id, activity_id)
    return Status(201, activity_out(services.activity_copy(activity=activity, user=request.user)))


@router.post(
    "/orgs/{org_id}/activities/{activity_id}/cancel",
    response={200: ActivityOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def activity_cancel(request: HttpRequest, org_id: Id, activity_id: Id, payload: ReasonIn):
    _org, activity = _org_activity(request, org_id, activity_id)
    activity = services.activity_cancel(activity=activity, user=request.user, reason=payload.reason)
    return activity_out(activity)


@router.post(
    "/orgs/{org_id}/activities/{activity_id}/cover",
    response={200: CoverOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
)
def activity_cover(request: HttpRequest, org_id: Id, activity_id: Id, file: File[UploadedFile]):
    _org, activity = _org_activity(request, org_id, activity_id)
    small = services.activity_cover_set(activity=activity, user=request.user, upload=file)
    activity.refresh_from_db()
    return {"cover_url": activity.cover.url, "small_original": small}


@router.get("/activities", response={200: ActivityListOut, **errors(400)}, auth=None)
def activity_search(
    request: HttpRequest,
    q: str = "",
    city: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    type: str = "",
    form: str = "",
    online: bool | None = None,
    lat: Latitude | None = None,
    lng: Longitude | None = None,
    radius_km: RadiusKm | None = None,
    has_places: bool = False,
    sort: Literal["soonest", "nearest", "newest"] = "soonest",
    limit: Limit = 20,
    cursor: str | None = None,
):
    """Published activities that have not ended. `sort`: soonest (default), newest (most
    recently published) or nearest (needs `lat` and `lng`; within `radius_km`, default 50 km).
    `has_places=true` leaves out full activities. `next_cursor` continues the same sort."""

    def answer() -> dict[str, Any]:
        page = selectors.activity_search(
            q=q.strip()[:50],
            city=city,
            date_from=date_from,
            date_to=date_to,
            type=type,
            form=form,
            online=online,
            today=local_today(),
            limit=limit,
            cursor=cursor,
            lat=Decimal(str(lat)) if lat is not None else None,
            lng=Decimal(str(lng)) if lng is not None else None,
            radius_km=min(radius_km, 500.0) if radius_km else None,
            has_places=has_places,
            sort=sort,
        )
        today, options = local_today(), {}
        return {
            "items": [activity_summary_out(a, today, options) for a in page.items],
            "next_cursor": page.next_cursor,
        }

    # Public data only: a replica may answer (core/routers.py).
    return on_replica(request, answer)


@router.get("/activities/{activity_id}", response={200: ActivityOut, **errors(404)}, auth=None)
def activity_detail(request: HttpRequest, activity_id: Id):
    activity = selectors.activity_get_published(activity_id=activity_id)
    if activity is None:
        raise ActivityNotFound()
    return activity_out(activity)
