"""Account pages: phone-code log-in (volunteers), e-mail log-in / sign-up / verification /
password reset (organisation staff and operators), and the volunteer's "我的" pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from threehours.core.errors import DomainError
from threehours.core.forms import form_add_domain_error
from threehours.core.ratelimit import ratelimit_check
from threehours.notifications import selectors as inbox_selectors

from . import services
from .forms import (
    EmailForm,
    EmailLoginForm,
    EmailSignupForm,
    PhoneCodeForm,
    PhoneForm,
    RealNameForm,
    SetPasswordForm,
)
from .language import user_language_set
from .models import SmsCode

BACKEND = "threehours.accounts.backends.AccountBackend"
CONSOLES = {
    "org": {"layout": "layouts/console.html", "home": "console:home"},
    "ops": {"layout": "layouts/ops.html", "home": "platform_admin:home"},
}


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _code_sent_partial(request: HttpRequest, *, form: PhoneForm, purpose: str) -> HttpResponse:
    """Send a code for the form's phone; answer with the status fragment."""
    context: dict = {"sent": False}
    if form.is_valid():
        try:
            ratelimit_check(request, group="web.sms_send", rate="20/m")
            if purpose == SmsCode.Purpose.BIND:
                seconds = services.phone_bind_send(
                    user=request.user, phone=form.cleaned_data["phone"], ip=_ip(request)
                )
            else:
                seconds = services.sms_code_send(
                    phone=form.cleaned_data["phone"], purpose=purpose, ip=_ip(request)
                )
            context.update(sent=True, seconds=seconds)
        except DomainError as exc:
            context["error"] = exc.message
    else:
        context["error"] = form.errors["phone"][0]
    # Always 200: htmx swaps only successful responses, and the refusal is shown in the fragment.
    return render(request, "accounts/login_phone.html#code-status", context)


@require_http_methods(["GET", "POST"])
def phone_login_view(request: HttpRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.sms_login", rate="60/m")
            user = services.phone_login(
                phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            login(request, user, backend=BACKEND)
            return redirect(_next_url(request, "accounts:me"))
    return render(
        request, "accounts/login_phone.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def phone_login_code_view(request: HttpRequest) -> HttpResponse:
    return _code_sent_partial(request, form=PhoneForm(request.POST), purpose=SmsCode.Purpose.LOGIN)


@require_http_methods(["GET", "POST"])
def email_login_view(request: HttpRequest, console: str) -> HttpResponse:
    form = EmailLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.email_login", rate="20/m")
            user = services.email_login(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            if console == "ops" and not user.is_staff:
                form.add_error(None, _("This account is not a platform operator."))
            else:
                login(request, user, backend=BACKEND)
                return redirect(_next_url(request, CONSOLES[console]["home"]))
    return render(
        request,
        "accounts/login_email.html",
        {
            "form": form,
            "console": console,
            "layout": CONSOLES[console]["layout"],
            "next": request.GET.get("next", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def email_signup_view(request: HttpRequest) -> HttpResponse:
    form = EmailSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.signup", rate="10/h")
            user = services.email_account_register(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            return render(request, "accounts/signup_done.html", {"email": user.email})
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def email_verify_resend_view(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.verify_resend", rate="5/h")
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            services.email_verification_resend(email=form.cleaned_data["email"])
            return render(
                request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]}
            )
    return render(request, "accounts/verify_resend.html", {"form": form})


def email_verify_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_verify(token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_failed.html", {"error": exc.message}, status=400)
    return render(request, "accounts/verify_done.html", {"email": user.email})


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.password_reset", rate="5/h")
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            services.password_reset_request(email=form.cleaned_data["email"])
            return render(request, "accounts/password_reset_sent.html")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        services.password_reset_user(uidb64=uidb64, token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_failed.html", {"error": exc.message}, status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                uidb64=uidb64, token=token, password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your password was changed. Please log in."))
            return redirect("accounts:org-login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    target = (
        "accounts:org-login"
        if request.POST.get("console") == "org"
        else ("accounts:ops-login" if request.POST.get("console") == "ops" else "home")
    )
    logout(request)
    return redirect(target)


@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/me.html",
        {
            "unread": inbox_selectors.message_unread_count(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def real_name_view(request: HttpRequest) -> HttpResponse:
    form = RealNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.real_name_set(
                user=request.user,
                real_name=form.cleaned_data["real_name"],
                id_number=form.cleaned_data["id_number"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your real-name information was saved."))
            return redirect("accounts:me")
    return render(request, "accounts/real_name.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def phone_bind_view(request: HttpRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.phone_bind(
                user=request.user, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your phone number is bound."))
            return redirect(_next_url(request, "accounts:me"))
    return render(
        request, "accounts/phone_bind.html", {"form": form, "next": request.GET.get("next", "")}
    )


@login_required
@require_POST
def phone_bind_code_view(request: HttpRequest) -> HttpResponse:
    return _code_sent_partial(request, form=PhoneForm(request.POST), purpose=SmsCode.Purpose.BIND)


@require_POST
def language_set_view(request: HttpRequest) -> HttpResponse:
    """Django's language switch (cookie and redirect), which also records a logged-in user's
    choice so their pages, inbox, SMS and e-mail follow it (accounts/language.py)."""
    from django.views.i18n import set_language

    response = set_language(request)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
