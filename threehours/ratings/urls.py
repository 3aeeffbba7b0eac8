"""Volunteers' rating pages (mounted at the site root by config/urls.py)."""

from django.urls import path

from . import views

app_name = "ratings"

urlpatterns = [
    path("activities/<int:activity_id>/rate/", views.rating_create_view, name="rate"),
    path(
        "activities/<int:activity_id>/ratings/",
        views.activity_ratings_view,
        name="activity-ratings",
    ),
    path("ratings/<int:rating_id>/edit/", views.rating_edit_view, name="edit"),
    path("ratings/<int:rating_id>/share/", views.share_card_view, name="share-card"),
    path("ratings/<int:rating_id>/share.png", views.share_card_png_view, name="share-card-png"),
    path("ratings/photos/<int:photo_id>/", views.photo_view, name="photo"),
]
