"""Account pages: phone-code log-in (volunteers), e-mail log-in / sign-up / verification /
password reset (organisation staff and operators), and the volunteer's "我的" pages."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from threehours.core.errors import DomainError
from threehours.core.forms import form_add_domain_error
from threehours.core.markdown import markdown_html
from threehours.core.ratelimit import ratelimit_check
from threehours.notifications import selectors as inbox_selectors

from . import consent, services
from .errors import AccountClosing, ConsentRequired
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
from .models import Consent, SmsCode, User

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


_CLOSING_KEY = "accounts.closing_login"
_CLOSING_SECONDS = 300


def _login_context(request: HttpRequest, exc: DomainError | None) -> dict:
    """What the log-in pages show about consent and closing after a refusal."""
    context: dict = {"agree": request.POST.get("agree") == "on"}
    if isinstance(exc, ConsentRequired):
        context["consent_changes"] = [
            policy for policy in getattr(exc, "changes", []) if policy.version > 1
        ]
        context["consent_needed"] = True
    if isinstance(exc, AccountClosing):
        # The person proved who they are: keep that for the one next step (cancel and log in).
        request.session[_CLOSING_KEY] = {
            "user": exc.user_id,  # type: ignore[attr-defined]
            "agree": context["agree"],
            "until": time.time() + _CLOSING_SECONDS,
        }
        context["offer_cancel_closing"] = True
    return context


def _closing_cancel_pending(request: HttpRequest):
    """The 撤销注销并登录 button: log in the person kept in the session a moment ago.
    Returns the user, a DomainError, or None when there is nothing (left) to cancel."""
    pending = request.session.pop(_CLOSING_KEY, None)
    if not pending or pending.get("until", 0) < time.time():
        return None
    try:
        return services.closing_cancel_login(
            user_id=pending["user"],
            agree=pending["agree"] or request.POST.get("agree") == "on",
            ip=_ip(request),
        )
    except DomainError as exc:
        return exc


@require_http_methods(["GET", "POST"])
def phone_login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("cancel_closing"):
        result = _closing_cancel_pending(request)
        if isinstance(result, User):
            login(request, result, backend=BACKEND)
            messages.success(request, _("The closing of your account was cancelled."))
            return redirect(_next_url(request, "accounts:me"))
        form = PhoneCodeForm()
        if isinstance(result, DomainError):
            form.add_error(None, result.message)
        return render(request, "accounts/login_phone.html", {"form": form, "next": ""})
    form = PhoneCodeForm(request.POST or None)
    context: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.sms_login", rate="60/m")
            user = services.phone_login(
                phone=form.cleaned_data["phone"],
                code=form.cleaned_data["code"],
                agree=request.POST.get("agree") == "on",
                ip=_ip(request),
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
            context = _login_context(request, exc)
        else:
            login(request, user, backend=BACKEND)
            return redirect(_next_url(request, "accounts:me"))
    return render(
        request,
        "accounts/login_phone.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", ""), **context},
    )


@require_POST
def phone_login_code_view(request: HttpRequest) -> HttpResponse:
    return _code_sent_partial(request, form=PhoneForm(request.POST), purpose=SmsCode.Purpose.LOGIN)


@require_http_methods(["GET", "POST"])
def email_login_view(request: HttpRequest, console: str) -> HttpResponse:
    home = CONSOLES[console]["home"]
    if request.method == "POST" and request.POST.get("cancel_closing"):
        result = _closing_cancel_pending(request)
        if isinstance(result, User):
            login(request, result, backend=BACKEND)
            messages.success(request, _("The closing of your account was cancelled."))
            return redirect(_next_url(request, home))
        form = EmailLoginForm()
        if isinstance(result, DomainError):
            form.add_error(None, result.message)
        context: dict = {}
    else:
        form = EmailLoginForm(request.POST or None)
        context = {}
    if request.method == "POST" and form.is_bound and form.is_valid():
        try:
            ratelimit_check(request, group="web.email_login", rate="20/m")
            user = services.email_login(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                agree=request.POST.get("agree") == "on",
                ip=_ip(request),
                # The operator log-in is for staff (checked below), who are exempt.
                require_consent=console != "ops",
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
            context = _login_context(request, exc)
        else:
            if console == "ops" and not user.is_staff:
                form.add_error(None, _("This account is not a platform operator."))
            else:
                login(request, user, backend=BACKEND)
                return redirect(_next_url(request, home))
    return render(
        request,
        "accounts/login_email.html",
        {
            "form": form,
            "console": console,
            "layout": CONSOLES[console]["layout"],
            "next": request.POST.get("next") or request.GET.get("next", ""),
            **context,
        },
    )


@require_http_methods(["GET", "POST"])
def email_signup_view(request: HttpRequest) -> HttpResponse:
    form = EmailSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit_check(request, group="web.signup", rate="10/h")
            user = services.email_account_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                agree=request.POST.get("agree") == "on",
                ip=_ip(request),
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            return render(request, "accounts/signup_done.html", {"email": user.email})
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "agree": request.POST.get("agree") == "on"},
    )


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
            "consents": consent.consents_of(request.user),
            "withdrawable": consent.SEPARATE_KINDS,
        },
    )


@login_required
@require_POST
def consent_withdraw_view(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        consent.consent_withdraw(user=request.user, kind=kind)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your consent was withdrawn."))
    return redirect("accounts:me")


@login_required
@require_http_methods(["GET", "POST"])
def real_name_view(request: HttpRequest) -> HttpResponse:
    form = RealNameForm(request.POST or None)
    consent_error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.real_name_set(
                user=request.user,
                real_name=form.cleaned_data["real_name"],
                id_number=form.cleaned_data["id_number"],
                consent=request.POST.get("consent") == "on",
                ip=_ip(request),
            )
        except ConsentRequired as exc:
            consent_error = (exc.fields or {}).get("consent", [exc.message])[0]
            form.add_error(None, exc.message)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your real-name information was saved."))
            return redirect("accounts:me")
    return render(
        request,
        "accounts/real_name.html",
        {
            "form": form,
            "consent_screen": consent.consent_screen(Consent.Kind.ID_NUMBER),
            "consent_given": consent.has_consent(request.user, Consent.Kind.ID_NUMBER),
            "consent_checked": request.POST.get("consent") == "on",
            "consent_error": consent_error,
        },
    )


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


def _policy_view(request: HttpRequest, kind: str) -> HttpResponse:
    """The user agreement or the privacy policy: the version in force, or `?version=N`, with
    the list of published versions and their dates. Public."""
    raw = request.GET.get("version", "")
    version = int(raw) if raw.isdigit() and len(raw) < 6 else None
    if raw and version is None:
        raise Http404
    document = consent.policy_published(kind=kind, version=version)
    if document is None:
        raise Http404
    versions = consent.policy_versions(kind=kind)
    return render(
        request,
        "accounts/policy.html",
        {
            "document": document,
            "body": markdown_html(document.body_markdown),
            "versions": versions,
            "is_current": bool(versions) and versions[0].version == document.version,
            "url_name": f"accounts:{kind}",
        },
    )


def terms_view(request: HttpRequest) -> HttpResponse:
    return _policy_view(request, "terms")


def privacy_view(request: HttpRequest) -> HttpResponse:
    return _policy_view(request, "privacy")
