"""Staff exports of registrants and hours (issue 5 §7; PRODUCT.md §8 "Exports").

Small exports are built in the request; above `SYNC_ROW_LIMIT` rows an `Export` row is queued
and a job builds the file into private storage and tells the requesting staff member, whose
download goes through a view that checks the organisation again. Phone numbers are exported in
full: staff need them to reach volunteers. Credited service hours are not exported yet: they
come with the hours ledger (issue 6); "hours per day" and "days" describe the activity.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput

from . import exports
from .exports import Column, Sheet
from .models import Export, Signup
from .selectors import signups_grouped

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")
# Above this many rows the file is built by a job (tests monkeypatch it).
SYNC_ROW_LIMIT = 5000
# A range longer than this is refused: an export is per season, not per decade.
MAX_RANGE_DAYS = 366


def _fmt_clean(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(fields={"format": [_("Choose xlsx or csv.")]})
    return fmt


def range_clean(*, date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Check an export's date range. Raises InvalidInput."""
    if date_from is None or date_to is None:
        raise InvalidInput(fields={"from": [_("Give the first and the last day.")]})
    if date_to < date_from:
        raise InvalidInput(fields={"to": [_("The last day cannot be before the first day.")]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            fields={"to": [_("At most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}]}
        )
    return date_from, date_to


# --- Rows --------------------------------------------------------------------------------------


def _signups_of(activities) -> QuerySet[Signup]:
    return (
        Signup.objects.filter(activity__in=activities)
        .select_related("volunteer")
        .only(
            "activity_id",
            "status",
            "seats",
            "answers",
            "reason",
            "created_at",
            "volunteer__real_name",
            "volunteer__nickname",
            "volunteer__phone",
            "volunteer__email",
        )
        .order_by("activity_id", "created_at", "pk")
    )


def _person_columns() -> list[Column]:
    return [
        Column(pgettext("person", "Name"), 14),
        Column(_("Phone"), 15),
        Column(_("Status"), 12),
        Column(_("Places"), 7),
        Column(_("Registered at"), 17),
    ]


def _person_values(signup: Signup) -> list[Any]:
    volunteer = signup.volunteer
    return [
        volunteer.real_name or volunteer.display_name,
        volunteer.phone or "",
        signup.get_status_display(),
        signup.seats,
        signup.created_at,
    ]


def _registrant_sheet(activity: Activity, signups: list[Signup], title: str) -> Sheet:
    questions = [(str(q.pk), q.text) for q in activity.questions.all()]
    columns = [
        *_person_columns(),
        *(Column(text, 20) for _qid, text in questions),
        Column(_("Reason"), 24),
    ]
    rows = (
        [
            *_person_values(s),
            *(s.answers.get(qid, "") for qid, _text in questions),
            s.reason,
        ]
        for s in signups_grouped(signups)
    )
    return Sheet(title=title, columns=columns, rows=rows)


def _activity_columns() -> list[Column]:
    return [
        Column(_("Activity"), 24),
        Column(_("First day"), 11),
        Column(_("Last day"), 11),
        Column(_("Hours per day"), 9),
        Column(_("Days"), 6),
    ]


def _activity_values(activity: Activity) -> list[Any]:
    return [
        activity.title,
        activity.start_date,
        activity.end_date,
        activity.max_hours_per_day,
        (activity.end_date - activity.start_date).days + 1,
    ]


def _prefixed(values: list[Any], rows) -> Iterator[list[Any]]:
    for row in rows:
        yield [*values, *row]


def _file_stem(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-")[:40]


# --- Building ----------------------------------------------------------------------------------


def registrants_count(*, activity: Activity) -> int:
    return Signup.objects.filter(activity=activity).count()


def registrants_export(*, activity: Activity, fmt: str) -> tuple[str, str, bytes]:
    """The registrants of `activity` as (file name, content type, bytes), in the order of the
    staff's registrant page (confirmed, pending, waiting, then rejected, removed, cancelled):
    name, full phone, status, places, registration time, one column per question, reason.
    Raises InvalidInput (format)."""
    fmt = _fmt_clean(fmt)
    signups = list(_signups_of([activity.pk]))
    sheet = _registrant_sheet(activity, signups, exports.sheet_titles([activity.title])[0])
    stem = f"registrants-{activity.pk}-{_file_stem(activity.title)}"
    if fmt == "xlsx":
        return f"{stem}.xlsx", exports.XLSX_CONTENT_TYPE, exports.xlsx_bytes([sheet])
    return f"{stem}.csv", exports.CSV_CONTENT_TYPE, exports.csv_bytes(sheet.columns, sheet.rows)


def _activities_in_range(*, org, date_from: dt.date, date_to: dt.date) -> QuerySet[Activity]:
    """The organisation's activities (drafts aside) with at least one day in the range."""
    return (
        Activity.objects.filter(organisation=org, start_date__lte=date_to, end_date__gte=date_from)
        .exclude(state=Activity.State.DRAFT)
        .prefetch_related("questions")
        .order_by("start_date", "pk")
    )


def range_count(*, org, date_from: dt.date, date_to: dt.date) -> int:
    activities = _activities_in_range(org=org, date_from=date_from, date_to=date_to)
    return Signup.objects.filter(activity__in=activities.values("pk")).count()


def range_export(*, org, date_from: dt.date, date_to: dt.date, fmt: str) -> tuple[str, str, bytes]:
    """Registrants and hours of all of `org`'s activities with a day in [date_from, date_to].
    xlsx: one sheet per activity (the activity's dates, hours per day and days on every row,
    then one column per question); csv: one file with the activity columns in front and the
    answers as "question: answer" lines in one column. Raises InvalidInput."""
    fmt = _fmt_clean(fmt)
    date_from, date_to = range_clean(date_from=date_from, date_to=date_to)
    activities = list(_activities_in_range(org=org, date_from=date_from, date_to=date_to))
    by_activity: dict[int, list[Signup]] = {a.pk: [] for a in activities}
    for signup in _signups_of([a.pk for a in activities]).iterator(chunk_size=2000):
        by_activity[signup.activity_id].append(signup)
    stem = f"hours-{date_from.isoformat()}-{date_to.isoformat()}"
    if fmt == "xlsx":
        titles = exports.sheet_titles(a.title for a in activities)
        sheets = []
        for activity, title in zip(activities, titles, strict=True):
            sheet = _registrant_sheet(activity, by_activity[activity.pk], title)
            values = _activity_values(activity)
            sheet.columns = [*_activity_columns(), *sheet.columns]
            sheet.rows = _prefixed(values, sheet.rows)
            sheets.append(sheet)
        return f"{stem}.xlsx", exports.XLSX_CONTENT_TYPE, exports.xlsx_bytes(sheets)

    def rows() -> Iterator[list[Any]]:
        for activity in activities:
            questions = [(str(q.pk), q.text) for q in activity.questions.all()]
            values = _activity_values(activity)
            for s in signups_grouped(by_activity[activity.pk]):
                answers = "\n".join(
                    f"{text}: {s.answers[qid]}" for qid, text in questions if s.answers.get(qid)
                )
                yield [*values, *_person_values(s), answers, s.reason]

    columns = [
        *_activity_columns(),
        *_person_columns(),
        Column(_("Answers"), 30),
        Column(_("Reason"), 24),
    ]
    return f"{stem}.csv", exports.CSV_CONTENT_TYPE, exports.csv_bytes(columns, rows())


# --- Large exports through a job --------------------------------------------------------------


def export_request(*, org, user, kind: str, params: dict[str, Any], row_count: int) -> Export:
    """Queue an export for a job; the file is built after commit and `user` is notified.
    Raises InvalidInput (format)."""
    _fmt_clean(params.get("format", ""))
    with transaction.atomic():
        export = Export.objects.create(
            organisation=org, requested_by=user, kind=kind, params=params, row_count=row_count
        )
        audit_record(actor=user, verb="export.requested", target=export)

        def enqueue() -> None:
            from .tasks import export_build_task

            export_build_task(export.pk)

        transaction.on_commit(enqueue)
    return export


def _build(export: Export) -> tuple[str, bytes]:
    params = export.params
    if export.kind == Export.Kind.REGISTRANTS:
        activity = Activity.objects.get(organisation=export.organisation, pk=params["activity_id"])
        filename, _type, content = registrants_export(activity=activity, fmt=params["format"])
    else:
        filename, _type, content = range_export(
            org=export.organisation,
            date_from=dt.date.fromisoformat(params["from"]),
            date_to=dt.date.fromisoformat(params["to"]),
            fmt=params["format"],
        )
    return filename, content


def export_build(*, export_id: int) -> Export | None:
    """Build a queued export into private storage and notify its requester. Runs once per export
    whichever worker runs it (compare-and-set queued → running); None when another run took it.
    A failure marks the export failed and tells the requester."""
    from threehours.notifications.services import notify

    if not Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    ):
        return None
    export = Export.objects.select_related("organisation", "requested_by").get(pk=export_id)
    try:
        filename, content = _build(export)
    except Exception:
        logger.exception("export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED, finished_at=timezone.now()
        )
        notify(
            user=export.requested_by,
            title=_("Your export failed"),
            body=_("Please try again, or export a shorter period."),
        )
        raise
    export.file.save(filename, ContentFile(content), save=False)
    export.filename = filename
    export.status = Export.Status.READY
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "filename", "status", "finished_at"])
    notify(
        user=export.requested_by,
        title=_("Your export is ready"),
        body=_("%(file)s can be downloaded now.") % {"file": filename},
        link=reverse("orgs:export-download", args=[export.organisation_id, export.pk]),
    )
    return export


def export_get_for_org(*, org, export_id: int) -> Export | None:
    """A finished export of `org` (None otherwise: 404)."""
    return Export.objects.filter(organisation=org, pk=export_id, status=Export.Status.READY).first()
