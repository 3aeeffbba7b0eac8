"""The organisation console's registrant pages: an activity's registrants with their answers
and history, and accept / reject / remove (docs/product.md §3)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from threehours.activities import selectors as activity_selectors
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation
from threehours.reporting import selectors as report_selectors
from threehours.signups import rules as signup_rules
from threehours.signups import selectors, services
from threehours.signups.forms import ReasonForm
from threehours.signups.models import Signup

from .base import org_context, with_org


@with_org()
def registrant_list_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    questions = list(activity.questions.all())
    rows = report_selectors.registrants_with_history(activity=activity, today=local_today())
    for row in rows:
        row.answer_list = [row.answers.get(str(q.pk), "") for q in questions]
        # A family is one registration: the guardian's row with the children under it, each
        # with the age on the first day (the activity's age range is measured then).
        row.family = [
            {
                "child": child,
                "age": signup_rules.child_age_on_first_day(born=child.birth_date, activity=activity)
                if child.birth_date
                else None,
            }
            for child in (row.children.all() if row.seats > 1 else [])
        ]
    counts = {status: 0 for status in Signup.Status.values}
    for row in rows:
        counts[row.status] += 1
    return render(
        request,
        "console/registrants/list.html",
        org_context(
            request,
            org,
            activity=activity,
            questions=questions,
            rows=rows,
            counts=counts,
            reason_form=ReasonForm(),
        ),
    )


@with_org()
@require_POST
def registrant_decide_view(
    request: HttpRequest, org: Organisation, signup_id: int, action: str
) -> HttpResponse:
    from django.utils.translation import gettext as _

    signup = selectors.access_signup_for_org(org=org, signup_id=signup_id)
    try:
        if action == "accept":
            services.signup_accept(signup=signup, staff=request.user)
        elif action == "reject":
            services.signup_reject(
                signup=signup, staff=request.user, reason=request.POST.get("reason", "")
            )
        else:
            services.signup_remove(
                signup=signup, staff=request.user, reason=request.POST.get("reason", "")
            )
    except InvalidInput as exc:
        messages.error(request, " ".join(m for ms in (exc.fields or {}).values() for m in ms))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done. The volunteer has been told."))
    return redirect("console:activity-registrants", org_id=org.pk, activity_id=signup.activity_id)


@with_org()
@require_POST
@never_cache
def phone_reveal_view(request: HttpRequest, org: Organisation, user_id: int) -> HttpResponse:
    """显示号码: an organisation admin reveals one registrant's phone number (masked everywhere
    else), audited and limited per hour by signups.services.phone_reveal. HTMX gets the
    fragment that replaces the button (an error in its place, so the page stays as it was);
    without HTMX a small page, with the refusal's status."""
    from threehours.accounts.identity import staff_name
    from threehours.accounts.models import User
    from threehours.signups.errors import PhoneNotFound

    person = User.objects.filter(pk=user_id).first()
    context = org_context(request, org, phone="", error="", person_name="")
    status, retry_after = 200, None
    try:
        if person is None:
            raise PhoneNotFound()
        context["phone"] = services.phone_reveal(
            actor=request.user, person=person, organisation=org
        )
        context["person_name"] = staff_name(person)
    except DomainError as exc:
        if not request.htmx and exc.status == 404:
            raise Http404 from exc
        context["error"] = exc.message
        status, retry_after = exc.status, exc.retry_after
    if request.htmx:
        return render(request, "console/partials/_phone_revealed.html", context)
    context["back"] = url_has_allowed_host_and_scheme(
        request.META.get("HTTP_REFERER"), allowed_hosts={request.get_host()}
    ) and request.META.get("HTTP_REFERER")
    response = render(request, "console/phone_revealed.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
