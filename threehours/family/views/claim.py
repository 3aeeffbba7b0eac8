"""领取你的公益记录: a person kept as 小宝 takes over the record at 18 (issue #14 §4)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from threehours.core.errors import DomainError
from threehours.core.forms import form_add_domain_error
from threehours.core.ratelimit import ratelimit_check

from ..services.claim import (
    CLAIM_RATE,
    CLAIM_RATE_GROUP,
    claim_account_is_empty,
    record_claim,
)

# The session backend of the pages (accounts.backends, settings.AUTHENTICATION_BACKENDS).
BACKEND = "threehours.accounts.backends.AccountBackend"


class ClaimForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("Your resident ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "This is my own ID number. Take over my record into this account; this account's "
            "log-in stays the same phone number."
        ),
        error_messages={"required": gettext_lazy("Please confirm that the number is your own.")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_view(request: HttpRequest) -> HttpResponse:
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group=CLAIM_RATE_GROUP, rate=CLAIM_RATE, key="user")
            claimed = record_claim(user=request.user, id_number=form.cleaned_data["id_number"])
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            # The account the session belonged to no longer exists: log in as the record's
            # own account (login() gives the session a new key).
            login(request, claimed, backend=BACKEND)
            messages.success(
                request,
                _("Your record is yours now: your hours and activities are under 我的公益时."),
            )
            return redirect("reporting:my-hours")
    return render(
        request,
        "family/claim_record.html",
        {"form": form, "account_usable": claim_account_is_empty(request.user)},
    )


urlpatterns: list = [path("me/claim/", claim_view, name="claim")]
