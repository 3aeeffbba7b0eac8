from django.core.management.base import BaseCommand, CommandError

from threehours.hours.services import ledger_verify


class Command(BaseCommand):
    help = "Recompute every volunteer's hours from the ledger entries and report differences."

    def handle(self, *args, **options):
        differences = ledger_verify()
        for d in differences:
            self.stdout.write(
                f"volunteer {d.volunteer_id} {d.kind}: summary {d.summary} != entries {d.ledger}"
            )
        if differences:
            raise CommandError(f"{len(differences)} difference(s) between summaries and entries")
        self.stdout.write(self.style.SUCCESS("ledger OK: every summary equals its entries"))
