"""Demo data: idempotent (`threehours demo` loads it at every start) and only with debug on."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from threehours.accounts.models import User
from threehours.notifications.models import Message
from threehours.orgs.models import Organisation

ROOT = Path(__file__).resolve().parents[3]
LOGINS = [
    "13800000001",
    "13800000002",
    "13800000003",
    "org@demo.threehours.cn  demo-org-2026",
    "ops@demo.threehours.cn  demo-ops-2026",
]


def load_demo(**options) -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_data_loads_twice_without_duplicates(settings, regions):
    settings.DEBUG = True

    def counts():
        return (User.objects.count(), Message.objects.count(), Organisation.objects.count())

    first = load_demo()
    after_first = counts()
    second = load_demo()

    assert after_first[0] >= 5 and after_first[1] >= 3 and after_first[2] >= 1
    assert counts() == after_first
    assert first == second
    assert all(login in first for login in LOGINS)


@pytest.mark.django_db
def test_demo_logins_work(settings, regions):
    settings.DEBUG = True
    load_demo()

    org = User.objects.get(email="org@demo.threehours.cn")
    ops = User.objects.get(email="ops@demo.threehours.cn")
    assert org.check_password("demo-org-2026") and org.email_verified_at is not None
    assert ops.check_password("demo-ops-2026") and ops.is_staff
    volunteer = User.objects.get(phone="13800000001")
    assert volunteer.phone_bound and not volunteer.has_usable_password()
    assert Message.objects.filter(recipient=volunteer, title__contains="欢迎").count() == 1
    # The riverside campaign, and the reading day with two children (signups/demo.py).
    assert Message.objects.filter(recipient=volunteer, title="报名成功").count() == 2


@pytest.mark.django_db
def test_demo_activities_are_a_realistic_spread(settings, regions, attributes):
    from threehours.activities.models import Activity
    from threehours.core.timeutil import local_today

    settings.DEBUG = True
    load_demo()

    activities = list(Activity.objects.published().select_related("type", "form"))
    today = local_today()
    offline = [a for a in activities if not a.online]
    assert len({a.city_id for a in offline}) >= 3  # several cities
    assert any(a.online for a in activities) and offline
    assert (
        len({a.type.code for a in activities}) >= 3 and len({a.form.code for a in activities}) >= 3
    )
    assert any(a.end_date > a.start_date for a in activities)  # multi-day
    assert any(a.type.code == "parent_child" for a in activities)
    assert any(a.places_taken >= a.places for a in activities)  # full
    assert any(a.phase_on(today) == "finished" for a in activities)
    assert sum(a.phase_on(today) == "not_started" for a in activities) >= 3


@pytest.mark.django_db
def test_demo_activities_have_real_addresses(settings, regions, attributes):
    from threehours.activities.models import Activity

    settings.DEBUG = True
    load_demo()

    offline = list(Activity.objects.filter(online=False))
    assert offline
    addresses = [a.address for a in offline]
    assert "活动地点见详情" not in addresses
    assert len(set(addresses)) == len(addresses)  # each its own place
    assert all("号" in address or "小学" in address for address in addresses)
    for activity in offline:  # the coordinates lie in the activity's city
        assert activity.lat is not None and activity.lng is not None
        if activity.city.code == "3101":
            assert 31.0 < activity.lat < 31.4 and 121.2 < activity.lng < 121.7
        elif activity.city.code == "4403":
            assert 22.4 < activity.lat < 22.8 and 113.7 < activity.lng < 114.4


@pytest.mark.django_db
def test_demo_applications_carry_the_qualification_image_their_category_needs(settings, regions):
    from PIL import Image

    from threehours.orgs.models import QualificationFile
    from threehours.orgs.services import REQUIRED_FILE

    settings.DEBUG = True
    load_demo()
    load_demo()  # idempotent: still one file each

    try:
        for org in Organisation.objects.all():
            files = list(org.files.all())
            assert [f.kind for f in files] == [REQUIRED_FILE[org.category]], org.name
            with files[0].image.open("rb") as fh, Image.open(fh) as image:
                assert image.format == "JPEG" and min(image.size) >= 300
                assert not image.getexif()  # re-encoded as uploads are: no metadata
            assert files[0].width == image.width
        submitted = Organisation.objects.get(state=Organisation.State.SUBMITTED)
        assert submitted.files.exists()  # the reviewer has a document to look at
    finally:
        for row in QualificationFile.objects.all():
            row.image.delete(save=False)


@pytest.mark.django_db
def test_demo_data_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="THREEHOURS_DEBUG"):
        call_command("demo_data")

    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_data_loads_without_debug_when_forced(settings, regions):
    settings.DEBUG = False

    out = load_demo(force=True)

    assert User.objects.filter(email="ops@demo.threehours.cn").exists()
    assert "ops@demo.threehours.cn" in out


def test_the_cli_migrates_and_loads_demo_data_twice_into_a_fresh_sqlite_file(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THREEHOURS_")
        and name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(tmp_path))
    script = Path(sys.executable).with_name("threehours")  # the installed console script
    assert script.exists(), "run `uv sync` to install the threehours command"

    def threehours(*args: str) -> str:
        result = subprocess.run(
            [str(script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def count(table: str) -> int:
        with sqlite3.connect(tmp_path / "threehours.sqlite3") as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    threehours("manage", "migrate", "--verbosity", "0")
    assert count("accounts_user") == 0

    first = threehours("manage", "demo_data")
    users, messages = count("accounts_user"), count("notifications_message")
    second = threehours("manage", "demo_data")

    assert all(login in first for login in LOGINS), first
    assert first == second
    assert users >= 5 and messages >= 3
    assert (count("accounts_user"), count("notifications_message")) == (users, messages)
