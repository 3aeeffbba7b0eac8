"""`threehours manage hours_audit`: the integrity report on the command line."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from threehours.core.timeutil import local_today
from threehours.hours.tests.factories import integrity_story

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("hours_audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def story(operator):
    return integrity_story(operator=operator)


def test_hours_audit_prints_the_last_thirty_days_as_a_table_by_default(story):
    out = _run()
    start = local_today() - dt.timedelta(days=29)
    assert out.splitlines()[0] == (
        f"hours integrity report {start} – {local_today()} (Asia/Shanghai)"
    )
    lines = out.splitlines()
    assert "share %" in lines[1] and set(lines[2]) == {"-"}
    sunshine = lines[3]
    assert "阳光志愿者协会" in sunshine and "14.3" in sunshine and sunshine.endswith("!")
    assert lines[-1].split() == [
        *("TOTAL", "2", "-1.5", "2.0", "22.5", "8.9"),
        *("1", "1", "1", "1", "2"),
    ]
    # numbers line up under their headings, a Chinese character being two columns wide
    share_ends = lines[1].index("share %") + len("share %")
    assert len(lines[-1].split("8.9")[0]) + len("8.9") == share_ends
    before = sunshine.split("14.3")[0]
    assert len(before) + sum(1 for ch in before if ch >= "\u4e00") + len("14.3") == share_ends


def test_hours_audit_writes_csv_for_one_organisation(story):
    out = _run("--org", str(story.river.pk), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["organisation"] for r in rows] == ["河道守护队", "TOTAL"]
    assert rows[0]["organisation_id"] == str(story.river.pk) and rows[1]["organisation_id"] == ""
    assert (rows[0]["correction_hours"], rows[0]["total_hours"]) == ("-3.5", "4.5")
    assert rows[0]["flagged"] == "False"


def test_hours_audit_writes_json_for_a_period(story):
    day = story.day.isoformat()
    report = json.loads(_run("--from", day, "--to", day, "--format", "json"))
    assert (report["from"], report["to"]) == (day, day)
    first = report["rows"][0]
    assert first["organisation_id"] == story.sunshine.pk
    assert (first["share_percent"], first["own_refused"], first["flagged"]) == ("14.3", 1, True)
    assert (first["code_rotations"], first["same_position"]) == (1, 2)
    assert report["total"]["total_hours"] == "22.5"


def test_hours_audit_before_anything_happened_shows_only_what_waits(story):
    day = (story.day - dt.timedelta(days=1)).isoformat()
    report = json.loads(_run("--to", day, "--format", "json"))
    assert report["from"] == (story.day - dt.timedelta(days=30)).isoformat()
    assert [(r["organisation"], r["pending"]) for r in report["rows"]] == [("阳光志愿者协会", 1)]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "2026-13-01"], "YYYY-MM-DD"),
        (["--from", "2026-12-02", "--to", "2026-12-01"], "--from"),
        (["--org", "999999"], "no organisation"),
    ],
)
def test_hours_audit_refuses_what_it_cannot_read(db, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
