from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.views.i18n import JavaScriptCatalog

from threehours.accounts import views as account_views
from threehours.api.api import api
from threehours.core.metrics import metrics_view
from threehours.core.views import healthz_view
from threehours.signups import views as signup_views

admin.site.site_header = "threehours"
# Operators log in through the operator log-in, with its lockout and rate limits; the admin's
# own password form would bypass both.
admin.site.login = lambda request, extra_context=None: redirect_to_login(
    request.GET.get("next", "/ops/data/"), reverse("accounts:ops-login")
)

urlpatterns = [
    # First: the API takes most requests, and resolving tries the patterns in order.
    path("api/v1/", api.urls),
    path("", signup_views.home_view, name="home"),
    path("", include("threehours.attendance.urls")),
    path("activities/", include("threehours.activities.urls")),
    path("", include("threehours.signups.urls")),
    path("", include("threehours.accounts.urls")),
    path("", include("threehours.notifications.urls")),
    path("", include("threehours.reporting.urls")),
    path("", include("threehours.family.urls")),
    path("", include("threehours.hours.urls")),
    path("", include("threehours.ratings.urls")),
    path("", include("threehours.rewards.urls")),
    path("", include("threehours.privacy.urls")),
    path("org/", include("threehours.console.urls")),
    path("ops/", include("threehours.platform_admin.urls")),
    path("ops/data/", admin.site.urls),
    # The switch also records a logged-in user's choice (accounts/language.py).
    path("i18n/setlang/", account_views.language_set_view, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", healthz_view, name="healthz"),
    # Prometheus, behind THREEHOURS_METRICS_TOKEN (404 without it; core/metrics.py).
    path("metrics", metrics_view, name="metrics"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
