"""Registration pages: the register box on an activity page, cancelling and 我参与的项目 (my
activities). The staff's registrant list is in the organisation console (console/registrants.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from threehours.activities import selectors as activity_selectors
from threehours.activities.models import Activity
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.timeutil import local_today
from threehours.hours import selectors as hours_selectors

from . import selectors, services
from .errors import PhoneNotBound, SignupError
from .forms import AnswersForm
from .models import Signup


def register_box(request: HttpRequest, activity: Activity, form: AnswersForm | None = None) -> dict:
    """What the activity page shows at its foot: the volunteer's registration, or why they
    cannot register, or the questions and the button (PRODUCT.md §3)."""
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
    can_cancel = (
        signup is not None
        and (signup.status == Signup.Status.WAITING or today <= activity.registration_deadline)
        # Attendance exists only from the first day on; then the registration cannot be
        # cancelled (issue #12 §2).
        and not (today >= activity.start_date and signup.attendances.exists())
    )
    if form is None and state in ("open", "waitlist"):
        form = AnswersForm(activity=activity, initial={"join_waitlist": state == "waitlist"})
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
        }
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
            signup = services.signup_create(
                activity=activity,
                volunteer=request.user,
                answers=form.answers(),
                join_waitlist=form.cleaned_data["join_waitlist"],
            )
        except InvalidInput as exc:
            form.add_service_errors(exc.fields or {})
        except PhoneNotBound:
            return redirect("activities:detail", activity_id=activity.pk)
        except SignupError as exc:
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
    from django.utils.translation import gettext as _

    return {
        Signup.Status.CONFIRMED: _("You are registered. We will remind you the evening before."),
        Signup.Status.PENDING: _("Registration sent. The organiser reviews it; we will tell you."),
        Signup.Status.WAITING: _(
            "You are on the waiting list. If a place becomes free it is yours, and we tell you."
        ),
    }[signup.status]


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


@login_required
def my_activities_view(request: HttpRequest) -> HttpResponse:
    today = local_today()
    tabs = selectors.signups_of_volunteer(volunteer=request.user, today=today)
    tab = request.GET.get("tab", "upcoming")
    if tab not in tabs:
        tab = "upcoming"
    credited = hours_selectors.hours_by_activity(volunteer=request.user)
    for signup in tabs[tab]:
        signup.credited_hours = credited.get(signup.activity_id)
    return render(
        request,
        "signups/my_activities.html",
        {"tabs": tabs, "tab": tab, "rows": tabs[tab], "today": today},
    )
