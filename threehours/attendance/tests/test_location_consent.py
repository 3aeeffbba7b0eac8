"""The location consent at check-in (issue #16 §1): a position is used only with the separate
consent, given with the request or before; without it the check-in is refused, the position is
not kept, and staff can still check the volunteer in."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from threehours.accounts.errors import ConsentRequired
from threehours.accounts.models import Consent, User
from threehours.attendance import codes
from threehours.attendance import services as attendance_services
from threehours.attendance.models import Attempt, Attendance
from threehours.attendance.services import Proof
from threehours.core.timeutil import local_tz
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db

HERE = {"lat": 31.188, "lng": 121.437, "coord": "gcj02"}


@pytest.fixture
def newcomer(db):
    """A volunteer who agreed to share with organisers but never to the location use."""
    user = User.objects.create(phone="13600000042", phone_bound_at=timezone.now())
    Consent.objects.create(user=user, kind="share_with_org", version=1)
    return user


@pytest.fixture
def activity(org, newcomer):
    activity = published_activity(org, questions=[])
    signup_services.signup_create(activity=activity, volunteer=newcomer)
    return activity


def _at(activity, hh, mm=0):
    return dt.datetime.combine(activity.start_date, dt.time(hh, mm), tzinfo=local_tz())


def test_the_api_refuses_a_position_without_consent_and_keeps_none(api, activity, newcomer):
    client = api.as_user(newcomer)
    code = codes.day_code(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        response = client.post(f"activities/{activity.pk}/checkin", {"code": code, **HERE})
    assert (response.status_code, response.json()["code"]) == (400, "consent_required")
    assert not Attendance.objects.exists()
    attempt = Attempt.objects.get()
    assert attempt.result == "consent_required" and attempt.lat is None and attempt.lng is None
    with time_machine.travel(_at(activity, 13, 3), tick=False):
        response = client.post(
            f"activities/{activity.pk}/checkin",
            {"code": code, "location_consent": True, **HERE},
        )
    assert response.status_code == 200, response.json()
    row = newcomer.consents.get(kind="location")
    assert row.version == 1 and row.ip == "127.0.0.1"


def test_a_prior_consent_is_enough_and_a_withdrawn_one_is_not(activity, newcomer):
    from threehours.accounts.consent import consent_withdraw

    Consent.objects.create(user=newcomer, kind="location", version=1)
    consent_withdraw(user=newcomer, kind="location")
    proof = Proof(
        code=codes.day_code(activity.pk, activity.start_date),
        lat=Decimal("31.188"),
        lng=Decimal("121.437"),
        coord="gcj02",
    )
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        with pytest.raises(ConsentRequired):
            attendance_services.attendance_check_in(
                activity=activity, volunteer=newcomer, proof=proof
            )
    assert not Attendance.objects.exists()


def test_staff_can_check_in_a_volunteer_who_refuses_location(activity, newcomer, org):
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        attendance_services.attendance_check_in(
            activity=activity, volunteer=newcomer, staff=org.applicant
        )
    assert Attendance.objects.filter(volunteer=newcomer).exists()
    assert not newcomer.consents.filter(kind="location").exists()


def test_the_page_explains_the_position_before_the_browser_asks(activity, newcomer):
    phone = Client()
    phone.force_login(newcomer)
    url = f"/activities/{activity.pk}/checkin/"
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        html = phone.get(url).content.decode()
        assert 'name="location_consent"' in html
        code = codes.day_code(activity.pk, activity.start_date)
        post = {"action": "checkin", "t": "", "code": code, "lat": "31.188", "lng": "121.437"}
        response = phone.post(url, {**post, "coord": "gcj02"})
        assert response.status_code == 400
        assert not Attendance.objects.exists()
        response = phone.post(url, {**post, "coord": "gcj02", "location_consent": "on"})
        assert response.status_code == 302
        assert 'name="location_consent"' not in phone.get(url).content.decode()


def test_a_prior_consent_is_read_with_the_registration_not_on_its_own(api, activity, newcomer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Consent.objects.create(user=newcomer, kind="location", version=1)
    client = api.as_user(newcomer)
    client.get("me/hours")  # the token's last-used time is written once
    token, _ = codes.qr_token_make(activity.pk, activity.start_date)
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"activities/{activity.pk}/checkin", {"qr_token": token, **HERE})
    assert response.status_code == 200, response.json()
    own = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT 1 AS "a"')]
    assert not own and any("EXISTS" in q["sql"] for q in queries.captured_queries)


class PassingFace:
    def verify(self, user, evidence):
        return evidence == "my-face"


def test_the_identity_check_needs_the_face_consent_only_with_a_provider(
    activity, newcomer, settings
):
    Consent.objects.create(user=newcomer, kind="location", version=1)

    def proof(**extra):
        return Proof(
            code=codes.day_code(activity.pk, activity.start_date),
            lat=Decimal("31.188"),
            lng=Decimal("121.437"),
            coord="gcj02",
            identity="my-face",
            **extra,
        )

    settings.IDENTITY_PROVIDER = f"{__name__}.PassingFace"
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        with pytest.raises(ConsentRequired):
            attendance_services.attendance_check_in(
                activity=activity, volunteer=newcomer, proof=proof()
            )
        assert not Attendance.objects.exists()
        attendance_services.attendance_check_in(
            activity=activity, volunteer=newcomer, proof=proof(face_consent=True, ip="10.0.0.8")
        )
    assert newcomer.consents.get(kind="face").ip == "10.0.0.8"


def test_without_an_identity_provider_no_face_consent_is_asked(activity, newcomer, settings):
    settings.IDENTITY_PROVIDER = "none"
    Consent.objects.create(user=newcomer, kind="location", version=1)
    proof = Proof(
        code=codes.day_code(activity.pk, activity.start_date),
        lat=Decimal("31.188"),
        lng=Decimal("121.437"),
        coord="gcj02",
    )
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        attendance_services.attendance_check_in(activity=activity, volunteer=newcomer, proof=proof)
    assert not newcomer.consents.filter(kind="face").exists()


def test_a_client_that_always_sends_the_flag_writes_the_consent_once(api, activity, newcomer):
    """The mini-program sends `location_consent` with every check-in and check-out once the
    volunteer ticked it: recorded at the first, no write at the next (the burst's path)."""
    client = api.as_user(newcomer)
    with time_machine.travel(_at(activity, 13, 2), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        body = {"qr_token": token, **HERE, "location_consent": True}
        assert client.post(f"activities/{activity.pk}/checkin", body).status_code == 200
    given_at = newcomer.consents.get(kind="location").given_at
    with time_machine.travel(_at(activity, 15, 2), tick=False):
        token, _ = codes.qr_token_make(activity.pk, activity.start_date)
        body = {"qr_token": token, **HERE, "location_consent": True}
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"activities/{activity.pk}/checkout", body)
    assert response.status_code == 200, response.json()
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if 'INTO "accounts_consent"' in q["sql"] or 'UPDATE "accounts_consent"' in q["sql"]
    ]
    assert writes == []
    assert newcomer.consents.get(kind="location").given_at == given_at
