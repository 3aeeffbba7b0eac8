"""Each person's language (issue #13 §5): the language switch records it on the user, every page
they see while logged in is shown in it (on any device, from their first page after log-in), and
everything written to them later (inbox, SMS, e-mail) is written in it, whoever caused it.
Anonymous visitors keep Django's language cookie alone."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from .models import User


def language_supported(code: str | None) -> str | None:
    """`code` when it is one of the site's languages (LANGUAGES), else None."""
    return code if code in dict(settings.LANGUAGES) else None


def user_language_set(*, user: User, language: str) -> bool:
    """Record `language` as the language `user` reads. Returns False (and changes nothing) when
    it is not one of the site's languages."""
    if not language_supported(language):
        return False
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return True


def user_language(user) -> str:
    """The language to write to `user` in: theirs, or the site's default."""
    return language_supported(getattr(user, "language", None)) or settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """After authentication: a logged-in user sees pages in their own language, whatever the
    browser's cookie or Accept-Language said (a user who has none yet follows the browser, and
    a browser language other than the default becomes theirs), and the cookie is brought in
    line so the next anonymous page (after log-out) stays in it. Requests without a session
    touch no table."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if not user.language:
            # Not chosen yet: the page follows the browser, as before log-in; a language other
            # than the default is what they read, so messages are written in it from now on.
            browser = language_supported(getattr(request, "LANGUAGE_CODE", None))
            if browser and browser != settings.LANGUAGE_CODE:
                user_language_set(user=user, language=browser)
            else:
                return self.get_response(request)
        language = user_language(user)
        if language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        name = settings.LANGUAGE_COOKIE_NAME
        language = user_language(user)  # the switch may just have changed it
        if name not in response.cookies and request.COOKIES.get(name) != language:
            response.set_cookie(
                name,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
