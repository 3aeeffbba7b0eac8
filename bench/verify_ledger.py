"""verify_ledger at scale (issue #17 "Speed and scale"): 10,000,000 ledger entries in
PostgreSQL, the command's duration and peak memory.

    uv run python bench/verify_ledger.py                    # 10 M entries
    uv run python bench/verify_ledger.py --entries 2000000  # 2 M
    uv run python bench/verify_ledger.py --reuse            # measure the loaded database again

Steps: (re)create the database (`--database-url`, default `threehours_bench_ledger` on
127.0.0.1:5432, user postgres, trust), migrate it; load 1,000 activities with bench/discovery.py's
COPY loader, `--entries` / 50 volunteers and `--entries` ledger entries with INSERT … SELECT
generate_series (bench/ops_stats.py's loader: triggers off for the load), their HoursSummary rows
from the entries' sums; VACUUM ANALYZE. Then `threehours manage verify_ledger` runs in its own
process, clean (exit 0), then with one summary tampered (exit 1, one difference), printing the
duration and the peak RSS of each run. Target: under a minute at 10 M entries; exit status 1
when it is missed or a run's verdict is wrong.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import discovery
from harness import django_setup, log, recreate_database
from ops_stats import _fill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_ledger"
TARGET_S = 60.0
DAYS = 1095


def load(entries: int, seed: int) -> dict:
    from django.db import connection

    timings: dict = {}
    users = max(entries // 50, 100)
    started = time.perf_counter()
    discovery.load_activities(rows=1000, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        columns, values = _fill(
            cursor,
            "accounts_user",
            {
                "password": "'!'",
                "phone": "'13' || lpad(g.i::text, 9, '0')",
                "nickname": "'志愿者' || g.i",
                "date_joined": "now()",
                "is_active": "true",
                "language": "'zh-hans'",
            },
        )
        cursor.execute(
            f"INSERT INTO accounts_user ({columns}) SELECT {values}"  # noqa: S608 (ours)
            f" FROM generate_series(0, {users - 1}) AS g(i)"
        )
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
        columns, values = _fill(
            cursor,
            "hours_ledgerentry",
            {
                "volunteer_id": "v.id",
                "activity_id": "a.id",
                "organisation_id": "a.organisation_id",
                "day": f"current_date - (g.i % {DAYS})",
                "hours": "CASE WHEN g.i % 50 = 49 THEN -0.5 ELSE 1.0 + (g.i % 31) / 10.0 END",
                "kind": "CASE WHEN g.i % 20 = 7 THEN 'online' ELSE 'service' END",
                "entry_type": "CASE WHEN g.i % 50 = 49 THEN 'correction' ELSE 'credit' END",
                "reason": "CASE WHEN g.i % 50 = 49 THEN 'bench' ELSE '' END",
                "created_at": "now()",
            },
        )
        cursor.execute(
            f"INSERT INTO hours_ledgerentry ({columns}) SELECT {values}"  # noqa: S608 (ours)
            f" FROM generate_series(0, {entries - 1}) AS g(i)"
            f" JOIN bench_v v ON v.n = (g.i * 7) % {users}"
            " JOIN bench_a a ON a.n = (g.i / 3) % 1000"
        )
        cursor.execute(
            "INSERT INTO hours_hourssummary (volunteer_id, service_hours, online_hours, updated_at)"
            " SELECT volunteer_id, COALESCE(SUM(hours) FILTER (WHERE kind = 'service'), 0),"
            " COALESCE(SUM(hours) FILTER (WHERE kind = 'online'), 0), now()"
            " FROM hours_ledgerentry GROUP BY volunteer_id"
        )
        cursor.execute("SET session_replication_role = origin")
        for table in ("accounts_user", "hours_ledgerentry", "hours_hourssummary"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    timings.update(users=users, entries=entries, load_s=time.perf_counter() - started)
    return timings


def run_command(url: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREEHOURS_")}
    env.update(DATABASE_URL=url, THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(var_dir))
    script = Path(sys.executable).with_name("threehours")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(script), "manage", "verify_ledger", "--show", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate()
    took = time.perf_counter() - started
    # ru_maxrss of the children: the largest child so far (this is the only big one).
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"s": took, "rss_mb": rss_mb, "rc": process.returncode, "out": out + err}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true")
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
    from django.db import connection, connections

    if not args.reuse:
        call_command("migrate", interactive=False, verbosity=0)
        log(f"Loading {args.entries:,} ledger entries …")
        loaded = load(args.entries, args.seed)
        log(f"  {loaded['users']:,} volunteers, loaded in {loaded['load_s']:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM hours_ledgerentry")
        (entries,) = cursor.fetchone()
        cursor.execute("SELECT min(volunteer_id) FROM hours_hourssummary")
        (victim,) = cursor.fetchone()
    connections.close_all()
    log(f"{entries:,} ledger entries\n")

    clean = run_command(args.database_url, var_dir)
    log(f"clean:    {clean['s']:.1f} s, peak RSS {clean['rss_mb']:.0f} MB, exit {clean['rc']}")
    log("  " + clean["out"].strip().splitlines()[-1])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE hours_hourssummary SET service_hours = service_hours + 1"
            " WHERE volunteer_id = %s",
            [victim],
        )
    connections.close_all()
    try:
        tampered = run_command(args.database_url, var_dir)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE hours_hourssummary SET service_hours = service_hours - 1"
                " WHERE volunteer_id = %s",
                [victim],
            )
        connections.close_all()
    log(f"tampered: {tampered['s']:.1f} s, exit {tampered['rc']}")
    log("  " + " | ".join(tampered["out"].strip().splitlines()[-2:]))
    ok = clean["rc"] == 0 and tampered["rc"] == 1 and "1 difference" in tampered["out"]
    met = clean["s"] <= TARGET_S
    log(
        f"\nverify_ledger at {entries:,} entries: {clean['s']:.1f} s (target ≤ {TARGET_S:.0f} s:"
        f" {'met' if met else 'MISSED'}), peak RSS {clean['rss_mb']:.0f} MB;"
        f" verdicts {'right' if ok else 'WRONG'}"
    )
    return 0 if ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
