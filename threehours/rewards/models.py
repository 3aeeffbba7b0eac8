"""The incentive catalogue, its codes and redemptions (激励, issue #15 §5).

An incentive is a benefit unlocked by service hours: `hours_required` is a threshold, so
redeeming never spends hours (the ledger only grows). Its stock is the number of codes it holds;
`stock_left` is taken by one conditional UPDATE per redemption and the database keeps it between
0 and `stock`. One redemption per volunteer and limit period is a unique constraint, so "never
two codes for one limit" holds even when two requests race."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Incentive(models.Model):
    class Limit(models.TextChoices):
        ONCE = "once", _("once")
        MONTHLY = "monthly", _("once a month")
        YEARLY = "yearly", _("once a year")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    # Null: the platform's own offer (operators); set: an organisation's offer to the
    # volunteers it credited hours to.
    organisation = models.ForeignKey(
        "orgs.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incentives",
    )
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    partner = models.CharField(_("partner"), max_length=80)
    hours_required = models.DecimalField(_("hours required"), max_digits=7, decimal_places=1)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    stock_left = models.PositiveIntegerField(_("stock left"), default=0)
    valid_from = models.DateField(_("redeemable from"))
    valid_until = models.DateField(_("redeemable until"))
    code_valid_days = models.PositiveSmallIntegerField(_("code valid for (days)"), default=30)
    per_volunteer_limit = models.CharField(
        _("limit per volunteer"), max_length=8, choices=Limit.choices, default=Limit.ONCE
    )
    # Insurance and similar benefits are issued to a person: the partner needs a real name.
    requires_real_name = models.BooleanField(_("requires a real name"), default=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("incentive")
        verbose_name_plural = _("incentives")
        ordering = ["hours_required", "pk"]
        indexes = [models.Index(fields=["state", "valid_until"], name="incentive_live")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_required__gte=0), name="incentive_hours_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(stock_left__gte=0) & Q(stock_left__lte=F("stock")),
                name="incentive_stock_left_in_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="incentive_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(code_valid_days__gte=1), name="incentive_code_valid_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IncentiveCode(models.Model):
    """One redeemable code; `used_at` is set in the redemption's transaction, and the
    redemption's one-to-one key makes a code serve one redemption only."""

    incentive = models.ForeignKey(Incentive, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incentive code")
        verbose_name_plural = _("incentive codes")
        constraints = [
            models.UniqueConstraint(fields=["incentive", "code"], name="incentivecode_unique"),
        ]
        indexes = [
            models.Index(
                fields=["incentive", "id"],
                condition=Q(used_at__isnull=True),
                name="incentivecode_free",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incentive_id}: {self.code}"


class Redemption(models.Model):
    """A volunteer's redemption of one incentive in one limit period ('' for "once",
    "2026-12" for monthly, "2026" for yearly, Asia/Shanghai calendar)."""

    incentive = models.ForeignKey(Incentive, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions"
    )
    code = models.OneToOneField(IncentiveCode, on_delete=models.PROTECT, related_name="redemption")
    period_key = models.CharField(max_length=7, blank=True)
    expires_at = models.DateTimeField(_("code expires"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.UniqueConstraint(
                fields=["incentive", "volunteer", "period_key"],
                name="redemption_one_per_limit_period",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "-created_at"], name="redemption_mine")]

    def __str__(self) -> str:
        return f"{self.incentive_id} → {self.volunteer_id} ({self.period_key or 'once'})"
