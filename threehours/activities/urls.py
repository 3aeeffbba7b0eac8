from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list_view, name="list"),
    path("<int:activity_id>/", views.activity_detail_view, name="detail"),
    path(
        "<int:activity_id>/share-qr.svg",
        views.activity_share_qr_view,
        {"kind": "svg"},
        name="share-qr",
    ),
    path(
        "<int:activity_id>/share-qr.png",
        views.activity_share_qr_view,
        {"kind": "png"},
        name="share-qr-png",
    ),
]
