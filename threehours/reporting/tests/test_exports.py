"""Exports of registrants and hours (issue 5 §7): Excel and CSV files, the staff-only views,
the API operation and the job that builds large exports into private storage."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import load_workbook

from threehours.activities import services as activity_services
from threehours.activities.tests.factories import activity_data
from threehours.attendance import services as attendance_services
from threehours.attendance.models import Method
from threehours.core.timeutil import local_today
from threehours.hours.models import Kind
from threehours.notifications.models import Message
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.reporting import export_services, exports
from threehours.signups import services
from threehours.signups.models import Export, Signup
from threehours.signups.tests.factories import (
    attended,
    local_at,
    online_activity,
    published_activity,
    volunteers,
)

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def activity(org):
    activity = published_activity(
        org,
        title="社区助老探访",
        questions=[
            {"text": "所在城市", "kind": "text", "required": True},
            {"text": "T恤尺码", "kind": "choice", "choices": ["S", "M", "L"], "required": False},
        ],
    )
    city, size = (str(q.pk) for q in activity.questions.all())
    people = volunteers(3)
    people[0].real_name = "张三"
    people[0].save(update_fields=["real_name"])
    services.signup_create(
        activity=activity, volunteer=people[0], answers={city: "上海", size: "M"}
    )
    services.signup_create(activity=activity, volunteer=people[1], answers={city: "=HYPERLINK(1)"})
    third = services.signup_create(activity=activity, volunteer=people[2], answers={city: "杭州"})
    services.signup_remove(signup=third, staff=org.applicant, reason="名额已满")
    return activity


@pytest.fixture
def staff(org):
    client = Client()
    client.force_login(org.applicant)
    return client


def _xlsx(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_registrants_xlsx_has_frozen_header_answers_and_real_datetimes(activity):
    filename, content_type, content = export_services.registrants_export(
        activity=activity, fmt="xlsx"
    )
    assert filename.endswith(".xlsx") and content_type == exports.XLSX_CONTENT_TYPE
    ws = _xlsx(content).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[-3:] == ["所在城市", "T恤尺码", _("Reason")]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["张三", "志愿者1", "志愿者2"]
    assert rows[0][1] == "137****0000"  # masked (issue #16 §5)
    assert rows[0][-3:] == ["上海", "M", None]
    assert rows[2][2] == str(Signup.Status.REMOVED.label) and rows[2][-1] == "名额已满"
    registered = ws.cell(row=2, column=5)
    assert registered.is_date and isinstance(registered.value, dt.datetime)
    assert registered.value.tzinfo is None
    assert abs(registered.value - dt.datetime.now()) < dt.timedelta(hours=24)
    injected = ws.cell(row=3, column=6)
    assert injected.value == "=HYPERLINK(1)" and injected.data_type == "s"
    assert ws.column_dimensions["A"].width > 0


def test_registrants_csv_starts_with_a_bom_and_neutralises_formulas(activity):
    filename, content_type, content = export_services.registrants_export(
        activity=activity, fmt="csv"
    )
    assert filename.endswith(".csv") and content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["所在城市", "T恤尺码", _("Reason")]
    assert rows[1][0] == "张三" and rows[1][5] == "上海"
    assert rows[2][5] == "'=HYPERLINK(1)"


def test_registration_time_is_local_wall_clock_time(activity):
    signup = activity.signups.order_by("pk").first()
    local = signup.created_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    ws = _xlsx(export_services.registrants_export(activity=activity, fmt="xlsx")[2]).active
    assert ws.cell(row=2, column=5).value == local.replace(tzinfo=None, microsecond=0)


def test_sheet_titles_are_short_unique_and_valid():
    titles = exports.sheet_titles(["a" * 40, "a" * 40, "A" * 40, "x/y:z?", ""])
    assert all(len(t) <= 31 for t in titles)
    assert len({t.lower() for t in titles}) == 5
    assert titles[1].endswith(" (2)") and titles[2].endswith(" (3)")
    assert titles[3] == "x_y_z_"


@pytest.fixture
def worked(org):
    """Credited days through the real services: 探访 (three days) — 李四 1.0 h on day one, 0.5 h
    on day two corrected by staff to 1.0 h; 王五 checked in on day one but never out — and a
    one-day online activity of the same title (李四: 0.1 h online credit); one activity
    after the range."""
    start = local_today() + dt.timedelta(days=20)
    visit = published_activity(
        org,
        title="探访",
        questions=[],
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=2)).isoformat(),
    )
    online = online_activity(
        org, title="探访", start_date=start.isoformat(), end_date=start.isoformat()
    )
    later_day = (start + dt.timedelta(days=60)).isoformat()
    later = published_activity(
        org, title="以后的活动", questions=[], start_date=later_day, end_date=later_day
    )
    li, wang = volunteers(2, start=70)
    li.real_name = "李四"
    li.save(update_fields=["real_name"])
    signup = attended(org, visit, li)
    attended(org, visit, wang, until=())
    day_two = start + dt.timedelta(days=1)
    for action, hh, mm in (("checkin", 13, 0), ("checkout", 13, 30)):
        attendance_services.attendance_staff_check(
            signup=signup, staff=org.applicant, action=action, now=local_at(day_two, hh, mm)
        )
    attendance_services.attendance_correct(
        signup=signup,
        day=day_two,
        checkin_at=local_at(day_two, 13),
        checkout_at=local_at(day_two, 14),
        staff=org.applicant,
        reason="忘记签退",
        today=day_two,
    )
    attended(org, online, li, until=())
    return {"start": start, "later": later, "li": li, "wang": wang}


def _at(day, hh, mm=0):
    return local_at(day, hh, mm).replace(tzinfo=None)


def test_range_export_has_the_credited_hours_per_volunteer_day_one_sheet_per_activity(org, worked):
    start, li, wang = worked["start"], worked["li"], worked["wang"]
    filename, _type, content = export_services.range_export(
        org=org, date_from=start, date_to=start + dt.timedelta(days=2), fmt="xlsx"
    )
    end = start + dt.timedelta(days=2)
    assert filename == f"hours-{start.isoformat()}-{end.isoformat()}.xlsx"
    wb = _xlsx(content)
    assert wb.sheetnames == ["探访", "探访 (2)"]  # same titles, unique sheets; not the later one
    ws = wb["探访"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == [
        _("Activity"),
        _("Day"),
        pgettext("person", "Name"),
        _("Phone"),
        _("Checked in at"),
        _("Checked out at"),
        _("Hours credited"),
        _("Kind"),
        _("Corrections"),
        _("Check-in method"),
        _("Accuracy (m)"),
        _("Position flags"),
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    staff = str(Method.STAFF.label)
    day_one, day_two = dt.datetime.combine(start, dt.time()), _at(start, 0) + dt.timedelta(days=1)
    service = str(Kind.SERVICE.label)
    assert rows == [
        ["探访", day_one, "李四", li.phone_masked, _at(start, 13), _at(start, 14), 1, service, None]
        + [staff, None, None],
        ["探访", day_one, wang.nickname, wang.phone_masked, _at(start, 13), None, 0, service, None]
        + [staff, None, None],
        [
            "探访",
            day_two,
            "李四",
            li.phone_masked,
            day_two + dt.timedelta(hours=13),
            day_two + dt.timedelta(hours=14),
            1,  # 0.5 credited + 0.5 corrected
            service,
            "忘记签退 (+0.5 h)",
            staff,
            None,
            None,
        ],
    ]
    assert ws.cell(row=2, column=2).is_date and ws.cell(row=2, column=5).is_date
    online_rows = [[c.value for c in row] for row in wb["探访 (2)"].iter_rows(min_row=2)]
    assert [(r[2], r[6], r[7]) for r in online_rows] == [("李四", 0.1, str(Kind.ONLINE.label))]


def test_range_export_keeps_to_the_days_of_the_range(org, worked):
    day_two = worked["start"] + dt.timedelta(days=1)
    content = export_services.range_export(org=org, date_from=day_two, date_to=day_two, fmt="xlsx")[
        2
    ]
    wb = _xlsx(content)
    assert wb.sheetnames == ["探访"]
    assert [(r[1].value.date(), r[6].value) for r in wb["探访"].iter_rows(min_row=2)] == [
        (day_two, 1)
    ]


def test_range_export_csv_has_the_same_rows_in_one_file(org, worked):
    start = worked["start"]
    _name, _type, content = export_services.range_export(
        org=org, date_from=start, date_to=start + dt.timedelta(days=2), fmt="csv"
    )
    assert content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == _("Activity") and rows[0][6] == _("Hours credited")
    assert [(r[1], r[2], r[4][-5:], r[5][-5:], r[6], r[8]) for r in rows[1:]] == [
        (start.isoformat(), "李四", "13:00", "14:00", "1.0", ""),
        (start.isoformat(), worked["wang"].nickname, "13:00", "", "0.0", ""),
        (
            (start + dt.timedelta(days=1)).isoformat(),
            "李四",
            "13:00",
            "14:00",
            "1.0",
            "忘记签退 (+0.5 h)",
        ),
        (start.isoformat(), "李四", "13:00", "13:00", "0.1", ""),
    ]


def test_range_is_checked(org):
    from threehours.core.errors import InvalidInput

    today = local_today()
    with pytest.raises(InvalidInput):
        export_services.range_export(
            org=org, date_from=today, date_to=today - dt.timedelta(days=1), fmt="xlsx"
        )
    with pytest.raises(InvalidInput):
        export_services.range_export(org=org, date_from=today, date_to=today, fmt="pdf")


# --- Views -------------------------------------------------------------------------------------


def test_staff_download_registrants_in_both_formats(staff, org, activity):
    response = staff.get(reverse("console:activity-registrants-xlsx", args=[org.pk, activity.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    ws = _xlsx(response.content).active
    assert ws.max_row == 4
    header = [c.value for c in ws[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert (rows["张三"]["所在城市"], rows["张三"]["T恤尺码"]) == ("上海", "M")
    assert rows["志愿者1"]["所在城市"] == "=HYPERLINK(1)" and rows["志愿者1"]["T恤尺码"] is None
    assert rows["志愿者2"]["所在城市"] == "杭州"
    response = staff.get(f"/org/{org.pk}/activities/{activity.pk}/registrants.csv")
    assert response.status_code == 200 and response.content.startswith(BOM)
    assert "张三" in response.content.decode("utf-8-sig")


def test_hours_export_view(staff, org, activity):
    day = activity.start_date.isoformat()
    response = staff.get(
        reverse("console:export-hours", args=[org.pk]), {"from": day, "to": day, "format": "csv"}
    )
    assert response.status_code == 200 and response.content.startswith(BOM)
    response = staff.get(
        reverse("console:export-hours", args=[org.pk]), {"from": day, "to": "nonsense"}
    )
    assert response.status_code == 302


@pytest.fixture
def other_staff(operator):
    org_b = approved_org(operator=operator, user=applicant("b@ngo.example.cn"))
    client = Client()
    client.force_login(org_b.applicant)
    return client


def test_another_organisation_gets_404(other_staff, outsider, org, activity):
    day = activity.start_date.isoformat()
    stranger = Client()
    stranger.force_login(outsider)
    for client in (other_staff, stranger):
        for url in (
            f"/org/{org.pk}/activities/{activity.pk}/registrants.xlsx",
            f"/org/{org.pk}/activities/{activity.pk}/registrants.csv",
            f"/org/{org.pk}/exports/hours?from={day}&to={day}",
        ):
            assert client.get(url).status_code == 404, url


def test_another_organisations_activity_is_404_for_staff(staff, operator, org):
    org_b = approved_org(operator=operator, user=applicant("b@ngo.example.cn"))
    activity_b = activity_services.activity_create(
        org=org_b, user=org_b.applicant, data=activity_data()
    )
    response = staff.get(f"/org/{org.pk}/activities/{activity_b.pk}/registrants.xlsx")
    assert response.status_code == 404


# --- Large exports -----------------------------------------------------------------------------


def test_large_export_is_built_by_a_job_and_downloaded_by_staff_only(
    monkeypatch, staff, other_staff, org, activity, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_services, "SYNC_ROW_LIMIT", 1)
    url = reverse("console:activity-registrants-xlsx", args=[org.pk, activity.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.get(url, headers={"referer": "http://testserver/somewhere/"})
    assert response.status_code == 302 and response["Location"] == "http://testserver/somewhere/"
    export = Export.objects.get()
    assert export.status == Export.Status.READY and export.requested_by == org.applicant
    assert export.kind == "registrants" and export.row_count == 3
    assert export.params == {"activity_id": activity.pk, "format": "xlsx"}
    message = Message.objects.get(recipient=org.applicant, link__contains="/exports/")
    download = reverse("console:export-download", args=[org.pk, export.pk])
    assert message.link == download
    assert export.file.storage is not None and export.file.name.startswith(f"exports/{org.pk}/")

    response = staff.get(download)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert _xlsx(content).active.max_row == 4
    assert other_staff.get(download).status_code == 404
    assert Client().get(download).status_code == 302  # to the login page


def test_large_hours_export_is_queued_too(
    monkeypatch, staff, org, worked, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_services, "SYNC_ROW_LIMIT", 1)
    day = worked["start"].isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.get(
            reverse("console:export-hours", args=[org.pk]),
            {"from": day, "to": day, "format": "csv"},
        )
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.kind == "hours" and export.filename.endswith(".csv")
    assert export.row_count == 3  # the attendance days in the range
    content = export.file.read()
    assert content.startswith(BOM) and "李四" in content.decode("utf-8-sig")


def test_export_build_runs_once(monkeypatch, org, activity, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        export = export_services.export_request(
            org=org,
            user=org.applicant,
            kind="registrants",
            params={"activity_id": activity.pk, "format": "csv"},
            row_count=3,
        )
    assert export_services.export_build(export_id=export.pk) is not None
    assert export_services.export_build(export_id=export.pk) is None
    assert Message.objects.filter(recipient=org.applicant, link__contains="/exports/").count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_export(api, org, activity, other_staff, operator):
    client = api.as_user(org.applicant)
    path = f"orgs/{org.pk}/activities/{activity.pk}/registrations/export"
    response = client.get(path, data={"format": "csv"})
    assert response.status_code == 200, response.content
    assert response.content.startswith(BOM)
    response = client.get(path)
    assert response.status_code == 200
    assert _xlsx(response.content).active.freeze_panes == "A2"
    assert client.get(path, data={"format": "pdf"}).status_code == 400

    org_b = approved_org(operator=operator, user=applicant("c@ngo.example.cn"))
    response = api.as_user(org_b.applicant).get(path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_api_large_export_is_queued(
    monkeypatch, api, org, activity, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_services, "SYNC_ROW_LIMIT", 1)
    client = api.as_user(org.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"orgs/{org.pk}/activities/{activity.pk}/registrations/export")
    assert response.status_code == 202
    body = response.json()
    assert body["rows"] == 3 and Export.objects.get(pk=body["export_id"]).status == "ready"
