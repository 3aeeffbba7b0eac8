"""Reads of a person's own data (issue #16 §2): everything held about them, for the data
download and for 我的 → 个人信息与隐私. The privacy app sits above every app whose rows it reads,
so it reads their models directly, one query per kind of row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from threehours.accounts.models import Consent, User
from threehours.attendance.models import Attempt, Attendance
from threehours.core.errors import NotFound
from threehours.family.models import Guardianship
from threehours.hours.models import Certificate, HoursSummary, LedgerEntry
from threehours.notifications.models import Message
from threehours.orgs.models import Membership
from threehours.ratings.models import Rating
from threehours.rewards.models import Redemption
from threehours.signups.models import Export, Signup

from .models import AccountClosure, DataExport


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()  # Asia/Shanghai, with its offset
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def data_exports_of(*, user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user).order_by("-created_at", "-pk")


def data_export_get_for_user(*, user: User, export_id: int) -> DataExport:
    """The data download `export_id` of `user`; someone else's is NotFound (404), never 403."""
    export = DataExport.objects.filter(pk=export_id, user=user).first()
    if export is None:
        raise NotFound()
    return export


def closure_open(*, user: User) -> AccountClosure | None:
    """The closing in progress of `user` (requested, neither cancelled nor completed)."""
    return (
        AccountClosure.objects.filter(
            user=user, cancelled_at__isnull=True, completed_at__isnull=True
        )
        .order_by("-requested_at")
        .first()
    )


def closure_latest(*, user: User) -> AccountClosure | None:
    return AccountClosure.objects.filter(user=user).order_by("-requested_at", "-pk").first()


def organisations_alone_administered(*, user: User) -> list[str]:
    """Names of the organisations whose only administrator is `user`."""
    admin_of = list(
        Membership.objects.filter(user=user, role=Membership.Role.ADMIN).select_related(
            "organisation"
        )
    )
    if not admin_of:
        return []
    others = set(
        Membership.objects.filter(
            organisation_id__in=[m.organisation_id for m in admin_of],
            role=Membership.Role.ADMIN,
            user__closed_at__isnull=True,
            user__closing_at__isnull=True,
        )
        .exclude(user=user)
        .values_list("organisation_id", flat=True)
    )
    return [m.organisation.name for m in admin_of if m.organisation_id not in others]


def children_left_alone(*, user: User) -> list[User]:
    """The children of whom `user` is the only current guardian (no other guardian whose
    account is open): their records are closed with the guardian's (docs/decisions/0014)."""
    child_ids = list(
        Guardianship.objects.filter(guardian=user, ended_at__isnull=True).values_list(
            "child_id", flat=True
        )
    )
    if not child_ids:
        return []
    guarded_by_others = set(
        Guardianship.objects.filter(
            child_id__in=child_ids,
            ended_at__isnull=True,
            guardian__closed_at__isnull=True,
            guardian__closing_at__isnull=True,
        )
        .exclude(guardian=user)
        .values_list("child_id", flat=True)
    )
    return list(
        User.objects.filter(pk__in=child_ids, guarded=True, closed_at__isnull=True)
        .exclude(pk__in=guarded_by_others)
        .order_by("pk")
    )


def organisations_received(*, user: User) -> list[dict[str, Any]]:
    """Which organisations received the person's data, and when (PIPL Art. 23): every
    organisation they registered with (first and last registration, the activities), and each
    staff export of registrants or hours that included them (its time and kind)."""
    per_org: dict[int, dict[str, Any]] = {}
    signups = (
        Signup.objects.filter(volunteer=user)
        .select_related("activity__organisation")
        .only(
            "created_at",
            "activity_id",
            "activity__title",
            "activity__organisation_id",
            "activity__organisation__name",
        )
        .order_by("created_at", "pk")
    )
    activity_ids: set[int] = set()
    for signup in signups:
        org = signup.activity.organisation
        entry = per_org.setdefault(
            org.pk,
            {
                "organisation": org.name,
                "organisation_id": org.pk,
                "first_registration": signup.created_at,
                "last_registration": signup.created_at,
                "activities": [],
                "exports": [],
            },
        )
        entry["last_registration"] = signup.created_at
        if signup.activity.title not in entry["activities"]:
            entry["activities"].append(signup.activity.title)
        activity_ids.add(signup.activity_id)
    if per_org:
        spans = {
            org_id: (first, last)
            for org_id, first, last in LedgerEntry.objects.filter(volunteer=user)
            .values("organisation_id")
            .annotate(first=Min("day"), last=Max("day"))
            .values_list("organisation_id", "first", "last")
        }
        exports = Export.objects.filter(
            organisation_id__in=list(per_org), status=Export.Status.READY
        ).order_by("created_at", "pk")
        first_signup = {k: v["first_registration"] for k, v in per_org.items()}
        for export in exports:
            if export.created_at < first_signup[export.organisation_id]:
                continue
            if export.kind == Export.Kind.REGISTRANTS:
                included = export.params.get("activity_id") in activity_ids
            else:
                first, last = spans.get(export.organisation_id, (None, None))
                try:
                    start = dt.date.fromisoformat(str(export.params.get("from")))
                    end = dt.date.fromisoformat(str(export.params.get("to")))
                except ValueError:
                    continue
                included = first is not None and first <= end and last >= start
            if included:
                per_org[export.organisation_id]["exports"].append(
                    {"at": export.created_at, "kind": export.get_kind_display()}
                )
    return sorted(per_org.values(), key=lambda e: e["last_registration"], reverse=True)


def _rows(queryset, fields: list[str]) -> list[dict[str, Any]]:
    return [{k: _iso(v) for k, v in row.items()} for row in queryset.values(*fields)]


