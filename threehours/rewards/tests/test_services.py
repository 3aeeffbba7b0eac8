"""The rules of redemption at their boundaries (issue #15 §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from threehours.accounts.models import User
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today, local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.services import hours_totals
from threehours.notifications.models import Message
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.rewards import errors, selectors, services
from threehours.rewards.models import Incentive, IncentiveCode, Redemption
from threehours.signups.tests.factories import volunteers

from .factories import active_incentive, data, give_hours

pytestmark = pytest.mark.django_db


def _refused(incentive, volunteer) -> str:
    before = (
        Redemption.objects.count(),
        IncentiveCode.objects.filter(used_at__isnull=False).count(),
    )
    with pytest.raises(errors.RewardError) as exc:
        services.reward_redeem(incentive=incentive, volunteer=volunteer)
    incentive.refresh_from_db()
    after = (
        Redemption.objects.count(),
        IncentiveCode.objects.filter(used_at__isnull=False).count(),
    )
    assert before == after, "a refusal writes nothing"
    assert (
        incentive.stock_left
        == incentive.stock - after[0] + Redemption.objects.exclude(incentive=incentive).count()
    )
    return exc.value.code


def _at(day: dt.date, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=local_tz())


def test_hours_exactly_the_threshold_redeem_and_are_not_spent(org, operator, volunteer):
    give_hours(org, volunteer, "5.0")
    incentive = active_incentive(actor=operator, hours_required=Decimal("5.0"))
    redemption = services.reward_redeem(incentive=incentive, volunteer=volunteer)
    assert redemption.code.used_at is not None
    assert redemption.period_key == ""
    incentive.refresh_from_db()
    assert (incentive.stock, incentive.stock_left) == (10, 9)
    assert hours_totals(volunteer=volunteer).service_hours == Decimal("5.0"), "nothing spent"
    assert Message.objects.filter(recipient=volunteer, link="/me/benefits/").count() == 1


def test_a_tenth_below_the_threshold_is_refused(org, operator, volunteer):
    give_hours(org, volunteer, "4.9")
    incentive = active_incentive(actor=operator, hours_required=Decimal("5.0"))
    assert _refused(incentive, volunteer) == "not_enough_hours"


def test_online_hours_do_not_count(org, operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0.0"))
    # zero hours required: anyone with a phone redeems
    services.reward_redeem(incentive=incentive, volunteer=volunteer)
    other = active_incentive(actor=operator, hours_required=Decimal("0.1"), title="另一个")
    assert _refused(other, volunteer) == "not_enough_hours"


def test_the_window_first_and_last_day(org, operator, volunteer):
    today = local_today()
    first, last = today + dt.timedelta(days=2), today + dt.timedelta(days=4)
    incentive = active_incentive(
        actor=operator,
        hours_required=Decimal("0"),
        valid_from=first,
        valid_until=last,
        per_volunteer_limit="monthly" if first.month == last.month else "once",
    )
    people = volunteers(2, start=500)
    with time_machine.travel(_at(first - dt.timedelta(days=1), 23, 59), tick=False):
        assert _refused(incentive, people[0]) == "incentive_closed"
    with time_machine.travel(_at(first, 0, 0), tick=False):
        services.reward_redeem(incentive=incentive, volunteer=people[0])
    with time_machine.travel(_at(last, 23, 59), tick=False):
        services.reward_redeem(incentive=incentive, volunteer=people[1])
    with time_machine.travel(_at(last + dt.timedelta(days=1), 0, 0), tick=False):
        assert _refused(incentive, volunteer) == "incentive_closed"


def test_once_means_once(operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    services.reward_redeem(incentive=incentive, volunteer=volunteer)
    assert _refused(incentive, volunteer) == "limit_reached"


def test_monthly_limit_opens_again_at_the_month_boundary_in_beijing(operator, volunteer):
    today = local_today()
    jan31 = dt.date(today.year + 1, 1, 31)
    incentive = active_incentive(
        actor=operator,
        hours_required=Decimal("0"),
        per_volunteer_limit="monthly",
        valid_until=jan31 + dt.timedelta(days=40),
    )
    with time_machine.travel(_at(jan31, 23, 59), tick=False):
        first = services.reward_redeem(incentive=incentive, volunteer=volunteer)
        assert first.period_key == f"{jan31.year}-01"
        assert _refused(incentive, volunteer) == "limit_reached"
    with time_machine.travel(_at(jan31 + dt.timedelta(days=1), 0, 0), tick=False):
        second = services.reward_redeem(incentive=incentive, volunteer=volunteer)
        assert second.period_key == f"{jan31.year}-02"
        assert second.code_id != first.code_id


def test_yearly_limit_keys_by_year(operator, volunteer):
    incentive = active_incentive(
        actor=operator, hours_required=Decimal("0"), per_volunteer_limit="yearly"
    )
    redemption = services.reward_redeem(incentive=incentive, volunteer=volunteer)
    assert redemption.period_key == str(local_today().year)


def test_closed_and_draft_incentives_are_refused(operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    services.incentive_close(incentive=incentive, actor=operator)
    assert _refused(incentive, volunteer) == "incentive_closed"
    draft = services.incentive_create(data=data(hours_required=Decimal("0")), actor=operator)
    services.codes_generate(incentive=draft, count=3, actor=operator)
    assert _refused(draft, volunteer) == "incentive_closed"


def test_stock_zero_is_out_of_stock(operator):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"), codes=2)
    a, b, c = volunteers(3, start=600)
    services.reward_redeem(incentive=incentive, volunteer=a)
    services.reward_redeem(incentive=incentive, volunteer=b)
    assert _refused(incentive, c) == "out_of_stock"
    incentive.refresh_from_db()
    assert incentive.stock_left == 0
    # adding codes raises the stock again
    services.codes_add(incentive=incentive, codes=["NEWCODE-1"], actor=operator)
    services.reward_redeem(incentive=incentive, volunteer=c)


def test_children_cannot_redeem(operator):
    parent = guardian()
    child = child_of(parent)
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    assert _refused(incentive, child) == "adults_only"


def test_a_bound_phone_is_required(operator, email_user):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    assert _refused(incentive, email_user) == "phone_not_bound"


def test_real_name_when_the_incentive_asks_for_it(operator, volunteer):
    incentive = active_incentive(
        actor=operator, hours_required=Decimal("0"), requires_real_name=True
    )
    assert _refused(incentive, volunteer) == "real_name_required"


def test_an_organisation_incentive_counts_only_its_own_hours(org, operator, volunteer):
    other = approved_org(
        operator=operator, user=applicant("other@ngo.example.cn"), name="另一个机构"
    )
    give_hours(other, volunteer, "10.0")
    incentive = active_incentive(actor=org.applicant, org=org, hours_required=Decimal("1.0"))
    # no hours at `org`: neither shown nor redeemable
    assert incentive.pk not in [
        r.incentive.pk for r in selectors.catalogue_for(volunteer=volunteer)
    ]
    with pytest.raises(errors.IncentiveNotFound):
        services.reward_redeem(incentive=incentive, volunteer=volunteer)
    give_hours(org, volunteer, "0.5")
    rows = {r.incentive.pk: r for r in selectors.catalogue_for(volunteer=volunteer)}
    assert rows[incentive.pk].hours_have == Decimal("0.5")
    assert rows[incentive.pk].missing == Decimal("0.5") and not rows[incentive.pk].eligible
    assert _refused(incentive, volunteer) == "not_enough_hours"
    give_hours(org, volunteer, "0.5")
    services.reward_redeem(incentive=incentive, volunteer=volunteer)


def test_a_suspended_organisation_offers_nothing_until_reinstated(org, operator, volunteer):
    from threehours.orgs.services.review import org_reinstate, org_suspend

    give_hours(org, volunteer, "2.0")
    incentive = active_incentive(actor=org.applicant, org=org, hours_required=Decimal("1.0"))
    org_suspend(org=org, operator=operator, reason="资质存疑，暂停")
    incentive.refresh_from_db()
    assert incentive.pk not in [
        r.incentive.pk for r in selectors.catalogue_for(volunteer=volunteer)
    ]
    assert _refused(incentive, volunteer) == "incentive_closed"
    org.refresh_from_db()
    org_reinstate(org=org, operator=operator, reason="已核实")
    assert incentive.pk in [r.incentive.pk for r in selectors.catalogue_for(volunteer=volunteer)]
    services.reward_redeem(incentive=incentive, volunteer=volunteer)


def test_codes_are_trimmed_deduplicated_and_checked(operator):
    incentive = services.incentive_create(data=data(), actor=operator)
    codes = services.codes_parse(" AAAA-1111 \nBBBB-2222, AAAA-1111;\r\n\n CCCC_3333 ")
    assert codes == ["AAAA-1111", "BBBB-2222", "CCCC_3333"]
    assert services.codes_add(incentive=incentive, codes=codes, actor=operator) == 3
    incentive.refresh_from_db()
    assert (incentive.stock, incentive.stock_left) == (3, 3)
    with pytest.raises(errors.CodesInvalid) as exc:
        services.codes_add(incentive=incentive, codes=["DDDD-4444", "BBBB-2222"], actor=operator)
    assert "BBBB-2222" in exc.value.fields["codes"][0]
    for bad in (["ab c"], ["短码中文码"], ["ABC"], ["A" * 65], ["x=1+2"]):
        with pytest.raises(errors.CodesInvalid):
            services.codes_add(incentive=incentive, codes=bad, actor=operator)
    incentive.refresh_from_db()
    assert (incentive.stock, IncentiveCode.objects.filter(incentive=incentive).count()) == (3, 3)


def test_generated_codes_are_unique_and_raise_the_stock(operator):
    incentive = services.incentive_create(data=data(), actor=operator)
    services.codes_generate(incentive=incentive, count=200, actor=operator)
    codes = set(IncentiveCode.objects.filter(incentive=incentive).values_list("code", flat=True))
    assert len(codes) == 200 and all(len(c) == 12 for c in codes)
    incentive.refresh_from_db()
    assert incentive.stock == incentive.stock_left == 200
    with pytest.raises(errors.CodesInvalid):
        services.codes_generate(incentive=incentive, count=0, actor=operator)


def test_activating_needs_codes(operator):
    incentive = services.incentive_create(data=data(), actor=operator)
    with pytest.raises(errors.NoCodes):
        services.incentive_activate(incentive=incentive, actor=operator)


@pytest.mark.parametrize("value", ["-0.1", "NaN", "Infinity", "1e9", "100000.1", "1.25", "abc", ""])
def test_bad_hours_are_refused(operator, value):
    with pytest.raises(InvalidInput) as exc:
        services.incentive_create(data=data(hours_required=value), actor=operator)
    assert "hours_required" in exc.value.fields
    assert not Incentive.objects.exists()


def test_the_window_must_be_ordered(operator):
    today = local_today()
    with pytest.raises(InvalidInput) as exc:
        services.incentive_create(
            data=data(valid_from=today, valid_until=today - dt.timedelta(days=1)), actor=operator
        )
    assert "valid_until" in exc.value.fields


def test_the_description_is_sanitised(operator):
    incentive = services.incentive_create(
        data=data(description='<p>ok</p><script>alert(1)</script><a href="javascript:x">l</a>'),
        actor=operator,
    )
    assert "<script" not in incentive.description and "javascript" not in incentive.description


def test_a_closed_incentive_cannot_be_edited_or_refilled(operator):
    incentive = active_incentive(actor=operator)
    services.incentive_close(incentive=incentive, actor=operator)
    with pytest.raises(errors.IncentiveNotEditable):
        services.incentive_update(incentive=incentive, data=data(title="新"), actor=operator)
    with pytest.raises(errors.IncentiveNotEditable):
        services.codes_add(incentive=incentive, codes=["ZZZZ-9999"], actor=operator)


def test_the_database_keeps_stock_left_in_range(operator):
    from django.db import IntegrityError, transaction

    incentive = active_incentive(actor=operator, codes=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incentive.objects.filter(pk=incentive.pk).update(stock_left=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incentive.objects.filter(pk=incentive.pk).update(stock_left=-1)


def test_mine_lists_only_my_codes(operator, volunteer, outsider):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    services.reward_redeem(incentive=incentive, volunteer=volunteer)
    services.reward_redeem(incentive=incentive, volunteer=outsider)
    mine = list(selectors.redemptions_of_volunteer(volunteer=volunteer))
    assert [r.volunteer_id for r in mine] == [volunteer.pk]


def test_catalogue_marks_redeemed_and_children_not_eligible(operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    services.reward_redeem(incentive=incentive, volunteer=volunteer)
    [row] = selectors.catalogue_for(volunteer=volunteer)
    assert row.redeemed and row.eligible
    child = child_of(guardian("13900000777"))
    [row] = selectors.catalogue_for(volunteer=child)
    assert not row.eligible
    assert isinstance(child, User)
