"""Certificates (公益证书, issue #15 §3–4): serials, and revocation when the hours a certificate
certified change. Issuing (the PDF) lives beside this module; the public verification reads
hours.selectors."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from threehours.accounts.identity import mask_name
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput, NotFound
from threehours.core.timeutil import local_today
from threehours.family.selectors import is_guardian_of
from threehours.notifications.services import message_later, notify
from threehours.orgs.models import Organisation

from .certificate_pdf import ActivityRow, CertificateContent, EvaluationRow, certificate_pdf
from .errors import BadPeriod, GuardedHolder, HoursChanging, NoHours, NotGuardian
from .models import Certificate, HoursSummary, Kind, LedgerEntry, ServiceEvaluation

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from paper.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_GROUPS = 4  # 4 groups of 4 characters: 80 random bits


def serial_new() -> str:
    """A random, unguessable serial such as `3H-7K2M-Q9TX-0BVR-HC4N` (80 bits from `secrets`)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(4 * SERIAL_GROUPS))
    return "3H-" + "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def certificates_revoke_covering(*, volunteer_id: int, organisation_id: int, day: dt.date) -> int:
    """Revoke every valid certificate of `volunteer_id` whose period holds `day` and that
    covers `organisation_id` (all organisations, or that one): a ledger entry for that day
    changed the hours it certified. Runs in the caller's transaction (the ledger entry's);
    the holder (or the guardian who asked for it) is told after commit. Returns the count."""
    covering = Certificate.objects.filter(
        holder_id=volunteer_id,
        state=Certificate.State.VALID,
        date_from__lte=day,
        date_to__gte=day,
    ).filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
    revoked = list(covering.select_related("issued_to", "holder"))
    if not revoked:
        return 0
    now = timezone.now()
    Certificate.objects.filter(
        pk__in=[c.pk for c in revoked], state=Certificate.State.VALID
    ).update(
        state=Certificate.State.REVOKED,
        revoked_reason=Certificate.RevokedReason.CORRECTION,
        revoked_at=now,
    )
    for certificate in revoked:
        transaction.on_commit(lambda c=certificate: _tell_revoked(c))
    return len(revoked)


def _tell_revoked(certificate: Certificate) -> None:
    notify(
        user=certificate.issued_to,
        title=_("A certificate was revoked"),
        body=message_later(
            _(
                "Certificate %(serial)s no longer matches the hours it certified: they were "
                "corrected after it was issued. It now shows as revoked when checked. You can "
                "issue a new one under 我的公益时 → 公益证书."
            ),
            {"serial": certificate.serial},
        ),
        link=reverse("hours:certificates"),
    )


# --- Issuing (issue #15 §3) -------------------------------------------------------------------
#
# Invariants guarded here:
# - a certificate certifies volunteer service time only (Kind.SERVICE: attended, offline
#   activities); online participation credit is not service time and is left out (the PDF
#   says so);
# - its hours are the ledger's net hours per activity and day in the period (credits plus
#   corrections and reversals); a day whose net is 0 is not listed;
# - only the holder (an adult account) or a current guardian of a child holder may ask; a
#   child's certificate is issued to the guardian who asked;
# - the PDF is rendered once, outside any transaction; its bytes are stored and fixed by their
#   SHA-256 in the same transaction as the row, and the file is removed when that transaction
#   does not commit (no orphan file, no row without a file);
# - nothing is written when the period holds no service hours (NoHours).

EARLIEST_DAY = dt.date(2000, 1, 1)
_ISSUE_ATTEMPTS = 3


@dataclass
class _Record:
    rows: list[ActivityRow]
    organisations: list[str]
    total: Decimal
    activity_ids: list[int]
    fingerprint: tuple


def _service_entries(*, holder, organisation):
    entries = LedgerEntry.objects.filter(volunteer=holder, kind=Kind.SERVICE)
    if organisation is not None:
        entries = entries.filter(organisation=organisation)
    return entries


def certificate_period(
    *,
    holder,
    date_from: dt.date | None,
    date_to: dt.date | None,
    organisation=None,
    today: dt.date | None = None,
) -> tuple[dt.date, dt.date, bool]:
    """The period to certify: (date_from, date_to, all_time). Without `date_from`, it starts
    on the first day with service hours (at `organisation` when given); without `date_to`, it
    ends today; with neither it is "all time". Raises BadPeriod (fields date_from, date_to)
    and NoHours when there is no service entry at all to start from."""
    today = today or local_today()
    all_time = date_from is None and date_to is None
    fields: dict[str, list[str]] = {}
    if date_to is not None and date_to > today:
        fields["date_to"] = [str(_("The period cannot end after today."))]
    if date_from is not None and date_from < EARLIEST_DAY:
        fields["date_from"] = [
            str(_("The period cannot start before %(day)s.") % {"day": EARLIEST_DAY.isoformat()})
        ]
    if date_from is not None and date_to is not None and date_from > date_to:
        fields.setdefault("date_from", []).append(
            str(_("The first day must not be after the last day."))
        )
    if fields:
        raise BadPeriod(fields=fields)
    if date_from is None:
        first = (
            _service_entries(holder=holder, organisation=organisation)
            .order_by("day")
            .values_list("day", flat=True)
            .first()
        )
        if first is None:
            raise NoHours()
        date_from = first
    date_to = date_to or today
    if date_from > date_to:  # the first entry is after the chosen last day
        raise NoHours()
    return date_from, date_to, all_time


