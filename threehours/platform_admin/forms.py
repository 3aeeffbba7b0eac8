from __future__ import annotations

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
