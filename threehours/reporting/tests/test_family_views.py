"""A child's own record and 家庭公益时 (issue #14 §4): what the guardian reads per child and as a
family, nobody else's child (404, pages and API), and after the hand-over at 18 only what came
before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from threehours.accounts.models import User
from threehours.family.models import Guardianship
from threehours.family.selectors import children_of
from threehours.family.services import child_add
from threehours.family.services.claim import record_claim
from threehours.family.tests.factories import child_of, guardian, id_number_born, years_ago
from threehours.hours.services import ledger_append
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(org):
    return published_activity(org, title="亲子环保行", questions=[], places=50)


@pytest.fixture
def other_activity(org):
    return published_activity(org, title="社区图书角整理", questions=[], places=50)


def credit(person: User, activity, hours: str, *, entry_type: str = "credit", reason: str = ""):
    with transaction.atomic():
        return ledger_append(
            volunteer=person,
            activity=activity,
            day=activity.start_date,
            hours=Decimal(hours),
            entry_type=entry_type,
            reason=reason,
        )


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def family(activity, other_activity):
    """王妈妈 (3.0 h) with 王小宝 (2.0 h + 1.5 h, corrected −0.5 h) and 王小花 (no hours)."""
    parent = guardian("13900000001")
    first = child_of(parent, age=10, name="王小宝")
    second = child_of(parent, age=6, name="王小花")
    credit(parent, activity, "3.0")
    credit(first, activity, "2.0")
    credit(first, other_activity, "1.5")
    credit(first, other_activity, "-0.5", entry_type="correction", reason="提前离开")
    return parent, first, second


@pytest.fixture
def stranger():
    """Another family's guardian, with a child of their own."""
    parent = guardian("13900000002", name="李爸爸")
    child_of(parent, name="李小明")
    return parent


def test_the_guardian_reads_a_childs_record_like_my_hours(family):
    parent, first, _second = family
    page = logged_in(parent).get(reverse("reporting:child-hours", args=[first.pk]))
    assert page.status_code == 200
    text = page.text
    assert "王小宝的公益时" in text
    assert 'data-testid="hours-total">3.0<' in text
    assert text.count('data-testid="hours-entry"') == 3
    assert "亲子环保行" in text and "社区图书角整理" in text and "提前离开" in text
    assert 'data-testid="handed-over"' not in text


def test_a_child_without_hours_reads_an_empty_record(family):
    parent, _first, second = family
    page = logged_in(parent).get(reverse("reporting:child-hours", args=[second.pk]))
    assert page.status_code == 200 and "还没有公益时" in page.text


@pytest.mark.parametrize("who", ["stranger", "outsider", "the_child_id_of_the_stranger"])
def test_nobody_else_reads_a_childs_record(family, stranger, outsider, who):
    parent, first, _second = family
    reader = {"stranger": stranger, "outsider": outsider}.get(who, parent)
    child_id = first.pk
    if who == "the_child_id_of_the_stranger":
        child_id = children_of(guardian=stranger).get().pk
    response = logged_in(reader).get(reverse("reporting:child-hours", args=[child_id]))
    assert response.status_code == 404


def test_an_adults_id_is_not_a_child_record(family, stranger):
    parent, _first, _second = family
    response = logged_in(parent).get(reverse("reporting:child-hours", args=[stranger.pk]))
    assert response.status_code == 404
    response = logged_in(parent).get(reverse("reporting:child-hours", args=[parent.pk]))
    assert response.status_code == 404


