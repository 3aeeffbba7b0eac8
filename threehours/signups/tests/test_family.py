"""和孩子一起报名 (docs/product.md §6, issue #14 §2): a guardian registers with their children in
one
registration; every rule at its boundary, and nothing written when one refuses."""

import datetime as dt

import pytest

from threehours.activities.models import Activity
from threehours.core.timeutil import local_today
from threehours.family.tests.factories import child_of, guardian, years_ago
from threehours.notifications.models import Message
from threehours.signups import errors, rules, services
from threehours.signups.models import Signup, SignupChild

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def family_activity(org, **overrides):
    return published_activity(org, type="parent_child", questions=[], **overrides)


def _snapshot(activity):
    activity.refresh_from_db()
    return (
        activity.places_taken,
        list(Signup.objects.order_by("pk").values_list("pk", "status", "seats")),
        list(SignupChild.objects.order_by("pk").values_list("pk", "child_id", "live")),
        Message.objects.count(),
    )


def _refused(code, activity, volunteer, **kwargs):
    before = _snapshot(activity)
    with pytest.raises(errors.DomainError) as caught:
        services.signup_create(activity=activity, volunteer=volunteer, **kwargs)
    assert caught.value.code == code
    assert _snapshot(activity) == before  # nothing half-written
    return caught.value


@pytest.fixture
def parent():
    return guardian("13900000011", name="王妈妈")


@pytest.fixture
def kids(parent):
    return [child_of(parent, age=8, name="王小宝"), child_of(parent, age=5, name="王二宝")]


def test_a_parent_child_type_makes_a_family_activity(org):
    assert family_activity(org).family
    assert not published_activity(org, questions=[]).family
    assert published_activity(org, questions=[], family=True).family


def test_family_registers_in_one_entry_taking_a_place_each(org, parent, kids):
    activity = family_activity(org)
    signup = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
    )
    activity.refresh_from_db()
    assert signup.status == "confirmed" and signup.seats == 3
    assert activity.places_taken == 3
    assert sorted(signup.children.values_list("pk", flat=True)) == sorted(k.pk for k in kids)
    assert set(SignupChild.objects.values_list("activity_id", "live")) == {(activity.pk, True)}
    assert signup.commitment_accepted_at is not None
    assert Message.objects.filter(recipient=parent).count() == 1


def test_a_single_registration_records_no_commitment(org, parent):
    activity = family_activity(org)
    signup = services.signup_create(activity=activity, volunteer=parent)
    assert signup.seats == 1 and signup.commitment_accepted_at is None


def test_a_repeated_child_id_counts_once(org, parent, kids):
    activity = family_activity(org)
    signup = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[kids[0].pk, kids[0].pk],
        commitment_accepted=True,
    )
    activity.refresh_from_db()
    assert signup.seats == 2 and activity.places_taken == 2


def test_children_only_on_a_parent_child_activity(org, parent, kids):
    activity = published_activity(org, questions=[])
    error = _refused(
        "invalid_input", activity, parent, children=[kids[0].pk], commitment_accepted=True
    )
    assert "children" in error.fields


def test_another_familys_child_is_no_such_child(org, parent, kids):
    activity = family_activity(org)
    other = guardian("13900000012", name="李爸爸")
    theirs = child_of(other, name="李小宝")
    error = _refused(
        "invalid_input",
        activity,
        parent,
        children=[kids[0].pk, theirs.pk],
        commitment_accepted=True,
    )
    assert "children" in error.fields
    # Nor an unknown id, nor an adult's, nor garbage.
    for bad in (999999, other.pk, "x", -1):
        _refused("invalid_input", activity, parent, children=[bad], commitment_accepted=True)


def test_the_commitment_must_be_accepted(org, parent, kids):
    activity = family_activity(org)
    error = _refused("commitment_required", activity, parent, children=[kids[0].pk])
    assert error.status == 400 and "commitment_accepted" in error.fields


def test_the_guardian_always_comes_along(org, parent, kids):
    activity = family_activity(org)
    error = _refused(
        "invalid_input",
        activity,
        parent,
        children=[kids[0].pk],
        commitment_accepted=True,
        include_me=False,
    )
    assert "include_me" in error.fields


