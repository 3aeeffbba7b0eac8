"""Account pages with Django's test client."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/me/", "/me/real-name/", "/me/phone/", "/me/inbox/"])
def test_volunteer_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_get_code_answers_with_a_fragment(client, test_phones):
    response = client.post("/login/code/", {"phone": "13800000001"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "data-resend-after" in html
    response = client.post("/login/code/", {"phone": "12"}, headers={"HX-Request": "true"})
    assert 'class="error"' in response.content.decode()


def test_phone_login_page_logs_in_and_follows_next(client, test_phones):
    response = client.post(
        "/login/?next=/me/real-name/",
        {"phone": "13800000001", "code": "123456", "next": "/me/real-name/"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/real-name/"
    response = client.post(
        "/login/", {"phone": "13800000002", "code": "123456", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/me/"


def test_wrong_code_shows_an_error_on_the_form(client, test_phones):
    response = client.post("/login/", {"phone": "13800000001", "code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_posts_need_the_csrf_token(test_phones):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"phone": "13800000001", "code": "123456"})
    assert response.status_code == 403


def test_ops_login_refuses_a_staff_account_that_is_no_operator(client, email_user):
    response = client.post(
        "/ops/login/", {"email": email_user.email, "password": "Correct-Horse-9"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/org/login/", {"email": email_user.email, "password": "Correct-Horse-9"}
    )
    assert response.status_code == 302 and response["Location"] == "/org/"


def test_operator_reaches_the_data_admin_only_through_the_ops_login(client, operator):
    response = client.get("/ops/data/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/ops/login/")
    # The admin's own password form is not there to bypass the lockout and rate limits.
    client.post("/ops/data/login/", {"username": operator.email, "password": "Operator-Pass-9"})
    assert "_auth_user_id" not in client.session
    client.post("/ops/login/", {"email": operator.email, "password": "Operator-Pass-9"})
    assert client.get("/ops/data/").status_code == 200


def test_real_name_page_saves_and_masks(client, volunteer):
    client.force_login(volunteer)
    response = client.post(
        "/me/real-name/", {"real_name": "张三", "id_number": "11010519491231002X"}
    )
    assert response.status_code == 302
    html = client.get("/me/").content.decode()
    assert "1101**********002X" in html and "11010519491231002X" not in html


def test_language_switch_to_english(client):
    html = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "Three hours a year for the public good" in html
    html = client.get("/").content.decode()
    assert "每人每年 3 小时公益" in html
