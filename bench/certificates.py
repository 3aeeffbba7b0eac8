"""Certificates (issue #15 §3, "Speed and scale"): how long issuing one takes for a volunteer
with 1,000 ledger entries, and how many certificates the real server issues per second when
200 volunteers ask at once, on PostgreSQL.

    uv run python bench/certificates.py
    uv run python bench/certificates.py --volunteers 400 --clients 100 --entries 2000

Steps: (re)create the database `threehours_bench_certs` on 127.0.0.1:5432 (user postgres,
trust; see --database-url), migrate it, create an approved organisation and 100 published
activities (through the services), one volunteer with a real name and `--entries` ledger
entries (default 1,000: ten days on each activity, credits through hours.services.ledger_append)
and `--volunteers` more (default 200) with ten entries and an API token each. Then:

1. In this process: issue the big volunteer's certificate `--repeat` times with
   hours.certificates.certificate_issue (the first call also registers the CJK font) and print
   the cold time, the median and the worst of the warm ones, with the PDF's pages and size and
   the time spent rendering alone (certificate_pdf).
2. Through HTTP: start `threehours serve` (2 workers) on a free port, warm it with a few
   certificates of other volunteers, then `--clients` concurrent clients (default 200: all at
   once) each POST /api/v1/me/certificates for their own volunteer. Prints certificates/s
   (first request → last response), p50/p90/p99/max and the statuses, and checks the database
   (one certificate row and one stored PDF per volunteer).

Targets: one certificate of 1,000 entries in < 1 s (warm median); every HTTP request 201.
Exit status 1 when one is missed. certificates/s and p99 are reported, not judged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import harness
from harness import cpu_busy, django_setup, free_port, log, recreate_database, stop_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_certs"
TARGET_ONE_S = 1.0
ACTIVITIES = 100
WARM_UP = 8
NAME_CHARS = "一二三四五六七八九十"


def load(*, entries: int, volunteers: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import real_name_set, token_issue
    from threehours.core.timeutil import local_today
    from threehours.family.tests.factories import id_number_born, years_ago
    from threehours.hours.models import LedgerEntry
    from threehours.hours.services import ledger_append
    from threehours.orgs.tests.factories import approved_org
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

    def person(i: int) -> User:
        user = User.objects.create(phone=f"136{i:08d}", nickname=f"志愿者{i}", phone_bound_at=now)
        return real_name_set(
            user=user,
            real_name="张" + NAME_CHARS[i % 10] + NAME_CHARS[(i // 10) % 10],
            id_number=id_number_born(years_ago(30), serial=i),
            consent=True,
        )

    def credit(user: User, count: int, offset: int) -> None:
        # Entries on past days (the ledger is what a certificate reads; the activities' own
        # dates do not matter to it): `count` entries over the activities, ten days apart.
        with transaction.atomic():
            for n in range(count):
                activity = activities[(n + offset) % ACTIVITIES]
                day = today - dt.timedelta(days=1 + (n // ACTIVITIES) + 11 * (n % ACTIVITIES))
                ledger_append(
                    volunteer=user,
                    activity=activity,
                    day=day,
                    hours=Decimal("2.5"),
                    entry_type=LedgerEntry.EntryType.CREDIT,
                )

    big = person(0)
    credit(big, entries, 0)
    crowd = [person(i + 1) for i in range(volunteers + WARM_UP)]
    for i, user in enumerate(crowd):
        credit(user, 10, i)
    tokens = [token_issue(user=user, name="bench") for user in crowd]
    return {"big": big, "tokens": tokens[:volunteers], "warm_tokens": tokens[volunteers:]}


def one_certificate(big, repeat: int) -> dict:
    from threehours.hours import certificates
    from threehours.hours.certificate_pdf import certificate_pdf

    times = []
    last = None
    for _ in range(repeat + 1):
        started = time.perf_counter()
        last = certificates.certificate_issue(requester=big, holder=big)
        times.append(time.perf_counter() - started)
    data = last.pdf.read()
    pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    # Rendering alone, on the content the service gathered (the same rows).
    record = certificates._record(
        holder=big, organisation=None, date_from=last.date_from, date_to=last.date_to
    )
    from threehours.hours.certificate_pdf import CertificateContent

    content = CertificateContent(
        serial=last.serial,
        language="zh-hans",
        holder_name=big.real_name,
        id_number_masked=big.id_number_masked,
        date_from=last.date_from,
        date_to=last.date_to,
        all_time=True,
        organisations=record.organisations,
        rows=record.rows,
        total_hours=record.total,
        issued_on=last.date_to,
        verify_url="http://127.0.0.1/verify/" + last.serial,
    )
    started = time.perf_counter()
    certificate_pdf(content)
    render = time.perf_counter() - started
    return {
        "cold": times[0],
        "warm": times[1:],
        "entries_rows": len(record.rows),
        "total": last.total_hours,
        "pages": pages,
        "bytes": len(data),
        "render": render,
    }


def start_server(url: str, var_dir: Path, port: int, workers: int, fernet: str):
    env = {
        "DATABASE_URL": url,
        "THREEHOURS_DEBUG": "false",
        "THREEHOURS_SECRET_KEY": secrets.token_urlsafe(50),
        "THREEHOURS_FIELD_ENCRYPTION_KEYS": fernet,
        "THREEHOURS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THREEHOURS_SSL_REDIRECT": "false",
        "THREEHOURS_VAR_DIR": str(var_dir),
        "THREEHOURS_LOG_LEVEL": "WARNING",
        "THREEHOURS_SITE_URL": f"http://127.0.0.1:{port}",
    }
    return harness.start_server(
        env,
        root=ROOT,
        port=port,
        workers=workers,
        drop=("THREEHOURS_SMS_BACKEND", "THREEHOURS_EMAIL_BACKEND"),
    )


def issue(port: int, token: str) -> tuple[str, float]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/me/certificates",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            status = str(r.status)
    except urllib.error.HTTPError as e:
        status = str(e.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        status = type(e).__name__
    return status, time.perf_counter() - started


def rush(port: int, tokens: list[str], clients: int) -> dict:
    busy0, total0 = cpu_busy()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda t: issue(port, t), tokens))
    wall = time.perf_counter() - started
    busy1, total1 = cpu_busy()
    latencies = sorted(seconds for _status, seconds in results)
    statuses = [status for status, _s in results]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(round(p * (len(latencies) - 1))))] * 1000

    return {
        "wall": wall,
        "rate": len(results) / wall,
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000,
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "machine_busy": (busy1 - busy0) / max(1, total1 - total0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    fernet = Fernet.generate_key().decode()
    var_dir = Path(tempfile.mkdtemp(prefix="threehours-certs-var-"))
    log(f"database {args.database_url} (recreated); var dir {var_dir}")
    recreate_database(args.database_url)
    django_setup(
        {
            "DATABASE_URL": args.database_url,
            "THREEHOURS_VAR_DIR": str(var_dir),
            "THREEHOURS_SSL_REDIRECT": "false",
            "THREEHOURS_FIELD_ENCRYPTION_KEYS": fernet,
        },
        defaults={
            "THREEHOURS_DEBUG": "true",
            "THREEHOURS_SMS_BACKEND": "memory",
            "THREEHOURS_EMAIL_BACKEND": "memory",
        },
    )
    started = time.perf_counter()
    data = load(entries=args.entries, volunteers=args.volunteers)
    log(
        f"loaded {ACTIVITIES} activities, 1 volunteer with {args.entries} entries and "
        f"{args.volunteers + WARM_UP} with 10 entries each in {time.perf_counter() - started:.1f} s"
    )
    one = one_certificate(data["big"], args.repeat)
    warm_median = statistics.median(one["warm"])
    log("")
    log(f"one certificate of {args.entries} ledger entries ({one['entries_rows']} table rows)")
    log(f"  cold (font registration included) {one['cold'] * 1000:.0f} ms")
    log(
        f"  warm median {warm_median * 1000:.0f} ms, worst {max(one['warm']) * 1000:.0f} ms "
        f"over {len(one['warm'])}"
    )
    size = f"{one['pages']} pages, {one['bytes']} bytes"
    log(f"  rendering alone {one['render'] * 1000:.0f} ms; {size}")

    from django.db import connections

    from threehours.hours.models import Certificate

    before = Certificate.objects.count()
    connections.close_all()
    port = free_port()
    server = start_server(args.database_url, var_dir, port, args.workers, fernet)
    try:
        warm = [issue(port, t)[0] for t in data["warm_tokens"]]
        log(f"\nserver up on :{port} ({args.workers} workers); warm-up statuses {warm}")
        result = rush(port, data["tokens"], args.clients)
    finally:
        stop_server(server)
    rows = Certificate.objects.count() - before - len(data["warm_tokens"])
    files = len(list((var_dir / "private" / "certificates").rglob("*.pdf")))
    ok = result["statuses"].get("201", 0)
    log(f"{args.volunteers} volunteers, {args.clients} concurrent clients, POST /me/certificates")
    log(
        f"  {result['rate']:.1f} certificates/s ({result['wall']:.2f} s); p50 "
        f"{result['p50']:.0f} ms, p90 {result['p90']:.0f} ms, p99 {result['p99']:.0f} ms, "
        f"max {result['max']:.0f} ms; machine busy {result['machine_busy']:.0%}"
    )
    log(f"  statuses {json.dumps(result['statuses'])}; {rows} new rows; {files} PDFs stored")
    checks = {
        f"one certificate of {args.entries} entries < {TARGET_ONE_S:.0f} s": warm_median
        < TARGET_ONE_S,
        f"all {args.volunteers} requests 201": ok == args.volunteers,
        "one row per request": rows == args.volunteers,
        "one stored PDF per row": files == Certificate.objects.count(),
    }
    for name, passed in checks.items():
        log(f"  [{'ok' if passed else 'MISSED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
