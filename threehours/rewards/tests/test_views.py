"""The catalogue pages: volunteers', operators' and organisations'."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from threehours.core.timeutil import local_today
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.rewards import services
from threehours.rewards.models import Incentive, IncentiveCode, Redemption

from .factories import active_incentive, give_hours

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    today = local_today()
    values = {
        "title": "体检套餐",
        "partner": "康宁体检",
        "description": "<p>一次免费体检</p>",
        "hours_required": "20",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=60)).isoformat(),
        "code_valid_days": "90",
        "per_volunteer_limit": "yearly",
    }
    values.update(overrides)
    return values


# -- volunteers ---------------------------------------------------------------------------------


def test_catalogue_shows_hours_missing_and_redeem_for_the_eligible(
    client, org, operator, volunteer
):
    give_hours(org, volunteer, "2.0")
    ok = active_incentive(actor=operator, hours_required=Decimal("2.0"), title="够了")
    far = active_incentive(actor=operator, hours_required=Decimal("7.5"), title="还差")
    client.force_login(volunteer)
    page = client.get(reverse("rewards:catalogue")).content.decode()
    assert "够了" in page and "还差" in page
    assert reverse("rewards:redeem", args=[ok.pk]) in page
    assert reverse("rewards:redeem", args=[far.pk]) not in page
    assert "5.5" in page  # hours to go


def test_redeem_then_see_the_code_under_my_benefits(client, operator, volunteer, outsider):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    other = services.reward_redeem(incentive=incentive, volunteer=outsider)
    client.force_login(volunteer)
    response = client.post(reverse("rewards:redeem", args=[incentive.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("rewards:mine")
    mine = Redemption.objects.get(volunteer=volunteer)
    page = client.get(reverse("rewards:mine")).content.decode()
    assert mine.code.code in page
    assert other.code.code not in page, "never another volunteer's code"
    again = client.post(reverse("rewards:redeem", args=[incentive.pk]), follow=True)
    assert "兑换次数上限" in again.content.decode()
    assert Redemption.objects.filter(volunteer=volunteer).count() == 1


def test_redeem_is_post_only_and_needs_login(client, operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    url = reverse("rewards:redeem", args=[incentive.pk])
    assert client.post(url).status_code == 302 and not Redemption.objects.exists()
    client.force_login(volunteer)
    assert client.get(url).status_code == 405


def test_me_links_to_my_benefits(client, volunteer):
    client.force_login(volunteer)
    assert reverse("rewards:mine") in client.get(reverse("accounts:me")).content.decode()


def test_an_org_incentive_is_404_for_a_volunteer_without_hours_there(client, org, volunteer):
    incentive = active_incentive(actor=org.applicant, org=org, hours_required=Decimal("0"))
    client.force_login(volunteer)
    assert incentive.title not in client.get(reverse("rewards:catalogue")).content.decode()
    assert client.post(reverse("rewards:redeem", args=[incentive.pk])).status_code == 404


# -- operators ----------------------------------------------------------------------------------


def test_operators_create_add_codes_activate_and_export(client, operator, volunteer):
    client.force_login(operator)
    response = client.post(reverse("platform_admin:incentive-create"), _form())
    incentive = Incentive.objects.get()
    assert response["Location"] == reverse("platform_admin:incentive-detail", args=[incentive.pk])
    assert incentive.organisation is None and incentive.state == "draft"
    codes = reverse("platform_admin:incentive-codes", args=[incentive.pk])
    client.post(codes, {"text": "AAAA-0001\nAAAA-0002, AAAA-0001"})
    client.post(
        codes, {"file": SimpleUploadedFile("c.csv", b"\xef\xbb\xbfBBBB-0003\r\nBBBB-0004\r\n")}
    )
    client.post(codes, {"generate": "6"})
    incentive.refresh_from_db()
    assert incentive.stock == incentive.stock_left == 10
    bad = client.post(codes, {"text": "AAAA-0001"}, follow=True).content.decode()
    assert "AAAA-0001" in bad
    client.post(reverse("platform_admin:incentive-activate", args=[incentive.pk]))
    incentive.refresh_from_db()
    assert incentive.state == "active"
    services.incentive_update(
        incentive=incentive,
        data=services.IncentiveData(**{**_typed(), "hours_required": Decimal("0")}),
        actor=operator,
    )
    services.reward_redeem(incentive=incentive, volunteer=volunteer)
    detail = client.get(reverse("platform_admin:incentive-detail", args=[incentive.pk]))
    text = detail.content.decode()
    assert volunteer.phone_masked in text and volunteer.phone not in text
    export = client.get(reverse("platform_admin:incentive-export-csv", args=[incentive.pk]))
    assert export.status_code == 200 and volunteer.phone_masked.encode() in export.content
    assert volunteer.phone.encode() not in export.content  # masked (issue #16 §5)
    xlsx = client.get(reverse("platform_admin:incentive-export-xlsx", args=[incentive.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.post(reverse("platform_admin:incentive-close", args=[incentive.pk]))
    incentive.refresh_from_db()
    assert incentive.state == "closed"


def _typed() -> dict:
    today = local_today()
    return {
        "title": "体检套餐",
        "partner": "康宁体检",
        "hours_required": Decimal("20"),
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=60),
    }


@pytest.mark.parametrize("hours", ["-1", "NaN", "Infinity", "1e9", "0.25"])
def test_ops_form_refuses_bad_hours(client, operator, hours):
    client.force_login(operator)
    response = client.post(reverse("platform_admin:incentive-create"), _form(hours_required=hours))
    assert response.status_code == 200 and not Incentive.objects.exists()


def test_ops_pages_are_for_operators_only(client, org, volunteer):
    for user in (volunteer, org.applicant):
        client.force_login(user)
        response = client.get(reverse("platform_admin:incentive-list"))
        assert response.status_code == 302
        client.post(reverse("platform_admin:incentive-create"), _form())
    assert not Incentive.objects.exists()


# -- organisations ------------------------------------------------------------------------------


def test_an_org_admin_runs_its_own_incentive(client, org):
    client.force_login(org.applicant)
    client.post(reverse("console:incentive-create", args=[org.pk]), _form())
    incentive = Incentive.objects.get()
    assert incentive.organisation == org
    client.post(reverse("console:incentive-codes", args=[org.pk, incentive.pk]), {"generate": "3"})
    client.post(reverse("console:incentive-activate", args=[org.pk, incentive.pk]))
    incentive.refresh_from_db()
    assert (incentive.state, incentive.stock) == ("active", 3)
    page = client.get(reverse("console:incentive-list", args=[org.pk])).content.decode()
    assert incentive.title in page


def test_a_coordinator_sees_but_does_not_change(client, org):
    incentive = active_incentive(actor=org.applicant, org=org, codes=2)
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=coordinator, role="coordinator")
    client.force_login(coordinator)
    assert (
        client.get(reverse("console:incentive-detail", args=[org.pk, incentive.pk])).status_code
        == 200
    )
    assert (
        client.post(reverse("console:incentive-create", args=[org.pk]), _form()).status_code == 403
    )
    client.post(reverse("console:incentive-codes", args=[org.pk, incentive.pk]), {"generate": "3"})
    client.post(reverse("console:incentive-close", args=[org.pk, incentive.pk]))
    incentive.refresh_from_db()
    assert (incentive.state, incentive.stock) == ("active", 2)


def test_another_orgs_incentive_is_404(client, org, operator):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"), name="别家")
    theirs = active_incentive(actor=other.applicant, org=other, codes=1)
    platform = active_incentive(actor=operator, codes=1)
    client.force_login(org.applicant)
    for incentive in (theirs, platform):
        for name in ("incentive-detail", "incentive-export-csv"):
            url = reverse(f"console:{name}", args=[org.pk, incentive.pk])
            assert client.get(url).status_code == 404
        url = reverse("console:incentive-codes", args=[org.pk, incentive.pk])
        assert client.post(url, {"generate": "5"}).status_code == 404
    assert IncentiveCode.objects.count() == 2
    # and an operator's page does not show an organisation's incentive
    client.force_login(operator)
    url = reverse("platform_admin:incentive-detail", args=[theirs.pk])
    assert client.get(url).status_code == 404
