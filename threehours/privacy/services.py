"""A person's own data (issue #16 §§2–3): the data download and closing the account (注销).

What closing does and keeps is decided in docs/decisions/0014-closing-an-account.md."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from threehours.accounts.models import Consent, User
from threehours.accounts.services import sign_out_everywhere
from threehours.attendance.models import Attempt, ChildPhoto
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.family.models import ChildPortrait, GuardianInvitation, Guardianship
from threehours.hours.models import Certificate
from threehours.notifications.models import Delivery, Message
from threehours.orgs.models import Membership
from threehours.ratings.models import Rating, RatingPhoto
from threehours.signups.models import Signup
from threehours.signups.services import signups_cancel_for_closure

from . import selectors
from .errors import (
    AccountClosed,
    ClosureAlreadyRequested,
    ClosureNotFound,
    DataExportLimit,
    DataExportPending,
    OnlyAdministrator,
)
from .models import AccountClosure, DataExport
from .summary_pdf import summary_pdf

log = logging.getLogger(__name__)


# --- Data download (§2) -----------------------------------------------------------------------


def data_export_request(*, user: User) -> DataExport:
    """Ask for a download of everything held about `user`; a job prepares it.
    At most one is being prepared at a time and DATA_EXPORT_DAILY_LIMIT are asked for per day.
    Locks the user's row (two clicks at once make one). Raises AccountClosed,
    DataExportPending, DataExportLimit."""
    from .tasks import data_export_build_task

    with transaction.atomic(durable=True):
        user = lock_one(User, pk=user.pk)
        if user.closed_at is not None:
            raise AccountClosed()
        mine = DataExport.objects.filter(user=user)
        if mine.filter(state=DataExport.State.PENDING).exists():
            raise DataExportPending()
        since = timezone.now() - dt.timedelta(days=1)
        limit = settings.DATA_EXPORT_DAILY_LIMIT
        if mine.filter(created_at__gte=since).count() >= limit:
            raise DataExportLimit(limit=limit)
        export = DataExport.objects.create(user=user)
        audit_record(actor=user, verb="privacy.data_export_requested", target=export)
        transaction.on_commit(lambda: data_export_build_task(export.pk))
    return export


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP (data.json + summary.pdf) of a pending download and make it ready.
    Idempotent: a download no longer pending is left alone. The file is written before the
    compare-and-set; when another run won, it is deleted again. On an error the download is
    marked failed (the person may ask again)."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.state != DataExport.State.PENDING:
        return export
    try:
        data = selectors.data_collect(user=export.user)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
            archive.writestr("summary.pdf", summary_pdf(data))
    except Exception as exc:  # noqa: BLE001 — any failure is shown to the person as "failed"
        log.exception("data export %s failed", export_id)
        DataExport.objects.filter(pk=export_id, state=DataExport.State.PENDING).update(
            state=DataExport.State.FAILED, error=str(exc)[:200]
        )
        return DataExport.objects.get(pk=export_id)
    storage = DataExport._meta.get_field("file").storage
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = storage.save(
        f"data-exports/{export.user_id}/my-data-{stamp}.zip", ContentFile(buffer.getvalue())
    )
    now = timezone.now()
    changed = DataExport.objects.filter(pk=export_id, state=DataExport.State.PENDING).update(
        state=DataExport.State.READY,
        file=name,
        ready_at=now,
        expires_at=now + dt.timedelta(days=settings.DATA_EXPORT_TTL_DAYS),
    )
    if not changed:
        storage.delete(name)
    return DataExport.objects.get(pk=export_id)


def data_exports_expire(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Delete the files of ready downloads past `expires_at` and mark them expired, `batch` at
    a time until none is left. Idempotent: each row changes by compare-and-set and its file
    goes after. Returns the count."""
    now = now or timezone.now()
    expired = 0
    while True:
        rows = list(
            DataExport.objects.filter(state=DataExport.State.READY, expires_at__lte=now)
            .order_by("pk")
            .values_list("pk", "file")[:batch]
        )
        if not rows:
            break
        for pk, name in rows:
            if DataExport.objects.filter(pk=pk, state=DataExport.State.READY).update(
                state=DataExport.State.EXPIRED, file=""
            ):
                expired += 1
                if name:
                    DataExport._meta.get_field("file").storage.delete(name)
    log.info("data downloads expired: %s", expired)
    return expired


# --- Closing the account (§3) -----------------------------------------------------------------


