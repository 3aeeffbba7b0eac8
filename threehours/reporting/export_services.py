"""Staff exports of registrants and hours (issue 5 §7; docs/product.md §8 "Exports").

Small exports are built in the request; above `SYNC_ROW_LIMIT` rows an `Export` row is queued
and a job builds the file into private storage and tells the requesting staff member, whose
download goes through a view that checks the organisation again. Phone numbers are exported
masked (138****0001; issue #16 §5, docs/privacy.md): an organisation admin who must call someone
reveals that one number on the registrant page, audited. A closed account is named 已注销用户.

The registrants export lists each registration with its answers. The hours export ("hours of
all activities in a date range") lists what the hours ledger credited: one row per volunteer,
activity and day in the range, with that day's check-in and check-out times (Attendance) and the
hours the ledger holds for it — the credit at check-out plus any staff corrections, whose
reasons are shown — so the file always agrees with the volunteers' own totals. Excel: one sheet
per activity (activities without attendance in the range get a sheet with the header only);
CSV: one file, the same columns, the activity first.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from threehours.accounts.identity import age_on, staff_name, staff_phone
from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput
from threehours.core.numbers import format_hours
from threehours.signups.models import Export, Signup
from threehours.signups.selectors import signups_grouped

from . import exports
from .exports import Column, Sheet

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
            "volunteer__closed_at",
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
        staff_name(volunteer),
        staff_phone(volunteer),
        signup.get_status_display(),
        signup.seats,
        signup.created_at,
    ]


def _registrant_sheet(activity: Activity, signups: list[Signup], title: str) -> Sheet:
    """One row per registration; on a parent-child activity one row per person (docs/product.md
    §6): the guardian's row, then a row per child marked 小宝 with the age on the first day,
    both naming the family by its guardian. The family's places stay on the guardian's row, so
    the column adds up to the places taken."""
    questions = [(str(q.pk), q.text) for q in activity.questions.all()]
    family = activity.family
    columns = [
        *_person_columns(),
        *(
            [Column(_("Family (guardian)"), 14), Column(pgettext("export", "Child"), 10)]
            if family
            else []
        ),
        *(Column(text, 20) for _qid, text in questions),
        Column(_("Reason"), 24),
    ]

    def rows():
        for s in signups_grouped(signups):
            values = [*_person_values(s)]
            children = list(s.children.all()) if family and s.seats > 1 else []
            guardian = staff_name(s.volunteer) if children else ""
            if family:
                values += [guardian, ""]
            yield [*values, *(s.answers.get(qid, "") for qid, _text in questions), s.reason]
            for child in children:
                age = age_on(child.birth_date, activity.start_date) if child.birth_date else ""
                yield [
                    child.real_name,
                    "",
                    s.get_status_display(),
                    "",
                    s.created_at,
                    guardian,
                    _("Child, %(age)s") % {"age": age},
                    *("" for _q in questions),
                    s.reason,
                ]

    return Sheet(title=title, columns=columns, rows=rows())


def _file_stem(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-")[:40]


# --- Building ----------------------------------------------------------------------------------


def registrants_count(*, activity: Activity) -> int:
    """The rows of the registrants export: registrations, or persons on a family activity."""
    rows = Signup.objects.filter(activity=activity)
    if activity.family:
        return rows.aggregate(n=Sum("seats"))["n"] or 0
    return rows.count()


def registrants_export(*, activity: Activity, fmt: str) -> tuple[str, str, bytes]:
    """The registrants of `activity` as (file name, content type, bytes), in the order of the
    staff's registrant page (confirmed, pending, waiting, then rejected, removed, cancelled):
    name, masked phone, status, places, registration time, one column per question, reason.
    Raises InvalidInput (format)."""
    fmt = _fmt_clean(fmt)
    signups = _signups_of([activity.pk])
    if activity.family:
        signups = signups.prefetch_related(
            Prefetch("children", queryset=User.objects.order_by("birth_date", "pk"))
        )
    signups = list(signups)
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
        .only("id", "title", "online", "start_date")
        .order_by("start_date", "pk")
    )


def range_count(*, org, date_from: dt.date, date_to: dt.date) -> int:
    """About how many rows the hours export has: the attendance days in the range."""
    from threehours.attendance.models import Attendance

    activities = _activities_in_range(org=org, date_from=date_from, date_to=date_to)
    return Attendance.objects.filter(
        activity__in=activities.values("pk"), day__gte=date_from, day__lte=date_to
    ).count()


def _hours_columns() -> list[Column]:
    return [
        Column(_("Activity"), 24),
        Column(_("Day"), 11),
        Column(pgettext("person", "Name"), 14),
        Column(_("Phone"), 15),
        Column(_("Checked in at"), 17),
        Column(_("Checked out at"), 17),
        Column(_("Hours credited"), 9),
        Column(_("Kind"), 12),
        Column(_("Corrections"), 30),
        # Position evidence (issue #12 §5): how the check-in was proven.
        Column(_("Check-in method"), 12),
        Column(_("Accuracy (m)"), 9),
        Column(_("Position flags"), 30),
    ]


# Sorts ledger days without a check-in after the day's check-ins.
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def _hours_rows(activities: list[Activity], date_from: dt.date, date_to: dt.date):
    """{activity id: [row, …]}: one row per volunteer and day with attendance or ledger
    entries in the range, by day and check-in time. Five queries whatever the size."""
    from django.db.models import Sum

    from threehours.accounts.models import User
    from threehours.attendance import selectors as attendance_selectors
    from threehours.attendance.models import Attendance
    from threehours.hours.models import Kind, LedgerEntry

    ids = [a.pk for a in activities]
    in_range = {"activity_id__in": ids, "day__gte": date_from, "day__lte": date_to}
    Key = tuple[int, int, dt.date]
    attendance: dict[Key, Attendance] = {
        (a.activity_id, a.volunteer_id, a.day): a
        for a in Attendance.objects.filter(**in_range)
        .select_related("volunteer")
        .only(
            "activity_id",
            "day",
            "checked_in_at",
            "checked_out_at",
            "checkin_method",
            "volunteer__real_name",
            "volunteer__nickname",
            "volunteer__phone",
            "volunteer__email",
            "volunteer__guarded",
            "volunteer__closed_at",
        )
    }
    credited: dict[Key, Any] = {
        (r["activity_id"], r["volunteer_id"], r["day"]): r["total"]
        for r in LedgerEntry.objects.filter(**in_range)
        .values("activity_id", "volunteer_id", "day")
        .annotate(total=Sum("hours"))
        .order_by()
    }
    # "reason (+0.5 h)": a cell starting with "+" would be taken for a formula.
    reasons: dict[Key, list[str]] = {}
    for activity_id, volunteer_id, day, hours, reason in (
        LedgerEntry.objects.filter(**in_range, entry_type=LedgerEntry.EntryType.CORRECTION)
        .order_by("pk")
        .values_list("activity_id", "volunteer_id", "day", "hours", "reason")
    ):
        reasons.setdefault((activity_id, volunteer_id, day), []).append(
            f"{reason} ({format_hours(hours, sign=True)} h)"
        )
    evidence = attendance_selectors.position_evidence(
        activity_ids=ids, date_from=date_from, date_to=date_to
    )
    # Ledger days without an attendance row (none today; kept honest if one ever appears).
    missing = {key[1] for key in credited if key not in attendance}
    people = {u.pk: u for u in User.objects.filter(pk__in=missing)} if missing else {}
    by_pk = {a.pk: a for a in activities}
    tenth = Decimal("0.1")
    rows: dict[int, list[tuple[Any, list[Any]]]] = {pk: [] for pk in ids}
    for key in attendance.keys() | credited.keys():
        activity_id, volunteer_id, day = key
        activity = by_pk[activity_id]
        record = attendance.get(key)
        person = record.volunteer if record else people[volunteer_id]
        hours = Decimal(credited.get(key) or 0).quantize(tenth)
        kind = Kind.ONLINE if activity.online else Kind.SERVICE
        row = [
            activity.title,
            day,
            _person_name(person),
            staff_phone(person),
            record.checked_in_at if record else None,
            record.checked_out_at if record else None,
            hours,
            str(kind.label),
            "\n".join(reasons.get(key, [])),
            *_evidence_cells(record, evidence.get(key)),
        ]
        order = (day, record.checked_in_at if record else _NEVER, volunteer_id)
        rows[activity_id].append((order, row))
    return {
        pk: [row for _order, row in sorted(items, key=lambda i: i[0])] for pk, items in rows.items()
    }


def _person_name(person) -> str:
    """The name in the hours export; a child of a family registration is marked 小宝."""
    name = staff_name(person)
    return pgettext("export", "%(name)s (child)") % {"name": name} if person.guarded else name


def _evidence_cells(record, evidence) -> list[Any]:
    from threehours.attendance.models import Method

    if evidence is not None:
        return [
            str(Method(evidence.method).label) if evidence.method else "",
            evidence.accuracy_m,
            "; ".join(evidence.flag_labels),
        ]
    method = record.checkin_method if record else ""
    return [str(Method(method).label) if method else "", None, ""]


def range_export(*, org, date_from: dt.date, date_to: dt.date, fmt: str) -> tuple[str, str, bytes]:
    """The hours credited in all of `org`'s activities with a day in [date_from, date_to]: one
    row per volunteer and activity day — day, name, masked phone, check-in and check-out time, the
    hours the ledger holds for that day (credit plus corrections), their kind and the
    corrections' reasons. xlsx: one sheet per activity; csv: one file, activity first.
    Raises InvalidInput."""
    fmt = _fmt_clean(fmt)
    date_from, date_to = range_clean(date_from=date_from, date_to=date_to)
    activities = list(_activities_in_range(org=org, date_from=date_from, date_to=date_to))
    by_activity = _hours_rows(activities, date_from, date_to)
    columns = _hours_columns()
    stem = f"hours-{date_from.isoformat()}-{date_to.isoformat()}"
    if fmt == "xlsx":
        titles = exports.sheet_titles(a.title for a in activities)
        sheets = [
            Sheet(title=title, columns=columns, rows=by_activity[activity.pk])
            for activity, title in zip(activities, titles, strict=True)
        ]
        return f"{stem}.xlsx", exports.XLSX_CONTENT_TYPE, exports.xlsx_bytes(sheets)
    rows = (row for activity in activities for row in by_activity[activity.pk])
    return f"{stem}.csv", exports.CSV_CONTENT_TYPE, exports.csv_bytes(columns, rows)


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
    from django.utils.translation import gettext_lazy

    from threehours.notifications.services import message_later, notify

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
            title=gettext_lazy("Your export failed"),
            body=gettext_lazy("Please try again, or export a shorter period."),
        )
        raise
    export.file.save(filename, ContentFile(content), save=False)
    export.filename = filename
    export.status = Export.Status.READY
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "filename", "status", "finished_at"])
    notify(
        user=export.requested_by,
        title=gettext_lazy("Your export is ready"),
        body=message_later(gettext_lazy("%(file)s can be downloaded now."), {"file": filename}),
        link=reverse("console:export-download", args=[export.organisation_id, export.pk]),
    )
    return export


def export_get_for_org(*, org, export_id: int) -> Export | None:
    """A finished export of `org` whose file is still kept (None otherwise: 404; the
    retention job deletes files after EXPORT_FILE_RETENTION_DAYS)."""
    return (
        Export.objects.filter(organisation=org, pk=export_id, status=Export.Status.READY)
        .exclude(file="")
        .first()
    )
