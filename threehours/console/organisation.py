"""Organisation console pages: apply, application and files, submit, endorsement template,
dashboard, staff, invitations, certificate renewal. Every page that names an organisation
fetches it through `with_org` (console/base.py), so another organisation's ids answer 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.core.errors import DomainError
from threehours.core.forms import form_add_domain_error
from threehours.core.storage import private_file_response
from threehours.core.timeutil import local_today
from threehours.orgs import selectors, services
from threehours.orgs.forms import ApplicationForm, FileUploadForm, InviteForm, RenewalForm, RoleForm
from threehours.orgs.models import Membership, Organisation, QualificationFile
from threehours.orgs.pdf import endorsement_template_pdf

from .base import console_login_required, org_context, with_org


@console_login_required
def console_home_view(request: HttpRequest) -> HttpResponse:
    memberships = selectors.orgs_of_user(user=request.user)
    application = selectors.open_application_of(user=request.user)
    if len(memberships) == 1 and application is None:
        return redirect("console:dashboard", org_id=memberships[0][0].pk)
    if not memberships and application is not None:
        return redirect("console:application", org_id=application.pk)
    return render(
        request,
        "console/organisation/home.html",
        {"memberships": memberships, "application": application},
    )


@console_login_required
@require_http_methods(["GET", "POST"])
def apply_view(request: HttpRequest) -> HttpResponse:
    existing = selectors.open_application_of(user=request.user)
    if existing is not None:
        return redirect("console:application", org_id=existing.pk)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.org_application_create(user=request.user, data=form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved. Now upload your qualification files."))
            return redirect("console:application", org_id=org.pk)
    return render(request, "console/organisation/apply.html", {"form": form})


@require_GET
@console_login_required
def region_options_view(request: HttpRequest) -> HttpResponse:
    """<option>s of the cities of ?province= or the districts of ?city= (htmx)."""
    level = request.GET.get("level")
    parent = request.GET.get("province") if level == "city" else request.GET.get("city")
    regions = selectors.region_children(parent=parent) if parent else []
    return render(
        request,
        "console/organisation/partials/_region_options.html",
        {"regions": regions, "reset_district": level == "city"},
    )


@with_org()
@require_http_methods(["GET", "POST"])
def application_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    editable = org.state in services.EDITABLE_STATES and request.org_role == Membership.Role.ADMIN
    if request.method == "POST" and editable:
        form = ApplicationForm(request.POST)
        if form.is_valid():
            try:
                org = services.org_application_update(
                    org=org, user=request.user, data=form.cleaned_data
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:application", org_id=org.pk)
    else:
        form = ApplicationForm(initial=ApplicationForm.initial_from(org))
    return render(
        request,
        "console/organisation/application.html",
        org_context(
            request,
            org,
            form=form,
            editable=editable,
            upload_form=FileUploadForm(initial={"kind": services.REQUIRED_FILE[org.category]}),
            files=org.files.filter(renewal__isnull=True),
            required_kind=QualificationFile.Kind(services.REQUIRED_FILE[org.category]).label,
            max_mb=services.FILE_MAX_BYTES // (1024 * 1024),
        ),
    )


@with_org(admin=True)
@require_POST
def file_upload_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    form = FileUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.org_file_add(
                org=org,
                user=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("File uploaded."))
    else:
        messages.error(request, _("Choose the document and an image file."))
    return redirect(reverse("console:application", args=[org.pk]) + "#files")


@with_org(admin=True)
@require_POST
def file_delete_view(request: HttpRequest, org: Organisation, file_id: int) -> HttpResponse:
    # Another organisation's file is not found before the state of this one is checked.
    row = selectors.access_file_for_org(org=org, file_id=file_id)
    try:
        services.org_file_delete(org=org, user=request.user, file_id=row.pk)
    except QualificationFile.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("File deleted."))
    return redirect(reverse("console:application", args=[org.pk]) + "#files")


@with_org()
@require_GET
def file_image_view(request: HttpRequest, org: Organisation, file_id: int) -> HttpResponse:
    row = selectors.access_file_for_org(org=org, file_id=file_id)
    return private_file_response(row.image)


@with_org(admin=True)
@require_POST
def submit_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    try:
        services.org_submit(org=org, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        for field, errors in (exc.fields or {}).items():
            messages.error(
                request,
                f"{ApplicationForm.base_fields[field].label}: {errors[0]}"
                if field in ApplicationForm.base_fields
                else errors[0],
            )
    else:
        messages.success(request, _("Submitted. An operator will review your application."))
    return redirect("console:application", org_id=org.pk)


@with_org()
@require_GET
def endorsement_template_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    if org.category == Organisation.Category.SOCIAL_ORG:
        raise Http404
    response = HttpResponse(endorsement_template_pdf(org=org), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="endorsement-template.pdf"'
    return response


@with_org()
def dashboard_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    if org.state != Organisation.State.APPROVED:
        return redirect("console:application", org_id=org.pk)
    renewal = org.renewals.order_by("-created_at").first()
    today = local_today()
    days_left = (org.certificate_valid_until - today).days if org.certificate_valid_until else None
    return render(
        request,
        "console/organisation/dashboard.html",
        org_context(request, org, renewal=renewal, days_left=days_left),
    )


@with_org()
@require_http_methods(["GET", "POST"])
def staff_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    is_admin = request.org_role == Membership.Role.ADMIN
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            return render(
                request,
                "console/organisation/forbidden.html",
                {"error": _("Only administrators manage staff.")},
                status=403,
            )
        if form.is_valid():
            try:
                services.staff_invite(
                    org=org,
                    inviter=request.user,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("console:staff", org_id=org.pk)
    members = org.memberships.select_related("user").order_by("role", "created_at")
    invitations = org.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return render(
        request,
        "console/organisation/staff.html",
        org_context(
            request, org, form=form, members=members, invitations=invitations, role_form=RoleForm()
        ),
    )


@with_org(admin=True)
@require_POST
def staff_remove_view(request: HttpRequest, org: Organisation, membership_id: int) -> HttpResponse:
    try:
        services.staff_remove(org=org, actor=request.user, membership_id=membership_id)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the staff."))
    return redirect("console:staff", org_id=org.pk)


@with_org(admin=True)
@require_POST
def staff_role_view(request: HttpRequest, org: Organisation, membership_id: int) -> HttpResponse:
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise Http404
        services.staff_role_set(
            org=org, actor=request.user, membership_id=membership_id, role=form.cleaned_data["role"]
        )
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role changed."))
    return redirect("console:staff", org_id=org.pk)


@with_org(admin=True)
@require_POST
def invitation_revoke_view(
    request: HttpRequest, org: Organisation, invitation_id: int
) -> HttpResponse:
    invitation = selectors.access_invitation_for_org(org=org, invitation_id=invitation_id)
    try:
        services.invitation_revoke(org=org, actor=request.user, invitation_id=invitation.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console:staff", org_id=org.pk)


@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_get(token=token)
    except DomainError as exc:
        return render(
            request, "console/organisation/invitation.html", {"error": exc.message}, status=400
        )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:org-login')}?next={request.path}")
        try:
            services.invitation_accept(token=token, user=request.user)
        except DomainError as exc:
            return render(
                request,
                "console/organisation/invitation.html",
                {"invitation": invitation, "error": exc.message},
                status=400,
            )
        messages.success(
            request, _("Welcome to %(name)s.") % {"name": invitation.organisation.name}
        )
        return redirect("console:dashboard", org_id=invitation.organisation_id)
    return render(request, "console/organisation/invitation.html", {"invitation": invitation})


@with_org(admin=True)
@require_http_methods(["GET", "POST"])
def renewal_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    form = RenewalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.renewal_submit(
                org=org,
                user=request.user,
                valid_until=form.cleaned_data["valid_until"],
                uploads=[form.cleaned_data["file"]],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Sent. An operator will check the renewed certificate."))
            return redirect("console:dashboard", org_id=org.pk)
    return render(
        request,
        "console/organisation/renewal.html",
        org_context(request, org, form=form, renewals=org.renewals.order_by("-created_at")),
    )
