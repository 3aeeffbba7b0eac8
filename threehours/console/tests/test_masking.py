"""Masked phone numbers (issue #16 §5, docs/privacy.md): every staff page, the staff API and
every export show 138****0001, never the 11 digits; a closed account shows 已注销用户 and no
phone; an organisation admin reveals one number (audited, limited per hour), a coordinator
cannot, another organisation gets 404."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from threehours.accounts.models import User
from threehours.attendance import services as attendance_services
from threehours.core.models import AuditEntry
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.reporting import export_services
from threehours.signups import services
from threehours.signups.errors import PhoneNotFound, PhoneRevealForbidden
from threehours.signups.tests.factories import attended, local_at, published_activity, volunteers

pytestmark = pytest.mark.django_db

CLOSED = "已注销用户"


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


@pytest.fixture
def people(org):
    """An activity with two attended volunteers: 张三 (phone 13700000000) and one whose
    account is closed afterwards (its phone 13700000001 erased in place, as closing does)."""
    activity = published_activity(org, title="社区助老探访", questions=[])
    zhang, gone = volunteers(2)
    zhang.real_name = "张三"
    zhang.save(update_fields=["real_name"])
    attended(org, activity, zhang)
    attended(org, activity, gone)
    User.objects.filter(pk=gone.pk).update(
        closed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        phone=None,
        email=None,
        real_name="",
        nickname="",
    )
    return {"activity": activity, "zhang": zhang, "gone": gone}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _coordinator(org) -> User:
    user = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org, user=user, role=Membership.Role.COORDINATOR)
    return user


def _masked_only(text: str) -> None:
    assert "13700000000" not in text and "13700000001" not in text
    assert "137****0000" in text
    assert "137****0001" not in text  # the closed account has no phone any more


def _xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell.value) for ws in wb for row in ws.iter_rows() for cell in row if cell.value
    )


# --- pages ------------------------------------------------------------------------------------


def test_registrant_page_masks_phones_and_names_closed_accounts(org, people):
    activity = people["activity"]
    page = _client(org.applicant).get(
        reverse("console:activity-registrants", args=[org.pk, activity.pk])
    )
    text = page.content.decode()
    _masked_only(text)
    assert CLOSED in text
    assert 'data-testid="phone-reveal"' in text and "显示号码" in text  # the admin may reveal
    coordinator_page = _client(_coordinator(org)).get(
        reverse("console:activity-registrants", args=[org.pk, activity.pk])
    )
    text = coordinator_page.content.decode()
    _masked_only(text)
    assert 'data-testid="phone-reveal"' not in text  # a coordinator may not


def test_attendance_board_masks_phones(org, people):
    activity = people["activity"]
    url = reverse("console:attendance-board", args=[org.pk, activity.pk])
    for params in ({"day": activity.start_date.isoformat()}, {"partial": "1"}):
        page = _client(org.applicant).get(url, params, HTTP_HX_REQUEST="true")
        text = page.content.decode()
        assert page.status_code == 200
        assert "13700000000" not in text and "13700000001" not in text
    text = _client(org.applicant).get(url, {"day": activity.start_date.isoformat()}).content
    _masked_only(text.decode())
    assert CLOSED in text.decode()


def test_pending_credits_page_masks_phones(org):
    activity = published_activity(org, questions=[])
    [person] = volunteers(1, start=50)
    attended(org, activity, person, until=())  # checked in, never out
    created = attendance_services.pending_credits_create_due(
        now=local_at(activity.start_date, 1, day_offset=1)
    )
    assert created == 1
    text = _client(org.applicant).get(reverse("console:pending-credits", args=[org.pk]))
    text = text.content.decode()
    assert person.phone not in text and person.phone_masked in text


# --- API --------------------------------------------------------------------------------------


def test_api_registrant_list_masks_phones_and_names_closed_accounts(org, people, api):
    activity = people["activity"]
    response = api.as_user(org.applicant).get(
        f"orgs/{org.pk}/activities/{activity.pk}/registrations"
    )
    assert response.status_code == 200
    _masked_only(response.content.decode())
    by_id = {i["volunteer"]["id"]: i["volunteer"] for i in response.json()["items"]}
    assert by_id[people["zhang"].pk] == {
        "id": people["zhang"].pk,
        "name": "张三",
        "phone": "137****0000",
    }
    assert by_id[people["gone"].pk]["name"] == CLOSED and by_id[people["gone"].pk]["phone"] == ""


# --- exports ----------------------------------------------------------------------------------


def test_registrant_exports_mask_phones_and_name_closed_accounts(org, people):
    activity = people["activity"]
    client = _client(org.applicant)
    xlsx = client.get(reverse("console:activity-registrants-xlsx", args=[org.pk, activity.pk]))
    text = _xlsx_text(xlsx.content)
    _masked_only(text)
    assert CLOSED in text and "张三" in text
    csv_text = client.get(
        reverse("console:activity-registrants-csv", args=[org.pk, activity.pk])
    ).content.decode("utf-8-sig")
    _masked_only(csv_text)
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert [CLOSED, ""] in [row[:2] for row in rows]


def test_hours_exports_mask_phones_and_name_closed_accounts(org, people):
    day = people["activity"].start_date
    client = _client(org.applicant)
    url = reverse("console:export-hours", args=[org.pk])
    for fmt in ("xlsx", "csv"):
        response = client.get(url, {"format": fmt, "from": day, "to": day})
        assert response.status_code == 200
        text = (
            _xlsx_text(response.content) if fmt == "xlsx" else response.content.decode("utf-8-sig")
        )
        _masked_only(text)
        assert CLOSED in text


def test_export_built_by_the_job_is_masked(org, people, monkeypatch):
    monkeypatch.setattr(export_services, "SYNC_ROW_LIMIT", 0)
    export = export_services.export_request(
        org=org,
        user=org.applicant,
        kind="registrants",
        params={"activity_id": people["activity"].pk, "format": "xlsx"},
        row_count=2,
    )
    export_services.export_build(export_id=export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        text = _xlsx_text(handle.read())
    _masked_only(text)
    assert CLOSED in text


# --- reveal -----------------------------------------------------------------------------------


def _reveals(actor) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor=actor, verb="phone.revealed"))


def test_an_admin_reveals_one_number_audited_and_never_cached(org, people):
    zhang = people["zhang"]
    url = reverse("console:phone-reveal", args=[org.pk, zhang.pk])
    client = _client(org.applicant)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'href="tel:13700000000"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [entry] = _reveals(org.applicant)
    assert entry.target_type == "accounts.user" and entry.target_id == str(zhang.pk)
    assert entry.data == {"organisation_id": org.pk, "as": "org_admin"}
    page = client.post(url)  # without HTMX: a small page
    assert page.status_code == 200 and "13700000000" in page.content.decode()
    assert len(_reveals(org.applicant)) == 2
    assert client.get(url).status_code == 405  # a GET never reveals


def test_a_coordinator_cannot_reveal(org, people, api):
    coordinator = _coordinator(org)
    url = reverse("console:phone-reveal", args=[org.pk, people["zhang"].pk])
    response = _client(coordinator).post(url)
    assert response.status_code == 403 and "13700000000" not in response.content.decode()
    htmx = _client(coordinator).post(url, HTTP_HX_REQUEST="true")
    assert "13700000000" not in htmx.content.decode()
    assert 'data-testid="phone-reveal-error"' in htmx.content.decode()
    api_response = api.as_user(coordinator).post(
        f"orgs/{org.pk}/volunteers/{people['zhang'].pk}/phone"
    )
    assert api_response.status_code == 403
    assert api_response.json()["code"] == "phone_reveal_forbidden"
    assert _reveals(coordinator) == []


def test_another_organisation_or_a_stranger_gets_404(org, people, operator, api):
    other = approved_org(operator=operator, user=applicant("other@ngo.example.cn"))
    zhang = people["zhang"]
    # The other organisation's admin, on their own organisation: zhang never registered there.
    own = _client(other.applicant).post(reverse("console:phone-reveal", args=[other.pk, zhang.pk]))
    assert own.status_code == 404
    # ... and on ours: not their organisation.
    ours = _client(other.applicant).post(reverse("console:phone-reveal", args=[org.pk, zhang.pk]))
    assert ours.status_code == 404
    response = api.as_user(other.applicant).post(f"orgs/{other.pk}/volunteers/{zhang.pk}/phone")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    missing = api.as_user(org.applicant).post(f"orgs/{org.pk}/volunteers/999999/phone")
    assert missing.status_code == 404
    assert _reveals(other.applicant) == [] and _reveals(org.applicant) == []


def test_a_closed_account_has_no_number_to_reveal(org, people, api):
    response = api.as_user(org.applicant).post(
        f"orgs/{org.pk}/volunteers/{people['gone'].pk}/phone"
    )
    assert response.status_code == 404
    assert _reveals(org.applicant) == []


def test_api_reveal_returns_the_number_and_is_audited(org, people, api):
    zhang = people["zhang"]
    response = api.as_user(org.applicant).post(f"orgs/{org.pk}/volunteers/{zhang.pk}/phone")
    assert response.status_code == 200
    assert response.json() == {"user_id": zhang.pk, "phone": "13700000000"}
    assert "no-store" in response["Cache-Control"]
    assert len(_reveals(org.applicant)) == 1


def test_reveals_are_limited_per_hour(org, people, api, settings):
    settings.PHONE_REVEALS_PER_HOUR = 3
    zhang = people["zhang"]
    client = api.as_user(org.applicant)
    path = f"orgs/{org.pk}/volunteers/{zhang.pk}/phone"
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC), tick=False) as t:
        for _ in range(3):
            assert client.post(path).status_code == 200
        refused = client.post(path)
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert 0 < int(refused["Retry-After"]) <= 3600
        page = _client(org.applicant).post(reverse("console:phone-reveal", args=[org.pk, zhang.pk]))
        assert page.status_code == 429 and "13700000000" not in page.content.decode()
        assert len(_reveals(org.applicant)) == 3  # refusals are not counted
        t.shift(dt.timedelta(hours=1, seconds=1))
        assert client.post(path).status_code == 200


def test_an_operator_reveals_without_an_organisation_audited(people, operator, volunteer):
    zhang = people["zhang"]
    assert services.phone_reveal(actor=operator, person=zhang, organisation=None) == zhang.phone
    [entry] = _reveals(operator)
    assert entry.data == {"organisation_id": None, "as": "operator"}
    with pytest.raises(PhoneRevealForbidden):
        services.phone_reveal(actor=volunteer, person=zhang, organisation=None)
    with pytest.raises(PhoneNotFound):
        services.phone_reveal(actor=operator, person=people["gone"], organisation=None)


def test_operators_see_the_list_of_reveals(org, people, operator, api):
    zhang = people["zhang"]
    api.as_user(org.applicant).post(f"orgs/{org.pk}/volunteers/{zhang.pk}/phone")
    services.phone_reveal(actor=operator, person=zhang, organisation=None)
    url = reverse("platform_admin:phone-reveals")
    page = _client(operator).get(url)
    text = page.content.decode()
    assert page.status_code == 200 and text.count('data-testid="phone-reveal-row"') == 2
    assert org.name in text and org.applicant.email in text and "运营人员" in text
    assert "13700000000" not in text
    filtered = _client(operator).get(url, {"org": org.pk}).content.decode()
    assert filtered.count('data-testid="phone-reveal-row"') == 1
    assert _client(org.applicant).get(url).status_code == 302  # staff are not operators


def test_an_operator_reveals_from_the_ops_console(people, operator, org):
    zhang = people["zhang"]
    url = reverse("platform_admin:user-phone-reveal", args=[zhang.pk])
    response = _client(operator).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'href="tel:13700000000"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert _reveals(operator)[0].data == {"organisation_id": None, "as": "operator"}
    gone = _client(operator).post(
        reverse("platform_admin:user-phone-reveal", args=[people["gone"].pk])
    )
    assert gone.status_code == 404 and len(_reveals(operator)) == 1
    staff = _client(org.applicant).post(url)
    assert staff.status_code == 302 and "13700000000" not in staff.content.decode()
    assert _reveals(org.applicant) == []