def closure_request(*, user: User, ip: str | None = None) -> AccountClosure:
    """Ask to close `user`'s account: it is anonymised CLOSURE_COOLING_OFF_DAYS from now,
    cancellable until then; meanwhile the account cannot register, check in or log in.
    Locks the user's row. Raises AccountClosed, ClosureAlreadyRequested, OnlyAdministrator
    (the only administrator of an organisation must hand it over first)."""
    with transaction.atomic(durable=True):
        user = lock_one(User, pk=user.pk)
        if user.closed_at is not None:
            raise AccountClosed()
        open_closure = selectors.closure_open(user=user)
        if open_closure is not None:
            raise ClosureAlreadyRequested(
                day=timezone.localdate(open_closure.effective_at).isoformat()
            )
        alone = selectors.organisations_alone_administered(user=user)
        if alone:
            raise OnlyAdministrator(organisations="、".join(alone))
        now = timezone.now()
        effective = now + dt.timedelta(days=settings.CLOSURE_COOLING_OFF_DAYS)
        closure = AccountClosure.objects.create(
            user=user, requested_at=now, effective_at=effective, ip=ip or None
        )
        User.objects.filter(pk=user.pk).update(closing_at=effective)
        audit_record(
            actor=user,
            verb="account.closing_requested",
            target=user,
            data={"effective_at": effective.isoformat()},
        )
    return closure


def closure_cancel(*, user: User) -> AccountClosure:
    """Cancel the closing in progress of `user` (from the page, by the session that asked).
    Locks the user's row. Raises ClosureNotFound."""
    with transaction.atomic(durable=True):
        user = lock_one(User, pk=user.pk)
        closure = selectors.closure_open(user=user)
        if closure is None or user.closed_at is not None:
            raise ClosureNotFound()
        _closure_mark_cancelled(user=user)
        audit_record(actor=user, verb="account.closing_cancelled", target=user)
    closure.refresh_from_db()
    return closure


def _closure_mark_cancelled(*, user: User) -> int:
    changed = AccountClosure.objects.filter(
        user=user, cancelled_at__isnull=True, completed_at__isnull=True
    ).update(cancelled_at=timezone.now())
    User.objects.filter(pk=user.pk, closed_at__isnull=True).update(closing_at=None)
    return changed


def closure_cancelled_elsewhere(*, user: User) -> int:
    """accounts cancelled the closing (the person logged in again during the cooling-off,
    accounts.signals.closing_cancelled): mark the open request cancelled. Idempotent."""
    with transaction.atomic():
        return _closure_mark_cancelled(user=user)


