"""Page sessions: the user behind them (accounts.backends) and, with Redis, where they live."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from threehours.accounts.backends import AccountBackend

pytestmark = pytest.mark.django_db
REDIS = "redis://127.0.0.1:6379/14"  # a real Redis runs beside the test suite


def test_the_user_of_a_session_is_one_query_with_every_column(volunteer):
    volunteer.real_name = "张三"
    volunteer.save(update_fields=["real_name"])
    with CaptureQueriesContext(connection) as queries:
        user = AccountBackend().get_user(str(volunteer.pk))
    assert len(queries.captured_queries) == 1
    assert (user.pk, user.phone, user.real_name) == (volunteer.pk, volunteer.phone, "张三")
    assert user.date_joined == volunteer.date_joined  # a datetime, not the engine's text
    assert user.get_session_auth_hash() == volunteer.get_session_auth_hash()


@pytest.mark.parametrize("user_id", ["0", "-3", "abc", "", None, str(2**63), "999999"])
def test_an_unknown_or_malformed_session_user_is_nobody(volunteer, user_id):
    assert AccountBackend().get_user(user_id) is None


def test_an_inactive_user_is_logged_out_of_the_pages(volunteer):
    client = Client()
    client.force_login(volunteer)
    assert client.get(reverse("accounts:me")).status_code == 200
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    assert client.get(reverse("accounts:me")).status_code == 302  # to the login page


@pytest.fixture
def redis_sessions(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "threehours.core.cache.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "threehours-test-sessions",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from django.core.cache import cache

    yield cache
    cache.clear()


def test_with_redis_a_page_reads_its_session_from_redis_and_a_logout_ends_it(
    volunteer, redis_sessions
):
    phone = Client()
    phone.force_login(volunteer)
    cookie = phone.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        assert phone.get(reverse("accounts:me")).status_code == 200
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)
    phone.post(reverse("accounts:logout"))
    # The same cookie, sent again (a copy of it, another worker): no longer logged in.
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get(reverse("accounts:me")).status_code == 302
