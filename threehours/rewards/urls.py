"""Volunteers' incentive pages: the catalogue and 我的权益 (mounted at the site root)."""

from django.urls import path

from . import views

app_name = "rewards"

urlpatterns: list = [
    path("benefits/", views.catalogue_view, name="catalogue"),
    path("benefits/<int:incentive_id>/redeem/", views.redeem_view, name="redeem"),
    path("me/benefits/", views.mine_view, name="mine"),
]
