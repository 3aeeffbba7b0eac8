"""The hand-over at 18 (issue #14 §4): the 18th birthday at its boundary, one answer for any
number without a record to hand over, an account with records refused, nothing half-written,
the guardians told, the audit entry, the ledger untouched; the page, the API and the sessions
of the account that is given up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from threehours.accounts.errors import InvalidIdNumber
from threehours.accounts.models import ApiToken, User
from threehours.accounts.services import token_issue
from threehours.core.audit import AuditEntry
from threehours.hours.models import LedgerEntry
from threehours.hours.services import hours_totals, ledger_append
from threehours.notifications.models import Message
from threehours.signups.tests.factories import published_activity

from .. import errors, services
from ..models import Guardianship
from ..selectors import children_of, former_children_of
from ..services.claim import record_claim
from .factories import guardian, id_number_born, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(regions, attributes, operator):
    from threehours.orgs.tests.factories import approved_org

    org = approved_org(operator=operator)
    return published_activity(org, title="亲子环保行", questions=[], places=50)


def credit(person: User, activity, hours: str = "2.0") -> LedgerEntry:
    """Hours on `person`'s ledger through the hours service (as a check-out credits them)."""
    with transaction.atomic():
        return ledger_append(
            volunteer=person,
            activity=activity,
            day=activity.start_date,
            hours=Decimal(hours),
            entry_type="credit",
        )


def phone_user(phone: str = "13900000055", **extra) -> User:
    return User.objects.create(phone=phone, phone_bound_at=timezone.now(), **extra)


class Family:
    def __init__(
        self, *, born: dt.date, added_days_ago: int = 400, phone: str = "13900000001"
    ) -> None:
        """A guardian and a child born on `born`, added `added_days_ago` days ago (when the
        child was still 17 or younger)."""
        self.number = id_number_born(born)
        with time_machine.travel(timezone.now() - dt.timedelta(days=added_days_ago), tick=False):
            self.parent = guardian(phone)
            self.child = services.child_add(
                guardian=self.parent, name="王小宝", id_number=self.number, consent=True
            )


def _unchanged(family: Family, claimant: User) -> None:
    child = User.objects.get(pk=family.child.pk)
    assert child.guarded and child.phone is None
    assert User.objects.filter(pk=claimant.pk, phone=claimant.phone).exists()
    assert Guardianship.objects.current().filter(child=child).count() == 1
    assert not AuditEntry.objects.filter(verb="family.record_claimed").exists()
    assert not Message.objects.filter(recipient=family.parent).exists()


def test_on_the_18th_birthday_the_record_becomes_the_persons_account(activity):
    family = Family(born=years_ago(18))
    credit(family.child, activity, "2.0")
    credit(family.child, activity, "1.5")
    claimant = phone_user(language="en", nickname="大宝")
    token_issue(user=claimant)
    old_id = claimant.pk

    claimed = record_claim(user=claimant, id_number=family.number.lower())

    assert claimed.pk == family.child.pk
    claimed.refresh_from_db()
    assert (claimed.phone, claimed.guarded, claimed.language) == ("13900000055", False, "en")
    assert claimed.phone_bound_at is not None and claimed.real_name == "王小宝"
    assert claimed.nickname == "大宝" and claimed.has_usable_password() is False
    assert not User.objects.filter(pk=old_id).exists()
    assert not ApiToken.objects.filter(user_id=old_id).exists()
    # The ledger never moves: the entries stay on the same row, which is now the person's.
    assert hours_totals(volunteer=claimed).total == Decimal("3.5")
    assert LedgerEntry.objects.filter(volunteer=claimed).count() == 2
    call_command("verify_ledger")
    link = Guardianship.objects.get(child=claimed)
    assert link.ended_at is not None
    assert list(children_of(guardian=family.parent)) == []
    assert list(former_children_of(guardian=family.parent)) == [claimed]
    entry = AuditEntry.objects.get(verb="family.record_claimed")
    assert entry.target_id == str(claimed.pk) and entry.data["old_account_id"] == old_id
    told = Message.objects.get(recipient=family.parent)
    assert "王小宝" in told.body and told.link == reverse(
        "reporting:child-hours", args=[claimed.pk]
    )


def test_the_guardian_is_told_in_their_own_language(activity):
    family = Family(born=years_ago(18))
    User.objects.filter(pk=family.parent.pk).update(language="en")
    record_claim(user=phone_user(), id_number=family.number)
    told = Message.objects.get(recipient=family.parent)
    assert told.title == "A record was handed over"
    family2 = Family(born=years_ago(19), added_days_ago=800, phone="13900000002")
    User.objects.filter(pk=family2.parent.pk).update(language="zh-hans")
    record_claim(user=phone_user("13900000056"), id_number=family2.number)
    assert Message.objects.filter(recipient=family2.parent).get().title == "记录已移交"


def test_the_day_before_the_18th_birthday_is_too_young():
    family = Family(born=years_ago(18, days=1))
    claimant = phone_user()
    with pytest.raises(errors.ClaimTooYoung) as caught:
        record_claim(user=claimant, id_number=family.number)
    assert caught.value.code == "claim_too_young"
    _unchanged(family, claimant)


