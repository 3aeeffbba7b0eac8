from __future__ import annotations

import pytest

from threehours.privacy.models import AccountClosure

pytestmark = pytest.mark.django_db


def test_data_export_api(api, volunteer, outsider, django_capture_on_commit_callbacks):
    me = api.as_user(volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        response = me.post("me/data-export")
    assert response.status_code == 202
    export_id = response.json()["id"]
    body = me.get(f"me/data-export/{export_id}").json()
    assert body["state"] == "ready" and body["expires_at"]
    file = me.get(body["url"])
    assert file.status_code == 200
    assert b"".join(file.streaming_content).startswith(b"PK")
    stranger = api.as_user(outsider)
    assert stranger.get(f"me/data-export/{export_id}").status_code == 404
    assert stranger.get(body["url"]).status_code == 404
    assert api.post("me/data-export").status_code == 401


def test_data_export_api_refuses_a_second_while_pending(api, volunteer):
    me = api.as_user(volunteer)
    assert me.post("me/data-export").status_code == 202  # no commit: stays pending
    response = me.post("me/data-export")
    assert response.status_code == 409
    assert response.json()["code"] == "data_export_pending"


def test_closure_api(api, volunteer):
    me = api.as_user(volunteer)
    assert me.get("me/closure").json()["state"] == "none"
    assert me.delete("me/closure").status_code == 404
    response = me.post("me/closure")
    assert response.status_code == 202
    assert response.json()["effective_at"]
    assert me.get("me/closure").json()["state"] == "closing"
    again = me.post("me/closure")
    assert again.status_code == 409 and again.json()["code"] == "closure_requested"
    assert me.delete("me/closure").status_code == 204
    assert me.get("me/closure").json()["state"] == "cancelled"
    assert AccountClosure.objects.get(user=volunteer).cancelled_at is not None


def test_closure_api_refuses_the_only_admin(api, org):
    response = api.as_user(org.applicant).post("me/closure")
    assert response.status_code == 409
    assert response.json()["code"] == "closure_only_admin"