def data_collect(*, user: User) -> dict[str, Any]:
    """Everything held about `user`, as JSON-ready data (the data download's data.json).
    The ID number is included in full: the person is its owner and has the right to a copy
    (PIPL Art. 45); the file is private to them and deleted after DATA_EXPORT_TTL_DAYS."""
    account = {
        "id": user.pk,
        "phone": user.phone or "",
        "email": user.email or "",
        "nickname": user.nickname,
        "real_name": user.real_name,
        "id_number": user.id_number_plain(),
        "id_number_masked": user.id_number_masked,
        "birth_date": user.birth_date,
        "language": user.language,
        "joined": user.date_joined,
        "phone_bound_at": user.phone_bound_at,
        "email_verified_at": user.email_verified_at,
        "real_name_recorded_at": user.real_name_verified_at,
        "closing_on": user.closing_at,
    }
    questions: dict[int, dict[str, str]] = defaultdict(dict)
    signups = list(
        Signup.objects.filter(volunteer=user)
        .select_related("activity__organisation")
        .prefetch_related("activity__questions", "children")
        .order_by("created_at", "pk")
    )
    registrations = []
    for s in signups:
        questions[s.activity_id] = {str(q.pk): q.text for q in s.activity.questions.all()}
        registrations.append(
            {
                "activity": s.activity.title,
                "activity_id": s.activity_id,
                "organisation": s.activity.organisation.name,
                "status": s.status,
                "places": s.seats,
                "children": [c.real_name for c in s.children.all()],
                "answers": [
                    {"question": questions[s.activity_id].get(qid, qid), "answer": answer}
                    for qid, answer in s.answers.items()
                ],
                "registered_at": s.created_at,
                "cancelled_at": s.cancelled_at,
                "reason": s.reason,
            }
        )
    attendance = [
        {
            "activity": a.activity.title,
            "day": a.day,
            "checked_in_at": a.checked_in_at,
            "check_in_method": a.checkin_method,
            "checked_out_at": a.checked_out_at,
            "check_out_method": a.checkout_method,
            "hours": a.hours,
        }
        for a in Attendance.objects.filter(volunteer=user)
        .select_related("activity")
        .order_by("day", "pk")
    ]
    positions = _rows(
        Attempt.objects.filter(volunteer=user).order_by("created_at", "pk"),
        [
            "activity_id",
            "day",
            "action",
            "method",
            "result",
            "lat",
            "lng",
            "coord",
            "accuracy_m",
            "distance_m",
            "created_at",
        ],
    )
    ledger = _rows(
        LedgerEntry.objects.filter(volunteer=user).order_by("day", "pk"),
        [
            "activity__title",
            "organisation__name",
            "day",
            "hours",
            "kind",
            "entry_type",
            "reason",
            "created_at",
        ],
    )
    summary = HoursSummary.objects.filter(volunteer=user).first()
    data: dict[str, Any] = {
        "generated_at": timezone.now(),
        "account": {k: _iso(v) for k, v in account.items()},
        "consents": _rows(
            Consent.objects.filter(user=user).order_by("given_at", "pk"),
            ["kind", "version", "given_at", "withdrawn_at", "ip"],
        ),
        "registrations": [{k: _iso(v) for k, v in r.items()} for r in registrations],
        "attendance": [{k: _iso(v) for k, v in a.items()} for a in attendance],
        "check_in_attempts_and_positions": positions,
        "hours_ledger": ledger,
        "hours_summary": {
            "service_hours": _iso(summary.service_hours if summary else Decimal("0.0")),
            "online_hours": _iso(summary.online_hours if summary else Decimal("0.0")),
        },
        "certificates": _rows(
            Certificate.objects.filter(holder=user).order_by("issued_at", "pk"),
            [
                "serial",
                "organisation__name",
                "date_from",
                "date_to",
                "total_hours",
                "state",
                "revoked_reason",
                "issued_at",
            ],
        ),
        "ratings": [
            {
                "activity": r.activity.title,
                "stars": r.stars,
                "text": r.text,
                "created_at": _iso(r.created_at),
                "photos": [p.image.name for p in r.photos.all()],
            }
            for r in Rating.objects.filter(volunteer=user)
            .select_related("activity")
            .prefetch_related("photos")
            .order_by("created_at", "pk")
        ],
        "redemptions": _rows(
            Redemption.objects.filter(volunteer=user).order_by("created_at", "pk"),
            ["incentive__title", "incentive__partner", "code__code", "expires_at", "created_at"],
        ),
        "children": [
            {
                "name": g.child.real_name,
                "id_number_masked": g.child.id_number_masked,
                "birth_date": _iso(g.child.birth_date),
                "guardian_consent_version": g.consent_version,
                "guardian_consent_at": _iso(g.consented_at),
                "handed_over_at": _iso(g.ended_at),
            }
            for g in Guardianship.objects.filter(guardian=user)
            .select_related("child")
            .order_by("pk")
        ],
        "notifications": _rows(
            Message.objects.filter(recipient=user).order_by("created_at", "pk"),
            ["title", "body", "link", "created_at", "read_at"],
        ),
        "organisations_that_received_my_data": [
            {
                **{k: _iso(v) for k, v in o.items() if k != "exports"},
                "exports": [{"at": _iso(e["at"]), "kind": str(e["kind"])} for e in o["exports"]],
            }
            for o in organisations_received(user=user)
        ],
        "data_downloads": _rows(
            data_exports_of(user=user), ["id", "state", "created_at", "ready_at", "expires_at"]
        ),
        "account_closures": _rows(
            AccountClosure.objects.filter(user=user).order_by("requested_at", "pk"),
            ["requested_at", "effective_at", "cancelled_at", "completed_at"],
        ),
    }
    data["generated_at"] = _iso(data["generated_at"])
    return data
