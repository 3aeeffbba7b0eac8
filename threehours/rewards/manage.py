"""The staff pages of an incentive catalogue, shared by the operators' console (platform
incentives, /ops/incentives/) and an organisation's console (its own, /org/<id>/incentives/).
The caller checks who is there and passes a `Place`: its layout, its organisation (None for the
platform), its context, how its URLs are named, and whether the user may change things."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from threehours.accounts.identity import staff_phone
from threehours.core.errors import DomainError, InvalidInput

from . import selectors, services
from .forms import CodesForm, IncentiveForm
from .models import Incentive


@dataclass
class Place:
    layout: str
    org: object | None
    url: Callable[..., str]  # url("incentive-detail", incentive.pk)
    can_edit: bool
    context: dict = field(default_factory=dict)


def _page(request: HttpRequest, place: Place, template: str, **extra) -> HttpResponse:
    return render(
        request,
        template,
        {
            **place.context,
            "layout": place.layout,
            "place": place,
            "can_edit": place.can_edit,
            **extra,
        },
    )


def _form_errors(form, exc: DomainError) -> None:
    if isinstance(exc, InvalidInput) or exc.fields:
        for name, texts in (exc.fields or {}).items():
            for text in texts:
                form.add_error(name if name in form.fields else None, text)
    if not exc.fields:
        form.add_error(None, exc.message)


def manage_list(request: HttpRequest, place: Place) -> HttpResponse:
    rows = [
        (i, place.url("incentive-detail", i.pk)) for i in selectors.incentives_of(org=place.org)
    ]
    return _page(
        request,
        place,
        "rewards/manage_list.html",
        rows=rows,
        create_url=place.url("incentive-create"),
    )


def manage_create(request: HttpRequest, place: Place) -> HttpResponse:
    form = IncentiveForm(request.POST or None)
    if request.method == "POST" and place.can_edit and form.is_valid():
        try:
            incentive = services.incentive_create(
                data=form.data_out(), actor=request.user, organisation=place.org
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved as a draft. Add codes, then activate it."))
            return redirect(place.url("incentive-detail", incentive.pk))
    return _page(request, place, "rewards/manage_form.html", form=form)


def manage_detail(request: HttpRequest, place: Place, incentive: Incentive) -> HttpResponse:
    form = IncentiveForm(request.POST or None, initial=IncentiveForm.initial_of(incentive))
    if request.method == "POST" and place.can_edit and form.is_valid():
        try:
            services.incentive_update(incentive=incentive, data=form.data_out(), actor=request.user)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(place.url("incentive-detail", incentive.pk))
    redemptions = list(selectors.redemptions_of_incentive(incentive=incentive)[:200])
    return _page(
        request,
        place,
        "rewards/manage_detail.html",
        incentive=incentive,
        form=form,
        codes_form=CodesForm(),
        redemptions=redemptions,
        redeemed_count=incentive.stock - incentive.stock_left,
        urls={
            name.replace("-", "_"): place.url(name, incentive.pk)
            for name in (
                "incentive-detail",
                "incentive-codes",
                "incentive-activate",
                "incentive-close",
                "incentive-export-csv",
                "incentive-export-xlsx",
            )
        },
    )


def manage_codes(request: HttpRequest, place: Place, incentive: Incentive) -> HttpResponse:
    form = CodesForm(request.POST, request.FILES)
    if not place.can_edit:
        messages.error(request, _("Only the organisation's administrators can do this."))
    elif form.is_valid():
        try:
            if form.cleaned_data.get("generate"):
                count = services.codes_generate(
                    incentive=incentive, count=form.cleaned_data["generate"], actor=request.user
                )
            else:
                text = "\n".join([form.cleaned_data.get("text") or "", form.cleaned_data["file"]])
                count = services.codes_add(
                    incentive=incentive, codes=services.codes_parse(text), actor=request.user
                )
        except DomainError as exc:
            for texts in (exc.fields or {"": [exc.message]}).values():
                for text in texts:
                    messages.error(request, text)
        else:
            messages.success(request, _("%(count)s codes added.") % {"count": count})
    else:
        for texts in form.errors.values():
            for text in texts:
                messages.error(request, text)
    return redirect(place.url("incentive-detail", incentive.pk))


def manage_state(
    request: HttpRequest, place: Place, incentive: Incentive, action: str
) -> HttpResponse:
    if not place.can_edit:
        messages.error(request, _("Only the organisation's administrators can do this."))
        return redirect(place.url("incentive-detail", incentive.pk))
    try:
        if action == "activate":
            services.incentive_activate(incentive=incentive, actor=request.user)
            messages.success(request, _("Active: volunteers can redeem it now."))
        else:
            services.incentive_close(incentive=incentive, actor=request.user)
            messages.success(request, _("Closed: nobody can redeem it any more."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(place.url("incentive-detail", incentive.pk))


def export_rows(*, incentive: Incentive) -> tuple[list[tuple[str, int]], list[list]]:
    """The redemptions of an incentive for a spreadsheet: (header, width) pairs and rows. Phone
    numbers masked, closed accounts named 已注销用户 (docs/privacy.md)."""
    header = [
        (_("Redeemed at"), 18),
        (_("Volunteer"), 16),
        (_("Real name"), 12),
        (_("Phone"), 14),
        (_("Code"), 20),
        (_("Code expires"), 18),
        (_("Limit period"), 10),
    ]
    rows = [
        [
            r.created_at,
            r.volunteer.display_name,
            "" if r.volunteer.is_closed else r.volunteer.real_name,
            staff_phone(r.volunteer),
            r.code.code,
            r.expires_at,
            r.period_key,
        ]
        for r in selectors.redemptions_of_incentive(incentive=incentive).iterator()
    ]
    return header, rows
