"""The verification page as served (issue #15 §4): its own short middleware stack
(PUBLIC_PAGE_MIDDLEWARE, core/handlers.py) and the per-process cache of rendered pages
(hours/verify_cache.py)."""

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from threehours.hours.models import Certificate
from threehours.hours.verify_cache import CACHE_SECONDS, pages

from .certificate_factory import certificate

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def valid(volunteer):
    return certificate(volunteer)


def _page(client, serial, **headers):
    return client.get(reverse("hours:verify", args=[serial]), headers=headers)


def _revoke(cert):
    Certificate.objects.filter(pk=cert.pk).update(
        state=Certificate.State.REVOKED,
        revoked_reason=Certificate.RevokedReason.CORRECTION,
        revoked_at=timezone.now(),
    )


def _headers(response) -> dict[str, str]:
    return dict(response.items())


# --- the cache ----------------------------------------------------------------------------------


def test_a_second_request_is_served_the_same_bytes_with_an_age(client, valid):
    with time_machine.travel(START, tick=False) as traveller:
        first = _page(client, valid.serial)
        assert first.status_code == 200 and "Age" not in first
        traveller.shift(dt.timedelta(seconds=7))
        again = _page(client, valid.serial)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Age"] == "7"
    # The same headers but the age and each request's own id (issue #17: never a cached one).
    per_request = {"Age", "X-Request-ID"}
    assert {k: v for k, v in _headers(again).items() if k not in per_request} == {
        k: v for k, v in _headers(first).items() if k not in per_request
    }
    assert again["X-Request-ID"] != first["X-Request-ID"]


def test_a_revocation_shows_within_the_pages_max_age(client, valid):
    with time_machine.travel(START, tick=False) as traveller:
        assert 'data-state="valid"' in _page(client, valid.serial).content.decode()
        _revoke(valid)
        traveller.shift(dt.timedelta(seconds=CACHE_SECONDS - 1))
        cached = _page(client, valid.serial)
        assert 'data-state="valid"' in cached.content.decode()  # the promise: within a minute
        assert cached["Age"] == str(CACHE_SECONDS - 1)  # a shared cache keeps it 1 s more
        assert cached["Cache-Control"] == "public, max-age=60"
        traveller.shift(dt.timedelta(seconds=1))
        fresh = _page(client, valid.serial)
    assert 'data-state="revoked"' in fresh.content.decode()
    assert "Age" not in fresh


def test_a_request_with_a_cookie_or_a_condition_goes_the_normal_way(client, valid):
    first = _page(client, valid.serial)
    _revoke(valid)
    assert 'data-state="valid"' in _page(client, valid.serial).content.decode()  # cached
    with_cookie = _page(client, valid.serial, Cookie="analytics=1")
    assert 'data-state="revoked"' in with_cookie.content.decode() and "Age" not in with_cookie
    changed = _page(client, valid.serial, **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and 'data-state="revoked"' in changed.content.decode()
    unchanged = _page(client, valid.serial, **{"If-None-Match": changed["ETag"]})
    assert unchanged.status_code == 304
    since = _page(client, valid.serial, **{"If-Modified-Since": changed["Last-Modified"]})
    assert since.status_code == 304


def test_the_cache_keeps_the_most_recently_used_pages(client, volunteer, monkeypatch):
    monkeypatch.setattr(pages, "entries", 2)
    a, b, c = (certificate(volunteer) for _ in range(3))
    _page(client, a.serial)
    _page(client, b.serial)
    assert "Age" in _page(client, a.serial)  # a used last: b is the oldest
    _page(client, c.serial)
    assert len(pages) == 2
    assert "Age" in _page(client, a.serial)
    assert "Age" in _page(client, c.serial)
    assert "Age" not in _page(client, b.serial)  # dropped, rendered again


def test_an_unknown_serial_a_redirect_or_the_form_is_not_kept(client, valid):
    assert _page(client, "3H-0000-0000-0000-0000").status_code == 404
    assert _page(client, valid.serial.lower()).status_code == 301
    assert client.get(reverse("hours:verify-form")).status_code == 200
    assert len(pages) == 0
    assert "Age" not in _page(client, "3H-0000-0000-0000-0000")


def test_each_language_has_its_own_entry(client, valid):
    english = _page(client, valid.serial, **{"Accept-Language": "en"})
    chinese = _page(client, valid.serial, **{"Accept-Language": "zh-hans"})
    assert "Genuine and valid" in english.content.decode()
    assert "Genuine and valid" not in chinese.content.decode()
    assert len(pages) == 2
    again = _page(client, valid.serial, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert "Age" in again and again.content == english.content
    assert again["Content-Language"] == "en"
    default = _page(client, valid.serial)
    assert "Age" in default and default.content == chinese.content


def test_hits_are_not_counted_by_the_rate_limit_misses_are(client, valid, volunteer, settings):
    settings.VERIFY_RATE = "2/m"
    for _ in range(5):
        assert _page(client, valid.serial).status_code == 200  # one miss, four hits
    assert _page(client, certificate(volunteer).serial).status_code == 200  # second miss
    assert _page(client, certificate(volunteer).serial).status_code == 429
    assert _page(client, valid.serial).status_code == 200  # still a hit


# --- the stack ----------------------------------------------------------------------------------


def test_the_page_sets_no_cookie_and_keeps_the_sites_security_headers(client, valid, outsider):
    for response in (
        _page(client, valid.serial),
        _page(client, valid.serial),  # the cached copy
        client.get(reverse("hours:verify-form")),
    ):
        assert response.status_code == 200
        assert not response.cookies
        assert response["Vary"] == "Accept-Language"
        assert response["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert int(response["Content-Length"]) == len(response.content)
    client.force_login(outsider)
    logged_in = _page(client, valid.serial)
    assert logged_in.status_code == 200 and not logged_in.cookies
    assert "Cookie" not in logged_in["Vary"]


def test_the_language_cookie_and_accept_language_choose_the_language(client, valid):
    client.cookies["django_language"] = "en"
    assert "Genuine and valid" in _page(client, valid.serial).content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = _page(client, valid.serial, **{"Accept-Language": "en"})
    assert "Genuine and valid" not in chinese.content.decode()  # the cookie wins, as elsewhere
    del client.cookies["django_language"]
    assert (
        "Genuine and valid"
        in _page(client, valid.serial, **{"Accept-Language": "en"}).content.decode()
    )


def test_the_stack_has_no_session_csrf_or_authentication():
    lean = settings.PUBLIC_PAGE_MIDDLEWARE
    assert not any(
        name.endswith(("SessionMiddleware", "CsrfViewMiddleware", "AuthenticationMiddleware"))
        for name in lean
    )
    assert len(lean) < len(settings.MIDDLEWARE)


@pytest.mark.django_db(transaction=True)
def test_the_server_sends_verify_through_the_public_stack_and_a_hit_skips_the_database(
    volunteer,
):
    """config.wsgi as the server calls it (transactional: it closes old connections)."""
    from config.wsgi import application, public_page_application

    cert = certificate(volunteer)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/verify/{cert.serial}",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    started: list = []
    answers = []
    for _ in range(2):
        body = b"".join(
            application(
                {**environ, "wsgi.input": io.BytesIO()},
                lambda status, head, exc=None: started.append((status, dict(head))),
            )
        )
        answers.append((started[-1], body))
    assert public_page_application._middleware_chain is not None
    (status, head), body = answers[0]
    assert status == "200 OK" and "Set-Cookie" not in head and head["Vary"] == "Accept-Language"
    (status, head_again), body_again = answers[1]
    assert status == "200 OK" and body_again == body and "Age" in head_again
