"""Registration pages: the home page (upcoming activities near the visitor or in the city of
their latest registration), the register box on an activity page and cancelling. The staff's
registrant list is in the organisation console (console/registrants.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from threehours.accounts.consent import consent_require, consent_screen, has_consent
from threehours.accounts.errors import ConsentRequired
from threehours.accounts.models import Consent
from threehours.activities import selectors as activity_selectors
from threehours.activities.models import Activity
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.geo import position_from_query
from threehours.core.timeutil import local_now, local_today

from . import rules, selectors, services
from .errors import PhoneNotBound, SignupError
from .forms import AnswersForm
from .models import Signup

HOME_LIMIT = 6


def home_view(request: HttpRequest) -> HttpResponse:
    """Upcoming activities near the visitor when the "near me" button gave a position, else in
    the volunteer's city (that of their latest on-site registration), else the next ones."""
    today = local_today()
    lat, lng = position_from_query(request.GET)
    activities: list[Activity] = []
    scope, city = "all", None
    if lat is not None:
        activities = activity_selectors.activity_search(
            today=today,
            limit=HOME_LIMIT,
            lat=lat,
            lng=lng,
            radius_km=activity_selectors.NEAR_ME_RADIUS_KM,
        ).items
        scope = "near"
    if not activities and request.user.is_authenticated:
        city = selectors.volunteer_city(volunteer=request.user)
        if city is not None:
            activities = activity_selectors.activity_search(
                today=today, limit=HOME_LIMIT, city=city.code
            ).items
            scope = "city"
    if not activities:
        activities = activity_selectors.activity_search(today=today, limit=HOME_LIMIT).items
        scope = "all"
    context = {
        "activities": activities,
        "scope": scope,
        "city": city,
        # The visitor asked for "near me" and nothing is within reach: say so above the list.
        "near_none": lat is not None and scope != "near",
        "radius_km": int(activity_selectors.NEAR_ME_RADIUS_KM),
        "lat": lat,
        "lng": lng,
    }
    return render(request, "activities/home.html", context)


def register_box(request: HttpRequest, activity: Activity, form: AnswersForm | None = None) -> dict:
    """What the activity page shows at its foot: the volunteer's registration, or why they
    cannot register, or the questions and the button (docs/product.md §3)."""
    today = local_today()
    user = request.user
    signup = selectors.signup_live_for(activity=activity, volunteer=user)
    if not user.is_authenticated:
        state = "login"
    elif signup is not None:
        state = "registered"
    elif not activity.registration_open_on(today):
        state = "closed"
    elif not user.phone:
        state = "no_phone"
    elif activity.places_left <= 0:
        state = "waitlist" if activity.waitlist_enabled else "full"
    else:
        state = "open"
    can_cancel = signup is not None and rules.can_cancel(
        signup=signup,
        activity=activity,
        today=today,
        # Attendance exists only from the first day on (no query before).
        attended=today >= activity.start_date and signup.attendances.exists(),
    )
    if form is None and state in ("open", "waitlist"):
        form = AnswersForm(activity=activity, initial={"join_waitlist": state == "waitlist"})
    share = None
    if state in ("open", "waitlist") and not has_consent(user, Consent.Kind.SHARE_WITH_ORG):
        share = consent_screen(Consent.Kind.SHARE_WITH_ORG, organisation=activity.organisation.name)
    family = None
    if activity.family and state in ("open", "waitlist"):
        family = _family_box(activity=activity, guardian=user, form=form)
    can_check_in = (
        signup is not None
        and signup.status == Signup.Status.CONFIRMED
        and activity.start_date <= today <= activity.end_date
    )
    return {
        "register": {
            "state": state,
            "signup": signup,
            "form": form,
            "can_cancel": can_cancel,
            "can_check_in": can_check_in,
            "family": family,
            "share_consent": share,
            "share_checked": bool(form is not None and form.data.get("share_consent") == "on"),
            "children_names": (
                [child.real_name for child in signup.children.all()]
                if signup is not None and signup.seats > 1
                else []
            ),
        }
    }


