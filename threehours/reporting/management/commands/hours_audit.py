import csv
import datetime as dt
import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation
from threehours.reporting.selectors import IntegrityRow, integrity_default_period, integrity_report

COLUMNS = (
    # (key, table heading)
    ("organisation_id", "id"),
    ("organisation", "organisation"),
    ("corrections", "corrections"),
    ("correction_hours", "corr. h"),
    ("raised_hours", "raised h"),
    ("total_hours", "all h"),
    ("share_percent", "share %"),
    ("own_refused", "own refused"),
    ("pending", "pending"),
    ("rejected", "rejected"),
    ("code_rotations", "rotations"),
    ("same_position", "same pos."),
    ("flagged", "flag"),
)


def _values(row: IntegrityRow) -> dict:
    return {
        "organisation_id": row.organisation_id,
        "organisation": "TOTAL" if row.is_total else row.name,
        "corrections": row.corrections,
        "correction_hours": str(row.correction_hours),
        "raised_hours": str(row.raised_hours),
        "total_hours": str(row.total_hours),
        "share_percent": str(row.share_percent),
        "own_refused": row.own_refused,
        "pending": row.pending,
        "rejected": row.rejected,
        "code_rotations": row.code_rotations,
        "same_position": row.same_position,
        "flagged": row.flagged,
    }


def _width(text: str) -> int:
    """Columns a terminal gives the text: two for each Chinese character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _date(raw: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{option}: expected a date as YYYY-MM-DD, got {raw!r}") from None


class Command(BaseCommand):
    help = (
        "Print the integrity report of the hours (issue #12): per organisation, corrections, "
        "the share of hours they raised, self-related actions refused, pending and rejected "
        "corrections, code rotations and check-ins from one position. Default period: the "
        "last 30 days, today included (Asia/Shanghai)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
        parser.add_argument("--org", type=int, metavar="ID", help="one organisation only")
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")

    def handle(self, *args, **options):
        default_from, default_to = integrity_default_period(today=local_today())
        date_to = _date(options["date_to"], "--to") if options["date_to"] else default_to
        if options["date_from"]:
            date_from = _date(options["date_from"], "--from")
        else:
            date_from = date_to - (default_to - default_from)
        if date_from > date_to:
            raise CommandError("--from must not be after --to")
        organisation = None
        if options["org"] is not None:
            organisation = Organisation.objects.filter(pk=options["org"]).first()
            if organisation is None:
                raise CommandError(f"no organisation {options['org']}")
        rows = [
            _values(r)
            for r in integrity_report(
                date_from=date_from, date_to=date_to, organisation=organisation
            )
        ]
        getattr(self, f"_write_{options['format']}")(rows, date_from, date_to)

    def _write_json(self, rows, date_from, date_to):
        report = {
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "rows": rows[:-1],
            "total": rows[-1],
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))

    def _write_csv(self, rows, date_from, date_to):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow([key for key, _heading in COLUMNS])
        for row in rows:
            writer.writerow(["" if row[key] is None else row[key] for key, _heading in COLUMNS])

    def _write_table(self, rows, date_from, date_to):
        self.stdout.write(f"hours integrity report {date_from} – {date_to} (Asia/Shanghai)")
        cells = [[heading for _key, heading in COLUMNS]]
        for row in rows:
            line = []
            for key, _heading in COLUMNS:
                value = row[key]
                if key == "flagged":
                    value = "!" if value else ""
                line.append("" if value is None else str(value))
            cells.append(line)
        widths = [max(_width(line[i]) for line in cells) for i in range(len(COLUMNS))]
        lines = []
        for line in cells:
            padded = []
            for i, text in enumerate(line):
                pad = " " * (widths[i] - _width(text))
                # names to the left, numbers to the right
                padded.append(text + pad if COLUMNS[i][0] == "organisation" else pad + text)
            lines.append("  ".join(padded).rstrip())
        rule = "-" * max(_width(line) for line in lines)
        for line in [lines[0], rule, *lines[1:-1], rule, lines[-1]]:
            self.stdout.write(line)
