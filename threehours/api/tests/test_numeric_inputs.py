"""Every number the API takes is validated before use (issue #12 §6): generated from the
OpenAPI document, every numeric request-body property (nested ones and array items included),
query parameter and path parameter of every operation gets, one field at a time, each of the
values below, in an otherwise valid request by a user the operation serves, with real objects
behind the other ids. No answer is a server error; a non-finite value in a body is a 400 (or
another documented 4xx), never accepted. A few focused tests pin the field error's shape."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from PIL import Image

from threehours.attendance import codes
from threehours.core.timeutil import local_tz

pytestmark = pytest.mark.django_db

# Raw JSON tokens (Python's json, and so the API, accepts NaN and ±Infinity) and query/path
# text. Non-finite values first: a finite one may be accepted and change the state (-0.0 as
# an accuracy checks the volunteer in), which must not hide what the others do.
NON_FINITE = ("NaN", "Infinity", "-Infinity")
VALUES = (*NON_FINITE, "1e308", "-1e308", "-0", "-0.0", str(10**30), str(-(10**30)), str(2**63))

OPENAPI_PATH = "/api/v1/openapi.json"
HERE = {"lat": 31.188, "lng": 121.437, "coord": "gcj02"}


def _openapi() -> dict:
    # Read while the tests are collected, before the test settings allow "testserver".
    return json.loads(Client().get(OPENAPI_PATH, headers={"Host": "localhost"}).content)


DOCUMENT = _openapi()
COMPONENTS = DOCUMENT.get("components", {}).get("schemas", {})


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _numeric_paths(schema: dict, prefix: tuple = ()) -> list[tuple]:
    """The numeric leaves of `schema` as key paths; `[]` stands for an array's item."""
    schema = _resolve(schema)
    found: list[tuple] = []
    for alternative in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        found += [p for p in _numeric_paths(alternative, prefix) if p not in found]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        found.append(prefix)
    elif kind == "array":
        found += _numeric_paths(schema.get("items", {}), (*prefix, "[]"))
    for name, sub in schema.get("properties", {}).items():
        found += _numeric_paths(sub, (*prefix, name))
    return found


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    where: str  # "path", "query" or "body"
    field: tuple
    content_type: str | None

    @property
    def id(self) -> str:
        name = ".".join(self.field)
        return f"{self.method.upper()} {self.path} {self.where}:{name}"


def _targets() -> list[Target]:
    targets = []
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                for field in _numeric_paths(parameter.get("schema", {}), (parameter["name"],)):
                    targets.append(Target(method, path, parameter["in"], field, None))
            contents = operation.get("requestBody", {}).get("content", {})
            for content_type, content in contents.items():
                for field in _numeric_paths(content["schema"]):
                    targets.append(Target(method, path, "body", field, content_type))
    return targets


TARGETS = _targets()


def _operation(target: Target) -> dict:
    return DOCUMENT["paths"][target.path][target.method]


def _sample(schema: dict) -> Any:
    """A plain value of `schema`'s type, for the properties no base body names."""
    schema = _resolve(schema)
    for alternative in schema.get("anyOf", []):
        if _resolve(alternative).get("type") != "null":
            return _sample(alternative)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    return {
        "integer": 1,
        "number": 1.0,
        "boolean": False,
        "array": [],
        "object": {},
        "string": "示例",
    }.get(schema.get("type"))


def _picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 80, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- the world the requests act on --------------------------------------------------------------


@pytest.fixture
def world(operator, regions, attributes, volunteer):
    """An approved organisation (its applicant is its admin) with a published activity that
    `volunteer` registered for, a second registrant and a qualification file; another
    organisation's pending certificate renewal; a message in the volunteer's inbox; a
    correction waiting for approval."""
    from threehours.notifications.services import notify
    from threehours.orgs import services as org_services
    from threehours.orgs.tests.factories import (
        VALID_CREDIT_CODE,
        applicant,
        approved_org,
        image_upload,
    )
    from threehours.signups import services as signup_services
    from threehours.signups.tests.factories import published_activity, volunteers

    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    signup = signup_services.signup_create(activity=activity, volunteer=volunteer)
    [other] = volunteers(1)
    other_signup = signup_services.signup_create(activity=activity, volunteer=other)
    social = approved_org(
        operator=operator,
        user=applicant("social@ngo.example.cn"),
        category="social_org",
        credit_code=VALID_CREDIT_CODE,
        certificate_valid_until=activity.start_date + dt.timedelta(days=30),
    )
    renewal = org_services.renewal_submit(
        org=social,
        user=social.applicant,
        valid_until=activity.start_date + dt.timedelta(days=400),
        uploads=[image_upload()],
    )
    message = notify(user=volunteer, title="通知", body="内容")
    from threehours.attendance.services import attendance_correct

    long_after = activity.start_date + dt.timedelta(days=30)
    correction = attendance_correct(  # for a day long ago: it waits for approval
        signup=other_signup,
        day=activity.start_date,
        checkin_at=dt.time(13),
        checkout_at=dt.time(14),
        staff=org.applicant,
        reason="补签",
        today=long_after,
    )
    from threehours.family import services as family_services
    from threehours.family.tests.factories import child_of, guardian

    parent = guardian("13900000077")
    child = child_of(parent)
    invitation = family_services.guardian_invite(
        guardian=parent, child=child, phone=volunteer.phone
    )
    from threehours.ratings.models import Rating

    # Only its id is needed here (the rules are tested in ratings/tests).
    rating = Rating.objects.create(
        activity=activity, volunteer=volunteer, organisation=org, stars=4, text="好"
    )
    from threehours.rewards.tests.factories import active_incentive

    incentive = active_incentive(actor=operator, codes=1)
    from threehours.privacy.models import DataExport

    # Only its id is needed here (the rules are tested in privacy/tests).
    data_export = DataExport.objects.create(user=volunteer)
    return {
        "operator": operator,
        "staff": org.applicant,
        "volunteer": volunteer,
        "ids": {
            "org_id": org.pk,
            "activity_id": activity.pk,
            "reg_id": other_signup.pk,
            "user_id": other_signup.volunteer_id,  # a registrant (phone reveal; ops user actions)
            "file_id": org.files.first().pk,
            "membership_id": org.memberships.first().pk,
            "renewal_id": renewal.pk,
            "message_id": message.pk,
            "correction_id": correction.pk,
            "child_id": child.pk,
            "invitation_id": invitation.pk,
            "rating_id": rating.pk,
            "incentive_id": incentive.pk,
            "export_id": data_export.pk,
        },
        "activity": activity,
        "signup": signup,
    }