def _record(*, holder, organisation, date_from: dt.date, date_to: dt.date) -> _Record:
    """The holder's net service hours per activity and day in the period, as table rows (one
    per activity, its days listed, oldest first). Three queries."""
    entries = _service_entries(holder=holder, organisation=organisation).filter(
        day__gte=date_from, day__lte=date_to
    )
    per_day = (
        entries.values("activity_id", "day")
        .annotate(net=Sum("hours"))
        .order_by("day", "activity_id")
    )
    by_activity: dict[int, tuple[list[dt.date], Decimal]] = {}
    for row in per_day:
        if not row["net"]:
            continue
        days, hours = by_activity.get(row["activity_id"], ([], Decimal("0.0")))
        days.append(row["day"])
        by_activity[row["activity_id"]] = (days, hours + row["net"])
    stamp = entries.aggregate(n=Count("pk"), last=Max("pk"))
    activities = Activity.objects.select_related("organisation", "city", "district").in_bulk(
        list(by_activity)
    )
    rows: list[ActivityRow] = []
    organisations: list[str] = []
    for activity_id, (days, hours) in by_activity.items():
        if not hours:
            continue  # the days of an activity may cancel out (a reversal on another day)
        activity = activities[activity_id]
        rows.append(
            ActivityRow(
                days=days,
                title=activity.title,
                place=_place(activity),
                organisation=activity.organisation.name,
                hours=hours,
            )
        )
        if activity.organisation.name not in organisations:
            organisations.append(activity.organisation.name)
    total = sum((row.hours for row in rows), Decimal("0.0"))
    return _Record(
        rows=rows,
        organisations=organisations,
        total=total,
        activity_ids=[a for a, (_d, h) in by_activity.items() if h],
        fingerprint=(stamp["n"], stamp["last"]),
    )


def _place(activity: Activity) -> str:
    if activity.online:
        return ""
    parts = [
        activity.city.label if activity.city_id else "",
        activity.district.name if activity.district_id else "",
    ]
    return f"{''.join(parts)} {activity.address}".strip()


def _evaluations(*, holder, activity_ids: list[int]) -> list[EvaluationRow]:
    evaluations = (
        ServiceEvaluation.objects.filter(volunteer=holder, activity_id__in=activity_ids)
        .select_related("activity", "organisation")
        .order_by("activity__start_date", "pk")
    )
    return [
        EvaluationRow(
            title=e.activity.title,
            organisation=e.organisation.name,
            grade=e.grade,
            text=e.text,
        )
        for e in evaluations
    ]


def certificate_holder_check(*, requester, holder) -> None:
    """May `requester` have a certificate of `holder`'s hours? The holder (an adult account)
    or a current guardian of the child. Raises GuardedHolder, NotGuardian."""
    if requester.pk == holder.pk:
        if holder.guarded:
            raise GuardedHolder()
        return
    if not holder.guarded or not is_guardian_of(guardian=requester, child_ids=[holder.pk]):
        raise NotGuardian()


