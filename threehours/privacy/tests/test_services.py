from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation

from threehours.accounts.models import ApiToken, Consent, User
from threehours.accounts.services import real_name_set, token_issue
from threehours.accounts.signals import closing_cancelled
from threehours.attendance import services as attendance_services
from threehours.core.models import AuditEntry
from threehours.family.models import Guardianship
from threehours.family.tests.factories import child_of, guardian, id_number_born, years_ago
from threehours.hours.certificates import certificate_issue
from threehours.hours.models import LedgerEntry
from threehours.notifications.models import Message
from threehours.orgs.models import Membership
from threehours.privacy import services
from threehours.privacy.errors import (
    AccountClosed,
    ClosureAlreadyRequested,
    ClosureNotFound,
    DataExportLimit,
    DataExportPending,
    OnlyAdministrator,
)
from threehours.privacy.models import AccountClosure, DataExport
from threehours.reporting.export_services import registrants_export
from threehours.signups.errors import AccountClosing
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity

from .factories import register, with_history

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number_born(years_ago(30), serial=321)


@pytest.fixture
def person(volunteer):
    return real_name_set(user=volunteer, real_name="李四", id_number=ID_NUMBER)


def _export_now(user, capture) -> DataExport:
    with capture(execute=True):
        export = services.data_export_request(user=user)
    export.refresh_from_db()
    return export


# --- data download ------------------------------------------------------------------------------


