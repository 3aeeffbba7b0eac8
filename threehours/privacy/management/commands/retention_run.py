"""`manage.py retention_run`: run every retention job once (they also run nightly) and print
what each deleted (docs/privacy.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from threehours.privacy.retention import retention_run


class Command(BaseCommand):
    help = (
        "Delete SMS codes, check-in attempts, dead API tokens, export files and child photos "
        "past their retention period; print the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=None, help="rows per delete statement (default 1000)"
        )

    def handle(self, *args, batch=None, **options):
        if batch is not None and batch < 1:
            raise CommandError("--batch must be at least 1")
        counts = retention_run(batch=batch)
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            self.stdout.write(f"{name.ljust(width)}  {count}")
        self.stdout.write(f"{'total'.ljust(width)}  {sum(counts.values())}")
