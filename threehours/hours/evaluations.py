"""Service evaluations (服务评价, issue #15 §2): after crediting, the organisation's staff record
a short evaluation (excellent / good / satisfactory and a text) of each volunteer — or child on a
family registration — per activity. Part of the service record; a certificate carries them when
its holder chooses."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput
from threehours.core.qrscan import has_payment_link
from threehours.family.selectors import guardians_of
from threehours.notifications.services import message_later, notify
from threehours.orgs.models import Membership, Organisation
from threehours.signups.models import Signup, SignupChild

from .evaluation_errors import NotCredited, NotStaff, OwnEvaluation, PersonNotOnRegistration
from .models import LedgerEntry, ServiceEvaluation

Grade = ServiceEvaluation.Grade


def credited_hours(*, volunteer_id: int, activity_id: int):
    """What the ledger holds for the person and the activity (credits plus corrections)."""
    total = LedgerEntry.objects.filter(
        volunteer_id=volunteer_id, activity_id=activity_id
    ).aggregate(total=Sum("hours"))["total"]
    return total or 0


def _clean(grade: str, text: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if grade not in Grade.values:
        errors["grade"] = [_("Choose excellent, good or satisfactory.")]
    text = "\n".join(line.rstrip() for line in (text or "").strip().splitlines())
    if len(text) > ServiceEvaluation.TEXT_MAX:
        errors["text"] = [
            _("At most %(max)d characters (this has %(count)d).")
            % {"max": ServiceEvaluation.TEXT_MAX, "count": len(text)}
        ]
    elif any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        errors["text"] = [_("Plain text only, please.")]
    elif has_payment_link(text):  # the volunteer reads it (docs/product.md §2)
        errors["text"] = [_("Payment links cannot be put on the platform.")]
    if errors:
        raise InvalidInput(fields=errors)
    return grade, text


def person_on_signup(*, signup: Signup, person_id: int | None) -> User:
    """The registrant (person_id None or theirs) or one of the children on the registration.
    Raises PersonNotOnRegistration (404) for anyone else."""
    if person_id is None or person_id == signup.volunteer_id:
        return signup.volunteer
    link = SignupChild.objects.select_related("child").filter(signup=signup, child_id=person_id)
    child = next((row.child for row in link), None)
    if child is None:
        raise PersonNotOnRegistration()
    return child


def evaluation_record(
    *,
    staff: User,
    signup: Signup,
    volunteer: User,
    grade: str,
    text: str,
    org: Organisation | None = None,
) -> ServiceEvaluation:
    """Record (or change) `staff`'s organisation's evaluation of `volunteer` — the registrant of
    `signup` or one of its children — for the registration's activity. `org`, when the caller
    fetched the registration through it, must be the activity's organisation. The evaluation
    comes back with `was_created`. Audited; the volunteer (a child's guardians) is told after
    commit. Locks the existing evaluation row.
    Raises InvalidInput (grade, text), PersonNotOnRegistration (404), NotStaff (403),
    OwnEvaluation (403), NotCredited (409)."""
    activity: Activity = signup.activity
    if org is not None and activity.organisation_id != org.pk:
        raise PersonNotOnRegistration()
    if volunteer.pk != signup.volunteer_id:
        person_on_signup(signup=signup, person_id=volunteer.pk)
    grade, text = _clean(grade, text)
    if not Membership.objects.filter(organisation_id=activity.organisation_id, user=staff).exists():
        raise NotStaff()
    if staff.pk in (volunteer.pk, signup.volunteer_id):
        audit_record(actor=staff, verb="evaluation.refused_own", target=signup)
        raise OwnEvaluation()
    with transaction.atomic(durable=True):
        if credited_hours(volunteer_id=volunteer.pk, activity_id=activity.pk) <= 0:
            raise NotCredited()
        evaluation = (
            ServiceEvaluation.objects.select_for_update()
            .filter(volunteer=volunteer, activity=activity)
            .first()
        )
        created = evaluation is None
        if created:
            try:
                with transaction.atomic():  # a savepoint: two staff members may race
                    evaluation = ServiceEvaluation.objects.create(
                        volunteer=volunteer,
                        activity=activity,
                        organisation_id=activity.organisation_id,
                        signup=signup,
                        grade=grade,
                        text=text,
                        author=staff,
                    )
            except IntegrityError:
                created = False
                evaluation = ServiceEvaluation.objects.select_for_update().get(
                    volunteer=volunteer, activity=activity
                )
        changed = created or (evaluation.grade, evaluation.text) != (grade, text)
        if not created and changed:
            evaluation.grade, evaluation.text, evaluation.author = grade, text, staff
            evaluation.save(update_fields=["grade", "text", "author", "updated_at"])
        if changed:
            audit_record(
                actor=staff,
                verb="evaluation.recorded" if created else "evaluation.changed",
                target=evaluation,
                data={"volunteer": volunteer.pk, "grade": grade, "text": text},
            )
            transaction.on_commit(lambda: _tell(evaluation, volunteer, activity))
    evaluation.was_created = created
    return evaluation


def _tell(evaluation: ServiceEvaluation, volunteer: User, activity: Activity) -> None:
    params = {"title": activity.title, "grade": evaluation.get_grade_display()}
    if volunteer.guarded:
        for guardian in guardians_of(child=volunteer):
            notify(
                user=guardian,
                title=_("%(name)s was evaluated") % {"name": volunteer.display_name},
                body=message_later(
                    _("The organiser of 《%(title)s》 evaluated %(name)s: %(grade)s."),
                    {**params, "name": volunteer.display_name},
                ),
                link=reverse("reporting:family-hours"),
            )
        return
    notify(
        user=volunteer,
        title=_("The organiser evaluated your service"),
        body=message_later(
            _("The organiser of 《%(title)s》 evaluated your service: %(grade)s."), params
        ),
        link=reverse("reporting:my-hours"),
    )


# --- selectors ------------------------------------------------------------------------------


def evaluations_of_volunteer(*, volunteer: User) -> QuerySet[ServiceEvaluation]:
    """The person's evaluations, newest activity first (我的公益时, the certificate)."""
    return (
        ServiceEvaluation.objects.filter(volunteer=volunteer)
        .select_related("activity", "organisation")
        .order_by("-activity__start_date", "-pk")
    )


def evaluations_of_activity(*, activity: Activity) -> QuerySet[ServiceEvaluation]:
    """An activity's evaluations, for its staff."""
    return (
        ServiceEvaluation.objects.filter(activity=activity)
        .select_related("volunteer", "author")
        .order_by("pk")
    )


def evaluations_of_signup(*, signup: Signup) -> QuerySet[ServiceEvaluation]:
    """The evaluations of a registration's registrant and children."""
    return (
        ServiceEvaluation.objects.filter(signup=signup)
        .select_related("volunteer", "author")
        .order_by("pk")
    )


def credited_people_of_activity(*, activity: Activity) -> list[dict]:
    """Everyone the activity credited (registrants and children; credited hours > 0), each
    with their registration, hours and evaluation (or None), registration order. Three
    queries."""
    totals = {
        row["volunteer_id"]: row["total"]
        for row in LedgerEntry.objects.filter(activity=activity)
        .values("volunteer_id")
        .annotate(total=Sum("hours"))
        .order_by()
        if row["total"] and row["total"] > 0
    }
    if not totals:
        return []
    evaluations = {e.volunteer_id: e for e in evaluations_of_activity(activity=activity)}
    signups = (
        Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED)
        .select_related("volunteer")
        .prefetch_related("signup_children__child")
        .order_by("pk")
    )
    people = []
    for signup in signups:
        persons = [signup.volunteer, *(link.child for link in signup.signup_children.all())]
        for person in persons:
            if person.pk in totals:
                people.append(
                    {
                        "signup": signup,
                        "person": person,
                        "is_child": person.pk != signup.volunteer_id,
                        "hours": totals[person.pk],
                        "evaluation": evaluations.get(person.pk),
                    }
                )
    return people
