"""Registration rush (issue #5): 2,000 volunteers try to register for one activity with 100 places
at once, through the real server on PostgreSQL.

    uv run python bench/registration_rush.py
    uv run python bench/registration_rush.py --volunteers 4000 --places 200 --connections 64

Steps: (re)create the database `threehours_bench_rush` on 127.0.0.1:5432 (user postgres, trust;
see --database-url), migrate it, create an approved organisation and a published activity with
100 places and no required question (through the services), 2,000 volunteers with a bound phone
and an API token each; count the SQL queries of one successful registration (Django's test
client under CaptureQueriesContext, on a second activity so the rush's places stay untouched);
start `threehours serve` (granian, 2 workers) on a free port; warm it up with a small rush of
128 attempts on a third activity with 64 places, from 32 concurrent clients (connections to
PostgreSQL open, statements prepared, code imported: a server that ran before); fire one
registration per volunteer with wrk (32 connections, 2 threads, bench/wrk_rush.lua: each request
carries the next volunteer's token, each wrk thread sends exactly its slice of them and stops);
then check the database. Prints successes, each status and error code, attempts/s, p50/p99
latency, queries per registration and wrk's own CPU share.

Targets: exactly 100 successes (and 100 rows, places_taken == 100), ≥ 400 attempts/s,
p99 ≤ 150 ms, ≤ 6 SQL statements per successful registration (BEGIN and COMMIT are counted
and printed as round trips, not as statements). Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import harness
from harness import (
    cpu_busy,
    django_setup,
    free_port,
    log,
    recreate_database,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_rush"
TARGET_RPS = 400.0
TARGET_P99_MS = 150.0
TARGET_QUERIES = 6
WARM_UP = 128  # attempts on a separate activity before the rush, from as many clients


# --- data ------------------------------------------------------------------------------------


def load(*, volunteers: int, places: int) -> dict:
    """The organisation, the rush activity, a second activity for counting queries, and the
    volunteers' tokens (one more volunteer than the rush uses, for the query count)."""
    from django.core.management import call_command
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import token_issue
    from threehours.orgs.tests.factories import approved_org
    from threehours.signups.tests.factories import published_activity

    call_command("migrate", interactive=False, verbosity=0)
    operator = User.objects.create_superuser(email="ops@bench.example", password="Bench-Pass-9")
    org = approved_org(operator=operator)
    rush = published_activity(org, title="抢报名压测活动", places=places, questions=[])
    spare = published_activity(org, title="查询计数活动", places=10, questions=[])
    warm = published_activity(org, title="预热活动", places=WARM_UP // 2, questions=[])
    now = timezone.now()
    users = User.objects.bulk_create(
        User(phone=f"135{i:08d}", nickname=f"压测{i}", phone_bound_at=now)
        for i in range(volunteers + 2 + WARM_UP)
    )
    tokens = [token_issue(user=user, name="bench") for user in users]
    return {
        "rush": rush,
        "spare": spare,
        "warm": warm,
        "tokens": tokens[: volunteers + 2],
        "warm_tokens": tokens[volunteers + 2 :],
    }


def queries_per_registration(activity_id: int, tokens: list[str]) -> tuple[int, list[str]]:
    """SQL statements of one successful registration through the API (the second one: the
    first warms per-process caches), savepoints left out."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    path = f"/api/v1/activities/{activity_id}/registrations"
    for i, token in enumerate(tokens):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                path,
                '{"share_consent": true}',  # the separate consent (issue #16 §1)
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        if response.status_code != 201:
            raise SystemExit(f"the query-count registration failed: {response.content!r}")
        if i == len(tokens) - 1:
            sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
            return len(sql), sql
    raise AssertionError("no token")


# --- server and load ---------------------------------------------------------------------------


def start_server(url: str, var_dir: Path, port: int, workers: int) -> subprocess.Popen:
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": url,
        "THREEHOURS_DEBUG": "false",
        "THREEHOURS_SECRET_KEY": secrets.token_urlsafe(50),
        "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "THREEHOURS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THREEHOURS_SSL_REDIRECT": "false",
        "THREEHOURS_VAR_DIR": str(var_dir),
        "THREEHOURS_LOG_LEVEL": "WARNING",
    }
    return harness.start_server(
        env,
        root=ROOT,
        port=port,
        workers=workers,
        drop=("THREEHOURS_SMS_BACKEND", "THREEHOURS_EMAIL_BACKEND"),
    )


def warm_up(port: int, activity_id: int, tokens: list[str], connections: int) -> dict[str, int]:
    """A small rush on another activity (half its attempts succeed, half are refused as full),
    from as many concurrent clients as the rush: every worker thread has its connection to
    PostgreSQL open, its statements prepared and its code imported before the clock starts, as
    on a server that was running before the rush. Returns the status counts."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"http://127.0.0.1:{port}/api/v1/activities/{activity_id}/registrations"

    def attempt(token: str) -> str:
        request = urllib.request.Request(
            url,
            data=b'{"share_consent": true}',
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return str(r.status)
        except urllib.error.HTTPError as e:
            return str(e.code)

    with ThreadPoolExecutor(connections) as pool:
        statuses = list(pool.map(attempt, tokens))
    return {status: statuses.count(status) for status in sorted(set(statuses))}


def run_wrk(*, port: int, path: str, tokens: list[str], connections: int, threads: int) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="rush-"))
    (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
    done_dir = work / "done"
    done_dir.mkdir()
    env = {
        **os.environ,
        "RUSH_TOKENS": str(work / "tokens.txt"),
        "RUSH_PATH": path,
        "RUSH_THREADS": str(threads),
        "RUSH_DONE_DIR": str(done_dir),
    }
    # -d is only an upper bound: each thread stops after its slice, and wrk's main thread,
    # which sleeps for the whole duration, is woken with SIGINT once every thread is done.
    command = [wrk, f"-t{threads}", f"-c{connections}", "-d120s", "--timeout", "10s"]
    command += ["-s", str(ROOT / "bench" / "wrk_rush.lua"), f"http://127.0.0.1:{port}"]
    busy0, total0 = cpu_busy()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    while len(list(done_dir.iterdir())) < threads and process.poll() is None:
        time.sleep(0.01)
    wall = time.perf_counter() - started
    busy1, total1 = cpu_busy()
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    # wait4 gives wrk's own CPU time (user + system): how much of the machine the load
    # generator took from the server. Its idle sleep after the threads stop costs nothing.
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    output = process.stdout.read() if process.stdout else ""
    shutil.rmtree(work, ignore_errors=True)
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result = json.loads(line.removeprefix("WRK_JSON "))
    cores = os.cpu_count() or 1
    result["wall_s"] = wall
    result["rps"] = result["requests"] / (result["span_us"] / 1e6)
    result["wrk_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["wrk_cpu_share"] = result["wrk_cpu_s"] / (wall * cores)
    result["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--show-queries", action="store_true")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-rush-var-"))
    log(f"database {args.database_url} (recreated); var dir {var_dir}")
    recreate_database(args.database_url)
    django_setup(
        {
            "DATABASE_URL": args.database_url,
            "THREEHOURS_VAR_DIR": str(var_dir),
            "THREEHOURS_SSL_REDIRECT": "false",
        },
        defaults={
            "THREEHOURS_DEBUG": "true",
            "THREEHOURS_SMS_BACKEND": "memory",
            "THREEHOURS_EMAIL_BACKEND": "memory",
        },
    )
    started = time.perf_counter()
    data = load(volunteers=args.volunteers, places=args.places)
    rush, spare, tokens = data["rush"], data["spare"], data["tokens"]
    log(
        f"loaded 1 organisation, 2 activities, {len(tokens)} volunteers with tokens in "
        f"{time.perf_counter() - started:.1f} s"
    )
    round_trips, sql = queries_per_registration(spare.pk, tokens[-2:])
    # Statements: what the issue counts as queries; BEGIN and COMMIT are round trips too.
    queries = len([s for s in sql if s.strip().upper() not in {"BEGIN", "COMMIT"}])
    if args.show_queries:
        for statement in sql:
            log(f"  SQL: {statement[:200]}")

    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(args.database_url, var_dir, port, args.workers)
    try:
        warmed = warm_up(port, data["warm"].pk, data["warm_tokens"], args.connections)
        log(f"warm-up: {WARM_UP} attempts on a {WARM_UP // 2}-place activity → {warmed}")
        log(
            f"server up on :{port} ({args.workers} workers); rush: {args.volunteers} attempts, "
            f"{args.connections} connections, {args.threads} wrk threads"
        )
        result = run_wrk(
            port=port,
            path=f"/api/v1/activities/{rush.pk}/registrations",
            tokens=tokens[: args.volunteers],
            connections=args.connections,
            threads=args.threads,
        )
    finally:
        stop_server(server)

    from threehours.activities.models import Activity
    from threehours.signups.models import Signup

    rows = Signup.objects.filter(activity=rush).count()
    places_taken = Activity.objects.get(pk=rush.pk).places_taken
    successes = result["statuses"].get("201", 0)
    p50, p99 = result["p50"] / 1000, result["p99"] / 1000
    socket_errors = sum(result["errors"].values()) - result["errors"]["status"]
    checks = {
        f"successes == {args.places}": successes == args.places,
        f"signup rows == {args.places}": rows == args.places,
        f"places_taken == {args.places}": places_taken == args.places,
        f"attempts answered == {args.volunteers}": result["requests"] == args.volunteers,
        "no socket errors or timeouts": socket_errors == 0,
        f"attempts/s >= {TARGET_RPS:.0f}": result["rps"] >= TARGET_RPS,
        f"p99 <= {TARGET_P99_MS:.0f} ms": p99 <= TARGET_P99_MS,
        f"SQL statements per registration <= {TARGET_QUERIES}": queries <= TARGET_QUERIES,
    }
    log("")
    log("registration rush — summary")
    log(f"  attempts answered     {result['requests']} (sent {result['sent']})")
    log(f"  successes (201)       {successes}")
    log(f"  statuses              {json.dumps(result['statuses'], sort_keys=True)}")
    log(f"  error codes           {json.dumps(result['codes'], sort_keys=True)}")
    log(f"  socket errors         {json.dumps(result['errors'], sort_keys=True)}")
    log(f"  database              {rows} signup rows, places_taken {places_taken}")
    log(
        f"  throughput            {result['rps']:.0f} attempts/s "
        f"({result['span_us'] / 1e6:.2f} s first request → last response)"
    )
    log(
        f"  latency               p50 {p50:.1f} ms, p90 {result['p90'] / 1000:.1f} ms, "
        f"p99 {p99:.1f} ms, max {result['max'] / 1000:.1f} ms"
    )
    log(
        f"  queries / registration {queries} statements; {round_trips} round trips with BEGIN "
        "and COMMIT (savepoints excluded)"
    )
    log(
        f"  wrk CPU               {result['wrk_cpu_s']:.2f} s = {result['wrk_cpu_share']:.1%} "
        f"of {os.cpu_count()} cores over {result['wall_s']:.2f} s; machine busy "
        f"{result['machine_busy']:.0%}"
    )
    for name, ok in checks.items():
        log(f"  [{'ok' if ok else 'MISSED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