def _user_for(path: str, world: dict):
    if path.startswith("/api/v1/ops/"):
        return world["operator"]
    if "{org_id}" in path:
        return world["staff"]
    return world["volunteer"]


def _base_body(target: Target, world: dict) -> dict:
    """A valid body of the operation: known-good values for the operations that have numeric
    fields, each other property a plain value of its type."""
    from threehours.activities.tests.factories import activity_data

    activity = world["activity"]
    known: dict[str, dict] = {
        "/api/v1/orgs/{org_id}/activities": activity_data(questions=[]),
        "/api/v1/orgs/{org_id}/activities/{activity_id}": activity_data(questions=[]),
        "/api/v1/activities/{activity_id}/checkin": {
            "code": codes.day_code(activity.pk, activity.start_date),
            "accuracy": 10.0,
            **HERE,
        },
        "/api/v1/activities/{activity_id}/registrations": {"children": [], "answers": {}},
        "/api/v1/orgs/{org_id}/registrations/{reg_id}/attendance": {
            "day": activity.start_date.isoformat(),
            "checkin_at": "13:00",
            "checkout_at": "14:00",
            "reason": "补签",
        },
    }
    known["/api/v1/activities/{activity_id}/checkout"] = known[
        "/api/v1/activities/{activity_id}/checkin"
    ]
    if target.path in known:
        return dict(known[target.path])
    content = _operation(target).get("requestBody", {}).get("content", {})
    if not content:
        return {}
    schema = _resolve(next(iter(content.values()))["schema"])
    return {name: _sample(sub) for name, sub in schema.get("properties", {}).items()}


PLACEHOLDER = "__number_under_test__"


def _put(body: Any, field: tuple) -> Any:
    """`body` with the leaf at `field` replaced by the placeholder (arrays get one item)."""
    if not field:
        return PLACEHOLDER
    head, rest = field[0], field[1:]
    if head == "[]":
        return [_put(None, rest)]
    body = dict(body or {})
    body[head] = _put(body.get(head), rest)
    return body


def _request(client, target: Target, world: dict, raw: str):
    ids = {name: str(value) for name, value in world["ids"].items()}
    path_names = re.findall(r"\{(\w+)\}", target.path)
    missing = set(path_names) - set(ids)
    assert not missing, f"{target.id}: give the world an object for {missing}"
    if target.where == "path":
        ids[target.field[0]] = raw
    url = target.path.format(**ids)
    query: dict[str, str] = {}
    if target.path == "/api/v1/activities":
        query = {"lat": "31.188", "lng": "121.437", "radius_km": "10", "sort": "nearest"}
    if target.where == "query":
        query[target.field[0]] = raw
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    headers = {"Authorization": f"Bearer {client.token}"}
    content = _operation(target).get("requestBody", {}).get("content", {})
    if target.method == "get" or not content:
        return getattr(client.client, target.method)(url, headers=headers)
    if "multipart/form-data" in content:
        schema = _resolve(content["multipart/form-data"]["schema"])
        data: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            sub = _resolve(sub)
            if sub.get("format") == "binary":
                data[name] = _upload(name)
            elif sub.get("format") == "date":
                data[name] = (dt.date.today() + dt.timedelta(days=400)).isoformat()
            else:
                data[name] = raw if target.where == "body" and target.field == (name,) else "x"
        return getattr(client.client, target.method)(
            url,
            data=encode_multipart("BoUnDaRy", data),
            content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
            headers=headers,
        )
    body = _base_body(target, world)
    if target.where == "body":
        body = _put(body, target.field)
    text = json.dumps(body).replace(json.dumps(PLACEHOLDER), raw)
    return getattr(client.client, target.method)(
        url, data=text, content_type="application/json", headers=headers
    )


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{name}.jpg", _picture(), content_type="image/jpeg")


