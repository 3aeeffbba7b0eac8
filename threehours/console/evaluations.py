"""Console pages of issue #15 §2: staff evaluate each person an activity credited (服务评价),
registrants and the children on their registrations, one small form per row. Their paths are
listed in `urlpatterns` here and put before the activity catch-all by console/urls.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from threehours.activities import selectors as activity_selectors
from threehours.core.errors import DomainError, InvalidInput
from threehours.hours import evaluations
from threehours.hours.models import ServiceEvaluation
from threehours.orgs.models import Organisation
from threehours.signups import selectors as signup_selectors

from .base import org_context, with_org


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(
        label=gettext_lazy("Evaluation"),
        choices=ServiceEvaluation.Grade.choices,
        widget=forms.RadioSelect,
    )
    # Length and content are the service's to check (one message for page and API).
    text = forms.CharField(
        label=gettext_lazy("Comment (the volunteer sees it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": ServiceEvaluation.TEXT_MAX}),
    )
    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


@with_org()
def activity_evaluations_view(
    request: HttpRequest, org: Organisation, activity_id: int
) -> HttpResponse:
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    people = evaluations.credited_people_of_activity(activity=activity)
    for row in people:
        e = row["evaluation"]
        row["form"] = EvaluationForm(
            initial={
                "grade": e.grade if e else "",
                "text": e.text if e else "",
                "person_id": row["person"].pk,
            },
            auto_id=f"id_{row['person'].pk}_%s",
        )
        row["own"] = request.user.pk in (row["person"].pk, row["signup"].volunteer_id)
    return render(
        request,
        "console/evaluations/activity.html",
        org_context(request, org, activity=activity, people=people),
    )


@with_org()
@require_POST
def evaluation_record_view(request: HttpRequest, org: Organisation, signup_id: int) -> HttpResponse:
    signup = signup_selectors.access_signup_for_org(org=org, signup_id=signup_id)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    else:
        try:
            person = evaluations.person_on_signup(
                signup=signup, person_id=form.cleaned_data["person_id"]
            )
            evaluations.evaluation_record(
                staff=request.user,
                signup=signup,
                volunteer=person,
                grade=form.cleaned_data["grade"],
                text=form.cleaned_data["text"],
                org=org,
            )
        except InvalidInput as exc:
            messages.error(request, " ".join(m for ms in (exc.fields or {}).values() for m in ms))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Evaluation of %(name)s saved. They have been told.")
                % {"name": person.real_name or person.display_name},
            )
    return redirect("console:activity-evaluations", org_id=org.pk, activity_id=signup.activity_id)


urlpatterns: list = [
    path(
        "<int:org_id>/activities/<int:activity_id>/evaluations/",
        activity_evaluations_view,
        name="activity-evaluations",
    ),
    path(
        "<int:org_id>/registrations/<int:signup_id>/evaluation/",
        evaluation_record_view,
        name="evaluation-record",
    ),
]
