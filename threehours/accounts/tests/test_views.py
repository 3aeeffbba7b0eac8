"""Account pages with Django's test client."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from threehours.accounts import errors, services
from threehours.accounts.models import ApiToken, SmsCode, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/me/", "/me/real-name/", "/me/phone/", "/me/inbox/"])
def test_volunteer_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_get_code_answers_with_a_fragment(client, test_phones):
    response = client.post(
        "/login/code/", {"agree": "on", "phone": "13800000001"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "data-resend-after" in html
    response = client.post(
        "/login/code/", {"agree": "on", "phone": "12"}, headers={"HX-Request": "true"}
    )
    assert 'class="error"' in response.content.decode()


def test_phone_login_page_logs_in_and_follows_next(client, test_phones):
    response = client.post(
        "/login/?next=/me/real-name/",
        {"agree": "on", "phone": "13800000001", "code": "123456", "next": "/me/real-name/"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/real-name/"
    response = client.post(
        "/login/",
        {"agree": "on", "phone": "13800000002", "code": "123456", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/me/"


def test_wrong_code_shows_an_error_on_the_form(client, test_phones):
    response = client.post("/login/", {"agree": "on", "phone": "13800000001", "code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_posts_need_the_csrf_token(test_phones):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"agree": "on", "phone": "13800000001", "code": "123456"})
    assert response.status_code == 403


def test_ops_login_refuses_a_staff_account_that_is_no_operator(client, email_user):
    response = client.post(
        "/ops/login/", {"email": email_user.email, "password": "Correct-Horse-9"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/org/login/", {"agree": "on", "email": email_user.email, "password": "Correct-Horse-9"}
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
        "/me/real-name/", {"consent": "on", "real_name": "张三", "id_number": "11010519491231002X"}
    )
    assert response.status_code == 302
    html = client.get("/me/").content.decode()
    assert "1101**********002X" in html and "11010519491231002X" not in html


def test_language_switch_to_english(client):
    html = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "Three hours a year for the public good" in html
    html = client.get("/").content.decode()
    assert "每人每年 3 小时公益" in html


# --- Every account page rule, one behaviour per test ---------------------------------------------

PHONE = "13912345678"
PASSWORD = "Correct-Horse-9"  # the `email_user` fixture's password
ID = "11010519491231002X"
HTMX = {"HX-Request": "true"}
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_fast_passwords(settings):
    # The pages count requests per IP in the cache, which outlives each test's transaction.
    cache.clear()
    # Argon2 costs ~0.3 s a hash here; the rules under test do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


def logged_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def form_errors(response) -> list[str]:
    return [
        str(e) for field_errors in response.context["form"].errors.values() for e in field_errors
    ]


def fragment_error(response) -> str:
    """The refusal shown in the "get code" fragment (a partial: no response.context)."""
    html = response.content.decode()
    assert "<html" not in html
    return unescape(re.search(r'<small class="error" role="alert">(.*?)</small>', html).group(1))


def message_of(error, response) -> str:
    """The text the page shows for a service's refusal, in the language of the request."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return error.message


