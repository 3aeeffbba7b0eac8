from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import REPLY_MAX, TEXT_MAX

STAR_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"), choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("How was this activity for you?"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Public reply"), max_length=REPLY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the author)"), max_length=200)
