"""The operator statistics at scale (issue #16 §6): 10,000,000 ledger entries and 1,000,000
registrations in PostgreSQL, the roll-up's duration, and the statistics page's p95.

    uv run python bench/ops_stats.py                   # full scale: minutes on 2 cores
    uv run python bench/ops_stats.py --scale 0.1       # 1 M entries / 100 k registrations
    uv run python bench/ops_stats.py --reuse           # measure the loaded database again

Steps: (re)create the database (`--database-url`, default `threehours_bench_ops` on
127.0.0.1:5432, user postgres, trust), migrate it; load 100,000 × scale published activities of
60 organisations over 300 cities with bench/discovery.py's COPY loader; then with
INSERT … SELECT generate_series (foreign-key and ledger triggers off for the load through
`session_replication_role = replica`, so nothing is checked row by row): 200,000 × scale
volunteers joined over three years, 1,000,000 × scale registrations created over three years
(one live registration per volunteer and activity holds: pairs repeat only every 10 × activities
rows), and 10,000,000 × scale ledger entries dated over three years (1.0–4.0 h credits, every
50th a −0.5 h correction); VACUUM ANALYZE. Then `stats_rollup --all` (every month) and the
hourly job (current + previous month) are timed, and GET /ops/stats/ is requested `--requests`
times in this process through Django's test client as a logged-in operator (the four groups in
turn, the last 12 months, then the last 36), printing p50/p95/p99/max. The page's target is
p95 ≤ 200 ms; exit status 1 when it is missed.

The page reads only the roll-up (reporting.StatMonth, StatPlatformMonth): its cost does not
grow with the ledger, only with months × organisations × types.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import discovery
from harness import django_setup, log, recreate_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_ops"
TARGET_P95_MS = 200.0
DAYS = 1095  # three years


def _fill(cursor, table: str, given: dict[str, str]) -> tuple[str, str]:
    """The column list and the SELECT expressions of an INSERT into `table`: `given`, plus an
    empty value of its type for every other NOT NULL column without a default (columns that
    later issues add do not break the loader)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s"
        " AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    empty = {
        "boolean": "false",
        "integer": "0",
        "smallint": "0",
        "bigint": "0",
        "numeric": "0",
        "jsonb": "'{}'::jsonb",
    }
    columns = dict(given)
    for name, data_type in cursor.fetchall():
        if name not in columns and name != "id":
            columns[name] = empty.get(data_type, "''")
    return ", ".join(columns), ", ".join(columns.values())


