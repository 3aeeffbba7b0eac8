"""Shapes of the organisation forms. The rules (lengths, codes, regions, dates) are checked by
the services, which report each field's problem back onto the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organisation, QualificationFile
from .selectors import region_children


def _region_choices(parent: str | None) -> list[tuple[str, str]]:
    return [("", "—")] + [(r.code, r.name) for r in region_children(parent=parent)]


def attach_region_selects(form: forms.Form) -> None:
    """Fill the form's province / city / district selects for the chosen values, and make a
    change load the next level's options by htmx (console:regions)."""
    source = form.data if form.is_bound else form.initial
    province = source.get("province") or None
    city = source.get("city") or None
    form.fields["province"].choices = _region_choices(None)
    form.fields["city"].choices = _region_choices(province) if province else [("", "—")]
    form.fields["district"].choices = _region_choices(city) if city else [("", "—")]
    form.fields["province"].widget.attrs.update(
        {"hx-get": "/org/regions/?level=city", "hx-target": "#id_city", "hx-trigger": "change"}
    )
    form.fields["city"].widget.attrs.update(
        {
            "hx-get": "/org/regions/?level=district",
            "hx-target": "#id_district",
            "hx-trigger": "change",
        }
    )


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=60, required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=Organisation.Category.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    address = forms.CharField(label=_("Address"), max_length=120, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=30, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    intro = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("Registered social organisations only: 18 characters."),
    )
    certificate_valid_until = forms.DateField(
        label=_("Certificate valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Registered social organisations only: the end date on the certificate."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        attach_region_selects(self)

    @staticmethod
    def initial_from(org: Organisation) -> dict:
        return {
            "name": org.name,
            "category": org.category,
            "province": org.province_id,
            "city": org.city_id,
            "district": org.district_id,
            "address": org.address,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone,
            "intro": org.intro,
            "credit_code": org.credit_code,
            "certificate_valid_until": org.certificate_valid_until,
        }

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return data


class FileUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[
            (
                QualificationFile.Kind.REGISTRATION_CERTIFICATE,
                QualificationFile.Kind.REGISTRATION_CERTIFICATE.label,
            ),
            (QualificationFile.Kind.ENDORSEMENT, QualificationFile.Kind.ENDORSEMENT.label),
            (QualificationFile.Kind.OTHER, QualificationFile.Kind.OTHER.label),
        ],
    )
    file = forms.FileField(
        label=_("Colour photo or scan (JPEG or PNG, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class RenewalForm(forms.Form):
    valid_until = forms.DateField(
        label=_("New validity end date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(
        label=_("Renewed certificate (photo or scan)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class PlacesLimitForm(forms.Form):
    places_limit = forms.IntegerField(label=_("Places limit per activity"), min_value=1)
