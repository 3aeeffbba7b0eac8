from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from threehours.orgs.models import Organisation
from threehours.orgs.selectors import region_children


class OrgFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *Organisation.State.choices, ("suspended", _("Suspended"))],
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All")), *Organisation.Category.choices],
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    expiring = forms.ChoiceField(
        label=_("Certificate ends within"),
        required=False,
        choices=[
            ("", _("any time")),
            ("0", _("already expired")),
            ("7", _("7 days")),
            ("30", _("30 days")),
            ("90", _("90 days")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("All"))] + [
            (r.code, r.name) for r in region_children(parent=None)
        ]


class IntegrityPeriodForm(forms.Form):
    """The integrity report's period: Asia/Shanghai days, at most a year; an empty date means
    the default period's (the last 30 days)."""

    MAX_DAYS = 366

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, default: tuple[dt.date, dt.date], **kwargs):
        super().__init__(*args, initial={"date_from": default[0], "date_to": default[1]}, **kwargs)
        self.default = default

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        date_to = cleaned.get("date_to") or self.default[1]
        date_from = cleaned.get("date_from") or date_to - (self.default[1] - self.default[0])
        if date_from > date_to:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        if (date_to - date_from).days >= self.MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)s days.") % {"days": self.MAX_DAYS}
            )
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for, or the default one when the form is empty or invalid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return self.default
