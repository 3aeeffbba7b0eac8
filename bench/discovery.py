"""Discovery at scale (issue #4): 1,000,000 published activities in PostgreSQL, the list API under
8 concurrent clients through the real server, and the plan of every query shape.

    uv run python bench/discovery.py                 # everything, ≈ 4 minutes on 2 cores
    uv run python bench/discovery.py --reuse         # keep the loaded database, only measure
    uv run python bench/discovery.py --rows 100000 --duration 10
    uv run python bench/discovery.py --rows 100000 --duration 10 --shape-duration 5 --replica

Steps: (re)create the database `threehours_bench` on 127.0.0.1:5432 (user postgres, trust; see
--database-url), migrate it, load the activities with COPY (secondary indexes dropped during the
load and built afterwards, as one would for a bulk load), VACUUM ANALYZE; print EXPLAIN (ANALYZE,
BUFFERS) of each query shape as activities.selectors.activity_search writes it and fail when a
plan reads the activity table sequentially; start `threehours serve` (gunicorn, 2 workers) on a
free port; drive GET /api/v1/activities with wrk (8 connections, 2 threads) over a shuffled list
of mixed-filter paths (city + date range, keyword, near me within 10 km, type), then each shape
alone; print the percentiles, requests per second, wrk's own CPU share and a summary table.
The target is p95 ≤ 50 ms for the mixed run. Exit status 1 when a plan has a sequential scan on
the activity table or the mixed p95 misses the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import harness
from harness import (
    cpu_busy,
    django_setup,
    free_port,
    log,
    ms,
    recreate_database,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench"
TARGET_P95_MS = 50.0
# Required activity columns added after the loader was written: (name, value every row gets).
# Issues #12, #14 and #16.
LATER_COLUMNS = [
    ("checkin_qr_only", False),
    ("family", False),
    ("commitment", ""),
    ("taken_down_reason", ""),  # issue #16
]

SHAPES = ("city_dates", "keyword", "near_me", "type")

# Title parts. Themes carry Zipf-like weights, so keywords hit from ~0.1 % to ~10 % of rows.
PLACES = [
    "社区",
    "公园",
    "图书馆",
    "养老院",
    "小学",
    "医院",
    "地铁站",
    "博物馆",
    "河道",
    "海滩",
    "敬老院",
    "福利院",
    "广场",
    "街道",
    "湿地",
    "老街",
    "火车站",
    "体育馆",
    "科技馆",
    "菜市场",
]
THEMES = [
    "环保",
    "助老",
    "支教",
    "垃圾分类",
    "关爱留守儿童",
    "义卖",
    "植树",
    "文明交通",
    "急救培训",
    "献血宣传",
    "防诈骗宣传",
    "读书会",
    "助残",
    "导览讲解",
    "清洁",
    "禁毒宣传",
    "心理陪伴",
    "非遗传承",
    "节水宣传",
    "护河巡查",
    "爱心义剪",
    "科普讲座",
    "反家暴宣传",
    "候鸟保护",
    "旧衣回收",
    "口述历史",
    "盲人观影",
    "手语角",
    "流浪动物救助",
    "观鸟记录",
]
THEME_WEIGHTS = [1 / (i + 1) ** 0.9 for i in range(len(THEMES))]
SUFFIXES = ["志愿服务", "活动", "公益行动", "志愿者招募", "公益日", "主题活动", "服务队", "周末行"]
ORG_KINDS = ["志愿者协会", "青年志愿服务队", "公益发展中心", "社会工作服务社", "学生志愿者团"]
ORG_TONES = ["阳光", "春晖", "星火", "蓝天", "同心", "暖流", "向日葵", "萤火虫", "益路", "善行"]
KEYWORDS = [
    "环保",
    "助老",
    "支教",
    "植树",
    "图书馆",
    "垃圾分类",
    "海滩",
    "手语",
    "阳光",
    "观鸟记录",
]


# --- data ------------------------------------------------------------------------------------
def cities_and_districts(count: int, rng: random.Random):
    """`count` real city rows (Region level 2) spread over the code list, each with a synthetic
    centre inside China (the region table has no coordinates) and its districts."""
    from threehours.orgs.models import Region

    cities = list(
        Region.objects.filter(level=Region.Level.CITY).select_related("parent").order_by("code")
    )
    step = len(cities) / count
    chosen = [cities[int(i * step)] for i in range(count)]
    districts: dict[str, list[str]] = {c.code: [] for c in chosen}
    for code, parent in Region.objects.filter(parent__in=chosen).values_list("code", "parent_id"):
        districts[parent].append(code)
    centres = {c.code: (rng.uniform(22.0, 45.0), rng.uniform(100.0, 125.0)) for c in chosen}
    return chosen, districts, centres


def organisations(cities, count: int):
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.orgs.models import Organisation

    user = User.objects.create_user(email="bench@example.org", password=secrets.token_urlsafe())
    rows = []
    for i in range(count):
        city = cities[i * 7 % len(cities)]
        rows.append(
            Organisation(
                name=f"{city.label}{ORG_TONES[i % len(ORG_TONES)]}{ORG_KINDS[i % len(ORG_KINDS)]}",
                category=Organisation.Category.COMMUNITY,
                province_id=city.parent_id,
                city=city,
                district=city,
                address="人民路 1 号",
                contact_name="王老师",
                contact_phone="13800138000",
                intro="基准测试用组织。",
                state=Organisation.State.APPROVED,
                applicant=user,
                approved_at=timezone.now(),
                places_limit=1000,
            )
        )
    return user, Organisation.objects.bulk_create(rows)


def load_activities(*, rows: int, seed: int) -> dict:
    """COPY `rows` published activities; returns timings and the facts the paths are built from."""
    from django.db import connection

    from threehours.activities.models import AttributeOption
    from threehours.activities.search import search_text_for
    from threehours.core.timeutil import local_today

    rng = random.Random(seed)
    cities, districts, centres = cities_and_districts(300, rng)
    user, orgs = organisations(cities, 60)
    options = {
        kind: list(AttributeOption.objects.filter(kind=kind).values_list("pk", "code", "online"))
        for kind in ("type", "form", "field")
    }
    offline_forms = [o for o in options["form"] if not o[2]]
    online_forms = [o for o in options["form"] if o[2]]
    today = local_today()
    now = dt.datetime.now(dt.UTC)
    columns = [
        "organisation_id", "title", "cover", "cover_width", "cover_height", "description_html",
        "start_date", "end_date", "registration_deadline", "checkin_time", "checkout_time",
        "places", "places_taken", "screening", "waitlist_enabled", "fee_yuan", "fee_note",
        "skill_requirement", "other_requirement", "type_id", "form_id", "field_id", "online",
        "address", "city_id", "district_id", "lat", "lng", "checkin_radius_m", "contact_name",
        "contact_phone", "state", "cancel_reason", "published_at", "created_by_id", "created_at",
        "updated_at", "search_text",
    ]  # fmt: skip
    table = "activities_activity"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        required = {r[0] for r in cursor.fetchall()}
        # Columns a later issue added, filled with their default where the schema has them,
        # so that this script also loads an older checkout's schema (before/after runs).
        later = [name for name, _value in LATER_COLUMNS if name in required]
        columns += later
        missing = required - set(columns) - {"id"}
        if missing:
            raise SystemExit(f"the loader does not fill the required columns {sorted(missing)}")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    later_values = [value for name, value in LATER_COLUMNS if name in later]
    description = "<p>欢迎报名参加本次志愿服务。请提前十分钟到达签到地点，穿着舒适的衣物。</p>"
    org_cities = [(o, o.name) for o in orgs]
    # Nothing may query the database while COPY holds the connection: labels are read now.
    labels = {c.code: c.label for c in cities}
    timings = {}
    started = time.perf_counter()
    # The psycopg 3 connection under Django's wrapper, in autocommit mode (Django's default).
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for _ in range(rows):
            org, org_name = rng.choice(org_cities)
            city = rng.choice(cities)
            start = today + dt.timedelta(days=rng.randint(-180, 180))
            end = start + dt.timedelta(days=rng.choices((0, 1, 2, 6), (70, 15, 10, 5))[0])
            theme = rng.choices(THEMES, THEME_WEIGHTS)[0]
            place = rng.choice(PLACES)
            prefix = labels[city.code][:2] if rng.random() < 0.3 else ""
            title = f"{prefix}{place}{theme}{rng.choice(SUFFIXES)}"
            online = rng.random() < 0.08
            form = rng.choice(online_forms if online else offline_forms)
            places = rng.randint(5, 100)
            taken = places if rng.random() < 0.2 else rng.randint(0, places - 1)
            if online:
                lat = lng = radius = district = None
                address = ""
            else:
                c_lat, c_lng = centres[city.code]
                lat = Decimal(f"{c_lat + rng.gauss(0, 0.08):.6f}")
                lng = Decimal(f"{c_lng + rng.gauss(0, 0.08):.6f}")
                radius = 500
                district = rng.choice(districts[city.code]) if districts[city.code] else None
                address = f"{place}东门"
            hour = rng.randint(8, 15)
            published = dt.datetime.combine(
                start - dt.timedelta(days=rng.randint(3, 40)), dt.time(hour), dt.UTC
            ) + dt.timedelta(seconds=rng.randint(0, 86399))
            copy.write_row(
                (
                    org.pk, title, "", 0, 0, description,
                    start, end, end, dt.time(hour), dt.time(hour + rng.randint(1, 4)),
                    places, taken, "auto", True, Decimal(0), "",
                    "", "", rng.choice(options["type"])[0], form[0],
                    rng.choice(options["field"])[0], online,
                    address, None if online else city.code, district, lat, lng, radius, "王老师",
                    "13800138000", "published", "", published, user.pk, now,
                    now, search_text_for(title=title, org_name=org_name),
                    *later_values,
                )
            )  # fmt: skip
    timings["copy_s"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    timings["indexes_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum_analyze_s"] = time.perf_counter() - started
    timings["index_names"] = [name for name, _ in indexes]
    return timings


def load_facts(seed: int) -> dict:
    """What the request paths are made of, read back from the loaded database."""
    from django.db import connection

    from threehours.activities.models import Activity, AttributeOption

    rng = random.Random(seed + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT city_id, avg(lat)::float, avg(lng)::float FROM activities_activity"
            " WHERE city_id IS NOT NULL GROUP BY city_id"
        )
        centres = {code: (lat, lng) for code, lat, lng in cursor.fetchall()}
    types = list(AttributeOption.objects.filter(kind="type").values_list("code", flat=True))
    return {
        "centres": centres,
        "types": types,
        "rows": Activity.objects.count(),
        "rng": rng,
    }


# --- request paths ---------------------------------------------------------------------------
def shape_params(shape: str, facts: dict, today: dt.date, rng: random.Random) -> dict:
    if shape == "city_dates":
        start = today + dt.timedelta(days=rng.randint(0, 60))
        return {
            "city": rng.choice(list(facts["centres"])),
            "date_from": start.isoformat(),
            "date_to": (start + dt.timedelta(days=rng.choice((7, 14, 30)))).isoformat(),
        }
    if shape == "keyword":
        return {"q": rng.choice(KEYWORDS)}
    if shape == "near_me":
        lat, lng = facts["centres"][rng.choice(list(facts["centres"]))]
        return {
            "lat": f"{lat + rng.gauss(0, 0.05):.5f}",
            "lng": f"{lng + rng.gauss(0, 0.05):.5f}",
            "radius_km": "10",
        }
    if shape == "type":
        return {"type": rng.choice(facts["types"])}
    raise ValueError(shape)


def paths_for(shapes: tuple[str, ...], facts: dict, today: dt.date, count: int) -> list[str]:
    rng = random.Random(7)
    paths = []
    for i in range(count):
        shape = shapes[i % len(shapes)]
        paths.append("/api/v1/activities?" + urlencode(shape_params(shape, facts, today, rng)))
    rng.shuffle(paths)
    return paths


# --- plans -----------------------------------------------------------------------------------
def explain_shapes(facts: dict, today: dt.date) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the main query of each shape, as the selector builds it
    (captured while it runs), plus the other sorts, has_places and a deep page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from threehours.activities import selectors

    rng = random.Random(3)

    def search(**params):
        lat, lng = params.pop("lat", None), params.pop("lng", None)
        radius = params.pop("radius_km", None)
        for key in ("date_from", "date_to"):
            if key in params:
                params[key] = dt.date.fromisoformat(params[key])
        return selectors.activity_search(
            today=today,
            lat=Decimal(lat) if lat else None,
            lng=Decimal(lng) if lng else None,
            radius_km=float(radius) if radius else None,
            **params,
        )

    cases: list[tuple[str, dict]] = [(s, shape_params(s, facts, today, rng)) for s in SHAPES]
    cases += [
        ("keyword_rare_2char", {"q": "手语"}),
        ("keyword_absent", {"q": "鲸鱼"}),
        ("keyword_4char", {"q": "垃圾分类"}),
        ("keyword_org_name", {"q": "阳光"}),
        ("no_filter", {}),
        ("has_places", {"has_places": True}),
        ("newest", {"sort": "newest"}),
        ("nearest", {**shape_params("near_me", facts, today, rng), "sort": "nearest"}),
        ("city_keyword", {"city": next(iter(facts["centres"])), "q": "环保"}),
        ("form_online", {"online": True}),
    ]
    # A deep page: follow 50 cursors of the no-filter list and explain the 51st.
    cursor = None
    for _ in range(50):
        cursor = search(limit=20, cursor=cursor).next_cursor
    cases.append(("page_51", {"cursor": cursor}))

    results = []
    for name, params in cases:
        with CaptureQueriesContext(connection) as captured:
            page = search(**dict(params))
        sql = next(
            q["sql"] for q in captured.captured_queries if 'FROM "activities_activity"' in q["sql"]
        )
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
        scanned = re.findall(r"(?:Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)", plan)
        used = sorted({name for name in scanned if name.startswith("activit")})
        took = re.search(r"Execution Time: ([\d.]+) ms", plan)
        results.append(
            {
                "name": name,
                "params": params,
                "rows": len(page.items),
                "plan": plan,
                "seq_scan": "Seq Scan on activities_activity" in plan,
                "indexes": used,
                "execution_ms": float(took.group(1)) if took else None,
            }
        )
    return results


# --- server and load -------------------------------------------------------------------------
def start_server(
    url: str, var_dir: Path, port: int, workers: int, replica_url: str = ""
) -> subprocess.Popen:
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": url,
        "DATABASE_REPLICA_URLS": replica_url,
        # This machine's other work may hold replay back by seconds: measure the replica anyway.
        "REPLICA_MAX_LAG_SECONDS": "60",
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
        ready_path="/api/v1/activities?limit=1",
        ready_message="the server did not answer within 60 s",
    )


def run_wrk(port: int, paths: list[str], *, duration: int, connections: int, threads: int) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    env = {**os.environ, "WRK_PATHS": handle.name}
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s"]
    command += ["-s", str(ROOT / "bench" / "wrk_paths.lua"), f"http://127.0.0.1:{port}"]
    busy0, total0 = cpu_busy()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    # wait4 gives wrk's own CPU time (user + system), to show how much of the machine the load
    # generator itself took from the server.
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    busy1, total1 = cpu_busy()
    output = process.stdout.read() if process.stdout else ""
    os.unlink(handle.name)
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result = json.loads(line.removeprefix("WRK_JSON "))
    cores = os.cpu_count() or 1
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["wrk_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["wrk_cpu_share"] = result["wrk_cpu_s"] / (wall * cores)
    result["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
    return result


REPLICA_SCRIPT = ROOT / "deploy" / "replica"


def replica_up(url: str) -> tuple[str, list[str]]:
    """A streaming replica of the whole local cluster (deploy/replica), caught up; its URL."""
    port = free_port()
    where = ["--dir", f"/var/tmp/threehours-bench-replica-{port}", "--port", str(port)]
    started = time.perf_counter()
    subprocess.run([str(REPLICA_SCRIPT), "up", *where], check=True)
    parts = urlsplit(url)
    replica_url = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}").geturl()
    import psycopg

    with psycopg.connect(url, autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(replica_url, autocommit=True) as replica:
        while not replica.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
        ).fetchone()[0]:
            time.sleep(0.2)
    log(f"Replica on 127.0.0.1:{port}, caught up in {time.perf_counter() - started:.1f} s")
    return replica_url, where


def replica_commits(replica_url: str) -> int:
    """Transactions the replica itself ran in the bench database (its own statistics)."""
    import psycopg

    with psycopg.connect(replica_url, autocommit=True) as replica:
        return replica.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = "
            "current_database()"
        ).fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure the loaded database again")
    parser.add_argument("--duration", type=int, default=30, help="seconds of the mixed run")
    parser.add_argument("--shape-duration", type=int, default=10, help="seconds per shape run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    parser.add_argument(
        "--replica",
        action="store_true",
        help="then again with discovery on a streaming replica (deploy/replica)",
    )
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-bench-"))
    load: dict = {}
    if not args.reuse:
        log(f"Recreating {urlsplit(args.database_url).path.lstrip('/')} …")
        recreate_database(args.database_url)
    django_setup(
        {"DATABASE_URL": args.database_url, "THREEHOURS_VAR_DIR": str(var_dir)},
        defaults={"THREEHOURS_DEBUG": "true"},
    )
    from django.core.management import call_command

    from threehours.core.timeutil import local_today

    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        log(f"Migrated in {time.perf_counter() - started:.1f} s")
        log(f"Loading {args.rows:,} published activities with COPY …")
        load = load_activities(rows=args.rows, seed=args.seed)
        log(
            f"  COPY {load['copy_s']:.1f} s ({args.rows / load['copy_s']:,.0f} rows/s), "
            f"indexes {load['indexes_s']:.1f} s, VACUUM ANALYZE {load['vacuum_analyze_s']:.1f} s"
        )
    today = local_today()
    facts = load_facts(args.seed)
    log(f"{facts['rows']:,} activities in {len(facts['centres'])} cities\n")

    log("== Query plans (EXPLAIN ANALYZE, BUFFERS) ==")
    plans = explain_shapes(facts, today)
    for plan in plans:
        log(f"\n--- {plan['name']} {plan['params'] if plan['name'] != 'page_51' else ''}")
        if args.plans or plan["name"] in SHAPES or plan["seq_scan"]:
            log(plan["plan"])
        else:
            log("\n".join(plan["plan"].splitlines()[:12]) + "\n  …")
    from django.db import connections

    connections.close_all()

    port = free_port()
    log(f"\nStarting `threehours serve --workers {args.workers}` on 127.0.0.1:{port} …")
    server = start_server(args.database_url, var_dir, port, args.workers)
    runs: dict[str, dict] = {}
    try:
        warm = paths_for(SHAPES, facts, today, 400)
        run_wrk(port, warm, duration=5, connections=args.connections, threads=args.threads)
        log(f"Mixed run: {args.connections} connections, {args.duration} s …")
        mixed = paths_for(SHAPES, facts, today, 4000)
        runs["mixed"] = run_wrk(
            port, mixed, duration=args.duration, connections=args.connections, threads=args.threads
        )
        for shape in SHAPES:
            log(f"Shape {shape}: {args.shape_duration} s …")
            runs[shape] = run_wrk(
                port,
                paths_for((shape,), facts, today, 1000),
                duration=args.shape_duration,
                connections=args.connections,
                threads=args.threads,
            )
    finally:
        stop_server(server)
    if args.replica:
        replica_url, where = replica_up(args.database_url)
        port = free_port()
        log(f"Starting the server again, DATABASE_REPLICA_URLS={replica_url} …")
        server = start_server(args.database_url, var_dir, port, args.workers, replica_url)
        try:
            run_wrk(port, warm, duration=5, connections=args.connections, threads=args.threads)
            before = replica_commits(replica_url)
            log(f"Mixed run on the replica: {args.connections} connections, {args.duration} s …")
            runs["mixed@replica"] = run_wrk(
                port, mixed, duration=args.duration, connections=args.connections,
                threads=args.threads,
            )  # fmt: skip
            served = replica_commits(replica_url) - before
            for shape in SHAPES:
                log(f"Shape {shape} on the replica: {args.shape_duration} s …")
                runs[f"{shape}@replica"] = run_wrk(
                    port,
                    paths_for((shape,), facts, today, 1000),
                    duration=args.shape_duration,
                    connections=args.connections,
                    threads=args.threads,
                )
        finally:
            stop_server(server)
            subprocess.run([str(REPLICA_SCRIPT), "remove", *where], check=False)
        requests = runs["mixed@replica"]["rps"] * args.duration
        log(f"The replica ran {served:,} transactions in the mixed run ({requests:,.0f} requests)")
    shutil.rmtree(var_dir, ignore_errors=True)

    log("\n== Summary ==")
    if load:
        log(
            f"Load: {args.rows:,} rows — COPY {load['copy_s']:.1f} s, index build "
            f"{load['indexes_s']:.1f} s, VACUUM ANALYZE {load['vacuum_analyze_s']:.1f} s, total "
            f"{load['copy_s'] + load['indexes_s'] + load['vacuum_analyze_s']:.1f} s"
        )
    log(f"{'run':<12}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'non-2xx':>9}{'wrk CPU':>9}{'machine':>9}")  # fmt: skip
    for name, r in runs.items():
        errors = sum(r["errors"].values()) - r["errors"]["status"] + r["non2xx"]
        log(
            f"{name:<12}{r['rps']:>8.0f}{ms(r['p50']):>8}{ms(r['p95']):>8}{ms(r['p99']):>8}"
            f"{ms(r['max']):>8}{errors:>9}{r['wrk_cpu_share']:>9.1%}{r['machine_busy']:>9.0%}"
        )
    log("(wrk CPU: wrk's user+system time over wall time × cores; machine: all CPUs busy)")
    log(f"\n{'query shape':<20}{'exec ms':>9}{'rows':>6}  {'seq scan':<9} indexes")
    for plan in plans:
        log(
            f"{plan['name']:<20}{plan['execution_ms'] or 0:>9.2f}{plan['rows']:>6}  "
            f"{'YES' if plan['seq_scan'] else 'no':<9} {', '.join(plan['indexes'])}"
        )
    seq = [p["name"] for p in plans if p["seq_scan"]]
    p95 = runs["mixed"]["p95"] / 1000
    if "mixed@replica" in runs:
        log(
            f"Mixed p95 on the primary {p95:.1f} ms, on the replica "
            f"{runs['mixed@replica']['p95'] / 1000:.1f} ms"
        )
    log(
        f"\nMixed p95 {p95:.1f} ms (target ≤ {TARGET_P95_MS:.0f} ms): "
        f"{'met' if p95 <= TARGET_P95_MS else 'MISSED'}; sequential scans of the activity "
        f"table: {', '.join(seq) if seq else 'none'}"
    )
    log(
        f"(max RSS of this script: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)"
    )
    return 1 if seq or p95 > TARGET_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
