from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class AttributeOption(models.Model):
    """One entry of an activity attribute list (docs/product.md §2 "Attributes"): data, not code.
    Seeded from activities/data/attributes.json by a data migration, edited by operators.
    Codes are stable (clients and exports rely on them); labels exist in both UI languages."""

    class Kind(models.TextChoices):
        TYPE = "type", _("activity type")
        FORM = "form", _("activity form")
        FIELD = "field", _("field")
        REGION = "region", _("beneficiary region")
        BENEFICIARY = "beneficiary", _("beneficiary group")
        SKILL = "skill", _("volunteer skill")
        INCENTIVE = "incentive", _("incentive")

    kind = models.CharField(_("list"), max_length=12, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=40)
    label_zh = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=80)
    # Forms only: choosing an online form makes the activity online (0.1 h, no check-in place).
    online = models.BooleanField(_("online"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("attribute option")
        verbose_name_plural = _("attribute options")
        ordering = ["kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="attributeoption_code_unique"),
            models.CheckConstraint(
                condition=models.Q(online=False) | models.Q(kind="form"),
                name="attributeoption_only_forms_are_online",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def label(self) -> str:
        """The label in the active language (Chinese unless English is chosen)."""
        return self.label_en if (get_language() or "").startswith("en") else self.label_zh


def cover_upload_to(instance: Activity, filename: str) -> str:
    return f"activities/covers/{filename}"


class ActivityQuerySet(models.QuerySet):
    def published(self) -> ActivityQuerySet:
        """Visible to volunteers: published, and its organisation not suspended."""
        from threehours.orgs.models import Organisation

        # NOT IN a (small, hashed) list rather than a join: the discovery list stays a query on
        # one table, whose planner walks the sort-order index and stops after one page.
        suspended = Organisation.objects.filter(suspended_at__isnull=False).values("pk")
        return self.filter(state=Activity.State.PUBLISHED).exclude(organisation_id__in=suspended)


class Activity(models.Model):
    """A volunteer activity (docs/product.md §2). Rules live in activities.services; derived values
    (registration open, not started / in progress / finished) are computed, never stored."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        # An operator took a published activity down (issue #16 §6): hidden from everyone but
        # its organisation, no registration or check-in; restoring makes it published again.
        TAKEN_DOWN = "taken_down", _("Taken down")

    organisation = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("title"), max_length=60)
    cover = models.ImageField(
        _("cover image"),
        upload_to=cover_upload_to,
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
    )
    cover_width = models.PositiveIntegerField(default=0)
    cover_height = models.PositiveIntegerField(default=0)
    description_html = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    registration_deadline = models.DateField(_("registration ends"))
    checkin_time = models.TimeField(_("daily check-in time"))
    checkout_time = models.TimeField(_("daily check-out time"))
    places = models.PositiveIntegerField(_("places"))
    # Places held by registrations (confirmed or awaiting review; each child takes one too).
    # A cache of signups.Signup rows, moved only by signups.services in the same transaction
    # with a conditional UPDATE, so "places_taken <= places" holds under any concurrency.
    places_taken = models.PositiveIntegerField(_("places taken"), default=0, editable=False)

    class Screening(models.TextChoices):
        AUTO = "auto", _("Accept automatically")
        REVIEW = "review", _("Staff review each registration")

    screening = models.CharField(
        _("screening"), max_length=8, choices=Screening.choices, default=Screening.AUTO
    )
    waitlist_enabled = models.BooleanField(_("waiting list when full"), default=True)
    # Parent-child activity (docs/product.md §6): guardians register with their children
    # (和孩子一起报名), each child taking a place, optionally within an age range (full years on
    # the first day).
    family = models.BooleanField(
        _("parent-child: volunteers may bring their children"), default=False
    )
    child_age_min = models.PositiveSmallIntegerField(_("children from age"), null=True, blank=True)
    child_age_max = models.PositiveSmallIntegerField(_("children up to age"), null=True, blank=True)
    # The registration commitment (报名承诺) a guardian accepts; empty: the platform's default.
    commitment = models.TextField(_("registration commitment"), blank=True)
    fee_yuan = models.DecimalField(
        _("fee (yuan per person)"), max_digits=8, decimal_places=2, default=0
    )
    fee_note = models.CharField(_("how to pay"), max_length=200, blank=True)
    skill_requirement = models.CharField(_("skill requirements"), max_length=20, blank=True)
    other_requirement = models.CharField(_("other requirements"), max_length=20, blank=True)
    type = models.ForeignKey(
        AttributeOption,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "type"},
        verbose_name=_("activity type"),
    )
    form = models.ForeignKey(
        AttributeOption,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "form"},
        verbose_name=_("activity form"),
    )
    field = models.ForeignKey(
        AttributeOption,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "field"},
        verbose_name=_("field"),
    )
    extra_attributes = models.ManyToManyField(
        AttributeOption, blank=True, related_name="+", verbose_name=_("more attributes")
    )
    # Copied from the form when saved: the discovery list filters on it.
    online = models.BooleanField(_("online"), default=False)
    address = models.CharField(_("address"), max_length=120, blank=True)
    city = models.ForeignKey(
        "orgs.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("city"),
    )
    district = models.ForeignKey(
        "orgs.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
    )
    # GCJ-02, as Chinese maps use (docs/product.md §4).
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_radius_m = models.PositiveIntegerField(_("check-in radius (m)"), null=True, blank=True)
    # Volunteers check in only by scanning the door's rotating QR code: the 4-digit code is
    # refused, except through the green channel after failed identity checks (issue #12 §5).
    checkin_qr_only = models.BooleanField(_("check-in by QR code only"), default=False)
    contact_name = models.CharField(_("contact person"), max_length=30)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    taken_down_reason = models.CharField(_("reason for taking down"), max_length=200, blank=True)
    taken_down_at = models.DateTimeField(_("taken down at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Lower-cased "title organisation-name" that keyword search matches (activities/search.py):
    # one column, so that PostgreSQL can index it; written by activities.services and refreshed
    # by orgs.services when an organisation is renamed.
    search_text = models.TextField(default="", blank=True, editable=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Volunteers' ratings (issue #15 §1), kept by ratings.services with F() in the same
    # transaction as each rating, so the page shows the average without reading the ratings.
    # Hidden ratings are not counted.
    rating_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="activity_org_idx"),
            # Discovery (selectors.activity_search): one index per filter shape, each ending in
            # the sort keys so that a page is a short index range scan, never a sort of every
            # match. end_date sits in the key so "not ended yet" is checked on the index entry.
            # The keyword index (GIN on grams of search_text) is PostgreSQL-only: migration 0005.
            models.Index(
                fields=["state", "start_date", "end_date", "id"], name="activity_soonest_idx"
            ),
            models.Index(
                fields=["state", "city", "start_date", "end_date", "id"],
                name="activity_city_soonest_idx",
            ),
            models.Index(
                fields=["state", "type", "start_date", "end_date", "id"],
                name="activity_type_soonest_idx",
            ),
            models.Index(fields=["state", "lat", "lng"], name="activity_place_idx"),
            models.Index(fields=["state", "published_at", "id"], name="activity_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="activity_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(registration_deadline__lte=models.F("end_date")),
                name="activity_deadline_not_after_end",
            ),
            models.CheckConstraint(
                condition=models.Q(checkout_time__gt=models.F("checkin_time")),
                name="activity_checkout_after_checkin",
            ),
            models.CheckConstraint(condition=models.Q(places__gte=1), name="activity_places_min"),
            models.CheckConstraint(
                condition=models.Q(places_taken__lte=models.F("places")),
                name="activity_places_taken_within_places",
            ),
            models.CheckConstraint(
                condition=models.Q(fee_yuan__gte=0), name="activity_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(child_age_min__isnull=True)
                | models.Q(child_age_max__isnull=True)
                | models.Q(child_age_max__gte=models.F("child_age_min")),
                name="activity_child_age_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="published")
                | models.Q(online=True)
                | (
                    models.Q(lat__isnull=False)
                    & models.Q(lng__isnull=False)
                    & models.Q(checkin_radius_m__isnull=False)
                ),
                name="activity_offline_has_place",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rating_average(self) -> float | None:
        """The average of the counted ratings (1.0–5.0), None without any."""
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def max_hours_per_day(self):
        from .rules import max_hours_per_day

        return max_hours_per_day(self.checkin_time, self.checkout_time, online=self.online)

    def phase_on(self, day) -> str:
        """not_started / in_progress / finished on a local day (docs/product.md §5)."""
        if day < self.start_date:
            return "not_started"
        return "finished" if day > self.end_date else "in_progress"

    @property
    def places_left(self) -> int:
        return max(0, self.places - self.places_taken)

    def registration_open_on(self, day) -> bool:
        return self.state == self.State.PUBLISHED and day <= self.registration_deadline


class Question(models.Model):
    """A question registrants answer (at most 5 per activity)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        CHOICE = "choice", _("single choice")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("question"), max_length=60)
    kind = models.CharField(_("answer type"), max_length=8, choices=Kind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text
