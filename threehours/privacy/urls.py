"""我的 → 个人信息与隐私 (issue #16 §§2–3): the data download and closing the account."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("me/privacy/", views.home_view, name="home"),
    path("me/privacy/download/", views.data_export_request_view, name="data-export-request"),
    path(
        "me/privacy/download/<int:export_id>/",
        views.data_export_file_view,
        name="data-export-file",
    ),
    path("me/privacy/close/", views.closure_view, name="closure"),
    path("me/privacy/close/cancel/", views.closure_cancel_view, name="closure-cancel"),
]
