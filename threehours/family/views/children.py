"""我的小宝: the guardian's pages for their children (issue #14 §1). Thin views: the rules live
in family.services and family.rules; another family's child is a 404 on every page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from threehours.accounts.models import User
from threehours.core.errors import DomainError, NotFound
from threehours.core.forms import domain_error_text, form_add_domain_error
from threehours.core.storage import private_file_response
from threehours.core.timeutil import local_today

from .. import selectors, services
from ..forms import ChildAddForm, GuardianInviteForm, InvitationAcceptForm, PortraitForm
from ..rules import CHILD_CONSENT_VERSION, GUARDIAN_MIN_AGE, guardian_age_ok


def _child_or_404(request: HttpRequest, child_id: int) -> User:
    try:
        return selectors.access_child_for_guardian(guardian=request.user, child_id=child_id)
    except NotFound as exc:
        raise Http404 from exc


def _cannot_add_reason(user: User) -> str:
    """Why `user` cannot add children now ("" when they can): the rule is rules.guardian_age_ok;
    this only names which part of it fails, for the page."""
    if guardian_age_ok(user.birth_date, local_today()):
        return ""
    return "no_real_name" if user.birth_date is None else "too_young"


def _consent_context() -> dict:
    return {
        "consent_version": CHILD_CONSENT_VERSION,
        "retention_days": settings.CHILD_PHOTO_RETENTION_DAYS,
    }


def _children_page(
    request: HttpRequest, *, accept_forms: dict | None = None, status: int = 200
) -> HttpResponse:
    today = local_today()
    children = selectors.children_with_guardians(guardian=request.user)
    for child in children:
        child.age = child.age_on(today)
    invitations = list(selectors.invitations_for_user(user=request.user))
    accept_forms = accept_forms or {}
    for invitation in invitations:
        invitation.form = accept_forms.get(invitation.pk) or InvitationAcceptForm(
            prefix=f"inv{invitation.pk}"
        )
        invitation.child.age = invitation.child.age_on(today)
    return render(
        request,
        "family/children.html",
        {
            "children": children,
            "invitations": invitations,
            "cannot_add": _cannot_add_reason(request.user),
            "min_age": GUARDIAN_MIN_AGE,
            **_consent_context(),
        },
        status=status,
    )


@login_required
def children_view(request: HttpRequest) -> HttpResponse:
    return _children_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def child_add_view(request: HttpRequest) -> HttpResponse:
    form = ChildAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_add(
                guardian=request.user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                consent=form.cleaned_data["consent"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": child.real_name})
            return redirect("family:children")
    return render(
        request,
        "family/child_add.html",
        {
            "form": form,
            "cannot_add": _cannot_add_reason(request.user),
            "min_age": GUARDIAN_MIN_AGE,
            **_consent_context(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _child_page(
    request: HttpRequest,
    child: User,
    *,
    invite_form: GuardianInviteForm | None = None,
    portrait_form: PortraitForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    child.age = child.age_on(local_today())
    guardians = selectors.guardians_of(child=child)
    return render(
        request,
        "family/child.html",
        {
            "child": child,
            "guardians": guardians,
            "guardians_full": len(guardians) >= services.guardians.MAX_GUARDIANS,
            "invitations": selectors.pending_invitations_of_child(child=child),
            "portrait": selectors.portrait_of(child=child),
            "invite_form": invite_form or GuardianInviteForm(),
            "portrait_form": portrait_form or PortraitForm(),
            "error": error,
        },
        status=status,
    )


@login_required
def child_view(request: HttpRequest, child_id: int) -> HttpResponse:
    return _child_page(request, _child_or_404(request, child_id))


@login_required
@require_POST
def child_portrait_upload_view(request: HttpRequest, child_id: int) -> HttpResponse:
    child = _child_or_404(request, child_id)
    form = PortraitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.child_portrait_set(
                guardian=request.user, child=child, upload=form.cleaned_data["photo"]
            )
        except DomainError as exc:
            form.add_error("photo", domain_error_text(exc))
        else:
            messages.success(request, _("The photo was saved."))
            return redirect("family:child", child_id=child.pk)
    return _child_page(request, child, portrait_form=form, status=400)


@login_required
@require_POST
def child_portrait_remove_view(request: HttpRequest, child_id: int) -> HttpResponse:
    child = _child_or_404(request, child_id)
    if services.child_portrait_remove(guardian=request.user, child=child):
        messages.success(request, _("The photo was removed."))
    return redirect("family:child", child_id=child.pk)


@login_required
def child_portrait_view(request: HttpRequest, child_id: int) -> HttpResponse:
    """The child's photo, for the child's current guardians only (404 for anyone else)."""
    child = _child_or_404(request, child_id)
    portrait = selectors.portrait_of(child=child)
    if portrait is None:
        raise Http404
    return private_file_response(portrait.image)


@login_required
@require_POST
def guardian_invite_view(request: HttpRequest, child_id: int) -> HttpResponse:
    child = _child_or_404(request, child_id)
    form = GuardianInviteForm(request.POST)
    if form.is_valid():
        try:
            services.guardian_invite(
                guardian=request.user, child=child, phone=form.cleaned_data["phone"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("The invitation was sent. It waits 7 days for an answer."),
            )
            return redirect("family:child", child_id=child.pk)
    return _child_page(request, child, invite_form=form, status=400)


@login_required
@require_POST
def guardian_invitation_cancel_view(
    request: HttpRequest, child_id: int, invitation_id: int
) -> HttpResponse:
    child = _child_or_404(request, child_id)
    invitation = (
        selectors.pending_invitations_of_child(child=child).filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise Http404
    try:
        services.guardian_invitation_cancel(guardian=request.user, invitation=invitation)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation was withdrawn."))
    return redirect("family:child", child_id=child.pk)


@login_required
@require_POST
def child_remove_view(request: HttpRequest, child_id: int) -> HttpResponse:
    child = _child_or_404(request, child_id)
    try:
        services.child_remove(guardian=request.user, child=child)
    except DomainError as exc:
        return _child_page(request, child, error=exc.message, status=409)
    messages.success(request, _("%(name)s was removed.") % {"name": child.real_name})
    return redirect("family:children")


@login_required
@require_POST
def invitation_accept_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    form = InvitationAcceptForm(request.POST, prefix=f"inv{invitation_id}")
    consent = form.is_valid() and form.cleaned_data["consent"]
    try:
        link = services.guardian_invitation_accept(
            user=request.user, invitation=invitation_id, consent=consent
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        # The form has already said that the box is not ticked; other refusals are added.
        if not (form.errors and exc.code == "consent_required"):
            form_add_domain_error(form, exc)
        return _children_page(request, accept_forms={invitation_id: form}, status=400)
    messages.success(
        request, _("You are now a guardian of %(name)s.") % {"name": link.child.real_name}
    )
    return redirect("family:children")


@login_required
@require_POST
def invitation_decline_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        services.guardian_invitation_decline(user=request.user, invitation=invitation_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation was declined."))
    return redirect("family:children")


urlpatterns = [
    path("me/children/", children_view, name="children"),
    path("me/children/add/", child_add_view, name="child-add"),
    path("me/children/<int:child_id>/", child_view, name="child"),
    path("me/children/<int:child_id>/photo/", child_portrait_view, name="child-photo"),
    path(
        "me/children/<int:child_id>/photo/upload/",
        child_portrait_upload_view,
        name="child-photo-upload",
    ),
    path(
        "me/children/<int:child_id>/photo/remove/",
        child_portrait_remove_view,
        name="child-photo-remove",
    ),
    path("me/children/<int:child_id>/invite/", guardian_invite_view, name="guardian-invite"),
    path(
        "me/children/<int:child_id>/invitations/<int:invitation_id>/cancel/",
        guardian_invitation_cancel_view,
        name="invitation-cancel",
    ),
    path("me/children/<int:child_id>/remove/", child_remove_view, name="child-remove"),
    path(
        "me/invitations/<int:invitation_id>/accept/",
        invitation_accept_view,
        name="invitation-accept",
    ),
    path(
        "me/invitations/<int:invitation_id>/decline/",
        invitation_decline_view,
        name="invitation-decline",
    ),
]
