"""Children's check-in and check-out (docs/product.md §6, issue #14 §3) with a frozen clock."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from threehours.attendance import codes, services
from threehours.attendance.models import Attempt, Attendance, ChildPhoto
from threehours.attendance.services import Proof
from threehours.attendance.services import children as children_services
from threehours.core.errors import DomainError
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.models import LedgerEntry
from threehours.hours.services import hours_totals, ledger_verify
from threehours.signups.tests.factories import online_activity, published_activity

from .family import family_activity, family_signup, jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

HERE = {"lat": Decimal("31.188"), "lng": Decimal("121.437"), "coord": "gcj02"}


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


def _proof(activity, **overrides):
    return Proof(**{"code": codes.day_code(activity.pk, activity.start_date), **HERE, **overrides})


def _mum_in(activity, mum, hh=12, mm=50):
    return services.attendance_check_in(
        activity=activity, volunteer=mum, proof=_proof(activity), now=_at(activity, hh, mm)
    )


def _kids_in(activity, mum, kids, when, photo="default", **proof):
    return services.children_checkin(
        activity=activity,
        guardian=mum,
        child_ids=[k.pk for k in kids],
        photo=photo_upload() if photo == "default" else photo,
        proof=_proof(activity, **proof),
        now=when,
    )


def _kids_out(activity, mum, kids, when, **proof):
    return services.children_checkout(
        activity=activity,
        guardian=mum,
        child_ids=[k.pk for k in kids],
        proof=_proof(activity, **proof),
        now=when,
    )


def _photo_files() -> list[str]:
    root = ChildPhoto._meta.get_field("image").storage.location
    found = []
    for folder, _dirs, files in os.walk(os.path.join(root, "children")):
        found += [os.path.join(folder, f) for f in files]
    return found


def _nothing_written(code, fn, *args, **kwargs):
    before = (
        Attendance.objects.count(),
        ChildPhoto.objects.count(),
        LedgerEntry.objects.count(),
        sorted(_photo_files()),
    )
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code
    after = (
        Attendance.objects.count(),
        ChildPhoto.objects.count(),
        LedgerEntry.objects.count(),
        sorted(_photo_files()),
    )
    assert after == before
    return caught.value


def test_one_photo_checks_two_children_in(activity, family, mum, kids):
    _mum_in(activity, mum)
    rows = _kids_in(activity, mum, kids, _at(activity, 12, 55))
    assert {r.volunteer_id for r in rows} == {k.pk for k in kids}
    photo = ChildPhoto.objects.get()
    assert {a.photo_id for a in rows} == {photo.pk}
    assert photo.guardian == mum and photo.day == activity.start_date
    assert photo.image.storage.exists(photo.image.name)
    assert all(r.signup_id == family.pk and r.checkin_method == "code" for r in rows)
    attempts = Attempt.objects.filter(action="checkin", actor=mum, result="ok")
    assert sorted(attempts.values_list("volunteer_id", flat=True)) == sorted(k.pk for k in kids)
    # The guardian's own row is untouched and still the one the adult flow reads.
    assert Attendance.objects.filter(volunteer=mum).count() == 1


def test_child_before_the_guardian_is_refused(activity, family, mum, kids):
    err = _nothing_written(
        "guardian_not_checked_in", _kids_in, activity, mum, kids, _at(activity, 12, 55)
    )
    assert err.status == 409
    assert Attempt.objects.filter(result="guardian_not_checked_in", actor=mum).count() == 2


def test_child_after_the_guardian_checked_out_is_refused(activity, family, mum, kids):
    _mum_in(activity, mum)
    services.attendance_check_out(
        activity=activity, volunteer=mum, proof=_proof(activity), now=_at(activity, 13, 30)
    )
    _nothing_written("guardian_checked_out", _kids_in, activity, mum, kids, _at(activity, 13, 31))


def test_a_child_not_registered_is_refused(activity, mum, kids):
    family_signup(activity, mum, kids[:1])
    _mum_in(activity, mum)
    err = _nothing_written(
        "child_not_registered", _kids_in, activity, mum, kids, _at(activity, 12, 55)
    )
    assert "王小宝" in err.message


def test_another_familys_child_is_not_found(activity, family, mum, kids):
    dad = guardian("13900000012", name="李爸爸")
    other = child_of(dad, name="李小宝")
    family_signup(activity, dad, [other])
    _mum_in(activity, mum)
    err = _nothing_written(
        "not_found", _kids_in, activity, mum, [kids[0], other], _at(activity, 13)
    )
    assert err.status == 404
    assert not Attempt.objects.filter(volunteer=other).exists()


def test_the_photo_is_required_and_must_be_an_image(activity, family, mum, kids, settings):
    _mum_in(activity, mum)
    when = _at(activity, 12, 55)
    _nothing_written("photo_required", _kids_in, activity, mum, kids, when, photo=None)
    text = SimpleUploadedFile("x.jpg", b"not an image at all", "image/jpeg")
    _nothing_written("invalid_image", _kids_in, activity, mum, kids, when, photo=text)
    big = SimpleUploadedFile("big.jpg", b"\xff" * (children_services.PHOTO_MAX_BYTES + 1))
    _nothing_written("image_too_large", _kids_in, activity, mum, kids, when, photo=big)


def test_a_failed_write_leaves_no_file(activity, family, mum, kids, monkeypatch):
    _mum_in(activity, mum)

    def boom(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(children_services, "insert_one", boom)
    before = sorted(_photo_files())
    with pytest.raises(RuntimeError):
        _kids_in(activity, mum, kids, _at(activity, 12, 55))
    assert sorted(_photo_files()) == before and not ChildPhoto.objects.exists()


def test_a_wrong_code_is_counted_against_the_guardian(activity, family, mum, kids, settings):
    _mum_in(activity, mum)
    right = codes.day_code(activity.pk, activity.start_date)
    wrong = "1111" if right != "1111" else "2222"

    def typed(when):
        return _kids_in(activity, mum, kids, when, code=wrong)

    _nothing_written("bad_code", typed, _at(activity, 12, 55))
    assert Attempt.objects.filter(result="bad_code", actor=mum).count() == 2  # one per child
    settings.CHECKIN_CODE_MAX_WRONG = 2
    _nothing_written("too_many_wrong_codes", typed, _at(activity, 12, 56))
    # The budget is spent: even the right code is refused now.
    _nothing_written("too_many_wrong_codes", _kids_in, activity, mum, kids, _at(activity, 12, 57))


def test_outside_the_radius_is_refused(activity, family, mum, kids):
    _mum_in(activity, mum)
    _nothing_written(
        "outside_radius",
        _kids_in,
        activity,
        mum,
        kids,
        _at(activity, 12, 55),
        lat=Decimal("39.9"),
        lng=Decimal("116.4"),
    )


def test_a_child_checked_in_twice_is_refused(activity, family, mum, kids):
    _mum_in(activity, mum)
    _kids_in(activity, mum, kids[:1], _at(activity, 12, 55))
    err = _nothing_written("already_checked_in", _kids_in, activity, mum, kids, _at(activity, 13))
    assert "王大宝" in err.message


def test_check_in_closes_at_the_days_check_out_time(activity, family, mum, kids):
    _mum_in(activity, mum)
    _kids_in(activity, mum, kids[:1], _at(activity, 14, 0))  # 14:00 is still open
    _nothing_written("outside_window", _kids_in, activity, mum, kids[1:], _at(activity, 14, 1))


def test_children_are_credited_in_their_own_ledger(activity, family, mum, kids):
    _mum_in(activity, mum)
    _kids_in(activity, mum, kids[:1], _at(activity, 12, 55))
    _kids_in(activity, mum, kids[1:], _at(activity, 13, 30))
    rows = _kids_out(activity, mum, kids, _at(activity, 14, 30))
    by_child = {r.volunteer_id: r.hours for r in rows}
    assert by_child == {kids[0].pk: Decimal("1.0"), kids[1].pk: Decimal("0.5")}
    assert hours_totals(volunteer=kids[0]).total == Decimal("1.0")
    assert hours_totals(volunteer=kids[1]).total == Decimal("0.5")
    assert hours_totals(volunteer=mum).total == Decimal("0.0")  # not checked out yet
    assert LedgerEntry.objects.filter(volunteer__in=kids, entry_type="credit").count() == 2
    assert ledger_verify() == []
    # The guardian's own check-out still finds the guardian's row, not a child's.
    own = services.attendance_check_out(
        activity=activity, volunteer=mum, proof=_proof(activity), now=_at(activity, 14, 31)
    )
    assert own.volunteer_id == mum.pk and own.hours == Decimal("1.0")
    assert ledger_verify() == []


def test_child_checkout_needs_the_guardian_and_the_childs_check_in(activity, family, mum, kids):
    _nothing_written(
        "guardian_not_checked_in", _kids_out, activity, mum, kids, _at(activity, 14, 30)
    )
    _mum_in(activity, mum)
    _kids_in(activity, mum, kids[:1], _at(activity, 12, 55))
    err = _nothing_written("not_checked_in", _kids_out, activity, mum, kids, _at(activity, 14, 30))
    assert "王小宝" in err.message
    _kids_out(activity, mum, kids[:1], _at(activity, 14, 30))
    _nothing_written("already_checked_out", _kids_out, activity, mum, kids[:1], _at(activity, 15))


def test_child_checkout_opens_at_the_days_check_in_time(activity, family, mum, kids):
    _mum_in(activity, mum, 12, 0)
    _kids_in(activity, mum, kids, _at(activity, 12, 1))
    _nothing_written("outside_window", _kids_out, activity, mum, kids, _at(activity, 12, 59))
    rows = _kids_out(activity, mum, kids, _at(activity, 13, 0))
    assert all(r.hours == Decimal("0.0") for r in rows)


def test_online_activities_have_no_children_check_in(org, mum, kids):
    activity = family_activity(online_activity(org))
    family_signup(activity, mum, kids)
    when = dt.datetime.combine(activity.start_date, dt.time(13), tzinfo=local_tz())
    _nothing_written("online_activity", _kids_in, activity, mum, kids, when)


def test_guardian_checkin_and_board_ignore_childrens_rows(activity, family, mum, kids):
    from threehours.attendance import selectors

    _mum_in(activity, mum)
    _kids_in(activity, mum, kids, _at(activity, 12, 55))
    signup = selectors.signup_for_attendance(
        activity_id=activity.pk, volunteer=mum, day=activity.start_date
    )
    assert signup.attendance_by_day[activity.start_date].volunteer_id == mum.pk
    groups = selectors.attendance_board(activity=activity, day=activity.start_date)
    (row,) = groups["checked_in"]
    assert row.attendance.volunteer_id == mum.pk
    assert [c.child.pk for c in row.children_rows] == [k.pk for k in kids]
    assert all(c.attendance is not None for c in row.children_rows)


def test_jpeg_helper_makes_an_image():
    assert jpeg_bytes()[:2] == b"\xff\xd8"


def test_the_childrens_check_in_does_not_flag_the_guardians_position(activity, family, mum, kids):
    from threehours.attendance import selectors

    services.attendance_check_in(
        activity=activity,
        volunteer=mum,
        proof=_proof(activity, accuracy=Decimal("15")),
        now=_at(activity, 12, 50),
    )
    _kids_in(activity, mum, kids, _at(activity, 12, 55), accuracy=Decimal("15"))
    evidence = selectors.position_evidence(
        activity_ids=[activity.pk], date_from=activity.start_date, date_to=activity.start_date
    )
    assert evidence[(activity.pk, mum.pk, activity.start_date)].flags == ()


def test_staff_correct_a_childs_day_into_the_childs_ledger(org, activity, family, mum, kids):
    correction = services.attendance_correct(
        signup=family,
        day=activity.start_date,
        checkin_at=dt.time(13),
        checkout_at=dt.time(14),
        staff=org.applicant,
        reason="孩子忘记签到",
        today=activity.start_date,
        person_id=kids[1].pk,
    )
    assert correction.volunteer_id == kids[1].pk and correction.status == "applied"
    assert correction.attendance.volunteer_id == kids[1].pk
    assert hours_totals(volunteer=kids[1]).total == Decimal("1.0")
    assert hours_totals(volunteer=mum).total == Decimal("0.0")
    assert not Attendance.objects.filter(volunteer=mum).exists()
    assert ledger_verify() == []


def test_a_correction_for_someone_not_in_the_family_is_refused(org, activity, family, mum):
    dad = guardian("13900000012", name="李爸爸")
    other = child_of(dad, name="李小宝")
    with pytest.raises(DomainError) as caught:
        services.attendance_correct(
            signup=family,
            day=activity.start_date,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            staff=org.applicant,
            reason="补签",
            today=activity.start_date,
            person_id=other.pk,
        )
    assert caught.value.code == "invalid_input" and "person" in caught.value.fields
    assert not Attendance.objects.exists() and not LedgerEntry.objects.exists()
