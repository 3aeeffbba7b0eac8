"""Children's check-in and check-out (docs/product.md §6, issue #14 §3): the guardian checks in
first, then "继续签到 → 为孩子签到" — one photo taken on site (guardian, children and the
activity's banner) and the day's code or the rotating QR — for one child or all at once; at
the end each child is checked out with the code, and credited like an adult.

Invariants: a child is checked in only while its guardian is checked in that day and not yet
checked out; only the guardian's own children of the family's confirmed registration; one
attendance per child and day (attendance_one_per_person_day); the photo file is written
before the transaction (no file I/O under a lock) and deleted again when the transaction
does not commit, so no photo is left without its row. Every attempt, accepted or refused,
is recorded per child (volunteer = the child, actor = the guardian). Wrong codes count
against the guardian who types them (every child row of the attempt counts) and against
the activity-day like any other.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.db import insert_one, lock_one
from threehours.core.errors import DomainError, InvalidInput, NotFound
from threehours.core.images import image_clean
from threehours.core.metrics import checkin_counted
from threehours.core.numbers import format_hours
from threehours.core.timeutil import local_tz
from threehours.family.selectors import is_guardian_of
from threehours.hours import services as hours_services
from threehours.hours.models import LedgerEntry
from threehours.signups.models import Signup, SignupChild

from .. import codes, rules
from ..errors import (
    ActivityNotOpen,
    BadCode,
    ChildCheckedIn,
    ChildCheckedOut,
    ChildNotCheckedIn,
    ChildNotRegistered,
    GuardianCheckedOut,
    GuardianNotCheckedIn,
    NoChildChosen,
    NotRegistered,
    OnlineNoChildren,
    PhotoRequired,
    ProofRequired,
    QrExpired,
    QrOnly,
    TooManyWrongCodes,
)
from ..models import Attempt, Attendance, ChildPhoto, Method, child_photo_upload_to
from .checkin import _checkin_closed, _checkout_closed, _close
from .common import _local
from .daycode import (
    _day_code_wrong,
    _generation,
    _guessing_check,
    _seconds_to_midnight,
    _tell_staff_rotated,
)
from .proof import Proof, _attempt, _Log, _position

logger = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 10 * 1024 * 1024


def children_checkin(
    *,
    activity: Activity,
    guardian: User,
    child_ids: list[int],
    photo: UploadedFile | None,
    proof: Proof | None = None,
    now: dt.datetime | None = None,
) -> list[Attendance]:
    """Check the guardian's children `child_ids` in for today with one on-site photo.
    Locks the family's registration. Raises NotFound (a child not the guardian's),
    NoChildChosen, OnlineNoChildren, NotRegistered, ChildNotRegistered, OutsideWindow,
    GuardianNotCheckedIn, GuardianCheckedOut, AlreadyCheckedIn (ChildCheckedIn),
    PhotoRequired, InvalidImage / ImageTooLarge / ImageTooSmall, QrExpired, ProofRequired,
    QrOnly, BadCode, TooManyWrongCodes, PositionRequired, OutsideRadius, InvalidInput."""
    now = _local(now)
    day, log, proof = now.date(), _Log(), proof or Proof()
    children = _family_children(guardian, child_ids)
    try:
        signup = _family_signup(activity, guardian, children)
        if activity.state == Activity.State.TAKEN_DOWN:  # by an operator (issue #16 §6)
            raise ActivityNotOpen()
        if rules.checkin_state(activity=activity, now=now) != rules.CHECKIN:
            raise _checkin_closed(activity, day)
        _guardian_present(signup, day, checkin=True)
        _not_in_yet(signup, children, day)
        if photo is None or not getattr(photo, "size", 0):
            raise PhotoRequired()
        image = image_clean(photo, max_bytes=PHOTO_MAX_BYTES, max_side=1600, min_side=200)
        _on_site(activity, guardian, children, signup, day, proof, now, log, "checkin")
        # The file first, outside the transaction: no file I/O while the registration is
        # locked. When the transaction does not commit, the file goes again.
        storage = ChildPhoto._meta.get_field("image").storage
        probe = ChildPhoto(activity=activity, day=day)
        name = storage.save(child_photo_upload_to(probe, image.content.name), image.content)
        try:
            return _checkin_write(
                activity, guardian, children, signup, day, now, proof, log, name, image
            )
        except BaseException:
            storage.delete(name)
            raise
    except IntegrityError:
        exc: DomainError = _already_in(children, day, activity)
        _refused(activity, guardian, children, day, "checkin", exc, proof, log)
        raise exc from None
    except DomainError as exc:
        _refused(activity, guardian, children, day, "checkin", exc, proof, log)
        raise


def _checkin_write(activity, guardian, children, signup, day, now, proof, log, name, image):
    with transaction.atomic(durable=True):
        signup = lock_one(Signup, pk=signup.pk)
        _guardian_present(signup, day, checkin=True)  # again, under the lock
        photo = ChildPhoto.objects.create(
            activity=activity,
            day=day,
            guardian=guardian,
            image=name,
            width=image.width,
            height=image.height,
        )
        rows = []
        for child in children:
            attendance = Attendance(
                signup=signup,
                activity=activity,
                volunteer=child,
                day=day,
                checked_in_at=now,
                checkin_method=log.method,
                photo=photo,
            )
            insert_one(attendance)
            insert_one(_attempt(activity, child, day, "checkin", "ok", proof, log, guardian))
            rows.append(attendance)
    checkin_counted(len(rows))
    return rows


def children_checkout(
    *,
    activity: Activity,
    guardian: User,
    child_ids: list[int],
    proof: Proof | None = None,
    now: dt.datetime | None = None,
) -> list[Attendance]:
    """Check the guardian's children `child_ids` out for today and credit each child's own
    ledger as an adult's check-out is credited (the overlap of the child's own check-in and
    check-out with the day's window, 0.1 h half up, at most the daily maximum). The guardian
    must have checked in that day. Locks the registration and the children's attendance.
    Raises NotFound, NoChildChosen, OnlineNoChildren, NotRegistered, ChildNotRegistered,
    OutsideWindow, GuardianNotCheckedIn, proof and position errors as check-in,
    NotCheckedIn (ChildNotCheckedIn), AlreadyCheckedOut (ChildCheckedOut)."""
    now = _local(now)
    day, log, proof = now.date(), _Log(), proof or Proof()
    children = _family_children(guardian, child_ids)
    try:
        signup = _family_signup(activity, guardian, children)
        if rules.checkin_state(activity=activity, now=now, checked_in=True) != rules.CHECKOUT:
            raise _checkout_closed(activity, signup, day)
        _guardian_present(signup, day, checkin=False)
        _on_site(activity, guardian, children, signup, day, proof, now, log, "checkout")
        return _checkout_write(activity, guardian, children, signup, day, now, proof, log)
    except DomainError as exc:
        _refused(activity, guardian, children, day, "checkout", exc, proof, log)
        raise


def _checkout_write(activity, guardian, children, signup, day, now, proof, log):
    with transaction.atomic(durable=True):
        lock_one(Signup, pk=signup.pk)
        by_child = {
            a.volunteer_id: a
            for a in Attendance.objects.select_for_update()
            .filter(signup=signup, day=day, volunteer__in=children)
            .order_by("pk")
        }
        rows = []
        for child in children:
            attendance = by_child.get(child.pk)
            if attendance is None:
                raise ChildNotCheckedIn(name=child.real_name)
            if attendance.checked_out_at is not None:
                raise ChildCheckedOut(
                    name=child.real_name,
                    time=attendance.checked_out_at.astimezone(local_tz()).strftime("%H:%M"),
                    hours=format_hours(attendance.hours),
                )
            hours = _close(attendance, activity, day, now, log)
            attendance.save(
                update_fields=["checked_out_at", "checkout_method", "hours", "updated_at"]
            )
            if hours > 0:
                hours_services.ledger_append(
                    volunteer=child,
                    activity=activity,
                    day=day,
                    hours=hours,
                    entry_type=LedgerEntry.EntryType.CREDIT,
                    attendance=attendance,
                )
            insert_one(_attempt(activity, child, day, "checkout", "ok", proof, log, guardian))
            rows.append(attendance)
    return rows


# -- the checks -------------------------------------------------------------------------------


def _family_children(guardian: User, child_ids: list[int]) -> list[User]:
    """The guardian's current children among `child_ids`, in id order. Another family's
    child (or an unknown id) is NotFound, like an unknown id: ids reveal nothing."""
    ids = sorted({int(i) for i in child_ids})
    if not ids:
        raise NoChildChosen()
    if not is_guardian_of(guardian=guardian, child_ids=ids):
        raise NotFound()
    return list(User.objects.filter(pk__in=ids, guarded=True).order_by("pk"))


def _family_signup(activity: Activity, guardian: User, children: list[User]) -> Signup:
    """The guardian's confirmed registration holding every child. Raises OnlineNoChildren,
    NotRegistered, ChildNotRegistered."""
    if activity.online:
        raise OnlineNoChildren()
    signup = Signup.objects.filter(
        activity=activity, volunteer=guardian, status=Signup.Status.CONFIRMED
    ).first()
    if signup is None:
        raise NotRegistered()
    registered = set(
        SignupChild.objects.filter(signup=signup, child__in=children).values_list(
            "child_id", flat=True
        )
    )
    for child in children:
        if child.pk not in registered:
            raise ChildNotRegistered(name=child.real_name)
    return signup


def _guardian_present(signup: Signup, day: dt.date, *, checkin: bool) -> None:
    """The guardian's own attendance of the day: checked in (and, to check children in, not
    yet out). Raises GuardianNotCheckedIn, GuardianCheckedOut."""
    own = (
        Attendance.objects.filter(signup=signup, volunteer_id=signup.volunteer_id, day=day)
        .values_list("pk", "checked_out_at")
        .first()
    )
    if own is None:
        raise GuardianNotCheckedIn()
    if checkin and own[1] is not None:
        raise GuardianCheckedOut()


def _not_in_yet(signup: Signup, children: list[User], day: dt.date) -> None:
    found = (
        Attendance.objects.filter(signup=signup, volunteer__in=children, day=day)
        .select_related("volunteer")
        .order_by("volunteer_id")
        .first()
    )
    if found is not None:
        raise ChildCheckedIn(
            name=found.volunteer.real_name,
            time=found.checked_in_at.astimezone(local_tz()).strftime("%H:%M"),
        )


def _already_in(children: list[User], day: dt.date, activity: Activity) -> DomainError:
    found = (
        Attendance.objects.filter(activity=activity, volunteer__in=children, day=day)
        .select_related("volunteer")
        .order_by("volunteer_id")
        .first()
    )
    if found is None:  # pragma: no cover - the constraint named another row
        return ChildCheckedIn(name="", time="")
    return ChildCheckedIn(
        name=found.volunteer.real_name,
        time=found.checked_in_at.astimezone(local_tz()).strftime("%H:%M"),
    )


def _guardian_wrong_codes(activity: Activity, guardian: User, day: dt.date) -> int:
    """Wrong codes the guardian typed that day, for themselves or for their children."""
    return (
        Attempt.objects.filter(activity=activity, day=day, result=BadCode.code)
        .filter(Q(volunteer=guardian) | Q(actor=guardian))
        .count()
    )


def _on_site(activity, guardian, children, signup, day, proof: Proof, now, log, action) -> None:
    """Presence (a valid QR token or the day's code; the guardian's wrong-code budget) and
    position, as for the guardian's own check-in. The photo stands for the identity check.
    Raises InvalidInput, QrExpired, ProofRequired, QrOnly, BadCode, TooManyWrongCodes,
    PositionRequired, OutsideRadius."""
    invalid = proof.invalid_fields()
    if invalid:
        raise InvalidInput(fields=invalid)
    if proof.qr_token and codes.qr_token_valid(proof.qr_token, activity_id=activity.pk, day=day):
        log.method = Method.QR
    elif proof.code:
        if activity.checkin_qr_only:
            raise QrOnly()
        if _guardian_wrong_codes(activity, guardian, day) >= settings.CHECKIN_CODE_MAX_WRONG:
            raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
        expected = codes.day_code(activity.pk, day, _generation(activity, day))
        if not hmac.compare_digest(proof.code.strip(), expected):
            _wrong_code(activity, guardian, children, signup, day, proof, now, log, action)
        log.method = Method.CODE
    elif proof.qr_token:
        raise QrExpired()
    else:
        raise ProofRequired()
    _position(activity, proof, log)


def _wrong_code(activity, guardian, children, signup, day, proof, now, log, action) -> None:
    """As proof._wrong_code: count and record under the registration's lock, so parallel
    wrong codes cannot all pass under the limit. Raises TooManyWrongCodes or BadCode."""
    rotated = None
    with transaction.atomic():
        lock_one(Signup, pk=signup.pk)
        limited = _guardian_wrong_codes(activity, guardian, day) >= settings.CHECKIN_CODE_MAX_WRONG
        if not limited:
            for child in children:
                insert_one(
                    _attempt(activity, child, day, action, BadCode.code, proof, log, guardian)
                )
            rotated = _day_code_wrong(activity, day, now)
    if rotated is not None:
        _tell_staff_rotated(activity, rotated)
    if limited:
        raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
    error = BadCode()
    error.recorded = True  # type: ignore[attr-defined]
    raise error


def _refused(activity, guardian, children, day, action, exc: DomainError, proof, log) -> None:
    """Record the refused attempt for each child (its own transaction: the refusal rolled the
    rest back), and alert staff when wrong codes pile up on the activity-day."""
    if not getattr(exc, "recorded", False):
        with transaction.atomic():
            for child in children:
                insert_one(_attempt(activity, child, day, action, exc.code, proof, log, guardian))
    if exc.code == BadCode.code:
        _guessing_check(activity, day)


# -- retention --------------------------------------------------------------------------------


def child_photos_expire(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Delete the files of children's check-in photos older than CHILD_PHOTO_RETENTION_DAYS
    (issue #14 §3), `batch` rows at a time. Each row is claimed by compare-and-set on
    `deleted_at` before its file goes, so two runs at once delete each file once, and a run
    that stops half-way leaves nothing for the next but what it did not reach. The rows stay
    (the board says "photo deleted"). Returns how many photos were deleted; logs the counts."""
    from django.utils import timezone

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.CHILD_PHOTO_RETENTION_DAYS)
    storage = ChildPhoto._meta.get_field("image").storage
    deleted = missing = 0
    while True:
        rows = list(
            ChildPhoto.objects.filter(deleted_at__isnull=True, created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", "image")[:batch]
        )
        if not rows:
            break
        for pk, name in rows:
            if not ChildPhoto.objects.filter(pk=pk, deleted_at__isnull=True).update(
                deleted_at=now, image=""
            ):
                continue  # another run claimed it
            if name and storage.exists(name):
                storage.delete(name)
            else:
                missing += 1
            deleted += 1
        if len(rows) < batch:
            break
    logger.info(
        "child photos: %s deleted (%s files already gone), older than %s days",
        deleted,
        missing,
        settings.CHILD_PHOTO_RETENTION_DAYS,
    )
    return deleted
