"""The organisation console's base: the log-in it asks for, the organisation context every
page renders with, and `with_org`, the decorator that loads the URL's organisation for its
staff (404 for anyone else, so another organisation's ids reveal nothing)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import render

from threehours.core.errors import DomainError, NotFound
from threehours.core.timeutil import local_today
from threehours.orgs import selectors, services
from threehours.orgs.errors import OrgSuspended
from threehours.orgs.models import Membership, Organisation

console_login_required = login_required(login_url="accounts:org-login")


def with_org(*, admin: bool = False):
    """Load the URL's organisation for the logged-in staff member (404 for others; a suspended
    organisation shows its notice). The view's own `access_*` fetches that raise NotFound
    (another organisation's activity, registration...) answer 404 too."""

    def decorator(view):
        @console_login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org_id: int, *args, **kwargs):
            try:
                org = selectors.access_org_for_staff(user=request.user, org_id=org_id, admin=admin)
            except NotFound as exc:
                raise Http404 from exc
            except OrgSuspended:
                org = selectors.access_org_for_staff(
                    user=request.user, org_id=org_id, allow_suspended=True
                )
                return render(
                    request, "console/organisation/suspended.html", {"org": org}, status=403
                )
            except DomainError as exc:
                return render(
                    request,
                    "console/organisation/forbidden.html",
                    {"error": exc.message},
                    status=403,
                )
            request.org = org
            request.org_role = services.role_of(user=request.user, org=org)
            try:
                return view(request, org, *args, **kwargs)
            except NotFound as exc:
                raise Http404 from exc

        return wrapper

    return decorator


def org_context(request: HttpRequest, org: Organisation, **extra) -> dict:
    """What every console page of an organisation renders with: the organisation, the
    user's role in it and whether it may publish today, plus the page's own `extra`."""
    return {
        "org": org,
        "role": getattr(request, "org_role", None),
        "is_admin": getattr(request, "org_role", None) == Membership.Role.ADMIN,
        "can_publish": org.can_publish_on(local_today()),
        **extra,
    }
