"""Shared fixtures: personas, an API client, and the browser set-up for Playwright tests.

Test-run environment defaults (keys, inline jobs, in-memory SMS/e-mail) are set before Django
starts by `threehours/testing/early_env.py` (loaded with `-p` in pyproject.toml)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone

from threehours.core.handlers import (
    PUBLIC_PAGE_PREFIX,
    ApiMiddlewareMixin,
    PublicPageMiddlewareMixin,
)

CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    """Browser tests run wherever Debian's Chromium is installed (CI installs it); PostgreSQL
    race tests run when DATABASE_URL points at PostgreSQL (CI's second run)."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    for item in items:
        if "browser" in item.keywords and not CHROMIUM.exists():
            item.add_marker(
                pytest.mark.skip(reason="needs /usr/bin/chromium (apt-get install chromium)")
            )
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass (DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _clean_outboxes(settings):
    from threehours.notifications import backends

    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: no rate-limit counts left by an earlier test
    (SQLite reuses the ids of rolled-back users, so a count can even follow a "new" user).
    Only the in-process cache of the test set-up: clearing a Redis cache would flush its
    whole database."""
    from django.conf import settings
    from django.core.cache import cache

    from threehours.hours.verify_cache import pages

    if settings.CACHES["default"]["BACKEND"].endswith(".LocMemCache"):
        cache.clear()
    pages.clear()  # the verification pages' per-process cache
    yield


@pytest.fixture
def sms_outbox():
    """SMS sent through the in-memory backend: a list of {"phone", "text"}."""
    from threehours.notifications import backends

    return backends.outbox


@pytest.fixture
def test_phones(settings):
    settings.TEST_PHONES = {"13800000001": "123456", "13800000002": "123456"}
    return settings.TEST_PHONES


# --- personas ---------------------------------------------------------------------------------


@pytest.fixture
def volunteer(db):
    from threehours.accounts.models import User
    from threehours.testing.consent import consent_all

    user = User.objects.create(
        phone="13900000001", nickname="志愿者甲", phone_bound_at=timezone.now()
    )
    consent_all(user)  # tests of consent itself make their own people
    return user


@pytest.fixture
def email_user(db):
    """An organisation staff member's account (verified e-mail, password `Correct-Horse-9`)."""
    from threehours.accounts.models import User

    return User.objects.create_user(
        email="staff@example.org", password="Correct-Horse-9", email_verified_at=timezone.now()
    )


@pytest.fixture
def operator(db):
    from threehours.accounts.models import User

    return User.objects.create_superuser(email="ops@example.org", password="Operator-Pass-9")


@pytest.fixture
def outsider(db):
    """A logged-in stranger who must see nothing that is not public."""
    from threehours.accounts.models import User
    from threehours.testing.consent import consent_all

    user = User.objects.create(phone="13900000099", phone_bound_at=timezone.now())
    consent_all(user)
    return user


# --- pages ------------------------------------------------------------------------------------


class PublicPageClientHandler(PublicPageMiddlewareMixin, ClientHandler):
    """The test client's handler with the public pages' own stack (core/handlers.py)."""


class SiteClientHandler(ClientHandler):
    """As config.wsgi routes: /verify/… through PUBLIC_PAGE_MIDDLEWARE, pages through
    MIDDLEWARE."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.public_pages = PublicPageClientHandler(*args, **kwargs)

    def __call__(self, environ):
        if environ["PATH_INFO"].startswith(PUBLIC_PAGE_PREFIX):
            return self.public_pages(environ)
        return super().__call__(environ)


class SiteClient(Client):
    """Django's test client serving each path through the stack config.wsgi serves it with."""

    def __init__(self, enforce_csrf_checks=False, *args, **kwargs):
        super().__init__(enforce_csrf_checks, *args, **kwargs)
        self.handler = SiteClientHandler(enforce_csrf_checks)


@pytest.fixture
def client():
    """pytest-django's `client`, with the public pages served by their own stack."""
    return SiteClient()


# --- API --------------------------------------------------------------------------------------


class ApiClientHandler(ApiMiddlewareMixin, ClientHandler):
    """The test client's handler with the API's own middleware stack, as config.wsgi serves
    /api/ (core/handlers.py)."""


class ApiClient:
    """Django's test client speaking JSON to /api/v1/, optionally with a bearer token; the
    API's middleware stack as in production."""

    def __init__(self, token: str | None = None, language: str | None = None) -> None:
        self.client = Client()
        self.client.handler = ApiClientHandler()
        self.token = token
        self.language = language

    def _headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.language:
            headers["Accept-Language"] = self.language
        return headers

    def request(self, method: str, path: str, body=None, **kwargs):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method)(
            url, data=data, content_type="application/json", headers=self._headers(), **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.client.get(
            path if path.startswith("/") else f"/api/v1/{path}", headers=self._headers(), **kwargs
        )

    def post(self, path: str, body=None, **kwargs):
        return self.request("post", path, body, **kwargs)

    def put(self, path: str, body=None, **kwargs):
        return self.request("put", path, body, **kwargs)

    def patch(self, path: str, body=None, **kwargs):
        return self.request("patch", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(
            path if path.startswith("/") else f"/api/v1/{path}", headers=self._headers(), **kwargs
        )


@pytest.fixture
def api(db):
    """An anonymous API client; `api.as_user(user)` gives one with a fresh token."""
    from threehours.accounts.services import token_issue

    client = ApiClient()
    client.as_user = lambda user, language=None: ApiClient(token_issue(user=user), language)
    return client


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium; Playwright's own browser download does not work here (NOTES.md)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def screenshot_dir() -> Path:
    """Where browser tests leave screenshots for a person to look at."""
    path = Path(
        os.environ.get("THREEHOURS_SCREENSHOT_DIR", Path(__file__).parent / "var" / "screenshots")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def regions(db):
    """China's regions, as the data migration loads them. Transactional tests (browser tests)
    empty every table afterwards, data included, so tests that need regions ask for them."""
    from importlib import import_module

    from django.apps import apps

    from threehours.orgs.models import Region

    if not Region.objects.exists():
        import_module("threehours.orgs.migrations.0002_load_regions").load_regions(apps, None)
    return Region.objects


@pytest.fixture
def attributes(db):
    """The seeded activity attribute lists (emptied, like regions, by transactional tests)."""
    from importlib import import_module

    from django.apps import apps

    from threehours.activities.models import AttributeOption

    if not AttributeOption.objects.exists():
        import_module("threehours.activities.migrations.0002_seed_attributes").load_attributes(
            apps, None
        )
    return AttributeOption.objects
