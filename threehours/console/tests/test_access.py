"""The permission-checked fetches (`access_*` selectors) that the console, the operator console
and the API share: each returns its organisation's object and raises a not-found domain error
for another organisation's, exactly as for an id that does not exist, so ids reveal nothing."""

import pytest

from threehours.activities.selectors import access_activity_for_org
from threehours.attendance.selectors import access_correction_for_org
from threehours.core.errors import DomainError
from threehours.hours.selectors import access_pending_for_org
from threehours.orgs.selectors import (
    access_org_for_operator,
    access_org_for_staff,
    access_renewal_for_operator,
)
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services as signup_services
from threehours.signups.selectors import access_signup_for_org
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(operator):
    org_a = approved_org(operator=operator, user=applicant("a@ngo.example.cn"))
    org_b = approved_org(operator=operator, user=applicant("b@ngo.example.cn"))
    return org_a, org_b


def _code(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_an_organisations_staff_get_it_and_nobody_else(two_orgs, outsider):
    org_a, org_b = two_orgs
    assert access_org_for_staff(user=org_a.applicant, org_id=org_a.pk) == org_a
    assert _code(lambda: access_org_for_staff(user=org_a.applicant, org_id=org_b.pk)) == (
        "not_found"
    )
    assert _code(lambda: access_org_for_staff(user=outsider, org_id=org_a.pk)) == "not_found"


def test_an_activity_is_found_only_through_its_own_organisation(two_orgs):
    org_a, org_b = two_orgs
    activity = published_activity(org_b, questions=[])
    assert access_activity_for_org(org=org_b, activity_id=activity.pk) == activity
    assert _code(lambda: access_activity_for_org(org=org_a, activity_id=activity.pk)) == (
        "not_found"
    )
    assert _code(lambda: access_activity_for_org(org=org_b, activity_id=activity.pk + 999)) == (
        "not_found"
    )


def test_a_registration_is_found_only_through_its_activitys_organisation(two_orgs):
    org_a, org_b = two_orgs
    activity = published_activity(org_b, questions=[])
    (person,) = volunteers(1)
    signup = signup_services.signup_create(activity=activity, volunteer=person)
    found = access_signup_for_org(org=org_b, signup_id=signup.pk)
    assert (found, found.activity, found.volunteer) == (signup, activity, person)
    assert _code(lambda: access_signup_for_org(org=org_a, signup_id=signup.pk)) == "not_found"


def test_unknown_corrections_and_proposals_are_not_found(two_orgs):
    org_a, _org_b = two_orgs
    assert _code(lambda: access_correction_for_org(org=org_a, correction_id=1)) == "not_found"
    assert _code(lambda: access_correction_for_org(org=org_a, correction_id=2**63)) == ("not_found")
    assert _code(lambda: access_pending_for_org(org=org_a, pending_id=1)) == "not_found"


def test_operators_reach_every_organisation_and_others_are_refused(two_orgs, operator):
    org_a, org_b = two_orgs
    assert access_org_for_operator(user=operator, org_id=org_b.pk) == org_b
    assert _code(lambda: access_org_for_operator(user=operator, org_id=org_b.pk + 999)) == (
        "not_found"
    )
    # Staff of an organisation are not operators, not even for their own.
    assert _code(lambda: access_org_for_operator(user=org_a.applicant, org_id=org_a.pk)) == (
        "forbidden"
    )
    assert _code(lambda: access_renewal_for_operator(user=operator, renewal_id=1)) == ("not_found")
    assert _code(lambda: access_renewal_for_operator(user=org_a.applicant, renewal_id=1)) == (
        "forbidden"
    )