def test_the_record_pages_ask_for_a_log_in(family):
    _parent, first, _second = family
    for url in (
        reverse("reporting:child-hours", args=[first.pk]),
        reverse("reporting:family-hours"),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_family_hours_show_me_each_child_and_the_sum(family):
    parent, first, second = family
    text = logged_in(parent).get(reverse("reporting:family-hours")).text
    assert 'data-testid="family-total">6.0<' in text  # 3.0 + 3.0 + 0.0
    assert text.count('data-testid="family-child"') == 2
    assert reverse("reporting:child-hours", args=[first.pk]) in text
    assert reverse("reporting:child-hours", args=[second.pk]) in text
    assert "王小花" in text and "0.0" in text


def test_family_hours_of_a_person_without_children(volunteer):
    text = logged_in(volunteer).get(reverse("reporting:family-hours")).text
    assert "目前没有由你监护的小宝" in text and 'data-testid="family-total">0.0<' in text


def test_my_hours_link_to_family_hours_only_for_guardians(family, outsider):
    parent, _first, _second = family
    assert (
        'data-testid="family-hours-link"'
        in logged_in(parent).get(reverse("reporting:my-hours")).text
    )
    outsider_page = logged_in(outsider).get(reverse("reporting:my-hours")).text
    assert 'data-testid="family-hours-link"' not in outsider_page


def test_family_hours_read_a_fixed_number_of_queries(family, django_assert_max_num_queries):
    parent, _first, _second = family
    child_of(parent, age=3, name="王小草")
    client = logged_in(parent)
    # session + user + children + their totals + my total + former children, whatever the count
    with django_assert_max_num_queries(8):
        client.get(reverse("reporting:family-hours"))


# --- after the hand-over at 18 ----------------------------------------------------------------


@pytest.fixture
def handed_over(activity, other_activity):
    """A child added two years ago, credited 2.0 h then; it claims its record today (18 since
    yesterday) and earns 4.0 h afterwards as an adult."""
    number = id_number_born(years_ago(18, days=-1))
    with time_machine.travel(timezone.now() - dt.timedelta(days=700), tick=False):
        parent = guardian("13900000001")
        child = child_add(guardian=parent, name="王大宝", id_number=number, consent=True)
        credit(child, activity, "2.0")
    claimant = User.objects.create(phone="13900000077", phone_bound_at=timezone.now())
    claimed = record_claim(user=claimant, id_number=number)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        credit(claimed, other_activity, "4.0")
    return parent, claimed


def test_a_former_guardian_reads_only_what_came_before_the_hand_over(handed_over):
    parent, claimed = handed_over
    text = logged_in(parent).get(reverse("reporting:child-hours", args=[claimed.pk])).text
    ended = Guardianship.objects.get(child=claimed).ended_at
    assert 'data-testid="handed-over"' in text
    assert "移交给本人" in text and f"{ended.astimezone().year}" in text
    assert text.count('data-testid="hours-entry"') == 1
    assert "亲子环保行" in text and "社区图书角整理" not in text
    assert 'data-testid="hours-total">2.0<' in text


def test_the_child_leaves_the_family_total_after_the_hand_over(handed_over):
    parent, claimed = handed_over
    assert list(children_of(guardian=parent)) == []
    text = logged_in(parent).get(reverse("reporting:family-hours")).text
    assert 'data-testid="family-child"' not in text
    assert 'data-testid="family-former"' in text and "王大宝" in text
    assert 'data-testid="family-total">0.0<' in text


def test_the_person_reads_all_of_their_record_after_the_hand_over(handed_over):
    _parent, claimed = handed_over
    text = logged_in(claimed).get(reverse("reporting:my-hours")).text
    assert 'data-testid="hours-total">6.0<' in text
    assert text.count('data-testid="hours-entry"') == 2


# --- the API ----------------------------------------------------------------------------------


def test_api_child_hours_have_the_shape_of_my_hours(api, family):
    parent, first, _second = family
    client = api.as_user(parent)
    child = client.get(f"me/children/{first.pk}/hours")
    assert child.status_code == 200
    mine = client.get("me/hours").json()
    body = child.json()
    assert set(body) == set(mine)
    assert set(body["entries"][0]) == set(mine["entries"][0])
    assert (body["total_hours"], body["service_hours"], body["online_hours"]) == (3.0, 3.0, 0.0)
    assert len(body["entries"]) == 3


def test_api_child_hours_of_another_family_are_not_found(api, family, stranger):
    _parent, first, _second = family
    response = api.as_user(stranger).get(f"me/children/{first.pk}/hours")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api.get(f"me/children/{first.pk}/hours").status_code == 401


def test_api_family_hours(api, family):
    parent, first, second = family
    body = api.as_user(parent).get("me/family/hours").json()
    assert body == {
        "total": 6.0,
        "me": 3.0,
        "children": [
            {"id": first.pk, "name": "王小宝", "hours": 3.0},
            {"id": second.pk, "name": "王小花", "hours": 0.0},
        ],
    }


def test_api_a_former_guardian_reads_only_before_the_hand_over(api, handed_over):
    parent, claimed = handed_over
    body = api.as_user(parent).get(f"me/children/{claimed.pk}/hours").json()
    assert body["total_hours"] == 2.0 and len(body["entries"]) == 1
    assert api.as_user(parent).get("me/family/hours").json()["children"] == []


def test_the_family_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/v1/me/children/{child_id}/hours"])
    assert {"get"} <= set(paths["/api/v1/me/family/hours"])
    assert {"post"} <= set(paths["/api/v1/me/claim"])


def test_a_childs_record_reads_a_fixed_number_of_queries(
    family, other_activity, django_assert_max_num_queries
):
    parent, first, _second = family
    for _ in range(5):
        credit(first, other_activity, "1.0")
    client = logged_in(parent)
    # session + user + access + totals + entries (with activities) + corrections
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reporting:child-hours", args=[first.pk])).status_code == 200
