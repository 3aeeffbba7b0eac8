"""Parent-child settings of the activity form (docs/product.md §6, issue #14 §2): the family flag,
the children's age range and the registration commitment."""

import pytest

from threehours.activities import services
from threehours.activities.models import Activity
from threehours.core.errors import InvalidInput
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def _create(org, **overrides):
    return services.activity_create(org=org, user=org.applicant, data=activity_data(**overrides))


def _refused(org, field, **overrides):
    before = Activity.objects.count()
    with pytest.raises(InvalidInput) as caught:
        _create(org, **overrides)
    assert field in caught.value.fields, caught.value.fields
    assert Activity.objects.count() == before


def test_the_parent_child_type_takes_families_and_others_may(org):
    assert _create(org, type="parent_child").family
    assert _create(org, type="parent_child", family=False).family
    assert not _create(org).family
    assert _create(org, family=True).family
    assert _create(org, family="on").family


@pytest.mark.parametrize(("low", "high"), [(0, 17), (6, 6), ("3", "12"), (None, 12), (6, "")])
def test_age_ranges_within_0_to_17_are_kept(org, low, high):
    activity = _create(org, type="parent_child", child_age_min=low, child_age_max=high)
    assert activity.child_age_min == (int(low) if low not in (None, "") else None)
    assert activity.child_age_max == (int(high) if high not in (None, "") else None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("child_age_min", -1),
        ("child_age_max", 18),
        ("child_age_min", "六"),
        ("child_age_max", 6.5),
        ("child_age_min", True),
    ],
)
def test_ages_outside_0_to_17_are_refused(org, field, value):
    _refused(org, field, type="parent_child", **{field: value})


def test_the_lowest_age_cannot_exceed_the_highest(org):
    _refused(org, "child_age_max", type="parent_child", child_age_min=7, child_age_max=6)


def test_an_age_range_means_nothing_without_families(org):
    activity = _create(org, child_age_min=6, child_age_max=12)
    assert activity.child_age_min is None and activity.child_age_max is None


def test_the_commitment_is_org_text_with_the_same_limits(org):
    assert _create(org, type="parent_child", commitment="  全程陪同孩子。 ").commitment == (
        "全程陪同孩子。"
    )
    assert _create(org, type="parent_child", commitment="承" * 1000).pk
    _refused(org, "commitment", type="parent_child", commitment="承" * 1001)
    _refused(org, "commitment", type="parent_child", commitment="付款 https://qr.alipay.com/x")


def test_a_partial_change_keeps_the_family_settings(org):
    activity = _create(org, type="parent_child", child_age_min=6, commitment="陪同")
    data = services.activity_as_data(activity)
    assert data["family"] and data["child_age_min"] == 6 and data["commitment"] == "陪同"
