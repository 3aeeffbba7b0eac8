from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class AttributeOption(models.Model):
    """One entry of an activity attribute list (PRODUCT.md §2 "Attributes"): data, not code.
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
