"""Rebuild the operator statistics' roll-up (issue #16 §6)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from threehours.reporting import stats


class Command(BaseCommand):
    help = (
        "Recompute the statistics roll-up: the current and previous month (default), "
        "one month (--month YYYY-MM) or every month (--all)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="rebuild every month")
        parser.add_argument("--month", help="one month, YYYY-MM")

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["all"]:
            rows = stats.stats_rollup_all()
        elif options["month"]:
            try:
                month = dt.date.fromisoformat(options["month"] + "-01")
            except ValueError as exc:
                raise CommandError("--month takes YYYY-MM") from exc
            rows = stats.stats_rollup_month(month=month)
        else:
            rows = stats.stats_rollup_recent()
        self.stdout.write(f"{rows} rows in {time.monotonic() - started:.2f} s")