def closures_due(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Anonymise every account whose closing took effect, each in its own transaction (one
    that fails is logged and retried by the next run; the others go on). Returns the count."""
    now = now or timezone.now()
    done = 0
    failed: set[int] = set()
    while True:
        due = list(
            AccountClosure.objects.filter(
                cancelled_at__isnull=True, completed_at__isnull=True, effective_at__lte=now
            )
            .exclude(pk__in=failed)
            .order_by("effective_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not due:
            break
        for closure_id in due:
            try:
                if account_close(closure_id=closure_id, now=now):
                    done += 1
            except Exception:
                log.exception("closing account (closure %s) failed", closure_id)
                failed.add(closure_id)
    log.info("accounts closed: %s, failed: %s", done, len(failed))
    return done


def account_close(*, closure_id: int, now: dt.datetime | None = None) -> bool:
    """Carry out the closure `closure_id` when due: anonymise the account (and the records of
    children left without any guardian), in one transaction; the files go after the commit.
    Idempotent: a closure completed or cancelled meanwhile is left alone (False).
    Locks the closure's user row first: a cancellation at the same moment waits for it."""
    now = now or timezone.now()
    files: list[tuple] = []
    with transaction.atomic(durable=True):
        closure = AccountClosure.objects.filter(pk=closure_id).first()
        if closure is None:
            return False
        user = lock_one(User, pk=closure.user_id)
        closure = lock_one(AccountClosure, pk=closure_id)
        if (
            closure.cancelled_at is not None
            or closure.completed_at is not None
            or closure.effective_at > now
        ):
            return False
        children = selectors.children_left_alone(user=user)
        for person in [user, *children]:
            files += _anonymise(person=person, now=now)
        AccountClosure.objects.filter(pk=closure.pk).update(completed_at=now)
        audit_record(
            actor=None,
            verb="account.closed",
            target=user,
            data={"closure": closure.pk, "children": [c.pk for c in children]},
        )
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            log.warning("closing: could not delete %s", name)
    return True


def _anonymise(*, person: User, now: dt.datetime) -> list[tuple]:
    """Erase `person`'s personal data in the caller's transaction; return the files to delete
    after the commit. Bulk statements only (one per kind of row), so an account with a long
    history closes in constant time (bench/account_close.py)."""
    files: list[tuple] = []
    # Live registrations for activities not over yet go, freeing places (signups' rules).
    signups_cancel_for_closure(volunteer=person)
    # Free-text answers are personal; the registration row stays for the organisation's record.
    Signup.objects.filter(volunteer=person).exclude(answers={}).update(answers={})
    # Position evidence of check-ins (the attendance rows and hours stay).
    Attempt.objects.filter(volunteer=person).update(
        lat=None, lng=None, accuracy_m=None, distance_m=None, user_agent=""
    )
    # Ratings: the stars stay (activity counters), the words and photos go.
    rating_ids = list(Rating.objects.filter(volunteer=person).values_list("pk", flat=True))
    if rating_ids:
        photos = RatingPhoto.objects.filter(rating_id__in=rating_ids)
        storage = RatingPhoto._meta.get_field("image").storage
        files += [(storage, n) for n in photos.values_list("image", flat=True) if n]
        photos.delete()
        Rating.objects.filter(pk__in=rating_ids).update(text="")
    # Check-in photos the person took as a guardian.
    photo_storage = ChildPhoto._meta.get_field("image").storage
    child_photos = ChildPhoto.objects.filter(guardian=person).exclude(image="")
    files += [(photo_storage, n) for n in child_photos.values_list("image", flat=True)]
    child_photos.update(image="", deleted_at=now)
    # The person's portrait when the person is a child.
    portrait = ChildPortrait.objects.filter(child=person).first()
    if portrait is not None:
        files.append((ChildPortrait._meta.get_field("image").storage, portrait.image.name))
        portrait.delete()
    GuardianInvitation.objects.filter(Q(invited_by=person) | Q(child=person)).delete()
    # Consents stay as the record that processing had a lawful basis while the account was
    # open (docs/decisions/0014); the addresses they were given from go.
    Consent.objects.filter(user=person).update(ip=None)
    AccountClosure.objects.filter(user=person).update(ip=None)
    # Data downloads.
    export_storage = DataExport._meta.get_field("file").storage
    downloads = DataExport.objects.filter(user=person).exclude(file="")
    files += [(export_storage, n) for n in downloads.values_list("file", flat=True)]
    DataExport.objects.filter(user=person).exclude(state=DataExport.State.EXPIRED).update(
        state=DataExport.State.EXPIRED, file=""
    )
    # Inbox and queued SMS / e-mail.
    Message.objects.filter(recipient=person).delete()
    Delivery.objects.filter(recipient=person).delete()
    # Certificates: revoked, and their PDFs (full name, masked ID number) deleted; the
    # verification record stays (serial, masked name, period, hours, hash), saying "revoked:
    # account closed" to whoever checks a printed copy.
    Certificate.objects.filter(holder=person, state=Certificate.State.VALID).update(
        state=Certificate.State.REVOKED,
        revoked_reason=Certificate.RevokedReason.ACCOUNT_CLOSED,
        revoked_at=now,
    )
    certificate_pdfs = Certificate.objects.filter(holder=person).exclude(pdf="")
    certificate_storage = Certificate._meta.get_field("pdf").storage
    files += [(certificate_storage, n) for n in certificate_pdfs.values_list("pdf", flat=True)]
    certificate_pdfs.update(pdf="")
    # Staff roles end (the only administrator was refused at the request); so does being a
    # guardian of a child who keeps another guardian (children left alone close with the person).
    Membership.objects.filter(user=person).delete()
    Guardianship.objects.filter(guardian=person, ended_at__isnull=True).update(ended_at=now)
    # The row itself: personal fields erased, phone / e-mail / ID index released.
    User.objects.filter(pk=person.pk).update(
        phone=None,
        phone_bound_at=None,
        email=None,
        email_verified_at=None,
        nickname="",
        real_name="",
        id_number_encrypted="",
        id_number_index=None,
        id_number_masked="",
        birth_date=None,
        language="",
        disabled_reason="",
        is_active=False,
        closing_at=person.closing_at or now,
        closed_at=now,
    )
    # An unusable password on the object, so that sign_out_everywhere writes a fresh unusable
    # one (once) whatever the account had: that ends every page session (Django checks a
    # session against a hash of the password field); it also revokes every API token.
    person.password = make_password(None)
    sign_out_everywhere(user=person)
    return files


__all__ = [
    "account_close",
    "closure_cancel",
    "closure_cancelled_elsewhere",
    "closure_request",
    "closures_due",
    "data_export_build",
    "data_export_request",
    "data_exports_expire",
]