def _family_box(*, activity: Activity, guardian, form: AnswersForm | None) -> dict:
    """和孩子一起报名 on a parent-child activity: my children with their age on the first day,
    those outside the activity's age range not selectable (with the reason), and the
    commitment to accept (docs/product.md §6)."""
    from threehours.family.selectors import children_of

    chosen = set(form.children_chosen()) if form is not None else set()
    children = []
    for child in children_of(guardian=guardian):
        age = rules.child_age_on_first_day(born=child.birth_date, activity=activity)
        children.append(
            {
                "child": child,
                "age": age,
                "ok": rules.child_age_fits(age=age, activity=activity),
                "checked": str(child.pk) in chosen,
            }
        )
    return {
        "children": children,
        "range": rules.child_age_range_text(activity),
        "commitment": rules.commitment_text(activity),
        "accepted": form.commitment_accepted() if form is not None else False,
        "errors": form.family_errors if form is not None else [],
    }


def _published_or_404(activity_id: int) -> Activity:
    activity = activity_selectors.activity_get_published(activity_id=activity_id)
    if activity is None:
        raise Http404
    return activity


@login_required
@require_POST
def signup_create_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _published_or_404(activity_id)
    form = AnswersForm(request.POST, activity=activity)
    if form.is_valid():
        try:
            # PIPL Art. 23: the registration data goes to the organiser only with consent
            # (recorded in the registration's transaction when given now).
            share_consent = request.POST.get("share_consent") == "on"
            if not share_consent:
                consent_require(user=request.user, kind=Consent.Kind.SHARE_WITH_ORG, given=False)
            signup = services.signup_create(
                activity=activity,
                volunteer=request.user,
                answers=form.answers(),
                children=form.children_chosen(),
                commitment_accepted=form.commitment_accepted(),
                join_waitlist=form.cleaned_data["join_waitlist"],
                share_consent=share_consent,
                ip=request.META.get("REMOTE_ADDR"),
            )
        except ConsentRequired as exc:
            form.add_error(None, exc.message)
        except InvalidInput as exc:
            form.add_service_errors(exc.fields or {})
        except PhoneNotBound:
            return redirect("activities:detail", activity_id=activity.pk)
        except SignupError as exc:
            if exc.fields:
                form.add_service_errors(exc.fields)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _success_message(signup))
            return redirect("activities:detail", activity_id=activity.pk)
    activity.refresh_from_db(fields=["places_taken"])
    return render(
        request,
        "activities/detail.html",
        {**activity_detail_context(request, activity), "register_form": form},
    )


def _success_message(signup: Signup) -> str:
    """What happens next, by the activity's real state: a reminder the evening before is only
    promised for an activity that has not started (reminders_send_due)."""
    from django.utils.translation import gettext as _

    activity, now = signup.activity, local_now()
    if now.date() < activity.start_date:
        confirmed = _("You are registered. We will remind you the evening before.")
    elif activity.online:
        confirmed = _(
            "You are registered. The activity is under way: check in on its page with the "
            "code the organiser gives during the activity."
        )
    elif now.time() < activity.checkin_time:
        confirmed = _(
            "You are registered. The activity is on today from %(time)s: check in on site by "
            "scanning the QR code shown by the staff."
        ) % {"time": activity.checkin_time.strftime("%H:%M")}
    else:
        confirmed = _(
            "You are registered. The activity is under way: come along and check in on site "
            "by scanning the QR code shown by the staff."
        )
    message = {
        Signup.Status.CONFIRMED: confirmed,
        Signup.Status.PENDING: _("Registration sent. The organiser reviews it; we will tell you."),
        Signup.Status.WAITING: _(
            "You are on the waiting list. If a place becomes free it is yours, and we tell you."
        ),
    }[signup.status]
    if signup.seats > 1:
        names = "、".join(child.real_name for child in signup.children.all())
        message += " " + _("Registered with you: %(names)s (%(places)s places).") % {
            "names": names,
            "places": signup.seats,
        }
    return message


def activity_detail_context(request: HttpRequest, activity: Activity) -> dict:
    today = local_today()
    return {
        "activity": activity,
        "phase": activity.phase_on(today),
        "extra": list(activity.extra_attributes.all()),
        "share_url": request.build_absolute_uri(activity_url(activity)),
    }


def activity_url(activity: Activity) -> str:
    from django.urls import reverse

    return reverse("activities:detail", args=[activity.pk])


@login_required
@require_POST
def signup_cancel_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    from django.utils.translation import gettext as _

    activity = _published_or_404(activity_id)
    try:
        services.signup_cancel(activity=activity, volunteer=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect(request.POST.get("next") or activity_url(activity))
