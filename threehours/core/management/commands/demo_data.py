"""Load demo data: idempotent, so `threehours demo` can run it at every start.

Each app that has demo content provides `<app>/demo.py` with `load() -> list[str]` (lines to
print: the logins it made). Apps load in INSTALLED_APPS order, so later contexts can build on
earlier ones."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the demo accounts and content (idempotent; refuses to run without debug)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with debug off (the demo passwords are public!)",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "demo data has well-known passwords; it loads only with "
                "THREEHOURS_DEBUG=true (or --force)"
            )
        lines: list[str] = []
        for config in apps.get_app_configs():
            if not config.name.startswith("threehours."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            lines.extend(module.load())
        self.stdout.write("\n".join(["", "Demo logins:", *lines, ""]))