def test_the_next_day_the_same_person_claims():
    family = Family(born=years_ago(18, days=1))
    claimant = phone_user()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        assert not record_claim(user=claimant, id_number=family.number).guarded


@pytest.mark.parametrize("which", ["unknown", "adult", "claimant_guardian"])
def test_a_number_without_a_record_to_hand_over_gets_one_answer(which):
    family = Family(born=years_ago(20), added_days_ago=3 * 365)
    claimant = phone_user()
    number = {
        "unknown": id_number_born(years_ago(20, days=5)),
        # An adult's number (the guardian's own): on the platform, but not a kept record.
        "adult": family.parent.id_number_plain(),
        "claimant_guardian": id_number_born(years_ago(40)),
    }[which]
    with pytest.raises(errors.ClaimNotFound) as caught:
        record_claim(user=claimant, id_number=number)
    assert caught.value.code == "claim_not_found"
    assert str(caught.value.message) == str(errors.ClaimNotFound.default_message)
    _unchanged(family, claimant)


def test_a_malformed_number_is_an_invalid_id_number():
    family = Family(born=years_ago(18))
    claimant = phone_user()
    with pytest.raises(InvalidIdNumber):
        wrong = family.number[:-1] + ("1" if family.number[-1] != "1" else "2")
        record_claim(user=claimant, id_number=wrong)
    _unchanged(family, claimant)


def test_a_record_is_claimed_once():
    family = Family(born=years_ago(18))
    record_claim(user=phone_user(), id_number=family.number)
    second = phone_user("13900000056")
    with pytest.raises(errors.ClaimNotFound):
        record_claim(user=second, id_number=family.number)
    assert User.objects.filter(pk=second.pk).exists()


def test_an_account_with_hours_is_refused_and_nothing_changes(activity):
    # Not caught by the up-front checks: the database's PROTECT refuses deleting an account
    # that holds ledger entries, and the whole claim rolls back.
    family = Family(born=years_ago(18))
    claimant = phone_user()
    credit(claimant, activity, "1.0")
    with pytest.raises(errors.ClaimAccountHasRecords) as caught:
        record_claim(user=claimant, id_number=family.number)
    assert caught.value.code == "claim_account_has_records" and caught.value.status == 409
    _unchanged(family, claimant)
    assert LedgerEntry.objects.filter(volunteer=claimant).count() == 1
    call_command("verify_ledger")


def test_an_account_with_a_registration_is_refused(activity):
    from threehours.signups import services as signup_services

    family = Family(born=years_ago(18))
    claimant = phone_user()
    signup_services.signup_create(activity=activity, volunteer=claimant)
    with pytest.raises(errors.ClaimAccountHasRecords):
        record_claim(user=claimant, id_number=family.number)
    _unchanged(family, claimant)


@pytest.mark.parametrize(
    "extra",
    [
        {"email": "someone@example.org"},
        {"real_name": "王大宝"},
        {"is_staff": True},
    ],
)
def test_an_account_with_a_name_an_email_or_a_role_is_refused(extra):
    family = Family(born=years_ago(18))
    claimant = phone_user(**extra)
    with pytest.raises(errors.ClaimAccountHasRecords):
        record_claim(user=claimant, id_number=family.number)
    _unchanged(family, claimant)


def test_a_guardian_cannot_claim_their_child_for_themselves():
    family = Family(born=years_ago(18))
    with pytest.raises(errors.ClaimAccountHasRecords):
        record_claim(user=family.parent, id_number=family.number)


# --- the page ---------------------------------------------------------------------------------


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_me_page_links_to_the_claim_for_accounts_without_a_real_name():
    assert 'data-testid="claim-link"' in _logged_in(phone_user()).get(reverse("accounts:me")).text
    family = Family(born=years_ago(10))
    page = _logged_in(family.parent).get(reverse("accounts:me")).text
    assert 'data-testid="claim-link"' not in page


