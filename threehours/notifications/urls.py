from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("me/inbox/", views.inbox_view, name="inbox"),
    path("me/inbox/read-all/", views.inbox_read_all_view, name="read-all"),
    path("me/inbox/<int:message_id>/read/", views.message_read_view, name="read"),
]