def load(scale: float, seed: int) -> dict:
    from django.db import connection

    timings: dict[str, float] = {}
    activities = max(int(100_000 * scale), 100)
    users = max(int(200_000 * scale), 200)
    signups = max(int(1_000_000 * scale), 1000)
    entries = max(int(10_000_000 * scale), 10_000)
    started = time.perf_counter()
    discovery.load_activities(rows=activities, seed=seed)
    timings["activities_s"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        columns, values = _fill(
            cursor,
            "accounts_user",
            {
                "password": "'!'",
                "phone": "'13' || lpad(g.i::text, 9, '0')",
                "phone_bound_at": "now()",
                "nickname": "'志愿者' || g.i",
                "date_joined": f"now() - (g.i % {DAYS}) * interval '1 day'"
                " - (g.i % 86400) * interval '1 second'",
                "is_active": "true",
                "language": "'zh-hans'",
            },
        )
        cursor.execute(
            f"INSERT INTO accounts_user ({columns}) SELECT {values}"  # noqa: S608 (ours)
            f" FROM generate_series(0, {users - 1}) AS g(i)"
        )
        timings["users_s"] = time.perf_counter() - started
        cursor.execute(
            "CREATE TEMP TABLE bench_v AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id"
            " FROM accounts_user WHERE password = '!'"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_a AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id,"
            " organisation_id FROM activities_activity"
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_v (n)")
        cursor.execute("CREATE UNIQUE INDEX ON bench_a (n)")
        cursor.execute("ANALYZE bench_v")
        cursor.execute("ANALYZE bench_a")

        started = time.perf_counter()
        columns, values = _fill(
            cursor,
            "signups_signup",
            {
                "activity_id": "a.id",
                "volunteer_id": "v.id",
                "status": "'confirmed'",
                "seats": "1",
                "answers": "'{}'::jsonb",
                "created_at": f"now() - (g.i % {DAYS}) * interval '1 day'",
                "updated_at": "now()",
            },
        )
        cursor.execute(
            f"INSERT INTO signups_signup ({columns}) SELECT {values}"  # noqa: S608 (ours)
            f" FROM generate_series(0, {signups - 1}) AS g(i)"
            f" JOIN bench_v v ON v.n = g.i % {users}"
            f" JOIN bench_a a ON a.n = (g.i / 10) % {activities}"
        )
        timings["signups_s"] = time.perf_counter() - started

        started = time.perf_counter()
        columns, values = _fill(
            cursor,
            "hours_ledgerentry",
            {
                "volunteer_id": "v.id",
                "activity_id": "a.id",
                "organisation_id": "a.organisation_id",
                "day": f"current_date - (g.i % {DAYS})",
                "hours": "CASE WHEN g.i % 50 = 49 THEN -0.5 ELSE 1.0 + (g.i % 31) / 10.0 END",
                "kind": "'service'",
                "entry_type": "CASE WHEN g.i % 50 = 49 THEN 'correction' ELSE 'credit' END",
                "reason": "CASE WHEN g.i % 50 = 49 THEN 'bench' ELSE '' END",
                "created_at": "now()",
            },
        )
        cursor.execute(
            f"INSERT INTO hours_ledgerentry ({columns}) SELECT {values}"  # noqa: S608 (ours)
            f" FROM generate_series(0, {entries - 1}) AS g(i)"
            f" JOIN bench_v v ON v.n = (g.i * 7) % {users}"
            f" JOIN bench_a a ON a.n = (g.i / 3) % {activities}"
        )
        timings["ledger_s"] = time.perf_counter() - started
        cursor.execute("SET session_replication_role = origin")
        started = time.perf_counter()
        for table in ("accounts_user", "signups_signup", "hours_ledgerentry"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        timings["vacuum_s"] = time.perf_counter() - started
    timings.update(activities=activities, users=users, signups=signups, entries=entries)
    return timings


def measure_page(requests: int) -> dict:
    import datetime as dt

    from django.test import Client

    from threehours.accounts.models import User
    from threehours.core.timeutil import local_today

    operator, _ = User.objects.get_or_create(
        email="ops-bench@example.org", defaults={"is_staff": True, "password": "!"}
    )
    client = Client()
    client.force_login(operator)
    today = local_today()
    periods = [
        {"start": f"{today - dt.timedelta(days=334):%Y-%m}", "end": f"{today:%Y-%m}"},
        {"start": f"{today - dt.timedelta(days=1064):%Y-%m}", "end": f"{today:%Y-%m}"},
    ]
    groups = ("month", "province", "city", "type")
    for group in groups:  # warm: templates, translations, connections
        assert client.get("/ops/stats/", {"group": group}, HTTP_HOST="127.0.0.1").status_code == 200
    times = []
    for i in range(requests):
        params = {**periods[(i // 4) % 2], "group": groups[i % 4]}
        started = time.perf_counter()
        response = client.get("/ops/stats/", params, HTTP_HOST="127.0.0.1")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(round(p / 100 * len(times))) - 1)]

    return {
        "p50": statistics.median(times),
        "p95": pct(95),
        "p99": pct(99),
        "max": times[-1],
        "n": len(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10 M entries, 1 M regs")
    parser.add_argument("--reuse", action="store_true", help="measure the loaded database again")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-bench-"))
    if not args.reuse:
        log(f"Recreating {urlsplit(args.database_url).path.lstrip('/')} …")
        recreate_database(args.database_url)
    django_setup(
        {"DATABASE_URL": args.database_url, "THREEHOURS_VAR_DIR": str(var_dir)},
        defaults={"THREEHOURS_DEBUG": "true"},
    )
    from django.core.management import call_command

    from threehours.reporting import stats
    from threehours.reporting.models import StatMonth

    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        log(f"Migrated in {time.perf_counter() - started:.1f} s")
        log(f"Loading at scale {args.scale} …")
        loaded = load(args.scale, args.seed)
        log(
            f"  {loaded['activities']:,} activities {loaded['activities_s']:.1f} s · "
            f"{loaded['users']:,} volunteers {loaded['users_s']:.1f} s · "
            f"{loaded['signups']:,} registrations {loaded['signups_s']:.1f} s · "
            f"{loaded['entries']:,} ledger entries {loaded['ledger_s']:.1f} s · "
            f"VACUUM ANALYZE {loaded['vacuum_s']:.1f} s"
        )
    started = time.perf_counter()
    rows = stats.stats_rollup_all()
    full_s = time.perf_counter() - started
    months = StatMonth.objects.values("month").distinct().count()
    log(f"Roll-up, every month (stats_rollup --all): {full_s:.1f} s, {months} months, {rows} rows")
    started = time.perf_counter()
    stats.stats_rollup_recent()
    recent_s = time.perf_counter() - started
    log(f"Roll-up, the hourly job (current + previous month): {recent_s:.2f} s")
    result = measure_page(args.requests)
    log(
        f"GET /ops/stats/ × {result['n']} (in process): p50 {result['p50']:.1f} ms · "
        f"p95 {result['p95']:.1f} ms · p99 {result['p99']:.1f} ms · max {result['max']:.1f} ms"
        f" (target p95 ≤ {TARGET_P95_MS:.0f} ms)"
    )
    return 0 if result["p95"] <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