def test_the_claim_page_logs_the_person_in_as_the_record(activity):
    family = Family(born=years_ago(18))
    credit(family.child, activity, "2.0")
    claimant = phone_user()
    phone = _logged_in(claimant)
    other_device = _logged_in(claimant)
    old_session = phone.session.session_key
    assert phone.get(reverse("family:claim")).status_code == 200

    response = phone.post(reverse("family:claim"), {"id_number": family.number, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("reporting:my-hours")
    assert phone.session.session_key != old_session
    assert int(phone.session["_auth_user_id"]) == family.child.pk
    page = phone.get(reverse("reporting:my-hours"))
    assert page.status_code == 200
    assert "亲子环保行" in page.text and 'data-testid="hours-entry"' in page.text
    assert "王小宝" in phone.get(reverse("accounts:me")).text
    # The account given up is gone; its other sessions are simply logged out.
    for name in ("accounts:me", "reporting:my-hours", "family:claim", "reporting:family-hours"):
        assert other_device.get(reverse(name)).status_code == 302
    assert other_device.get(reverse("activities:list")).status_code == 200


def test_the_claim_page_shows_a_clear_error_and_changes_nothing():
    family = Family(born=years_ago(18, days=1))
    claimant = phone_user()
    phone = _logged_in(claimant)
    page = phone.post(reverse("family:claim"), {"id_number": family.number, "confirm": "on"})
    assert page.status_code == 200
    assert "18岁生日" in page.text
    page = phone.post(reverse("family:claim"), {"id_number": family.number})
    assert "请确认" in page.text
    _unchanged(family, claimant)


def test_the_claim_page_waits_after_five_tries():
    family = Family(born=years_ago(18))
    claimant = phone_user()
    phone = _logged_in(claimant)
    wrong = id_number_born(years_ago(30))
    for _ in range(5):
        page = phone.post(reverse("family:claim"), {"id_number": wrong, "confirm": "on"})
        assert "没有找到" in page.text
    page = phone.post(reverse("family:claim"), {"id_number": family.number, "confirm": "on"})
    assert page.status_code == 200 and "尝试次数过多" in page.text
    _unchanged(family, claimant)


# --- the API ----------------------------------------------------------------------------------


def test_the_api_claim_answers_a_new_token_for_the_record(api, activity):
    family = Family(born=years_ago(18))
    credit(family.child, activity, "2.0")
    claimant = phone_user()
    client = api.as_user(claimant)

    response = client.post("me/claim", {"id_number": family.number})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["id"] == family.child.pk
    assert client.get("me").status_code == 401  # the old account and its tokens are gone
    client.token = body["token"]
    hours = client.get("me/hours").json()
    assert hours["total_hours"] == 2.0 and hours["entries"][0]["activity_title"] == "亲子环保行"


@pytest.mark.parametrize(
    ("born", "status", "code"),
    [
        (years_ago(18, days=1), 400, "claim_too_young"),
        (None, 400, "claim_not_found"),
    ],
)
def test_the_api_claim_refusals(api, born, status, code):
    family = Family(born=years_ago(18, days=1))
    claimant = phone_user()
    number = family.number if born else id_number_born(years_ago(25))
    response = api.as_user(claimant).post("me/claim", {"id_number": number})
    assert (response.status_code, response.json()["code"]) == (status, code)
    _unchanged(family, claimant)


def test_the_api_claim_refuses_an_account_with_records_409(api):
    family = Family(born=years_ago(18))
    claimant = phone_user(real_name="王大宝")
    response = api.as_user(claimant).post("me/claim", {"id_number": family.number})
    assert (response.status_code, response.json()["code"]) == (409, "claim_account_has_records")
    _unchanged(family, claimant)


def test_the_api_claim_is_limited_to_five_tries_an_hour(api):
    family = Family(born=years_ago(18))
    claimant = phone_user()
    client = api.as_user(claimant)
    wrong = id_number_born(years_ago(30))
    for _ in range(5):
        assert client.post("me/claim", {"id_number": wrong}).status_code == 400
    response = client.post("me/claim", {"id_number": family.number})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert "Retry-After" in response
    _unchanged(family, claimant)


def test_both_guardians_are_told_and_both_keep_the_read_only_view():
    family = Family(born=years_ago(18))
    other = guardian("13900000002", name="王爸爸")
    Guardianship.objects.create(
        child=family.child,
        guardian=other,
        added_by=family.parent,
        consent_version="2026-12",
        consented_at=timezone.now(),
    )
    claimed = record_claim(user=phone_user(), id_number=family.number)
    assert not Guardianship.objects.current().filter(child=claimed).exists()
    for parent in (family.parent, other):
        assert Message.objects.filter(recipient=parent).count() == 1
        assert list(former_children_of(guardian=parent)) == [claimed]
    entry = AuditEntry.objects.get(verb="family.record_claimed")
    assert sorted(entry.data["guardian_ids"]) == sorted([family.parent.pk, other.pk])


def test_a_pending_invitation_for_the_record_is_withdrawn():
    from ..models import GuardianInvitation

    family = Family(born=years_ago(18))
    invitation = GuardianInvitation.objects.create(
        child=family.child,
        invited_by=family.parent,
        phone="13900000003",
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    record_claim(user=phone_user(), id_number=family.number)
    invitation.refresh_from_db()
    assert invitation.status == GuardianInvitation.Status.CANCELLED


def test_the_claim_page_reads_in_english():
    claimant = phone_user(language="en")
    client = _logged_in(claimant)
    page = client.get(reverse("family:claim"), headers={"Accept-Language": "en"})
    assert "Take over your volunteer record" in page.text


def test_the_phone_logs_in_to_the_claimed_record_afterwards(test_phones):
    from threehours.accounts.services import phone_login

    family = Family(born=years_ago(18))
    claimant = phone_user("13800000001")
    record_claim(user=claimant, id_number=family.number)
    assert phone_login(agree=True, phone="13800000001", code="123456").pk == family.child.pk


def test_the_api_claim_refusal_reads_in_english(api):
    family = Family(born=years_ago(18, days=1))
    response = api.as_user(phone_user(), language="en").post(
        "me/claim", {"id_number": family.number}
    )
    assert response.json()["message"].startswith("You can take over your record from your 18th")
