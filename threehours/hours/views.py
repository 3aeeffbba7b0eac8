"""我的公益时 → 公益证书 (issue #15 §3): the volunteer's certificates and the form that issues
one, for themselves or one of their children; and the download of a certificate's PDF. Rules
live in hours.certificates."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from threehours.core.errors import DomainError, NotFound
from threehours.core.ratelimit import ratelimit_check
from threehours.core.storage import private_file_response
from threehours.family.selectors import access_child_for_guardian, children_of

from .certificates import (
    access_certificate,
    certificate_issue,
    certificate_organisations,
    certificates_of,
)
from .errors import NotGuardian
from .models import Certificate

# Rendering a PDF costs CPU (tens of milliseconds, more for a long record): a person issues a
# few; a loop issuing thousands is refused.
ISSUE_RATE = "20/h"
ISSUE_RATE_GROUP = "hours.certificate_issue"

ME = "me"


class CertificateForm(forms.Form):
    holder = forms.ChoiceField(label=pgettext_lazy("certificate", "For"), widget=forms.RadioSelect)
    period = forms.ChoiceField(
        label=pgettext_lazy("certificate", "Period"),
        choices=[
            ("all", gettext_lazy("All my hours")),
            ("range", gettext_lazy("From … to …")),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )
    date_from = forms.DateField(
        label=pgettext_lazy("certificate", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("certificate", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    organisation = forms.TypedChoiceField(
        label=pgettext_lazy("certificate", "Organisation"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    language = forms.ChoiceField(
        label=pgettext_lazy("certificate", "Language"),
        choices=Certificate.Language.choices,
        initial=Certificate.Language.ZH,
        widget=forms.RadioSelect,
    )
    include_evaluations = forms.BooleanField(
        label=gettext_lazy("Include the organisations' evaluations of my service"),
        required=False,
    )

    def __init__(self, *args, children, organisations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [(ME, _("Myself"))] + [
            (str(child.pk), child.real_name) for child in children
        ]
        self.fields["organisation"].choices = [("", _("All organisations"))] + [
            (org.pk, org.name) for org in organisations
        ]

    def clean(self):
        data = super().clean()
        if data.get("period") == "range" and not (data.get("date_from") or data.get("date_to")):
            self.add_error("date_from", _("Choose the first day, the last day or both."))
        return data


def _issue(request: HttpRequest, form: CertificateForm, organisations) -> Certificate | None:
    data = form.cleaned_data
    try:
        ratelimit_check(request, group=ISSUE_RATE_GROUP, rate=ISSUE_RATE, key="user")
        if data["holder"] == ME:
            holder = request.user
        else:
            try:
                holder = access_child_for_guardian(
                    guardian=request.user, child_id=int(data["holder"])
                )
            except NotFound as exc:
                raise NotGuardian() from exc
        organisation = next((o for o in organisations if o.pk == data["organisation"]), None)
        ranged = data["period"] == "range"
        return certificate_issue(
            requester=request.user,
            holder=holder,
            date_from=data["date_from"] if ranged else None,
            date_to=data["date_to"] if ranged else None,
            organisation=organisation,
            language=data["language"],
            include_evaluations=data["include_evaluations"],
        )
    except DomainError as exc:
        form.refusal_status = exc.status
        placed = False
        for name, errors in (exc.fields or {}).items():
            if name in form.fields:
                for error in errors:
                    form.add_error(name, error)
                placed = True
        if not placed:
            form.add_error(None, exc.message)
        return None


@login_required
def certificates_view(request: HttpRequest) -> HttpResponse:
    """The list of my certificates (and my children's) and the form that issues one."""
    children = list(children_of(guardian=request.user))
    organisations = certificate_organisations(holders=[request.user, *children])
    chosen = request.GET.get("for", "")
    form = CertificateForm(
        request.POST or None,
        children=children,
        organisations=organisations,
        initial={"holder": chosen if chosen in {str(c.pk) for c in children} else ME},
    )
    if request.method == "POST" and form.is_valid():
        certificate = _issue(request, form, organisations)
        if certificate is not None:
            messages.success(
                request,
                _("Certificate %(serial)s is ready. Download it below.")
                % {"serial": certificate.serial},
            )
            return redirect(f"{request.path}?new={certificate.serial}")
    return render(
        request,
        "hours/certificates.html",
        {
            "form": form,
            "certificates": list(certificates_of(user=request.user)[:100]),
            "new": request.GET.get("new", ""),
            "has_children": bool(children),
        },
        status=getattr(form, "refusal_status", 400) if form.errors else 200,
    )


@login_required
@require_GET
def certificate_pdf_view(request: HttpRequest, serial: str) -> HttpResponse:
    """The stored PDF, to the person who asked for it or its (adult) holder; 404 for anyone
    else."""
    try:
        certificate = access_certificate(user=request.user, serial=serial)
    except NotFound as exc:
        raise Http404 from exc
    response = private_file_response(certificate.pdf)
    response["Content-Type"] = "application/pdf"
    response["Content-Disposition"] = content_disposition_header(
        True, f"certificate-{certificate.serial}.pdf"
    )
    return response


urlpatterns = [
    path("me/certificates/", certificates_view, name="certificates"),
    path("me/certificates/<str:serial>.pdf", certificate_pdf_view, name="certificate-pdf"),
]