@pytest.mark.parametrize(("age", "ok"), [(5, False), (6, True), (12, True), (13, False)], ids=str)
def test_the_age_range_is_inclusive_on_the_first_day(org, parent, age, ok):
    activity = family_activity(org, child_age_min=6, child_age_max=12)
    # Turns `age` exactly on the first day (a birthday counts on the day itself).
    born = years_ago(age, today=activity.start_date)
    child = child_of(parent, born=born)
    assert rules.child_age_on_first_day(born=born, activity=activity) == age
    if ok:
        signup = services.signup_create(
            activity=activity, volunteer=parent, children=[child.pk], commitment_accepted=True
        )
        assert signup.seats == 2
    else:
        error = _refused(
            "child_age_out_of_range",
            activity,
            parent,
            children=[child.pk],
            commitment_accepted=True,
        )
        assert error.status == 400 and child.real_name in error.message


def test_a_birthday_the_day_after_the_first_day_does_not_count(org, parent):
    activity = family_activity(org, child_age_min=6)
    child = child_of(parent, born=years_ago(6, days=1, today=activity.start_date))
    _refused(
        "child_age_out_of_range", activity, parent, children=[child.pk], commitment_accepted=True
    )


def test_one_child_out_of_range_refuses_the_whole_family(org, parent, kids):
    activity = family_activity(org, child_age_min=6)  # 王二宝 is 5
    _refused(
        "child_age_out_of_range",
        activity,
        parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
    )


def test_the_other_guardian_cannot_register_the_same_child_again(org, parent, kids):
    from threehours.family.models import Guardianship

    activity = family_activity(org)
    other = guardian("13900000013", name="王爸爸")
    Guardianship.objects.create(
        child=kids[0],
        guardian=other,
        added_by=parent,
        consent_version="x",
        consented_at=parent.date_joined,
    )
    services.signup_create(
        activity=activity, volunteer=parent, children=[kids[0].pk], commitment_accepted=True
    )
    error = _refused(
        "child_already_registered",
        activity,
        other,
        children=[kids[0].pk],
        commitment_accepted=True,
    )
    assert error.status == 409 and kids[0].real_name in error.message
    # Once the first registration is cancelled, the child is free again.
    services.signup_cancel(activity=activity, volunteer=parent)
    assert not SignupChild.objects.filter(live=True).exists()
    signup = services.signup_create(
        activity=activity, volunteer=other, children=[kids[0].pk], commitment_accepted=True
    )
    assert signup.seats == 2


def test_the_whole_family_or_nobody(org, parent, kids):
    activity = family_activity(org, places=3)
    [single] = volunteers(1)
    services.signup_create(activity=activity, volunteer=single)
    Activity.objects.filter(pk=activity.pk).update(waitlist_enabled=False)
    activity.refresh_from_db()
    _refused(
        "activity_full",
        activity,
        parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
        join_waitlist=True,
    )
    # One child fits.
    signup = services.signup_create(
        activity=activity, volunteer=parent, children=[kids[0].pk], commitment_accepted=True
    )
    activity.refresh_from_db()
    assert signup.seats == 2 and activity.places_taken == 3


def test_a_stale_row_cannot_squeeze_a_family_in(org, parent, kids):
    """The conditional UPDATE has the last word even when the caller's row says there is room."""
    activity = family_activity(org, places=3)
    stale = Activity.objects.get(pk=activity.pk)
    Activity.objects.filter(pk=activity.pk).update(waitlist_enabled=False)
    [single] = volunteers(1)
    services.signup_create(activity=activity, volunteer=single)
    with pytest.raises(errors.ActivityFull):
        services.signup_create(
            activity=stale,
            volunteer=parent,
            children=[k.pk for k in kids],
            commitment_accepted=True,
        )
    assert not SignupChild.objects.exists()
    assert Signup.objects.filter(volunteer=parent).count() == 0


def test_the_waiting_list_holds_the_family_as_one_entry(org, parent, kids):
    activity = family_activity(org, places=2)
    first, second = volunteers(2)
    services.signup_create(activity=activity, volunteer=first)
    family = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
        join_waitlist=True,
    )
    assert family.status == "waiting" and family.seats == 3
    assert SignupChild.objects.filter(signup=family, live=True).count() == 2
    behind = services.signup_create(activity=activity, volunteer=second)  # 1 place left
    assert behind.status == "confirmed"
    activity.refresh_from_db()
    assert activity.places_taken == 2


