"""Registration services (PRODUCT.md §3): the only code that changes a Signup or an activity's
`places_taken`.

Capacity: a place is taken by a conditional UPDATE of the activity row
(`places_taken + seats <= places`) in the same transaction as the Signup row, so it holds on
PostgreSQL (the row lock makes concurrent updates re-check the condition) and on SQLite (the
IMMEDIATE transaction serialises writers); a CHECK constraint backs it up. Double registration is
refused by the partial unique constraint `signup_one_live_per_volunteer`.
Freeing a place (cancel, reject, remove) locks the activity row first, so places handed to the
waiting list are handed out one transaction at a time, first come first served.
Reminders: confirmed registrants are reminded at 18:00 the evening before the first day, and,
for activities whose check-in is at 12:00 or later, again at 08:00 that morning (our choice for
issue 5 §6); once per registration, day and kind (`reminder_once_per_day_and_kind`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_today

from .errors import (
    ActivityFull,
    AlreadyRegistered,
    Attended,
    CancellationClosed,
    PhoneNotBound,
    RegistrationClosed,
    SignupNotFound,
    SignupWrongState,
)
from .models import Signup
from .selectors import signup_live_exists

MAX_ANSWER_LENGTH = 200


def _notify(signup: Signup, event: str) -> None:
    """Queue the volunteer's notice in the caller's transaction (it exists only if that commits;
    SMS / e-mail leave after commit)."""
    signup_notify(signup=signup, event=event)


def answers_clean(*, activity: Activity, answers: dict[Any, Any] | None) -> dict[str, str]:
    """Check answers against the activity's questions; keys are question ids as strings.
    Raises InvalidInput with `answers.<question id>` fields."""
    answers = {str(key): value for key, value in (answers or {}).items()}
    if getattr(activity, "question_count", None) == 0:  # counted by activity_for_registration
        questions = {}
    else:
        questions = {str(q.pk): q for q in activity.questions.all()}
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for key in answers:
        if key not in questions:
            errors[f"answers.{key}"] = [_("This activity has no such question.")]
    for key, question in questions.items():
        value = answers.get(key)
        value = "" if value is None else str(value).strip()
        if not value:
            if question.required:
                errors[f"answers.{key}"] = [_("Please answer this question.")]
            continue
        if question.kind == question.Kind.CHOICE and value not in question.choices:
            errors[f"answers.{key}"] = [_("Please choose one of the options.")]
        elif len(value) > MAX_ANSWER_LENGTH:
            errors[f"answers.{key}"] = [
                _("At most %(max)s characters.") % {"max": MAX_ANSWER_LENGTH}
            ]
        else:
            clean[key] = value
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _children_clean(*, volunteer: User, children: list[Any] | None) -> list[int]:
    # Family members arrive with the family issue; until then no child can be named.
    if children:
        raise InvalidInput(fields={"children": [_("No such family member.")]})
    return []


def registration_check(*, activity: Activity, volunteer: User, today: dt.date) -> None:
    """The refusals that need no write (PRODUCT.md §3). Raises PhoneNotBound, RegistrationClosed."""
    if not volunteer.phone:
        raise PhoneNotBound()
    if not activity.registration_open_on(today):
        raise RegistrationClosed()


def _places_take(activity_id: int, seats: int) -> bool:
    """Take `seats` places of a published activity if that many are left: one conditional
    UPDATE, so the check and the write are one statement (no read-then-write). On PostgreSQL a
    concurrent UPDATE waits for the row lock and re-checks the condition on the new row.
    Call inside the registration's transaction. The race tests' twin replaces this function."""
    return bool(
        Activity.objects.filter(
            pk=activity_id,
            state=Activity.State.PUBLISHED,
            places_taken__lte=F("places") - seats,
        ).update(places_taken=F("places_taken") + seats)
    )


def _activity_lock(activity_id: int) -> Activity:
    """Lock the activity row before its places are freed and handed to the waiting list, so
    two frees never read the same line. The race tests' twin replaces this function."""
    return lock_one(Activity, pk=activity_id)


