from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ChildAddForm(forms.Form):
    name = forms.CharField(
        label=_("Child's name"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("Child's resident ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    consent = forms.BooleanField(
        label=_("I am the child's guardian and I agree to the processing described above."),
        required=True,
        error_messages={
            "required": _(
                "Please read and confirm the consent for your child's personal information."
            )
        },
    )


class InvitationAcceptForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I am the child's guardian and I agree to the processing described above."),
        required=True,
        error_messages={
            "required": _(
                "Please read and confirm the consent for your child's personal information."
            )
        },
    )


class GuardianInviteForm(forms.Form):
    phone = forms.CharField(
        label=_("The other guardian's phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class PortraitForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("A clear photo of the child's face, JPEG or PNG, at most 8 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
