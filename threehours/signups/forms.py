from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from threehours.activities.models import Activity, Question


class AnswersForm(forms.Form):
    """The activity's questions, one field `answers.<question id>` each. The rules (required,
    choices, length) are checked again by signups.services, which has the last word."""

    join_waitlist = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # 和孩子一起报名: the children ticked (`children`, ids) and the commitment box
    # (`commitment_accepted`) are read by the view as they come; signups.services decides whose
    # children they are. Their problems are shown in the family box.
    FAMILY_FIELDS = ("children", "commitment_accepted", "include_me")

    def __init__(self, *args, activity: Activity, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.family_errors: list[str] = []
        self.question_fields: list[str] = []
        for question in activity.questions.all():
            name = f"answers.{question.pk}"
            if question.kind == Question.Kind.CHOICE:
                field: forms.Field = forms.ChoiceField(
                    label=question.text,
                    choices=[(c, c) for c in question.choices],
                    required=False,
                    widget=forms.RadioSelect,
                )
            else:
                field = forms.CharField(label=question.text, required=False)
            # The service decides (one set of messages for page and API); the browser hints.
            field.question_required = question.required
            if question.required:
                field.widget.attrs["required"] = True
            self.fields[name] = field
            self.question_fields.append(name)

    def answers(self) -> dict[str, str]:
        return {
            name.split(".", 1)[1]: self.cleaned_data.get(name) or ""
            for name in self.question_fields
        }

    def add_service_errors(self, fields: dict[str, list[str]]) -> None:
        for name, problems in fields.items():
            for problem in problems:
                if name in self.FAMILY_FIELDS:
                    self.family_errors.append(problem)
                else:
                    self.add_error(name if name in self.fields else None, problem)

    def children_chosen(self) -> list[str]:
        return self.data.getlist("children") if self.is_bound else []

    def commitment_accepted(self) -> bool:
        return self.is_bound and self.data.get("commitment_accepted") in ("1", "on", "true")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the volunteer sees it)"), max_length=500, widget=forms.Textarea
    )
