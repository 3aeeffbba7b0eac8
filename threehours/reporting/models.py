"""The statistics roll-up of the operator console (issue #16 §6).

The statistics pages never scan the ledger, registrations or activities: they read these two
small tables, which reporting.stats.stats_rollup() rebuilds month by month (the scheduled job
redoes the current and the previous month every hour; `manage.py stats_rollup --all` redoes
every month). A page query is one GROUP BY over at most a few thousand rows.

What the numbers mean (also shown under the charts):
- `StatMonth.volunteers`: distinct volunteers credited with hours (a credit entry) in that month
  at that organisation in activities of that type. Distinct counts do not add up across months,
  organisations or types: summed over a province or type they are *volunteer-months per
  organisation* (one person active in two months, or at two organisations, counts twice).
- `StatPlatformMonth.volunteers_active`: distinct volunteers credited anywhere that month (exact
  for one month); `volunteers_new`: accounts that joined that month (operators excluded).
- hours: the net sum of ledger entries dated (activity day) in the month, corrections and
  reversals included, in tenths of an hour; registrations: created that month (local time);
  activities: first published that month; organisations: approved that month.
- Region: the organisation's province and city (every organisation has both; an online
  activity has no place of its own).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatMonth(models.Model):
    """One organisation's month, per activity type (type NULL: the row that only carries the
    organisation's approval in that month)."""

    month = models.DateField(_("month"))  # the first day
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    province = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    city = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    activity_type = models.ForeignKey(
        "activities.AttributeOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisations_approved = models.PositiveSmallIntegerField(default=0)
    activities = models.PositiveIntegerField(default=0)
    registrations = models.PositiveIntegerField(default=0)
    hours_tenths = models.BigIntegerField(default=0)
    volunteers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("statistics month")
        indexes = [models.Index(fields=["month"], name="statmonth_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} org {self.organisation_id} type {self.activity_type_id}"


class StatPlatformMonth(models.Model):
    """The whole platform's month: the figures that cannot be summed from StatMonth."""

    month = models.DateField(_("month"), unique=True)
    volunteers_new = models.PositiveIntegerField(default=0)
    volunteers_active = models.PositiveIntegerField(default=0)
    organisations_approved = models.PositiveIntegerField(default=0)
    activities = models.PositiveIntegerField(default=0)
    registrations = models.PositiveIntegerField(default=0)
    hours_tenths = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("platform statistics month")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
