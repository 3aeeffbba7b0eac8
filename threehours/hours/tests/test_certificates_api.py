"""Certificates over the API (docs/api.md "After the activity")."""

from __future__ import annotations

import hashlib

import pytest

from threehours.family.tests.factories import child_of, guardian
from threehours.hours.models import Certificate
from threehours.orgs.tests.factories import applicant, approved_org

from .certs import adult, credit, later, offline

pytestmark = pytest.mark.django_db


def test_issue_list_and_download(api, org):
    holder = adult()
    activity = offline(org)
    client = api.as_user(holder)
    with later(20):
        credit(holder, activity, activity.start_date, "2.5")
        created = client.post("me/certificates", {"language": "en"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["total_hours"] == 2.5
    serial = body["serial"]
    assert body["pdf_url"] == f"/api/v1/me/certificates/{serial}/pdf"
    listed = client.get("me/certificates").json()
    assert [c["serial"] for c in listed["items"]] == [serial]
    item = listed["items"][0]
    assert item["state"] == "valid" and item["revoked_reason"] == ""
    assert item["pdf_url"] == body["pdf_url"]
    pdf = client.get(body["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == Certificate.objects.get().sha256


def test_no_hours_is_409_and_nothing_written(api, org):
    holder = adult()
    response = api.as_user(holder).post("me/certificates", {})
    assert response.status_code == 409
    assert response.json()["code"] == "no_hours"
    assert not Certificate.objects.exists()


def test_a_bad_period_is_400_with_fields(api, org):
    holder = adult()
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.5")
        response = api.as_user(holder).post(
            "me/certificates", {"date_from": "2026-12-31", "date_to": "2026-12-01"}
        )
        future = api.as_user(holder).post("me/certificates", {"date_to": "2099-01-01"})
    assert response.status_code == 400
    assert "date_from" in response.json()["fields"]
    assert future.status_code == 400
    assert "date_to" in future.json()["fields"]


def test_one_organisation_and_an_unknown_one(api, org, operator):
    other = approved_org(
        operator=operator, user=applicant("river@ngo.example.cn"), name="河道守护队"
    )
    holder = adult()
    mine, theirs = offline(org), offline(other)
    client = api.as_user(holder)
    with later(20):
        credit(holder, mine, mine.start_date, "2.0")
        credit(holder, theirs, theirs.start_date, "5.0")
        only = client.post("me/certificates", {"org_id": other.pk})
        unknown = client.post("me/certificates", {"org_id": 999999})
    assert only.json()["total_hours"] == 5.0
    assert unknown.status_code == 404


def test_a_child_certificate_by_its_guardian_only(api, org):
    parent = guardian()
    child = child_of(parent)
    stranger = adult()
    activity = offline(org)
    with later(20):
        credit(child, activity, activity.start_date, "2.0")
        refused = api.as_user(stranger).post("me/certificates", {"child_id": child.pk})
        issued = api.as_user(parent).post("me/certificates", {"child_id": child.pk})
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_guardian"
    assert issued.status_code == 201
    cert = Certificate.objects.get()
    assert (cert.holder, cert.issued_to) == (child, parent)
    assert api.as_user(stranger).get(f"me/certificates/{cert.serial}/pdf").status_code == 404
    assert api.as_user(parent).get(f"me/certificates/{cert.serial}/pdf").status_code == 200


def test_another_users_pdf_is_404_and_the_list_filters_by_state(api, org):
    holder, other = adult(), adult(phone="13700000002", name="李四")
    activity = offline(org)
    with later(20):
        credit(holder, activity, activity.start_date, "2.0")
        serial = api.as_user(holder).post("me/certificates", {}).json()["serial"]
        credit(holder, activity, activity.start_date, "1.0")  # a late credit revokes it
    assert api.as_user(other).get(f"me/certificates/{serial}/pdf").status_code == 404
    assert api.as_user(other).get("me/certificates").json()["items"] == []
    assert api.get(f"me/certificates/{serial}/pdf").status_code == 401
    client = api.as_user(holder)
    revoked = client.get("me/certificates?state=revoked").json()["items"]
    assert [c["serial"] for c in revoked] == [serial]
    assert revoked[0]["revoked_reason"] == "correction"
    assert client.get("me/certificates?state=valid").json()["items"] == []


def test_input_is_strict(api, org):
    holder = adult()
    client = api.as_user(holder)
    assert client.post("me/certificates", {"child_id": "1"}).status_code == 400
    assert client.post("me/certificates", {"language": "fr"}).status_code == 400
    assert client.post("me/certificates", {"include_evaluations": 1}).status_code == 400
    assert client.post("me/certificates", {"surprise": True}).status_code == 400
