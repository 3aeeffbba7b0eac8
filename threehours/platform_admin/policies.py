"""Operator pages of issue #16 §1: the versions of the user agreement and the privacy policy,
writing a new version (Markdown, with a preview) and publishing it. Published versions are
read-only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.accounts import services
from threehours.accounts.models import PolicyDocument
from threehours.core.errors import DomainError
from threehours.core.markdown import markdown_html

from .views import operator_required


def _document(policy_id: int) -> PolicyDocument:
    document = PolicyDocument.objects.filter(pk=policy_id).first()
    if document is None:
        raise Http404
    return document


@operator_required
@require_GET
def policy_list_view(request: HttpRequest) -> HttpResponse:
    documents = PolicyDocument.objects.order_by("kind", "-version").only(
        "kind", "version", "title", "changes", "published_at", "created_at"
    )
    groups = [
        {
            "kind": kind,
            "label": label,
            "versions": [d for d in documents if d.kind == kind],
        }
        for kind, label in PolicyDocument.Kind.choices
    ]
    current = {}
    for group in groups:
        published = [d for d in group["versions"] if d.published_at is not None]
        current[group["kind"]] = max(published, key=lambda d: d.version) if published else None
        group["current"] = current[group["kind"]]
        group["draft"] = next((d for d in group["versions"] if d.published_at is None), None)
    return render(request, "platform_admin/policy_list.html", {"groups": groups})


@operator_required
@require_POST
def policy_new_view(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        draft = services.policy_draft(kind=kind, user=request.user)
    except DomainError as exc:
        raise Http404 from exc
    return redirect("platform_admin:policy-edit", policy_id=draft.pk)


@operator_required
@require_http_methods(["GET", "POST"])
def policy_edit_view(request: HttpRequest, policy_id: int) -> HttpResponse:
    document = _document(policy_id)
    errors: dict[str, list[str]] = {}
    error = ""
    data = {
        "title": document.title,
        "body_markdown": document.body_markdown,
        "changes": document.changes,
    }
    if request.method == "POST":
        data = {key: request.POST.get(key, "") for key in data}
        if request.POST.get("preview"):
            pass  # shown below, nothing saved
        else:
            try:
                services.policy_draft_save(
                    document=document,
                    title=data["title"],
                    body=data["body_markdown"],
                    changes=data["changes"],
                    user=request.user,
                )
            except DomainError as exc:
                errors, error = exc.fields or {}, exc.message
            else:
                messages.success(request, _("The draft was saved."))
                return redirect("platform_admin:policy-edit", policy_id=document.pk)
    return render(
        request,
        "platform_admin/policy_edit.html",
        {
            "document": document,
            "data": data,
            "errors": errors,
            "error": error,
            "preview": markdown_html(data["body_markdown"]),
            "read_only": document.published_at is not None,
        },
    )


@operator_required
@require_POST
def policy_publish_view(request: HttpRequest, policy_id: int) -> HttpResponse:
    document = _document(policy_id)
    try:
        services.policy_publish(document=document, user=request.user)
    except DomainError as exc:
        text = " ".join(m for ms in (exc.fields or {}).values() for m in ms) or exc.message
        messages.error(request, text)
        return redirect("platform_admin:policy-edit", policy_id=document.pk)
    messages.success(
        request,
        _("Version %(version)s is in force: users are asked to agree at their next log-in.")
        % {"version": document.version},
    )
    return redirect("platform_admin:policy-list")


urlpatterns = [
    path("policies/", policy_list_view, name="policy-list"),
    path("policies/new/<str:kind>/", policy_new_view, name="policy-new"),
    path("policies/<int:policy_id>/", policy_edit_view, name="policy-edit"),
    path("policies/<int:policy_id>/publish/", policy_publish_view, name="policy-publish"),
]
