"""Build family accounts by the real services: valid ID numbers for a given birth date, a
guardian with a recorded real name, and children under them."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from threehours.accounts import services as account_services
from threehours.accounts.identity import id_check_character
from threehours.accounts.models import User
from threehours.core.timeutil import local_today

from .. import services

_serial = itertools.count(100)


def id_number_born(born: dt.date, *, area: str = "110105", serial: int | None = None) -> str:
    """A valid 18-character resident ID number for someone born on `born` (GB 11643 checksum);
    a new sequence number each call unless `serial` is given."""
    seq = f"{(serial if serial is not None else next(_serial)) % 1000:03d}"
    first17 = f"{area}{born:%Y%m%d}{seq}"
    return first17 + id_check_character(first17)


def years_ago(years: int, *, days: int = 0, today: dt.date | None = None) -> dt.date:
    """The birth date of someone who turns `years` today, moved `days` later (positive: not
    yet `years` old). 29 February becomes 28 February in a year without it."""
    today = today or local_today()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:
        born = today.replace(year=today.year - years, day=28)
    return born + dt.timedelta(days=days)


def guardian(phone: str = "13900000001", *, age: int = 35, name: str = "王妈妈") -> User:
    from threehours.testing.consent import consent_all

    user = User.objects.create(phone=phone, nickname=name, phone_bound_at=timezone.now())
    consent_all(user, but=("child",))  # the family service records that one
    return account_services.real_name_set(
        user=user, real_name=name, id_number=id_number_born(years_ago(age)), consent=True
    )


def child_of(parent: User, *, age: int = 8, name: str = "王小宝", born: dt.date | None = None):
    return services.child_add(
        guardian=parent,
        name=name,
        id_number=id_number_born(born or years_ago(age, days=-30)),
        consent=True,
    )
