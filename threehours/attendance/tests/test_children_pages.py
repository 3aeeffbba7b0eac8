"""The family's part of the check-in page, the private photo, the retention job, the staff
board and the API of children's check-in (issue #14 §3)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from threehours.attendance import codes, services, tasks
from threehours.attendance.models import Attendance, ChildPhoto
from threehours.attendance.services import Proof
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.services import hours_totals, ledger_verify
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups.tests.factories import published_activity

from .family import family_activity, family_signup, jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

HERE = {"lat": "31.188", "lng": "121.437", "coord": "gcj02", "accuracy": "12"}


@pytest.fixture
def activity(org):
    return family_activity(published_activity(org, questions=[], places=50))


@pytest.fixture
def mum():
    return guardian("13900000011", name="王妈妈")


@pytest.fixture
def kids(mum):
    return [child_of(mum, name="王大宝", age=10), child_of(mum, name="王小宝", age=7)]


@pytest.fixture
def family(activity, mum, kids):
    return family_signup(activity, mum, kids)


def _at(activity, hh, mm=0):
    return dt.datetime.combine(activity.start_date, dt.time(hh, mm), tzinfo=local_tz())


def _code(activity):
    return codes.day_code(activity.pk, activity.start_date)


def _proof(activity):
    return Proof(code=_code(activity), lat=Decimal("31.188"), lng=Decimal("121.437"), coord="gcj02")


def _mum_in(activity, mum):
    return services.attendance_check_in(
        activity=activity,
        volunteer=mum,
        proof=Proof(
            code=_code(activity), lat=Decimal("31.188"), lng=Decimal("121.437"), coord="gcj02"
        ),
        now=_at(activity, 12, 50),
    )


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(activity):
    return reverse("attendance:checkin", args=[activity.pk])


# -- the check-in page --------------------------------------------------------------------------


def test_the_page_offers_the_children_after_the_guardian_checked_in(activity, family, mum, kids):
    client = _logged_in(mum)
    with time_machine.travel(_at(activity, 12, 45), tick=False):
        page = client.get(_page(activity)).content.decode()
        assert 'data-testid="family"' not in page  # the guardian first
    _mum_in(activity, mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        page = client.get(_page(activity)).content.decode()
    assert 'data-testid="children-checkin-form"' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert page.count('name="child"') == 2 and "王小宝" in page


def test_the_page_checks_children_in_and_out(activity, family, mum, kids):
    client = _logged_in(mum)
    _mum_in(activity, mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        response = client.post(
            _page(activity),
            {
                "action": "children_checkin",
                "child": [kids[0].pk, kids[1].pk],
                "code": _code(activity),
                "photo": photo_upload(),
                **HERE,
            },
        )
    assert response.status_code == 302
    assert Attendance.objects.filter(volunteer__in=kids).count() == 2
    with time_machine.travel(_at(activity, 14, 10), tick=False):
        page = client.get(_page(activity)).content.decode()
        assert 'data-testid="children-checkout-form"' in page
        response = client.post(
            _page(activity),
            {"action": "children_checkout", "child": [kids[0].pk], "code": _code(activity), **HERE},
        )
        assert response.status_code == 302
        page = client.get(_page(activity)).content.decode()
    assert hours_totals(volunteer=kids[0]).total == Decimal("1.0")
    assert 'data-state="done"' in page and 'data-state="in"' in page
    photo = ChildPhoto.objects.get()
    assert reverse("attendance:child-photo", args=[photo.pk]) in page


def test_the_page_shows_a_refusal_and_writes_nothing(activity, family, mum, kids):
    client = _logged_in(mum)
    _mum_in(activity, mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        response = client.post(
            _page(activity),
            {"action": "children_checkin", "child": [kids[0].pk], "code": _code(activity), **HERE},
        )
    assert response.status_code == 400
    assert 'data-testid="checkin-error"' in response.content.decode()
    assert not Attendance.objects.filter(volunteer__in=kids).exists()


# -- the private photo --------------------------------------------------------------------------


@pytest.fixture
def photo(activity, family, mum, kids):
    _mum_in(activity, mum)
    services.children_checkin(
        activity=activity,
        guardian=mum,
        child_ids=[k.pk for k in kids],
        photo=photo_upload(),
        proof=Proof(
            code=_code(activity), lat=Decimal("31.188"), lng=Decimal("121.437"), coord="gcj02"
        ),
        now=_at(activity, 12, 55),
    )
    return ChildPhoto.objects.get()


def test_the_photo_is_served_to_the_family_and_the_staff_only(
    photo, org, operator, mum, kids, outsider
):

    url = reverse("attendance:child-photo", args=[photo.pk])
    assert _logged_in(mum).get(url).status_code == 200
    assert _logged_in(org.applicant).get(url).status_code == 200
    # A second guardian of a child in it.
    dad = guardian("13900000012", name="王爸爸")
    from threehours.family.models import Guardianship

    Guardianship.objects.create(
        child=kids[0], guardian=dad, added_by=mum, consent_version="1", consented_at=timezone.now()
    )
    assert _logged_in(dad).get(url).status_code == 200
    # Everyone else: not found.
    other_org = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    assert _logged_in(other_org.applicant).get(url).status_code == 404
    assert _logged_in(outsider).get(url).status_code == 404
    stranger_parent = guardian("13900000013", name="李妈妈")
    child_of(stranger_parent, name="李小宝")
    assert _logged_in(stranger_parent).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login


def test_retention_deletes_photos_past_the_period_once(photo, settings, activity, mum):
    settings.CHILD_PHOTO_RETENTION_DAYS = 90
    young = ChildPhoto.objects.create(activity=activity, day=activity.start_date, guardian=mum)
    storage = photo.image.storage
    name = photo.image.name
    now = timezone.now()
    ChildPhoto.objects.filter(pk=photo.pk).update(created_at=now - dt.timedelta(days=91))
    ChildPhoto.objects.filter(pk=young.pk).update(created_at=now - dt.timedelta(days=89))

    assert services.child_photos_expire(now=now, batch=1) == 1
    photo.refresh_from_db()
    young.refresh_from_db()
    assert photo.deleted_at is not None and not storage.exists(name)
    assert young.deleted_at is None
    assert services.child_photos_expire(now=now) == 0  # idempotent
    tasks.child_photos_expire_task.call_local()
    # The attendance keeps its photo row; the photo itself is gone for everyone.
    assert Attendance.objects.filter(photo=photo).count() == 2
    url = reverse("attendance:child-photo", args=[photo.pk])
    assert _logged_in(mum).get(url).status_code == 404


def test_retention_works_through_batches(settings, activity, mum):
    now = timezone.now()
    for _ in range(5):
        row = ChildPhoto.objects.create(activity=activity, day=activity.start_date, guardian=mum)
        ChildPhoto.objects.filter(pk=row.pk).update(created_at=now - dt.timedelta(days=100))
    assert services.child_photos_expire(now=now, batch=2) == 5
    assert not ChildPhoto.objects.filter(deleted_at__isnull=True).exists()


# -- the staff board ------------------------------------------------------------------------------


def test_the_board_lists_children_under_their_guardian(photo, org, activity, kids, settings):
    url = reverse("console:attendance-board", kwargs={"org_id": org.pk, "activity_id": activity.pk})
    client = _logged_in(org.applicant)
    with time_machine.travel(_at(activity, 13), tick=False):
        page = client.get(url).content.decode()
    assert page.count('data-testid="board-child"') == 2
    assert "王小宝" in page and reverse("attendance:child-photo", args=[photo.pk]) in page
    services.child_photos_expire(now=timezone.now() + dt.timedelta(days=400))
    with time_machine.travel(_at(activity, 13), tick=False):
        page = client.get(url).content.decode()
    assert "child-photo" in page and reverse("attendance:child-photo", args=[photo.pk]) not in page


def test_the_board_counts_people_each_child_in_their_own_state(org, activity, family, mum, kids):
    from threehours.attendance import selectors

    _mum_in(activity, mum)
    services.children_checkin(
        activity=activity,
        guardian=mum,
        child_ids=[kids[0].pk],
        photo=photo_upload(),
        proof=_proof(activity),
        now=_at(activity, 12, 55),
    )
    groups = selectors.attendance_board(activity=activity, day=activity.start_date)
    counts = selectors.attendance_board_counts(groups)
    # The guardian and one child are in, the other child not yet: three people, one family.
    assert counts == {"registered": 1, "checked_in": 2, "checked_out": 0, "absent": 0}
    url = reverse("console:attendance-board", kwargs={"org_id": org.pk, "activity_id": activity.pk})
    with time_machine.travel(_at(activity, 13), tick=False):
        page = _logged_in(org.applicant).get(url).content.decode()
    assert 'data-testid="count-checked-in">2<' in page


# -- the API --------------------------------------------------------------------------------------


def _multipart(api_client, path, data):
    return api_client.client.post(
        f"/api/v1/{path}", data=data, headers={"Authorization": f"Bearer {api_client.token}"}
    )


def test_api_checks_a_child_in_and_out(api, activity, family, mum, kids):
    client = api.as_user(mum)
    path = f"activities/{activity.pk}/children/{kids[0].pk}/checkin"
    body = {"code": _code(activity), **HERE}
    with time_machine.travel(_at(activity, 12, 45), tick=False):
        early = _multipart(client, path, {**body, "photo": photo_upload()})
        assert early.status_code == 409 and early.json()["code"] == "guardian_not_checked_in"
    _mum_in(activity, mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        missing = _multipart(client, path, body)
        assert missing.status_code == 400 and missing.json()["code"] == "photo_required"
        done = _multipart(client, path, {**body, "photo": photo_upload()})
    assert done.status_code == 200, done.content
    assert done.json()["child_id"] == kids[0].pk and done.json()["photo_id"]
    with time_machine.travel(_at(activity, 14, 5), tick=False):
        out = client.post(
            f"activities/{activity.pk}/children/{kids[0].pk}/checkout",
            {"code": _code(activity), "lat": 31.188, "lng": 121.437, "coord": "gcj02"},
        )
    assert out.status_code == 200, out.content
    assert out.json()["hours"] == 1.0
    assert ledger_verify() == []


def test_api_another_familys_child_is_not_found(api, activity, family, mum, kids):
    dad = guardian("13900000012", name="李爸爸")
    other = child_of(dad, name="李小宝")
    family_signup(activity, dad, [other])
    _mum_in(activity, mum)
    client = api.as_user(mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        response = _multipart(
            client,
            f"activities/{activity.pk}/children/{other.pk}/checkin",
            {"code": _code(activity), **HERE, "photo": photo_upload()},
        )
        checkout = client.post(
            f"activities/{activity.pk}/children/{other.pk}/checkout", {"code": _code(activity)}
        )
    assert response.status_code == 404 and checkout.status_code == 404
    assert not Attendance.objects.filter(volunteer=other).exists()


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e308", "91"])
def test_api_refuses_numbers_that_cannot_be_a_position(api, activity, family, mum, kids, raw):
    _mum_in(activity, mum)
    client = api.as_user(mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        response = _multipart(
            client,
            f"activities/{activity.pk}/children/{kids[0].pk}/checkin",
            {"code": _code(activity), **HERE, "lat": raw, "photo": photo_upload()},
        )
    assert response.status_code == 400
    assert "lat" in response.json()["fields"]
    assert not Attendance.objects.filter(volunteer__in=kids).exists()


def test_api_non_image_photo_is_refused(api, activity, family, mum, kids):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _mum_in(activity, mum)
    client = api.as_user(mum)
    with time_machine.travel(_at(activity, 12, 55), tick=False):
        response = _multipart(
            client,
            f"activities/{activity.pk}/children/{kids[0].pk}/checkin",
            {"code": _code(activity), **HERE, "photo": SimpleUploadedFile("a.jpg", b"%PDF-1.4")},
        )
    assert response.status_code == 400 and response.json()["code"] == "invalid_image"
    assert jpeg_bytes()


def test_the_board_corrects_a_childs_day(org, activity, family, kids):
    url = reverse("console:attendance-correct", kwargs={"org_id": org.pk, "signup_id": family.pk})
    client = _logged_in(org.applicant)
    with time_machine.travel(_at(activity, 15), tick=False):
        page = client.get(
            reverse(
                "console:attendance-board", kwargs={"org_id": org.pk, "activity_id": activity.pk}
            )
        ).content.decode()
        assert f'name="person" value="{kids[0].pk}"' in page
        response = client.post(
            url,
            {
                "day": activity.start_date.isoformat(),
                "checkin_at": "13:00",
                "checkout_at": "13:30",
                "reason": "孩子的手机没电",
                "person": str(kids[0].pk),
            },
        )
    assert response.status_code == 302
    assert Attendance.objects.get(volunteer=kids[0]).hours == Decimal("0.5")
    assert hours_totals(volunteer=kids[0]).total == Decimal("0.5")
    # The guardian is told, by the child's name, with a link to the child's hours.
    from threehours.notifications.models import Message

    told = Message.objects.filter(recipient=family.volunteer).latest("pk")
    assert told.title == f"{kids[0].real_name}的公益时已更正"
    assert told.link == reverse("reporting:child-hours", args=[kids[0].pk])
    assert not Message.objects.filter(recipient=kids[0]).exists()


def test_the_hours_export_names_each_child_as_a_child(org, activity, family, mum, kids):
    import csv
    import io

    from threehours.reporting import export_services

    _mum_in(activity, mum)
    child_ids = [k.pk for k in kids]
    services.children_checkin(
        activity=activity,
        guardian=mum,
        child_ids=child_ids,
        photo=photo_upload(),
        proof=_proof(activity),
        now=_at(activity, 12, 55),
    )
    services.children_checkout(
        activity=activity,
        guardian=mum,
        child_ids=child_ids,
        proof=_proof(activity),
        now=_at(activity, 14, 5),
    )
    _name, _type, content = export_services.range_export(
        org=org, date_from=activity.start_date, date_to=activity.start_date, fmt="csv"
    )
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    names = {row[2]: row for row in rows[1:]}
    for kid in kids:
        assert names[f"{kid.real_name}（小宝）"][6] == "1.0"
    assert mum.real_name in names  # the guardian checked in, not yet out: no credit