def signup_create(
    *,
    activity: Activity,
    volunteer: User,
    answers: dict[Any, Any] | None = None,
    children: list[Any] | None = None,
    join_waitlist: bool = False,
) -> Signup:
    """Register `volunteer` (and children, one place each). Status `confirmed`, or `pending`
    when the activity's staff review registrations, or `waiting` when it is full and the
    volunteer asked to join the waiting list.

    Raises PhoneNotBound, RegistrationClosed, InvalidInput (answers), AlreadyRegistered,
    ActivityFull. Nothing is written when it raises. Takes the place with a conditional
    UPDATE of the activity row (no read-then-write)."""
    registration_check(activity=activity, volunteer=volunteer, today=local_today())
    kids = _children_clean(volunteer=volunteer, children=children)
    seats = 1 + len(kids)
    # Fast refusal (issue 5's rush: most attempts meet a full activity). When the row the caller
    # read has no place left and the volunteer did not ask for the waiting list, answer with one
    # read instead of a rolled-back insert and update. The row may be a moment old; refusing as
    # of that moment is still a correct answer, and capacity is still kept by the conditional
    # UPDATE below, never by this check.
    if not join_waitlist and activity.places_taken + seats > activity.places:
        if signup_live_exists(activity_id=activity.pk, volunteer_id=volunteer.pk):
            raise AlreadyRegistered()
        raise ActivityFull()
    # After the fast refusal: reading the questions is a query most of a rush never needs.
    clean_answers = answers_clean(activity=activity, answers=answers)
    status = (
        Signup.Status.PENDING
        if activity.screening == Activity.Screening.REVIEW
        else Signup.Status.CONFIRMED
    )
    fields = {"activity": activity, "volunteer": volunteer, "seats": seats, "children": kids}
    try:
        with transaction.atomic(durable=True):
            # Insert first: the unique constraint answers "already registered" even when full.
            signup = Signup.objects.create(status=status, answers=clean_answers, **fields)
            # The notice before the places: the UPDATE locks the activity row until COMMIT, and
            # a rush's registrations queue on that lock, so nothing else happens while it is
            # held (bench/registration_rush.py: the p99).
            _notify(signup, signup.status)
            if not _places_take(activity.pk, seats):
                raise _NoPlaceLeft()
        return signup
    except IntegrityError as exc:
        # The only constraint the insert can break is one live registration per volunteer.
        raise AlreadyRegistered() from exc
    except _NoPlaceLeft:
        pass  # rolled back: taken since the caller read the row; the waiting list, or full
    try:
        with transaction.atomic(durable=True):
            current = Activity.objects.only("state", "waitlist_enabled").get(pk=activity.pk)
            if current.state != Activity.State.PUBLISHED:
                raise RegistrationClosed()
            if not (join_waitlist and current.waitlist_enabled):
                raise ActivityFull()
            signup = Signup.objects.create(
                status=Signup.Status.WAITING, answers=clean_answers, **fields
            )
            _notify(signup, signup.status)
    except IntegrityError as exc:
        raise AlreadyRegistered() from exc
    return signup


class _NoPlaceLeft(Exception):
    """signup_create(): the conditional UPDATE found no place; its transaction rolls back."""


def _free_places_and_promote(*, activity: Activity, seats: int) -> list[Signup]:
    """Give back `seats` places of the locked `activity` and hand free places to the waiting
    list in order (a volunteer whose family does not fit waits; the next one may fit)."""
    activity.places_taken -= seats
    promoted: list[Signup] = []
    if activity.state == Activity.State.PUBLISHED and activity.end_date >= local_today():
        now = timezone.now()
        for waiting in (
            Signup.objects.filter(activity=activity).waiting_in_line().select_related("volunteer")
        ):
            if activity.places_taken + waiting.seats > activity.places:
                continue
            waiting.status = (
                Signup.Status.PENDING
                if activity.screening == Activity.Screening.REVIEW
                else Signup.Status.CONFIRMED
            )
            waiting.promoted_at = now
            waiting.save(update_fields=["status", "promoted_at", "updated_at"])
            activity.places_taken += waiting.seats
            promoted.append(waiting)
            _notify(waiting, "promoted")
            if activity.places_taken >= activity.places:
                break
    Activity.objects.filter(pk=activity.pk).update(places_taken=activity.places_taken)
    return promoted


def signup_cancel(*, activity: Activity, volunteer: User) -> Signup:
    """Cancel the volunteer's live registration up to the registration deadline (leaving the
    waiting list is always possible); a held place goes to the first in line.
    Locks the activity row, then the registration.
    Raises SignupNotFound, Attended, CancellationClosed."""
    with transaction.atomic(durable=True):
        activity = _activity_lock(activity.pk)
        signup = (
            Signup.objects.select_for_update()
            .filter(activity=activity, volunteer=volunteer)
            .live()
            .first()
        )
        if signup is None:
            raise SignupNotFound()
        # The hours stay in the ledger: a cancelled attended registration would free its place
        # and vanish from the board while its hours remained (issue #12 §2).
        if signup.attendances.exists():
            raise Attended()
        if signup.holds_place and local_today() > activity.registration_deadline:
            raise CancellationClosed(
                deadline=activity.registration_deadline.isoformat(),
                contact=f"{activity.contact_name} {activity.contact_phone}",
            )
        held = signup.holds_place
        signup.status = Signup.Status.CANCELLED
        signup.cancelled_at = timezone.now()
        signup.save(update_fields=["status", "cancelled_at", "updated_at"])
        if held:
            _free_places_and_promote(activity=activity, seats=signup.seats)
    return signup


