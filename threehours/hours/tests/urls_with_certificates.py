"""The site's URLs, plus a stand-in for `hours:certificates` while that page (issue #15 §3, built
beside this work) is not on the branch: the revocation notice links to it. Once the real page
exists this is the site's URLconf unchanged."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import URLResolver, include, path

from config.urls import urlpatterns as site
from threehours.hours import urls as hours_urls

_names = {getattr(p, "name", None) for p in hours_urls.urlpatterns}

if "certificates" in _names:
    urlpatterns = site
else:
    urlpatterns = [
        path(
            "",
            include(
                (
                    [
                        *hours_urls.urlpatterns,
                        path("me/certificates/", lambda r: HttpResponse(), name="certificates"),
                    ],
                    "hours",
                )
            ),
        ),
        *[p for p in site if not (isinstance(p, URLResolver) and p.namespace == "hours")],
    ]
