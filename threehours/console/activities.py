"""The organisation console's activity pages: list, create/edit, detail with the share QR
code and poster, publish, copy and cancel. Every page loads the organisation through
`with_org` (console/base.py), so another organisation's activities answer 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from threehours.activities import rules, selectors, services
from threehours.activities.forms import ActivityFilterForm, ActivityForm
from threehours.activities.models import Activity
from threehours.core.errors import DomainError, InvalidInput, RateLimited
from threehours.core.images import InvalidImage
from threehours.core.ratelimit import ratelimit_check
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation

from . import selectors as console_selectors
from .base import org_context, with_org


@with_org()
def activity_list_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    """Filter by keyword (title), dates and state; a "More" link pages on (never a silent cut)."""
    filters = ActivityFilterForm(request.GET)
    try:
        page = console_selectors.activity_list_for_console(
            org=org, cursor=request.GET.get("cursor") or None, **filters.filters()
        )
    except InvalidInput:  # a stale or edited cursor: start again from the first page
        page = console_selectors.activity_list_for_console(org=org, **filters.filters())
    return render(
        request,
        "console/activities/list.html",
        org_context(request, org, page=page, filters=filters, today=local_today()),
    )


def _form(org: Organisation, activity: Activity | None, data=None) -> ActivityForm:
    """The create form (with the organisation's contact), or the edit form with the saved
    values; once volunteers have checked in, the frozen fields are disabled and keep them."""
    if activity is None:
        initial = {
            "checkin_radius_m": 500,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone,
        }
        return ActivityForm(data, initial=initial)
    return ActivityForm(
        data,
        initial=ActivityForm.initial_from(services.activity_as_data(activity)),
        frozen=selectors.activity_has_attendance(activity),
    )


def _preview(
    form: ActivityForm,
    org: Organisation,
    *,
    activity: Activity | None = None,
    check: bool = False,
) -> dict:
    """What the form shows beside its fields, without saving: the daily maximum hours
    (rules.max_hours_per_day, as the saved activity will have them) and a map link for the
    coordinates; with `check`, each field that has a value with the problems saving would
    report (activity_clean, the service's own rules)."""
    values = form.preview_values()
    hours = None
    checkin, checkout = values["checkin"], values["checkout"]
    if checkin and checkout and rules.window_problem(checkin, checkout) is None:
        hours = rules.max_hours_per_day(checkin, checkout, online=values["online"])
    context = {"hours": hours, "online": values["online"], "place": values["place"]}
    if not check:
        return context
    problems: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            services.activity_clean(data=form.service_data(), org=org, current=activity)
        except InvalidInput as exc:
            problems = exc.fields or {}
    else:
        problems = {name: list(errors) for name, errors in form.errors.items()}
    checked: dict[str, list[str]] = {}
    for name in form.fields:
        # Empty fields keep what they show: no "enter the …" before the user got there.
        if not name.startswith("q") and name != "coord" and form.data.get(name):
            checked[name] = problems.get(name, [])
    if any(form.data.get(f"q{i}_text") for i in range(1, rules.MAX_QUESTIONS + 1)):
        checked["q1_text"] = problems.get("questions", []) + problems.get("q1_text", [])
    context["checked"] = checked
    return context


LIVE_CHECK_RATE = "60/m"  # per user: one check a field change, far more than anyone types


def _save(request: HttpRequest, org: Organisation, activity: Activity | None) -> HttpResponse:
    if request.method == "POST" and request.htmx and request.POST.get("_check"):
        # The live check (htmx, on every change): nothing is saved. It runs the service's
        # whole validation (rich-text sanitising included), so it is limited per user; htmx
        # keeps the last preview when refused.
        try:
            ratelimit_check(request, group="web.activity_check", rate=LIVE_CHECK_RATE, key="user")
        except RateLimited as exc:
            return HttpResponse(status=429, headers={"Retry-After": str(exc.retry_after)})
        form = _form(org, activity, request.POST)
        return render(
            request,
            "console/activities/partials/_form_check.html",
            {"form": form, **_preview(form, org, activity=activity, check=True)},
        )
    if request.method == "POST":
        form = _form(org, activity, request.POST)
        if form.is_valid():
            data = form.service_data()
            try:
                if activity is None:
                    activity = services.activity_create(org=org, user=request.user, data=data)
                else:
                    activity = services.activity_update(
                        activity=activity, user=request.user, data=data
                    )
            except InvalidInput as exc:
                form.add_service_errors(exc.fields or {})
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:activity-detail", org_id=org.pk, activity_id=activity.pk)
    else:
        form = _form(org, activity)
    return render(
        request,
        "console/activities/form.html",
        org_context(request, org, form=form, activity=activity, **_preview(form, org)),
    )


@with_org()
@require_http_methods(["GET", "POST"])
def activity_create_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    return _save(request, org, None)


@with_org()
@require_http_methods(["GET", "POST"])
def activity_edit_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    return _save(request, org, selectors.access_activity_for_org(org=org, activity_id=activity_id))


IMAGE_UPLOAD_RATE = "60/h"  # per user: a description holds a handful of pictures


@with_org()
@require_POST
def activity_image_upload_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    """The description editor's image button: store one image (field `image`) and answer
    `{"url"}`; a refused upload answers `{"code", "message"}` with 400 (429 when too many)."""
    try:
        ratelimit_check(request, group="web.activity_image", rate=IMAGE_UPLOAD_RATE, key="user")
        upload = request.FILES.get("image")
        if upload is None:
            raise InvalidImage(_("Choose an image file."))
        url = services.activity_image_store(org=org, user=request.user, upload=upload)
    except DomainError as exc:
        response = JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    return JsonResponse({"url": url})


@with_org()
def activity_detail_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    activity = selectors.access_activity_for_org(org=org, activity_id=activity_id)
    return render(
        request,
        "console/activities/detail.html",
        org_context(request, org, activity=activity, phase=activity.phase_on(local_today())),
    )


@with_org()
@require_POST
def activity_action_view(
    request: HttpRequest, org: Organisation, activity_id: int, action: str
) -> HttpResponse:
    activity = selectors.access_activity_for_org(org=org, activity_id=activity_id)
    try:
        if action == "publish":
            services.activity_publish(activity=activity, user=request.user)
            messages.success(request, _("Published."))
        elif action == "copy":
            copy = services.activity_copy(activity=activity, user=request.user)
            messages.success(request, _("Copied into a new draft: set its dates."))
            return redirect("console:activity-edit", org_id=org.pk, activity_id=copy.pk)
        elif action == "cancel":
            services.activity_cancel(
                activity=activity, user=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Cancelled."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
        for field_errors in (exc.fields or {}).values():
            for message in field_errors:
                messages.error(request, message)
    return redirect("console:activity-detail", org_id=org.pk, activity_id=activity.pk)


@with_org()
@require_POST
def activity_cover_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """Upload the cover image (checked by content, 400 KB–5 MB per the guide; smaller is
    accepted with a warning; re-encoded without EXIF)."""
    activity = selectors.access_activity_for_org(org=org, activity_id=activity_id)
    upload = request.FILES.get("cover")
    if upload is None:
        messages.error(request, _("Choose an image file."))
    else:
        try:
            small = services.activity_cover_set(activity=activity, user=request.user, upload=upload)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Cover saved."))
            if small:
                messages.warning(
                    request,
                    _(
                        "The image is under 400 KB and may look blurred on "
                        "large screens; a clearer photo is better."
                    ),
                )
    return redirect("console:activity-detail", org_id=org.pk, activity_id=activity.pk)


@with_org()
def activity_poster_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """The printable A4 poster with the share QR code (published activities only)."""
    from django.conf import settings
    from django.urls import reverse

    from threehours.activities.pdf import activity_poster_pdf

    activity = selectors.access_activity_for_org(org=org, activity_id=activity_id)
    if activity.state != Activity.State.PUBLISHED:
        raise Http404
    url = settings.SITE_URL + reverse("activities:detail", args=[activity.pk])
    response = HttpResponse(
        activity_poster_pdf(activity=activity, url=url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="poster-{activity.pk}.pdf"'
    return response