def _decide(
    *, signup: Signup, staff: User, allowed: tuple[str, ...], new_status: str, reason: str
) -> Signup:
    with transaction.atomic(durable=True):
        activity = _activity_lock(signup.activity_id)
        signup = lock_one(Signup, pk=signup.pk)
        if signup.status not in allowed:
            raise SignupWrongState(status=signup.get_status_display())
        if signup.attendances.exists():
            raise Attended()  # staff correct the hours instead (issue #12 §2)
        held = signup.holds_place
        signup.status = new_status
        signup.reason = reason
        signup.decided_by = staff
        signup.decided_at = timezone.now()
        signup.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
        if held and not signup.holds_place:
            _free_places_and_promote(activity=activity, seats=signup.seats)
        audit_record(
            actor=staff, verb=f"signup.{new_status}", target=signup, data={"reason": reason}
        )
        _notify(signup, new_status)
    return signup


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            fields={"reason": [_("Please give a reason; the volunteer will see it.")]}
        )
    if len(reason) > 500:
        raise InvalidInput(fields={"reason": [_("At most %(max)s characters.") % {"max": 500}]})
    if has_payment_link(reason):  # the volunteer reads it (PRODUCT.md §2, issue #12)
        raise InvalidInput(fields={"reason": [_("Payment links cannot be put on the platform.")]})
    return reason


def signup_accept(*, signup: Signup, staff: User) -> Signup:
    """Accept a registration awaiting review. Raises SignupWrongState."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.PENDING,),
        new_status=Signup.Status.CONFIRMED,
        reason="",
    )


def signup_reject(*, signup: Signup, staff: User, reason: str) -> Signup:
    """Turn down a registration awaiting review or waiting for a place (reason required); a held
    place goes to the waiting list. Raises InvalidInput, SignupWrongState."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.PENDING, Signup.Status.WAITING),
        new_status=Signup.Status.REJECTED,
        reason=_reason_clean(reason),
    )


def signup_remove(*, signup: Signup, staff: User, reason: str) -> Signup:
    """Remove a confirmed registrant (reason required); the place goes to the waiting list.
    Raises InvalidInput, SignupWrongState, Attended."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.CONFIRMED,),
        new_status=Signup.Status.REMOVED,
        reason=_reason_clean(reason),
    )


# -- notifications ---------------------------------------------------------------------------

_EVENT_TITLES = {
    "confirmed": gettext_lazy("Registration confirmed"),
    "pending": gettext_lazy("Registration received, awaiting review"),
    "waiting": gettext_lazy("You are on the waiting list"),
    "promoted": gettext_lazy("A place is yours"),
    "rejected": gettext_lazy("Registration not accepted"),
    "removed": gettext_lazy("You were removed from an activity"),
}
# Events that also go out by SMS: the ones that change whether the volunteer should come.
_SMS_EVENTS = {"promoted", "rejected", "removed", "activity_changed", "activity_cancelled"}


def _when_where(activity: Activity) -> str:
    from django.utils.formats import date_format

    days = (
        date_format(activity.start_date, "DATE_FORMAT")
        if activity.start_date == activity.end_date
        else f"{date_format(activity.start_date, 'DATE_FORMAT')} – "
        f"{date_format(activity.end_date, 'DATE_FORMAT')}"
    )
    place = _("Online") if activity.online else activity.address
    return _("%(days)s, %(start)s–%(end)s, %(place)s. Contact: %(contact)s") % {
        "days": days,
        "start": activity.checkin_time.strftime("%H:%M"),
        "end": activity.checkout_time.strftime("%H:%M"),
        "place": place,
        "contact": f"{activity.contact_name} {activity.contact_phone}",
    }


def signup_notify(*, signup: Signup, event: str) -> None:
    """Tell the volunteer what happened to their registration: in-app; e-mail where verified;
    SMS for the events that change whether they should come. Written in the volunteer's
    language, not the acting staff member's. Call inside the transaction."""
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    activity = signup.activity
    with recipient_language(signup.volunteer):
        lines = [f"《{activity.title}》", _when_where(activity)]
        if event == "promoted":
            lines.insert(1, _("A place became free and is now yours."))
        if event in ("rejected", "removed") and signup.reason:
            lines.append(_("Reason: %(reason)s") % {"reason": signup.reason})
        title = str(_EVENT_TITLES[event])
    notify(
        user=signup.volunteer,
        title=title,
        body="\n".join(lines),
        link=reverse("activities:detail", args=[activity.pk]),
        sms=event in _SMS_EVENTS,
    )


