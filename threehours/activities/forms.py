"""The organisation's activity form: shapes only; activities.services checks every rule and
reports each field's problem back here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from threehours.orgs.forms import attach_region_selects

from .rules import FROZEN_AFTER_CHECKIN, MAX_QUESTIONS
from .selectors import attribute_lists
from .services import EXTRA_KINDS


def _choices(options) -> list[tuple[str, str]]:
    return [(o.code, o.label) for o in options]


class ActivityForm(forms.Form):
    # Shown across the whole width of the form.
    wide_fields = (
        "title",
        "description_html",
        "regions",
        "beneficiaries",
        "skills",
        "incentives",
        "commitment",
    )

    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    description_html = forms.CharField(
        label=_("Description"),
        required=False,
        help_text=_(
            "Images are uploaded to the platform (at most 5 MB each); no payment QR codes."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    start_date = forms.CharField(
        label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.CharField(
        label=_("Last day"),
        required=False,
        help_text=_("At most 7 days; one day is recommended."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registration_deadline = forms.CharField(
        label=_("Registration ends"),
        required=False,
        help_text=_("Empty: the last activity day, so volunteers can still register that day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    checkin_time = forms.CharField(
        label=_("Daily check-in time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    checkout_time = forms.CharField(
        label=_("Daily check-out time"),
        required=False,
        help_text=_("At most 8 hours after check-in."),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    places = forms.CharField(
        label=_("Places"), required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    screening = forms.ChoiceField(
        label=_("Screening"),
        choices=[
            ("auto", _("Accept automatically")),
            ("review", _("Staff review each registration")),
        ],
        required=False,
        initial="auto",
    )
    waitlist_enabled = forms.BooleanField(
        label=_("waiting list when full"),
        required=False,
        initial=True,
        help_text=_("When a place becomes free, the first on the list gets it and is told."),
    )
    # 和孩子一起报名 (docs/product.md §6); the service turns it on for the parent-child type.
    family = forms.BooleanField(
        label=_("Parent-child activity: volunteers may register with their children"),
        required=False,
        help_text=_("Each child takes a place. Always on for the parent-child activity type."),
    )
    child_age_min = forms.CharField(
        label=_("Children from age"),
        required=False,
        help_text=_("Full years on the first day, 0 to 17; empty: no limit."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 17}),
    )
    child_age_max = forms.CharField(
        label=_("Children up to age"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 17}),
    )
    commitment = forms.CharField(
        label=_("Registration commitment"),
        required=False,
        max_length=1000,
        help_text=_(
            "What parents accept when they register children. Empty: the platform's default "
            "commitment."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fee_yuan = forms.CharField(
        label=_("Fee (yuan per person, 0 = free)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    fee_note = forms.CharField(
        label=_("How to pay"),
        required=False,
        max_length=200,
        help_text=_("Fees only cover costs and are collected on site; no payment QR codes."),
    )
    skill_requirement = forms.CharField(
        label=_("Skill requirements"), required=False, max_length=40
    )
    other_requirement = forms.CharField(
        label=_("Other requirements"), required=False, max_length=40
    )
    type = forms.ChoiceField(label=_("Activity type"), required=False)
    form = forms.ChoiceField(
        label=_("Activity form"),
        required=False,
        help_text=_(
            "An online form makes the activity online: 0.1 service hours, no check-in place."
        ),
    )
    field = forms.ChoiceField(label=_("Field"), required=False)
    # The optional attribute lists (docs/product.md §2): a form without them would save them empty.
    regions = forms.MultipleChoiceField(
        label=_("Beneficiary regions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    beneficiaries = forms.MultipleChoiceField(
        label=_("Beneficiary groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    skills = forms.MultipleChoiceField(
        label=_("Volunteer skills"), required=False, widget=forms.CheckboxSelectMultiple
    )
    incentives = forms.MultipleChoiceField(
        label=_("Incentives"), required=False, widget=forms.CheckboxSelectMultiple
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=120)
    province = forms.ChoiceField(label=_("Province"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    lat = forms.CharField(label=_("Latitude (GCJ-02)"), required=False)
    lng = forms.CharField(
        label=_("Longitude (GCJ-02)"),
        required=False,
        help_text=_("As on Chinese maps (GCJ-02), or press “Use this device's position” on site."),
    )
    coord = forms.CharField(required=False, widget=forms.HiddenInput, initial="gcj02")
    checkin_radius_m = forms.CharField(label=_("Check-in radius (m)"), required=False, initial=500)
    checkin_qr_only = forms.BooleanField(
        label=_("Check-in by QR code only"),
        required=False,
        help_text=_(
            "Volunteers must scan the door's QR code; the 4-digit code only works through the "
            "green channel"
        ),
    )
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=30)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=20)

    def __init__(self, *args, frozen: bool = False, **kwargs):
        """`frozen`: volunteers have checked in (rules.FROZEN_AFTER_CHECKIN), so those fields
        show their saved values (the form's initial) and take nothing from the request."""
        super().__init__(*args, **kwargs)
        self.frozen = frozen
        if frozen:
            # coord too: "use this device's position" would convert the saved coordinates.
            for name in (*FROZEN_AFTER_CHECKIN, "coord"):
                self.fields[name].disabled = True
        lists = attribute_lists()
        self.fields["type"].choices = [("", "—"), *_choices(lists["type"])]
        self.fields["form"].choices = [("", "—"), *_choices(lists["form"])]
        self.fields["field"].choices = [("", "—"), *_choices(lists["field"])]
        for name, kind in EXTRA_KINDS.items():
            self.fields[name].choices = _choices(lists[kind])
        # For the live preview: choosing one of these makes the activity online (0.1 h).
        self.online_forms = {o.code for o in lists["form"] if o.online}
        # Region selects as on the application form: cities and districts load by htmx.
        attach_region_selects(self)
        for i in range(1, MAX_QUESTIONS + 1):
            self.fields[f"q{i}_text"] = forms.CharField(
                label=_("Question %(n)s") % {"n": i}, required=False, max_length=60
            )
            self.fields[f"q{i}_choices"] = forms.CharField(
                label=_("Choices (comma-separated; empty for a text answer)"), required=False
            )
            self.fields[f"q{i}_required"] = forms.BooleanField(label=_("Required"), required=False)

    def service_data(self) -> dict:
        data = {
            k: v
            for k, v in self.cleaned_data.items()
            if not k.startswith("q") and k not in {"province", "city", "coord"}
        }
        if self.cleaned_data.get("coord") == "wgs84" and data.get("lat") and data.get("lng"):
            # "Use this device's position" fills WGS-84; places are stored in GCJ-02.
            from threehours.core.geo import wgs84_to_gcj02

            try:
                lat, lng = wgs84_to_gcj02(float(data["lat"]), float(data["lng"]))
            except ValueError:
                pass  # the service names the bad field
            else:
                data["lat"], data["lng"] = f"{lat:.6f}", f"{lng:.6f}"
        questions = []
        for i in range(1, MAX_QUESTIONS + 1):
            text = self.cleaned_data.get(f"q{i}_text", "").strip()
            if not text:
                continue
            choices = [
                c.strip()
                for c in self.cleaned_data.get(f"q{i}_choices", "").replace("，", ",").split(",")
                if c.strip()
            ]
            questions.append(
                {
                    "text": text,
                    "kind": "choice" if choices else "text",
                    "choices": choices,
                    "required": self.cleaned_data.get(f"q{i}_required", False),
                }
            )
        data["questions"] = questions
        return data

    def preview_values(self) -> dict:
        """The values the live preview shows, read leniently from the data typed so far (or
        the initial values): daily times, online, and the place in GCJ-02 with the title."""
        import datetime as dt
        from decimal import Decimal, InvalidOperation

        from threehours.core.geo import wgs84_to_gcj02

        def get(name: str):
            # A disabled (frozen) field is not posted: it shows its initial value.
            if self.is_bound and not self.fields[name].disabled:
                return self.data.get(name)
            return self.initial.get(name)

        def time(name: str) -> dt.time | None:
            try:
                return dt.time.fromisoformat(str(get(name) or ""))
            except ValueError:
                return None

        place = None
        try:
            lat, lng = Decimal(str(get("lat"))), Decimal(str(get("lng")))
        except (InvalidOperation, ValueError):
            pass
        else:
            if lat.is_finite() and lng.is_finite() and abs(lat) <= 90 and abs(lng) <= 180:
                if get("coord") == "wgs84":
                    converted = wgs84_to_gcj02(float(lat), float(lng))
                    lat, lng = (Decimal(f"{v:.6f}") for v in converted)
                place = {"lat": lat, "lng": lng, "name": str(get("title") or "")}
        return {
            "checkin": time("checkin_time"),
            "checkout": time("checkout_time"),
            "online": str(get("form") or "") in self.online_forms,
            "place": place,
        }

    @staticmethod
    def initial_from(data: dict) -> dict:
        initial = {k: v for k, v in data.items() if k != "questions"}
        district = data.get("district") or ""
        if district:
            initial["province"], initial["city"] = district[:2], district[:4]
        for name in ("start_date", "end_date", "registration_deadline"):
            initial[name] = data[name].isoformat() if data.get(name) else ""
        for name in ("checkin_time", "checkout_time"):
            initial[name] = data[name].strftime("%H:%M") if data.get(name) else ""
        for i, q in enumerate(data.get("questions", []), start=1):
            initial[f"q{i}_text"] = q["text"]
            initial[f"q{i}_choices"] = ", ".join(q["choices"])
            initial[f"q{i}_required"] = q["required"]
        return initial

    def add_service_errors(self, fields: dict[str, list[str]]) -> bool:
        """Put the service's field errors on the form; True when any had no field here."""
        unplaced = False
        for name, messages in fields.items():
            target = name if name in self.fields else ("q1_text" if name == "questions" else None)
            for message in messages:
                if target:
                    self.add_error(target, message)
                else:
                    unplaced = True
                    self.add_error(None, message)
        return unplaced


class ActivityFilterForm(forms.Form):
    """The console's activity list filters; a field that does not parse is left out."""

    q = forms.CharField(label=_("Keyword"), required=False, max_length=60)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args, **kwargs):
        from .models import Activity

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All")), *Activity.State.choices]

    def filters(self) -> dict:
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if self.cleaned_data.get(name) not in (None, "")
        }
