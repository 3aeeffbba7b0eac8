from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from threehours.core.errors import InvalidInput

from . import selectors, services


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.message_page(user=request.user, limit=20, cursor=request.GET.get("cursor"))
    except InvalidInput as exc:  # a cursor that this page did not hand out
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    template = "notifications/inbox.html#page" if request.htmx else "notifications/inbox.html"
    return render(request, template, {"page": page})


@login_required
@require_POST
def message_read_view(request: HttpRequest, message_id: int) -> HttpResponse:
    if not services.message_mark_read(user=request.user, message_id=message_id):
        raise Http404
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_read_all_view(request: HttpRequest) -> HttpResponse:
    services.message_mark_all_read(user=request.user)
    return redirect("notifications:inbox")