def activity_registrants_notify(
    *, activity_id: int, event: str, changes: dict | str | None = None
) -> int:
    """Tell every live registrant that the activity changed (`changes`: the activity_plan()s
    before and after, or words from a job queued before plans) or was
    cancelled. Returns how many were told, each in their own language. Runs in a job after the
    activity's commit."""
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    signups = list(Signup.objects.filter(activity=activity).live().select_related("volunteer"))
    link = reverse("activities:detail", args=[activity.pk])
    with transaction.atomic():
        for signup in signups:
            with recipient_language(signup.volunteer):
                title, body = _activity_notice(activity, event, changes)
            notify(user=signup.volunteer, title=title, body=body, link=link, sms=True)
    return len(signups)


def _activity_notice(activity: Activity, event: str, changes: dict | str | None) -> tuple[str, str]:
    from threehours.activities.services import activity_changes_describe

    if isinstance(changes, dict):
        changes = activity_changes_describe(before=changes["before"], after=changes["after"])
    if event == "activity_cancelled":
        return _("Activity cancelled"), _(
            "《%(title)s》 has been cancelled by the organiser. Reason: %(reason)s"
        ) % {"title": activity.title, "reason": activity.cancel_reason}
    body = _("《%(title)s》 has changed: %(changes)s\nNow: %(when_where)s") % {
        "title": activity.title,
        "changes": changes or "",
        "when_where": _when_where(activity),
    }
    return _("Activity changed"), body


# -- reminders -------------------------------------------------------------------------------

REMINDER_HOUR = 18  # local time, the evening before
# The same-morning reminder (issue 5 §6, "your choice"): only activities whose check-in opens
# at noon or later get one, at 08:00 (Asia/Shanghai) of their first day. A morning activity is
# too close for a reminder that same morning to help; an afternoon one is far enough away to be
# forgotten since the evening before. Sent until noon, so a registration made during the
# morning still gets it.
MORNING_REMINDER_HOUR = 8
MORNING_REMINDER_UNTIL = dt.time(12)
AFTERNOON_FROM = dt.time(12)


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Remind confirmed registrants of their activity's time, place and contact:
    from 18:00 (Asia/Shanghai) on, for activities that start tomorrow ("the evening before");
    from 08:00 until noon, for activities that start today with a check-in time of 12:00 or
    later ("the same morning"). Once per registration, day and kind: a Reminder row is inserted
    first and only the job that inserted it sends. Skips cancelled (and any other non-confirmed)
    registrations and activities that are no longer published. Returns how many were sent."""
    from threehours.core.timeutil import local_tz

    now = (now or timezone.now()).astimezone(local_tz())
    sent = 0
    if now.hour >= REMINDER_HOUR:
        tomorrow = now.date() + dt.timedelta(days=1)
        for signup in _reminders_due(day=tomorrow, kind="evening"):
            sent += _reminder_send(signup=signup, day=tomorrow, kind="evening")
    if now.hour >= MORNING_REMINDER_HOUR and now.time() < MORNING_REMINDER_UNTIL:
        today = now.date()
        due = _reminders_due(day=today, kind="morning").filter(
            activity__checkin_time__gte=AFTERNOON_FROM
        )
        for signup in due:
            sent += _reminder_send(signup=signup, day=today, kind="morning")
    return sent


def _reminders_due(*, day: dt.date, kind: str):
    from django.db.models import Exists, OuterRef

    from .models import Reminder

    return (
        Signup.objects.filter(
            status=Signup.Status.CONFIRMED,
            activity__state=Activity.State.PUBLISHED,
            activity__start_date=day,
        )
        .exclude(Exists(Reminder.objects.filter(signup=OuterRef("pk"), day=day, kind=kind)))
        .select_related("activity", "volunteer")
    )


def _reminder_send(*, signup: Signup, day: dt.date, kind: str) -> bool:
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    from .models import Reminder

    activity = signup.activity
    with recipient_language(signup.volunteer):
        if kind == "morning":
            title = _("Reminder: %(title)s is today") % {"title": activity.title}
        else:
            title = _("Reminder: %(title)s is tomorrow") % {"title": activity.title}
        body = _when_where(activity)
    try:
        with transaction.atomic():
            Reminder.objects.create(signup=signup, day=day, kind=kind)
            notify(
                user=signup.volunteer,
                title=title,
                body=body,
                link=reverse("activities:detail", args=[activity.pk]),
                sms=True,
            )
    except IntegrityError:
        return False  # another run sent it
    return True
