"""Redemption rush (issue #15 §5): 500 volunteers try to redeem one incentive with 100 codes at
once, through the real server on PostgreSQL.

    uv run python bench/redemption_rush.py
    uv run python bench/redemption_rush.py --volunteers 2000 --codes 300 --connections 64

Steps: (re)create the database `threehours_bench_redeem` on 127.0.0.1:5432 (see
--database-url), migrate it, create an operator, a platform incentive with 100 generated codes
and no hours required, a warm-up incentive with 64 codes (through the services), and 500
volunteers with a bound phone and an API token each; start the server (2 workers); warm it up
with 128 attempts on the warm-up incentive; fire one `POST /api/v1/incentives/{id}/redeem` per
volunteer with wrk (bench/wrk_rush.lua, as the registration rush); then check the database.
Prints successes, statuses and error codes, attempts/s and p50/p99 latency.

Checks: exactly 100 successes (201), 400 `out_of_stock`, 100 redemption rows with 100
distinct codes, stock_left == 0, every attempt answered, no socket errors. Exit status 1 when
one is missed. Throughput and p99 are reported, not enforced (the issue asks for the figures).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from harness import django_setup, free_port, log, recreate_database, stop_server
from registration_rush import WARM_UP, run_wrk, start_server, warm_up

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_redeem"


def load(*, volunteers: int, codes: int) -> dict:
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import token_issue
    from threehours.core.timeutil import local_today
    from threehours.rewards import services

    call_command("migrate", interactive=False, verbosity=0)
    operator = User.objects.create_superuser(email="ops@bench.example", password="Bench-Pass-9")
    today = local_today()

    def incentive(title: str, count: int):
        data = services.IncentiveData(
            title=title,
            partner="压测伙伴",
            hours_required=Decimal("0"),
            valid_from=today,
            valid_until=today + dt.timedelta(days=30),
        )
        return services.incentive_create_with_codes(
            data=data, actor=operator, codes=None, generate=count, activate=True
        )

    rush = incentive("抢兑换压测权益", codes)
    warm = incentive("预热权益", WARM_UP // 2)
    now = timezone.now()
    users = User.objects.bulk_create(
        User(phone=f"136{i:08d}", nickname=f"压测{i}", phone_bound_at=now)
        for i in range(volunteers + WARM_UP)
    )
    tokens = [token_issue(user=user, name="bench") for user in users]
    return {
        "rush": rush,
        "warm": warm,
        "tokens": tokens[:volunteers],
        "warm_tokens": tokens[volunteers:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--volunteers", type=int, default=500)
    parser.add_argument("--codes", type=int, default=100)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-redeem-var-"))
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
    data = load(volunteers=args.volunteers, codes=args.codes)
    rush, tokens = data["rush"], data["tokens"]
    log(f"loaded 2 incentives, {len(tokens)} volunteers in {time.perf_counter() - started:.1f} s")

    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(args.database_url, var_dir, port, args.workers)
    try:
        import registration_rush

        # warm_up posts to a registration path; point it at the warm-up incentive instead.
        original = registration_rush.urllib.request.Request

        def request(url, *a, **kw):
            url = url.replace(
                f"/api/v1/activities/{data['warm'].pk}/registrations",
                f"/api/v1/incentives/{data['warm'].pk}/redeem",
            )
            return original(url, *a, **kw)

        registration_rush.urllib.request.Request = request
        try:
            warmed = warm_up(port, data["warm"].pk, data["warm_tokens"], args.connections)
        finally:
            registration_rush.urllib.request.Request = original
        log(f"warm-up: {WARM_UP} attempts on {WARM_UP // 2} codes → {warmed}")
        log(
            f"server up on :{port} ({args.workers} workers); rush: {args.volunteers} attempts "
            f"for {args.codes} codes, {args.connections} connections, {args.threads} wrk threads"
        )
        result = run_wrk(
            port=port,
            path=f"/api/v1/incentives/{rush.pk}/redeem",
            tokens=tokens,
            connections=args.connections,
            threads=args.threads,
        )
    finally:
        stop_server(server)

    from threehours.rewards.models import Incentive, IncentiveCode, Redemption

    rows = Redemption.objects.filter(incentive=rush)
    redeemed = rows.count()
    distinct_codes = rows.values("code").distinct().count()
    used = IncentiveCode.objects.filter(incentive=rush, used_at__isnull=False).count()
    stock_left = Incentive.objects.get(pk=rush.pk).stock_left
    successes = result["statuses"].get("201", 0)
    refused = args.volunteers - args.codes
    p50, p99 = result["p50"] / 1000, result["p99"] / 1000
    socket_errors = sum(result["errors"].values()) - result["errors"]["status"]
    checks = {
        f"successes == {args.codes}": successes == args.codes,
        f"out_of_stock == {refused}": result["codes"].get("out_of_stock", 0) == refused,
        f"redemptions == {args.codes}": redeemed == args.codes,
        "every code used once": distinct_codes == used == args.codes,
        "stock_left == 0": stock_left == 0,
        f"attempts answered == {args.volunteers}": result["requests"] == args.volunteers,
        "no socket errors or timeouts": socket_errors == 0,
    }
    log("")
    log("redemption rush — summary")
    log(f"  attempts answered     {result['requests']} (sent {result['sent']})")
    log(f"  successes (201)       {successes}")
    log(f"  statuses              {json.dumps(result['statuses'], sort_keys=True)}")
    log(f"  error codes           {json.dumps(result['codes'], sort_keys=True)}")
    log(f"  socket errors         {json.dumps(result['errors'], sort_keys=True)}")
    log(
        f"  database              {redeemed} redemptions, {used} codes used, "
        f"stock_left {stock_left}"
    )
    log(
        f"  throughput            {result['rps']:.0f} attempts/s "
        f"({result['span_us'] / 1e6:.2f} s first request → last response)"
    )
    log(
        f"  latency               p50 {p50:.1f} ms, p90 {result['p90'] / 1000:.1f} ms, "
        f"p99 {p99:.1f} ms, max {result['max'] / 1000:.1f} ms"
    )
    log(f"  machine busy          {result['machine_busy']:.0%}")
    for name, ok in checks.items():
        log(f"  [{'ok' if ok else 'MISSED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
