"""The project's URLconf with the export URLs added to the `orgs` namespace, for the export
tests while threehours/orgs/urls.py does not include threehours.signups.export_urls yet (it is
being edited by the registration pages' work). Harmless once it does: the first match wins."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from threehours.orgs.urls import urlpatterns as org_urlpatterns
from threehours.signups.export_urls import urlpatterns as export_urlpatterns

urlpatterns = [
    path("org/", include(([*export_urlpatterns, *org_urlpatterns], "orgs"))),
    *project_urlpatterns,
]
