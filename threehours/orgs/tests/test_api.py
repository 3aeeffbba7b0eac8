"""The Organisations operations of docs/api.md."""

import pytest

from threehours.orgs.models import Organisation

from .factories import VALID_CREDIT_CODE, applicant, application_data, image_upload

pytestmark = pytest.mark.django_db


def _upload(client, org_id, kind="endorsement", upload=None):
    return client.client.post(
        f"/api/v1/orgs/{org_id}/files",
        {"kind": kind, "file": upload or image_upload()},
        headers=client._headers(),
    )


def test_application_through_the_api_from_draft_to_approval(api, operator):
    client = api.as_user(applicant())
    response = client.post("orgs", application_data())
    assert response.status_code == 201, response.content
    org = response.json()
    assert org["state"] == "draft" and org["can_publish"] is False

    response = client.post(f"orgs/{org['id']}/submit")
    assert response.status_code == 400
    assert response.json()["code"] == "missing_qualification"

    response = _upload(client, org["id"])
    assert response.status_code == 201, response.content
    file_id = response.json()["id"]
    second = _upload(client, org["id"]).json()["id"]
    assert client.delete(f"orgs/{org['id']}/files/{second}").status_code == 204

    response = client.patch(f"orgs/{org['id']}", {"intro": "我们在社区里开展助老和环保志愿服务。"})
    assert response.status_code == 200
    response = client.post(f"orgs/{org['id']}/submit")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert client.patch(f"orgs/{org['id']}", {"name": "改"}).json()["code"] == "wrong_state"
    assert client.delete(f"orgs/{org['id']}/files/{file_id}").status_code == 409

    ops = api.as_user(operator)
    queue = ops.get("ops/orgs?state=submitted").json()
    assert [item["id"] for item in queue["items"]] == [org["id"]]
    response = ops.post(f"ops/orgs/{org['id']}/reject", {"reason": ""})
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    response = ops.post(f"ops/orgs/{org['id']}/approve")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    assert client.get(f"orgs/{org['id']}").json()["can_publish"] is True
    me = client.get("me").json()
    assert me["orgs"] == [{"id": org["id"], "name": "阳光志愿者协会", "role": "admin"}]


def test_operator_operations_refuse_non_operators(api):
    client = api.as_user(applicant())
    org = client.post("orgs", application_data()).json()
    for response in (
        client.get("ops/orgs"),
        client.post(f"ops/orgs/{org['id']}/approve"),
        client.post(f"ops/orgs/{org['id']}/reject", {"reason": "x"}),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert Organisation.objects.get().state == "draft"


def test_bad_input_gets_field_errors_and_writes_nothing(api):
    client = api.as_user(applicant())
    response = client.post(
        "orgs",
        application_data(
            category="social_org", credit_code="91350100M000100Y44", contact_phone="123"
        ),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert {"credit_code", "contact_phone"} <= set(body["fields"])
    response = client.post("orgs", {**application_data(), "places": 5})
    assert response.status_code == 400 and "places" in response.json()["fields"]
    assert not Organisation.objects.exists()


def test_a_bad_file_is_refused_with_a_clear_code(api):
    client = api.as_user(applicant())
    org = client.post("orgs", application_data()).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _upload(client, org["id"], upload=SimpleUploadedFile("a.jpg", b"not an image"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_image"
    response = _upload(client, org["id"], kind="passport")
    assert response.status_code == 400 and "kind" in response.json()["fields"]


def test_signup_and_verify_email_through_the_api(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "orgs/signup",
            {"email": "new@ngo.example.cn", "password": "A-Long-Password-26", "agree": True},
        )
    assert response.status_code == 201
    token = mailoutbox[-1].body.split("/accounts/verify/")[1].split("/")[0]
    assert api.post("orgs/verify-email", {"token": token + "x"}).json()["code"] == "bad_token"
    assert api.post("orgs/verify-email", {"token": token}).status_code == 200
    response = api.post(
        "auth/email/login",
        {"agree": True, "email": "new@ngo.example.cn", "password": "A-Long-Password-26"},
    )
    assert response.status_code == 200


def test_social_org_fields_round_trip(api):
    client = api.as_user(applicant())
    response = client.post(
        "orgs",
        application_data(
            category="social_org",
            credit_code=VALID_CREDIT_CODE,
            certificate_valid_until="2030-06-30",
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credit_code"] == VALID_CREDIT_CODE
    assert body["certificate_valid_until"] == "2030-06-30"


def test_renewal_suspension_and_staff_through_the_api(api, operator):
    import datetime as dt

    from threehours.orgs import services

    from .factories import approved_org

    org = approved_org(
        operator=operator,
        category="social_org",
        credit_code=VALID_CREDIT_CODE,
        certificate_valid_until=dt.date(2030, 1, 1),
    )
    admin = api.as_user(org.applicant)
    response = admin.client.post(
        f"/api/v1/orgs/{org.pk}/renewals",
        {"valid_until": "2033-01-01", "file": image_upload()},
        headers=admin._headers(),
    )
    assert response.status_code == 201, response.content
    renewal = response.json()
    ops = api.as_user(operator)
    assert admin.post(f"ops/renewals/{renewal['id']}/accept").status_code == 403
    response = ops.post(f"ops/renewals/{renewal['id']}/accept")
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert admin.get(f"orgs/{org.pk}").json()["certificate_valid_until"] == "2033-01-01"

    response = admin.post(
        f"orgs/{org.pk}/invitations", {"email": "co@ngo.example.cn", "role": "coordinator"}
    )
    assert response.status_code == 201
    helper = applicant("co@ngo.example.cn")
    from threehours.orgs.models import Membership

    Membership.objects.create(organisation=org, user=helper, role="coordinator")
    staff = admin.get(f"orgs/{org.pk}/staff").json()
    assert {s["role"] for s in staff} == {"admin", "coordinator"}
    coordinator = api.as_user(helper)
    admin_id = next(s["id"] for s in staff if s["role"] == "admin")
    response = coordinator.delete(f"orgs/{org.pk}/staff/{admin_id}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert admin.delete(f"orgs/{org.pk}/staff/{admin_id}").json()["code"] == "last_admin"

    assert ops.post(f"ops/orgs/{org.pk}/suspend", {"reason": ""}).status_code == 400
    response = ops.post(f"ops/orgs/{org.pk}/suspend", {"reason": "投诉核实中"})
    assert response.json()["suspended"] is True and response.json()["can_publish"] is False
    assert admin.patch(f"orgs/{org.pk}", {"name": "x"}).json()["code"] == "org_suspended"
    assert (
        ops.post(f"ops/orgs/{org.pk}/reinstate", {"reason": "已处理"}).json()["suspended"] is False
    )
    assert services.role_of(user=org.applicant, org=org) == "admin"