def certificate_issue(
    *,
    requester,
    holder,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    organisation=None,
    language: str = Certificate.Language.ZH,
    include_evaluations: bool = False,
) -> Certificate:
    """Issue a certificate of `holder`'s volunteer service time in the period (all time when
    neither end is given), optionally at one `organisation`, to `requester` (the holder, or a
    current guardian of a child holder). Renders and stores the PDF; the row, the file and the
    audit entry commit together. Raises GuardedHolder, NotGuardian, BadPeriod, NoHours,
    InvalidInput (language)."""
    certificate_holder_check(requester=requester, holder=holder)
    if language not in Certificate.Language.values:
        raise InvalidInput(fields={"language": [str(_("Choose Chinese or English."))]})
    today = local_today()
    date_from, date_to, all_time = certificate_period(
        holder=holder,
        date_from=date_from,
        date_to=date_to,
        organisation=organisation,
        today=today,
    )
    for _attempt in range(_ISSUE_ATTEMPTS):
        record = _record(
            holder=holder, organisation=organisation, date_from=date_from, date_to=date_to
        )
        if not record.rows:
            raise NoHours()
        evaluations = (
            _evaluations(holder=holder, activity_ids=record.activity_ids)
            if include_evaluations
            else None
        )
        serial = serial_new()
        content = CertificateContent(
            serial=serial,
            language=language,
            holder_name=holder.real_name or holder.display_name,
            id_number_masked=holder.id_number_masked if holder.real_name else "",
            date_from=date_from,
            date_to=date_to,
            all_time=all_time,
            organisations=record.organisations,
            rows=record.rows,
            total_hours=record.total,
            issued_on=today,
            verify_url=settings.SITE_URL + reverse("hours:verify", args=[serial]),
            evaluations=evaluations,
            issued_to_name=(
                (requester.real_name or requester.display_name) if requester.pk != holder.pk else ""
            ),
        )
        pdf = certificate_pdf(content)
        try:
            return _certificate_save(
                requester=requester,
                holder=holder,
                organisation=organisation,
                content=content,
                record=record,
                pdf=pdf,
                include_evaluations=include_evaluations,
            )
        except _RecordChanged:
            continue  # hours moved while the PDF was rendered: render again
        except IntegrityError:
            if Certificate.objects.filter(serial=serial).exists():
                continue  # 80 random bits collided: another serial, another PDF
            raise
    raise HoursChanging()


class _RecordChanged(Exception):
    pass


def _certificate_save(
    *, requester, holder, organisation, content, record, pdf: bytes, include_evaluations
) -> Certificate:
    """Store the PDF, then the row and its audit entry in one transaction; the file is deleted
    when that transaction fails or does not commit. Raises _RecordChanged, IntegrityError."""
    certificate = Certificate(
        serial=content.serial,
        holder=holder,
        issued_to=requester,
        organisation=organisation,
        date_from=content.date_from,
        date_to=content.date_to,
        all_time=content.all_time,
        language=content.language,
        include_evaluations=include_evaluations,
        holder_masked=mask_name(holder.real_name or holder.display_name),
        total_hours=record.total,
        activity_count=len(record.rows),
        sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=timezone.now(),
    )
    # Written before the transaction, so that no file I/O holds SQLite's write lock.
    certificate.pdf.save(f"{content.serial}.pdf", ContentFile(pdf), save=False)
    stored = certificate.pdf.name
    try:
        with transaction.atomic(durable=True):
            # The ledger may have moved since it was read (a correction while the PDF was
            # rendered): the certificate would certify hours already out of date. Both sides
            # take the holder's HoursSummary row first: ledger_append moves it before it looks
            # for certificates to revoke, and this locks it before it compares. A correction
            # still open now makes this wait and then see its entry (retry); one that comes
            # after waits for this row to commit and then revokes it.
            HoursSummary.objects.select_for_update().filter(volunteer=holder).first()
            stamp = (
                _service_entries(holder=holder, organisation=organisation)
                .filter(day__gte=content.date_from, day__lte=content.date_to)
                .aggregate(n=Count("pk"), last=Max("pk"))
            )
            if (stamp["n"], stamp["last"]) != record.fingerprint:
                raise _RecordChanged()
            certificate.save()
            audit_record(
                actor=requester,
                verb="certificate.issued",
                target=certificate,
                data={
                    "serial": certificate.serial,
                    "holder": holder.pk,
                    "total_hours": str(record.total),
                    "sha256": certificate.sha256,
                },
            )
    except BaseException:
        # Also when the commit itself failed: no row, so no file.
        certificate.pdf.storage.delete(stored)
        raise
    return certificate


# --- Reads for the pages and the API ---------------------------------------------------------


def certificates_of(*, user) -> QuerySet[Certificate]:
    """The certificates `user` asked for (their own and their children's) and those whose
    holder they are (a record taken over at 18 keeps the guardian's certificates of it),
    newest first."""
    mine = Q(issued_to=user)
    if not user.guarded:
        mine |= Q(holder=user)
    return (
        Certificate.objects.filter(mine)
        .select_related("holder", "organisation")
        .order_by("-issued_at", "-pk")
    )


def access_certificate(*, user, serial: str) -> Certificate:
    """One of certificates_of(user); any other serial raises NotFound, like an unknown one."""
    certificate = certificates_of(user=user).filter(serial=serial.upper()).first()
    if certificate is None:
        raise NotFound()
    return certificate


def certificate_organisations(*, holders) -> list[Organisation]:
    """The organisations where any of `holders` has volunteer service entries, by name."""
    ids = (
        LedgerEntry.objects.filter(volunteer__in=holders, kind=Kind.SERVICE)
        .values("organisation_id")
        .distinct()
    )
    return list(Organisation.objects.filter(pk__in=ids).order_by("name", "pk"))
