"""Incentives and hours built by the real services (docs/style.md §6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from threehours.core.timeutil import local_today
from threehours.hours.services import ledger_append
from threehours.rewards import services
from threehours.rewards.models import Incentive
from threehours.signups.tests.factories import published_activity


def give_hours(org, volunteer, hours: str | Decimal) -> None:
    """Service hours credited by `org` to `volunteer`: a staff correction on the ledger."""
    activity = published_activity(org, questions=[])
    with transaction.atomic():
        ledger_append(
            volunteer=volunteer,
            activity=activity,
            day=activity.start_date,
            hours=Decimal(str(hours)),
            entry_type="correction",
            actor=org.applicant,
            reason="hours given by the test",
        )


def data(**overrides) -> services.IncentiveData:
    today = local_today()
    values = {
        "title": "公交卡充值 20 元",
        "partner": "城市一卡通",
        "hours_required": Decimal("5.0"),
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=30),
        "description": "凭兑换码在一卡通网点充值。",
        "per_volunteer_limit": "once",
        "code_valid_days": 30,
        "requires_real_name": False,
    }
    values.update(overrides)
    return services.IncentiveData(**values)


def active_incentive(*, actor, org=None, codes: int = 10, **overrides) -> Incentive:
    incentive = services.incentive_create(data=data(**overrides), actor=actor, organisation=org)
    if codes:
        services.codes_generate(incentive=incentive, count=codes, actor=actor)
        incentive = services.incentive_activate(incentive=incentive, actor=actor)
    incentive.refresh_from_db()
    return incentive
