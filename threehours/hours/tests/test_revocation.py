"""Revocation of certificates when a later ledger entry changes the hours they certified
(issue #15 §4): hours.services.ledger_append calls hours.certificates.certificates_revoke_covering
for corrections, reversals and late credits, through the real attendance services here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from threehours.attendance import services as attendance
from threehours.attendance.models import Correction
from threehours.attendance.tests.family import family_activity, family_signup
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.certificates import certificates_revoke_covering
from threehours.hours.models import Certificate, LedgerEntry, PendingCredit
from threehours.notifications.models import Message
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups.tests.factories import attended, published_activity

from .certificate_factory import certificate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("threehours.hours.tests.urls_with_certificates"),
]


def _at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=local_tz())


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=20)


@pytest.fixture
def day(activity):
    return activity.start_date


@pytest.fixture
def signup(org, activity, volunteer):
    return attended(org, activity, volunteer)  # 1.0 h credited on the activity's day


@pytest.fixture
def next_day(day):
    """The morning after the activity: corrections of its day are possible."""
    with time_machine.travel(_at(day + dt.timedelta(days=1), 10), tick=False):
        yield day + dt.timedelta(days=1)


def _correct(signup, day, staff, *, until=(13, 30), person_id=None, today=None):
    return attendance.attendance_correct(
        signup=signup,
        day=day,
        checkin_at=dt.time(13),
        checkout_at=dt.time(*until),
        staff=staff,
        reason="签退时间登记有误",
        today=today or day + dt.timedelta(days=1),
        person_id=person_id,
    )


def _state(cert):
    cert.refresh_from_db()
    return cert.state


def _cert(holder, day, **kwargs):
    return certificate(
        holder, date_from=day - dt.timedelta(days=5), date_to=day + dt.timedelta(days=5), **kwargs
    )


def test_a_staff_correction_inside_the_period_revokes_and_tells_the_holder(
    org, signup, volunteer, day, next_day, django_capture_on_commit_callbacks
):
    cert = _cert(volunteer, day, organisation=org)
    with django_capture_on_commit_callbacks(execute=True):
        _correct(signup, day, org.applicant)
    cert.refresh_from_db()
    assert cert.state == Certificate.State.REVOKED
    assert cert.revoked_reason == Certificate.RevokedReason.CORRECTION
    assert cert.revoked_at is not None
    notice = Message.objects.filter(recipient=volunteer, link=reverse("hours:certificates"))
    assert notice.count() == 1
    assert cert.serial in notice.get().body


def test_a_correction_on_the_first_and_last_day_of_the_period_revokes(
    org, signup, volunteer, day, next_day
):
    first = certificate(volunteer, date_from=day, date_to=day + dt.timedelta(days=3))
    last = certificate(volunteer, date_from=day - dt.timedelta(days=3), date_to=day)
    _correct(signup, day, org.applicant)
    assert _state(first) == _state(last) == Certificate.State.REVOKED


def test_a_correction_outside_the_period_does_not_revoke(org, signup, volunteer, day, next_day):
    before = certificate(
        volunteer, date_from=day - dt.timedelta(days=30), date_to=day - dt.timedelta(days=1)
    )
    after = certificate(
        volunteer, date_from=day + dt.timedelta(days=1), date_to=day + dt.timedelta(days=30)
    )
    _correct(signup, day, org.applicant)
    assert _state(before) == _state(after) == Certificate.State.VALID
    assert LedgerEntry.objects.filter(entry_type="correction").count() == 1


def test_another_organisations_correction_does_not_revoke_a_one_organisation_certificate(
    org, operator, signup, volunteer, day, next_day
):
    other = approved_org(
        operator=operator, user=applicant("river@ngo.example.cn"), name="河流守护者"
    )
    cert = _cert(volunteer, day, organisation=other)
    _correct(signup, day, org.applicant)
    assert _state(cert) == Certificate.State.VALID


def test_an_all_organisation_certificate_is_revoked_by_any_organisations_correction(
    org, operator, signup, volunteer, day, next_day
):
    other = approved_org(
        operator=operator, user=applicant("river@ngo.example.cn"), name="河流守护者"
    )
    all_orgs = _cert(volunteer, day)
    other_only = _cert(volunteer, day, organisation=other)
    _correct(signup, day, org.applicant)
    assert _state(all_orgs) == Certificate.State.REVOKED
    assert _state(other_only) == Certificate.State.VALID


def test_another_volunteers_certificate_is_not_revoked(org, signup, outsider, day, next_day):
    cert = _cert(outsider, day)
    _correct(signup, day, org.applicant)
    assert _state(cert) == Certificate.State.VALID


def test_a_correction_waiting_for_approval_revokes_only_once_approved(
    org, signup, volunteer, day, next_day, settings, django_user_model
):
    settings.CORRECTION_APPROVAL_DAYS = 0  # a correction of yesterday waits for a second person
    cert = _cert(volunteer, day, organisation=org)
    correction = _correct(signup, day, org.applicant)
    assert correction.status == Correction.Status.PENDING
    assert _state(cert) == Certificate.State.VALID
    second = django_user_model.objects.create(phone="13700009999", nickname="第二位协调员")
    Membership.objects.create(organisation=org, user=second, role=Membership.Role.COORDINATOR)
    attendance.correction_approve(correction=correction, staff=second)
    assert _state(cert) == Certificate.State.REVOKED


def test_a_rejected_correction_does_not_revoke(
    org, signup, volunteer, day, next_day, settings, django_user_model
):
    settings.CORRECTION_APPROVAL_DAYS = 0
    cert = _cert(volunteer, day, organisation=org)
    correction = _correct(signup, day, org.applicant)
    second = django_user_model.objects.create(phone="13700009998", nickname="第二位协调员")
    Membership.objects.create(organisation=org, user=second, role=Membership.Role.COORDINATOR)
    attendance.correction_reject(correction=correction, staff=second, reason="时间无误")
    assert _state(cert) == Certificate.State.VALID


def test_a_pending_credit_confirmed_later_for_a_past_day_revokes(org, activity, volunteer, day):
    from threehours.signups import services as signup_services

    signup = signup_services.signup_create(activity=activity, volunteer=volunteer)
    attendance.attendance_staff_check(
        signup=signup, staff=org.applicant, action="checkin", now=_at(day, 13, 20)
    )  # and no check-out: a proposal the next night
    with time_machine.travel(_at(day + dt.timedelta(days=1), 9), tick=False):
        attendance.pending_credits_create_due(now=_at(day + dt.timedelta(days=1), 0, 10))
        cert = _cert(volunteer, day, organisation=org)
        pending = PendingCredit.objects.get()
        attendance.pending_credit_respond(pending=pending, volunteer=volunteer, agree=True)
        assert _state(cert) == Certificate.State.VALID  # not credited yet
        attendance.pending_credit_cosign(pending=pending, staff=org.applicant)
    assert LedgerEntry.objects.get().hours == Decimal("0.7")
    assert _state(cert) == Certificate.State.REVOKED


def test_a_check_out_credit_of_today_does_not_revoke(org, activity, volunteer, day):
    """A certificate certifies what was credited when it was issued: hours earned the same
    day after it was issued are new hours, not a change."""
    with time_machine.travel(_at(day, 12), tick=False):
        cert = certificate(volunteer, date_from=day - dt.timedelta(days=3), date_to=day)
        attended(org, activity, volunteer)
    assert _state(cert) == Certificate.State.VALID


def test_a_childs_certificate_is_revoked_and_its_guardian_told(
    org, activity, day, django_capture_on_commit_callbacks
):
    parent = guardian("13900000077")
    child = child_of(parent)
    family_activity(activity)
    signup = family_signup(activity, parent, [child])
    cert = _cert(child, day, issued_to=parent, holder_masked="王*宝")
    with (
        time_machine.travel(_at(day + dt.timedelta(days=1), 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _correct(signup, day, org.applicant, until=(14, 0), person_id=child.pk)
    assert _state(cert) == Certificate.State.REVOKED
    assert Message.objects.filter(recipient=parent, link=reverse("hours:certificates")).exists()
    assert not Message.objects.filter(recipient=child, link=reverse("hours:certificates")).exists()


def test_revoking_is_idempotent(org, volunteer, day, django_capture_on_commit_callbacks):
    cert = _cert(volunteer, day)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            certificates_revoke_covering(volunteer_id=volunteer.pk, organisation_id=org.pk, day=day)
            == 1
        )
    cert.refresh_from_db()
    first_at = cert.revoked_at
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            certificates_revoke_covering(volunteer_id=volunteer.pk, organisation_id=org.pk, day=day)
            == 0
        )
    cert.refresh_from_db()
    assert cert.revoked_at == first_at
    assert (
        Message.objects.filter(recipient=volunteer, link=reverse("hours:certificates")).count() == 1
    )


def test_a_second_correction_after_revocation_changes_nothing_more(
    org, signup, volunteer, day, next_day
):
    cert = _cert(volunteer, day)
    _correct(signup, day, org.applicant)
    cert.refresh_from_db()
    first_at = cert.revoked_at
    _correct(signup, day, org.applicant, until=(13, 45))
    cert.refresh_from_db()
    assert (cert.state, cert.revoked_at) == (Certificate.State.REVOKED, first_at)


def test_the_page_and_the_api_show_a_revocation_by_correction(
    client, api, org, signup, volunteer, day, next_day
):
    cert = _cert(volunteer, day)
    _correct(signup, day, org.applicant)
    page = client.get(
        reverse("hours:verify", args=[cert.serial]), headers={"Accept-Language": "en"}
    )
    assert 'data-state="revoked"' in page.content.decode()
    assert "corrected after it was issued" in page.content.decode()
    body = api.get(f"certificates/{cert.serial}").json()
    assert (body["state"], body["revoked_reason"]) == ("revoked", "correction")
