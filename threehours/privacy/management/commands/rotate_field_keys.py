from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from threehours.privacy.keys import fields_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key of "
        "THREEHOURS_FIELD_ENCRYPTION_KEYS, in batches; resumable (run it again to continue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
        parser.add_argument(
            "--max-batches", type=int, default=None, help="stop after this many batches"
        )

    def handle(self, *args, **options):
        keys = len(settings.FIELD_ENCRYPTION_KEYS)
        self.stdout.write(
            f"{keys} key(s) configured; the first one encrypts. The blind index of ID numbers "
            "is keyed by the last one: keep that key last (docs/operations.md)."
        )

        def progress(label, counts):
            self.stdout.write(
                f"{label}: batch {counts.batches}, up to id {counts.last_pk[label]}: "
                f"{counts.rotated} re-encrypted, {counts.current} already current"
            )

        try:
            counts = fields_rotate(
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                max_batches=options["max_batches"],
                on_batch=progress,
            )
        except ValueError as exc:
            raise CommandError(
                f"a value cannot be decrypted by any configured key ({exc}); batches before it "
                "are re-encrypted; put the missing key back in the list and run again"
            ) from exc
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts.seen} value(s) read, {verb} {counts.rotated}, "
                f"{counts.current} already under the newest key"
            )
        )