def sms_code(sms_outbox, phone=PHONE) -> str:
    texts = [sms["text"] for sms in sms_outbox if sms["phone"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"(?<!\d)\d{6}(?!\d)", texts[-1]).group(0)


def link_path(mail, prefix: str) -> str:
    return re.search(rf"{prefix}\S+/", mail.body).group(0)


# phone log-in


def test_phone_login_page_shows_the_phone_and_code_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="phone"' in html and 'name="code"' in html
    assert 'hx-post="/login/code/"' in html


def test_get_code_sends_an_sms_and_refuses_a_second_within_sixty_seconds(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/login/code/", {"agree": "on", "phone": PHONE}, headers=HTMX)
    assert response.status_code == 200
    assert 'data-resend-after="60"' in response.content.decode()
    assert [sms["phone"] for sms in sms_outbox] == [PHONE]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/login/code/", {"agree": "on", "phone": PHONE}, headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx: the refusal is in the fragment
    assert fragment_error(response) == message_of(errors.SmsTooFrequent(seconds=60), response)
    assert len(sms_outbox) == 1 and SmsCode.objects.count() == 1


def test_phone_login_page_logs_in_with_the_code_from_the_sms(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/code/", {"agree": "on", "phone": PHONE}, headers=HTMX)
    response = client.post("/login/", {"agree": "on", "phone": PHONE, "code": sms_code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == "/me/"
    user = User.objects.get(phone=PHONE)
    assert logged_in_id(client) == user.pk
    assert "139****5678" in client.get("/me/").content.decode()


def test_phone_login_page_refuses_an_expired_code(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.post("/login/code/", {"agree": "on", "phone": PHONE}, headers=HTMX)
    with time_machine.travel(T0 + dt.timedelta(minutes=5, seconds=1), tick=False):
        response = client.post(
            "/login/", {"agree": "on", "phone": PHONE, "code": sms_code(sms_outbox)}
        )
    assert response.status_code == 200
    assert form_errors(response) == [message_of(errors.SmsCodeExpired(), response)]
    assert logged_in_id(client) is None and not User.objects.exists()


def test_phone_login_page_refuses_a_wrong_code_for_an_existing_account(
    client, volunteer, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/code/", {"agree": "on", "phone": volunteer.phone}, headers=HTMX)
    code = sms_code(sms_outbox, phone=volunteer.phone)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/login/", {"agree": "on", "phone": volunteer.phone, "code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [message_of(errors.BadSmsCode(), response)]
    assert logged_in_id(client) is None


# e-mail log-in, organisation and operator consoles


def test_org_login_logs_a_verified_staff_member_in(client, email_user):
    response = client.post(
        "/org/login/", {"agree": "on", "email": "STAFF@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/org/"
    assert logged_in_id(client) == email_user.pk


def test_org_login_refuses_a_wrong_password(client, email_user):
    response = client.post(
        "/org/login/", {"agree": "on", "email": email_user.email, "password": "wrong"}
    )
    assert response.status_code == 200
    assert form_errors(response) == [message_of(errors.InvalidCredentials(), response)]
    assert logged_in_id(client) is None


def test_org_login_refuses_an_unverified_email(client):
    User.objects.create_user(email="new@ngo.example.cn", password="A-Long-Password-26")
    response = client.post(
        "/org/login/",
        {"agree": "on", "email": "new@ngo.example.cn", "password": "A-Long-Password-26"},
    )
    assert form_errors(response) == [message_of(errors.EmailNotVerified(), response)]
    assert logged_in_id(client) is None


def test_org_login_locks_the_account_after_five_wrong_passwords(client, email_user):
    for _ in range(4):
        client.post("/org/login/", {"agree": "on", "email": email_user.email, "password": "wrong"})
    response = client.post(
        "/org/login/", {"agree": "on", "email": email_user.email, "password": "wrong"}
    )
    locked = message_of(errors.AccountLocked(minutes=15), response)
    assert form_errors(response) == [locked]
    response = client.post(
        "/org/login/", {"agree": "on", "email": email_user.email, "password": PASSWORD}
    )
    assert form_errors(response) == [locked]
    assert logged_in_id(client) is None


def test_ops_login_admits_operators_and_refuses_other_email_accounts(client, operator, email_user):
    response = client.post("/ops/login/", {"email": email_user.email, "password": PASSWORD})
    assert response.status_code == 200
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        refusal = translation.gettext("This account is not a platform operator.")
    assert form_errors(response) == [refusal]
    assert logged_in_id(client) is None
    response = client.post("/ops/login/", {"email": operator.email, "password": "Operator-Pass-9"})
    assert response.status_code == 302 and response["Location"] == "/ops/"
    assert logged_in_id(client) == operator.pk


def test_a_post_without_the_csrf_token_is_refused_and_with_it_accepted(email_user):
    client = Client(enforce_csrf_checks=True)
    data = {"email": email_user.email, "password": PASSWORD}
    assert client.post("/org/login/", data).status_code == 403
    assert logged_in_id(client) is None
    client.get("/org/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/org/login/", {"agree": "on", **data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and logged_in_id(client) == email_user.pk


# sign-up and verification link


def test_signup_page_creates_an_unverified_account_and_its_link_verifies_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    assert client.get("/org/signup/").status_code == 200
    data = {"email": "New@NGO.example.cn", "password": "A-Long-Password-26"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/org/signup/", {**data, "password2": data["password"], "agree": "on"}
        )
    assert response.status_code == 200
    assert "accounts/signup_done.html" in [t.name for t in response.templates]
    user = User.objects.get()
    assert user.email == "new@ngo.example.cn" and user.email_verified_at is None
    assert [mail.to for mail in mailoutbox] == [["new@ngo.example.cn"]]

    response = client.get(link_path(mailoutbox[0], "/accounts/verify/"))
    assert response.status_code == 200
    assert "accounts/verify_done.html" in [t.name for t in response.templates]
    user.refresh_from_db()
    assert user.email_verified_at is not None
    response = client.post("/org/login/", {**data, "agree": "on"})
    assert response.status_code == 302 and logged_in_id(client) == user.pk


def test_signup_page_refuses_a_weak_password(client, mailoutbox):
    response = client.post(
        "/org/signup/",
        {"email": "new@ngo.example.cn", "password": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"password"}
    assert not User.objects.exists() and mailoutbox == []


def test_signup_page_refuses_a_taken_email(client, email_user, mailoutbox):
    password = "A-Long-Password-26"
    response = client.post(
        "/org/signup/",
        {"email": "Staff@Example.org", "password": password, "password2": password, "agree": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [message_of(errors.EmailTaken(), response)]
    assert User.objects.count() == 1 and mailoutbox == []


def test_verify_link_page_refuses_a_tampered_or_expired_link(client):
    with time_machine.travel(T0, tick=False):
        user = User.objects.create_user(email="new@ngo.example.cn", password="A-Long-Password-26")
        token = signing.dumps({"u": user.pk, "e": user.email}, salt=services.EMAIL_VERIFY_SALT)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        response = client.get(f"/accounts/verify/{tampered}/")
    assert response.status_code == 400
    assert "accounts/verify_failed.html" in [t.name for t in response.templates]
    with time_machine.travel(T0 + dt.timedelta(days=3, minutes=1), tick=False):
        assert client.get(f"/accounts/verify/{token}/").status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


# password reset


def test_password_reset_page_answers_the_same_for_unknown_addresses(
    client, email_user, mailoutbox, django_capture_on_commit_callbacks
):
    assert client.get("/accounts/password-reset/").status_code == 200
    answers = []
    for email in ("nobody@example.org", email_user.email):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/password-reset/", {"email": email})
        answers.append((response.status_code, [t.name for t in response.templates]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert [mail.to for mail in mailoutbox] == [[email_user.email]]


def test_password_reset_link_sets_a_new_password_and_ends_old_logins(
    client, email_user, mailoutbox, django_capture_on_commit_callbacks
):
    raw_token = services.token_issue(user=email_user)
    elsewhere = Client()
    elsewhere.force_login(email_user)
    for _ in range(5):
        client.post("/org/login/", {"agree": "on", "email": email_user.email, "password": "wrong"})
    email_user.refresh_from_db()
    assert email_user.locked_until is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": email_user.email})
    link = link_path(mailoutbox[0], "/accounts/reset/")

    assert client.get(link).status_code == 200
    new = "Brand-New-Pass-26"
    response = client.post(link, {"password": new, "password2": new})
    assert response.status_code == 302 and response["Location"] == "/org/login/"

    response = client.post(
        "/org/login/", {"agree": "on", "email": email_user.email, "password": new}
    )
    assert response.status_code == 302 and logged_in_id(client) == email_user.pk
    assert services.token_authenticate(raw_token) is None
    assert ApiToken.objects.get().revoked_at is not None
    assert elsewhere.get("/me/").status_code == 302  # the old session ended with the password

    response = client.get(link)
    assert response.status_code == 400
    assert "accounts/verify_failed.html" in [t.name for t in response.templates]


# the volunteer's own pages


def test_binding_code_endpoint_needs_login(client, sms_outbox):
    response = client.post("/me/phone/code/", {"phone": PHONE}, headers=HTMX)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not SmsCode.objects.exists() and sms_outbox == []


def test_real_name_page_refuses_an_invalid_id_number_and_writes_nothing(client, volunteer):
    client.force_login(volunteer)
    response = client.post(
        "/me/real-name/", {"consent": "on", "real_name": "张三", "id_number": "110105194912310021"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"] == [
        message_of(errors.InvalidIdNumber(), response)
    ]
    volunteer.refresh_from_db()
    assert volunteer.real_name == "" and volunteer.id_number_encrypted == ""
    assert volunteer.id_number_index is None and volunteer.real_name_verified_at is None


def test_phone_binding_page_binds_a_phone_to_an_email_account(
    client, email_user, sms_outbox, django_capture_on_commit_callbacks
):
    client.force_login(email_user)
    html = client.get("/me/phone/").content.decode()
    assert 'hx-post="/me/phone/code/"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/phone/code/", {"phone": PHONE}, headers=HTMX)
    assert 'data-resend-after="60"' in response.content.decode()
    assert SmsCode.objects.get().purpose == SmsCode.Purpose.BIND
    response = client.post("/me/phone/", {"phone": PHONE, "code": sms_code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == "/me/"
    email_user.refresh_from_db()
    assert email_user.phone == PHONE


def test_phone_binding_page_refuses_a_phone_of_another_account(
    client, email_user, volunteer, sms_outbox, django_capture_on_commit_callbacks
):
    client.force_login(email_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/phone/code/", {"phone": volunteer.phone}, headers=HTMX)
    assert fragment_error(response) == message_of(errors.PhoneTaken(), response)
    assert not SmsCode.objects.exists() and sms_outbox == []


def test_phone_binding_page_keeps_an_existing_phone(client, volunteer, test_phones):
    client.force_login(volunteer)
    html = client.get("/me/phone/").content.decode()
    assert 'name="code"' not in html and "139****0001" in html
    response = client.post("/me/phone/", {"phone": "13800000001", "code": "123456"})
    assert response.status_code == 200
    assert form_errors(response) == [message_of(errors.PhoneAlreadyBound(), response)]
    volunteer.refresh_from_db()
    assert volunteer.phone == "13900000001"
