"""Read replicas against a real streaming replica (issue #17 §3), in the PostgreSQL pass.

One replica for the module, made by deploy/replica from the test cluster (it streams every
database, the test database included). The replica's alias is a test mirror of "default": Django
neither creates nor flushes a database on it, and its NAME is the test database's. To tell which
database answered, replay is paused on the replica and a row is changed on the primary: the
replica still shows the old title, the primary the new one.
"""

from __future__ import annotations

import copy
import glob
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from threehours.activities.models import Activity
from threehours.core import routers
from threehours.signups.models import Signup

from .factories import published_activity

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica_0"]),
]

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "replica"
OLD, NEW = "Beach clean-up", "Renamed on the primary"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _script(*args: str) -> None:
    subprocess.run([str(SCRIPT), *args], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        primary = connections["default"].settings_dict
    if primary["HOST"] not in ("127.0.0.1", "localhost") or not glob.glob(
        "/usr/lib/postgresql/*/bin/pg_ctl"
    ):
        pytest.skip("needs PostgreSQL's server binaries and the database on this machine")
    port = _free_port()
    where = ["--dir", f"/var/tmp/threehours-test-replica-{port}", "--port", str(port)]
    where += ["--primary-port", str(primary["PORT"] or 5432)]
    _script("up", *where)
    alias = copy.deepcopy(primary)
    alias.update(HOST="127.0.0.1", PORT=str(port))
    alias["OPTIONS"] = {**alias.get("OPTIONS", {}), "connect_timeout": 2}
    alias["TEST"] = {**alias.get("TEST", {}), "MIRROR": "default"}
    before = django_settings.DATABASES.get("replica_0")
    others = {a: s for a, s in django_settings.DATABASES.items() if a.startswith("replica_")}
    for other in others:  # replicas from the environment: only ours here
        del django_settings.DATABASES[other]
    django_settings.DATABASES["replica_0"] = alias  # connections.settings is this same dict
    _forget("replica_0")
    routers.reset_replica_health()
    yield where
    _forget("replica_0")
    del django_settings.DATABASES["replica_0"]
    django_settings.DATABASES.update(others)
    if before is not None:
        django_settings.DATABASES["replica_0"] = before
    routers.reset_replica_health()
    _script("remove", *where)


def _forget(alias: str) -> None:
    """Drop this thread's connection object, so that the next one reads the new settings."""
    try:
        connections[alias].close()
        del connections[alias]
    except AttributeError:
        pass


def _replica_sql(sql: str):
    with connections["replica_0"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def _caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        [target] = cursor.fetchone()
    _until(lambda: _replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0])


def _until(condition, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@pytest.fixture
def paused(replica, org, settings):
    """An activity the replica has, then replay paused and the title changed on the primary."""
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    activity = published_activity(org, title=OLD, questions=[])
    _caught_up()
    _replica_sql("SELECT pg_wal_replay_pause()")
    try:
        Activity.objects.filter(pk=activity.pk).update(title=NEW)
        # Received by the replica, not replayed.
        _until(
            lambda: _replica_sql("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0]
        )
        routers.reset_replica_health()
        yield activity
    finally:
        _replica_sql("SELECT pg_wal_replay_resume()")
        routers.reset_replica_health()


def _text(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_discovery_and_public_pages_read_from_the_replica(paused):
    client = Client()
    for path in (
        "/activities/",
        f"/activities/{paused.pk}/",
        f"/orgs/{paused.organisation_id}/",
        "/api/v1/activities",
    ):
        page = _text(client, path)
        assert OLD in page and NEW not in page, path  # the replica's (paused) copy
    # Elsewhere the primary answers, as before.
    assert Activity.objects.get(pk=paused.pk).title == NEW


def test_a_browser_that_just_wrote_reads_from_the_primary(paused, settings):
    client = Client()
    assert OLD in _text(client, "/activities/")
    # Any successful write marks the browser, logged in or not: here, choosing a language.
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302 and routers.STICKY_COOKIE in response.cookies
    for path in ("/activities/", f"/activities/{paused.pk}/"):
        page = _text(client, path)
        assert NEW in page and OLD not in page, path
    # The mark is signed and has an age: past REPLICA_STICKY_SECONDS the replica answers again.
    settings.REPLICA_STICKY_SECONDS = 0
    assert OLD in _text(client, "/activities/")
    client.cookies[routers.STICKY_COOKIE] = "forged"
    settings.REPLICA_STICKY_SECONDS = 60
    assert OLD in _text(client, "/activities/")


def test_a_volunteer_who_just_registered_sees_it_at_once(paused, volunteer):
    client = Client()
    client.force_login(volunteer)
    response = client.post(f"/activities/{paused.pk}/register/", follow=True)
    assert Signup.objects.filter(activity=paused, volunteer=volunteer).exists()
    assert "你已报名" in response.content.decode()
    assert "你已报名" in _text(client, f"/activities/{paused.pk}/")
    # Without the mark the paused replica answers, and it has not seen the registration yet.
    del client.cookies[routers.STICKY_COOKIE]
    page = _text(client, f"/activities/{paused.pk}/")
    assert "你已报名" not in page and OLD in page


def test_a_lagging_replica_is_skipped(paused, settings):
    client = Client()
    settings.REPLICA_MAX_LAG_SECONDS = 0  # replay is paused with WAL waiting: behind
    routers.reset_replica_health()
    assert NEW in _text(client, "/activities/")
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    routers.reset_replica_health()
    assert OLD in _text(client, "/activities/")


def test_a_stopped_replica_is_skipped(replica, org, monkeypatch):
    activity = published_activity(org, title=OLD, questions=[])
    _caught_up()
    client = Client()
    assert OLD in _text(client, "/activities/")
    # Known good a moment ago, gone now: the view runs again on the primary.
    monkeypatch.setattr(routers, "HEALTH_SECONDS", 3600)
    _script("stop", *replica)
    try:
        Activity.objects.filter(pk=activity.pk).update(title=NEW)
        for path in ("/activities/", f"/activities/{activity.pk}/"):
            assert NEW in _text(client, path), path
        # Then known down: skipped without trying it.
        assert routers._health["replica_0"][1] is False
        assert NEW in _text(client, "/activities/")
        # Down from the start (nothing known): skipped at the check.
        routers.reset_replica_health()
        assert NEW in _text(client, "/activities/")
    finally:
        _script("up", *replica)
        connections["replica_0"].close()
        routers.reset_replica_health()
