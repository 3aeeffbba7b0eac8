from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.phone_login_view, name="login"),
    path("login/code/", views.phone_login_code_view, name="login-code"),
    path("logout/", views.logout_view, name="logout"),
    path("org/login/", views.email_login_view, {"console": "org"}, name="org-login"),
    path("ops/login/", views.email_login_view, {"console": "ops"}, name="ops-login"),
    path("org/signup/", views.email_signup_view, name="org-signup"),
    path("accounts/verify/resend/", views.email_verify_resend_view, name="email-verify-resend"),
    path("accounts/verify/<str:token>/", views.email_verify_view, name="email-verify"),
    path("accounts/password-reset/", views.password_reset_view, name="password-reset"),
    path(
        "accounts/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm_view,
        name="password-reset-confirm",
    ),
    path("terms/", views.terms_view, name="terms"),
    path("privacy/", views.privacy_view, name="privacy"),
    path("me/", views.me_view, name="me"),
    path(
        "me/consents/<str:kind>/withdraw/",
        views.consent_withdraw_view,
        name="consent-withdraw",
    ),
    path("me/real-name/", views.real_name_view, name="real-name"),
    path("me/phone/", views.phone_bind_view, name="phone-bind"),
    path("me/phone/code/", views.phone_bind_code_view, name="phone-bind-code"),
]
