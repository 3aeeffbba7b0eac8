"""Closing an account (issue #16 §3, "Speed and scale"): how long anonymising one volunteer
with 1,000 ledger entries takes, on PostgreSQL.

    uv run python bench/account_close.py
    uv run python bench/account_close.py --entries 2000 --repeat 5

Steps: (re)create the database `threehours_bench_close` on 127.0.0.1:5432 (user postgres,
trust; see --database-url), migrate it, create an approved organisation and 100 published
activities (through the services), then `--repeat` volunteers, each with a real name,
`--entries` ledger entries (credits through hours.services.ledger_append), a live registration
for each of `--registrations` upcoming activities (through signups.services), 200 inbox
messages and an API token, and a closing request whose cooling-off is over. Then each account
is closed with privacy.services.account_close (the job's unit of work, one transaction) and
timed. Prints the median and the worst; checks that every account is anonymised, every
registration cancelled with its place freed, the ledger unchanged and verify_ledger clean.

Target: one account of 1,000 entries closed in < 1 s (median). Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from harness import django_setup, log, recreate_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_close"
TARGET_S = 1.0
ACTIVITIES = 100


def load(*, entries: int, registrations: int, repeat: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import real_name_set, token_issue
    from threehours.core.timeutil import local_today
    from threehours.family.tests.factories import id_number_born, years_ago
    from threehours.hours.models import LedgerEntry
    from threehours.hours.services import ledger_append
    from threehours.notifications.models import Message
    from threehours.orgs.tests.factories import approved_org
    from threehours.privacy.models import AccountClosure
    from threehours.signups import services as signup_services
    from threehours.signups.tests.factories import published_activity

    call_command("migrate", interactive=False, verbosity=0)
    operator = User.objects.create_superuser(email="ops@bench.example", password="Bench-Pass-9")
    org = approved_org(operator=operator)
    activities = [
        published_activity(org, title=f"社区助老探访 第{i + 1}期", questions=[])
        for i in range(ACTIVITIES)
    ]
    today = local_today()
    now = timezone.now()
    people = []
    for i in range(repeat):
        user = User.objects.create(phone=f"136{i:08d}", nickname=f"志愿者{i}", phone_bound_at=now)
        user = real_name_set(
            user=user, real_name="张三", id_number=id_number_born(years_ago(30), serial=i)
        )
        with transaction.atomic():
            for n in range(entries):
                ledger_append(
                    volunteer=user,
                    activity=activities[n % ACTIVITIES],
                    day=today - dt.timedelta(days=1 + (n // ACTIVITIES) + 11 * (n % ACTIVITIES)),
                    hours=Decimal("2.5"),
                    entry_type=LedgerEntry.EntryType.CREDIT,
                )
        for activity in activities[:registrations]:
            signup_services.signup_create(activity=activity, volunteer=user)
        Message.objects.bulk_create(
            [Message(recipient=user, title=f"通知 {n}", body="正文") for n in range(200)]
        )
        token_issue(user=user, name="bench")
        closure = AccountClosure.objects.create(
            user=user, requested_at=now, effective_at=now - dt.timedelta(minutes=1)
        )
        User.objects.filter(pk=user.pk).update(closing_at=closure.effective_at)
        people.append((user.pk, closure.pk))
    return {"people": people, "activities": [a.pk for a in activities[:registrations]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--registrations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-close-var-"))
    log(f"database {args.database_url} (recreated); var dir {var_dir}")
    recreate_database(args.database_url)
    django_setup(
        {
            "DATABASE_URL": args.database_url,
            "THREEHOURS_VAR_DIR": str(var_dir),
            "THREEHOURS_SSL_REDIRECT": "false",
            "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "THREEHOURS_JOBS_IMMEDIATE": "true",
        },
        defaults={
            "THREEHOURS_DEBUG": "true",
            "THREEHOURS_SMS_BACKEND": "memory",
            "THREEHOURS_EMAIL_BACKEND": "memory",
        },
    )
    started = time.perf_counter()
    data = load(entries=args.entries, registrations=args.registrations, repeat=args.repeat)
    log(
        f"loaded {args.repeat} volunteers with {args.entries} ledger entries, "
        f"{args.registrations} live registrations and 200 messages each in "
        f"{time.perf_counter() - started:.1f} s"
    )

    from io import StringIO

    from django.core.management import call_command

    from threehours.accounts.models import User
    from threehours.activities.models import Activity
    from threehours.hours.models import LedgerEntry
    from threehours.privacy.services import account_close
    from threehours.signups.models import Signup

    entries_before = LedgerEntry.objects.count()
    times = []
    for _user_id, closure_id in data["people"]:
        started = time.perf_counter()
        assert account_close(closure_id=closure_id)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    log(f"\nclosing one account of {args.entries} ledger entries (account_close, one transaction)")
    log(
        f"  median {median * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms, "
        f"best {min(times) * 1000:.0f} ms over {len(times)}"
    )
    ids = [u for u, _c in data["people"]]
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    checks = {
        f"one account of {args.entries} entries closed in < {TARGET_S:.0f} s (median)": median
        < TARGET_S,
        "every account anonymised": User.objects.filter(
            pk__in=ids, closed_at__isnull=False, phone__isnull=True, real_name=""
        ).count()
        == len(ids),
        "no live registration left": not Signup.objects.filter(volunteer_id__in=ids)
        .live()
        .exists(),
        "places freed": not Activity.objects.filter(
            pk__in=data["activities"], places_taken__gt=0
        ).exists(),
        "ledger unchanged": LedgerEntry.objects.count() == entries_before,
        "verify_ledger clean": "OK" in out.getvalue(),
    }
    for name, passed in checks.items():
        log(f"  [{'ok' if passed else 'MISSED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