def test_a_single_behind_a_waiting_family_takes_a_place_the_family_does_not_fit(org, parent, kids):
    activity = family_activity(org, places=3)
    a, b, c, d = volunteers(4)
    for v in (a, b, c):
        services.signup_create(activity=activity, volunteer=v)
    family = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
        join_waitlist=True,
    )
    single = services.signup_create(activity=activity, volunteer=d, join_waitlist=True)
    services.signup_cancel(activity=activity, volunteer=a)  # 1 place: the family of 3 waits
    family.refresh_from_db()
    single.refresh_from_db()
    assert family.status == "waiting" and single.status == "confirmed"
    services.signup_cancel(activity=activity, volunteer=b)
    services.signup_cancel(activity=activity, volunteer=c)  # 2 free: still not 3
    family.refresh_from_db()
    assert family.status == "waiting"
    services.signup_cancel(activity=activity, volunteer=d)  # 3 free: the family goes in whole
    family.refresh_from_db()
    activity.refresh_from_db()
    assert family.status == "confirmed" and family.promoted_at is not None
    assert activity.places_taken == 3


def test_cancelling_a_family_frees_every_place(org, parent, kids):
    activity = family_activity(org, places=3)
    services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
    )
    [waiting] = volunteers(1)
    services.signup_create(activity=activity, volunteer=waiting, join_waitlist=True)
    services.signup_cancel(activity=activity, volunteer=parent)
    activity.refresh_from_db()
    assert activity.places_taken == 1  # the three given back, one to the first in line
    assert Signup.objects.get(volunteer=waiting).status == "confirmed"
    assert not SignupChild.objects.filter(live=True).exists()


@pytest.mark.parametrize("decision", ["reject", "remove"])
def test_staff_decisions_act_on_the_whole_family(org, parent, kids, decision):
    activity = family_activity(org)
    Activity.objects.filter(pk=activity.pk).update(
        screening="review" if decision == "reject" else "auto"
    )
    activity.refresh_from_db()
    signup = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[k.pk for k in kids],
        commitment_accepted=True,
    )
    action = getattr(services, f"signup_{decision}")
    action(signup=signup, staff=org.applicant, reason="名额调整")
    activity.refresh_from_db()
    assert activity.places_taken == 0
    assert not SignupChild.objects.filter(live=True).exists()
    # The children can be registered again afterwards.
    again = services.signup_create(
        activity=activity,
        volunteer=parent,
        children=[kids[0].pk],
        commitment_accepted=True,
    )
    assert again.seats == 2


def test_accepting_a_pending_family_keeps_its_places(org, parent, kids):
    activity = family_activity(org)
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    activity.refresh_from_db()
    signup = services.signup_create(
        activity=activity, volunteer=parent, children=[kids[0].pk], commitment_accepted=True
    )
    assert signup.status == "pending"
    services.signup_accept(signup=signup, staff=org.applicant)
    activity.refresh_from_db()
    assert activity.places_taken == 2
    assert SignupChild.objects.get().live


def test_a_registration_without_children_reads_nothing_more(
    org, volunteer, django_assert_num_queries
):
    from threehours.signups import selectors

    activity = family_activity(org)
    row = selectors.activity_for_registration(activity_id=activity.pk)
    # INSERT signup, notice (message + deliveries), UPDATE places — as before the family.
    with django_assert_num_queries(_single_queries(org)):
        services.signup_create(activity=row, volunteer=volunteer)


def _single_queries(org) -> int:
    """How many queries a single registration on an ordinary activity takes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from threehours.signups import selectors

    other = published_activity(org, questions=[])
    row = selectors.activity_for_registration(activity_id=other.pk)
    [v] = volunteers(1, start=500)
    with CaptureQueriesContext(connection) as ctx:
        services.signup_create(activity=row, volunteer=v)
    return len(ctx.captured_queries)


def test_the_platform_commitment_is_the_default(org):
    activity = family_activity(org)
    assert rules.commitment_text(activity) == str(rules.DEFAULT_COMMITMENT)
    activity.commitment = "请全程陪同孩子。"
    assert rules.commitment_text(activity) == "请全程陪同孩子。"


def test_a_child_turning_eligible_counts_on_the_first_day_not_today(org, parent):
    """The range is measured on the activity's first day, not on the day of registering."""
    start = local_today() + dt.timedelta(days=10)
    activity = family_activity(org, child_age_min=6)
    assert activity.start_date == start
    child = child_of(parent, born=years_ago(6, today=start))  # 5 today, 6 on the day
    signup = services.signup_create(
        activity=activity, volunteer=parent, children=[child.pk], commitment_accepted=True
    )
    assert signup.seats == 2
