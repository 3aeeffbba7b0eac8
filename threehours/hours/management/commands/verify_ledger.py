import time

from django.core.management.base import BaseCommand, CommandError

from threehours.hours.services import VerifyProgress, ledger_verify_iter


class Command(BaseCommand):
    help = (
        "Recompute every volunteer's hours from the ledger entries and report differences. "
        "Runs in the database, in batches of volunteers, in constant memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--show", type=int, default=100, help="print at most this many differences"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        progress = VerifyProgress()
        count = 0
        for d in ledger_verify_iter(batch_size=options["batch_size"], progress=progress):
            count += 1
            if count <= options["show"]:
                where = f"volunteer {d.volunteer_id} {d.kind}"
                self.stdout.write(f"{where}: summary {d.summary} != entries {d.ledger}")
        if count > options["show"]:
            self.stdout.write(f"... and {count - options['show']} more")
        if count:
            raise CommandError(f"{count} difference(s) between summaries and entries")
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger OK: every summary equals its entries ({progress.volunteers} volunteers,"
                f" {time.perf_counter() - started:.1f} s)"
            )
        )
