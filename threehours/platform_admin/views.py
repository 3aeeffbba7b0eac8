from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from threehours.core.errors import DomainError, InvalidInput, NotFound
from threehours.core.models import AuditEntry
from threehours.core.storage import private_file_response
from threehours.core.timeutil import local_today
from threehours.orgs import selectors as org_selectors
from threehours.orgs import services as org_services
from threehours.orgs.forms import PlacesLimitForm, ReasonForm
from threehours.orgs.models import QualificationFile
from threehours.reporting import selectors as report_selectors

from . import selectors
from .forms import IntegrityPeriodForm, OrgFilterForm


def operator_required(view):
    """Only platform operators (Django staff); others are sent to the operator log-in. The
    view's `access_*` fetches that raise NotFound answer 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("accounts:ops-login"))
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc

    return wrapper


@operator_required
def ops_home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "platform_admin/home.html", {"stats": selectors.platform_stats()})


@operator_required
def integrity_view(request: HttpRequest) -> HttpResponse:
    """The integrity report of the hours (issue #12 §9) for a period, per organisation."""
    default = report_selectors.integrity_default_period(today=local_today())
    form = IntegrityPeriodForm(request.GET or None, default=default)
    date_from, date_to = form.period()
    rows = report_selectors.integrity_report(date_from=date_from, date_to=date_to)
    return render(
        request,
        "platform_admin/integrity.html",
        {
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "rows": rows[:-1],
            "total": rows[-1],
            "share_limit": report_selectors.INTEGRITY_SHARE_FLAG_PERCENT,
        },
    )


# --- organisations ----------------------------------------------------------------------------


@operator_required
def review_queue_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    queue = [(org, now - org.submitted_at) for org in org_selectors.review_queue()]
    return render(
        request,
        "platform_admin/review_queue.html",
        {"queue": queue, "renewals": org_selectors.renewal_queue()},
    )


@operator_required
def org_list_view(request: HttpRequest) -> HttpResponse:
    form = OrgFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    expiring = filters.get("expiring")
    orgs = org_selectors.org_list_for_operators(
        state=filters.get("state") or "",
        category=filters.get("category") or "",
        province=filters.get("province") or "",
        q=filters.get("q") or "",
        expiring_within_days=int(expiring) if expiring else None,
        today=local_today(),
    )
    return render(
        request,
        "platform_admin/org_list.html",
        {"form": form, "orgs": orgs[:500], "today": local_today()},
    )


@operator_required
def org_detail_view(request: HttpRequest, org_id: int) -> HttpResponse:
    org = org_selectors.access_org_for_operator(user=request.user, org_id=org_id)
    return render(
        request,
        "platform_admin/org_detail.html",
        {
            "org": org,
            "files": org.files.select_related("renewal").order_by("created_at"),
            "renewals": org.renewals.order_by("-created_at"),
            "reason_form": ReasonForm(),
            "limit_form": PlacesLimitForm(initial={"places_limit": org.places_limit}),
            "can_publish": org.can_publish_on(local_today()),
            "history": AuditEntry.objects.filter(
                target_type="orgs.organisation", target_id=str(org.pk)
            ).order_by("-created_at")[:50],
        },
    )


@operator_required
def org_file_view(request: HttpRequest, org_id: int, file_id: int) -> HttpResponse:
    # organisation__pk: a lookup on the key itself, which answers "none" for ids beyond 64 bits
    row = QualificationFile.objects.filter(pk=file_id, organisation__pk=org_id).first()
    if row is None:
        raise Http404
    return private_file_response(row.image)


def _org_action(request: HttpRequest, org_id: int, action, done: str, *, reason: bool = False):
    org = org_selectors.access_org_for_operator(user=request.user, org_id=org_id)
    try:
        if reason:
            action(org=org, operator=request.user, reason=request.POST.get("reason", ""))
        else:
            action(org=org, operator=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("platform_admin:org-detail", org_id=org.pk)


@operator_required
@require_POST
def org_approve_view(request: HttpRequest, org_id: int) -> HttpResponse:
    return _org_action(request, org_id, org_services.org_approve, _("Approved."))


@operator_required
@require_POST
def org_reject_view(request: HttpRequest, org_id: int) -> HttpResponse:
    return _org_action(request, org_id, org_services.org_reject, _("Rejected."), reason=True)


@operator_required
@require_POST
def org_suspend_view(request: HttpRequest, org_id: int) -> HttpResponse:
    return _org_action(request, org_id, org_services.org_suspend, _("Suspended."), reason=True)


@operator_required
@require_POST
def org_reinstate_view(request: HttpRequest, org_id: int) -> HttpResponse:
    return _org_action(request, org_id, org_services.org_reinstate, _("Reinstated."), reason=True)


@operator_required
@require_POST
def org_places_limit_view(request: HttpRequest, org_id: int) -> HttpResponse:
    org = org_selectors.access_org_for_operator(user=request.user, org_id=org_id)
    form = PlacesLimitForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(fields={"places_limit": [_("Enter a whole number.")]})
        org_services.org_places_limit_set(
            org=org, operator=request.user, limit=form.cleaned_data["places_limit"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Limit saved."))
    return redirect("platform_admin:org-detail", org_id=org.pk)


@operator_required
@require_POST
def renewal_decide_view(request: HttpRequest, renewal_id: int, decision: str) -> HttpResponse:
    renewal = org_selectors.access_renewal_for_operator(user=request.user, renewal_id=renewal_id)
    try:
        if decision == "accept":
            org_services.renewal_accept(renewal=renewal, operator=request.user)
        else:
            org_services.renewal_reject(
                renewal=renewal, operator=request.user, reason=request.POST.get("reason", "")
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("platform_admin:org-detail", org_id=renewal.organisation_id)