def test_data_export_builds_a_zip_with_everything_and_the_full_id_number(
    org, person, django_capture_on_commit_callbacks
):
    past, upcoming, signup = with_history(org, person)
    export = _export_now(person, django_capture_on_commit_callbacks)

    assert export.state == DataExport.State.READY
    assert export.expires_at - export.ready_at == dt.timedelta(days=7)
    with export.file.open("rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        assert sorted(archive.namelist()) == ["data.json", "summary.pdf"]
        data = json.loads(archive.read("data.json"))
        assert archive.read("summary.pdf").startswith(b"%PDF")
    assert data["account"]["id_number"] == ID_NUMBER
    assert data["account"]["phone"] == person.phone
    titles = {r["activity"] for r in data["registrations"]}
    assert titles == {"旧活动", "新活动"}
    answers = [r["answers"] for r in data["registrations"] if r["activity"] == "新活动"][0]
    assert answers == [{"question": "所在城市", "answer": "上海"}]
    assert [e["hours"] for e in data["hours_ledger"]] == ["1.0"]
    assert data["hours_summary"]["service_hours"] == "1.0"
    assert len(data["attendance"]) == 1
    assert data["organisations_that_received_my_data"][0]["organisation"] == org.name
    assert data["data_downloads"][0]["id"] == export.pk


def test_a_second_download_while_one_is_prepared_is_refused(person):
    services.data_export_request(user=person)  # the job is not run (no commit callbacks)
    with pytest.raises(DataExportPending):
        services.data_export_request(user=person)
    assert DataExport.objects.filter(user=person).count() == 1


def test_downloads_per_day_are_limited(person, settings, django_capture_on_commit_callbacks):
    settings.DATA_EXPORT_DAILY_LIMIT = 2
    _export_now(person, django_capture_on_commit_callbacks)
    _export_now(person, django_capture_on_commit_callbacks)
    with pytest.raises(DataExportLimit) as exc:
        services.data_export_request(user=person)
    assert exc.value.code == "data_export_limit"
    assert DataExport.objects.filter(user=person).count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        _export_now(person, django_capture_on_commit_callbacks)


def test_expired_downloads_lose_their_file_once(person, django_capture_on_commit_callbacks):
    export = _export_now(person, django_capture_on_commit_callbacks)
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    assert services.data_exports_expire() == 0
    later = timezone.now() + dt.timedelta(days=7, minutes=1)
    assert services.data_exports_expire(now=later) == 1
    export.refresh_from_db()
    assert export.state == DataExport.State.EXPIRED and not export.file
    assert not storage.exists(name)
    assert services.data_exports_expire(now=later) == 0


# --- closing: the request ---------------------------------------------------------------------


def test_closure_request_sets_the_date_and_blocks_a_second_one(person):
    closure = services.closure_request(user=person, ip="10.0.0.1")
    person.refresh_from_db()
    assert closure.effective_at - closure.requested_at == dt.timedelta(days=7)
    assert person.closing_at == closure.effective_at and person.is_closing
    with pytest.raises(ClosureAlreadyRequested):
        services.closure_request(user=person)
    assert AuditEntry.objects.filter(verb="account.closing_requested").count() == 1


def test_the_only_administrator_must_hand_over_first(org):
    admin = org.applicant
    assert Membership.objects.filter(user=admin, role="admin").exists()
    with pytest.raises(OnlyAdministrator) as exc:
        services.closure_request(user=admin)
    assert exc.value.code == "closure_only_admin"
    admin.refresh_from_db()
    assert admin.closing_at is None and not AccountClosure.objects.exists()
    second = User.objects.create_user(email="second@example.org", password="x-Pass-99")
    Membership.objects.create(organisation=org, user=second, role=Membership.Role.ADMIN)
    services.closure_request(user=admin)


def test_a_closing_account_cannot_register(org, person):
    activity = published_activity(org)
    services.closure_request(user=person)
    person.refresh_from_db()
    with pytest.raises(AccountClosing) as exc:
        register(activity, person)
    assert exc.value.code == "account_closing"
    assert exc.value.status == 409
    assert not Signup.objects.filter(volunteer=person).exists()


def test_a_closing_account_cannot_check_in_or_out(org, person):
    from threehours.attendance.errors import AccountClosing as CheckInClosing
    from threehours.signups.tests.factories import local_at

    activity = published_activity(org, questions=[])
    signup = register(activity, person)
    services.closure_request(user=person)
    person.refresh_from_db()
    at = local_at(activity.start_date, 13, 5)
    with pytest.raises(CheckInClosing):
        attendance_services.attendance_check_in(activity=activity, volunteer=person, now=at)
    with pytest.raises(CheckInClosing):
        attendance_services.attendance_check_out(
            activity=activity, volunteer=person, now=at + dt.timedelta(hours=1)
        )
    assert not signup.attendances.exists()


def test_closure_cancel_keeps_the_account(person):
    services.closure_request(user=person)
    closure = services.closure_cancel(user=person)
    person.refresh_from_db()
    assert closure.cancelled_at is not None and person.closing_at is None
    with pytest.raises(ClosureNotFound):
        services.closure_cancel(user=person)
    assert services.closures_due(now=timezone.now() + dt.timedelta(days=8)) == 0
    services.closure_request(user=person)  # may ask again


def test_cancelled_at_login_marks_the_request_cancelled(person):
    services.closure_request(user=person)
    User.objects.filter(pk=person.pk).update(closing_at=None)  # as accounts.closing_cancel does
    closing_cancelled.send(sender=User, user=person)
    assert AccountClosure.objects.get(user=person).cancelled_at is not None
    assert services.closures_due(now=timezone.now() + dt.timedelta(days=8)) == 0


# --- closing: the job -------------------------------------------------------------------------


def test_closures_due_anonymises_and_keeps_the_ledger(
    org, person, django_capture_on_commit_callbacks
):
    past, upcoming, signup = with_history(org, person)
    other = User.objects.create(phone="13900000055", phone_bound_at=timezone.now())
    upcoming.refresh_from_db()
    assert upcoming.places_taken == 1
    token = token_issue(user=person)
    assert token
    _export_now(person, django_capture_on_commit_callbacks)
    Message.objects.create(recipient=person, title="hi", body="text")
    Consent.objects.update_or_create(
        user=person, kind="terms", version=1, defaults={"ip": "10.0.0.9"}
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=11)):
        certificate = certificate_issue(requester=person, holder=person)
    entries = list(LedgerEntry.objects.filter(volunteer=person).values_list("pk", "hours"))
    services.closure_request(user=person)

    assert services.closures_due() == 0  # still cooling off
    later = timezone.now() + dt.timedelta(days=7, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.closures_due(now=later) == 1

    person.refresh_from_db()
    assert person.is_closed and not person.is_active
    assert (person.phone, person.email, person.nickname, person.real_name) == (None, None, "", "")
    assert (person.id_number_encrypted, person.id_number_index, person.id_number_masked) == (
        "",
        None,
        "",
    )
    assert person.birth_date is None and not person.has_usable_password()
    with translation.override("zh-hans"):
        assert person.display_name == "已注销用户"
    signup.refresh_from_db()
    upcoming.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED and signup.answers == {}
    assert upcoming.places_taken == 0
    assert list(LedgerEntry.objects.filter(volunteer=person).values_list("pk", "hours")) == entries
    call_command("verify_ledger")
    certificate.refresh_from_db()
    assert certificate.state == "revoked" and certificate.revoked_reason == "account_closed"
    assert certificate.pdf.name == ""  # the PDF carried the full name: deleted
    assert not Message.objects.filter(recipient=person).exists()
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    assert not DataExport.objects.filter(user=person).exclude(file="").exists()
    assert Consent.objects.filter(user=person, kind="terms").exists()  # kept as the record
    assert not Consent.objects.filter(user=person, ip__isnull=False).exists()
    assert AccountClosure.objects.get(user=person).completed_at == later
    assert AuditEntry.objects.filter(verb="account.closed", target_id=str(person.pk)).exists()
    # The phone number and ID number are free again.
    User.objects.create(phone="13900000001", phone_bound_at=timezone.now())
    real_name_set(user=other, real_name="李四", id_number=ID_NUMBER, consent=True)
    # Idempotent: nothing left to do.
    assert services.closures_due(now=later) == 0
    with pytest.raises(AccountClosed):
        services.closure_request(user=person)


def test_an_export_after_closing_shows_closed_account_and_no_phone(org, person):
    activity = published_activity(org)
    register(activity, person)
    activity.refresh_from_db()
    services.closure_request(user=person)
    # Registrations of past activities stay; this one is still to come, so it is cancelled but
    # listed (the export lists cancelled registrations too).
    services.closures_due(now=timezone.now() + dt.timedelta(days=7, minutes=1))
    with translation.override("zh-hans"):
        _name, _type, content = registrants_export(activity=activity, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    person_rows = [r for r in rows if r and r[0] == "已注销用户"]
    assert len(person_rows) == 1
    assert not any("13900000001" in str(v) for r in rows for v in r)
    assert "上海" not in [v for r in rows for v in r]


def test_a_sole_guardians_children_are_closed_with_them(org):
    parent = guardian("13900000011")
    alone = child_of(parent, name="王小宝")
    shared = child_of(parent, name="王二宝")
    other = guardian("13900000012", name="王爸爸")
    Guardianship.objects.create(
        child=shared, guardian=other, consent_version="1", consented_at=timezone.now()
    )
    services.closure_request(user=parent)
    services.closures_due(now=timezone.now() + dt.timedelta(days=8))
    alone.refresh_from_db()
    shared.refresh_from_db()
    assert alone.is_closed and alone.real_name == "" and alone.id_number_index is None
    assert not shared.is_closed and shared.real_name == "王二宝"
    # The closed parent no longer keeps the child the other parent keeps.
    assert list(shared.guardians.current().values_list("guardian", flat=True)) == [other.pk]


def test_a_closed_staff_member_is_no_longer_staff(org, person):
    admin = org.memberships.get(role=Membership.Role.ADMIN).user
    Membership.objects.create(organisation=org, user=person, role=Membership.Role.COORDINATOR)
    services.closure_request(user=person)
    services.closures_due(now=timezone.now() + dt.timedelta(days=8))
    assert list(org.memberships.values_list("user", flat=True)) == [admin.pk]


def test_a_closure_cancelled_before_the_job_is_left_alone(person):
    closure = services.closure_request(user=person)
    services.closure_cancel(user=person)
    assert not services.account_close(
        closure_id=closure.pk, now=timezone.now() + dt.timedelta(days=8)
    )
    person.refresh_from_db()
    assert not person.is_closed and person.phone == "13900000001"


def test_a_download_that_cannot_be_built_is_failed_without_a_file(
    person, django_capture_on_commit_callbacks
):
    """A real failure (an ID number that no longer decrypts): the download is marked failed,
    no file is stored, and the person may ask again."""
    User.objects.filter(pk=person.pk).update(id_number_encrypted="not-a-fernet-token")
    export = _export_now(person, django_capture_on_commit_callbacks)
    assert export.state == DataExport.State.FAILED and export.error and not export.file
    User.objects.filter(pk=person.pk).update(id_number_encrypted="")
    assert _export_now(person, django_capture_on_commit_callbacks).state == "ready"


def test_a_closed_account_with_a_password_keeps_none(email_user):
    """The password goes too (its hash ended the page sessions), whether or not it was usable."""
    assert email_user.has_usable_password()
    services.closure_request(user=email_user)
    services.closures_due(now=timezone.now() + dt.timedelta(days=8))
    email_user.refresh_from_db()
    assert email_user.is_closed and not email_user.has_usable_password()
