"""Service hours for certificate tests, written by the real ledger service (docs/style.md §6)."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import time_machine
from django.db import transaction
from django.utils import timezone

from threehours.accounts import services as account_services
from threehours.accounts.models import User
from threehours.core.timeutil import local_today, local_tz
from threehours.family.tests.factories import id_number_born, years_ago
from threehours.hours.models import LedgerEntry
from threehours.hours.services import ledger_append
from threehours.signups.tests.factories import online_activity, published_activity


def adult(phone: str = "13700000001", *, name: str = "张小三") -> User:
    """An adult volunteer with a recorded real name and ID number."""
    user = User.objects.create(phone=phone, nickname=name, phone_bound_at=timezone.now())
    return account_services.real_name_set(
        user=user, real_name=name, id_number=id_number_born(years_ago(30)), consent=True
    )


def credit(volunteer, activity, day: dt.date, hours: str = "2.0", *, actor=None) -> LedgerEntry:
    with transaction.atomic():
        return ledger_append(
            volunteer=volunteer,
            activity=activity,
            day=day,
            hours=Decimal(hours),
            entry_type=LedgerEntry.EntryType.CREDIT,
        )


def correct(volunteer, activity, day: dt.date, hours: str, *, actor) -> LedgerEntry:
    with transaction.atomic():
        return ledger_append(
            volunteer=volunteer,
            activity=activity,
            day=day,
            hours=Decimal(hours),
            entry_type=LedgerEntry.EntryType.CORRECTION,
            actor=actor,
            reason="签到时间记错",
        )


def later(days: int):
    """Travel `days` days ahead (noon, Asia/Shanghai), so that activities created today are
    in the past."""
    day = local_today() + dt.timedelta(days=days)
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=local_tz()), tick=False)


def activities(org, count: int, **overrides):
    return [
        published_activity(org, title=f"社区助老探访 第{i + 1}期", **overrides)
        for i in range(count)
    ]


def offline(org, **overrides):
    return published_activity(org, **overrides)


def online(org, **overrides):
    return online_activity(org, **overrides)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    return pdf_text(data, tmp_path).split("\f")


def pdf_png(data: bytes, tmp_path: Path, *, page: int = 1, dpi: int = 110) -> Path:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    out = tmp_path / f"page{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(path),
            str(out),
        ],
        check=True,
    )
    return out.with_suffix(".png")


def qr_decode(png: Path) -> str:
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, check=True, text=True
    )
    return result.stdout.strip()
