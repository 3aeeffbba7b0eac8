"""E-mail accounts of organisation staff: sign-up, verification, lockout, password reset."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing

from threehours.accounts import errors, services
from threehours.accounts.models import ApiToken, User
from threehours.core.errors import InvalidInput

pytestmark = pytest.mark.django_db
PASSWORD = "Correct-Horse-9"


@pytest.fixture
def register(django_capture_on_commit_callbacks):
    def _register(email="new@ngo.example.cn", password="A-Long-Password-26"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.email_account_register(email=email, password=password)

    return _register


def _link(mailoutbox, path: str) -> str:
    return re.search(rf"https?://\S+{path}\S+", mailoutbox[-1].body).group(0)


def test_signup_sends_a_verification_link_and_login_waits_for_it(register, mailoutbox, client):
    register()
    assert mailoutbox[-1].to == ["new@ngo.example.cn"]
    with pytest.raises(errors.EmailNotVerified):
        services.email_login(email="new@ngo.example.cn", password="A-Long-Password-26")
    token = _link(mailoutbox, "/accounts/verify/").rstrip("/").rsplit("/", 1)[1]
    services.email_verify(token=token)
    user = services.email_login(email="NEW@ngo.example.cn", password="A-Long-Password-26")
    assert user.email_verified_at is not None


def test_weak_password_and_duplicate_email_are_refused(register, email_user):
    with pytest.raises(InvalidInput) as caught:
        register(password="12345678")
    assert "password" in caught.value.fields
    with pytest.raises(errors.EmailTaken):
        register(email="STAFF@example.org")
    assert User.objects.count() == 1


def test_tampered_or_old_verification_links_are_refused(register):
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        user = register()
        token = signing.dumps({"u": user.pk, "e": user.email}, salt=services.EMAIL_VERIFY_SALT)
    with pytest.raises(errors.BadLinkToken):
        services.email_verify(token=token[:-2] + "xx")
    with time_machine.travel(dt.datetime(2026, 1, 4, 0, 1, tzinfo=dt.UTC), tick=False):
        with pytest.raises(errors.BadLinkToken):
            services.email_verify(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(email_user):
    t0 = dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        for _ in range(4):
            with pytest.raises(errors.InvalidCredentials):
                services.email_login(email=email_user.email, password="wrong")
        with pytest.raises(errors.AccountLocked) as caught:
            services.email_login(email=email_user.email, password="wrong")
        assert caught.value.retry_after == 900
        with pytest.raises(errors.AccountLocked):
            services.email_login(email=email_user.email, password=PASSWORD)
    with time_machine.travel(t0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert services.email_login(email=email_user.email, password=PASSWORD) == email_user


def test_a_successful_login_resets_the_failure_count(email_user):
    for _ in range(4):
        with pytest.raises(errors.InvalidCredentials):
            services.email_login(email=email_user.email, password="wrong")
    services.email_login(email=email_user.email, password=PASSWORD)
    for _ in range(4):
        with pytest.raises(errors.InvalidCredentials):
            services.email_login(email=email_user.email, password="wrong")
    email_user.refresh_from_db()
    assert email_user.locked_until is None


def test_unknown_email_fails_like_a_wrong_password():
    with pytest.raises(errors.InvalidCredentials):
        services.email_login(email="nobody@example.org", password="whatever")


def test_password_reset_sets_a_new_password_revokes_tokens_and_lifts_lockout(
    email_user, mailoutbox, django_capture_on_commit_callbacks
):
    token = services.token_issue(user=email_user)
    for _ in range(5):
        with pytest.raises((errors.InvalidCredentials, errors.AccountLocked)):
            services.email_login(email=email_user.email, password="wrong")
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email="nobody@example.org")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=email_user.email)
    uid, reset = _link(mailoutbox, "/accounts/reset/").rstrip("/").rsplit("/", 2)[1:]
    services.password_reset_confirm(uidb64=uid, token=reset, password="Brand-New-Pass-26")
    assert services.email_login(email=email_user.email, password="Brand-New-Pass-26")
    assert services.token_authenticate(token) is None
    assert ApiToken.objects.get().revoked_at is not None
    with pytest.raises(errors.BadLinkToken):
        services.password_reset_confirm(uidb64=uid, token=reset, password="Another-Pass-26")
