from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Incentive
from .services import CODE_VALID_DAYS_MAX, HOURS_MAX, STOCK_MAX, IncentiveData

CODES_FILE_MAX = 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"


class IncentiveForm(forms.Form):
    title = forms.CharField(label=_("Benefit"), max_length=80)
    partner = forms.CharField(label=_("Partner"), max_length=80)
    description = forms.CharField(
        label=_("What the volunteer gets"),
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
    )
    hours_required = forms.DecimalField(
        label=_("Service hours required"),
        min_value=0,
        max_value=HOURS_MAX,
        max_digits=7,
        decimal_places=1,
    )
    valid_from = forms.DateField(label=_("Redeemable from"), widget=DateInput(format="%Y-%m-%d"))
    valid_until = forms.DateField(label=_("Redeemable until"), widget=DateInput(format="%Y-%m-%d"))
    code_valid_days = forms.IntegerField(
        label=_("A code is valid for (days)"),
        min_value=1,
        max_value=CODE_VALID_DAYS_MAX,
        initial=30,
    )
    per_volunteer_limit = forms.ChoiceField(
        label=_("Limit per volunteer"), choices=Incentive.Limit.choices
    )
    requires_real_name = forms.BooleanField(
        label=_("Issued in the volunteer's real name (e.g. insurance)"), required=False
    )

    def data_out(self) -> IncentiveData:
        return IncentiveData(**self.cleaned_data)

    @classmethod
    def initial_of(cls, incentive: Incentive) -> dict:
        return {name: getattr(incentive, name) for name in cls.base_fields}


class CodesForm(forms.Form):
    text = forms.CharField(
        label=_("Codes (one per line, or separated by commas)"),
        required=False,
        max_length=2_000_000,
        widget=forms.Textarea({"rows": 4}),
    )
    file = forms.FileField(label=_("…or a text / CSV file"), required=False)
    generate = forms.IntegerField(
        label=_("…or generate this many codes"), required=False, min_value=1, max_value=STOCK_MAX
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return ""
        if upload.size > CODES_FILE_MAX:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file must be UTF-8 text.")) from exc

    def clean(self):
        data = super().clean()
        if not (data.get("text") or data.get("file") or data.get("generate")):
            raise forms.ValidationError(
                _("Paste codes, choose a file or say how many to generate.")
            )
        return data
