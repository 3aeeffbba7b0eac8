from django.urls import path

from . import policies, ratings, reveals, rewards, stats, users, views

app_name = "platform_admin"

urlpatterns = [
    path("", views.ops_home_view, name="home"),
    path("integrity/", views.integrity_view, name="integrity"),
    path("orgs/", views.org_list_view, name="org-list"),
    path("orgs/review/", views.review_queue_view, name="review-queue"),
    path("orgs/<int:org_id>/", views.org_detail_view, name="org-detail"),
    path("orgs/<int:org_id>/files/<int:file_id>/", views.org_file_view, name="org-file"),
    path("orgs/<int:org_id>/approve/", views.org_approve_view, name="org-approve"),
    path("orgs/<int:org_id>/reject/", views.org_reject_view, name="org-reject"),
    path("orgs/<int:org_id>/suspend/", views.org_suspend_view, name="org-suspend"),
    path("orgs/<int:org_id>/reinstate/", views.org_reinstate_view, name="org-reinstate"),
    path("orgs/<int:org_id>/places-limit/", views.org_places_limit_view, name="org-places-limit"),
    path(
        "renewals/<int:renewal_id>/<str:decision>/",
        views.renewal_decide_view,
        name="renewal-decide",
    ),
]

# Issue #15: hiding ratings, the incentive catalogue.
urlpatterns += ratings.urlpatterns + rewards.urlpatterns

# Issue #16: users (find, disable, re-enable), activities taken down, statistics, policies.
urlpatterns += users.urlpatterns + stats.urlpatterns + policies.urlpatterns

# Issue #16 §5: the phone-number reveals, for operators.
urlpatterns += reveals.urlpatterns