def _at(activity, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(activity.start_date, dt.time(hh, mm), tzinfo=local_tz())


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_no_number_makes_a_server_error_or_is_taken_when_not_finite(api, world, target):
    client = api.as_user(_user_for(target.path, world))
    # A server error is an answer to record like any other, so that one run lists them all.
    client.client.raise_request_exception = False
    activity = world["activity"]
    problems = []
    # During the activity's first daily window: check-in and check-out reach the position.
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        if target.path.endswith("/checkout"):
            body = {"code": codes.day_code(activity.pk, activity.start_date), **HERE}
            checked_in = client.post(f"activities/{activity.pk}/checkin", body)
            assert checked_in.status_code == 200, checked_in.content
        documented = {int(s) for s in _operation(target)["responses"] if s.startswith("4")}
        for raw in VALUES:
            response = _request(client, target, world, raw)
            status = response.status_code
            if status >= 500:
                problems.append(f"{raw} -> {status}")
            elif target.where == "body" and raw in NON_FINITE and status not in documented:
                problems.append(f"{raw} -> {status} (documented: {sorted(documented)})")
            elif target.where == "body" and raw in NON_FINITE and status == 400:
                fields = response.json().get("fields") or {}
                if not fields:
                    problems.append(f"{raw} -> 400 without a field error: {response.content!r}")
    assert not problems, f"{target.id}: " + "; ".join(problems)


def test_the_generated_test_covers_the_numbers_of_the_api():
    names = {t.id for t in TARGETS}
    assert "POST /api/v1/orgs/{org_id}/activities body:places" in names
    assert "POST /api/v1/activities/{activity_id}/registrations body:children.[]" in names
    assert "GET /api/v1/activities query:radius_km" in names
    assert "POST /api/v1/activities/{activity_id}/checkin body:accuracy" in names
    assert "GET /api/v1/orgs/{org_id} path:org_id" in names
    assert len(TARGETS) >= 70


# --- the field error's shape ----------------------------------------------------------------------


def _post_raw(client, path: str, body: dict, field: str, raw: str):
    text = json.dumps({**body, field: PLACEHOLDER}).replace(json.dumps(PLACEHOLDER), raw)
    return client.client.post(
        f"/api/v1/{path}",
        data=text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}", "Accept-Language": "en"},
    )


@pytest.mark.parametrize("raw", ["1e308", "NaN", "Infinity", str(10**30), "0", "-1"])
def test_places_out_of_range_is_a_field_error_and_nothing_is_written(api, world, raw):
    from threehours.activities.models import Activity
    from threehours.activities.tests.factories import activity_data

    client = api.as_user(world["staff"])
    before = Activity.objects.count()
    path = f"orgs/{world['ids']['org_id']}/activities"
    response = _post_raw(client, path, activity_data(questions=[]), "places", raw)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_input"
    assert set(body["fields"]) == {"places"}
    assert all(isinstance(m, str) and m for m in body["fields"]["places"])
    assert Activity.objects.count() == before


@pytest.mark.parametrize(
    ("field", "raw"),
    [("fee_yuan", "NaN"), ("fee_yuan", "1e308"), ("lat", "Infinity"), ("lng", "-1e308")],
)
def test_fee_and_position_out_of_range_are_field_errors(api, world, field, raw):
    from threehours.activities.tests.factories import activity_data

    client = api.as_user(world["staff"])
    path = f"orgs/{world['ids']['org_id']}/activities/{world['ids']['activity_id']}"
    text = json.dumps({field: PLACEHOLDER}).replace(json.dumps(PLACEHOLDER), raw)
    response = client.client.patch(
        f"/api/v1/{path}",
        data=text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["fields"]) == {field}
    assert activity_data  # the activity keeps its values:
    world["activity"].refresh_from_db()
    assert world["activity"].fee_yuan == 0 and float(world["activity"].lat) == HERE["lat"]


def test_a_huge_limit_is_a_field_error_in_the_request_language(api, world):
    client = api.as_user(world["staff"])
    url = f"/api/v1/orgs/{world['ids']['org_id']}/activities?limit={10**30}"
    response = client.client.get(url, headers={"Authorization": f"Bearer {client.token}"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    [message] = response.json()["fields"]["limit"]
    assert re.search(r"[\u4e00-\u9fff]", message)
    english = client.client.get(
        url, headers={"Authorization": f"Bearer {client.token}", "Accept-Language": "en"}
    )
    assert english.json()["fields"]["limit"] == ["Enter a number of at most 100."]


def test_an_id_beyond_the_database_range_is_a_field_error(api, world):
    client = api.as_user(world["volunteer"])
    response = client.get(f"activities/{2**63}")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"activity_id"}
