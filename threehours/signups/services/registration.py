"""Registering, cancelling, and the waiting list (docs/product.md §3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.consent import consent_record
from threehours.accounts.models import Consent, User
from threehours.activities.models import Activity
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.metrics import registration_counted
from threehours.core.timeutil import local_today

from .. import rules
from ..errors import (
    AccountClosing,
    ActivityFull,
    AlreadyRegistered,
    ChildAgeOutOfRange,
    ChildAlreadyRegistered,
    CommitmentRequired,
    PhoneNotBound,
    RegistrationClosed,
    SignupNotFound,
)
from ..models import Signup, SignupChild
from ..selectors import signup_live_exists
from .notify import _notify

MAX_ANSWER_LENGTH = 200


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


def _children_clean(
    *, activity: Activity, volunteer: User, children: list[Any] | None
) -> list[User]:
    """The volunteer's children named for a family registration (docs/product.md §6), in the
    order given, a repeated id counted once. Raises InvalidInput (`children`: not a
    parent-child activity, not a child of this family), ChildAgeOutOfRange."""
    from threehours.family.selectors import children_of

    if not activity.family:
        raise InvalidInput(
            fields={
                "children": [
                    _("This is not a parent-child activity: children cannot be registered.")
                ]
            }
        )
    ids: list[int] = []
    for raw in children or []:
        try:
            child_id = int(raw)
        except (TypeError, ValueError):
            child_id = 0
        if child_id <= 0:
            raise InvalidInput(fields={"children": [_("No such child in your family.")]})
        if child_id not in ids:
            ids.append(child_id)
    found = {child.pk: child for child in children_of(guardian=volunteer).filter(pk__in=ids)}
    if len(found) != len(ids):  # another family's child is an unknown id
        raise InvalidInput(fields={"children": [_("No such child in your family.")]})
    kids = [found[child_id] for child_id in ids]
    for child in kids:
        age = rules.child_age_on_first_day(born=child.birth_date, activity=activity)
        if not rules.child_age_fits(age=age, activity=activity):
            message = ChildAgeOutOfRange.default_message % {
                "name": child.real_name,
                "age": age,
                "range": rules.child_age_range_text(activity),
            }
            raise ChildAgeOutOfRange(message, fields={"children": [message]})
    return kids


def _family_clean(
    *,
    activity: Activity,
    volunteer: User,
    children: list[Any] | None,
    commitment_accepted: bool,
    include_me: bool,
) -> list[User]:
    """The children coming with the volunteer, checked; [] without a query when none come."""
    if include_me is not True:
        # The guardian always comes with the children and takes a place of their own (the
        # guide: parents take their children; a child never comes alone).
        raise InvalidInput(
            fields={
                "include_me": [
                    _(
                        "You come along with your children and take a place yourself; "
                        "children cannot be registered on their own."
                    )
                ]
            }
        )
    if not children:
        return []
    kids = _children_clean(activity=activity, volunteer=volunteer, children=children)
    if commitment_accepted is not True:
        raise CommitmentRequired(
            fields={"commitment_accepted": [str(CommitmentRequired.default_message)]}
        )
    return kids


def _children_add(signup: Signup, kids: list[User]) -> None:
    """Write the family's SignupChild rows in the signup's transaction. Raises
    ChildAlreadyRegistered when a child is already in a live registration of the activity
    (`signupchild_one_live_per_activity`; the caller's transaction then rolls back whole)."""
    if not kids:
        return
    try:
        with transaction.atomic():
            # In id order: two families naming the same children in another order wait for
            # each other instead of deadlocking on the unique index.
            SignupChild.objects.bulk_create(
                [
                    SignupChild(signup=signup, child=child, activity_id=signup.activity_id)
                    for child in sorted(kids, key=lambda kid: kid.pk)
                ]
            )
    except IntegrityError as exc:
        taken = set(
            SignupChild.objects.filter(
                activity_id=signup.activity_id, live=True, child__in=kids
            ).values_list("child_id", flat=True)
        )
        names = [child.real_name for child in kids if child.pk in taken] or [
            child.real_name for child in kids
        ]
        raise ChildAlreadyRegistered(name="、".join(names)) from exc


def children_release(signup: Signup) -> None:
    """The registration stopped being live (cancelled, rejected, removed): its children may be
    registered again. Call in the transaction that changes the status."""
    if signup.seats > 1:
        SignupChild.objects.filter(signup=signup).update(live=False)


def registration_check(*, activity: Activity, volunteer: User, today: dt.date) -> None:
    """The refusals that need no write (docs/product.md §3). Raises AccountClosing, PhoneNotBound,
    RegistrationClosed."""
    # One attribute of the row already loaded (issue #16 §3): no query on the rush's path.
    if volunteer.closing_at is not None or volunteer.closed_at is not None:
        when = volunteer.closed_at or volunteer.closing_at
        raise AccountClosing(day=timezone.localdate(when).isoformat())
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
    commitment_accepted: bool = False,
    include_me: bool = True,
    join_waitlist: bool = False,
    share_consent: bool = False,
    ip: str | None = None,
) -> Signup:
    """Register `volunteer` (and children, one place each). Status `confirmed`, or `pending`
    when the activity's staff review registrations, or `waiting` when it is full and the
    volunteer asked to join the waiting list.

    和孩子一起报名 (docs/product.md §6): `children` are ids of the volunteer's own children, on a
    parent-child activity (`activity.family`), each within the activity's age range on its
    first day; the guardian must accept the registration commitment (`commitment_accepted`,
    its time is kept) and always comes too: `include_me` must stay true (a child never comes
    alone, and the guardian takes a place). The family is one registration holding
    1 + children places, all taken in one transaction or none: it is confirmed, waits or is
    cancelled as one entry. A repeated child id counts once.

    Raises PhoneNotBound, RegistrationClosed, InvalidInput (answers, children, include_me),
    ChildAgeOutOfRange, CommitmentRequired, AlreadyRegistered, ChildAlreadyRegistered,
    ActivityFull. Nothing is written when it raises. Takes the places with a conditional
    UPDATE of the activity row (no read-then-write); without children it reads nothing more
    than a single registration.

    `share_consent`: the volunteer gave, with this request, the separate consent to share the
    registration with the organiser (issue #16 §1, PIPL Art. 23; the caller checked that it is
    given now or was before): it is recorded in the registration's transaction, so a refused
    registration records nothing and costs nothing more (bench/registration_rush.py)."""
    registration_check(activity=activity, volunteer=volunteer, today=local_today())
    kids = _family_clean(
        activity=activity,
        volunteer=volunteer,
        children=children,
        commitment_accepted=commitment_accepted,
        include_me=include_me,
    )
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
    fields: dict[str, Any] = {"activity": activity, "volunteer": volunteer, "seats": seats}
    if kids:
        fields["commitment_accepted_at"] = timezone.now()
    try:
        with transaction.atomic(durable=True):
            # Insert first: the unique constraint answers "already registered" even when full.
            signup = Signup.objects.create(status=status, answers=clean_answers, **fields)
            _children_add(signup, kids)
            if share_consent:
                consent_record(user=volunteer, kind=Consent.Kind.SHARE_WITH_ORG, ip=ip)
            # The notice before the places: the UPDATE locks the activity row until COMMIT, and
            # a rush's registrations queue on that lock, so nothing else happens while it is
            # held (bench/registration_rush.py: the p99).
            _notify(signup, signup.status)
            if not _places_take(activity.pk, seats):
                raise _NoPlaceLeft()
        registration_counted()  # committed (durable): /metrics
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
            _children_add(signup, kids)
            if share_consent:
                consent_record(user=volunteer, kind=Consent.Kind.SHARE_WITH_ORG, ip=ip)
            _notify(signup, signup.status)
    except IntegrityError as exc:
        raise AlreadyRegistered() from exc
    registration_counted()
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
        refusal = rules.cancel_refusal(
            signup=signup,
            activity=activity,
            today=local_today(),
            attended=signup.attendances.exists(),
        )
        if refusal is not None:
            raise refusal
        held = signup.holds_place
        signup.status = Signup.Status.CANCELLED
        signup.cancelled_at = timezone.now()
        signup.save(update_fields=["status", "cancelled_at", "updated_at"])
        children_release(signup)
        if held:
            _free_places_and_promote(activity=activity, seats=signup.seats)
    return signup


def signups_cancel_for_closure(*, volunteer: User) -> int:
    """The account of `volunteer` is being closed (issue #16 §3): cancel every live
    registration for an activity that is not over yet and has no attendance on record, with
    no deadline (the person is leaving), freeing the places and promoting the waiting lists.
    Runs in the caller's transaction; locks each activity row, in id order, then the
    registration. Returns how many registrations were cancelled."""
    today = local_today()
    with transaction.atomic():
        activity_ids = sorted(
            Signup.objects.filter(volunteer=volunteer, activity__end_date__gte=today)
            .live()
            .values_list("activity_id", flat=True)
            .distinct()
        )
        cancelled = 0
        for activity_id in activity_ids:
            activity = _activity_lock(activity_id)
            signup = (
                Signup.objects.select_for_update()
                .filter(activity=activity, volunteer=volunteer)
                .live()
                .first()
            )
            if signup is None or signup.attendances.exists():
                continue
            held = signup.holds_place
            signup.status = Signup.Status.CANCELLED
            signup.cancelled_at = timezone.now()
            signup.save(update_fields=["status", "cancelled_at", "updated_at"])
            children_release(signup)
            if held:
                _free_places_and_promote(activity=activity, seats=signup.seats)
            cancelled += 1
    return cancelled
